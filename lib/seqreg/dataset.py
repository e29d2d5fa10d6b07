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

import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from .errors import InputFileError

FLOAT16_MAX = 65504.0
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
        if (self.seq_length - 2 * self.crop_bp) % self.pool_width:
            raise ValueError("seq_length - 2 * crop_bp must be a multiple of pool_width")
        if self.nan_policy not in ("zero", "interpolate", "baseline"):
            raise ValueError(
                f"nan_policy must be zero, interpolate or baseline, not {self.nan_policy!r}"
            )

    @property
    def target_length(self) -> int:
        return (self.seq_length - 2 * self.crop_bp) // self.pool_width


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


def _merged(regions) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Per chromosome: merged starts, ends and the covered length before each interval."""
    merged = {}
    for chrom, group in regions.groupby("chrom", sort=False):
        intervals = sorted(zip(group["start"], group["end"], strict=True))
        starts, ends = [], []
        for s, e in intervals:
            if starts and s <= ends[-1]:
                ends[-1] = max(ends[-1], e)
            else:
                starts.append(s)
                ends.append(e)
        starts, ends = np.array(starts, dtype=np.int64), np.array(ends, dtype=np.int64)
        before = np.concatenate([[0], np.cumsum(ends - starts)[:-1]])
        merged[chrom] = (starts, ends, before)
    return merged


def _covered_before(position: np.ndarray, starts, ends, before) -> np.ndarray:
    k = np.searchsorted(starts, position, side="right") - 1
    inside = np.where(k >= 0, np.clip(position - starts[np.maximum(k, 0)], 0, None), 0)
    inside = np.minimum(
        inside, np.where(k >= 0, ends[np.maximum(k, 0)] - starts[np.maximum(k, 0)], 0)
    )
    return np.where(k >= 0, before[np.maximum(k, 0)] + inside, 0)


def covered_fraction(windows, regions) -> np.ndarray:
    """Fraction of each window covered by ``regions`` (DataFrame chrom, start, end; may overlap)."""
    out = np.zeros(len(windows))
    if regions is None or not len(regions):
        return out
    merged = _merged(regions)
    for chrom, index in windows.groupby("chrom", sort=False).groups.items():
        if chrom not in merged:
            continue
        rows = windows.loc[index]
        starts, ends, before = merged[chrom]
        covered = _covered_before(rows["end"].to_numpy(), starts, ends, before) - _covered_before(
            rows["start"].to_numpy(), starts, ends, before
        )
        out[windows.index.get_indexer(index)] = covered / (rows["end"] - rows["start"]).to_numpy()
    return out


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
    """
    windows = windows.sort_values(["chrom", "start"]).reset_index(drop=True)
    if custom is not None:
        labels = np.asarray(list(custom(windows)), dtype=object)
    elif chromosomes is not None:
        labels = np.full(len(windows), "train", dtype=object)
        for split, names in chromosomes.items():
            labels[windows["chrom"].isin(list(names)).to_numpy()] = split
    else:
        block_bp = block_bp or 8 * int((windows["end"] - windows["start"]).max())
        block = windows["chrom"] + ":" + (windows["start"] // block_bp).astype(str)
        blocks = list(dict.fromkeys(block))
        rng = np.random.default_rng(seed)
        rng.shuffle(blocks)
        sizes = block.value_counts()
        labels_by_block, counts = {}, {"test": 0, "valid": 0}
        targets = {"test": test_fraction * len(windows), "valid": valid_fraction * len(windows)}
        for b in blocks:
            split = next((s for s in ("test", "valid") if counts[s] < targets[s]), "train")
            labels_by_block[b] = split
            if split != "train":
                counts[split] += sizes[b]
        labels = block.map(labels_by_block).to_numpy(dtype=object)
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
    return windows.assign(split=labels)[keep].reset_index(drop=True)


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

    Returns
    -------
    windows, dropped
        The kept windows (``chrom``, ``start``, ``end``, ``unmappable_fraction``,
        ``split``) and the number dropped for unmappable sequence.
    """

    from .genome import gaps_from_fasta, read_bed, read_chrom_sizes

    genome = genome or next(iter(manifest.genomes))
    fasta = manifest.path_of("genome_fasta", genome)
    sizes = read_chrom_sizes(f"{fasta}.fai")
    if manifest.has("gaps", genome) and manifest.file("gaps", genome).format == "bed":
        gaps = [
            tuple(row) for row in read_bed(manifest.path_of("gaps", genome)).itertuples(index=False)
        ]
    else:
        gaps = gaps_from_fasta(fasta, min_length=spec.min_gap)
    windows = tile_windows(contigs(sizes, gaps, spec.min_gap), spec.seq_length, spec.stride)
    unmappable = None
    if manifest.has("unmappable", genome):
        unmappable = read_bed(manifest.path_of("unmappable", genome))
    windows["unmappable_fraction"] = covered_fraction(windows, unmappable)
    keep = windows["unmappable_fraction"] <= spec.max_unmappable
    windows = assign_splits(
        windows[keep], valid_fraction, test_fraction, chromosomes, custom, seed=seed
    )
    return windows, int((~keep).sum())


def read_window_targets(
    manifest, track, windows, spec: WindowSpec, clipping: bool = True, baseline: float = 0.0
):
    """Targets of one track for some windows, with or without its clipping (for inspection)."""
    from .tracks import open_bigwig, resolve_chrom

    regions = _mask_regions(manifest, track.genome)
    merged = _merged(regions) if regions is not None and len(regions) else {}
    handle = open_bigwig(track.local_path)
    try:
        values = _read_chunk(
            handle, track.local_path, windows.reset_index(drop=True), spec.seq_length, resolve_chrom
        )
    finally:
        handle.close()
    masked = _mask_matrix(windows.reset_index(drop=True), merged, spec.seq_length)
    return transform_targets(values, spec, track.sum_stat, track.scale, track.soft_clip if clipping else None,
                             track.clip if clipping else None, baseline, masked)  # fmt: skip


# -- target transforms -----------------------------------------------------------------------------
def fill_nan(values: np.ndarray, policy: NanPolicy, baseline: float = 0.0) -> np.ndarray:
    """Fill NaNs of ``(windows, positions)`` values: with 0, the ``baseline``, or by linear
    interpolation along each window (edges take the nearest value; all-NaN rows the baseline)."""
    values = np.array(values, dtype=np.float32)
    missing = np.isnan(values)
    if not missing.any():
        return values
    if policy == "zero":
        values[missing] = 0.0
    elif policy == "baseline":
        values[missing] = baseline
    elif policy == "interpolate":
        positions = np.arange(values.shape[1])
        for row in np.flatnonzero(missing.any(axis=1)):
            known = ~missing[row]
            if known.any():
                values[row, ~known] = np.interp(
                    positions[~known], positions[known], values[row, known]
                )
            else:
                values[row] = baseline
    else:
        raise ValueError(f"unknown NaN policy {policy!r}")
    return values


def pool(values: np.ndarray, width: int, stat: str = "sum") -> np.ndarray:
    """Pool ``(windows, positions)`` into ``(windows, positions // width)`` bins.

    ``stat`` is ``sum``, ``mean``, ``max``, ``median``, or ``sum_sqrt`` / ``mean_sqrt``
    (the square root of the sum or mean, which tempers very high coverage).
    """
    n, length = values.shape
    if length % width:
        raise ValueError(f"{length} positions do not pool evenly into bins of {width}")
    blocks = values.reshape(n, length // width, width)
    if stat in ("sum", "sum_sqrt"):
        pooled = blocks.sum(axis=2)
    elif stat in ("mean", "mean_sqrt"):
        pooled = blocks.mean(axis=2)
    elif stat == "max":
        pooled = blocks.max(axis=2)
    elif stat == "median":
        pooled = np.median(blocks, axis=2)
    else:
        raise ValueError(f"unknown pooling statistic {stat!r}")
    return np.sqrt(np.clip(pooled, 0, None)) if stat.endswith("_sqrt") else pooled


def soft_clip(values: np.ndarray, threshold: float) -> np.ndarray:
    """``min(x, t + sqrt(max(0, x - t)))``: values above ``t`` grow only as a square root."""
    return np.minimum(values, threshold + np.sqrt(np.clip(values - threshold, 0, None)))


def transform_targets(
    values: np.ndarray,
    spec: WindowSpec,
    sum_stat: str = "sum",
    scale: float = 1.0,
    soft_clip_at: float | None = None,
    clip_at: float | None = None,
    baseline: float = 0.0,
    masked: np.ndarray | None = None,
) -> np.ndarray:
    """Base-level ``(windows, seq_length)`` coverage to ``(windows, target_length)`` targets.

    Order: fill NaNs (``spec.nan_policy``), set ``masked`` positions to ``baseline``, crop,
    pool, scale, soft clip, hard clip, and cap at the float16 maximum.
    """
    values = fill_nan(values, spec.nan_policy, baseline)
    if masked is not None:
        values[masked] = baseline
    if spec.crop_bp:
        values = values[:, spec.crop_bp : values.shape[1] - spec.crop_bp]
    targets = pool(values, spec.pool_width, sum_stat) * scale
    if soft_clip_at is not None:
        targets = soft_clip(targets, soft_clip_at)
    if clip_at is not None:
        targets = np.minimum(targets, clip_at)
    return np.minimum(targets, FLOAT16_MAX).astype(np.float32)


# -- the store ---------------------------------------------------------------------------------
def build_store(
    manifest,
    path: str | Path,
    spec: WindowSpec,
    windows,
    genome: str | None = None,
    chunk_windows: int = 256,
    progress: bool = True,
) -> Path:
    """Write the training store for ``windows`` (with a ``split`` column) of ``manifest``.

    HDF5 layout: ``sequences`` (windows x seq_length, uint8 codes A=0 C=1 G=2 T=3 N=4),
    ``targets`` (windows x target_length x tracks, float16), ``chrom``/``start``/``end``/
    ``split`` per window, attributes ``spec``, ``tracks`` (the track table as JSON records)
    and ``statistics``. Written to a temporary file that replaces ``path`` when complete.
    """
    import h5py
    import pyfaidx
    from tqdm.auto import tqdm

    from .io import atomic_path
    from .tracks import open_bigwig, resolve_chrom

    genome = genome or next(iter(manifest.genomes))
    tracks = [t for t in manifest.tracks if t.genome == genome]
    missing = [t for t in tracks if not t.local_path.exists()]
    if missing:
        raise InputFileError(missing[0].local_path, f"track '{missing[0].id}' of {manifest.source} does not exist "
                             f"({len(missing)} missing); nothing was written")  # fmt: skip
    masked_regions = _mask_regions(manifest, genome)
    merged_mask = (
        _merged(masked_regions) if masked_regions is not None and len(masked_regions) else {}
    )
    windows = windows.sort_values(["chrom", "start"]).reset_index(drop=True)
    baselines = track_baselines(tracks, windows, spec)
    n, n_tracks = len(windows), len(tracks)
    fasta = manifest.path_of("genome_fasta", genome)
    stats = {
        "windows": n,
        "tracks": n_tracks,
        **{f"windows_{s}": int((windows["split"] == s).sum()) for s in SPLITS},
    }
    with atomic_path(path, suffix=".h5") as tmp, h5py.File(tmp, "w") as store, \
            pyfaidx.Fasta(str(fasta), as_raw=True, sequence_always_upper=True) as fa:  # fmt: skip
        seq_ds = store.create_dataset("sequences", (n, spec.seq_length), dtype="uint8",
                                      chunks=(min(n, 64), spec.seq_length), compression="lzf")  # fmt: skip
        tgt_ds = store.create_dataset("targets", (n, spec.target_length, n_tracks), dtype="float16",
                                      chunks=(min(n, 64), spec.target_length, n_tracks), compression="lzf")  # fmt: skip
        string = h5py.string_dtype()
        store.create_dataset("chrom", data=windows["chrom"].to_numpy(dtype=object), dtype=string)
        store.create_dataset("start", data=windows["start"].to_numpy(np.int64))
        store.create_dataset("end", data=windows["end"].to_numpy(np.int64))
        store.create_dataset("split", data=windows["split"].to_numpy(dtype=object), dtype=string)
        handles = {t.id: open_bigwig(t.local_path) for t in tracks}
        try:
            chunks = range(0, n, chunk_windows)
            for lo in tqdm(chunks, desc="store", unit="chunk", disable=not progress):
                chunk = windows.iloc[lo : lo + chunk_windows]
                seq_ds[lo : lo + len(chunk)] = _sequences(fa, chunk, spec.seq_length)
                block = np.empty((len(chunk), spec.target_length, n_tracks), dtype=np.float16)
                masked = _mask_matrix(chunk, merged_mask, spec.seq_length)
                for k, track in enumerate(tracks):
                    values = _read_chunk(
                        handles[track.id], track.local_path, chunk, spec.seq_length, resolve_chrom
                    )
                    block[:, :, k] = transform_targets(
                        values,
                        spec,
                        track.sum_stat,
                        track.scale,
                        track.soft_clip,
                        track.clip,
                        baselines[track.id],
                        masked,
                    )
                tgt_ds[lo : lo + len(chunk)] = block
        finally:
            for handle in handles.values():
                handle.close()
        store.attrs["spec"] = json.dumps(asdict(spec))
        store.attrs["tracks"] = (
            manifest.track_table().drop(columns=["path"]).to_json(orient="records")
        )
        store.attrs["statistics"] = json.dumps(stats | {"target_length": spec.target_length})
        store.attrs["baselines"] = json.dumps(baselines)
    return Path(path)


def track_baselines(
    tracks, windows, spec: WindowSpec, n_windows: int = 64, seed: int = 0
) -> dict[str, float]:
    """Each track's ``spec.baseline_percentile`` of covered values, from up to ``n_windows``
    windows spread over the genome (the value masked positions take)."""
    from .tracks import open_bigwig, resolve_chrom

    rng = np.random.default_rng(seed)
    rows = np.sort(rng.choice(len(windows), size=min(n_windows, len(windows)), replace=False))
    sample = windows.iloc[rows].reset_index(drop=True)
    baselines = {}
    for track in tracks:
        handle = open_bigwig(track.local_path)
        try:
            values = _read_chunk(handle, track.local_path, sample, spec.seq_length, resolve_chrom)
        finally:
            handle.close()
        covered = values[~np.isnan(values)]
        baselines[track.id] = (
            float(np.percentile(covered, spec.baseline_percentile)) if covered.size else 0.0
        )
    return baselines


def _mask_regions(manifest, genome: str):
    import pandas as pd

    from .genome import read_bed

    frames = []
    for role in ("blacklist", "unmappable"):
        for entry in manifest.files_with_role(role, genome):
            if entry.format in ("bed", "bed_gz"):
                frames.append(read_bed(entry.local_path))
    return pd.concat(frames, ignore_index=True) if frames else None


def _mask_matrix(chunk, merged, seq_length: int) -> np.ndarray | None:
    if not merged:
        return None
    mask = np.zeros((len(chunk), seq_length), dtype=bool)
    for row, (chrom, start) in enumerate(zip(chunk["chrom"], chunk["start"], strict=True)):
        if chrom not in merged:
            continue
        starts, ends, _ = merged[chrom]
        k = np.searchsorted(ends, start, side="right")
        while k < len(starts) and starts[k] < start + seq_length:
            mask[row, max(starts[k] - start, 0) : min(ends[k] - start, seq_length)] = True
            k += 1
    return mask


def _sequences(fa, chunk, seq_length: int) -> np.ndarray:
    from .genome import sequence_codes

    out = np.empty((len(chunk), seq_length), dtype=np.uint8)
    for row, (chrom, start, end) in enumerate(
        zip(chunk["chrom"], chunk["start"], chunk["end"], strict=True)
    ):
        out[row] = sequence_codes(fa[chrom][start:end])
    return out


def _read_chunk(handle, path, chunk, seq_length: int, resolve_chrom) -> np.ndarray:
    """Base-level values of every window in ``chunk``, one bigWig read per chromosome span."""
    out = np.empty((len(chunk), seq_length), dtype=np.float32)
    sizes = handle.chroms()
    for chrom, rows in chunk.groupby("chrom", sort=False).groups.items():
        name = resolve_chrom(chrom, sizes, path)
        sub = chunk.loc[rows]
        lo, hi = int(sub["start"].min()), int(sub["end"].max())
        span = np.asarray(
            handle.values(name, lo, min(hi, sizes[name]), numpy=True), dtype=np.float32
        )
        if len(span) < hi - lo:
            span = np.concatenate([span, np.full(hi - lo - len(span), np.nan, dtype=np.float32)])
        offsets = sub["start"].to_numpy() - lo
        index = offsets[:, None] + np.arange(seq_length)[None, :]
        out[chunk.index.get_indexer(rows)] = span[index]
    return out


def read_store_info(path: str | Path) -> dict:
    """Spec, statistics and track table of a store."""
    import h5py

    with h5py.File(path, "r") as store:
        return {
            "spec": json.loads(store.attrs["spec"]),
            "statistics": json.loads(store.attrs["statistics"]),
            "tracks": json.loads(store.attrs["tracks"]),
        }


def load_split(path: str | Path, split: str):
    """Sequences, targets and coordinates of one split of a store, in store order.

    Returns
    -------
    (np.ndarray, np.ndarray, pandas.DataFrame)
        ``(windows, seq_length)`` uint8 codes, ``(windows, bins, tracks)`` float32
        targets, and the windows (``chrom``, ``start``, ``end``, ``row`` in the store).
    """
    import h5py
    import pandas as pd

    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, not {split!r}")
    with h5py.File(path, "r") as store:
        rows = np.flatnonzero(store["split"].asstr()[:] == split)
        windows = pd.DataFrame(
            {
                "chrom": store["chrom"].asstr()[rows],
                "start": store["start"][rows],
                "end": store["end"][rows],
                "row": rows,
            }
        )
        return store["sequences"][rows], store["targets"][rows].astype(np.float32), windows
