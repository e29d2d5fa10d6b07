"""Genome and track QC functions against hand-computed answers."""

from __future__ import annotations

import numpy as np
import pytest

from seqreg.io import (
    bigwig_chrom_sizes,
    coverage_qc,
    gaps_from_fasta,
    n_fraction_by_chrom,
    n_runs,
    read_chrom_sizes,
    read_values,
    sample_values,
    write_bigwig,
    write_fasta,
)
from seqreg.project import InputFileError
from seqreg.sequence import one_hot


def test_n_runs_finds_runs_at_ends_and_inside():
    assert n_runs("NNACGnnTN").tolist() == [[0, 2], [5, 7], [8, 9]]
    assert n_runs("ACGT").tolist() == []
    assert n_runs("NNNN", offset=10).tolist() == [[10, 14]]


def test_gaps_merge_across_chunk_boundaries(tmp_path, monkeypatch):
    import seqreg.io.fasta as fasta_module

    fasta = write_fasta(tmp_path / "g.fa", {"chrA": "ACGTNNNNNNACGT", "chrB": "NNAC"})
    real = fasta_module.iter_sequence_chunks
    monkeypatch.setattr(
        fasta_module, "iter_sequence_chunks", lambda f, c, chunk_size=0: real(f, c, 3)
    )
    assert gaps_from_fasta(fasta) == [("chrA", 4, 10), ("chrB", 0, 2)]
    table = n_fraction_by_chrom(fasta)
    assert table["n_bases"].tolist() == [6, 2]
    assert table["n_fraction"].tolist() == pytest.approx([6 / 14, 2 / 4])
    assert table["n_gaps"].tolist() == [1, 1]


def test_one_hot_codes_acgt_and_leaves_n_empty():
    coded = one_hot("ACGTNa")
    assert coded.shape == (6, 4)
    assert coded.argmax(axis=1)[:4].tolist() == [0, 1, 2, 3]
    assert coded[4].sum() == 0 and coded[5].tolist() == [1, 0, 0, 0]


def test_chrom_sizes_errors_name_the_line(tmp_path):
    bad = tmp_path / "bad.sizes"
    bad.write_text("chr1\t100\nchr2\tlots\n")
    with pytest.raises(InputFileError, match=r"bad.sizes: line 2"):
        read_chrom_sizes(bad)
    dup = tmp_path / "dup.sizes"
    dup.write_text("chr1\t100\nchr1\t100\n")
    with pytest.raises(InputFileError, match="listed twice"):
        read_chrom_sizes(dup)


def test_coverage_qc_counts_nan_and_zero_bases(tmp_path):
    # chr1: 250 bp in 100 bp bins -> bins of 100, 100, 50 bases
    values = {"chr1": np.array([0.0, np.nan, 2.0]), "chr2": np.array([np.nan])}
    path = write_bigwig(tmp_path / "t.bw", {"chr1": 250, "chr2": 80}, values, 100)
    assert bigwig_chrom_sizes(path) == {"chr1": 250, "chr2": 80}
    qc = coverage_qc(path).set_index("chrom")
    assert qc.loc["chr1", "nan_fraction"] == pytest.approx(100 / 250)
    assert qc.loc["chr1", "zero_fraction"] == pytest.approx(100 / 250)
    assert qc.loc["chr1", "mean"] == pytest.approx((0 * 100 + 2 * 50) / 150)
    assert qc.loc["chr2", "nan_fraction"] == 1.0 and np.isnan(qc.loc["chr2", "mean"])


def test_sample_values_weights_by_covered_length(tmp_path):
    values = {"chr1": np.array([1.0] * 9 + [5.0])}
    path = write_bigwig(tmp_path / "t.bw", {"chr1": 910}, values, 100)  # last bin is 10 bp
    drawn = sample_values(path, 20_000, seed=1)
    assert set(np.unique(drawn)) == {1.0, 5.0}
    assert (drawn == 5.0).mean() == pytest.approx(10 / 910, abs=0.004)


def test_track_readers_accept_either_chromosome_spelling(tmp_path):
    # the FASTA says chr1/chrM, the bigWig 1/MT: every reader resolves the other spelling
    values = {"1": np.array([1.0, 3.0]), "MT": np.array([2.0])}
    path = write_bigwig(tmp_path / "t.bw", {"1": 200, "MT": 100}, values, 100)
    qc = coverage_qc(path, ["chr1", "chrM"]).set_index("chrom")
    assert qc.loc["chr1", "length"] == 200 and qc.loc["chr1", "mean"] == pytest.approx(2.0)
    assert qc.loc["chrM", "nan_fraction"] == 0.0
    assert read_values(path, "chr1", 150, 250).tolist() == [3.0] * 50  # clipped at the end
    assert set(np.unique(sample_values(path, 100, chroms=["chrM"]))) == {2.0}
    with pytest.raises(InputFileError, match=r"t\.bw: has no chromosome 'chr2' \(nor '2'\)"):
        read_values(path, "chr2", 0, 10)
    with pytest.raises(InputFileError, match="has no chromosome 'chr2'"):
        coverage_qc(path, ["chr2"])


def test_unreadable_bigwig_is_named(tmp_path):
    fake = tmp_path / "fake.bw"
    fake.write_text("not a bigwig")
    with pytest.raises(InputFileError, match=r"fake\.bw: is not a readable bigWig"):
        coverage_qc(fake)


def test_read_bed_reads_three_columns_and_names_bad_files(tmp_path):
    from seqreg.io import read_bed

    good = tmp_path / "regions.bed"
    good.write_text("#header\nchr1\t10\t20\tname\nchr2\t0\t5\tx\n")
    assert read_bed(good).values.tolist() == [["chr1", 10, 20], ["chr2", 0, 5]]
    bad = tmp_path / "bad.bed"
    bad.write_text("chr1\tten\t20\n")
    with pytest.raises(InputFileError, match=r"bad\.bed: columns 2 and 3"):
        read_bed(bad)
    empty = tmp_path / "empty.bed"
    empty.write_text("")
    assert read_bed(empty).empty
    # every BED reader (make data's check, masks, annotations) refuses impossible intervals
    for text, line in (("chr1\t10\t20\nchr1\t500\t400\n", 2), ("chr1\t-5\t20\n", 1)):
        backwards = tmp_path / "backwards.bed"
        backwards.write_text(text)
        with pytest.raises(
            InputFileError,
            match=rf"backwards\.bed: an interval must have 0 <= start <= end.*line {line}",
        ):
            read_bed(backwards)


def test_bed_readers_skip_ucsc_header_lines_and_name_a_bad_line(tmp_path):
    from seqreg.io import read_bed, read_tss

    with_headers = tmp_path / "regions.bed"
    with_headers.write_text('browser position chr1:1-100\ntrack name="gaps" description="x"\n'
                            "# a comment\nchr1\t10\t20\n\nchr2\t0\t5\n")  # fmt: skip
    table = read_bed(with_headers)
    assert table.values.tolist() == [["chr1", 10, 20], ["chr2", 0, 5]]
    assert str(table["start"].dtype) == "int64"
    tss = tmp_path / "tss.bed"
    tss.write_text('track name="tss"\nchr1\t100\t101\tT1.1\t0\t+\tG1\n')
    assert read_tss(tss)[["chrom", "position", "gene_id"]].values.tolist() == [["chr1", 100, "G1"]]
    bad = tmp_path / "bad.bed"
    bad.write_text("track name=x\nchr1\t1\t2\nchr1\t3.5\t9\n")
    with pytest.raises(
        InputFileError,
        match=r"bad\.bed: columns 2 and 3 \(start, end\) must be integers; line 3: 'chr1\\t3.5\\t9'",
    ):
        read_bed(bad)
