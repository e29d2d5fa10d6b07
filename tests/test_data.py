"""prepare(): generated and downloaded datasets, verification state, and up-front checks."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import textwrap

import numpy as np
import pytest

import seqreg.project.datasets as data_module
from seqreg.io import write_bigwig, write_fasta
from seqreg.project import ChecksumMismatchError, InputFileError, prepare, stamp_path


def test_generated_dataset_is_complete_and_not_regenerated(smoke_manifest, smoke_data_root):
    for entry in smoke_manifest.all_entries():
        assert entry.local_path.is_file(), entry.id
    assert stamp_path("synthetic", "smoke", smoke_data_root).is_file()
    fasta = smoke_manifest.path_of("genome_fasta", "human")
    before = fasta.stat().st_mtime_ns
    prepare("synthetic", "smoke", smoke_data_root, progress=False)
    assert fasta.stat().st_mtime_ns == before


def test_generation_is_deterministic(smoke_manifest, tmp_path):
    prepare("synthetic", "smoke", tmp_path, progress=False)
    for entry in smoke_manifest.all_entries():
        again = tmp_path / entry.local_path.relative_to(smoke_manifest.root.parents[1])
        assert again.read_bytes() == entry.local_path.read_bytes(), entry.id


def test_interrupted_generation_leaves_no_dataset(tmp_path, monkeypatch):
    def broken(manifest, out_dir, progress=True):
        (out_dir / "genome").mkdir()
        (out_dir / "genome" / "syn1.fa").write_text(">chr1\nACGT\n")
        raise KeyboardInterrupt

    monkeypatch.setattr(data_module, "resolve_generator", lambda spec: broken)
    with pytest.raises(KeyboardInterrupt):
        prepare("synthetic", "smoke", tmp_path, progress=False)
    assert not (tmp_path / "synthetic" / "smoke").exists()
    assert not stamp_path("synthetic", "smoke", tmp_path).exists()
    monkeypatch.undo()
    prepare("synthetic", "smoke", tmp_path, progress=False)  # starts again and finishes
    assert not (tmp_path / "synthetic" / ".smoke.partial").exists()
    assert (tmp_path / "synthetic" / "smoke" / "genome" / "syn1.fa.fai").is_file()


def test_missing_generated_file_triggers_regeneration(tmp_path):
    m = prepare("synthetic", "smoke", tmp_path, progress=False)
    gaps = m.path_of("gaps", "human")
    expected = gaps.read_bytes()
    gaps.unlink()
    prepare("synthetic", "smoke", tmp_path, progress=False)
    assert gaps.read_bytes() == expected


def test_interrupted_regeneration_keeps_the_old_dataset_but_not_its_stamp(tmp_path, monkeypatch):
    m = prepare("synthetic", "smoke", tmp_path, progress=False)
    stamp = stamp_path("synthetic", "smoke", tmp_path)
    assert stamp.exists()
    fasta = m.path_of("genome_fasta", "human").read_bytes()

    def changed_code(manifest):
        return {"digest": "a newer generator"}

    def broken(manifest, out_dir, progress=True):
        raise KeyboardInterrupt

    monkeypatch.setattr(data_module, "generator_fingerprint", changed_code)
    monkeypatch.setattr(data_module, "resolve_generator", lambda spec: broken)
    with pytest.raises(KeyboardInterrupt):
        prepare("synthetic", "smoke", tmp_path, progress=False)
    assert not stamp.exists(), "a stale stamp would let make run notebooks on old data"
    assert m.path_of("genome_fasta", "human").read_bytes() == fasta  # old data intact


def test_generator_fingerprint_covers_imported_modules():
    from seqreg.project.datasets import _package_sources

    names = {f"{p.parent.name}/{p.name}" for p in _package_sources("seqreg.simulate")}
    expected = {"simulate/__init__.py", "simulate/grammar.py", "simulate/signal.py", "simulate/sequence.py",
                "simulate/genes.py", "simulate/variants.py", "simulate/population.py", "io/fasta.py",
                "io/bigwig.py", "project/files.py", "sequence/motifs.py",
                "seqreg/stats.py"}  # fmt: skip
    assert expected <= names, expected - names
    assert "project/run.py" not in names and not any(n.startswith("plots/") for n in names)


# -- a small downloaded dataset (file:// sources) -------------------------------------
def _sources(tmp_path, chrom_names=("chr1", "chr2"), bigwig_names=("chr1", "chr2"), bw_length=None):
    src = tmp_path / "src"
    src.mkdir()
    rng = np.random.default_rng(0)
    seqs = {c: bytes(rng.choice(list(b"ACGT"), 1000).astype(np.uint8)) for c in chrom_names}
    fasta = write_fasta(src / "g.fa", seqs)
    with open(fasta, "rb") as f, gzip.open(src / "g.fa.gz", "wb") as g:
        g.write(f.read())
    sizes = {c: bw_length or 1000 for c in bigwig_names}
    write_bigwig(
        src / "t.bw",
        sizes,
        {c: np.arange(-(-n // 100), dtype=float) for c, n in sizes.items()},
        100,
    )
    return src


def _manifest(tmp_path, src, checksum="unknown", extra=""):
    text = textwrap.dedent(
        f"""
        schema_version: 1
        name: mini
        description: test
        root: mini
        genomes: [{{id: g, species: s, assembly: a}}]
        files:
          - {{id: fasta, role: genome_fasta, format: fasta_gz, genome: g, path: g.fa.gz,
             url: "file://{src}/g.fa.gz", checksum: {checksum}, citation: test, unpack: gunzip}}
        {extra}
        tracks:
          - {{id: t, path: t.bw, format: bigwig, assay: DNase, cell_type: c, url: "file://{src}/t.bw",
             checksum: unknown, citation: test}}
        """
    )
    path = tmp_path / "mini.yaml"
    path.write_text(text)
    return path


def test_downloaded_dataset_records_unknown_checksums_and_skips_verified(tmp_path, monkeypatch):
    src = _sources(tmp_path)
    manifest_file = _manifest(tmp_path, src)
    data_root = tmp_path / "data"
    m = prepare(manifest_file, "smoke", data_root, progress=False)
    assert m.path_of("genome_fasta").name == "g.fa"  # unpacked
    assert m.path_of("genome_fasta").read_bytes() == (src / "g.fa").read_bytes()
    recorded = json.loads((m.root / ".seqreg" / "recorded_checksums.json").read_text())
    assert (
        recorded["t"]["checksum"]
        == "sha256:" + hashlib.sha256((src / "t.bw").read_bytes()).hexdigest()
    )

    def no_download(*args, **kwargs):
        raise AssertionError("a verified file was downloaded again")

    monkeypatch.setattr(data_module, "download", no_download)
    monkeypatch.setattr(data_module, "verify_file", no_download)
    prepare(manifest_file, "smoke", data_root, progress=False)


def test_recorded_checksum_catches_a_changed_source(tmp_path):
    src = _sources(tmp_path)
    manifest_file = _manifest(tmp_path, src)
    data_root = tmp_path / "data"
    m = prepare(manifest_file, "smoke", data_root, progress=False)
    m.entry("t").path.unlink()
    (src / "t.bw").write_bytes((src / "t.bw").read_bytes()[:-1] + b"\0")  # the source changed
    with pytest.raises(ChecksumMismatchError, match=r"t\.bw"):
        prepare(manifest_file, "smoke", data_root, progress=False)
    assert not m.entry("t").path.exists()


def test_new_url_is_recorded_afresh(tmp_path):
    src = _sources(tmp_path)
    manifest_file = _manifest(tmp_path, src)
    data_root = tmp_path / "data"
    m = prepare(manifest_file, "smoke", data_root, progress=False)
    newer = tmp_path / "newer"
    newer.mkdir()
    (newer / "t.bw").write_bytes((src / "t.bw").read_bytes())
    (newer / "g.fa.gz").write_bytes((src / "g.fa.gz").read_bytes())
    m.entry("t").path.unlink()
    manifest_file.write_text(
        manifest_file.read_text().replace(f"file://{src}/t.bw", f"file://{newer}/t.bw")
    )
    prepare(manifest_file, "smoke", data_root, progress=False)
    recorded = json.loads((m.root / ".seqreg" / "recorded_checksums.json").read_text())
    assert recorded["t"]["url"] == f"file://{newer}/t.bw"


def test_replaced_archive_is_unpacked_again(tmp_path):
    src = _sources(tmp_path)
    manifest_file = _manifest(tmp_path, src)
    data_root = tmp_path / "data"
    m = prepare(manifest_file, "smoke", data_root, progress=False)
    packed = m.entry("fasta").path
    old_mtime = packed.stat().st_mtime_ns
    with gzip.open(packed, "wb") as g:
        g.write(b">chr1\n" + b"A" * 1000 + b"\n>chr2\n" + b"C" * 1000 + b"\n")
    os.utime(packed, ns=(old_mtime, old_mtime))  # as cp -p or rsync -a would leave it
    recorded = m.root / ".seqreg" / "recorded_checksums.json"
    recorded.unlink()  # the user accepts the new file
    prepare(manifest_file, "smoke", data_root, progress=False)
    assert m.path_of("genome_fasta").read_bytes().startswith(b">chr1\nAAAA")


def test_corrupted_local_copy_is_downloaded_again(tmp_path):
    src = _sources(tmp_path)
    digest = "sha256:" + hashlib.sha256((src / "g.fa.gz").read_bytes()).hexdigest()
    manifest_file = _manifest(tmp_path, src, checksum=digest)
    data_root = tmp_path / "data"
    m = prepare(manifest_file, "smoke", data_root, progress=False)
    m.entry("fasta").path.write_bytes(b"corrupt")
    prepare(manifest_file, "smoke", data_root, progress=False)
    assert m.entry("fasta").path.read_bytes() == (src / "g.fa.gz").read_bytes()


def test_missing_local_file_is_named(tmp_path):
    src = _sources(tmp_path)
    extra = "  - {id: genes, role: gene_annotation, format: gtf, genome: g, path: genes.gtf}"
    manifest_file = _manifest(tmp_path, src, extra=extra)
    with pytest.raises(InputFileError, match=r"genes\.gtf.*'genes' \(no url\) but not found"):
        prepare(manifest_file, "smoke", tmp_path / "data", progress=False)


def test_chromosome_aliases_are_accepted(tmp_path):
    src = _sources(tmp_path, bigwig_names=("1", "2"))  # the track says 1, the FASTA chr1
    prepare(_manifest(tmp_path, src), "smoke", tmp_path / "data", progress=False)


def test_chromosome_naming_mismatch_names_both_files(tmp_path):
    src = _sources(tmp_path, bigwig_names=("scaffold_1", "scaffold_2"))
    with pytest.raises(InputFileError) as caught:
        prepare(_manifest(tmp_path, src), "smoke", tmp_path / "data", progress=False)
    text = str(caught.value)
    assert "t.bw" in text and "g.fa" in text and "'scaffold_1'" in text


def test_chromosome_length_mismatch_is_reported(tmp_path):
    src = _sources(tmp_path, bw_length=999)
    with pytest.raises(InputFileError, match="has length 999 but 1000"):
        prepare(_manifest(tmp_path, src), "smoke", tmp_path / "data", progress=False)


@pytest.mark.parametrize(
    ("sizes", "problem"),
    [
        ("chr1\t1000\nchr2\t999\n", r"chromosome 'chr2' has length 999 but 1000 in .*g\.fa"),
        ("chr1\t1000\n", r"lacks chromosome 'chr2' that .*g\.fa has"),
        ("chr1\t1000\nchr2\t1000\nchr9\t5\n", r"chromosome 'chr9' is not in .*g\.fa"),
    ],
)
def test_a_sizes_file_disagreeing_with_the_fasta_is_named(tmp_path, sizes, problem):
    src = _sources(tmp_path)
    (src / "g.sizes").write_text(sizes)
    extra = (f"  - {{id: sizes, role: chrom_sizes, format: chrom_sizes, genome: g, path: g.sizes, "
             f'url: "file://{src}/g.sizes", checksum: unknown, citation: test}}')  # fmt: skip
    with pytest.raises(InputFileError, match=r"g\.sizes: " + problem):
        prepare(_manifest(tmp_path, src, extra=extra), "smoke", tmp_path / "data", progress=False)


def test_cli_reports_errors_in_one_line(tmp_path, capsys):
    src = _sources(tmp_path, bw_length=999)
    code = data_module.main(["prepare", "--dataset", str(_manifest(tmp_path, src)), "--scale", "smoke",
                             "--data-root", str(tmp_path / "data"), "--no-progress"])  # fmt: skip
    assert code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("error: ") and "t.bw" in err[-1]


def test_quantile_normalisation_to_a_reference_by_hand():
    from seqreg.data import quantile_normalize_to_reference

    sample = np.array([0.0, 0.0, 1.0, 2.0, 4.0])
    reference = np.array([10.0, 20.0, 30.0, 50.0, 90.0])
    # ties 0, 0 -> mean(10, 20) = 15; 1 -> 30; 2 -> 50; 4 -> 90; 3 interpolates 50..90
    got = quantile_normalize_to_reference(
        np.array([0.0, 1.0, 2.0, 3.0, 4.0, np.nan, -1.0]), sample, reference
    )
    np.testing.assert_allclose(got[:5], [15, 30, 50, 70, 90])
    assert np.isnan(got[5]) and got[6] == 15  # below the sample: the smallest target
    # above the sample: the line through the top pairs, (1, 30), (2, 50), (4, 90) -> 20x + 10
    line = quantile_normalize_to_reference(np.array([6.0]), sample, reference, top=3)
    np.testing.assert_allclose(line, [130.0])
    # a track's own sample lands exactly on the reference's distribution
    rng = np.random.default_rng(0)
    track, ref = rng.gamma(0.5, 2.0, 1000), rng.lognormal(0, 1, 1000)
    mapped = quantile_normalize_to_reference(track, track, ref)
    np.testing.assert_allclose(np.sort(mapped), np.sort(ref))
    # a reference sample of another size is read at the sample's quantiles
    smaller = quantile_normalize_to_reference(track, track, np.sort(ref)[::2])
    assert np.all(np.diff(smaller[np.argsort(track)]) >= 0)
    with pytest.raises(ValueError, match="finite values"):
        quantile_normalize_to_reference(track, np.array([np.nan]), ref)


def _panel_dataset(data_root):
    """A FASTA, a label TSV of three cell types and their expression, in a manifest."""
    root = data_root / "panel"
    root.mkdir()
    rng = np.random.default_rng(0)
    write_fasta(root / "genome.fa", {"chr1": bytes(rng.choice(list(b"ACGT"), 3000))})
    rows = ["chr\tstart\tend\ta\tb\tc"] + [
        f"1\t{s}\t{s + 200}\t{s // 50 % 2}\t0\t1" for s in range(500, 2300, 50)
    ]
    with gzip.open(root / "labels.tsv.gz", "wt") as handle:
        handle.write("\n".join(rows) + "\n")
    (root / "rna.tsv").write_text("tf\ta\tb\tc\trna_only\nGATA1\t1\t2\t3\t4\nSPI1\t0\t1\t0\t2\n")
    manifest = data_root / "panel.yaml"
    manifest.write_text(textwrap.dedent("""\
        schema_version: 1
        name: panel
        description: a cell-type panel
        root: panel
        genomes:
          - {id: g, species: Homo sapiens, assembly: toy}
        files:
          - {id: genome, role: genome_fasta, format: fasta, path: genome.fa, genome: g}
          - {id: chromdragonn_labels, role: accessibility_labels, format: tsv_gz, path: labels.tsv.gz}
          - {id: chromdragonn_expression, role: tf_expression, format: tsv, path: rna.tsv}
        """))  # fmt: skip
    return manifest


def test_prepare_reads_a_cell_type_panel_and_refuses_bad_labels_or_expression(tmp_path):
    manifest = _panel_dataset(tmp_path)
    prepare(manifest, "smoke", tmp_path, progress=False)
    stamp = stamp_path("panel", "smoke", tmp_path)
    assert stamp.exists()
    checked = json.loads((tmp_path / "panel" / ".seqreg" / "checked.json").read_text())
    assert [v["cell_types"] for k, v in checked.items() if k.startswith("panel:")] == [3]
    # expression lacking a labelled cell type: one error naming both files, no stamp
    (tmp_path / "panel" / "rna.tsv").write_text("tf\ta\tb\trna_only\nGATA1\t1\t2\t4\n")
    with pytest.raises(InputFileError, match=r"rna\.tsv.*no expression for 1 cell type.*labels"):
        prepare(manifest, "smoke", tmp_path, progress=False)
    assert not stamp.exists()
    (tmp_path / "panel" / "rna.tsv").write_text("tf\ta\tb\tc\nGATA1\t1\t2\t3\n")
    prepare(manifest, "smoke", tmp_path, progress=False)
    # a label that is not 0 or 1
    with gzip.open(tmp_path / "panel" / "labels.tsv.gz", "wt") as handle:
        handle.write("chr\tstart\tend\ta\tb\tc\n1\t500\t700\t0\t2\t1\n")
    with pytest.raises(InputFileError, match=r"labels\.tsv\.gz.*0 or 1"):
        prepare(manifest, "smoke", tmp_path, progress=False)
    assert not stamp.exists()
