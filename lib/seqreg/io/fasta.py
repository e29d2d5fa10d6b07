"""FASTA files: indexes, chromosome sizes, assembly gaps (runs of N), and writers for
FASTA and chromosome-size files.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np

from ..project.errors import InputFileError
from ..project.files import atomic_path

_N_BYTES = np.frombuffer(b"Nn", dtype=np.uint8)


def read_chrom_sizes(path: str | Path) -> dict[str, int]:
    """Chromosome lengths from a two-column sizes file or a FASTA index (``.fai``).

    Returns
    -------
    dict
        ``{chrom: length}`` in file order.

    Raises
    ------
    InputFileError
        When the file is missing, empty, lists a chromosome twice or has a malformed
        line (named by number).
    """
    path = Path(path)
    if not path.exists():
        raise InputFileError(path, "no such file")
    sizes: dict[str, int] = {}
    with open(path) as handle:
        for line_number, line in enumerate(handle, 1):
            if not line.strip() or line.startswith("#"):
                continue
            fields = line.rstrip("\n").split("\t")
            try:
                chrom, length = fields[0], int(fields[1])
            except (IndexError, ValueError):
                raise InputFileError(
                    path, f"line {line_number}: expected 'name<TAB>length', got {line.strip()!r}"
                ) from None
            if chrom in sizes:
                raise InputFileError(path, f"line {line_number}: chromosome {chrom!r} listed twice")
            sizes[chrom] = length
    if not sizes:
        raise InputFileError(path, "lists no chromosomes")
    return sizes


def check_fasta_file(fasta: str | Path, declared: str | None = None) -> str:
    """What kind of FASTA file ``fasta`` is: ``"plain"`` or ``"bgzf"``.

    Parameters
    ----------
    fasta
        The file.
    declared
        The manifest format (``fasta`` or ``fasta_gz``), when known; a compressed file
        declared ``fasta`` is an error.

    Raises
    ------
    InputFileError
        When the file is missing or empty, compressed with plain gzip (pyfaidx reads only BGZF;
        the message gives the command that recompresses it), gzip-compressed but declared
        plain ``fasta``, or not FASTA text (the first character is not ``>``).
    """
    import gzip

    from ._compressed import _is_bgzf, _is_gzip

    fasta = Path(fasta)
    if not fasta.exists():
        raise InputFileError(fasta, "no such FASTA file")
    with open(fasta, "rb") as handle:
        head = handle.read(18)
    if not head:
        raise InputFileError(fasta, "is empty")
    if _is_gzip(fasta):
        if declared == "fasta":
            raise InputFileError(fasta, "is gzip-compressed but declared 'format: fasta'; "
                                 "declare it 'fasta_gz' (BGZF) or add 'unpack: gunzip'")  # fmt: skip
        if not _is_bgzf(fasta):
            raise InputFileError(
                fasta,
                "is compressed with plain gzip, which cannot be read by position; recompress it "
                f"with bgzip ('gunzip {fasta.name} && bgzip {fasta.stem}', which keeps the name; "
                "bgzip comes with htslib, e.g. the Debian package tabix) or add 'unpack: gunzip' "
                "to its manifest entry",
            )
        with gzip.open(fasta, "rb") as handle:
            first = handle.read(1)
        kind = "bgzf"
    else:
        first, kind = head.lstrip()[:1], "plain"
    if first != b">":
        raise InputFileError(
            fasta, f"is not a FASTA file (it starts with {first!r}, not a '>' header line)"
        )
    return kind


def _index_is_current(fasta: Path, index: Path, kind: str) -> bool:
    """Whether ``index`` is a complete .fai of ``fasta``: newer than it, every line five
    integers, and (plain FASTA) every record's offset just after a line end, the last record
    ending within the file."""
    if not index.exists() or index.stat().st_mtime_ns < fasta.stat().st_mtime_ns:
        return False
    try:
        rows = [line.rstrip("\n").split("\t") for line in index.read_text().splitlines()]
        entries = [(r[0], *map(int, r[1:5])) for r in rows if r != [""]]
    except (ValueError, IndexError, UnicodeDecodeError, OSError):
        return False
    if not entries or any(len(r) < 5 for r in rows if r != [""]):
        return False
    if kind != "plain":
        return True
    size = fasta.stat().st_size
    _, length, offset, line_bases, line_width = entries[-1]
    if line_bases <= 0 or offset + (length // line_bases) * line_width + length % line_bases > size:
        return False
    checked = entries if len(entries) <= 200 else entries[:100] + entries[-100:]
    with open(fasta, "rb") as handle:
        for _, _, offset, _, _ in checked:
            handle.seek(offset - 1)
            if handle.read(1) != b"\n":
                return False
    return True


def ensure_fasta_index(fasta: str | Path, declared: str | None = None) -> Path:
    """Build ``<fasta>.fai`` with pyfaidx unless a current, complete one exists; return its path.

    A stale index (older than the FASTA) or a truncated or malformed one is rebuilt.

    Raises
    ------
    InputFileError
        When the FASTA is missing, not FASTA, compressed other than with BGZF (see
        :func:`check_fasta_file`), or cannot be indexed.
    """
    import pyfaidx

    fasta = Path(fasta)
    kind = check_fasta_file(fasta, declared)
    index = Path(str(fasta) + ".fai")
    if _index_is_current(fasta, index, kind):
        return index
    with atomic_path(index) as tmp:
        tmp.unlink()  # pyfaidx would read the empty placeholder as an index
        try:
            pyfaidx.Faidx(str(fasta), indexname=str(tmp), rebuild=True).close()
        except (pyfaidx.FastaIndexingError, pyfaidx.UnsupportedCompressionFormat) as err:
            raise InputFileError(fasta, f"cannot be indexed: {err}") from None
        except ValueError as err:  # pyfaidx: 'Duplicate key "chr1"'
            name = str(err).partition("Duplicate key ")[2].strip()
            if not name:
                raise InputFileError(fasta, f"cannot be indexed: {err}") from None
            raise InputFileError(
                fasta, f"names chromosome {name} twice; each sequence name must be unique"
            ) from None
    return index


def iter_sequence_chunks(
    fasta: str | Path, chrom: str, chunk_size: int = 10_000_000
) -> Iterator[tuple[int, bytes]]:
    """Yield ``(start, sequence_bytes)`` chunks of one chromosome (upper/lower case kept).

    Raises
    ------
    InputFileError
        When the FASTA has no chromosome ``chrom``.
    """
    import pyfaidx

    with pyfaidx.Fasta(str(fasta), as_raw=True, sequence_always_upper=False, rebuild=False) as fa:
        if chrom not in fa:
            raise InputFileError(fasta, f"has no chromosome {chrom!r}")
        length = len(fa[chrom])
        for start in range(0, length, chunk_size):
            yield start, fa[chrom][start : min(start + chunk_size, length)].encode("ascii")


def n_runs(sequence: bytes | str, offset: int = 0) -> np.ndarray:
    """Runs of ``N``/``n`` in a sequence as an ``(n_runs, 2)`` array of [start, end).

    Examples
    --------
    >>> n_runs("ACNNNGTN").tolist()
    [[2, 5], [7, 8]]
    """
    if isinstance(sequence, str):
        sequence = sequence.encode("ascii")
    is_n = np.isin(np.frombuffer(sequence, dtype=np.uint8), _N_BYTES).astype(np.int8)
    edges = np.diff(np.concatenate([[0], is_n, [0]]))
    starts = np.flatnonzero(edges == 1)
    ends = np.flatnonzero(edges == -1)
    return np.stack([starts, ends], axis=1).astype(np.int64) + offset


def gaps_from_fasta(
    fasta: str | Path, chroms: Iterable[str] | None = None, min_length: int = 1
) -> list[tuple[str, int, int]]:
    """Assembly gaps (runs of N of at least ``min_length``) as ``(chrom, start, end)``.

    Runs that cross chunk boundaries are merged, so the result equals a scan of the
    whole chromosome at once.
    """
    fasta = Path(fasta)
    ensure_fasta_index(fasta)
    names = list(chroms) if chroms is not None else list(read_chrom_sizes(str(fasta) + ".fai"))
    gaps: list[tuple[str, int, int]] = []
    for chrom in names:
        runs: list[list[int]] = []
        for start, chunk in iter_sequence_chunks(fasta, chrom):
            for run_start, run_end in n_runs(chunk, start).tolist():
                if runs and runs[-1][1] == run_start:
                    runs[-1][1] = run_end
                else:
                    runs.append([run_start, run_end])
        gaps.extend((chrom, s, e) for s, e in runs if e - s >= min_length)
    return gaps


def n_fraction_by_chrom(fasta: str | Path, chroms: Iterable[str] | None = None):
    """Fraction of ``N`` bases per chromosome.

    Returns
    -------
    pandas.DataFrame
        Columns ``chrom``, ``length``, ``n_bases``, ``n_fraction``, ``n_gaps``.
    """
    import pandas as pd

    fasta = Path(fasta)
    ensure_fasta_index(fasta)
    sizes = read_chrom_sizes(str(fasta) + ".fai")
    names = list(chroms) if chroms is not None else list(sizes)
    gaps = pd.DataFrame(gaps_from_fasta(fasta, names), columns=["chrom", "start", "end"])
    gaps["length"] = gaps["end"] - gaps["start"]
    per_chrom = gaps.groupby("chrom")["length"].agg(["sum", "count"])
    rows = []
    for chrom in names:
        n_bases = int(per_chrom["sum"].get(chrom, 0))
        rows.append(
            {
                "chrom": chrom,
                "length": sizes[chrom],
                "n_bases": n_bases,
                "n_fraction": n_bases / sizes[chrom],
                "n_gaps": int(per_chrom["count"].get(chrom, 0)),
            }
        )
    return pd.DataFrame(rows)


def write_fasta(path: str | Path, sequences: dict[str, bytes | str], line_width: int = 60) -> Path:
    """Write sequences to a FASTA file atomically, then index it; return the path."""
    path = Path(path)
    with atomic_path(path) as tmp, open(tmp, "wb") as handle:
        for name, seq in sequences.items():
            data = seq.encode("ascii") if isinstance(seq, str) else bytes(seq)
            handle.write(f">{name}\n".encode())
            for i in range(0, len(data), line_width):
                handle.write(data[i : i + line_width] + b"\n")
    ensure_fasta_index(path)
    return path


def write_chrom_sizes(path: str | Path, sizes: dict[str, int]) -> Path:
    """Write a two-column chromosome sizes file atomically."""
    from ..project.files import write_text

    return write_text(path, "".join(f"{c}\t{n}\n" for c, n in sizes.items()))
