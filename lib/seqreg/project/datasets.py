"""Bring a dataset onto disk, complete and verified: ``python -m seqreg.project.datasets prepare``.

For a generated dataset (a manifest with ``generator``), the generator writes the whole
dataset into a hidden directory that replaces the dataset root only when it finishes.
For a downloaded dataset, every file with a ``url`` is downloaded with resume and
checksum checks (:func:`seqreg.project.download`), unpacked when asked, and recorded
as verified, so later runs skip it; files without a ``url`` must already exist. Either
way the chromosome names of FASTA, chromosome sizes and bigWigs are checked against each
other up front, and a stamp file marks the dataset ready for the notebooks.

State kept beside the data, in ``<root>/.seqreg/``:

``verified.json``
    size, mtime and checksum of each file already verified (skipped next time).
``recorded_checksums.json``
    checksums recorded on first download for files whose manifest says ``unknown``;
    every later download or check is verified against them.
``generator.json``
    which generator, seed and code version wrote a generated dataset.
"""

from __future__ import annotations

import argparse
import gzip
import json
import logging
import shutil
import sys
from pathlib import Path

from ..io._compressed import COMPRESSION_ERRORS, _read_error
from .downloads import download, verify_file
from .errors import ChecksumMismatchError, InputFileError, SeqregError
from .files import atomic_path, fingerprint, replace_dir, write_json
from .manifest import FileEntry, Manifest, load_manifest, resolve_generator
from .scales import SCALES

log = logging.getLogger(__name__)


STATE_DIR = ".seqreg"


def stamp_path(dataset_name: str, scale: str, data_root: Path) -> Path:
    """The file whose presence says a dataset at a scale is ready (a Make target)."""
    return data_root / ".stamps" / f"{dataset_name}-{scale}.ok"


def prepare(
    dataset: str | Path,
    scale: str = "demo",
    data_root: str | Path | None = None,
    *,
    progress: bool = True,
    retries: int = 5,
    backoff: float = 2.0,
) -> Manifest:
    """Generate or download and verify every file of ``dataset``; return its manifest.

    Safe to rerun: verified files are skipped, interrupted downloads resume, an
    interrupted generation starts again, and nothing incomplete is left at a final path.
    The stamp (:func:`stamp_path`) records the manifest and the size and modification time
    of every file; it is rewritten only when one of them changed and removed when a check
    fails, so Make reruns the notebooks exactly when the data changed.
    """
    from .paths import project_root

    manifest = load_manifest(dataset, scale, data_root)
    data_root = Path(data_root) if data_root else project_root() / "data"
    stamp = stamp_path(manifest.name, scale, data_root)
    try:
        if manifest.generator:
            _generate(manifest, progress=progress)
        else:
            _fetch_all(manifest, progress=progress, retries=retries, backoff=backoff)
        _index_fastas(manifest)
        check_consistency(manifest)
    except BaseException:
        stamp.unlink(missing_ok=True)  # an old stamp must not vouch for data that failed
        raise
    content = {"dataset": manifest.name, "scale": scale, "root": str(manifest.root),
               "manifest": fingerprint(manifest.source), "files": _file_states(manifest)}  # fmt: skip
    if _read_state(stamp) != content:  # rewritten only when something changed (Make reruns)
        write_json(stamp, content)
    return manifest


def _file_states(manifest: Manifest) -> dict[str, list[int]]:
    """Size and modification time of every file the analyses read, by path."""
    states = {}
    for entry in manifest.all_entries():
        path = entry.local_path
        if path.exists():
            stat = path.stat()
            states[str(path)] = [stat.st_size, stat.st_mtime_ns]
    return states


# -- generated datasets ----------------------------------------------------------
def generator_fingerprint(manifest: Manifest) -> dict:
    """What identifies a generated dataset: generator, seed, scale, manifest and code.

    The code is the generator's module and every module of the same package that it
    imports, directly or through others, so a change to any writer it uses counts.
    """
    module_name = manifest.generator.split(":")[0]
    return {
        "generator": manifest.generator,
        "seed": manifest.seed,
        "scale": manifest.scale,
        "digest": fingerprint(manifest.source, *_package_sources(module_name)),
    }


def _package_sources(module_name: str) -> list[Path]:
    """Source files of ``module_name`` and of the modules of its top-level package that it
    imports, directly or through each other (absolute and relative imports)."""
    import ast
    import importlib.util

    top = module_name.split(".")[0]
    seen: dict[str, Path] = {}
    pending = [module_name]
    while pending:
        name = pending.pop()
        spec = importlib.util.find_spec(name) if name not in seen else None
        if spec is None or spec.origin is None or not spec.origin.endswith(".py"):
            continue
        path = Path(spec.origin)
        seen[name] = path
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text())):
            targets: list[str] = []
            if isinstance(node, ast.ImportFrom):
                base = (
                    importlib.util.resolve_name("." * node.level + (node.module or ""), package)
                    if node.level
                    else node.module or ""
                )
                targets = [base] + [f"{base}.{alias.name}" for alias in node.names]
            elif isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            for target in targets:
                if target.split(".")[0] == top and target not in seen:
                    try:
                        if importlib.util.find_spec(target) is not None:
                            pending.append(target)
                    except (ImportError, ValueError):
                        continue  # an attribute, not a module
    return sorted(set(seen.values()))


def _generate(manifest: Manifest, progress: bool) -> None:
    root = manifest.root
    fingerprint = generator_fingerprint(manifest)
    state = root / STATE_DIR / "generator.json"
    if state.exists() and json.loads(state.read_text()) == fingerprint:
        try:
            _check_present(manifest)
        except InputFileError as err:
            log.warning("%s; generating the dataset again", err)
        else:
            log.info("%s: generated dataset is up to date", root)
            return
    partial = root.with_name(f".{root.name}.partial")
    if partial.exists():
        shutil.rmtree(partial)  # left by an interrupted run: start again
    partial.mkdir(parents=True)
    generator = resolve_generator(manifest.generator)
    generator(manifest, partial, progress=progress)
    _check_present(manifest, base=partial)
    write_json(partial / STATE_DIR / "generator.json", fingerprint)
    replace_dir(partial, root, old=root.with_name(f".{root.name}.old"))


def _check_present(manifest: Manifest, base: Path | None = None) -> None:
    for entry in manifest.all_entries():
        path = entry.local_path
        if base is not None:
            path = base / path.relative_to(manifest.root)
        if not path.exists():
            raise InputFileError(path, f"listed in {manifest.source} as '{entry.id}' but missing")


# -- downloaded datasets -----------------------------------------------------------
def _fetch_all(manifest: Manifest, progress: bool, retries: int, backoff: float) -> None:
    state_dir = manifest.root / STATE_DIR
    verified = _read_state(state_dir / "verified.json")
    recorded = _read_state(state_dir / "recorded_checksums.json")
    entries = manifest.all_entries()
    try:
        from .progress import progress_bar as tqdm

        iterator = tqdm(entries, desc=f"{manifest.name} files", unit="file", disable=not progress)
        for entry in iterator:
            _ensure_file(entry, manifest, verified, recorded, progress, retries, backoff)
    finally:
        write_json(state_dir / "verified.json", verified)
        write_json(state_dir / "recorded_checksums.json", recorded)


def _ensure_file(
    entry: FileEntry,
    manifest: Manifest,
    verified: dict,
    recorded: dict,
    progress: bool,
    retries: int,
    backoff: float,
) -> None:
    root = manifest.root
    key = str(entry.path.relative_to(root)) if entry.path.is_relative_to(root) else str(entry.path)
    if recorded.get(entry.id, {}).get("url") != entry.url:
        recorded.pop(entry.id, None)  # a new source: its first download is recorded afresh
    if verified.get(key, {}).get("url") != entry.url:
        verified.pop(key, None)
    expected = entry.checksum
    if expected in (None, "unknown"):
        expected = recorded.get(entry.id, {}).get("checksum")

    def remember(observed: str) -> None:
        stat = entry.path.stat()
        verified[key] = {
            "size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "checksum": observed, "url": entry.url,
        }  # fmt: skip
        if entry.url and entry.checksum == "unknown" and entry.id not in recorded:
            recorded[entry.id] = {"checksum": observed, "size": stat.st_size, "url": entry.url}

    if entry.path.exists():
        stat = entry.path.stat()
        seen = verified.get(key)
        current = (
            seen is not None
            and seen["size"] == stat.st_size
            and seen["mtime_ns"] == stat.st_mtime_ns
            and (expected is None or seen["checksum"] == expected)
        )
        if not current:
            try:
                remember(verify_file(entry.path, expected, entry.size, entry.url))
            except ChecksumMismatchError as err:
                if entry.url is None:
                    raise
                log.warning("%s; downloading it again", err)
                entry.path.unlink()
                verified.pop(key, None)
    if not entry.path.exists():
        if entry.url is None:
            raise InputFileError(
                entry.path,
                f"listed in {manifest.source} as '{entry.id}' (no url) but not found; "
                "put the file there or add its url and checksum to the manifest",
            )
        observed = download(
            entry.url, entry.path, expected, entry.size,
            retries=retries, backoff=backoff, progress=progress,
        )  # fmt: skip
        remember(observed)
    if entry.unpack == "gunzip":
        _gunzip(entry.path, entry.local_path, verified[key])


def _gunzip(source: Path, dest: Path, state: dict) -> None:
    """Decompress ``source`` to ``dest`` unless ``dest`` came from this very ``source``."""
    if (
        dest.exists()
        and state.get("unpacked_size") == dest.stat().st_size
        and state.get("unpacked_from") == state["checksum"]
    ):
        return
    try:
        with gzip.open(source, "rb") as reader, atomic_path(dest) as tmp, open(tmp, "wb") as writer:
            shutil.copyfileobj(reader, writer, length=1 << 22)
    except (OSError, *COMPRESSION_ERRORS) as err:  # BadGzipFile is an OSError
        raise _read_error(source, err, "gzip file") from None
    state["unpacked_from"] = state["checksum"]
    state["unpacked_size"] = dest.stat().st_size


def _read_state(path: Path) -> dict:
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError:
        log.warning("%s is unreadable; it will be rebuilt", path)
        return {}


# -- checks shared by both kinds -----------------------------------------------------
def _index_fastas(manifest: Manifest) -> None:
    from ..io.fasta import ensure_fasta_index

    for entry in manifest.files_with_role("genome_fasta"):
        ensure_fasta_index(entry.local_path, "fasta" if entry.unpack else entry.format)


#: formats whose chromosome names (and interval ends) prepare compares with the FASTA
_NAMED_FORMATS = ("bed", "bed_gz", "narrowpeak_gz", "gtf", "gtf_gz", "vcf_gz", "bigwig",
                  "chrom_sizes", "fai")  # fmt: skip


def check_consistency(manifest: Manifest) -> None:
    """Check every file of each genome against its FASTA: chromosome names and lengths.

    The FASTA index is the reference. Chromosome sizes files must list exactly its
    chromosomes; every BED-like file (gaps, blacklist, unmappable, TSS, peaks, annotation),
    GTF, VCF and bigWig must name at least some of them, in either spelling (``chr1`` /
    ``1``, ``chrM`` / ``MT``, see :func:`seqreg.io.match_chrom`), and no interval may run
    past a chromosome's end. A track must cover every chromosome the genome keeps
    (``genomes[].exclude_chroms`` leaves chromosomes out) and hold finite values. Results
    are remembered per file (size and modification time) in ``<root>/.seqreg/checked.json``.

    Raises
    ------
    InputFileError
        Naming the file that disagrees, the file it disagrees with, and what differs.
    """
    from ..io.chroms import match_chrom

    state_path = manifest.root / STATE_DIR / "checked.json"
    state = _read_state(state_path)
    try:
        only = next(iter(manifest.genomes)) if len(manifest.genomes) == 1 else None
        for genome, info in manifest.genomes.items():
            fastas = manifest.files_with_role("genome_fasta", genome)
            if not fastas:
                continue
            fasta = fastas[0].local_path
            reference = _file_chroms(fasta.with_name(fasta.name + ".fai"), "fai", state)["sizes"]
            for pattern in info.exclude_chroms:
                if not any(info.excludes(c) and _matches(pattern, c) for c in reference):
                    log.warning("%s: exclude_chroms entry %r matches no chromosome of %s",
                                manifest.source, pattern, fasta)  # fmt: skip
            kept = {c: n for c, n in reference.items() if not info.excludes(c)}
            for entry in [*manifest.files.values(), *manifest.tracks]:
                if (entry.genome or only) != genome or entry.format not in _NAMED_FORMATS:
                    continue
                if entry.role in ("genome_fasta", "genome_index") or not entry.local_path.exists():
                    continue
                found = _file_chroms(entry.local_path, entry.format, state)
                is_track = entry in manifest.tracks
                _compare_names(entry.local_path, found, fasta, reference,
                               exact=entry.role == "chrom_sizes")  # fmt: skip
                if is_track:
                    lacking = [c for c in kept if match_chrom(c, found["sizes"]) is None]
                    if lacking:
                        raise InputFileError(
                            entry.local_path,
                            f"track '{entry.id}' has no chromosome {lacking[0]!r} of {fasta} "
                            f"({len(lacking)} missing: {', '.join(lacking[:5])}); leave them out "
                            f"with 'exclude_chroms: [{', '.join(lacking[:3])}]' in genome "
                            f"'{genome}' of {manifest.source}",
                        )
                    empty = [c for c in found["no_values"] if match_chrom(c, kept) is not None]
                    if empty and len(empty) == sum(
                        match_chrom(c, kept) is not None for c in found["sizes"]
                    ):
                        raise InputFileError(
                            entry.local_path,
                            f"track '{entry.id}' holds no finite value (every value is NaN or "
                            "missing); it cannot be used as a training target",
                        )
                    if empty:
                        log.warning("%s: track '%s' holds no finite value on %d chromosome(s) (%s)",
                                    entry.local_path, entry.id, len(empty), ", ".join(empty[:5]))  # fmt: skip
        _check_panel(manifest, state)
    finally:
        write_json(state_path, state)


def _check_panel(manifest: Manifest, state: dict) -> None:
    """Read a ChromDragoNN cell-type panel (labels, expression, cell-type table) once, so
    that a bad label or expression file fails ``make data`` rather than notebook 11;
    remembered by the files' sizes and modification times."""
    from ..io.chromdragonn import panel_entries

    if not manifest.files_with_role("accessibility_labels"):
        return
    try:
        entries = [e for e in panel_entries(manifest) if e is not None]
    except KeyError:  # no expression to go with the labels: not a panel for notebook 11
        return
    if not all(e.local_path.exists() for e in entries):
        return
    key = "panel:" + "|".join(str(e.local_path) for e in entries)
    files = [[e.local_path.stat().st_size, e.local_path.stat().st_mtime_ns] for e in entries]
    if state.get(key, {}).get("files") == files:
        return
    from ..data.chromdragonn import load_panel

    panel = load_panel(manifest)
    state[key] = {
        "files": files,
        "cell_types": len(panel.labelled),
        "rna_only": len(panel.rna_only),
    }


def _matches(pattern: str, chrom: str) -> bool:
    from fnmatch import fnmatchcase

    from ..io.chroms import chrom_aliases

    return any(fnmatchcase(name, pattern) for name in (chrom, *chrom_aliases(chrom)))


def _file_chroms(path: Path, file_format: str, state: dict) -> dict:
    """``{"sizes": {chrom: length} or None, "ends": {chrom: largest end}, "no_values":
    [...]}`` of a file, remembered in ``state`` by path, size and modification time."""
    stat = path.stat()
    key = str(path)
    seen = state.get(key)
    if seen and seen.get("size") == stat.st_size and seen.get("mtime_ns") == stat.st_mtime_ns:
        return seen["chroms"]
    found = _read_chroms(path, file_format)
    state[key] = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "chroms": found}
    return found


def _read_chroms(path: Path, file_format: str) -> dict:
    import pandas as pd

    from ..io.annotation import read_bed
    from ..io.bigwig import bigwig_chrom_sizes, chroms_without_values
    from ..io.fasta import read_chrom_sizes

    found: dict = {"sizes": None, "ends": {}, "no_values": []}
    if file_format in ("fai", "chrom_sizes"):
        found["sizes"] = read_chrom_sizes(path)
    elif file_format == "bigwig":
        found["sizes"] = bigwig_chrom_sizes(path)
        found["no_values"] = chroms_without_values(path)
    elif file_format in ("bed", "bed_gz", "narrowpeak_gz"):
        table = read_bed(path)
        found["ends"] = {str(c): int(e) for c, e in table.groupby("chrom")["end"].max().items()}
    elif file_format in ("gtf", "gtf_gz"):
        from ..io.annotation import GTF_COLUMNS, check_gtf_records

        try:  # all nine columns: a bad line is refused here, not when a notebook reads it
            table = pd.read_csv(path, sep="\t", comment="#", header=None, names=GTF_COLUMNS,
                                usecols=["chrom", "start", "end", "attributes"], dtype={"chrom": str})  # fmt: skip
        except (OSError, EOFError, ValueError, pd.errors.ParserError) as err:
            raise InputFileError(path, f"is not a readable GTF ({err})") from None
        check_gtf_records(path, table)
        ends = pd.to_numeric(table["end"])
        found["ends"] = {str(c): int(e) for c, e in ends.groupby(table["chrom"]).max().items()}
    elif file_format == "vcf_gz":
        found["ends"] = _vcf_chroms(path)
    return found


def _vcf_chroms(path: Path) -> dict[str, int]:
    """Largest position per chromosome of a VCF's records (plain text, gzip or BGZF).

    Read with the reader the notebooks use, so a missing #CHROM line, a record short of
    the header's columns or a POS that is not a number is refused at data time.
    """
    from ..io.vcf import _VcfText

    ends: dict[str, int] = {}
    try:
        with _VcfText(path) as vcf:
            for _number, pos, fields in vcf.records():
                ends[fields[0]] = max(ends.get(fields[0], 0), pos)
    except (OSError, UnicodeDecodeError, *COMPRESSION_ERRORS) as err:
        raise _read_error(path, err, "VCF") from None
    return ends


def _compare_names(path: Path, found: dict, ref_path: Path, reference: dict, exact: bool) -> None:
    """One file's chromosome names and extents against the FASTA's (``reference``)."""
    from ..io.chroms import match_chrom

    names = list(found["sizes"] or found["ends"])
    if not names:
        return  # an empty file names nothing
    mapped = {c: match_chrom(c, reference) for c in names}
    unknown = [c for c, m in mapped.items() if m is None]
    if len(unknown) == len(names):
        raise InputFileError(
            path,
            f"none of its {len(names)} chromosome names ({', '.join(map(repr, names[:4]))}) is a "
            f"chromosome of {ref_path} ({', '.join(map(repr, list(reference)[:4]))}), in either spelling",
        )
    if unknown:
        if exact:
            raise InputFileError(
                path, f"chromosome {unknown[0]!r} is not in {ref_path}; {len(unknown)} such names"
            )
        log.warning("%s: %d of %d chromosome names are not in %s (%s); their lines are ignored",
                    path, len(unknown), len(names), ref_path, ", ".join(unknown[:5]))  # fmt: skip
    for chrom, length in (found["sizes"] or {}).items():
        name = mapped[chrom]
        if name is not None and reference[name] != length:
            raise InputFileError(
                path,
                f"chromosome {chrom!r} has length {length} but {reference[name]} in {ref_path}",
            )
    for chrom, end in found["ends"].items():
        name = mapped[chrom]
        if name is not None and end > reference[name]:
            raise InputFileError(
                path,
                f"a record on {chrom!r} ends at {end:,}, past the end of the chromosome "
                f"({reference[name]:,} bp in {ref_path})",
            )
    if exact:
        missing = [c for c in reference if match_chrom(c, found["sizes"]) is None]
        if missing:
            raise InputFileError(path, f"lacks chromosome {missing[0]!r} that {ref_path} has")


# -- command line ------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    """``seqreg-data prepare --dataset synthetic --scale demo``"""
    parser = argparse.ArgumentParser(
        prog="python -m seqreg.project.datasets", description=__doc__.split("\n")[0]
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("prepare", help="generate or download and verify a dataset")
    p.add_argument(
        "--dataset", default="synthetic", help="manifest name or path (default: synthetic)"
    )
    p.add_argument("--scale", default="demo", choices=SCALES)
    p.add_argument(
        "--data-root", default=None, help="directory of datasets (default: <project>/data)"
    )
    p.add_argument("--no-progress", action="store_true", help="hide progress bars")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("msprime").setLevel(logging.WARNING)  # per-chromosome chatter
    try:
        manifest = prepare(args.dataset, args.scale, args.data_root, progress=not args.no_progress)
    except (SeqregError, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(f"{manifest.name} ({args.scale}) ready in {manifest.root}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
