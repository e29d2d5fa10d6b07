"""Users' own datasets: the cases of tests/cases/byod about genomes, BEDs, TSSs and
bigWigs, and the other files of the same kinds (every reader of the kind gets the same fix)."""

from __future__ import annotations

import gzip
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from seqreg import data, io, project, variants
from seqreg.project import scales
from seqreg.project.errors import InputFileError


def _spec():
    return data.WindowSpec(**scales.preset("preprocess", "smoke"))


def _prepared(case, manifest="dataset.yaml"):
    project.prepare(case / manifest, "smoke", case, progress=False)
    return project.load_manifest(case / manifest, "smoke", case)


def _cli_prepare(case, manifest="dataset.yaml"):
    args = ["-m", "seqreg.project.datasets", "prepare", "--dataset", str(case / manifest),
            "--scale", "smoke", "--data-root", str(case), "--no-progress"]  # fmt: skip
    return subprocess.run([sys.executable, *args], capture_output=True, text=True)


# -- TSSs ----------------------------------------------------------------------------
def test_bed6_tss_file_reads_the_name_column_as_gene_id(byod_case):
    case = byod_case("tss_bed6")
    tss = data.dataset_tss(_prepared(case))
    assert list(tss.columns) == io.TSS_COLUMNS
    assert tss["gene_id"].tolist() == [
        "ENSG00000000101.1", "ENSG00000000101.1", "ENSG00000000102.1",
        "ENSG00000000103.1", "ENSG00000000104.1",
    ]  # fmt: skip
    assert tss["position"].tolist() == [1000, 1500, 8499, 2000, 6999]
    assert tss["transcript_id"].is_unique  # each line its own TSS, alternative TSSs kept apart


def test_tss_come_from_the_gtf_when_the_dataset_lists_no_tss_file(byod_case):
    case = byod_case("tss_bed6")
    from_bed = data.dataset_tss(_prepared(case))
    from_gtf = data.dataset_tss(_prepared(case, "dataset_gtf_only.yaml"))
    keys = ["chrom", "position", "strand", "gene_id"]
    pd.testing.assert_frame_equal(from_gtf[keys], from_bed[keys])
    # GENE1's two transcripts start at different bases: two TSSs of one gene
    assert from_gtf.groupby("gene_id").size()["ENSG00000000101.1"] == 2
    assert set(from_gtf["transcript_id"]) >= {"ENST00000000101.1", "ENST00000000105.1"}


def test_tss_from_gtf_without_transcript_records_uses_exons_then_genes(tmp_path):
    exons = (
        'c1\tt\texon\t101\t200\t.\t-\t.\tgene_id "g1"; transcript_id "t1";\n'
        'c1\tt\texon\t301\t400\t.\t-\t.\tgene_id "g1"; transcript_id "t1";\n'
    )
    (tmp_path / "exons.gtf").write_text(exons)
    tss = io.tss_from_gtf(tmp_path / "exons.gtf")
    assert tss[["position", "strand", "gene_id"]].values.tolist() == [[399, "-", "g1"]]
    (tmp_path / "genes.gtf").write_text('c1\tt\tgene\t11\t50\t.\t+\t.\tgene_id "g2";\n')
    assert io.tss_from_gtf(tmp_path / "genes.gtf")["position"].tolist() == [10]
    (tmp_path / "none.gtf").write_text('c1\tt\tCDS\t11\t50\t.\t+\t.\tgene_id "g2";\n')
    with pytest.raises(InputFileError, match=r"none\.gtf: has no transcript, gene or exon"):
        io.tss_from_gtf(tmp_path / "none.gtf")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("chr1\t10\t11\tg1\t0\n", r"needs 6 columns .* line 1 has 5"),
        ("track name=x\nchr1\tten\t11\tg1\t0\t+\n", r"must be integers; line 2"),
        ("chr1\t10\t11\tg1\t0\t.\n", r"strand\) must be \+ or -; line 1 has '\.'"),
    ],
)
def test_a_malformed_tss_bed_names_the_line(tmp_path, text, problem):
    (tmp_path / "tss.bed").write_text(text)
    with pytest.raises(InputFileError, match=r"tss\.bed: .*" + problem):
        io.read_tss(tmp_path / "tss.bed")


def test_a_dataset_without_tss_or_gtf_says_so(byod_case):
    case = byod_case("tiny_genome_split")
    with pytest.raises(InputFileError, match="neither a 'tss' file nor a 'gene_annotation' GTF"):
        data.dataset_tss(_prepared(case))


# -- chromosome names across files ----------------------------------------------------------
def test_beds_spelled_without_chr_mask_and_pair_as_the_fasta_names(byod_case):
    case = byod_case("bed_chrom_alias")
    manifest = _prepared(case)
    spec = _spec()
    _, dropped = data.plan_windows(manifest, spec, valid_fraction=0.1, test_fraction=0.1)
    assert dropped == 2  # unmappable.bed (1 0 4096, 2 4096 6144) removes two windows
    window = pd.DataFrame({"chrom": ["chr1"], "start": [4096], "end": [8192]})
    targets = data.read_window_targets(manifest, manifest.tracks[0], window, spec)
    assert float(np.nanmax(targets)) < 1000  # the 50x artifact under blacklist.bed is masked
    tss = data.dataset_tss(manifest)
    assert set(tss["chrom"]) == {"chr1", "chr2"}
    calls = pd.DataFrame({"chrom": ["chr1", "chr1", "chr2"], "pos": [1200, 8300, 2300]})
    pairs = variants.gene_pairs(calls, tss, 1000)
    assert len(pairs) == 3 and set(pairs["gene_id"]) == {
        "ENSG00000000101.1",
        "ENSG00000000102.1",
        "ENSG00000000103.1",
    }


def test_a_file_naming_no_chromosome_of_the_fasta_names_both_files(byod_case):
    case = byod_case("bed_chrom_alias")
    (case / "data" / "blacklist.bed").write_text("scaffold_9\t10\t20\n")
    with pytest.raises(
        InputFileError,
        match=r"blacklist\.bed: none of its 1 chromosome names \('scaffold_9'\) .*genome\.fa",
    ):
        _prepared(case)


@pytest.mark.parametrize("name", ["unmappable.bed", "tss.bed"])
def test_an_interval_past_the_chromosome_end_names_both_files(byod_case, name):
    case = byod_case("bed_chrom_alias")
    path = case / "data" / name
    path.write_text(path.read_text() + "2\t8000\t8193\tx\t0\t+\tg\n")
    with pytest.raises(
        InputFileError,
        match=rf"{name}: a record on '2' ends at 8,193, past .*8,192 bp in .*genome\.fa",
    ):
        _prepared(case)


def test_gtf_and_vcf_chromosomes_are_checked_too(byod_case):
    case = byod_case("tss_bed6")
    gtf = case / "data" / "genes.gtf"
    gtf.write_text(gtf.read_text().replace("chr1\t", "1\t").replace("chr2\t", "2\t"))
    _prepared(case)  # the other spelling is fine
    gtf.write_text(gtf.read_text().replace("1\ttoy\tgene\t1001\t3000", "1\ttoy\tgene\t1001\t99999"))
    with pytest.raises(InputFileError, match=r"genes\.gtf: a record on '1' ends at 99,999"):
        _prepared(case)
    case = byod_case("bed_chrom_alias")
    vcf = case / "data" / "calls.vcf.gz"
    text = (
        (case / "calls.vcf")
        .read_text()
        .replace("chr1\t1200", "chrZ\t1200")
        .replace("chr1\t8300", "chrZ\t8300")
        .replace("chr2\t2300", "chrZ\t2300")
    )
    with gzip.open(vcf, "wt") as handle:
        handle.write(text)
    manifest = (case / "dataset.yaml").read_text()
    (case / "dataset.yaml").write_text(manifest.replace(
        "tracks:", "  - {id: calls, role: genotypes, format: vcf_gz, path: calls.vcf.gz}\ntracks:"
    ))  # fmt: skip
    with pytest.raises(
        InputFileError, match=r"calls\.vcf\.gz: none of its 1 chromosome names \('chrZ'\)"
    ):
        _prepared(case)


# -- tracks -------------------------------------------------------------------------
def test_a_track_of_only_nan_is_refused_by_prepare(byod_case):
    case = byod_case("bigwig_nan_only")
    proc = _cli_prepare(case)
    assert proc.returncode == 1
    assert "track.bw: track 'dnase_c1' holds no finite value" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert io.chroms_without_values(case / "data" / "track.bw") == ["chr1", "chr2"]


def test_a_track_lacking_a_chromosome_is_named_and_the_chromosome_can_be_excluded(byod_case):
    case = byod_case("bigwig_missing_chrom")
    with pytest.raises(
        InputFileError,
        match=r"track\.bw: track 'dnase_c1' has no chromosome 'chr2' .*exclude_chroms: \[chr2\]",
    ):
        _prepared(case)
    text = (case / "dataset.yaml").read_text()
    (case / "dataset.yaml").write_text(
        text.replace("assembly: toy}", "assembly: toy, exclude_chroms: [chr2]}")
    )
    manifest = _prepared(case)
    assert data.genome_chrom_sizes(manifest) == {"chr1": 12288}
    spec = _spec()
    windows, _ = data.plan_windows(manifest, spec, valid_fraction=0.2, test_fraction=0.2)
    assert windows["split"].value_counts().to_dict() == {"train": 1, "valid": 1, "test": 1}
    assert set(windows["chrom"]) == {"chr1"}
    store = data.build_store(manifest, case / "store.h5", spec, windows, progress=False)
    info = data.read_store_info(store)
    assert info["statistics"]["windows"] == len(windows)


def test_exclude_chroms_takes_patterns_in_either_spelling(tmp_path):
    from seqreg.project.manifest import Genome

    genome = Genome("h", "Homo sapiens", "x", exclude_chroms=("chrUn_*", "Y", "chrM"))
    assert [c for c in ["chr1", "chrUn_gl1", "chrY", "MT", "Un_x"] if genome.excludes(c)] == [
        "chrUn_gl1", "chrY", "MT", "Un_x",
    ]  # fmt: skip


def test_exclude_chroms_must_be_a_list_of_names(byod_case):
    case = byod_case("tiny_genome_split")
    text = (case / "dataset.yaml").read_text()
    (case / "dataset.yaml").write_text(
        text.replace("assembly: toy}", "assembly: toy, exclude_chroms: chrY}")
    )
    with pytest.raises(project.ManifestError, match=r"genomes\[0\]\.exclude_chroms"):
        project.load_manifest(case / "dataset.yaml", "smoke", case)


# -- splits ---------------------------------------------------------------------------
def test_a_tiny_genome_still_gets_every_split(byod_case):
    case = byod_case("tiny_genome_split")
    windows, _ = data.plan_windows(_prepared(case), _spec(), valid_fraction=0.1, test_fraction=0.1)
    counts = windows["split"].value_counts().to_dict()
    assert counts.get("train", 0) >= 3 and counts.get("valid") == 1 and counts.get("test") == 1


def test_no_window_for_training_is_an_error_and_an_empty_split_a_warning():
    windows = pd.DataFrame({"chrom": ["c1", "c1"], "start": [0, 100], "end": [100, 200]})
    with pytest.raises(ValueError, match="no window is left for training: 2 windows"):
        data.assign_splits(windows, chromosomes={"test": ["c1"]})
    with pytest.warns(UserWarning, match="the valid split is empty"):
        split = data.assign_splits(windows, 0.5, 0.5)
    assert sorted(split["split"]) == ["test", "train"]
    genome = pd.DataFrame({"chrom": ["c1"] * 400, "start": np.arange(400) * 100})
    genome["end"] = genome["start"] + 100
    split = data.assign_splits(genome, 0.05, 0.05)
    # a genome of many blocks keeps the contiguous 8-window blocks
    runs = (split["split"] != split["split"].shift()).sum()
    assert runs < 40 and (split["split"] == "test").sum() >= 20


def test_a_genome_without_room_for_one_window_is_an_error(byod_case):
    case = byod_case("tiny_genome_split")
    manifest = _prepared(case)
    spec = data.WindowSpec(**{**scales.preset("preprocess", "smoke"), "seq_length": 32768})
    with pytest.raises(InputFileError, match=r"genome\.fa: no chromosome holds a 32,768-bp window"):
        data.plan_windows(manifest, spec)


# -- FASTA files ----------------------------------------------------------------------
def test_a_plain_gzip_fasta_gets_one_line_naming_it(byod_case):
    case = byod_case("fasta_plain_gzip")
    proc = _cli_prepare(case)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    line = proc.stderr.strip().splitlines()[-1]
    assert line.startswith("error: ") and "genome.fa.gz: is compressed with plain gzip" in line
    assert "bgzip" in line and "unpack: gunzip" in line
    assert not list((case / "data").glob("*.fai"))


def test_a_gzipped_or_binary_file_declared_fasta_is_named(tmp_path):
    with gzip.open(tmp_path / "g.fa", "wt") as handle:
        handle.write(">c1\nACGT\n")
    with pytest.raises(
        InputFileError, match=r"g\.fa: is gzip-compressed but declared 'format: fasta'"
    ):
        io.ensure_fasta_index(tmp_path / "g.fa", "fasta")
    (tmp_path / "b.fa").write_bytes(b"\x00\x01binary")
    with pytest.raises(InputFileError, match=r"b\.fa: is not a FASTA file"):
        io.ensure_fasta_index(tmp_path / "b.fa")


def test_a_truncated_or_stale_fasta_index_is_rebuilt(tmp_path):
    fasta = io.write_fasta(tmp_path / "g.fa", {"c1": "ACGT" * 50, "c2": "GGCC" * 30})
    index = tmp_path / "g.fa.fai"
    good = index.read_text()
    index.write_text(good.splitlines()[0][:8] + "\n")  # cut short by an interrupted copy
    io.ensure_fasta_index(fasta)
    assert index.read_text() == good
    # an index of another FASTA, newer than this one: offsets do not fall on line starts
    index.write_text("c1\t200\t3\t60\t61\nc2\t120\t250\t60\t61\n")
    io.ensure_fasta_index(fasta)
    assert index.read_text() == good


# -- truncated compressed files, in every reader of the kind -------------------------------
@pytest.mark.parametrize("reader", ["read_bed", "read_tss", "read_blueprint_qtl"])
def test_a_truncated_gzip_is_named_as_truncated(tmp_path, reader):
    rows = "".join(f"chr1\t{i * 10}\t{i * 10 + 1}\tg{i}\t0\t+\n" for i in range(3000))
    payload = gzip.compress(rows.encode())
    path = tmp_path / "cut.bed.gz"
    path.write_bytes(payload[: len(payload) // 2])  # an interrupted copy
    with pytest.raises(
        InputFileError, match=r"cut\.bed\.gz: is truncated.*copy or download it again"
    ):
        getattr(io, reader)(path)


# -- the remaining cases, as their files come ------------------------------------------------
def test_a_bigwig_spelled_1_is_read_for_a_fasta_spelled_chr1(byod_case):
    case = byod_case("bigwig_chrom_alias")
    manifest = _prepared(case)
    qc = io.coverage_qc(manifest.tracks[0].local_path, list(data.genome_chrom_sizes(manifest)))
    assert qc["chrom"].tolist() == ["chr1", "chr2"] and qc["length"].tolist() == [12288, 8192]
    assert (qc["nan_fraction"] < 1).all()
    spec = _spec()
    windows, _ = data.plan_windows(manifest, spec, valid_fraction=0.2, test_fraction=0.2)
    store = data.build_store(manifest, case / "store.h5", spec, windows, progress=False)
    _, targets, _ = data.load_split(store, "train")
    assert np.isfinite(targets).all() and targets.max() > 0


def test_a_bed_starting_with_browser_and_track_lines_masks_its_intervals(byod_case):
    case = byod_case("bed_track_line")
    intervals = io.read_bed(case / "data" / "unmappable.bed")
    assert intervals.values.tolist() == [
        ["chr1", 0, 4096],
        ["chr1", 9000, 9400],
        ["chr2", 6000, 8192],
    ]
    windows, dropped = data.plan_windows(
        _prepared(case), _spec(), valid_fraction=0.2, test_fraction=0.2
    )
    assert dropped == 2 and len(windows) == 3  # chr1:0-4096 and chr2:4096-8192


def test_notebook_parameters_arrive_typed_or_are_refused(project_root):
    # tests/cases/byod/parameters_typed: -p values of notebook 15 from the command line
    from seqreg.project.run import ParameterError, convert_parameters

    notebook = project_root / "notebooks" / "15_qtl_connectivity.ipynb"
    typed = convert_parameters(notebook, {"fdr_max": "5e-2", "bin_size": "1e4"})
    assert typed == {"fdr_max": 0.05, "bin_size": 10000}
    assert isinstance(typed["bin_size"], int) and isinstance(typed["fdr_max"], float)
    with pytest.raises(ParameterError, match=r"fdr_maximum.*did you mean 'fdr_max'"):
        convert_parameters(notebook, {"fdr_maximum": "0.0001"})
    with pytest.raises(ParameterError, match=r"bin_size.*int.*12\.5"):
        convert_parameters(notebook, {"bin_size": "12.5"})


def test_a_fasta_naming_a_chromosome_twice_is_named(tmp_path):
    (tmp_path / "g.fa").write_text(">1\nACGT\n>2\nACGT\n>1\nGGGG\n")
    with pytest.raises(InputFileError, match=r"g\.fa: names chromosome \"1\" twice"):
        io.ensure_fasta_index(tmp_path / "g.fa")
    assert not (tmp_path / "g.fa.fai").exists()


def test_the_data_stamp_changes_only_with_the_data_and_goes_when_a_check_fails(byod_case):
    case = byod_case("bigwig_chrom_alias")
    stamp = project.stamp_path("dataset", "smoke", case)
    _prepared(case)
    before = stamp.stat().st_mtime_ns
    _prepared(case)  # nothing changed: the stamp is left alone, so Make reruns nothing
    assert stamp.stat().st_mtime_ns == before
    # a track replaced on disk by one that holds only NaN: checked again, refused, no stamp
    nan_only = byod_case("bigwig_nan_only") / "data" / "track.bw"
    (case / "data" / "track.bw").write_bytes(nan_only.read_bytes())
    with pytest.raises(InputFileError, match="holds no finite value"):
        _prepared(case)
    assert not stamp.exists()


def test_reading_values_of_an_all_nan_track_names_it(byod_case):
    # the track readers refuse it too, for notebooks run without prepare's check
    case = byod_case("bigwig_nan_only")
    with pytest.raises(InputFileError, match=r"track\.bw: holds no finite value \(every value"):
        io.sample_values(case / "data" / "track.bw", 1000)
    with pytest.raises(InputFileError, match=r"track\.bw: holds no finite value on chr2"):
        io.sample_values(case / "data" / "track.bw", 1000, chroms=["chr2"])
    # and a store is not built from it (nothing written)
    manifest = project.load_manifest(case / "dataset.yaml", "smoke", case)
    windows = pd.DataFrame({"chrom": ["chr1", "chr1"], "start": [0, 4096], "end": [4096, 8192],
                            "split": ["train", "valid"]})  # fmt: skip
    io.ensure_fasta_index(manifest.path_of("genome_fasta"))
    with pytest.raises(
        InputFileError,
        match=r"track\.bw: track 'dnase_c1' holds no finite value in any of the 2 windows",
    ):
        data.build_store(manifest, case / "store.h5", _spec(), windows, progress=False)
    assert not list(case.glob("*store*"))


def test_a_gtf_line_with_too_few_columns_is_named(tmp_path):
    good = 'chr1\tt\tgene\t11\t50\t.\t+\t.\tgene_id "g1";\n'
    (tmp_path / "g.gtf").write_text("#!genome-build x\n" + good + "chr1\tt\tgene\t60\n" + good)
    with pytest.raises(
        InputFileError, match=r"g\.gtf: line 3 \('chr1\\tt\\tgene\\t60'\) has fewer than the 9"
    ):
        io.read_gtf(tmp_path / "g.gtf")


def test_make_data_refuses_a_short_gtf_line_before_any_notebook_runs(byod_case):
    """A GTF line short of its 9 columns used to pass the data checks and stop notebook 03
    after training; the data step now reads every column and names the line."""
    case = byod_case("tss_bed6")
    gtf = case / "data" / "genes.gtf"
    lines = gtf.read_text().splitlines(keepends=True)
    lines.insert(2, "chr1\ttoy\texon\t7501\t8200\t.\t+\t.\n")
    gtf.write_text("".join(lines))
    with pytest.raises(InputFileError, match=r"genes\.gtf: line 3 .* fewer than the 9"):
        project.prepare(case / "dataset_gtf_only.yaml", "smoke", case, progress=False)
    lines[2] = 'chr1\ttoy\texon\tstart\t8200\t.\t+\t.\tgene_id "g";\n'
    gtf.write_text("".join(lines))
    with pytest.raises(InputFileError, match=r"genes\.gtf: line 3 .* start is not a whole number"):
        project.prepare(case / "dataset_gtf_only.yaml", "smoke", case, progress=False)


def test_make_data_refuses_a_vcf_record_short_of_its_header(byod_case):
    """The chromosome check of a dataset's VCF reads it as notebook 06 does: a record with
    fewer fields than the #CHROM line declares is named at data time."""
    from seqreg.project import datasets

    case = byod_case("vcf_no_info_column")
    with pytest.raises(
        InputFileError, match=r"calls\.vcf: record 1 \(line 5\) has 7 tab-separated"
    ):
        datasets._read_chroms(case / "calls.vcf", "vcf_gz")
    assert datasets._read_chroms(case / "calls_header7.vcf", "vcf_gz")["ends"]
