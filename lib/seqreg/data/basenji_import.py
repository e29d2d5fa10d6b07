"""Basenji and Baskerville data directories as training stores.

``basenji_data.py`` (calico/basenji) and ``hound_data.py`` (calico/baskerville) write a
directory that holds the training data of a Basenji model:

- ``statistics.json``: ``seq_length``, ``pool_width``, ``crop_bp``, ``target_length``,
  ``num_targets`` and the window count of each split (``train_seqs``, ...);
- ``targets.txt``: one row per target column, tab-separated with a header (an unnamed
  index column, ``identifier``, ``file``, ``clip``, optionally ``clip_soft``, ``scale``,
  ``sum_stat``, optionally ``strand_pair``, ``description``);
- ``sequences.bed``: one window per line (chrom, start, end, split label), all windows of a
  split in the order of the split's TFRecords;
- ``tfrecords/<label>-<n>.tfr``: ZLIB-compressed TFRecords, one ``tf.train.Example`` per
  window with the bytes features ``sequence`` (uint8: one-hot ``(seq_length, 4)`` or base
  indices ``(seq_length,)`` with A=0 C=1 G=2 T=3 N=4) and ``target`` (float16
  ``(target_length, num_targets)``, already cropped, pooled, scaled and clipped).

The two projects differ in two ways that the converter detects: Baskerville (and recent
Basenji) writes base indices where older Basenji wrote one-hot rows (told apart by the
number of sequence bytes), and ``hound_data.py`` writes the target span
(``seq_length - 2 x crop_bp``) to ``sequences.bed`` and extends it by ``crop_bp`` on each
side when it reads the sequence, where ``basenji_data.py`` writes the whole window (told
apart by the length of the BED intervals). The store always holds whole windows.

:func:`convert_basenji_data` writes the project's HDF5 training store from such a directory
(the layout of :func:`~seqreg.data.build_store`), so :func:`~seqreg.data.load_split`,
:func:`~seqreg.data.read_store_info`, :class:`~seqreg.data.TrainingData` and notebooks 02-03
read it like a store built here. Command line::

    python -m seqreg.data.basenji_import DATA_DIR OUT_STORE

Source: the data format of Basenji (Kelley et al. 2018, Genome Research) and Basenji2
(Kelley 2020, PLoS Computational Biology) as written by calico/basenji ``basenji_data.py``
and calico/baskerville ``hound_data.py``.
"""

from __future__ import annotations

import json
import math
import re
import sys
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from ..project.errors import InputFileError
from ..project.manifest import Track
from .windows import SPLITS, WindowSpec

#: how the converted store says where its targets come from (``statistics["source"]``)
SOURCE_FORMAT = "basenji"

_REQUIRED_STATISTICS = ("seq_length", "pool_width", "target_length", "num_targets")
_TARGET_FEATURES = ("target", "targets")  # Basenji since 2019; the first TFRecord writers
_CHUNK_BYTES = 4 << 20  # HDF5 chunks of about 4 MiB


@dataclass
class BasenjiData:
    """A checked Basenji data directory (from :func:`read_basenji_data`).

    Attributes
    ----------
    data_dir
        The directory.
    statistics
        ``statistics.json`` as read.
    spec
        Window length, bin width and crop of the data (``stride`` as given or inferred).
    tracks
        One :class:`~seqreg.project.Track` per target column, in ``targets.txt`` order.
    windows
        One row per window in store order (each split's windows in the order of its
        TFRecords): ``chrom``, ``start``, ``end`` (the whole ``seq_length`` window, 0-based
        half-open), ``split`` (train, valid, test), ``label`` (the label in
        ``sequences.bed``) and ``source_row`` (0-based line of ``sequences.bed``).
    tfrecords
        Per label, its TFRecord files in the order of their numbers.
    bed_offset
        Bases added to each side of a ``sequences.bed`` interval to get its window:
        0 (``basenji_data.py``) or ``crop_bp`` (``hound_data.py``).
    """

    data_dir: Path
    statistics: dict
    spec: WindowSpec
    tracks: list[Track]
    windows: object  # pandas.DataFrame
    tfrecords: dict[str, list[Path]] = field(default_factory=dict)
    bed_offset: int = 0


# -- reading and checking the directory -------------------------------------------------------
def read_basenji_data(data_dir: str | Path, labels: Mapping[str, str] | None = None,
                      genome: str | None = None, stride: int | None = None) -> BasenjiData:  # fmt: skip
    """Read and check a Basenji/Baskerville data directory, except the TFRecords' contents.

    Parameters
    ----------
    data_dir
        Directory written by ``basenji_data.py`` or ``hound_data.py``.
    labels
        Split of each ``sequences.bed`` label (default: ``train``, ``valid`` and ``test``
        are their own splits); e.g. ``{"fold0": "test", "fold1": "valid", "fold2":
        "train"}`` for a cross-fold directory. Every label in the file must be mapped.
    genome
        Genome id recorded on every track (a genome of the notebooks' manifest).
    stride
        Bases between neighbouring windows, recorded in the store's spec (default: the
        commonest distance between neighbouring training windows, else ``seq_length``).

    Returns
    -------
    BasenjiData
        The statistics, window spec, tracks, windows in store order and TFRecord files.

    Raises
    ------
    InputFileError
        Naming the file, when ``data_dir`` is not a directory or ``statistics.json``,
        ``targets.txt``, ``sequences.bed`` or the ``tfrecords`` directory is missing,
        malformed, or disagrees with another of them.
    ValueError
        When ``labels`` maps a label to something other than train, valid or test.
    """
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise InputFileError(data_dir, "not a directory; a Basenji data directory holds "
                             "statistics.json, targets.txt, sequences.bed and tfrecords/")  # fmt: skip
    labels = dict(labels) if labels is not None else {s: s for s in SPLITS}
    wrong = {k: v for k, v in labels.items() if v not in SPLITS}
    if wrong:
        label, split = next(iter(wrong.items()))
        raise ValueError(f"label {label!r} maps to {split!r}; splits are {', '.join(SPLITS)}")
    statistics, seq_length, pool_width, crop_bp = _read_statistics(data_dir / "statistics.json")
    tracks = _read_targets(data_dir / "targets.txt", statistics["num_targets"], genome)
    windows, bed_offset = _read_windows(data_dir / "sequences.bed", labels, seq_length, crop_bp)
    _check_window_counts(data_dir / "statistics.json", statistics, windows)
    tfrecords = _tfrecord_files(data_dir / "tfrecords", windows)
    stride = int(stride) if stride else _inferred_stride(windows, seq_length)
    spec = WindowSpec(seq_length=seq_length, pool_width=pool_width, stride=stride, crop_bp=crop_bp)
    return BasenjiData(data_dir, statistics, spec, tracks, windows, tfrecords, bed_offset)


def _read_statistics(path: Path) -> tuple[dict, int, int, int]:
    """``statistics.json`` and its window geometry (``crop_bp`` inferred when absent)."""
    from ..models.geometry import crop_of, target_bins

    if not path.is_file():
        raise InputFileError(path, "missing; basenji_data.py and hound_data.py write the "
                             "window geometry and split sizes here")  # fmt: skip
    try:
        stats = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise InputFileError(path, f"not valid JSON ({err})") from None
    if not isinstance(stats, dict):
        raise InputFileError(path, "must hold a JSON object (seq_length, pool_width, ...)")
    for key in _REQUIRED_STATISTICS:
        if key not in stats:
            raise InputFileError(path, f"lacks {key!r}")
        if not _positive_int(stats[key]):
            raise InputFileError(path, f"{key!r} must be a positive integer, not {stats[key]!r}")
    seq_length, pool_width = stats["seq_length"], stats["pool_width"]
    target_length = stats["target_length"]
    if stats.get("seq_depth", 4) != 4:
        raise InputFileError(path, f"seq_depth {stats['seq_depth']!r}: only DNA (4) is read")
    if "crop_bp" in stats:
        crop_bp = stats["crop_bp"]
        if not (_positive_int(crop_bp) or crop_bp == 0):
            raise InputFileError(path, f"'crop_bp' must be an integer >= 0, not {crop_bp!r}")
    else:
        try:
            crop_bp = crop_of(seq_length, target_length, pool_width)
        except ValueError as err:
            raise InputFileError(path, f"no crop_bp, and {err}") from None
    try:
        bins = target_bins(seq_length, pool_width, crop_bp)
    except ValueError as err:
        raise InputFileError(path, str(err)) from None
    if bins != target_length:
        raise InputFileError(path, f"target_length {target_length} does not match seq_length "
                             f"{seq_length}, crop_bp {crop_bp} and pool_width {pool_width}, "
                             f"which give {bins} bins")  # fmt: skip
    return stats, seq_length, pool_width, crop_bp


def _positive_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _read_targets(path: Path, num_targets: int, genome: str | None) -> list[Track]:
    """The tracks of ``targets.txt``, checked against ``num_targets``."""
    import pandas as pd

    if not path.is_file():
        raise InputFileError(path, "missing; it names the target columns (identifier, "
                             "clip, scale, sum_stat, description)")  # fmt: skip
    try:
        table = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False, index_col=0)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise InputFileError(path, f"not a tab-separated table ({err})") from None
    table.columns = [str(c).strip() for c in table.columns]
    if "identifier" not in table.columns:
        raise InputFileError(path, "no 'identifier' column; the header must name the "
                             "columns (index, identifier, file, clip, scale, sum_stat, "
                             "description)")  # fmt: skip
    if len(table) != num_targets:
        raise InputFileError(path, f"has {len(table)} targets but statistics.json says "
                             f"num_targets {num_targets}")  # fmt: skip
    ids = [s.strip() for s in table["identifier"]]
    empty = [i for i, name in enumerate(ids) if not name]
    if empty:
        raise InputFileError(path, f"row {empty[0] + 1}: empty identifier")
    seen: dict[str, int] = {}
    for row, name in enumerate(ids):
        if name in seen:
            raise InputFileError(path, f"rows {seen[name] + 1} and {row + 1} share the "
                                 f"identifier {name!r}")  # fmt: skip
        seen[name] = row
    mates = _strand_mates(path, table, ids)
    tracks = []
    for row, (name, record) in enumerate(zip(ids, table.to_dict("records"), strict=True)):
        where = f"row {row + 1} ({name})"
        description = record.get("description", "").strip()
        assay, cell_type = _assay_and_cell_type(description)
        file = record.get("file", "").strip()
        mate = mates[row]
        tracks.append(
            Track(
                id=name,
                role="track",
                format="h5" if file.endswith((".h5", ".w5")) else "bigwig",
                path=Path(file or f"{name}.bw"),
                genome=genome,
                description=description,
                assay=assay,
                cell_type=cell_type,
                strand=_strand(name, row, mate) if mate is not None else ".",
                strand_pair=ids[mate] if mate is not None else None,
                clip=_number(path, where, "clip", record.get("clip")),
                soft_clip=_number(path, where, "clip_soft", record.get("clip_soft")),
                scale=_number(path, where, "scale", record.get("scale"), default=1.0),
                sum_stat=record.get("sum_stat", "").strip() or "sum",
            )
        )
    return tracks


def _number(path: Path, where: str, column: str, text: str | None, default=None):
    """A float cell of ``targets.txt``; empty, NaN or None mean unset (``default``)."""
    text = (text or "").strip()
    if text.lower() in ("", "nan", "none", "na"):
        return default
    try:
        value = float(text)
    except ValueError:
        raise InputFileError(path, f"{where}: {column} {text!r} is not a number") from None
    if not math.isfinite(value):
        raise InputFileError(path, f"{where}: {column} {text!r} is not a finite number")
    return value


def _strand_mates(path: Path, table, ids: list[str]) -> list[int | None]:
    """Per row, the row of its other strand (``strand_pair`` names the mate's index), or
    None for unstranded tracks (no column, an empty cell, or a track paired with itself)."""
    if "strand_pair" not in table.columns:
        return [None] * len(ids)
    position = {str(index).strip(): row for row, index in enumerate(table.index)}
    mates: list[int | None] = []
    for row, cell in enumerate(table["strand_pair"]):
        cell = cell.strip()
        if cell.lower() in ("", "nan", "none"):
            mates.append(None)
            continue
        if cell not in position:
            raise InputFileError(path, f"row {row + 1} ({ids[row]}): strand_pair {cell!r} is "
                                 "not an index of this table")  # fmt: skip
        mates.append(None if position[cell] == row else position[cell])
    for row, mate in enumerate(mates):
        if mate is not None and mates[mate] != row:
            raise InputFileError(path, f"row {row + 1} ({ids[row]}) pairs with {ids[mate]}, "
                                 f"which does not pair back")  # fmt: skip
    return mates


def _strand(name: str, row: int, mate: int) -> str:
    """``+`` or ``-`` from the identifier's last character (CNhs10586+), else ``+`` for the
    first of the pair."""
    if name[-1] in "+-":
        return name[-1]
    return "+" if row < mate else "-"


def _assay_and_cell_type(description: str) -> tuple[str, str]:
    """Assay and sample from a Basenji description: ``CAGE:sample``, ``DNASE:sample``,
    ``ATAC:sample``, ``CHIP:H3K27ac:sample`` (histone mark as the assay), ``CHIP:CTCF:sample``
    (``ChIP-CTCF``); a description without a colon is all sample."""
    head, colon, rest = description.partition(":")
    if not colon:
        return "", description
    key = head.strip().upper()
    if key == "CHIP":
        target, colon, sample = rest.partition(":")
        if not colon:
            return "ChIP", rest.strip()
        target = target.strip()
        histone = target.upper().startswith(("H2A", "H2B", "H3", "H4"))
        return (target if histone else f"ChIP-{target}"), sample.strip()
    return {"DNASE": "DNase", "ATAC": "ATAC", "CAGE": "CAGE"}.get(key, head.strip()), rest.strip()


def _read_windows(path: Path, labels: dict[str, str], seq_length: int, crop_bp: int):
    """Windows of ``sequences.bed`` in store order, and the bases added to each side."""
    import pandas as pd

    if not path.is_file():
        raise InputFileError(path, "missing; it lists each window (chrom, start, end, split)")
    rows = []
    lengths = {seq_length: 0}
    if crop_bp:
        lengths[seq_length - 2 * crop_bp] = crop_bp
    offset = None
    with open(path) as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip() or line.startswith(("#", "track", "browser")):
                continue
            parts = line.split()
            if len(parts) < 4:
                raise InputFileError(path, f"line {number}: {len(parts)} columns; a window "
                                     "line has chrom, start, end and split label")  # fmt: skip
            chrom, start, end, label = parts[:4]
            try:
                start, end = int(start), int(end)
            except ValueError:
                raise InputFileError(path, f"line {number}: start and end must be integers, "
                                     f"not {parts[1]!r} and {parts[2]!r}") from None  # fmt: skip
            if label not in labels:
                raise InputFileError(path, f"line {number}: label {label!r} is not one of "
                                     f"{', '.join(labels)}; map it to a split (labels=, or "
                                     "--split LABEL=SPLIT)")  # fmt: skip
            if end - start not in lengths:
                spans = " or ".join(str(n) for n in lengths)
                raise InputFileError(path, f"line {number}: window {chrom}:{start}-{end} is "
                                     f"{end - start} bp; statistics.json's seq_length "
                                     f"{seq_length} and crop_bp {crop_bp} allow {spans}")  # fmt: skip
            if offset is None:
                offset = lengths[end - start]
            elif lengths[end - start] != offset:
                raise InputFileError(path, f"line {number}: window {chrom}:{start}-{end} is "
                                     f"{end - start} bp, unlike the lines before it")  # fmt: skip
            rows.append((chrom, start - offset, end + offset, labels[label], label, len(rows)))
    if not rows:
        raise InputFileError(path, "lists no windows")
    windows = pd.DataFrame(rows, columns=["chrom", "start", "end", "split", "label", "source_row"])
    order = {label: k for k, label in enumerate(pd.unique(windows["label"]))}
    windows = windows.sort_values("label", key=lambda s: s.map(order), kind="stable")
    windows = windows.reset_index(drop=True).astype(
        {"start": np.int64, "end": np.int64, "source_row": np.int64}
    )
    return windows, int(offset)


def _check_window_counts(path: Path, stats: dict, windows) -> None:
    """``<label>_seqs`` of ``statistics.json`` must count the label's BED lines."""
    counts = windows["label"].value_counts()
    for label, count in counts.items():
        stated = stats.get(f"{label}_seqs")
        if stated is not None and stated != count:
            raise InputFileError(path, f"{label}_seqs is {stated!r} but sequences.bed has "
                                 f"{count} {label!r} windows")  # fmt: skip


def _tfrecord_files(directory: Path, windows) -> dict[str, list[Path]]:
    """Each label's ``<label>-<n>.tfr`` files, by number."""
    if not directory.is_dir():
        raise InputFileError(directory, "missing; it holds the <split>-<n>.tfr files")
    found: dict[str, list[tuple[int, Path]]] = {}
    for path in directory.iterdir():
        match = re.fullmatch(r"(.+)-(\d+)\.tfr", path.name)
        if match and path.is_file():
            found.setdefault(match.group(1), []).append((int(match.group(2)), path))
    files = {}
    for label, count in windows["label"].value_counts(sort=False).items():
        if label not in found:
            raise InputFileError(directory, f"no {label}-<n>.tfr files for the {count} "
                                 f"{label!r} windows of sequences.bed")  # fmt: skip
        files[label] = [p for _, p in sorted(found[label])]
    return files


def _inferred_stride(windows, seq_length: int) -> int:
    """The commonest distance between neighbouring training windows of a chromosome."""
    train = windows[windows["split"] == "train"].sort_values(["chrom", "start"])
    steps = train.groupby("chrom")["start"].diff().dropna()
    steps = steps[steps > 0]
    return int(steps.mode().min()) if len(steps) else seq_length


# -- converting -------------------------------------------------------------------------------
def convert_basenji_data(data_dir: str | Path, out_store: str | Path, labels: Mapping[str, str] | None = None,
                         genome: str | None = None, stride: int | None = None,
                         chunk_windows: int = 64, progress: bool = True) -> Path:  # fmt: skip
    """Write the training store of a Basenji/Baskerville data directory.

    The store has the layout of :func:`~seqreg.data.build_store`: ``sequences``
    ``(windows, seq_length)`` uint8 base codes (A=0 C=1 G=2 T=3 N=4; an all-zero one-hot row
    is N), ``targets`` ``(windows, target_length, num_targets)`` float16 exactly as the
    TFRecords hold them, ``chrom``/``start``/``end``/``split`` per window (the whole
    ``seq_length`` window in bases, 0-based half-open; Baskerville's target spans are
    widened by ``crop_bp`` on each side) and ``source_row`` (the window's 0-based line in
    ``sequences.bed``); attributes ``spec``, ``tracks`` (identifier as ``id``,
    description, assay and cell type parsed from it, ``clip``, ``clip_soft`` as
    ``soft_clip``, ``scale``, ``sum_stat``, ``strand_pair``), ``statistics`` (window counts,
    ``target_length`` and ``source: "basenji"``), ``baselines`` (empty) and ``source``
    (JSON: the directory, its ``statistics.json``, the sequence encodings found, and that
    the targets were cropped, pooled, scaled and clipped by the Basenji pipeline and are
    not transformed again). Windows keep their splits and, within a split, the order of
    the TFRecords. The store appears at ``out_store`` only when complete.

    Parameters
    ----------
    data_dir
        Directory written by ``basenji_data.py`` (calico/basenji) or ``hound_data.py``
        (calico/baskerville).
    out_store
        Path of the HDF5 store (notebooks 02-03 read ``<output_dir>/data/store.h5``).
    labels
        Split of each ``sequences.bed`` label (see :func:`read_basenji_data`).
    genome
        Genome id recorded on every track.
    stride
        Bases between neighbouring windows, for the record (default: inferred).
    chunk_windows
        Windows converted at a time (memory: about ``chunk_windows x (seq_length +
        2 x target_length x num_targets)`` bytes).
    progress
        Show a progress bar over windows.

    Returns
    -------
    Path
        ``out_store``, complete.

    Raises
    ------
    InputFileError
        Naming the file: a missing or malformed ``statistics.json``, ``targets.txt``,
        ``sequences.bed`` or ``tfrecords/`` (see :func:`read_basenji_data`); a TFRecord
        file that is not ZLIB-compressed, is truncated or corrupt, or holds an example
        whose ``sequence`` or ``target`` disagrees with ``statistics.json``; TFRecords that
        hold more or fewer examples of a split than ``sequences.bed`` lists. Nothing is
        written to ``out_store`` then.
    ValueError
        When ``labels`` maps a label to something other than train, valid or test.

    Notes
    -----
    Source: the training-data format of Basenji (Kelley et al. 2018) and Basenji2
    (Kelley 2020) as written by calico/basenji and calico/baskerville.
    """
    import h5py

    from ..project.files import atomic_path

    data = read_basenji_data(data_dir, labels=labels, genome=genome, stride=stride)
    windows = data.windows
    n, n_tracks = len(windows), len(data.tracks)
    seq_length, target_length = data.spec.seq_length, data.spec.target_length
    stats = {"windows": n, "tracks": n_tracks,
             **{f"windows_{s}": int((windows["split"] == s).sum()) for s in SPLITS},
             "target_length": target_length, "source": SOURCE_FORMAT}  # fmt: skip
    out_store = Path(out_store)
    with atomic_path(out_store, suffix=".h5") as tmp, h5py.File(tmp, "w") as store:
        _write_windows(store, windows)
        seq_rows = _chunk_rows(n, seq_length)
        tgt_rows = _chunk_rows(n, 2 * target_length * n_tracks)
        sequences = store.create_dataset("sequences", (n, seq_length), dtype="uint8",
                                         chunks=(seq_rows, seq_length), compression="lzf")  # fmt: skip
        targets = store.create_dataset("targets", (n, target_length, n_tracks), dtype="float16",
                                       chunks=(tgt_rows, target_length, n_tracks), compression="lzf")  # fmt: skip
        encodings = _copy_examples(data, sequences, targets, max(1, chunk_windows), progress)
        store.attrs["spec"] = json.dumps(asdict(data.spec))
        store.attrs["tracks"] = json.dumps([t.record() for t in data.tracks])
        store.attrs["statistics"] = json.dumps(stats)
        store.attrs["baselines"] = json.dumps({})
        store.attrs["source"] = json.dumps(
            {
                "format": SOURCE_FORMAT,
                "data_dir": str(data.data_dir.resolve()),
                "statistics_json": data.statistics,
                "sequence_encoding": sorted(encodings),
                "window_offset_bp": data.bed_offset,
                "labels": windows.drop_duplicates("label").set_index("label")["split"].to_dict(),
                "targets": "cropped, pooled, scaled and clipped by the Basenji data pipeline "
                "as targets.txt says; stored as read, not transformed again",
            }
        )
    return out_store


def _write_windows(store, windows) -> None:
    """The window table, as :func:`~seqreg.data.build_store` writes it, and ``source_row``."""
    import h5py

    string = h5py.string_dtype()
    for name in ("chrom", "split"):
        store.create_dataset(name, data=windows[name].to_numpy(dtype=object), dtype=string)
    for name in ("start", "end", "source_row"):
        store.create_dataset(name, data=windows[name].to_numpy(np.int64))


def _chunk_rows(n: int, row_bytes: int) -> int:
    return max(1, min(n, _CHUNK_BYTES // max(row_bytes, 1)))


def _copy_examples(data: BasenjiData, sequences, targets, chunk_windows: int, progress: bool) -> set[str]:  # fmt: skip
    """Decode every TFRecord example into the store's arrays, label by label, in windows'
    order; returns the sequence encodings met (``one_hot``, ``index``)."""
    from ..project.progress import progress_bar as tqdm

    seq_length = data.spec.seq_length
    shape = (data.spec.target_length, len(data.tracks))
    windows = data.windows
    encodings: set[str] = set()
    with tqdm(total=len(windows), desc="convert", unit="window", disable=not progress) as bar:
        for label, files in data.tfrecords.items():
            rows = np.flatnonzero(windows["label"].to_numpy() == label)
            expected, done = len(rows), 0
            seq_block = np.empty((chunk_windows, seq_length), dtype=np.uint8)
            tgt_block = np.empty((chunk_windows, *shape), dtype=np.float16)
            for path in files:
                for number, raw in enumerate(_records(path)):
                    if done >= expected:
                        raise InputFileError(path, f"holds more {label!r} examples than the "
                                             f"{expected} {label!r} windows of sequences.bed")  # fmt: skip
                    k = done % chunk_windows
                    seq_block[k], encoding = _example_sequence(path, number, raw, seq_length)
                    tgt_block[k] = _example_target(path, number, raw, shape)
                    encodings.add(encoding)
                    done += 1
                    if k == chunk_windows - 1:
                        _flush(sequences, targets, rows[done - chunk_windows : done],
                               seq_block, tgt_block)  # fmt: skip
                        bar.update(chunk_windows)
            if done < expected:
                raise InputFileError(files[-1].parent, f"the {label}-<n>.tfr files hold {done} "
                                     f"examples but sequences.bed lists {expected} {label!r} "
                                     "windows")  # fmt: skip
            left = done % chunk_windows
            if left:
                _flush(sequences, targets, rows[done - left : done], seq_block[:left],
                       tgt_block[:left])  # fmt: skip
                bar.update(left)
    return encodings


def _flush(sequences, targets, rows: np.ndarray, seq_block, tgt_block) -> None:
    """Write a block to consecutive store rows (each label's windows are contiguous)."""
    lo, hi = int(rows[0]), int(rows[-1]) + 1
    sequences[lo:hi] = seq_block[: hi - lo]
    targets[lo:hi] = tgt_block[: hi - lo]


def _records(path: Path):
    """Serialized examples of a ZLIB TFRecord file; a damaged file is an error naming it."""
    import tensorflow as tf

    dataset = tf.data.TFRecordDataset(str(path), compression_type="ZLIB")
    iterator = iter(dataset.as_numpy_iterator())
    count = 0
    while True:
        try:
            raw = next(iterator)
        except StopIteration:
            return
        except tf.errors.OpError as err:
            raise InputFileError(path, f"unreadable after {count} examples: {_tf_reason(err)} "
                                 "(a truncated or corrupt file, or not ZLIB-compressed)") from None  # fmt: skip
        count += 1
        yield raw


def _tf_reason(err) -> str:
    """TensorFlow's message without its op and function-node decorations."""
    text = getattr(err, "message", None) or str(err)
    text = re.sub(r"\{\{[^}]*\}\}\s*", "", text)
    text = re.sub(r"\s*\[Op:[^\]]*\].*$", "", text, flags=re.DOTALL)
    return text.strip() or type(err).__name__


def _feature_bytes(path: Path, number: int, raw: bytes, names: tuple[str, ...]) -> bytes:
    """The single bytes value of the first of ``names`` an example has."""
    from google.protobuf.message import DecodeError
    from tensorflow.core.example.example_pb2 import Example

    try:
        features = Example.FromString(raw).features.feature
    except DecodeError:
        raise InputFileError(path, f"example {number} is not a tf.train.Example") from None
    for name in names:
        if name in features:
            values = features[name].bytes_list.value
            if len(values) != 1:
                raise InputFileError(path, f"example {number}: feature {name!r} holds "
                                     f"{len(values)} byte strings, not one")  # fmt: skip
            return values[0]
    raise InputFileError(path, f"example {number} has no {' or '.join(map(repr, names))} "
                         f"feature (it has {', '.join(sorted(features)) or 'none'})")  # fmt: skip


def _example_sequence(path: Path, number: int, raw: bytes, seq_length: int) -> tuple[np.ndarray, str]:  # fmt: skip
    """Base codes of one example and its encoding (``index`` or ``one_hot``)."""
    values = np.frombuffer(_feature_bytes(path, number, raw, ("sequence",)), dtype=np.uint8)
    if values.size == seq_length:
        if values.max(initial=0) > 4:
            raise InputFileError(path, f"example {number}: base index {int(values.max())} "
                                 "(A=0 C=1 G=2 T=3 N=4)")  # fmt: skip
        return values, "index"
    if values.size == 4 * seq_length:
        onehot = values.reshape(seq_length, 4)
        per_base = onehot.sum(axis=1, dtype=np.int64)
        if onehot.max(initial=0) > 1 or per_base.max(initial=0) > 1:
            raise InputFileError(path, f"example {number}: the one-hot sequence has a "
                                 "position with a value above 1 or several bases")  # fmt: skip
        codes = np.where(per_base == 1, onehot.argmax(axis=1), 4).astype(np.uint8)
        return codes, "one_hot"
    raise InputFileError(path, f"example {number}: 'sequence' has {values.size} bytes; "
                         f"statistics.json's seq_length {seq_length} needs {seq_length} "
                         f"(base indices) or {4 * seq_length} (one-hot)")  # fmt: skip


def _example_target(path: Path, number: int, raw: bytes, shape: tuple[int, int]) -> np.ndarray:
    """The ``(target_length, num_targets)`` float16 targets of one example."""
    data = _feature_bytes(path, number, raw, _TARGET_FEATURES)
    size = shape[0] * shape[1]
    if len(data) != 2 * size:
        raise InputFileError(path, f"example {number}: the target holds {len(data) / 2:g} "
                             f"float16 values; statistics.json's target_length {shape[0]} x "
                             f"num_targets {shape[1]} = {size}")  # fmt: skip
    return np.frombuffer(data, dtype=np.float16).reshape(shape)


# -- command line -------------------------------------------------------------------------------
def fitting_scales(spec: WindowSpec) -> list[str]:
    """The scales whose window geometry (``seq_length``, ``pool_width``, ``crop_bp`` of the
    ``preprocess`` preset) equals ``spec``'s: notebooks 02-03 build their models for that
    geometry, so they train and evaluate a store only at these scales."""
    from ..project.scales import SCALES, preset

    keys = ("seq_length", "pool_width", "crop_bp")
    return [s for s in SCALES
            if all(preset("preprocess", s)[k] == getattr(spec, k) for k in keys)]  # fmt: skip


def _split_option(text: str) -> tuple[str, str]:
    import argparse

    label, equals, split = text.partition("=")
    if not equals or split not in SPLITS:
        raise argparse.ArgumentTypeError(f"expected LABEL=SPLIT with SPLIT one of "
                                         f"{', '.join(SPLITS)}, not {text!r}")  # fmt: skip
    return label, split


def main(argv: list[str] | None = None) -> int:
    """``python -m seqreg.data.basenji_import DATA_DIR OUT_STORE``: convert, print a summary.

    Returns
    -------
    int
        0 on success, 1 when the directory is malformed (the message names the file).
    """
    import argparse
    import os

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's start-up chatter
    parser = argparse.ArgumentParser(
        prog="python -m seqreg.data.basenji_import",
        description="Convert a Basenji/Baskerville data directory (basenji_data.py, "
        "hound_data.py) into a training store.",
    )
    parser.add_argument("data_dir", type=Path, help="the data directory (statistics.json, ...)")
    parser.add_argument("out_store", type=Path,
                        help="the store to write, e.g. outputs/<dataset>/<scale>/data/store.h5")  # fmt: skip
    parser.add_argument("--split", action="append", type=_split_option, default=[],
                        metavar="LABEL=SPLIT",
                        help="split of a sequences.bed label other than train/valid/test "
                        "(repeat: --split fold0=test --split fold1=valid ...)")  # fmt: skip
    parser.add_argument("--genome", default=None, help="genome id recorded on the tracks")
    parser.add_argument("--stride", type=int, default=None, help="window stride to record")
    parser.add_argument("--chunk-windows", type=int, default=64, help="windows per write")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    args = parser.parse_args(argv)
    labels = None
    if args.split:
        labels = {s: s for s in SPLITS} | dict(args.split)
    try:
        path = convert_basenji_data(args.data_dir, args.out_store, labels=labels,
                                    genome=args.genome, stride=args.stride,
                                    chunk_windows=args.chunk_windows,
                                    progress=not args.no_progress)  # fmt: skip
    except (InputFileError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    from .store import read_store_info

    info = read_store_info(path)
    spec, stats = WindowSpec(**info["spec"]), info["statistics"]
    counts = ", ".join(f"{s} {stats[f'windows_{s}']}" for s in SPLITS)
    print(f"{path}: {stats['windows']} windows ({counts}), {stats['tracks']} tracks; "
          f"{spec.seq_length} bp windows, {spec.target_length} bins of {spec.pool_width} bp, "
          f"crop {spec.crop_bp} bp")  # fmt: skip
    scales = fitting_scales(spec)
    if scales:
        print(f"notebooks 02-03 build models for this geometry at scale {' or '.join(scales)}")
    else:
        print("no scale's window geometry matches (seqreg.project.scales 'preprocess'); "
              "notebooks 02-03 cannot train on this store without a model of its geometry")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
