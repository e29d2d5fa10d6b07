"""Dataset manifests: one YAML per dataset naming every file it holds.

A manifest (``data_manifest/<name>.yaml``) says which genomes a dataset covers, which
files it has (role, format, local path and, when downloaded, source URL, checksum,
size and citation) and which coverage tracks it holds. Notebooks read every input
through it, so pointing a notebook at new data means writing one YAML file.
The schema is documented in ``data_manifest/README.md`` and enforced by
:func:`load_manifest`, which stops at the first problem with one error naming the
file, the field and what is wrong.

Example
-------
>>> m = load_manifest("synthetic", scale="smoke")          # doctest: +SKIP
>>> m.path_of("genome_fasta", genome="human")              # doctest: +SKIP
PosixPath('.../data/synthetic/smoke/genome/human.fa')
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from .errors import ManifestError
from .paths import project_root

SCHEMA_VERSION = 1


ROLES: dict[str, str] = {
    "genome_fasta": "genome sequence (FASTA, plain or bgzip)",
    "genome_index": "FASTA index (.fai)",
    "chrom_sizes": "chromosome names and lengths (two columns)",
    "gaps": "assembly gaps (BED)",
    "blacklist": "artifact regions to mask (BED)",
    "unmappable": "regions where short reads do not map uniquely (BED)",
    "mappability": "mappability scores or mappable regions (BED or bigWig)",
    "gene_annotation": "genes and transcripts (GTF)",
    "tss": "transcription start sites (BED)",
    "genotypes": "phased genotypes (VCF.gz)",
    "genotypes_index": "tabix index of a genotypes VCF",
    "eqtl_sumstats": "cis-eQTL summary statistics (GTEx v8 layout)",
    "eqtl_significant": "significant variant-gene pairs (GTEx v8 layout)",
    "gwas_snps": "trait-associated SNPs (GWAS catalog layout)",
    "finemapped": "fine-mapped credible sets",
    "de_novo_variants": "de novo variants of families (An et al. 2018 Table S2 layout)",
    "qtl_summary": "histone QTL summary statistics (BLUEPRINT layout)",
    "tf_expression": "TF expression per cell type (log TPM)",
    "accessibility_labels": "binary accessibility per region and cell type",
    "peaks": "peak calls (BED or narrowPeak)",
    "motif_database": "motif matrices (JASPAR or MEME format)",
    "ld_blocks": "approximately independent LD blocks (BED)",
    "sample_table": "samples and their groups",
    "annotation": "regulatory annotation regions of one cell type (BED)",
    "truth": "planted ground truth of a simulated dataset",
    "coverage_source": "reads or read ends to be turned into coverage (BAM, FANTOM5 CTSS)",
    "archive": "an archive that holds other inputs",
    "other": "anything else, described in 'description'",
}


FORMATS: tuple[str, ...] = (
    "fasta", "fasta_gz", "fai", "chrom_sizes", "bed", "bed_gz", "narrowpeak_gz", "gtf",
    "gtf_gz", "bigwig", "bam", "bai", "vcf_gz", "tbi", "tsv", "tsv_gz", "csv", "txt_gz",
    "xlsx", "json", "yaml", "txt", "meme", "jaspar", "npy", "npz", "h5", "joblib", "tar", "tar_gz",
    "zip", "ctss_bed_gz",
)  # fmt: skip


CHECKSUM_UNKNOWN = "unknown"


_CHECKSUM_RE = re.compile(r"^(sha256:[0-9a-f]{64}|md5:[0-9a-f]{32})$")


_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")


_TOP_FIELDS = {
    # name: (required, types)
    "schema_version": (True, (int,)),
    "name": (True, (str,)),
    "description": (True, (str,)),
    "root": (True, (str,)),
    "citation": (False, (str,)),
    "generator": (False, (str,)),
    "seed": (False, (int,)),
    "genomes": (True, (list,)),
    "files": (True, (list,)),
    "tracks": (False, (list,)),
}


_GENOME_FIELDS = {
    "id": (True, (str,)),
    "species": (True, (str,)),
    "assembly": (True, (str,)),
    "description": (False, (str,)),
    "exclude_chroms": (False, (list,)),
}


_FILE_FIELDS = {
    "id": (True, (str,)),
    "role": (True, (str,)),
    "format": (True, (str,)),
    "path": (True, (str,)),
    "genome": (False, (str,)),
    "url": (False, (str,)),
    "checksum": (False, (str,)),
    "size": (False, (int,)),
    "citation": (False, (str,)),
    "unpack": (False, (str,)),
    "description": (False, (str,)),
    "note": (False, (str,)),
}


_TRACK_FIELDS = {
    **{k: v for k, v in _FILE_FIELDS.items() if k not in ("role", "unpack")},
    "assay": (True, (str,)),
    "cell_type": (True, (str,)),
    "tissue": (False, (str,)),
    "replicate_group": (False, (str,)),
    "strand": (False, (str,)),
    "strand_pair": (False, (str,)),
    "clip": (False, (int, float)),
    "soft_clip": (False, (int, float)),
    "scale": (False, (int, float)),
    "sum_stat": (False, (str,)),
}


_UNPACKERS = ("gunzip",)


_BED_LIKE = ("bed", "bed_gz", "narrowpeak_gz", "txt_gz", "tsv", "tsv_gz", "bigwig")


_ROLE_FORMATS: dict[str, tuple[str, ...]] = {
    "genome_fasta": ("fasta", "fasta_gz"),
    "genome_index": ("fai",),
    "chrom_sizes": ("chrom_sizes", "fai", "tsv"),
    "gaps": _BED_LIKE,
    "blacklist": _BED_LIKE,
    "unmappable": _BED_LIKE,
    "mappability": _BED_LIKE,
    "tss": ("bed", "bed_gz"),
    "peaks": ("bed", "bed_gz", "narrowpeak_gz"),
    "gene_annotation": ("gtf", "gtf_gz"),
    "genotypes": ("vcf_gz",),
    "genotypes_index": ("tbi",),
}


#: roles that belong to one genome; ``genome`` defaults to the only genome when omitted
_GENOME_ROLES = ("genome_fasta", "genome_index", "chrom_sizes", "gaps", "blacklist", "unmappable",
                 "mappability", "gene_annotation", "tss", "track")  # fmt: skip


_SUM_STATS = ("sum", "mean", "max", "median", "sum_sqrt", "mean_sqrt")


_STRANDS = ("+", "-", ".")


@dataclass(frozen=True)
class Genome:
    """One genome of a dataset (``species`` and ``assembly`` as the sources name them).

    ``exclude_chroms`` lists chromosomes (names or shell patterns such as ``chrUn_*``, in
    either spelling: ``chrY`` also excludes ``Y``) that windows, targets and QC leave out,
    for example ``chrY`` when the tracks come from female samples, or ``chrM``.
    """

    id: str
    species: str
    assembly: str
    description: str = ""
    exclude_chroms: tuple[str, ...] = ()

    def excludes(self, chrom: str) -> bool:
        """Whether ``chrom`` (in any common spelling) matches one of ``exclude_chroms``."""
        from fnmatch import fnmatchcase

        from ..io.chroms import chrom_aliases

        names = [chrom, *chrom_aliases(chrom)]
        return any(fnmatchcase(n, p) for p in self.exclude_chroms for n in names)


@dataclass(frozen=True)
class FileEntry:
    """One file of a dataset.

    ``path`` is where the file lives once present (absolute, resolved against the
    dataset root); ``local_path`` is the file analyses read, which differs from
    ``path`` when the download is unpacked (``unpack: gunzip``).
    """

    id: str
    role: str
    format: str
    path: Path
    genome: str | None = None
    url: str | None = None
    checksum: str | None = None
    size: int | None = None
    citation: str | None = None
    unpack: str | None = None
    description: str = ""

    @property
    def local_path(self) -> Path:
        """The file analyses read (the unpacked file when ``unpack`` is gunzip)."""
        if self.unpack == "gunzip":
            return self.path.with_suffix("") if self.path.suffix == ".gz" else self.path
        return self.path

    @property
    def downloaded(self) -> bool:
        """Whether the file comes from a URL."""
        return self.url is not None


@dataclass(frozen=True)
class Track(FileEntry):
    """A coverage track (bigWig) with the metadata that training and plots need.

    ``clip`` caps values (hard clip), ``soft_clip`` compresses values above it with a
    square root (Basenji 2019), ``scale`` multiplies values, ``sum_stat`` says how
    base-level values pool into bins.
    """

    assay: str = ""
    cell_type: str = ""
    tissue: str = ""
    replicate_group: str = ""
    strand: str = "."
    strand_pair: str | None = None
    clip: float | None = None
    soft_clip: float | None = None
    scale: float = 1.0
    sum_stat: str = "sum"

    @classmethod
    def from_record(cls, record: dict) -> Track:
        """A track from a table record (a manifest row, or the track table a training store
        keeps); ``role``, ``format`` and ``path`` default to a bigWig named after the id.

        Raises
        ------
        ValueError
            For a key that is not a track field.
        """
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(record) - names)
        if unknown:
            raise ValueError(f"track {record.get('id')!r}: no track field {unknown[0]!r}")
        values = {
            k: v for k, v in record.items() if not (isinstance(v, float) and v != v)
        }  # NaN: unset
        values.setdefault("role", "track")
        values.setdefault("format", "bigwig")
        values["path"] = Path(values.get("path") or f"{values['id']}.bw")
        return cls(**values)

    def record(self) -> dict:
        """The track as a JSON-ready dict (``path`` as a string)."""
        return {**asdict(self), "path": str(self.path)}


@dataclass
class Manifest:
    """A validated dataset manifest, with paths resolved for one scale."""

    source: Path
    name: str
    description: str
    root: Path
    scale: str
    genomes: dict[str, Genome]
    files: dict[str, FileEntry]
    tracks: list[Track] = field(default_factory=list)
    citation: str = ""
    generator: str | None = None
    seed: int = 0

    # -- lookups --------------------------------------------------------------
    def entry(self, file_id: str) -> FileEntry:
        """The file or track with id ``file_id``.

        Raises
        ------
        KeyError
            When the manifest has no file or track ``file_id``.
        """
        if file_id in self.files:
            return self.files[file_id]
        for track in self.tracks:
            if track.id == file_id:
                return track
        raise KeyError(f"{self.source}: no file or track with id {file_id!r}")

    def files_with_role(self, role: str, genome: str | None = None) -> list[FileEntry]:
        """All files with ``role`` (and ``genome`` when given), in manifest order.

        Raises
        ------
        ValueError
            For an unknown role.
        """
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r}; known roles: {', '.join(ROLES)}")
        return [
            f
            for f in self.files.values()
            if f.role == role and (genome is None or f.genome == genome)
        ]

    def file(self, role: str, genome: str | None = None) -> FileEntry:
        """The single file with ``role`` (for ``genome``); a clear error if absent or ambiguous.

        Raises
        ------
        KeyError
            When no file, or more than one, has ``role``.
        """
        found = self.files_with_role(role, genome)
        where = f" for genome {genome!r}" if genome else ""
        if not found:
            raise KeyError(f"{self.source}: the dataset has no file with role {role!r}{where}")
        if len(found) > 1:
            ids = ", ".join(f.id for f in found)
            raise KeyError(f"{self.source}: several files with role {role!r}{where} ({ids})")
        return found[0]

    def has(self, role: str, genome: str | None = None) -> bool:
        """Whether the dataset holds at least one file with ``role``."""
        return bool(self.files_with_role(role, genome))

    def path_of(self, role: str, genome: str | None = None) -> Path:
        """Local path of the single file with ``role`` (see :meth:`file`)."""
        return self.file(role, genome).local_path

    def truth_path(self, name: str) -> Path | None:
        """Path of the planted-truth file ``truth_<name>``, or None when the dataset has none.

        Only "did we recover it" cells should call this.
        """
        entry = self.files.get(f"truth_{name}")
        return entry.local_path if entry is not None and entry.role == "truth" else None

    def all_entries(self) -> list[FileEntry]:
        """Files then tracks, in manifest order."""
        return [*self.files.values(), *self.tracks]

    def track_table(self):
        """Tracks as a :class:`pandas.DataFrame`, one row per track, indexed 0..n-1."""
        import pandas as pd

        columns = [
            "id", "genome", "assay", "cell_type", "tissue", "replicate_group", "strand",
            "strand_pair", "clip", "soft_clip", "scale", "sum_stat", "description", "path",
        ]  # fmt: skip
        rows = [{c: getattr(t, c) for c in columns} for t in self.tracks]
        return pd.DataFrame(rows, columns=columns)

    def file_table(self):
        """Files and tracks as a :class:`pandas.DataFrame` with presence and size on disk."""
        import pandas as pd

        rows = []
        for e in self.all_entries():
            local = e.local_path
            rows.append(
                {
                    "id": e.id,
                    "role": "track" if isinstance(e, Track) else e.role,
                    "format": e.format,
                    "genome": e.genome,
                    "path": str(local.relative_to(self.root))
                    if local.is_relative_to(self.root)
                    else str(local),
                    "present": local.exists(),
                    "size_mb": round(local.stat().st_size / 1e6, 3) if local.exists() else None,
                    "source": e.url or ("generated" if self.generator else "local"),
                }
            )
        return pd.DataFrame(rows)


# -- loading ------------------------------------------------------------------
def manifest_path(dataset: str | Path, root: Path | None = None) -> Path:
    """Path of the manifest for ``dataset``: a name in ``data_manifest/`` or a YAML path.

    Raises
    ------
    FileNotFoundError
        When no such manifest exists (the message lists the known ones).
    """
    text = str(dataset)
    if text.endswith((".yaml", ".yml")) or "/" in text:
        path = Path(text)
        if not path.is_absolute() and not path.exists():
            path = (root or project_root()) / path  # relative to the project, as make passes it
    else:
        path = (root or project_root()) / "data_manifest" / f"{text}.yaml"
    if not path.is_file():
        known = ""
        directory = (root or project_root()) / "data_manifest"
        if directory.is_dir():
            names = sorted(p.stem for p in directory.glob("*.yaml"))
            known = f"; datasets in {directory}: {', '.join(names)}"
        raise FileNotFoundError(f"{path}: no such dataset manifest{known}")
    return path.resolve()


def load_manifest(
    dataset: str | Path,
    scale: str = "demo",
    data_root: str | Path | None = None,
) -> Manifest:
    """Read and validate a dataset manifest, resolving its paths for ``scale``.

    Parameters
    ----------
    dataset
        A dataset name (``data_manifest/<name>.yaml``) or the path of a manifest file.
    scale
        Substituted for ``{scale}`` in the manifest's ``root``.
    data_root
        Directory that relative ``root`` values are resolved against
        (default ``<project>/data``).

    Returns
    -------
    Manifest
        With absolute paths.

    Raises
    ------
    ManifestError
        At the first schema violation, naming the file, the field and the problem.
    """
    import yaml

    from .scales import check_scale

    check_scale(scale)
    path = manifest_path(dataset)
    try:
        raw = yaml.load(path.read_text(), Loader=_strict_loader())
    except _DuplicateKeyError as err:
        raise ManifestError(
            path, err.key, f"appears twice in one mapping (line {err.line})"
        ) from None
    except yaml.YAMLError as err:
        raise ManifestError(path, None, f"not valid YAML ({err})") from None
    return _parse(path, raw, scale, data_root)


class _DuplicateKeyError(Exception):
    def __init__(self, key: str, line: int):
        self.key, self.line = key, line


def _strict_loader():
    """A SafeLoader that refuses a key repeated in one mapping (YAML keeps the last)."""
    import yaml

    class StrictLoader(yaml.SafeLoader):
        def construct_mapping(self, node, deep=False):
            keys = set()
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=deep)
                if key in keys:
                    raise _DuplicateKeyError(str(key), key_node.start_mark.line + 1)
                keys.add(key)
            return super().construct_mapping(node, deep=deep)

    return StrictLoader


def _parse(path: Path, raw: Any, scale: str, data_root: str | Path | None) -> Manifest:
    if not isinstance(raw, dict):
        raise ManifestError(path, None, "the manifest must be a YAML mapping of fields")
    _check_fields(path, "", raw, _TOP_FIELDS)
    if raw["schema_version"] != SCHEMA_VERSION:
        raise ManifestError(
            path, "schema_version", f"is {raw['schema_version']}, this code reads {SCHEMA_VERSION}"
        )
    if raw["name"] != path.stem:
        raise ManifestError(
            path, "name", f"is {raw['name']!r} but must equal the file name stem {path.stem!r}"
        )
    if "{" in raw["root"].replace("{scale}", "") or "}" in raw["root"].replace("{scale}", ""):
        raise ManifestError(path, "root", "the only placeholder allowed is {scale}")
    root = Path(raw["root"].replace("{scale}", scale)).expanduser()
    if not raw["root"].strip() or root == Path(".") or ".." in root.parts:
        raise ManifestError(
            path, "root", f"{raw['root']!r} must name a directory of its own (not '', '.' or '..')"
        )
    if not root.is_absolute():
        base = Path(data_root) if data_root else project_root() / "data"
        root = (base / root).resolve()

    genomes: dict[str, Genome] = {}
    if not raw["genomes"]:
        raise ManifestError(path, "genomes", "must list at least one genome")
    for i, g in enumerate(raw["genomes"]):
        where = f"genomes[{i}]"
        _check_fields(path, where, g, _GENOME_FIELDS)
        if g["id"] in genomes:
            raise ManifestError(path, f"{where}.id", f"duplicate genome id {g['id']!r}")
        excluded = g.get("exclude_chroms") or []
        if not all(isinstance(c, str) and c for c in excluded):
            raise ManifestError(
                path, f"{where}.exclude_chroms", "must be a list of chromosome names or patterns"
            )
        genomes[g["id"]] = Genome(**{**g, "exclude_chroms": tuple(excluded)})

    seen_ids: set[str] = set()
    files: dict[str, FileEntry] = {}
    for i, f in enumerate(raw["files"]):
        entry = _parse_file(path, f"files[{i}]", f, root, genomes, seen_ids, _FILE_FIELDS)
        files[entry.id] = entry

    tracks: list[Track] = []
    for i, t in enumerate(raw.get("tracks") or []):
        tracks.append(_parse_file(path, f"tracks[{i}]", t, root, genomes, seen_ids, _TRACK_FIELDS))
    _check_strand_pairs(path, tracks)

    generator = raw.get("generator")
    if generator is not None and not re.match(r"^[\w.]+:\w+$", generator):
        raise ManifestError(
            path, "generator", f"{generator!r} is not of the form 'module:function'"
        )
    return Manifest(
        source=path,
        name=raw["name"],
        description=raw["description"].strip(),
        root=root,
        scale=scale,
        genomes=genomes,
        files=files,
        tracks=tracks,
        citation=raw.get("citation", ""),
        generator=generator,
        seed=raw.get("seed", 0),
    )


def _check_fields(path: Path, where: str, obj: Any, spec: dict[str, tuple[bool, tuple]]) -> None:
    prefix = f"{where}." if where else ""
    if not isinstance(obj, dict):
        raise ManifestError(path, where or None, f"must be a mapping, got {type(obj).__name__}")
    for key in obj:
        if key not in spec:
            close = difflib.get_close_matches(str(key), list(spec), n=1)
            hint = f"; did you mean '{close[0]}'?" if close else f"; allowed: {', '.join(spec)}"
            raise ManifestError(path, f"{prefix}{key}", f"unknown field{hint}")
    for key, (required, types) in spec.items():
        if key not in obj or obj[key] is None:
            if required:
                raise ManifestError(path, f"{prefix}{key}", "required field is missing")
            continue
        value = obj[key]
        if isinstance(value, bool) or not isinstance(value, types):
            wanted = " or ".join(t.__name__ for t in types)
            raise ManifestError(
                path, f"{prefix}{key}", f"must be {wanted}, got {type(value).__name__} {value!r}"
            )


def _parse_file(
    path: Path,
    where: str,
    f: Any,
    root: Path,
    genomes: dict[str, Genome],
    seen_ids: set[str],
    spec: dict[str, tuple[bool, tuple]],
) -> Any:
    _check_fields(path, where, f, spec)
    is_track = spec is _TRACK_FIELDS
    if not _ID_RE.match(f["id"]):
        raise ManifestError(
            path, f"{where}.id", f"{f['id']!r} must be letters, digits, '_', '-', '.'"
        )
    if f["id"] in seen_ids:
        raise ManifestError(path, f"{where}.id", f"duplicate id {f['id']!r}")
    seen_ids.add(f["id"])
    role = "track" if is_track else f["role"]
    if not is_track and role not in ROLES:
        _unknown_choice(path, f"{where}.role", role, list(ROLES))
    if f["format"] not in FORMATS:
        _unknown_choice(path, f"{where}.format", f["format"], list(FORMATS))
    if is_track and f["format"] != "bigwig":
        raise ManifestError(path, f"{where}.format", f"tracks must be bigwig, got {f['format']!r}")
    if f.get("genome") is not None and f["genome"] not in genomes:
        _unknown_choice(path, f"{where}.genome", f["genome"], list(genomes))
    rel = Path(f["path"])
    if ".." in rel.parts or rel.is_absolute() or rel == Path(".") or not f["path"].strip():
        raise ManifestError(
            path, f"{where}.path", f"{f['path']!r} must be a relative path below the dataset root"
        )
    allowed = _ROLE_FORMATS.get(role)
    if allowed and f["format"] not in allowed:
        raise ManifestError(
            path,
            f"{where}.format",
            f"{f['format']!r} does not fit role {role!r}; use {', '.join(allowed)}",
        )
    if role in _GENOME_ROLES and f.get("genome") is None:
        if len(genomes) != 1:
            raise ManifestError(
                path,
                f"{where}.genome",
                f"required for role {role!r} when a dataset has several genomes",
            )
        f = {**f, "genome": next(iter(genomes))}
    checksum = f.get("checksum")
    if checksum is not None:
        checksum = checksum.strip().lower()
        if checksum != CHECKSUM_UNKNOWN and not _CHECKSUM_RE.match(checksum):
            raise ManifestError(
                path,
                f"{where}.checksum",
                f"{f['checksum']!r} must be 'sha256:<64 hex>', 'md5:<32 hex>' or 'unknown'",
            )
    if f.get("url") is not None:
        if not re.match(r"^(https?|file)://", f["url"]):
            raise ManifestError(
                path, f"{where}.url", f"{f['url']!r} must start with https://, http:// or file://"
            )
        for needed in ("checksum", "citation"):
            if f.get(needed) is None:
                hint = (
                    " (write 'unknown' to record it on first download)"
                    if needed == "checksum"
                    else ""
                )
                raise ManifestError(
                    path, f"{where}.{needed}", f"required for a downloaded file{hint}"
                )
    if f.get("size") is not None and f["size"] <= 0:
        raise ManifestError(
            path, f"{where}.size", f"must be a positive number of bytes, got {f['size']}"
        )
    if f.get("unpack") is not None:
        if f["unpack"] not in _UNPACKERS:
            _unknown_choice(path, f"{where}.unpack", f["unpack"], list(_UNPACKERS))
        if not f["path"].endswith(".gz"):
            raise ManifestError(path, f"{where}.unpack", "gunzip needs a path ending in .gz")
    values = {k: v for k, v in f.items() if k not in ("note",) and v is not None}
    values.update(role=role, path=root / rel, checksum=checksum)
    if is_track:
        if values.get("sum_stat", "sum") not in _SUM_STATS:
            _unknown_choice(path, f"{where}.sum_stat", values["sum_stat"], list(_SUM_STATS))
        if values.get("strand", ".") not in _STRANDS:
            _unknown_choice(path, f"{where}.strand", values["strand"], list(_STRANDS))
        values.setdefault("replicate_group", values["id"])
        for key in ("clip", "soft_clip", "scale"):
            if key in values:
                if values[key] <= 0:
                    raise ManifestError(
                        path, f"{where}.{key}", f"must be positive, got {values[key]}"
                    )
                values[key] = float(values[key])
        return Track(**values)
    return FileEntry(**values)


def _unknown_choice(path: Path, fieldname: str, value: str, choices: list[str]) -> None:
    close = difflib.get_close_matches(str(value), choices, n=1)
    hint = f"did you mean '{close[0]}'?" if close else f"choose one of: {', '.join(choices)}"
    raise ManifestError(path, fieldname, f"unknown value {value!r}; {hint}")


def _check_strand_pairs(path: Path, tracks: list[Track]) -> None:
    by_id = {t.id: (i, t) for i, t in enumerate(tracks)}
    for i, t in enumerate(tracks):
        if t.strand_pair is None:
            continue
        if t.strand_pair not in by_id:
            _unknown_choice(path, f"tracks[{i}].strand_pair", t.strand_pair, list(by_id))
        _, mate = by_id[t.strand_pair]
        if mate.strand_pair != t.id:
            raise ManifestError(
                path,
                f"tracks[{i}].strand_pair",
                f"{t.id!r} pairs with {mate.id!r}, but {mate.id!r} does not pair back",
            )
        if {t.strand, mate.strand} != {"+", "-"}:
            raise ManifestError(
                path,
                f"tracks[{i}].strand",
                f"stranded pair {t.id!r}/{mate.id!r} must be '+' and '-'",
            )


def resolve_generator(spec: str) -> Callable[..., Any]:
    """Import the ``module:function`` a manifest names as its generator."""
    import importlib

    module_name, func_name = spec.split(":")
    return getattr(importlib.import_module(module_name), func_name)
