"""Training data of ChromDragoNN (Nair, Kim, Perricone & Kundaje 2019): bins, labels from
peaks, held-out cell types, mean accessibility, and batches of (bin, cell type) pairs.

- :func:`panel_bins` tiles the genome with 200-bp bins every 50 bp whose 1-kb input window
  fits; :func:`labels_from_peaks` labels a bin accessible in a cell type when more than
  half of it overlaps one of the cell type's reproducible peaks (the paper's rule).
- :func:`cell_type_folds` holds cell types out: a validation set and test folds, and the
  pre-training cell types that no fold holds out (stage 1 trains on these only, so one
  stage-1 model serves every fold without seeing a test cell type).
- :func:`mean_accessibility`: the fraction of training cell types where a bin is open
  (ChromDragoNN's ``dnase_label_mean``), an input of stage 2 and a baseline.
- :class:`SequenceBatches`: stage 1's multi-task batches; :class:`PairBatches`: stage 2's
  batches of (bin, cell type) pairs with ``int(0.25 * B)`` positives drawn from all
  positive pairs and the rest from negatives (the authors' ``positive_proportion``).

Used by notebooks 11 and 12.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import keras
import numpy as np
import pandas as pd

from ..sequence.encode import one_hot_codes

log = logging.getLogger(__name__)

#: ChromDragoNN's bins: 200 bp every 50 bp, each seen through a 1-kb window
BIN_BP, STRIDE_BP, INPUT_BP = 200, 50, 1000


def panel_bins(codes: Mapping[str, np.ndarray], bin_bp: int = BIN_BP, stride: int = STRIDE_BP,
               input_bp: int = INPUT_BP) -> pd.DataFrame:  # fmt: skip
    """Bins of ``bin_bp`` every ``stride`` bp whose centred ``input_bp`` window lies inside
    the chromosome and holds no N.

    Parameters
    ----------
    codes
        ``{chrom: (length,) uint8}`` base codes (A=0 C=1 G=2 T=3 N=4), e.g. from
        :func:`seqreg.data.marks.read_chromosome_codes`.

    Returns
    -------
    pandas.DataFrame
        ``chrom``, ``start``, ``end`` (0-based, half-open), in genome order.

    Raises
    ------
    ValueError
        When ``input_bp - bin_bp`` is negative or odd (the window must centre the bin).
    """
    flank = input_bp - bin_bp
    if flank < 0 or flank % 2:
        raise ValueError(f"input_bp ({input_bp}) - bin_bp ({bin_bp}) must be even and >= 0")
    flank //= 2
    frames = []
    for chrom, seq in codes.items():
        starts = np.arange(flank, len(seq) - bin_bp - flank + 1, stride, dtype=np.int64)
        n_cum = np.concatenate([[0], np.cumsum(seq == 4, dtype=np.int64)])
        clean = n_cum[starts + bin_bp + flank] - n_cum[starts - flank] == 0
        starts = starts[clean]
        frames.append(pd.DataFrame({"chrom": chrom, "start": starts, "end": starts + bin_bp}))
    return pd.concat(frames, ignore_index=True)


def labels_from_peaks(bins: pd.DataFrame, peaks: pd.DataFrame, cell_types: Sequence[str],
                      min_overlap: float = 0.5) -> np.ndarray:  # fmt: skip
    """Binary labels: a bin is open in a cell type when more than ``min_overlap`` of it is
    covered by the cell type's peaks (overlapping peaks count once).

    Parameters
    ----------
    bins
        ``chrom``, ``start``, ``end``.
    peaks
        ``chrom``, ``start``, ``end``, ``cell_type`` (reproducible peaks).
    cell_types
        Columns of the result, in order; a cell type without peaks gets all zeros.

    Returns
    -------
    numpy.ndarray
        ``(n_bins, n_cell_types)`` uint8.
    """
    labels = np.zeros((len(bins), len(cell_types)), dtype=np.uint8)
    column = {c: j for j, c in enumerate(cell_types)}
    for chrom, chrom_bins in bins.groupby("chrom", sort=False):
        rows = chrom_bins.index.to_numpy()
        starts, ends = chrom_bins["start"].to_numpy(), chrom_bins["end"].to_numpy()
        length = int(max(ends.max(), peaks.loc[peaks["chrom"] == chrom, "end"].max()
                         if (peaks["chrom"] == chrom).any() else 0))  # fmt: skip
        on_chrom = peaks[peaks["chrom"] == chrom]
        for cell_type, cell_peaks in on_chrom.groupby("cell_type", sort=False):
            if cell_type not in column:
                continue
            delta = np.zeros(length + 1, dtype=np.int32)
            np.add.at(delta, cell_peaks["start"].to_numpy(), 1)
            np.add.at(delta, cell_peaks["end"].to_numpy(), -1)
            covered = np.concatenate([[0], np.cumsum(np.cumsum(delta)[:-1] > 0, dtype=np.int64)])
            overlap = covered[ends] - covered[starts]
            labels[rows, column[cell_type]] = overlap > min_overlap * (ends - starts)
    return labels


@dataclass(frozen=True)
class CellTypeFolds:
    """Held-out cell types (ChromDragoNN's ``-ho cell_types``).

    Attributes
    ----------
    valid
        Validation cell types, held out of every fold's training.
    test
        One list of test cell types per fold.
    pretrain
        Cell types no fold holds out: stage 1 trains on these.
    cell_types
        All labelled cell types.
    """

    valid: tuple[str, ...]
    test: tuple[tuple[str, ...], ...]
    pretrain: tuple[str, ...]
    cell_types: tuple[str, ...]

    def train(self, fold: int) -> list[str]:
        """Stage 2's training cell types of ``fold``: all but its test and the validation."""
        held = set(self.valid) | set(self.test[fold])
        return [c for c in self.cell_types if c not in held]

    def table(self) -> pd.DataFrame:
        """One row per cell type: its role (``pretrain``, ``valid`` or ``test``) and fold."""
        rows = [(c, "valid", -1) for c in self.valid]
        rows += [(c, "test", k) for k, fold in enumerate(self.test) for c in fold]
        rows += [(c, "pretrain", -1) for c in self.pretrain]
        return pd.DataFrame(rows, columns=["cell_type", "role", "fold"])


def cell_type_folds(cell_types: Sequence[str], tissues: Sequence[str], n_folds: int,
                    test_per_fold: int, n_valid: int, seed: int = 0) -> CellTypeFolds:  # fmt: skip
    """Split cell types into validation, test folds and pre-training ones, stratified by
    tissue (cell types are dealt out tissue by tissue, so each fold mixes tissues).

    Raises
    ------
    ValueError
        When the panel has too few cell types to hold out ``n_valid + n_folds *
        test_per_fold`` and keep at least two for pre-training.
    """
    cell_types, tissues = list(cell_types), list(tissues)
    held = n_valid + n_folds * test_per_fold
    if len(cell_types) < held + 2:
        raise ValueError(
            f"{len(cell_types)} cell types cannot give {n_valid} validation and {n_folds} folds "
            f"of {test_per_fold} test cell types and leave two to pre-train on (notebook 11: "
            "lower its folds, test_per_fold or n_valid parameters)"
        )
    rng = np.random.default_rng(seed)
    by_tissue: dict[str, list[str]] = {}
    for c, t in zip(cell_types, tissues, strict=True):
        by_tissue.setdefault(t, []).append(c)
    for members in by_tissue.values():
        rng.shuffle(members)
    dealt = []  # round-robin over tissues: consecutive picks come from different tissues
    while any(by_tissue.values()):
        for t in sorted(by_tissue):
            if by_tissue[t]:
                dealt.append(by_tissue[t].pop())
    valid = tuple(dealt[:n_valid])
    test = tuple(
        tuple(dealt[n_valid + k * test_per_fold : n_valid + (k + 1) * test_per_fold])
        for k in range(n_folds)
    )
    pretrain = tuple(c for c in cell_types if c not in set(dealt[:held]))
    return CellTypeFolds(valid, test, pretrain, tuple(cell_types))


def mean_accessibility(labels: np.ndarray) -> np.ndarray:
    """Fraction of the given cell types (columns) where each bin is open, float32 ``(n,)``."""
    return np.asarray(labels, dtype=np.float32).mean(axis=1)


def similarity_weighted_mean(labels: np.ndarray, train_expression: np.ndarray,
                             target_expression: np.ndarray) -> np.ndarray:  # fmt: skip
    """The expression-similarity-weighted mean baseline (Nair et al. 2019, Fig. 1C): each
    training cell type's labels weighted by the positive part of the Pearson correlation
    between its TF expression and the target cell type's.

    Parameters
    ----------
    labels
        ``(n_bins, n_train)`` labels of the training cell types.
    train_expression
        ``(n_train, n_genes)``.
    target_expression
        ``(n_targets, n_genes)``.

    Returns
    -------
    numpy.ndarray
        ``(n_bins, n_targets)`` float32 scores in [0, 1].
    """
    a = np.asarray(train_expression, float)
    b = np.asarray(target_expression, float)
    a = (a - a.mean(1, keepdims=True)) / a.std(1, keepdims=True)
    b = (b - b.mean(1, keepdims=True)) / b.std(1, keepdims=True)
    weights = np.clip(b @ a.T / a.shape[1], 0.0, None)  # (targets, train)
    weights /= np.maximum(weights.sum(1, keepdims=True), 1e-12)
    return (np.asarray(labels, np.float32) @ weights.T.astype(np.float32)).astype(np.float32)


def bin_windows(codes: Mapping[str, np.ndarray], bins: pd.DataFrame,
                input_bp: int = INPUT_BP) -> np.ndarray:  # fmt: skip
    """The ``input_bp`` windows centred on ``bins`` as base codes, uint8 ``(n, input_bp)``
    (one-hot them per batch with :func:`seqreg.sequence.one_hot_codes`); bases beyond a
    chromosome's ends are N (all-zero one-hot, as in ChromDragoNN's packed inputs).

    Raises
    ------
    KeyError
        For a chromosome ``codes`` lacks.
    """
    out = np.full((len(bins), input_bp), 4, dtype=np.uint8)
    centre_offset = (input_bp - (bins["end"] - bins["start"]).to_numpy()) // 2
    starts = bins["start"].to_numpy() - centre_offset
    for chrom in pd.unique(bins["chrom"]):
        if chrom not in codes:
            raise KeyError(
                f"bin_windows: chromosome {chrom!r} is not in the genome ({', '.join(list(codes)[:5])})"
            )
        seq = codes[chrom]
        rows = np.flatnonzero(bins["chrom"].to_numpy() == chrom)
        index = starts[rows, None] + np.arange(input_bp)[None, :]
        inside = (index >= 0) & (index < len(seq))  # positions past an end read as N
        block = np.full(index.shape, 4, dtype=np.uint8)
        block[inside] = seq[index[inside]]
        out[rows] = block
    return out


def sample_pool(labels: np.ndarray, n_positive: int, n_random: int,
                rng: np.random.Generator, exclude: np.ndarray | None = None) -> np.ndarray:  # fmt: skip
    """Bins to train on: up to ``n_positive`` open in at least one of ``labels``' columns and
    ``n_random`` drawn uniformly from the rest, sorted (never bins in ``exclude``)."""
    allowed = np.ones(len(labels), dtype=bool)
    if exclude is not None:
        allowed[exclude] = False
    open_any = (labels.max(axis=1) > 0) & allowed
    positive = np.flatnonzero(open_any)
    positive = rng.choice(positive, size=min(n_positive, len(positive)), replace=False)
    others = np.flatnonzero(~open_any & allowed)
    others = rng.choice(others, size=min(n_random, len(others)), replace=False)
    return np.sort(np.concatenate([positive, others]))


class SequenceBatches(keras.utils.PyDataset):
    """Stage 1's batches: one-hot windows and their labels in all pre-training cell types.

    ``codes`` ``(n, L)`` base codes and ``labels`` ``(n, n_cell_types)``; batches are drawn
    without replacement per epoch from ``seed`` and the epoch (``fixed``: one order for
    every epoch, for validation).
    """

    def __init__(self, codes: np.ndarray, labels: np.ndarray, batch_size: int, *,
                 seed: int = 0, fixed: bool = False):  # fmt: skip
        super().__init__()
        self.codes, self.labels = codes, np.asarray(labels, np.float32)
        self.batch_size, self.seed, self.fixed = int(batch_size), seed, fixed
        self.set_epoch(0)

    def set_epoch(self, epoch: int) -> None:
        """Shuffle the bins for ``epoch`` (one fixed order when ``fixed``)."""
        rng = np.random.default_rng([self.seed, 0 if self.fixed else epoch])
        self._order = (
            rng.permutation(len(self.codes)) if not self.fixed else np.arange(len(self.codes))
        )
        self._epoch = epoch

    def on_epoch_end(self):
        if not self.fixed:
            self.set_epoch(self._epoch + 1)

    def __len__(self) -> int:
        return max(len(self.codes) // self.batch_size, 1)

    def __getitem__(self, batch: int):
        rows = np.sort(self._order[batch * self.batch_size : (batch + 1) * self.batch_size])
        return one_hot_codes(self.codes[rows]), self.labels[rows]


def draw_pairs(labels: np.ndarray, batch_size: int, positive_fraction: float | None,
               rng: np.random.Generator, n_batches: int = 1) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """``n_batches`` batches of (row, column) pairs of ``labels``, concatenated.

    Every batch holds exactly ``int(positive_fraction * batch_size)`` pairs drawn from all
    positive pairs and the rest from negative pairs (ChromDragoNN's up-sampling, one
    positive for three negatives at 0.25), shuffled within the batch; with
    ``positive_fraction=None`` pairs are drawn uniformly.

    Returns
    -------
    (rows, columns)
        Each ``(n_batches * batch_size,)``.

    Raises
    ------
    ValueError
        When up-sampling is asked of labels without a positive or a negative pair.
    """
    n_rows, n_cols = labels.shape
    n = int(n_batches) * int(batch_size)
    if positive_fraction is None:
        return rng.integers(n_rows, size=n), rng.integers(n_cols, size=n)
    n_pos = int(positive_fraction * batch_size)
    n_neg = int(batch_size) - n_pos
    pos_r, pos_c = np.nonzero(labels)
    if (n_pos and not len(pos_r)) or (n_neg and len(pos_r) == labels.size):
        raise ValueError(
            "up-sampled batches need both positive and negative (bin, cell type) pairs"
        )
    pick = rng.integers(len(pos_r), size=(n_batches, n_pos))
    neg_r, neg_c = [], []
    need = n_batches * n_neg
    while need > 0:  # a random batch filtered to negatives, as the authors' iterator does
        r, c = rng.integers(n_rows, size=2 * need + 8), rng.integers(n_cols, size=2 * need + 8)
        keep = labels[r, c] == 0
        neg_r.append(r[keep][:need])
        neg_c.append(c[keep][:need])
        need -= int(min(keep.sum(), need))
    neg_r = (
        np.concatenate(neg_r).reshape(n_batches, n_neg) if n_neg else np.zeros((n_batches, 0), int)
    )
    neg_c = (
        np.concatenate(neg_c).reshape(n_batches, n_neg) if n_neg else np.zeros((n_batches, 0), int)
    )
    rows = np.concatenate([pos_r[pick], neg_r], axis=1)
    cols = np.concatenate([pos_c[pick], neg_c], axis=1)
    order = np.argsort(rng.random(rows.shape), axis=1)
    return (np.take_along_axis(rows, order, 1).ravel(), np.take_along_axis(cols, order, 1).ravel())


class PairBatches(keras.utils.PyDataset):
    """Stage 2's batches of (bin, cell type) pairs.

    Parameters
    ----------
    locus_inputs
        Per-bin inputs, first axis the bins of ``labels``: ``{"embedding": (n, E)}`` for a
        frozen trunk (embeddings computed once) or ``{"sequence": (n, L) uint8 codes}`` to
        tune it (one-hot per batch).
    labels
        ``(n, n_cell_types)`` labels of the cell types drawn from.
    expression
        ``(n_cell_types, n_genes)`` TF expression of those cell types.
    mean
        ``(n,)`` mean accessibility over the training cell types, or None (no ``mean`` input).
    batch_size, steps
        Pairs per batch and batches per epoch.
    positive_fraction
        0.25: one positive for three negatives (training); None: pairs as they come
        (validation).
    seed, fixed
        Pairs are redrawn each epoch from ``seed`` and the epoch, or once (``fixed``).
    """

    def __init__(self, locus_inputs: Mapping[str, np.ndarray], labels: np.ndarray,
                 expression: np.ndarray, mean: np.ndarray | None, batch_size: int, steps: int, *,
                 positive_fraction: float | None = 0.25, seed: int = 0, fixed: bool = False):  # fmt: skip
        super().__init__()
        self.locus_inputs = dict(locus_inputs)
        self.labels = np.asarray(labels)
        self.expression = np.asarray(expression, np.float32)
        self.mean = None if mean is None else np.asarray(mean, np.float32)
        self.batch_size, self.steps = int(batch_size), int(steps)
        self.positive_fraction, self.seed, self.fixed = positive_fraction, seed, fixed
        self.set_epoch(0)

    def set_epoch(self, epoch: int) -> None:
        """Draw the pairs of ``epoch`` (the same for every epoch when ``fixed``)."""
        rng = np.random.default_rng([self.seed, 0 if self.fixed else epoch])
        self._rows, self._cols = draw_pairs(
            self.labels, self.batch_size, self.positive_fraction, rng, n_batches=self.steps
        )
        self._epoch = epoch

    def on_epoch_end(self):
        if not self.fixed:
            self.set_epoch(self._epoch + 1)

    def __len__(self) -> int:
        return self.steps

    def __getitem__(self, batch: int):
        part = slice(batch * self.batch_size, (batch + 1) * self.batch_size)
        rows, cols = self._rows[part], self._cols[part]
        inputs = {}
        for name, values in self.locus_inputs.items():
            inputs[name] = one_hot_codes(values[rows]) if name == "sequence" else values[rows]
        inputs["expression"] = self.expression[cols]
        if self.mean is not None:
            inputs["mean"] = self.mean[rows, None]
        return inputs, self.labels[rows, cols].astype(np.float32)[:, None]


@dataclass
class CellTypePanel:
    """A dataset's cell-type panel for ChromDragoNN.

    Attributes
    ----------
    labels
        :class:`seqreg.io.chromdragonn.LabelMatrix` of the labelled cell types.
    expression
        Cell types (rows: the labelled ones in label order, then RNA-only ones) by TFs,
        arcsinh(TPM).
    tissues
        Tissue of every cell type in ``expression`` (``"unknown"`` without a cell-type table).
    """

    labels: object
    expression: pd.DataFrame
    tissues: pd.Series

    @property
    def labelled(self) -> list[str]:
        """Cell types with labels, in label-matrix order."""
        return list(self.labels.cell_types)

    @property
    def rna_only(self) -> list[str]:
        """Cell types with expression but no labels (imputation targets, Fig. 3B)."""
        labelled = set(self.labels.cell_types)
        return [c for c in self.expression.index if c not in labelled]


def read_panel_labels(entry):
    """Labels of a manifest entry: a label TSV (``tsv``/``tsv_gz``), one packbit joblib, or
    the released ``dnase.chr.packbited.tar.gz`` (its ``dnase.chr*.packbit.joblib`` files,
    extracted beside the archive once).

    Raises
    ------
    InputFileError
        For a missing or unreadable file, an archive without packbit files, chromosomes
        naming different cell types, or another format.
    """
    from ..io.chromdragonn import LabelMatrix, read_label_tsv, read_packbit_joblib
    from ..project.errors import InputFileError

    path = entry.local_path
    if entry.format in ("tsv", "tsv_gz"):
        return read_label_tsv(path)
    if entry.format == "joblib":
        return read_packbit_joblib(path)
    if entry.format == "tar_gz":
        import tarfile

        folder = path.parent / "dnase_packbit"
        done = folder / ".extracted"
        if not done.exists():
            if not path.exists():
                raise InputFileError(path, "no such archive; run `make data DATASET=<name>`")
            with tarfile.open(path) as archive:
                archive.extractall(folder, filter="data")
            done.touch()
        parts = sorted(folder.rglob("dnase.chr*.packbit.joblib"))
        if not parts:
            raise InputFileError(path, "holds no dnase.chr*.packbit.joblib file")
        read = [read_packbit_joblib(p) for p in parts]
        for other in read[1:]:
            if other.cell_types != read[0].cell_types:
                raise InputFileError(other.path, f"names other cell types than {read[0].path}")
        bins = pd.concat([m.bins for m in read], ignore_index=True)
        return LabelMatrix(bins, np.concatenate([m.labels for m in read]), read[0].cell_types, path)
    raise InputFileError(
        path, f"format {entry.format!r} is not a label layout (tsv_gz, joblib, tar_gz)"
    )


def load_panel(manifest) -> CellTypePanel:
    """The labels, TF expression and tissues of a dataset's cell-type panel.

    Reads the files :func:`seqreg.io.panel_entries` names: ids ``chromdragonn_labels``
    (role ``accessibility_labels``), ``chromdragonn_expression`` (role ``tf_expression``)
    and, when present, ``chromdragonn_cell_types`` (role ``sample_table``: ``cell_type``,
    ``tissue``). ``make data`` reads the panel once through this function too
    (:func:`seqreg.project.datasets.check_consistency`), so bad files fail there.

    Raises
    ------
    KeyError
        When the manifest lacks the label or expression entry.
    InputFileError
        For unreadable files, or labelled cell types without expression (naming both files).
    """
    from ..io.chromdragonn import align_expression, panel_entries, read_expression
    from ..io.chroms import match_chrom
    from ..project.errors import InputFileError
    from .inputs import genome_chrom_sizes

    label_entry, expression_entry, table_entry = panel_entries(manifest)
    labels = read_panel_labels(label_entry)
    sizes = genome_chrom_sizes(manifest)
    names = {c: match_chrom(c, sizes) for c in pd.unique(labels.bins["chrom"])}
    renamed = labels.bins["chrom"].map(names)
    keep = renamed.notna().to_numpy()
    if not keep.any():
        raise InputFileError(
            labels.path,
            f"no bin lies on a chromosome of the genome ({', '.join(list(sizes)[:5])}); "
            f"the labels name {', '.join(list(names)[:5])}",
        )
    if not keep.all():
        log.info("%s: %d of %d bins lie on chromosomes the genome lacks or excludes (%s)",
                 labels.path, int((~keep).sum()), len(keep),
                 ", ".join(sorted(c for c, n in names.items() if n is None)[:5]))  # fmt: skip
    bins = labels.bins.assign(chrom=renamed)[keep].reset_index(drop=True)
    labels = type(labels)(bins, labels.labels[keep], labels.cell_types, labels.path)
    expression = read_expression(expression_entry.local_path)
    aligned = align_expression(labels, expression, expression_entry.local_path)
    ordered = pd.concat([aligned, expression.drop(index=labels.cell_types)])
    tissues = pd.Series("unknown", index=ordered.index, name="tissue")
    if table_entry is not None:
        path = table_entry.local_path
        try:
            table = pd.read_csv(path, sep="\t")
        except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as error:
            raise InputFileError(path, f"is not a readable cell-type table ({error})") from None
        if not {"cell_type", "tissue"} <= set(table.columns):
            raise InputFileError(path, "needs the columns cell_type and tissue")
        known = table.set_index("cell_type")["tissue"].astype(str)
        tissues.loc[tissues.index.isin(known.index)] = known.reindex(tissues.index).dropna()
    return CellTypePanel(labels, ordered, tissues)
