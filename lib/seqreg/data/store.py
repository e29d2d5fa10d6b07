"""The HDF5 training store: per split, windows' base codes ``(W, seq_length)`` and targets
``(W, bins, tracks)`` in float16, with the track table and window settings.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import numpy as np

from ..project.errors import InputFileError
from .targets import transform_targets
from .windows import SPLITS, WindowSpec, merged_intervals


# -- the store ---------------------------------------------------------------------------------
def build_store(manifest, path: str | Path, spec: WindowSpec, windows, genome: str | None = None,
                chunk_windows: int = 256, progress: bool = True) -> Path:  # fmt: skip
    """Write the training store for ``windows`` (with a ``split`` column) of ``manifest``.

    HDF5 layout: ``sequences`` (windows x seq_length, uint8 codes A=0 C=1 G=2 T=3 N=4),
    ``targets`` (windows x target_length x tracks, float16), ``chrom``/``start``/``end``/
    ``split`` per window, attributes ``spec``, ``tracks`` (the store's tracks as JSON
    records, in target order), ``statistics`` and ``baselines``. Written to a temporary file
    that replaces ``path`` when complete.

    Parameters
    ----------
    manifest
        The dataset (:class:`~seqreg.project.Manifest`).
    spec
        Window length, bins, crop and NaN policy.
    windows
        ``chrom``, ``start``, ``end``, ``split`` (from :func:`~seqreg.data.plan_windows`).
    genome
        Genome whose tracks become targets (default: the manifest's first).
    chunk_windows
        Windows read and written at a time (memory: about ``chunk_windows x seq_length x
        (1 + 4 x tracks / pool_width)`` bytes).

    Returns
    -------
    Path
        ``path``, complete.

    Raises
    ------
    InputFileError
        When a track's bigWig is missing (nothing is written), a bigWig lacks a window's
        chromosome or holds no finite value in any window, or the FASTA cannot be read.
    """
    import h5py
    import pyfaidx

    from ..project.files import atomic_path

    genome = genome or next(iter(manifest.genomes))
    tracks = [t for t in manifest.tracks if t.genome == genome]
    missing = [t for t in tracks if not t.local_path.exists()]
    if missing:
        raise InputFileError(missing[0].local_path, f"track '{missing[0].id}' of {manifest.source} does not exist "
                             f"({len(missing)} missing); nothing was written")  # fmt: skip
    masked_regions = _mask_regions(manifest, genome)
    merged_mask = (
        merged_intervals(masked_regions)
        if masked_regions is not None and len(masked_regions)
        else {}
    )
    windows = windows.sort_values(["chrom", "start"]).reset_index(drop=True)
    baselines = track_baselines(tracks, windows, spec)
    stats = {"windows": len(windows), "tracks": len(tracks),
             **{f"windows_{s}": int((windows["split"] == s).sum()) for s in SPLITS}}  # fmt: skip
    fasta = manifest.path_of("genome_fasta", genome)
    with atomic_path(path, suffix=".h5") as tmp, h5py.File(tmp, "w") as store, \
            pyfaidx.Fasta(str(fasta), as_raw=True, sequence_always_upper=True) as fa:  # fmt: skip
        _write_window_table(store, windows)
        _write_store_arrays(
            store, fa, windows, tracks, spec, merged_mask, baselines, chunk_windows, progress
        )
        store.attrs["spec"] = json.dumps(asdict(spec))
        store.attrs["tracks"] = json.dumps([t.record() for t in tracks])
        store.attrs["statistics"] = json.dumps(stats | {"target_length": spec.target_length})
        store.attrs["baselines"] = json.dumps(baselines)
    return Path(path)


def _write_window_table(store, windows) -> None:
    import h5py

    string = h5py.string_dtype()
    store.create_dataset("chrom", data=windows["chrom"].to_numpy(dtype=object), dtype=string)
    store.create_dataset("start", data=windows["start"].to_numpy(np.int64))
    store.create_dataset("end", data=windows["end"].to_numpy(np.int64))
    store.create_dataset("split", data=windows["split"].to_numpy(dtype=object), dtype=string)


def _write_store_arrays(store, fa, windows, tracks, spec: WindowSpec, merged_mask, baselines,
                        chunk_windows: int, progress: bool) -> None:  # fmt: skip
    """Sequences and transformed targets, chunk by chunk, into ``store``."""
    from ..io.bigwig import open_bigwig
    from ..io.chroms import resolve_chrom
    from ..project.progress import progress_bar as tqdm

    n, n_tracks = len(windows), len(tracks)
    seq_ds = store.create_dataset("sequences", (n, spec.seq_length), dtype="uint8",
                                  chunks=(min(n, 64), spec.seq_length), compression="lzf")  # fmt: skip
    tgt_ds = store.create_dataset("targets", (n, spec.target_length, n_tracks), dtype="float16",
                                  chunks=(min(n, 64), spec.target_length, n_tracks), compression="lzf")  # fmt: skip
    handles = {t.id: open_bigwig(t.local_path) for t in tracks}
    has_values = np.zeros(n_tracks, dtype=bool)
    try:
        for lo in tqdm(
            range(0, n, chunk_windows), desc="store", unit="chunk", disable=not progress
        ):
            chunk = windows.iloc[lo : lo + chunk_windows]
            seq_ds[lo : lo + len(chunk)] = _sequences(fa, chunk, spec.seq_length)
            block = np.empty((len(chunk), spec.target_length, n_tracks), dtype=np.float16)
            masked = _mask_matrix(chunk, merged_mask, spec.seq_length)
            for k, track in enumerate(tracks):
                values = _read_chunk(
                    handles[track.id], track.local_path, chunk, spec.seq_length, resolve_chrom
                )
                has_values[k] |= bool(np.isfinite(values).any())
                block[:, :, k] = transform_targets(values, spec, track.sum_stat, track.scale, track.soft_clip,
                                                   track.clip, baselines[track.id], masked)  # fmt: skip
            tgt_ds[lo : lo + len(chunk)] = block
    finally:
        for handle in handles.values():
            handle.close()
    if not has_values.all():
        empty = tracks[int(np.flatnonzero(~has_values)[0])]
        raise InputFileError(
            empty.local_path,
            f"track '{empty.id}' holds no finite value in any of the {n} windows (every value "
            "NaN or missing); it cannot be a training target, and no store was written",
        )


def _mask_regions(manifest, genome: str):
    import pandas as pd

    from .inputs import dataset_intervals

    frames = [dataset_intervals(manifest, role, genome) for role in ("blacklist", "unmappable")]
    frames = [f for f in frames if f is not None]
    return pd.concat(frames, ignore_index=True) if frames else None


def _mask_matrix(chunk, merged, seq_length: int) -> np.ndarray | None:
    if not merged:
        return None
    mask = np.zeros((len(chunk), seq_length), dtype=bool)
    for row, (chrom, start) in enumerate(zip(chunk["chrom"], chunk["start"], strict=True)):
        if chrom not in merged:
            continue
        starts, ends = merged[chrom]
        k = np.searchsorted(ends, start, side="right")
        while k < len(starts) and starts[k] < start + seq_length:
            mask[row, max(starts[k] - start, 0) : min(ends[k] - start, seq_length)] = True
            k += 1
    return mask


def _sequences(fa, chunk, seq_length: int) -> np.ndarray:
    from ..sequence.encode import sequence_codes

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
    """Spec, statistics and tracks of a store.

    Returns
    -------
    dict
        ``spec`` (the :class:`~seqreg.data.WindowSpec` fields), ``statistics`` (window
        counts, target length) and ``tracks``: the :class:`~seqreg.project.Track` of each
        target column, in order.
    """
    import h5py

    from ..project.manifest import Track

    with h5py.File(path, "r") as store:
        return {
            "spec": json.loads(store.attrs["spec"]),
            "statistics": json.loads(store.attrs["statistics"]),
            "tracks": [Track.from_record(r) for r in json.loads(store.attrs["tracks"])],
        }


def load_split(path: str | Path, split: str):
    """Sequences, targets and coordinates of one split of a store, in store order.

    Returns
    -------
    (np.ndarray, np.ndarray, pandas.DataFrame)
        ``(windows, seq_length)`` uint8 codes, ``(windows, bins, tracks)`` float32
        targets, and the windows (``chrom``, ``start``, ``end``, ``row`` in the store).

    Raises
    ------
    ValueError
        For a split other than train, valid or test.
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


def read_window_targets(
    manifest, track, windows, spec: WindowSpec, clipping: bool = True, baseline: float = 0.0
):
    """Targets of one track for some windows, with or without its clipping (for inspection)."""
    from ..io.bigwig import open_bigwig
    from ..io.chroms import resolve_chrom

    regions = _mask_regions(manifest, track.genome)
    merged = merged_intervals(regions) if regions is not None and len(regions) else {}
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


def track_baselines(
    tracks, windows, spec: WindowSpec, n_windows: int = 64, seed: int = 0
) -> dict[str, float]:
    """Each track's ``spec.baseline_percentile`` of covered values, from up to ``n_windows``
    windows spread over the genome (the value masked positions take)."""
    from ..io.bigwig import open_bigwig
    from ..io.chroms import resolve_chrom

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


def build_label_store(source: str | Path, path: str | Path, subsequences, labels: np.ndarray,
                      tracks) -> Path:  # fmt: skip
    """Write a store of short subsequences with binary labels, cut from a training store.

    The binary-classifier benchmark (Basenji 2018, Supp. Fig. S1) trains Basset and
    DeepSEA on subsequences of the training windows with one peak label per track; this
    store holds them in the layout of :func:`build_store` (so
    :class:`~seqreg.data.TrainingData` and :func:`seqreg.train.fit` read it unchanged),
    except that ``targets`` is ``(subsequences, tracks)`` uint8 rather than per bin.

    Parameters
    ----------
    source
        The training store the subsequences come from (their sequences are copied from it).
    path
        Where to write; written to a temporary file that replaces ``path`` when complete.
    subsequences
        From :func:`seqreg.data.subsequence_table` on the source store's windows: ``row``
        (the window's row in ``source``), ``offset``, ``start``, ``end``, ``chrom`` and
        ``split``; all the same length.
    labels
        ``(subsequences, tracks)`` 0/1.
    tracks
        The :class:`~seqreg.project.Track` of each label column.

    Returns
    -------
    Path
        ``path``, complete.

    Raises
    ------
    ValueError
        When ``labels`` does not have one row per subsequence and one column per track,
        holds values other than 0 and 1, or the subsequences differ in length or run past
        their window.
    InputFileError
        When ``source`` is not a readable store.
    """
    import h5py

    from ..project.files import atomic_path

    labels = np.asarray(labels)
    if labels.shape != (len(subsequences), len(tracks)):
        raise ValueError(
            f"labels have shape {labels.shape}; expected ({len(subsequences)}, {len(tracks)}) "
            "(one row per subsequence, one column per track)"
        )
    if not np.isin(labels, (0, 1)).all():
        raise ValueError("labels must be 0 or 1")
    lengths = (subsequences["end"] - subsequences["start"]).unique()
    if len(lengths) != 1:
        raise ValueError(f"subsequences must share one length, found {sorted(lengths)[:3]}")
    length = int(lengths[0])
    source = Path(source)
    if not source.is_file():
        raise InputFileError(source, "no training store here; build it with notebook 01")
    rows = subsequences["row"].to_numpy(np.int64)
    offsets = subsequences["offset"].to_numpy(np.int64)
    stats = {"windows": len(subsequences), "tracks": len(tracks),
             **{f"windows_{s}": int((subsequences["split"] == s).sum()) for s in SPLITS},
             "target_length": 1, "positives": labels.mean(axis=0).round(4).tolist()}  # fmt: skip
    try:
        with h5py.File(source, "r") as src:
            seq_length = src["sequences"].shape[1]
            if offsets.min() < 0 or (offsets + length).max() > seq_length:
                raise ValueError(f"subsequences run past the {seq_length}-bp windows of {source}")
            windows = src["sequences"][np.unique(rows)]
            window_index = np.searchsorted(np.unique(rows), rows)
            spec = json.loads(src.attrs["spec"])
    except (OSError, KeyError) as error:
        raise InputFileError(source, f"not a readable training store ({error})") from error
    sequences = np.stack(
        [windows[w, o : o + length] for w, o in zip(window_index, offsets, strict=True)]
    )
    with atomic_path(path, suffix=".h5") as tmp, h5py.File(tmp, "w") as store:
        _write_window_table(store, subsequences)
        store.create_dataset("sequences", data=sequences, chunks=(min(len(sequences), 256), length),
                             compression="lzf")  # fmt: skip
        store.create_dataset("targets", data=labels.astype(np.uint8), compression="lzf")
        store.attrs["spec"] = json.dumps(spec | {"seq_length": length, "labels": "binary"})
        store.attrs["tracks"] = json.dumps([t.record() for t in tracks])
        store.attrs["statistics"] = json.dumps(stats)
        store.attrs["source"] = str(source)
    return Path(path)
