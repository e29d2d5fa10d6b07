"""Coverage tracks in bigWig files: chromosome sizes, NaN/zero QC, value sampling."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np

from ..project.errors import InputFileError
from ..project.files import atomic_path
from .chroms import resolve_chrom


def _open(path: str | Path):
    import pyBigWig

    path = Path(path)
    if not path.exists():
        raise InputFileError(path, "no such bigWig file")
    try:
        handle = pyBigWig.open(str(path))
    except RuntimeError:
        handle = None
    if handle is None or not handle.isBigWig():
        raise InputFileError(path, "is not a readable bigWig file")
    return handle


def bigwig_chrom_sizes(path: str | Path) -> dict[str, int]:
    """Chromosome sizes stored in a bigWig header."""
    handle = _open(path)
    try:
        return dict(handle.chroms())
    finally:
        handle.close()


def read_intervals(handle, chrom: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All stored intervals of ``chrom`` as ``(starts, ends, values)`` arrays."""
    intervals = handle.intervals(chrom) or ()
    if not intervals:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float64)
    array = np.asarray(intervals, dtype=np.float64)
    return array[:, 0].astype(np.int64), array[:, 1].astype(np.int64), array[:, 2]


def coverage_qc(path: str | Path, chroms: Iterable[str] | None = None):
    """Per-chromosome fractions of missing (NaN) and zero values of a bigWig track.

    ``chroms`` are looked up as the track spells them (``chr1`` or ``1``, see
    :func:`seqreg.io.match_chrom`) and reported as given.

    A base is NaN when no interval covers it or its stored value is NaN, and zero
    when its stored value is 0, as ``pyBigWig.values`` would report it.

    Returns
    -------
    pandas.DataFrame
        Columns ``chrom``, ``length``, ``nan_fraction``, ``zero_fraction``, ``mean``
        (mean over non-NaN bases).

    Raises
    ------
    InputFileError
        When the bigWig lacks one of ``chroms`` (under any of its spellings).
    """
    import pandas as pd

    handle = _open(path)
    try:
        sizes = dict(handle.chroms())
        rows = []
        for chrom in chroms if chroms is not None else sizes:
            name = resolve_chrom(chrom, sizes, path)  # the track may spell it chr1 or 1
            starts, ends, values = read_intervals(handle, name)
            widths = ends - starts
            finite = np.isfinite(values)
            covered = int(widths[finite].sum())
            zero = int(widths[finite & (values == 0)].sum())
            total = float((widths[finite] * values[finite]).sum())
            rows.append(
                {
                    "chrom": chrom,
                    "length": sizes[name],
                    "nan_fraction": 1 - covered / sizes[name],
                    "zero_fraction": zero / sizes[name],
                    "mean": total / covered if covered else float("nan"),
                }
            )
    finally:
        handle.close()
    return pd.DataFrame(rows)


def chroms_without_values(path: str | Path) -> list[str]:
    """Chromosomes of a bigWig that hold no finite value (no intervals, or only NaN ones).

    Reads the zoom-level summary of each chromosome first and scans the stored intervals only
    of chromosomes whose summary has no finite maximum, so a large track costs little.

    Returns
    -------
    list of str
        Chromosome names as the bigWig spells them, in header order.

    Raises
    ------
    InputFileError
        When the file is missing or not a bigWig.
    """
    handle = _open(path)
    try:
        empty = []
        for chrom in handle.chroms():
            summary = handle.stats(chrom, type="max")
            if summary and summary[0] is not None and np.isfinite(summary[0]):
                continue
            _, _, values = read_intervals(handle, chrom)
            if not np.isfinite(values).any():
                empty.append(chrom)
        return empty
    finally:
        handle.close()


def sample_values(
    path: str | Path, n: int, seed: int = 0, chroms: Iterable[str] | None = None
) -> np.ndarray:
    """Values at ``n`` bases drawn uniformly from the covered (non-NaN) bases of a track
    (``chroms`` in either spelling, ``chr1`` or ``1``).

    Raises
    ------
    InputFileError
        When the bigWig lacks one of ``chroms``, or holds no finite value on them (every
        stored value NaN, or nothing stored).
    """
    handle = _open(path)
    try:
        sizes = handle.chroms()
        names = (
            [resolve_chrom(c, sizes, path) for c in chroms] if chroms is not None else list(sizes)
        )
        parts = [read_intervals(handle, c) for c in names]
    finally:
        handle.close()
    widths = np.concatenate([e - s for s, e, _ in parts]) if parts else np.zeros(0)
    values = np.concatenate([v for _, _, v in parts]) if parts else np.zeros(0)
    keep = np.isfinite(values) & (widths > 0)
    widths, values = widths[keep], values[keep]
    if not len(values):
        where = f" on {', '.join(names)}" if chroms is not None else ""
        raise InputFileError(path, f"holds no finite value{where} (every value is NaN or missing)")
    rng = np.random.default_rng(seed)
    return values[rng.choice(len(values), size=n, p=widths / widths.sum())]


def write_bigwig(
    path: str | Path,
    chrom_sizes: dict[str, int],
    values: dict[str, np.ndarray],
    bin_size: int,
) -> Path:
    """Write binned values to a bigWig atomically; NaN bins are left uncovered.

    Parameters
    ----------
    chrom_sizes
        ``{chrom: length}``, in the order chromosomes are written.
    values
        ``{chrom: array of ceil(length / bin_size) floats}``; NaN marks missing data.
    bin_size
        Width of each value in bases (the last bin of a chromosome is clipped).

    Raises
    ------
    ValueError
        When a chromosome's values do not have one value per bin.
    """
    import pyBigWig

    with atomic_path(path) as tmp:
        handle = pyBigWig.open(str(tmp), "w")
        try:
            handle.addHeader(list(chrom_sizes.items()), maxZooms=10)
            for chrom, length in chrom_sizes.items():
                track = np.asarray(values[chrom], dtype=np.float64)
                expected = -(-length // bin_size)
                if len(track) != expected:
                    raise ValueError(f"{chrom}: {len(track)} bins given, {expected} needed")
                starts = np.arange(expected, dtype=np.int64) * bin_size
                ends = np.minimum(starts + bin_size, length)
                keep = np.isfinite(track)
                if keep.any():
                    handle.addEntries(
                        [chrom] * int(keep.sum()),
                        starts[keep].tolist(),
                        ends=ends[keep].tolist(),
                        values=track[keep].tolist(),
                    )
        finally:
            handle.close()
    return Path(path)


def read_values(path: str | Path, chrom: str, start: int, end: int) -> np.ndarray:
    """Base-level values of ``[start, end)`` (NaN where the track has no data).

    Raises
    ------
    InputFileError
        When the bigWig has no chromosome ``chrom`` (nor its alias).
    """
    handle = _open(path)
    try:
        sizes = handle.chroms()
        name = resolve_chrom(chrom, sizes, path)
        return np.asarray(handle.values(name, max(0, start), min(end, sizes[name]), numpy=True))
    finally:
        handle.close()


def open_bigwig(path: str | Path):
    """Open a bigWig for reading (a clear error when it is missing or not a bigWig)."""
    return _open(path)
