"""Manifests: valid ones load; each kind of mistake gives one error naming file and field."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import yaml

from seqreg.project import ManifestError, Track, load_manifest

VALID = textwrap.dedent(
    """
    schema_version: 1
    name: mini
    description: a two-file dataset
    root: mini/{scale}
    genomes:
      - {id: human, species: Homo sapiens, assembly: hg38}
    files:
      - id: fasta
        role: genome_fasta
        format: fasta_gz
        genome: human
        path: genome/hg38.fa.gz
        url: https://example.org/hg38.fa.gz
        checksum: unknown
        citation: UCSC
        unpack: gunzip
      - {id: genes, role: gene_annotation, format: gtf_gz, genome: human, path: genes.gtf.gz}
    tracks:
      - {id: cage_p, path: t/p.bw, format: bigwig, assay: CAGE, cell_type: K562, strand: '+', strand_pair: cage_m}
      - {id: cage_m, path: t/m.bw, format: bigwig, assay: CAGE, cell_type: K562, strand: '-', strand_pair: cage_p, clip: 384}
    """
)


def write_manifest(tmp_path: Path, text: str = VALID, name: str = "mini") -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(text)
    return path


def edited(change) -> str:
    raw = yaml.safe_load(VALID)
    change(raw)
    return yaml.safe_dump(raw, sort_keys=False)


def test_valid_manifest_resolves_paths_for_the_scale(tmp_path):
    m = load_manifest(write_manifest(tmp_path), scale="smoke", data_root=tmp_path / "data")
    assert m.root == (tmp_path / "data" / "mini" / "smoke").resolve()
    fasta = m.file("genome_fasta", genome="human")
    assert fasta.path == m.root / "genome/hg38.fa.gz"
    assert fasta.local_path == m.root / "genome/hg38.fa"  # unpacked by prepare
    assert fasta.downloaded and not m.file("gene_annotation").downloaded
    assert [t.id for t in m.tracks] == ["cage_p", "cage_m"]
    assert all(isinstance(t, Track) and t.genome == "human" for t in m.tracks)
    assert m.tracks[1].clip == 384.0 and m.tracks[0].replicate_group == "cage_p"
    table = m.track_table()
    assert list(table["strand"]) == ["+", "-"]


def test_bundled_manifests_are_valid(project_root):
    for path in sorted((project_root / "data_manifest").glob("*.yaml")):
        m = load_manifest(path, scale="smoke")
        assert m.name == path.stem
        assert m.tracks and m.has("genome_fasta")


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        (lambda r: r["files"][0].pop("format"), "files[0].format", "required field is missing"),
        (
            lambda r: r["files"][0].update(chekcsum=r["files"][0].pop("checksum")),
            "files[0].chekcsum",
            "did you mean 'checksum'",
        ),
        (
            lambda r: r["files"][0].update(role="genome_fast"),
            "files[0].role",
            "did you mean 'genome_fasta'",
        ),
        (
            lambda r: r["files"][0].update(checksum="sha256:abc"),
            "files[0].checksum",
            "must be 'sha256:<64 hex>'",
        ),
        (
            lambda r: r["files"][0].pop("checksum"),
            "files[0].checksum",
            "required for a downloaded file",
        ),
        (
            lambda r: r["files"][1].update(genome="mouse"),
            "files[1].genome",
            "unknown value 'mouse'",
        ),
        (lambda r: r["files"][1].update(id="fasta"), "files[1].id", "duplicate id"),
        (
            lambda r: r["files"][1].update(path="../outside.gtf"),
            "files[1].path",
            "relative path below",
        ),
        (
            lambda r: r["files"][1].update(path="/etc/genes.gtf"),
            "files[1].path",
            "relative path below",
        ),
        (lambda r: r["files"][1].update(path="."), "files[1].path", "relative path below"),
        (
            lambda r: r["files"][1].update(format="bed"),
            "files[1].format",
            "does not fit role 'gene_annotation'",
        ),
        (lambda r: r.update(root=""), "root", "directory of its own"),
        (lambda r: r.update(root="../.."), "root", "directory of its own"),
        (lambda r: r.update(root="mini}"), "root", "only placeholder"),
        (
            lambda r: (
                r["genomes"].append({"id": "mouse", "species": "Mus musculus", "assembly": "mm10"})
                or r["files"][1].pop("genome")
            ),
            "files[1].genome",
            "several genomes",
        ),
        (lambda r: r["files"][0].update(size=-3), "files[0].size", "positive"),
        (lambda r: r["files"][0].update(size="big"), "files[0].size", "must be int"),
        (
            lambda r: r["tracks"][0].update(strand_pair="nope"),
            "tracks[0].strand_pair",
            "unknown value 'nope'",
        ),
        (
            lambda r: r["tracks"][1].pop("strand_pair"),
            "tracks[0].strand_pair",
            "does not pair back",
        ),
        (lambda r: r["tracks"][1].update(strand="+"), "tracks[0].strand", "must be '+' and '-'"),
        (lambda r: r["tracks"][0].pop("assay"), "tracks[0].assay", "required field is missing"),
        (lambda r: r.pop("genomes"), "genomes", "required field is missing"),
        (lambda r: r.update(name="other"), "name", "must equal the file name stem"),
        (lambda r: r.update(schema_version=2), "schema_version", "this code reads 1"),
        (lambda r: r.update(root="x/{assembly}"), "root", "only placeholder"),
    ],
)
def test_schema_violations_name_file_and_field(tmp_path, change, field, message):
    path = write_manifest(tmp_path, edited(change))
    with pytest.raises(ManifestError) as caught:
        load_manifest(path, scale="smoke", data_root=tmp_path)
    text = str(caught.value)
    assert text.startswith(str(path)), text
    assert f"field '{field}'" in text, text
    assert message in text, text
    assert caught.value.field == field


def test_duplicate_keys_are_refused(tmp_path):
    text = VALID.replace("checksum: unknown", "checksum: unknown\n    checksum: md5:" + "0" * 32)
    path = write_manifest(tmp_path, text)
    with pytest.raises(ManifestError, match="field 'checksum': appears twice") as caught:
        load_manifest(path, scale="smoke")
    assert str(path) in str(caught.value)


def test_genome_defaults_to_the_only_genome(tmp_path):
    path = write_manifest(tmp_path, edited(lambda r: r["files"][1].pop("genome")))
    m = load_manifest(path, scale="smoke", data_root=tmp_path)
    assert m.file("gene_annotation").genome == "human"


def test_manifest_path_relative_to_the_project(project_root, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # e.g. a notebook running in another directory
    m = load_manifest("data_manifest/synthetic.yaml", scale="smoke")
    assert m.source == project_root / "data_manifest" / "synthetic.yaml"


def test_invalid_yaml_is_reported_with_the_file(tmp_path):
    path = write_manifest(tmp_path, "name: [unclosed\n")
    with pytest.raises(ManifestError, match="not valid YAML") as caught:
        load_manifest(path, scale="smoke")
    assert str(path) in str(caught.value)


def test_unknown_dataset_lists_the_known_ones():
    with pytest.raises(FileNotFoundError, match="synthetic"):
        load_manifest("no_such_dataset", scale="smoke")


def test_unknown_scale_is_refused(tmp_path):
    with pytest.raises(ValueError, match="unknown scale"):
        load_manifest(write_manifest(tmp_path), scale="huge")


def test_lookup_errors_name_the_manifest(tmp_path):
    m = load_manifest(write_manifest(tmp_path), scale="smoke", data_root=tmp_path)
    with pytest.raises(KeyError, match="no file with role 'blacklist'"):
        m.file("blacklist")
    with pytest.raises(ValueError, match="unknown role"):
        m.file("blacklst")
