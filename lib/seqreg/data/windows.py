"""Training data: windows and splits, coverage targets, and the on-disk store.

The steps follow the Basenji papers' preprocessing:

1. contigs are the chromosomes split at assembly gaps; windows of ``seq_length`` are tiled
   along them with a stride (the 2018 paper tiles without overlap; the 2019 paper uses
   half-overlapping windows shifted by 63 bp so bin boundaries move between windows);
   windows with too much unmappable sequence are dropped;
2. windows are split into train/valid/test by contiguous genomic blocks (or chromosome
   lists, or a custom function), and windows that would overlap another split are dropped;
3. each track's coverage is read for every window, missing values filled, blacklisted and
   unmappable positions set to the track's 25th percentile, cropped, pooled into bins,
   scaled, soft- and hard-clipped and stored as float16.

:func:`build_store` streams windows in chunks through every track, so memory stays bounded
as windows and tracks grow; the store (HDF5) appears at its path only when complete.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from ..models.geometry import target_bins
from ..project.errors import InputFileError

SPLITS = ("train", "valid", "test")


NanPolicy = Literal["zero", "interpolate", "baseline"]


@dataclass(frozen=True)
class WindowSpec:
    """How windows and targets are cut.

    ``crop_bp`` is removed from each end of a window's targets; targets have
    ``(seq_length - 2 * crop_bp) / pool_width`` bins.
    """

    seq_length: int
    pool_width: int
    stride: int
    crop_bp: int = 0
    max_unmappable: float = 0.35
    nan_policy: str = "zero"
    baseline_percentile: float = 25.0
    min_gap: int = 50

    def __post_init__(self):
        target_bins(self.seq_length, self.pool_width, self.crop_bp)  # raises when they do not fit
        if self.nan_policy not in ("zero", "interpolate", "baseline"):
            raise ValueError(
                f"nan_policy must be zero, interpolate or baseline, not {self.nan_policy!r}"
            )

    @property
    def target_length(self) -> int:
        """Target bins per window (:func:`seqreg.models.geometry.target_bins`)."""
        return target_bins(self.seq_length, self.pool_width, self.crop_bp)


# -- windows and splits ---------------------------------------------------------------------
def contigs(chrom_sizes: dict[str, int], gaps: Sequence[tuple[str, int, int]], min_gap: int = 50):
    """Chromosomes split at gaps of at least ``min_gap`` bases, as a DataFrame (chrom, start, end)."""
    import pandas as pd

    rows = []
    by_chrom: dict[str, list[tuple[int, int]]] = {}
    for chrom, start, end in gaps:
        if end - start >= min_gap:
            by_chrom.setdefault(chrom, []).append((start, end))
    for chrom, length in chrom_sizes.items():
        cursor = 0
        for start, end in sorted(by_chrom.get(chrom, [])):
            if start > cursor:
                rows.append((chrom, cursor, start))
            cursor = max(cursor, end)
        if cursor < length:
            rows.append((chrom, cursor, length))
    return pd.DataFrame(rows, columns=["chrom", "start", "end"])


def tile_windows(contig_table, seq_length: int, stride: int):
    """Windows of ``seq_length`` every ``stride`` bases inside each contig (chrom, start, end)."""
    import pandas as pd

    rows = []
    for contig in contig_table.itertuples():
        starts = np.arange(contig.start, contig.end - seq_length + 1, stride)
        rows.append(
            pd.DataFrame({"chrom": contig.chrom, "start": starts, "end": starts + seq_length})
        )
    windows = (
        pd.concat(rows, ignore_index=True)
        if rows
        else pd.DataFrame(columns=["chrom", "start", "end"])
    )
    return windows.astype({"start": np.int64, "end": np.int64})


@contextlib.contextmanager
def _quiet_pandas_deprecations():
    """bioframe 0.8 calls pandas APIs that pandas 3 deprecates; the results are unaffected."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        yield


def merged_intervals(regions) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per chromosome, the sorted starts and ends of ``regions`` merged where they overlap or
    touch (bioframe's merge).

    Parameters
    ----------
    regions
        DataFrame with ``chrom``, ``start``, ``end`` (0-based, half open); may overlap.

    Returns
    -------
    dict
        ``{chrom: (starts, ends)}``, int64 arrays.
    """
    import bioframe

    with _quiet_pandas_deprecations():
        merged = bioframe.merge(
            regions[["chrom", "start", "end"]].astype({"start": np.int64, "end": np.int64})
        )
    return {
        chrom: (group["start"].to_numpy(np.int64), group["end"].to_numpy(np.int64))
        for chrom, group in merged.sort_values(["chrom", "start"]).groupby("chrom", sort=False)
    }


def covered_fraction(windows, regions) -> np.ndarray:
    """Fraction of each window covered by ``regions`` (bioframe's coverage).

    Parameters
    ----------
    windows
        DataFrame with ``chrom``, ``start``, ``end``.
    regions
        DataFrame with ``chrom``, ``start``, ``end``; may overlap (overlaps count once).

    Returns
    -------
    numpy.ndarray
        ``(len(windows),)`` fractions in [0, 1], in the order of ``windows``.
    """
    if regions is None or not len(regions):
        return np.zeros(len(windows))
    import bioframe

    columns = ["chrom", "start", "end"]
    as_int = {"start": np.int64, "end": np.int64}
    with _quiet_pandas_deprecations():
        covered = bioframe.coverage(
            windows[columns].astype(as_int), regions[columns].astype(as_int)
        )
    lengths = (windows["end"] - windows["start"]).to_numpy()
    return covered["coverage"].to_numpy() / lengths


def assign_splits(
    windows,
    valid_fraction: float = 0.05,
    test_fraction: float = 0.05,
    chromosomes: dict[str, Sequence[str]] | None = None,
    custom: Callable | None = None,
    block_bp: int | None = None,
    seed: int = 0,
):
    """Label windows train/valid/test by contiguous blocks, then drop cross-split overlaps.

    Parameters
    ----------
    windows
        DataFrame (chrom, start, end).
    valid_fraction, test_fraction
        Shares of windows for validation and test when neither ``chromosomes`` nor
        ``custom`` is given; whole blocks of ``block_bp`` (default: 8 windows) are
        assigned, at random.
    chromosomes
        ``{"valid": [...], "test": [...]}``: whole chromosomes per split (the rest train).
    custom
        ``custom(windows) -> sequence of labels``: any other assignment (the cross-species
        work assigns homologous regions together).

    Returns
    -------
    pandas.DataFrame
        The windows that remain, with a ``split`` column; no window overlaps a window of
        another split.

    Raises
    ------
    ValueError
        When a custom split function returns labels other than train, valid and test, or
        no window is left for training (a genome too small for the split). A split that
        comes out empty although asked for is a warning; when the default blocks leave
        valid or test empty, windows are assigned one by one instead.
    """
    windows = windows.sort_values(["chrom", "start"]).reset_index(drop=True)
    if custom is not None:
        labels = np.asarray(list(custom(windows)), dtype=object)
    elif chromosomes is not None:
        labels = np.full(len(windows), "train", dtype=object)
        for split, names in chromosomes.items():
            labels[windows["chrom"].isin(list(names)).to_numpy()] = split
    else:
        window_bp = int((windows["end"] - windows["start"]).max())
        labels = _random_blocks(
            windows, block_bp or 8 * window_bp, valid_fraction, test_fraction, seed
        )
        wanted = {"train": 1.0, "valid": valid_fraction, "test": test_fraction}
        if block_bp is None and any(f > 0 and s not in labels for s, f in wanted.items()):
            # a genome of few blocks: split window by window so every split gets some
            labels = _random_blocks(windows, window_bp, valid_fraction, test_fraction, seed)
    unknown = set(labels) - set(SPLITS)
    if unknown:
        raise ValueError(f"split labels must be {SPLITS}, got {sorted(unknown)}")
    keep = np.ones(len(windows), dtype=bool)
    # drop a window that overlaps a kept window of another split (neighbours only overlap)
    last_end: dict[str, int] = {}
    last_chrom = None
    for i, (chrom, start, end, split) in enumerate(
        zip(windows["chrom"], windows["start"], windows["end"], labels, strict=True)
    ):
        if chrom != last_chrom:
            last_end, last_chrom = {}, chrom
        if any(other != split and e > start for other, e in last_end.items()):
            keep[i] = False
            continue
        last_end[split] = max(last_end.get(split, 0), end)
    result = windows.assign(split=labels)[keep].reset_index(drop=True)
    counts = result["split"].value_counts()
    if not counts.get("train", 0):
        raise ValueError(
            f"no window is left for training: {len(windows)} windows in all "
            f"({', '.join(f'{s} {counts.get(s, 0)}' for s in SPLITS)}); the genome is too small "
            "for these split fractions (use a smaller scale, smaller fractions or more sequence)"
        )
    requested = (
        {"valid": valid_fraction, "test": test_fraction}
        if custom is None and chromosomes is None
        else {}
    )
    for split in SPLITS:
        if not counts.get(split, 0) and (
            requested.get(split, 0) > 0 or (chromosomes or {}).get(split)
        ):
            warnings.warn(
                f"the {split} split is empty ({len(result)} windows: "
                f"{', '.join(f'{s} {counts.get(s, 0)}' for s in SPLITS)})",
                stacklevel=2,
            )
    return result


def _random_blocks(windows, block_bp: int, valid_fraction: float, test_fraction: float, seed: int):
    """Split labels by random contiguous blocks of ``block_bp``, test then valid filled first."""
    block = windows["chrom"] + ":" + (windows["start"] // block_bp).astype(str)
    blocks = list(dict.fromkeys(block))
    rng = np.random.default_rng(seed)
    rng.shuffle(blocks)
    sizes = block.value_counts()
    labels_by_block, counts = {}, {"test": 0, "valid": 0}
    targets = {"test": test_fraction * len(windows), "valid": valid_fraction * len(windows)}
    for b in blocks:
        split = next((s for s in ("test", "valid") if counts[s] < targets[s]), "train")
        if split != "train" and counts["test"] + counts["valid"] + sizes[b] >= len(windows):
            split = "train"  # never the last windows: training needs some
        labels_by_block[b] = split
        if split != "train":
            counts[split] += sizes[b]
    return block.map(labels_by_block).to_numpy(dtype=object)


def overlapping_pairs_across_splits(windows) -> int:
    """Number of pairs of windows from different splits that overlap (should be 0)."""
    count = 0
    for _, group in windows.sort_values(["chrom", "start"]).groupby("chrom"):
        starts, ends, splits = (
            group["start"].to_numpy(),
            group["end"].to_numpy(),
            group["split"].to_numpy(),
        )
        for i in range(len(group)):
            j = i + 1
            while j < len(group) and starts[j] < ends[i]:
                count += splits[j] != splits[i]
                j += 1
    return int(count)


def plan_windows(
    manifest,
    spec: WindowSpec,
    genome: str | None = None,
    valid_fraction: float = 0.05,
    test_fraction: float = 0.05,
    chromosomes: dict[str, Sequence[str]] | None = None,
    custom: Callable | None = None,
    seed: int = 0,
):
    """Contigs, windows, the unmappable filter and splits for one genome of a dataset.

    Chromosomes the manifest excludes (``genomes[].exclude_chroms``) get no windows; gaps and
    unmappable BEDs may spell chromosomes either way (``1`` or ``chr1``).

    Returns
    -------
    windows, dropped
        The kept windows (``chrom``, ``start``, ``end``, ``unmappable_fraction``,
        ``split``) and the number dropped for unmappable sequence.

    Raises
    ------
    InputFileError
        When no chromosome is long enough for one window, or an input BED is unreadable.
    ValueError
        When no window is left for training (see :func:`assign_splits`).
    """

    from ..io.fasta import gaps_from_fasta
    from .inputs import dataset_intervals, genome_chrom_sizes

    genome = genome or next(iter(manifest.genomes))
    fasta = manifest.path_of("genome_fasta", genome)
    sizes = genome_chrom_sizes(manifest, genome)
    gap_table = dataset_intervals(manifest, "gaps", genome)
    if gap_table is not None:
        gaps = [tuple(row) for row in gap_table.itertuples(index=False)]
    else:
        gaps = gaps_from_fasta(fasta, list(sizes), min_length=spec.min_gap)
    windows = tile_windows(contigs(sizes, gaps, spec.min_gap), spec.seq_length, spec.stride)
    if not len(windows):
        raise InputFileError(
            fasta,
            f"no chromosome holds a {spec.seq_length:,}-bp window (longest contig "
            f"{max(sizes.values()):,} bp); use a smaller scale or a larger genome",
        )
    unmappable = dataset_intervals(manifest, "unmappable", genome)
    windows["unmappable_fraction"] = covered_fraction(windows, unmappable)
    keep = windows["unmappable_fraction"] <= spec.max_unmappable
    windows = assign_splits(
        windows[keep], valid_fraction, test_fraction, chromosomes, custom, seed=seed
    )
    return windows, int((~keep).sum())
