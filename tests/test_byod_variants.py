"""Variant and table readers on users' real files: the VCF and GTEx cases of
tests/cases/byod (plain-gzip VCF, IUPAC alleles, duplicate records, REF/ALT swaps,
records without INFO, a truncated gzipped table), and the same kinds of fault in every
reader that shares them (read_vcf, read_dosages, score_variants, the GTEx, de novo and
GWAS table readers)."""

from __future__ import annotations

import gzip
import shutil
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pysam
import pytest

from seqreg import io, variants
from seqreg.project import InputFileError

# -- helpers -----------------------------------------------------------------------------------


def records(path: Path) -> list[list[str]]:
    """The data lines of a (gzipped) VCF split into fields, read without the readers."""
    opener = gzip.open if path.read_bytes()[:2] == b"\x1f\x8b" else open
    with opener(path, "rt") as handle:
        return [line.rstrip("\n").split("\t") for line in handle if not line.startswith("#")]


def raw_table(path: Path) -> pd.DataFrame:
    """Every record's first ALT as a variant table, bypassing read_vcf's checks."""
    rows = [(r[0], int(r[1]), r[2], r[3], r[4].split(",")[0]) for r in records(path)]
    return pd.DataFrame(rows, columns=io.VARIANT_COLUMNS)


def alt_dosage(fields: list[str]) -> list[float]:
    """ALT dosages of a diploid biallelic record, counted from its text."""
    return [float(call.count("1")) for call in fields[9:]]


def read_quietly(*args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return io.read_vcf(*args, **kwargs)


def truncated_gzip(path: Path, text: str) -> Path:
    """``text`` gzipped to ``path`` and cut to half its bytes, as an interrupted copy."""
    packed = gzip.compress(text.encode(), mtime=0)
    path.write_bytes(packed[: len(packed) // 2])
    return path


def tiny_model(n_tracks: int = 3):
    import keras

    keras.utils.set_random_seed(0)
    return keras.Sequential([keras.Input((1024, 4)), keras.layers.Conv1D(8, 9, padding="same", activation="relu"),
                             keras.layers.AveragePooling1D(128),
                             keras.layers.Dense(n_tracks, activation="softplus")])  # fmt: skip


def score(table, fasta: Path, out: Path):
    from seqreg.project import Track

    tracks = [Track.from_record({"id": f"t{i}", "assay": "DNase"}) for i in range(3)]
    return variants.score_variants(tiny_model(), table, fasta, out, tracks=tracks, pool_width=128,
                                   stride=512, progress=False)  # fmt: skip


# -- vcf_plain_gzip ----------------------------------------------------------------------------


def test_plain_gzip_vcf_is_read_by_read_vcf_and_read_dosages(byod_case):
    case = byod_case("vcf_plain_gzip")
    vcf, fasta = case / "calls.vcf.gz", case / "genome.fa"
    table, counts = io.read_vcf(vcf, fasta)
    fields = records(vcf)
    assert list(table["pos"]) == [int(f[1]) for f in fields] == [500, 1500, 2500, 3500]
    assert list(table["alt"]) == [f[4] for f in fields] and counts["kept"] == 4
    dosage, samples = io.read_dosages(vcf, table)
    assert samples == ["S1", "S2", "S3", "S4"]
    np.testing.assert_array_equal(dosage, np.array([alt_dosage(f) for f in fields], np.float32))
    # a region of a plain-gzip file (no index possible) is scanned for
    part, _ = io.read_vcf(vcf, fasta, region="chr1:1000-3000")
    assert list(part["pos"]) == [1500, 2500]
    # the same file named without .gz, and recompressed with bgzip and indexed, reads the same
    shutil.copy(vcf, case / "calls_gzipped.vcf")
    assert io.read_vcf(case / "calls_gzipped.vcf", fasta)[0].equals(table)
    with gzip.open(vcf, "rb") as handle:
        (case / "plain.vcf").write_bytes(handle.read())
    pysam.tabix_compress(str(case / "plain.vcf"), str(case / "bgzf.vcf.gz"))
    pysam.tabix_index(str(case / "bgzf.vcf.gz"), preset="vcf")
    assert io.read_vcf(case / "bgzf.vcf.gz", fasta)[0].equals(table)
    np.testing.assert_array_equal(io.read_dosages(case / "bgzf.vcf.gz", table)[0], dosage)
    assert io.read_vcf(case / "bgzf.vcf.gz", fasta, region="1:1000-3000")[0].equals(part)


def test_truncated_gzipped_vcf_is_named_as_truncated(byod_case, tmp_path):
    case = byod_case("vcf_plain_gzip")
    with gzip.open(case / "calls.vcf.gz", "rt") as handle:
        text = handle.read()
    cut = truncated_gzip(tmp_path / "cut.vcf.gz", text * 40)
    table = read_quietly(case / "calls.vcf.gz", case / "genome.fa")[0]
    for read in (lambda: io.read_vcf(cut, case / "genome.fa"), lambda: io.read_dosages(cut, table)):
        with pytest.raises(InputFileError, match=r"cut\.vcf\.gz: is truncated.*download it again"):
            read()


def test_a_bcf_file_is_refused_with_the_command_that_converts_it(byod_case):
    case = byod_case("vcf_plain_gzip")
    with gzip.open(case / "calls.vcf.gz", "rb") as handle:
        (case / "plain.vcf").write_bytes(handle.read())
    source = pysam.VariantFile(str(case / "plain.vcf"))
    with source, pysam.VariantFile(str(case / "calls.bcf"), "wb", header=source.header) as sink:
        for record in source:
            sink.write(record)
    with pytest.raises(
        InputFileError, match=r"calls\.bcf: is BCF, not VCF text; convert it with `bcftools"
    ):
        io.read_vcf(case / "calls.bcf", case / "genome.fa")


# -- vcf_iupac_alt -----------------------------------------------------------------------------


def test_iupac_and_n_alleles_are_skipped_and_counted(byod_case):
    case = byod_case("vcf_iupac_alt")
    with pytest.warns(UserWarning, match=r"calls\.vcf\.gz: 2 single-base alleles with a base other than "
                                         r"A, C, G, T .*first: chr1:2600 C>N \(line 8\)"):  # fmt: skip
        table, counts = io.read_vcf(case / "calls.vcf.gz", case / "genome.fa")
    assert counts["non_acgt_skipped"] == 2 and counts["kept"] == 4 and counts["records"] == 6
    assert set(table["alt"]) <= set("ACGT") and 2600 not in set(table["pos"])
    assert 2700 not in set(table["pos"])
    # through the tabix index, a region in the other chromosome spelling
    part, part_counts = read_quietly(
        case / "calls.vcf.gz", case / "genome.fa", region="1:2000-2650"
    )
    assert list(part["pos"]) == [2000, 2300] and part_counts["non_acgt_skipped"] == 1
    # a region on a chromosome the VCF lacks is an error, indexed or scanned
    with gzip.open(case / "calls.vcf.gz", "rb") as handle:
        (case / "plain.vcf").write_bytes(handle.read())
    for name in ("calls.vcf.gz", "plain.vcf"):
        with pytest.raises(InputFileError, match=rf"{name}: has no chromosome 'chr3'"):
            io.read_vcf(case / name, case / "genome.fa", region="chr3:1-100")
        scanned, _ = read_quietly(case / name, case / "genome.fa", region="2:3100")
        assert list(scanned["pos"]) == [3300]


def test_score_variants_refuses_non_acgt_alleles_before_writing(byod_case, tmp_path):
    case = byod_case("vcf_iupac_alt")
    table = raw_table(case / "calls.vcf.gz")  # as a table built by hand would be: N and R kept
    out = tmp_path / "out"
    with pytest.raises(InputFileError, match=r"genome\.fa: 2 of 6 variants to score do not fit this genome "
                                             r"\(2 with an allele other than A, C, G, T; first: "
                                             r"chr1:2600 C>N"):  # fmt: skip
        score(table, case / "genome.fa", out / "scores.h5")
    assert not out.exists() or not list(out.iterdir())  # no score file, no .partial


# -- vcf_duplicate_records ---------------------------------------------------------------------


def test_duplicate_records_are_read_once_and_get_their_genotypes(byod_case):
    case = byod_case("vcf_duplicate_records")
    vcf = case / "calls.vcf"
    with pytest.warns(UserWarning, match=r"1 duplicate records .*first: chr1:3001 G>A \(line 8\)"):
        table, counts = io.read_vcf(vcf, case / "genome.fa")
    assert counts["duplicates"] == 1 and counts["kept"] == 4 and counts["records"] == 5
    assert list(table["pos"]) == [1000, 3001, 5000, 2000]
    dosage, _ = io.read_dosages(vcf, table)
    assert dosage[1].tolist() == [1, 1, 2, 0]  # 0|1 1|0 1|1 0|0
    # a table that still lists both copies (not from read_vcf) gives both the genotypes
    both, _ = io.read_dosages(vcf, raw_table(vcf))
    np.testing.assert_array_equal(both[1], both[2])
    np.testing.assert_array_equal(both[[0, 1, 3, 4]], dosage)


# -- vcf_partly_swapped ------------------------------------------------------------------------
SWAPPED = [("chr1", 2600), ("chr1", 6450), ("chr2", 3300)]


def test_ref_alt_swaps_are_counted_apart_and_excluded(byod_case):
    case = byod_case("vcf_partly_swapped")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        table, counts = io.read_vcf(case / "calls.vcf", case / "genome.fa")
    assert counts["ref_alt_swapped"] == 3 and counts["ref_mismatch"] == 0
    assert counts["kept"] == 17 and counts["flipped"] == 0 and not table["flipped"].any()
    assert not set(SWAPPED) & set(zip(table["chrom"], table["pos"], strict=True))
    [message] = [str(w.message) for w in caught]
    assert (
        "3 of 20 REF alleles differ" in message
        and "3 of them have the genome's base as ALT" in message
    )
    assert "flip_swapped=True" in message and "genome build" not in message


def test_flip_swapped_keeps_them_exchanged_and_dosages_count_the_scored_allele(byod_case):
    case = byod_case("vcf_partly_swapped")
    vcf, fasta = case / "calls.vcf", case / "genome.fa"
    with pytest.warns(UserWarning, match="kept with REF and ALT exchanged"):
        table, counts = io.read_vcf(vcf, fasta, flip_swapped=True)
    assert counts["kept"] == 20 and counts["flipped"] == 3
    assert (
        list(zip(*table.loc[table["flipped"], ["chrom", "pos"]].T.to_numpy(), strict=True))
        == SWAPPED
    )
    fields = {(f[0], int(f[1])): f for f in records(vcf)}
    with pysam.FastaFile(str(fasta)) as genome:
        for row in table.itertuples():
            assert genome.fetch(row.chrom, row.pos - 1, row.pos) == row.ref
            file_ref, file_alt = fields[row.chrom, row.pos][3:5]
            assert (row.ref, row.alt) == (
                (file_alt, file_ref) if row.flipped else (file_ref, file_alt)
            )
    dosage, _ = io.read_dosages(vcf, table)
    expected = np.array(
        [alt_dosage(fields[c, p]) for c, p in zip(table["chrom"], table["pos"], strict=True)]
    )
    expected[table["flipped"].to_numpy()] = 2 - expected[table["flipped"].to_numpy()]
    np.testing.assert_array_equal(dosage, expected.astype(np.float32))


def test_flipped_multiallelic_and_haploid_dosages_count_the_file_ref(tmp_path):
    genome = "ACGTACGTAC" * 5
    io.write_fasta(tmp_path / "g.fa", {"chr1": genome})
    # pos 2 is C in the genome; the record says REF T, ALT C,G: C>T once flipped
    lines = ["##fileformat=VCFv4.2", "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\ta\tb\tc\td",
             "chr1\t2\tm\tT\tC,G\t.\tPASS\t.\tGT\t0/1\t1/2\t2|2\t0",
             "chr1\t5\th\tG\tA\t.\tPASS\t.\tGT:DP\t1:3\t0:2\t.:0\t0/1:4"]  # fmt: skip
    (tmp_path / "v.vcf").write_text("\n".join(lines) + "\n")
    table, counts = read_quietly(tmp_path / "v.vcf", tmp_path / "g.fa", flip_swapped=True)
    assert counts["flipped"] == 2 and counts["ref_mismatch"] == 1  # T>G: neither allele is C
    assert table[["pos", "ref", "alt"]].values.tolist() == [[2, "C", "T"], [5, "A", "G"]]
    dosage, _ = io.read_dosages(tmp_path / "v.vcf", table)
    # copies of the file's REF allele: T at pos 2; G at pos 5 (haploid calls count once)
    np.testing.assert_array_equal(dosage, np.array([[1, 0, 0, 1], [0, 1, np.nan, 1]], np.float32))


def test_a_wholly_swapped_vcf_is_refused_as_swapped_not_as_another_build(byod_case):
    case = byod_case("vcf_partly_swapped")
    lines = (case / "calls.vcf").read_text().splitlines()
    with pysam.FastaFile(str(case / "genome.fa")) as genome:
        swapped = []
        for line in lines:
            f = line.split("\t")
            if not line.startswith("#") and genome.fetch(f[0], int(f[1]) - 1, int(f[1])) == f[3]:
                f[3], f[4] = f[4], f[3]
            swapped.append("\t".join(f))
    (case / "all_swapped.vcf").write_text("\n".join(swapped) + "\n")
    with pytest.raises(InputFileError, match=r"none of its 20 REF alleles matches .*for 20 of them the ALT "
                                             r"allele is the genome's base.*flip_swapped=True"):  # fmt: skip
        io.read_vcf(case / "all_swapped.vcf", case / "genome.fa")


def test_score_variants_refuses_ref_mismatches_and_stores_flipped_rows(byod_case, tmp_path):
    case = byod_case("vcf_partly_swapped")
    fasta = case / "genome.fa"
    out = tmp_path / "bad"
    with pytest.raises(InputFileError, match=r"genome\.fa: 3 of 20 variants to score do not fit this genome "
                                             r"\(3 with a REF that is not the genome's base; first: "
                                             r"chr1:2600 T>C: the genome has C \(REF and ALT exchanged"):  # fmt: skip
        score(raw_table(case / "calls.vcf"), fasta, out / "scores.h5")
    assert not out.exists() or not list(out.iterdir())
    table, _ = read_quietly(case / "calls.vcf", fasta, flip_swapped=True)
    scores = variants.read_scores(score(table, fasta, tmp_path / "good" / "scores.h5"))
    stored = scores.variants.set_index(["chrom", "pos"])["flipped"]
    assert stored.dtype == bool and sorted(stored[stored].index) == SWAPPED
    assert len(stored) == 20 and np.isfinite(scores.sad).all()
    # a score file written before the column existed reads with flipped False
    import h5py

    old = shutil.copy(tmp_path / "good" / "scores.h5", tmp_path / "old.h5")
    with h5py.File(old, "a") as h5:
        del h5["variants/flipped"]
    assert not variants.read_scores(old).variants["flipped"].any()


# -- vcf_no_info_column ------------------------------------------------------------------------


def test_records_short_of_the_header_are_refused_with_record_and_line(byod_case):
    case = byod_case("vcf_no_info_column")
    with pytest.raises(InputFileError, match=r"calls\.vcf: record 1 \(line 5\) has 7 tab-separated fields "
                                             r"but the #CHROM line declares 8 \(CHROM to INFO\).*INFO may "
                                             r"be '\.'"):  # fmt: skip
        io.read_vcf(case / "calls.vcf", case / "genome.fa")


def test_a_header_without_info_is_read_and_sites_only_vcfs_have_no_dosages(byod_case):
    case = byod_case("vcf_no_info_column")
    table, counts = io.read_vcf(case / "calls_header7.vcf", case / "genome.fa")
    assert list(table["pos"]) == [700, 1700, 2700, 3700] and table["variant_id"].iloc[0] == "rs300"
    assert counts["kept"] == 4
    for name in ("calls_header7.vcf", "calls.vcf"):
        with pytest.raises(
            InputFileError, match=rf"{name}: has no sample columns \(a sites-only VCF\)"
        ):
            io.read_dosages(case / name, table)


def test_vcfs_without_contig_lines_are_read(byod_case):
    case = byod_case("vcf_duplicate_records")
    text = (case / "calls.vcf").read_text()
    bare = "".join(line for line in text.splitlines(True) if not line.startswith("##contig"))
    (case / "bare.vcf").write_text(bare)
    table, counts = read_quietly(case / "bare.vcf", case / "genome.fa")
    assert counts["kept"] == 4
    dosage, _ = io.read_dosages(case / "bare.vcf", table)
    np.testing.assert_array_equal(dosage, io.read_dosages(case / "calls.vcf", table)[0])


def test_a_record_short_of_its_sample_columns_is_named_by_line(byod_case):
    case = byod_case("vcf_duplicate_records")
    lines = (case / "calls.vcf").read_text().splitlines()
    lines[6] = lines[6].rsplit("\t", 1)[0]  # chr1:3001 loses its last sample
    (case / "short.vcf").write_text("\n".join(lines[:6] + lines[6:7] + lines[8:]) + "\n")
    table, _ = read_quietly(case / "short.vcf", case / "genome.fa")
    with pytest.raises(InputFileError, match=r"short\.vcf: the record at chr1:3001 \(line 7\) has 12 "
                                             r"tab-separated fields but the #CHROM line declares 13 \(4 samples\)"):  # fmt: skip
        io.read_dosages(case / "short.vcf", table)


# -- gtex_truncated_gzip -----------------------------------------------------------------------


def test_truncated_gtex_table_is_named_as_truncated(byod_case):
    case = byod_case("gtex_truncated_gzip")
    with pytest.raises(InputFileError, match=r"Liver\.v8\.allpairs\.txt\.gz: is truncated.*copy or "
                                             r"download it again"):  # fmt: skip
        io.read_gtex_eqtl(case / "Liver.v8.allpairs.txt.gz")


def test_every_gzipped_table_reader_names_a_truncated_file(tmp_path):
    rows = 400
    de_novo = "SampleID\tChr\tPos\tRef\tAlt\tType\tFam\tPheno\n" + "".join(
        f"s{i}\tchr1\t{1000 + i}\tA\tG\tSNV\tf{i}\t{'case' if i % 2 else 'control'}\n"
        for i in range(rows)
    )
    gwas = "variant_id\tchrom\tpos\tref\talt\tmaf\tlabel\tfold\n" + "".join(
        f"v{i}\tchr1\t{1000 + i}\tA\tG\t0.{i % 9 + 1}\t{i % 2}\t{i % 5}\n" for i in range(rows))  # fmt: skip
    for reader, text in ((io.read_de_novo, de_novo), (io.read_gwas_set, gwas)):
        (tmp_path / "whole.tsv.gz").write_bytes(gzip.compress(text.encode()))
        assert len(reader(tmp_path / "whole.tsv.gz")) == rows  # the whole file reads
        cut = truncated_gzip(tmp_path / f"{reader.__name__}.tsv.gz", text)
        with pytest.raises(InputFileError, match=rf"{reader.__name__}\.tsv\.gz: is truncated"):
            reader(cut)
    # a gzipped table named without .gz, and an unpacked one still named .gz, both read
    (tmp_path / "gwas.tsv").write_bytes(gzip.compress(gwas.encode()))
    (tmp_path / "unpacked.tsv.gz").write_text(gwas)
    assert len(io.read_gwas_set(tmp_path / "gwas.tsv")) == len(
        io.read_gwas_set(tmp_path / "unpacked.tsv.gz")
    )


def test_damaged_compressed_files_are_reported_as_such():
    import zlib

    from seqreg.io._compressed import _read_error

    text = str(
        _read_error("s2.xlsx", zipfile.BadZipFile("File is not a zip file"), "de novo table")
    )
    assert (
        text.startswith("s2.xlsx: is not a complete zip (xlsx) file")
        and "download it again" in text
    )
    text = str(_read_error("t.gz", zlib.error("invalid block type"), "GTEx eQTL table"))
    assert text.startswith("t.gz: is corrupt") and "invalid block type" in text
    assert str(_read_error("t.tsv", ValueError("bad"), "GTEx eQTL table")) == (
        "t.tsv: is not a readable GTEx eQTL table (bad)"
    )


def test_de_novo_table_reads_from_xlsx_and_a_cut_xlsx_is_named(tmp_path):
    import pandas as pd

    table = pd.DataFrame({"SampleID": ["s1", "s2"], "Chr": ["chr1", "chr2"], "Pos": [1000, 2000],
                          "Ref": ["A", "C"], "Alt": ["G", "T"], "Type": ["SNV", "SNV"],
                          "Fam": ["f1", "f2"], "Pheno": ["case", "control"]})  # fmt: skip
    path = tmp_path / "S2.xlsx"
    table.to_excel(path, index=False)
    read = io.read_de_novo(path)
    assert read[["Chr", "Pos", "Pheno"]].values.tolist() == [
        ["chr1", 1000, "case"],
        ["chr2", 2000, "control"],
    ]
    path.write_bytes(path.read_bytes()[:400])  # an interrupted download
    with pytest.raises(InputFileError, match=r"S2\.xlsx: is not a complete zip \(xlsx\) file"):
        io.read_de_novo(path)
