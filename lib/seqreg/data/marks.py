"""Histone-mark labels and accessibility inputs of a panel of cell types, and random
genomic windows over them: the data of Leopard-style U-Nets (the microglia QTL report,
section 4.2; GuanLab/Leopard ``code_1bp``).

:func:`mark_panel` reads, for each cell type, its histone-mark tracks (binarised at a
threshold) and its accessibility track (DNase or ATAC, quantile-normalised to a reference
cell type's), binned at ``resolution`` bp; :class:`MarkWindows` cuts random windows of
one-hot sequence, accessibility channels and per-base labels from it for training, and
:func:`predict_marks` tiles a chromosome for evaluation.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import keras
import numpy as np
import pandas as pd

from ..sequence.encode import one_hot_codes, sequence_codes
from .targets import quantile_normalize_to_reference

MARKS = ("H3K27ac", "H3K4me1")
ACCESSIBILITY_ASSAYS = ("DNase", "ATAC")
Channels = Literal["average", "difference"]


@dataclass
class MarkPanel:
    """Per-bin labels and accessibility of a panel of cell types.

    ``labels[chrom]`` is ``(bins, cell_types x marks)`` float32 (1, 0 or NaN where the mark's
    track has no data), columns cell-type major (``label_names``); ``accessibility[chrom]``
    is ``(bins, cell_types)`` float32, ``log(1 + x)`` of the quantile-normalised signal (0
    where missing); ``average[chrom]`` is ``(bins,)``, ``log(1 + x)`` of the mean
    quantile-normalised signal over the cell types. Bins are ``resolution`` bp.
    """

    cell_types: list[str]
    marks: list[str]
    resolution: int
    chrom_sizes: dict[str, int]
    labels: dict[str, np.ndarray]
    accessibility: dict[str, np.ndarray]
    average: dict[str, np.ndarray]
    tracks: pd.DataFrame
    thresholds: dict[str, float] = field(default_factory=dict)

    @property
    def label_names(self) -> list[str]:
        """``cell_type/mark`` of each label column."""
        return [f"{c}/{m}" for c in self.cell_types for m in self.marks]

    def columns_of(self, cell_type: str) -> list[int]:
        """The label columns of one cell type (one per mark)."""
        k = self.cell_types.index(cell_type)
        return list(range(k * len(self.marks), (k + 1) * len(self.marks)))

    def positive_fraction(self) -> pd.Series:
        """The share of labelled bins that are positive, per label column."""
        stacked = np.concatenate(list(self.labels.values()))
        return pd.Series(np.nanmean(stacked, axis=0), index=self.label_names)


def _binned_means(path, chrom: str, length: int, resolution: int) -> np.ndarray:
    """Mean of a bigWig over ``resolution``-bp bins of one chromosome (NaN where uncovered)."""
    from ..io.bigwig import open_bigwig
    from ..io.chroms import resolve_chrom
    from ..project.errors import InputFileError

    handle = open_bigwig(path)
    try:
        sizes = handle.chroms()
        name = resolve_chrom(chrom, sizes, path)
        if sizes[name] != length:
            raise InputFileError(
                path,
                f"chromosome {name!r} has length {sizes[name]:,} here but {length:,} in the "
                "genome; the track was made for another assembly",
            )
        values = np.asarray(handle.values(name, 0, length, numpy=True))
    finally:
        handle.close()
    n_bins = length // resolution
    values = values[: n_bins * resolution].reshape(n_bins, resolution)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an all-NaN bin stays NaN
        return np.nanmean(values, axis=1).astype(np.float32)


def _tracks_of(manifest, cell_types, assays) -> dict:
    """``{(cell_type, assay): [tracks]}`` matching assays case-insensitively."""
    wanted = {a.lower(): a for a in assays}
    found: dict = {}
    for track in manifest.tracks:
        assay = wanted.get(track.assay.lower())
        if assay is not None and (cell_types is None or track.cell_type in cell_types):
            found.setdefault((track.cell_type, assay), []).append(track)
    return found


def mark_panel(
    manifest,
    cell_types: Sequence[str] | None = None,
    marks: Sequence[str] = MARKS,
    accessibility_assays: Sequence[str] = ACCESSIBILITY_ASSAYS,
    resolution: int = 32,
    threshold_fold: float = 2.0,
    reference: str | None = None,
    qn_sample: int = 1000,
    chroms: Sequence[str] | None = None,
    seed: int = 0,
    progress: bool = True,
) -> MarkPanel:
    """Labels and accessibility of the cell types of a dataset that have every mark and an
    accessibility track (the microglia QTL report, section 4.2).

    Labels: replicates of a mark are averaged per bin, and a bin is positive when its
    signal exceeds ``threshold_fold`` times the track's genome-wide mean. The report
    binarises fold-enrichment signal (signal over the genome-wide average) at 2; this is the
    same rule for a track on any scale. Accessibility: replicates averaged, then quantile
    normalised to the ``reference`` cell type's (Leopard ``quantile_normalize_bigwig.py``,
    from samples of one bin per ``qn_sample`` bases or at least 100,000 bins, NaN left out;
    the reference itself is left as it is), then ``log(1 + x)``, 0 where the track has no
    data; the average is taken over the normalised signals of all the panel's cell types.
    Mark names are matched case-insensitively and take the manifest's spelling.

    Parameters
    ----------
    cell_types
        The panel; default every cell type with all ``marks`` and an accessibility assay.
    resolution
        Bin size in bp (the labels are constant within a bin; per-base models see them
        repeated per base).
    reference
        The cell type whose accessibility is the normalisation target (default the first).
    chroms
        Chromosomes to read (default all of the genome's).

    Raises
    ------
    ValueError
        When the panel has fewer than two cell types, a named cell type lacks a mark or an
        accessibility track, or ``reference`` is not in the panel.
    InputFileError
        When a bigWig is missing, lacks a chromosome or gives it another length than the
        genome's.
    """
    from ..project.progress import progress_bar
    from .inputs import genome_chrom_sizes

    marks = [next((t.assay for t in manifest.tracks if t.assay.lower() == m.lower()), m)
             for m in marks]  # fmt: skip
    have = _tracks_of(manifest, None, [*marks, *accessibility_assays])

    def accessibility_of(cell_type):
        for assay in accessibility_assays:
            if (cell_type, assay) in have:
                return assay
        return None

    qualified = [
        c
        for c in dict.fromkeys(t.cell_type for t in manifest.tracks)
        if all((c, m) in have for m in marks) and accessibility_of(c)
    ]
    if cell_types is None:
        cell_types = qualified
        if len(cell_types) < 2:
            raise ValueError(
                f"{manifest.source}: a mark panel needs at least two cell types with tracks of "
                f"{', '.join(marks)} and one of {', '.join(accessibility_assays)}; found "
                f"{cell_types or 'none'}"
            )
    cell_types = list(dict.fromkeys(cell_types))
    if len(cell_types) < 2:
        raise ValueError(
            f"a mark panel needs at least two cell types (models B-D and the hypotheses compare "
            f"cell types); got {cell_types}; cell types with every mark and accessibility: "
            f"{qualified}"
        )
    for c in cell_types:
        missing = [m for m in marks if (c, m) not in have]
        if not accessibility_of(c):
            missing.append(" or ".join(accessibility_assays))
        if missing:
            raise ValueError(
                f"{manifest.source}: cell type {c!r} has no track of {', '.join(missing)}; "
                f"cell types with every mark and accessibility: {qualified}"
            )
    reference = reference or cell_types[0]
    if reference not in cell_types:
        raise ValueError(f"reference cell type {reference!r} is not in the panel {cell_types}")
    sizes = genome_chrom_sizes(manifest)
    if chroms is not None:
        sizes = {c: sizes[c] for c in chroms}
    sizes = {c: n for c, n in sizes.items() if n >= resolution}
    rows = [
        {"cell_type": c, "role": role, "assay": assay, "track": t.id}
        for c in cell_types
        for role, assay in [*((m, m) for m in marks), ("accessibility", accessibility_of(c))]
        for t in have[(c, assay)]
    ]
    tracks = pd.DataFrame(rows)

    def binned(cell_type, role):
        ids = tracks[(tracks["cell_type"] == cell_type) & (tracks["role"] == role)]["track"]
        entries = [manifest.entry(i) for i in ids]
        out = {}
        for chrom, length in sizes.items():
            stack = np.stack(
                [_binned_means(e.local_path, chrom, length, resolution) for e in entries]
            )
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # NaN in every replicate
                out[chrom] = np.nanmean(stack, axis=0)
        return out

    labels = {chrom: np.empty((length // resolution, len(cell_types) * len(marks)), np.float32)
              for chrom, length in sizes.items()}  # fmt: skip
    thresholds, raw_access = {}, {}
    steps = [(c, r) for c in cell_types for r in [*marks, "accessibility"]]
    for cell_type, role in progress_bar(steps, desc="mark panel", disable=not progress):
        values = binned(cell_type, role)
        if role == "accessibility":
            raw_access[cell_type] = values
            continue
        finite = np.concatenate([v[np.isfinite(v)] for v in values.values()])
        threshold = threshold_fold * float(finite.mean()) if len(finite) else np.inf
        thresholds[f"{cell_type}/{role}"] = threshold
        column = cell_types.index(cell_type) * len(marks) + marks.index(role)
        for chrom, v in values.items():
            labels[chrom][:, column] = np.where(
                np.isnan(v), np.nan, (v > threshold).astype(np.float32)
            )

    rng = np.random.default_rng(seed)
    total_bases = sum(sizes.values())

    def sample(values):
        """Finite bins drawn evenly over the genome: one per ``qn_sample`` bases (Leopard's
        one position in 1,000), or up to 100,000 bins (all of them on a small genome)."""
        finite = np.concatenate([v[np.isfinite(v)] for v in values.values()])
        n = min(len(finite), max(total_bases // qn_sample, 100_000))
        return finite[rng.choice(len(finite), size=n, replace=False)] if n < len(finite) else finite

    ref_sample = sample(raw_access[reference])
    normalised = {}
    for cell_type in cell_types:
        if cell_type == reference:  # the target distribution is its own: left as it is
            normalised[cell_type] = {c: np.maximum(np.nan_to_num(v, nan=0.0), 0.0)
                                     for c, v in raw_access[cell_type].items()}  # fmt: skip
            continue
        own = sample(raw_access[cell_type])
        normalised[cell_type] = {
            chrom: np.maximum(
                np.nan_to_num(quantile_normalize_to_reference(v, own, ref_sample), nan=0.0), 0.0
            )
            for chrom, v in raw_access[cell_type].items()
        }
    accessibility = {chrom: np.log1p(np.stack([normalised[c][chrom] for c in cell_types], axis=1))
                     .astype(np.float32) for chrom in sizes}  # fmt: skip
    average = {chrom: np.log1p(np.mean([normalised[c][chrom] for c in cell_types], axis=0))
               .astype(np.float32) for chrom in sizes}  # fmt: skip
    return MarkPanel(cell_types, marks, resolution, dict(sizes), labels, accessibility, average,
                     tracks, thresholds)  # fmt: skip


def hold_out_chromosomes(sizes: dict[str, int], test: Sequence[str] = (),
                         valid: Sequence[str] = ()) -> dict[str, list[str]]:  # fmt: skip
    """Chromosomes for training, validation and test (Leopard holds out whole chromosomes).

    Named chromosomes are matched in either spelling (``chr1`` or ``1``); an empty or
    unmatched ``test`` takes the smallest chromosome, an empty or unmatched ``valid`` the
    smallest of the rest.

    Returns
    -------
    dict
        ``{"train": [...], "valid": [...], "test": [...]}`` in genome order.

    Raises
    ------
    ValueError
        When fewer than three chromosomes are left to split.
    """
    from ..io.chroms import match_chrom

    if len(sizes) < 3:
        raise ValueError(
            f"holding out whole chromosomes needs at least three; the genome has {list(sizes)}"
        )

    def named(names, pool):
        found = [match_chrom(n, pool) for n in names]
        return [c for c in found if c is not None]

    by_size = sorted(sizes, key=lambda c: (sizes[c], c))
    test_set = named(test, sizes) or by_size[:1]
    rest = [c for c in by_size if c not in test_set]
    valid_set = [c for c in named(valid, rest) if c in rest] or rest[:1]
    order = list(sizes)
    train_set = [c for c in order if c not in test_set and c not in valid_set]
    if not train_set:
        raise ValueError(
            f"no chromosome left for training after test {test_set} and valid {valid_set}"
        )
    return {"train": train_set, "valid": [c for c in order if c in valid_set],
            "test": [c for c in order if c in test_set]}  # fmt: skip


def read_chromosome_codes(manifest, chroms: Sequence[str]) -> dict[str, np.ndarray]:
    """The genome's chromosomes as ``(length,)`` uint8 codes (A=0 C=1 G=2 T=3 N=4)."""
    import pyfaidx

    from ..io.fasta import ensure_fasta_index

    fasta = manifest.path_of("genome_fasta")
    ensure_fasta_index(fasta)
    with pyfaidx.Fasta(str(fasta), as_raw=True, sequence_always_upper=True) as fa:
        return {c: sequence_codes(fa[c][:]) for c in chroms}


def accessibility_channels(accessibility: np.ndarray, average: np.ndarray,
                           channels: Channels = "average") -> np.ndarray:  # fmt: skip
    """The accessibility input of a U-Net from ``(..., n)`` cell-type signals and their
    ``(...)`` average over the panel.

    ``average`` (the report's inputs): the signals and the average, ``(..., n + 1)``.
    ``difference`` (Leopard's released code, where the average enters only through it):
    each signal and its difference from the average, ``(..., 2n)``.

    Raises
    ------
    ValueError
        For another ``channels``.
    """
    if channels == "average":
        return np.concatenate([accessibility, average[..., None]], axis=-1)
    if channels == "difference":
        return np.concatenate([accessibility, accessibility - average[..., None]], axis=-1)
    raise ValueError(f"unknown accessibility channels {channels!r}; choose average or difference")


def n_accessibility_channels(n_cell_types: int, channels: Channels) -> int:
    """Channels :func:`accessibility_channels` gives for ``n_cell_types`` signals."""
    return n_cell_types + 1 if channels == "average" else 2 * n_cell_types


@dataclass(frozen=True)
class MarkModel:
    """What a U-Net of the report's Table 3 sees and predicts.

    ``outputs``: ``all`` (every cell type's marks: models A and C) or ``cell_type`` (the
    marks of one cell type drawn per window: B and D). ``accessibility``: ``none`` (A, D),
    ``conditioning`` (the drawn cell type's: B) or ``all`` (every cell type's: C).
    """

    outputs: Literal["all", "cell_type"]
    accessibility: Literal["none", "conditioning", "all"]

    def n_outputs(self, panel: MarkPanel) -> int:
        """Labels per base the model predicts for ``panel``."""
        return len(panel.label_names) if self.outputs == "all" else len(panel.marks)

    def n_channels(self, panel: MarkPanel, channels: Channels) -> int:
        """Accessibility channels the model takes (0 for sequence only)."""
        if self.accessibility == "none":
            return 0
        n = len(panel.cell_types) if self.accessibility == "all" else 1
        return n_accessibility_channels(n, channels)


#: the report's Table 3
TABLE3_MODELS = {
    "A": MarkModel("all", "none"),
    "B": MarkModel("cell_type", "conditioning"),
    "C": MarkModel("all", "all"),
    "D": MarkModel("cell_type", "none"),
}


def window_arrays(panel: MarkPanel, codes: dict[str, np.ndarray], model: MarkModel,
                  chrom: str, start: int, seq_length: int, cell_type: int = 0,
                  channels: Channels = "average") -> tuple[dict, np.ndarray]:  # fmt: skip
    """Inputs and per-base labels of one window ``[start, start + seq_length)``.

    Returns ``({"sequence": (L, 4)[, "accessibility": (L, channels)]}, (L, outputs))``;
    ``cell_type`` is the index of the conditioning / labelled cell type for ``cell_type``
    outputs and ``conditioning`` accessibility.
    """
    bins = (start + np.arange(seq_length)) // panel.resolution
    bins = np.minimum(bins, len(panel.labels[chrom]) - 1)
    x = {"sequence": one_hot_codes(codes[chrom][start : start + seq_length])}
    labels = panel.labels[chrom][bins]
    y = (
        labels
        if model.outputs == "all"
        else labels[:, panel.columns_of(panel.cell_types[cell_type])]
    )
    if model.accessibility != "none":
        acc = panel.accessibility[chrom][bins]
        if model.accessibility == "conditioning":
            acc = acc[:, [cell_type]]
        x["accessibility"] = accessibility_channels(acc, panel.average[chrom][bins], channels)
    return x, y


def _model_inputs(inputs: dict):
    """A sequence-only model takes its one-hot array; others the dict by input name."""
    return inputs["sequence"] if len(inputs) == 1 else inputs


class MarkWindows(keras.utils.PyDataset):
    """Batches of random windows for a :class:`MarkModel` (Leopard's sampling: a chromosome
    drawn in proportion to its length, then a uniform start; a cell type drawn per window
    for ``cell_type`` models).

    ``fixed=True`` draws the windows once (validation); otherwise they are redrawn each
    epoch from ``seed`` and the epoch, so a resumed run sees the batches it would have seen.
    ``scale_range`` multiplies the accessibility signals (not the average or the
    differences from it) by a factor drawn per window (Leopard: U(0.9, 1.15) on DNase, not
    on the difference), for training.
    """

    def __init__(self, panel: MarkPanel, codes: dict[str, np.ndarray], model: MarkModel,
                 chroms: Sequence[str], seq_length: int, batch_size: int, steps: int, *,
                 channels: Channels = "average", seed: int = 0, fixed: bool = False,
                 scale_range: tuple[float, float] | None = None):  # fmt: skip
        super().__init__()
        self.panel, self.codes, self.model = panel, codes, model
        self.chroms = [c for c in chroms if panel.chrom_sizes[c] > seq_length]
        if not self.chroms:
            raise ValueError(f"no chromosome of {list(chroms)} is longer than {seq_length:,} bp")
        self.seq_length, self.batch_size, self.steps = seq_length, batch_size, steps
        self.channels, self.seed, self.fixed, self.scale_range = channels, seed, fixed, scale_range
        self.set_epoch(0)

    def set_epoch(self, epoch: int) -> None:
        """Draw the windows of ``epoch`` (the same for every epoch when ``fixed``)."""
        rng = np.random.default_rng([self.seed, 0 if self.fixed else epoch])
        n = self.steps * self.batch_size
        lengths = np.array(
            [self.panel.chrom_sizes[c] - self.seq_length for c in self.chroms], float
        )
        chrom = rng.choice(len(self.chroms), size=n, p=lengths / lengths.sum())
        self._windows = pd.DataFrame({
            "chrom": [self.chroms[k] for k in chrom],
            "start": (rng.random(n) * lengths[chrom]).astype(np.int64),
            "cell_type": rng.integers(len(self.panel.cell_types), size=n),
            "scale": rng.uniform(*self.scale_range, size=n) if self.scale_range else np.ones(n),
        })  # fmt: skip
        self._epoch = epoch

    def on_epoch_end(self):
        if not self.fixed:
            self.set_epoch(self._epoch + 1)

    def __len__(self) -> int:
        return self.steps

    def __getitem__(self, batch: int):
        rows = self._windows.iloc[batch * self.batch_size : (batch + 1) * self.batch_size]
        xs, ys = [], []
        for row in rows.itertuples(index=False):
            x, y = window_arrays(self.panel, self.codes, self.model, row.chrom, int(row.start),
                                 self.seq_length, int(row.cell_type), self.channels)  # fmt: skip
            if "accessibility" in x and row.scale != 1.0:  # the signals, not the average
                n = len(self.panel.cell_types) if self.model.accessibility == "all" else 1
                x["accessibility"][:, :n] *= np.float32(row.scale)
            xs.append(x)
            ys.append(y)
        inputs = {k: np.stack([x[k] for x in xs]).astype(np.float32) for k in xs[0]}
        return _model_inputs(inputs), np.stack(ys).astype(np.float32)


def predict_marks(network, panel: MarkPanel, codes: dict[str, np.ndarray], model: MarkModel,
                  chrom: str, seq_length: int, *, channels: Channels = "average",
                  trim: int = 100, batch_size: int = 16) -> np.ndarray:  # fmt: skip
    """Per-bin probabilities of every label column on one chromosome.

    Windows at offsets 0 and half a window (Leopard's ``predict.py``), ``trim`` bp dropped
    from each inner window edge, overlapping predictions averaged, then averaged within each
    ``resolution``-bp bin. ``cell_type`` models are run once per cell type (conditioned on
    its accessibility when they take it) and fill that cell type's columns.

    Returns
    -------
    numpy.ndarray
        ``(bins, cell_types x marks)`` float32 (NaN where no window reached).
    """
    length = panel.chrom_sizes[chrom]
    starts = sorted({*range(0, length - seq_length + 1, seq_length // 2), length - seq_length})
    runs = range(len(panel.cell_types)) if model.outputs == "cell_type" else [None]
    n_bins = len(panel.labels[chrom])
    out = np.full((n_bins, len(panel.label_names)), np.nan, np.float32)
    for ct in runs:
        total = np.zeros((length, model.n_outputs(panel)), np.float32)
        weight = np.zeros(length, np.float32)
        for first in range(0, len(starts), batch_size):
            chunk = starts[first : first + batch_size]
            pairs = [window_arrays(panel, codes, model, chrom, s, seq_length, ct or 0, channels)
                     for s in chunk]  # fmt: skip
            inputs = {k: np.stack([p[0][k] for p in pairs]) for k in pairs[0][0]}
            pred = np.asarray(network.predict_on_batch(_model_inputs(inputs)), np.float32)
            for s, p in zip(chunk, pred, strict=True):
                lo = trim if s > 0 else 0
                hi = seq_length - (trim if s + seq_length < length else 0)
                total[s + lo : s + hi] += p[lo:hi]
                weight[s + lo : s + hi] += 1
        with np.errstate(invalid="ignore", divide="ignore"):
            per_base = total / weight[:, None]
        per_base[weight == 0] = np.nan
        binned = per_base[: n_bins * panel.resolution].reshape(n_bins, panel.resolution, -1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            binned = np.nanmean(binned, axis=1)
        columns = (
            list(range(out.shape[1])) if ct is None else panel.columns_of(panel.cell_types[ct])
        )
        out[:, columns] = binned
    return out
