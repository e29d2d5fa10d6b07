"""GWAS-catalog SNP classification from model features (Basenji 2018, Supp. Fig. S9).

Basenji's features for a SNP are the penultimate layer's activations (the last layer
before the heads), computed for both alleles in a window centred on the SNP; per unit,
the largest absolute log2 ratio of alternative to reference activation over the window's
bins. PCA reduces them (128 components in the paper) and an L2-regularised logistic
regression separates trait SNPs from matched negatives in the table's fixed folds.
DeepSEA's features are its per-track predicted change |alt - ref| on a short sequence
centred on the SNP. Used by notebook 07.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import keras
import numpy as np
import pandas as pd

BASES = "ACGT"


def penultimate_model(model: keras.Model) -> keras.Model:
    """``model`` cut before its heads: the same inputs, the output of the last shared layer.

    A head is a layer named ``head_<output>`` (:func:`seqreg.models.build_model`); every head
    of a multi-genome model reads the same tensor.

    Returns
    -------
    keras.Model
        ``(batch, seq_length, 4)`` to ``(batch, bins, units)`` for a Basenji model.

    Raises
    ------
    ValueError
        When the model has no ``head_`` layer, or its heads read different tensors.
    """
    heads = [layer for layer in model.layers if layer.name.startswith("head_")]
    if not heads:
        raise ValueError(f"model {model.name!r} has no head layer (named 'head_<output>')")
    inputs = {id(layer.input) for layer in heads}
    if len(inputs) != 1:
        raise ValueError(f"the heads of model {model.name!r} read different layers")
    return keras.Model(model.inputs, heads[0].input, name=f"{model.name}_penultimate")


def snp_windows(snps: pd.DataFrame, seq_length: int) -> pd.DataFrame:
    """Windows of ``seq_length`` centred on each SNP (``pos`` 1-based): the SNP sits at
    position ``seq_length // 2`` of its window. Returns ``chrom``, ``start`` (0-based,
    may be negative near a chromosome start; padded with N there) and ``position``."""
    centre = seq_length // 2
    start = snps["pos"].to_numpy(np.int64) - 1 - centre
    return pd.DataFrame({"chrom": snps["chrom"].to_numpy(), "start": start, "position": centre})


def _reference_windows(snps: pd.DataFrame, fasta: str | Path, seq_length: int) -> np.ndarray:
    import pysam

    from ..io.chroms import match_chrom
    from .score import _check_alleles, window_sequences

    with pysam.FastaFile(str(fasta)) as genome:
        names = set(genome.references)
    # the table may spell chromosomes as the FASTA does not ('1' for 'chr1'); an unknown
    # one stays as it is and _check_alleles names it
    spelled = {c: match_chrom(str(c), names) or str(c) for c in snps["chrom"].unique()}
    snps = snps.assign(chrom=snps["chrom"].map(spelled))
    _check_alleles(snps, Path(fasta), advice="correct the table's chromosome, position or alleles")
    with pysam.FastaFile(str(fasta)) as genome:
        return window_sequences(genome, snp_windows(snps, seq_length), seq_length)


def _alt_codes(snps: pd.DataFrame) -> np.ndarray:
    return np.array([BASES.index(str(a).upper()) for a in snps["alt"]], dtype=np.int64)


def allele_log2_ratio(reference: np.ndarray, alternative: np.ndarray,
                      pseudocount: float = 1.0) -> np.ndarray:  # fmt: skip
    """Per unit, the largest ``|log2((alt + c) / (ref + c))|`` over bins.

    ``(n, bins, units)`` each in, ``(n, units)`` out. The pseudocount ``c`` keeps the ratio
    finite for units near zero; Basenji2's GELU activations are at least -0.17, so the
    default of 1 keeps both terms positive.

    Raises
    ------
    ValueError
        When the shapes differ, or an activation is at or below ``-pseudocount``.
    """
    reference, alternative = np.asarray(reference), np.asarray(alternative)
    if reference.shape != alternative.shape:
        raise ValueError(f"shapes differ: {reference.shape} and {alternative.shape}")
    if min(reference.min(initial=0), alternative.min(initial=0)) <= -pseudocount:
        raise ValueError(f"activations at or below -{pseudocount}: raise the pseudocount")
    ratio = np.log2((alternative + pseudocount) / (reference + pseudocount))
    return np.abs(ratio).max(axis=1).astype(np.float32)


def penultimate_features(model: keras.Model, snps: pd.DataFrame, fasta: str | Path, *,
                         reverse_complement: bool = True, batch_size: int = 8,
                         method: str = "local", pseudocount: float = 1.0) -> np.ndarray:  # fmt: skip
    """Basenji's GWAS features (Supp. Fig. S9): per penultimate unit, the largest
    |log2 ratio| of the alternative to the reference allele's activation over the bins.

    Each SNP gets a window of the model's length centred on it. The reference pass is
    computed once per window; with ``method="local"`` only the layers around the SNP are
    recomputed for the alternative (:class:`seqreg.interpret.EditPredictor`), which equals
    two full forward passes (``method="full"``).

    Parameters
    ----------
    model
        A trained coverage model (one-hot ``(batch, seq_length, 4)`` in).
    snps
        ``chrom``, ``pos`` (1-based), ``ref``, ``alt`` (:func:`seqreg.io.read_gwas_set`).
    fasta
        The genome; every REF must be its base.
    reverse_complement
        Average each allele's activations with those of the reverse complement.

    Returns
    -------
    np.ndarray
        ``(snps, units)`` float32, non-negative.

    Raises
    ------
    InputFileError
        When a SNP's chromosome, position or REF does not fit ``fasta`` (one error
        naming the first).
    ValueError
        As :func:`penultimate_model` and :func:`allele_log2_ratio`.
    """
    from ..interpret.edits import EditPredictor

    body = penultimate_model(model)
    seq_length = int(body.input_shape[1])
    onehot = _reference_windows(snps, fasta, seq_length)
    engine = EditPredictor(body, None, reverse_complement=reverse_complement,
                           batch_size=batch_size, method=method)  # fmt: skip
    n = len(snps)
    position = np.full(n, seq_length // 2, dtype=np.int64)
    reference, alternative = engine.predict(onehot, np.arange(n), position, _alt_codes(snps))
    return allele_log2_ratio(reference, alternative, pseudocount)


def classifier_features(model: keras.Model, snps: pd.DataFrame, fasta: str | Path, *,
                        reverse_complement: bool = True, batch_size: int = 64) -> np.ndarray:  # fmt: skip
    """A binary classifier's per-label predicted change ``|p(alt) - p(ref)|`` for each SNP
    (DeepSEA's features in Supp. Fig. S9), on a sequence of the model's length centred on
    the SNP.

    Returns
    -------
    np.ndarray
        ``(snps, labels)`` float32 in [0, 1].

    Raises
    ------
    InputFileError
        When a SNP does not fit ``fasta``.
    ValueError
        When the model's output is not ``(batch, labels)``.
    """
    if len(model.output_shape) != 2:
        raise ValueError(
            f"expected a classifier with (batch, labels) output, not {model.output_shape}"
        )
    from ..predict import predict as ensemble_predict

    seq_length = int(model.input_shape[1])
    reference = _reference_windows(snps, fasta, seq_length)
    alternative = reference.copy()
    rows, centre = np.arange(len(snps)), seq_length // 2
    alternative[rows, centre] = 0.0
    alternative[rows, centre, _alt_codes(snps)] = 1.0

    def predict(x):
        return ensemble_predict(
            model, x, reverse_complement=reverse_complement, batch_size=batch_size
        )

    return np.abs(predict(alternative) - predict(reference))


def _blocks(x) -> list[np.ndarray]:
    return [np.asarray(b) for b in x] if isinstance(x, (list, tuple)) else [np.asarray(x)]


def fold_classification(features: Mapping[str, np.ndarray | Sequence[np.ndarray]],
                        labels: np.ndarray, folds: np.ndarray, *,
                        n_components: Mapping[str, int | Sequence[int | None] | None] | None = None,
                        C: float = 1.0, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:  # fmt: skip
    """Logistic regression of labels on each feature set, over fixed cross-validation folds.

    For each named feature set, each fold is held out in turn; on the rest, each block of
    features is standardised and optionally reduced by PCA (fitted on the training folds
    only), the blocks are joined, and an L2 logistic regression is fitted (scikit-learn);
    the held-out fold is scored by AUROC. A joint model (Supp. Fig. S9: Basenji PCs with
    DeepSEA's features) is a set of two blocks.

    Parameters
    ----------
    features
        Name to a ``(snps, features)`` array, or to a list of such blocks.
    labels, folds
        ``(snps,)`` 0/1 labels and fold numbers (the table's ``fold`` column).
    n_components
        Name to the number of PCA components (or one number per block; None or absent:
        no PCA), capped at what the training folds allow.
    C
        Inverse regularisation strength.

    Returns
    -------
    per_fold, predictions
        ``per_fold``: one row per fold with each set's AUROC (a column per name; NaN for
        a fold holding one class only, whose SNPs still get out-of-fold predictions);
        ``predictions``: one row per SNP with ``label``, ``fold`` and each set's
        out-of-fold probability.

    Raises
    ------
    ValueError
        When a feature block does not have one row per label, labels are not 0/1, or the
        components given for a set do not match its blocks.
    """
    from sklearn.compose import ColumnTransformer
    from sklearn.decomposition import PCA
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    labels, folds = np.asarray(labels), np.asarray(folds)
    if not np.isin(labels, (0, 1)).all():
        raise ValueError("labels must be 0 or 1")
    sets = {name: _blocks(x) for name, x in features.items()}
    components = {}
    for name, blocks in sets.items():
        if any(len(b) != len(labels) for b in blocks):
            raise ValueError(
                f"feature set {name!r} does not have one row per label ({len(labels)})"
            )
        k = (n_components or {}).get(name)
        k = list(k) if isinstance(k, (list, tuple)) else [k] * len(blocks)
        if len(k) != len(blocks):
            raise ValueError(
                f"feature set {name!r}: {len(k)} component counts for {len(blocks)} blocks"
            )
        components[name] = k
    rows, predictions = [], pd.DataFrame({"label": labels, "fold": folds})
    for fold in np.unique(folds):
        test = folds == fold
        scored = len(np.unique(labels[test])) == 2  # a fold of one class has no AUROC
        row = {"fold": int(fold), "snps": int(test.sum())}
        for name, blocks in sets.items():
            x = np.concatenate(blocks, axis=1)
            transformers, first = [], 0
            for i, (block, k) in enumerate(zip(blocks, components[name], strict=True)):
                steps: list = [StandardScaler()]
                if k:
                    steps.append(
                        PCA(min(k, block.shape[1], int((~test).sum()) - 1), random_state=seed)
                    )
                columns = list(range(first, first + block.shape[1]))
                transformers.append((f"block{i}", make_pipeline(*steps), columns))
                first += block.shape[1]
            model = make_pipeline(
                ColumnTransformer(transformers), LogisticRegression(C=C, max_iter=5000)
            )
            model.fit(x[~test], labels[~test])
            p = model.predict_proba(x[test])[:, 1]
            predictions.loc[test, name] = p
            row[name] = roc_auc_score(labels[test], p) if scored else np.nan
        rows.append(row)
    return pd.DataFrame(rows), predictions


def paired_fold_tests(per_fold: pd.DataFrame, pairs: list[tuple[str, str]]) -> pd.DataFrame:
    """Dependent (paired) t-tests of AUROC over folds (``scipy.stats.ttest_rel``), and each
    set's one-sample t-test of AUROC against 0.5; folds without an AUROC are left out.

    Returns
    -------
    pandas.DataFrame
        ``comparison``, ``mean_difference``, ``t``, ``p`` (two-sided; the ``> 0.5`` rows are
        one-sided).

    Raises
    ------
    KeyError
        When a name in ``pairs`` is not a column of ``per_fold``.
    """
    from scipy import stats

    rows = []
    for a, b in pairs:
        test = stats.ttest_rel(per_fold[a], per_fold[b], nan_policy="omit")
        rows.append({"comparison": f"{a} - {b}", "mean_difference": float((per_fold[a] - per_fold[b]).mean(skipna=True)),
                     "t": float(test.statistic), "p": float(test.pvalue)})  # fmt: skip
    for name in dict.fromkeys(n for pair in pairs for n in pair):
        test = stats.ttest_1samp(per_fold[name], 0.5, alternative="greater", nan_policy="omit")
        rows.append({"comparison": f"{name} > 0.5", "mean_difference": float(per_fold[name].mean() - 0.5),
                     "t": float(test.statistic), "p": float(test.pvalue)})  # fmt: skip
    return pd.DataFrame(rows)


def top_decile_share(probability: np.ndarray, is_causal: np.ndarray) -> dict[str, float]:
    """Share of planted causal SNPs among the top decile of predicted probabilities, beside
    their share overall, and the enrichment (ratio) with a one-sided hypergeometric p-value.

    Raises
    ------
    ValueError
        When the arrays differ in length or are empty.
    """
    from scipy import stats

    probability, is_causal = np.asarray(probability), np.asarray(is_causal, dtype=bool)
    if len(probability) != len(is_causal) or not len(probability):
        raise ValueError("probability and is_causal must be non-empty and of one length")
    n_top = max(1, round(len(probability) / 10))
    top = np.argsort(-probability, kind="stable")[:n_top]
    share_top, share_all = float(is_causal[top].mean()), float(is_causal.mean())
    p = stats.hypergeom.sf(
        int(is_causal[top].sum()) - 1, len(is_causal), int(is_causal.sum()), n_top
    )
    return {"top_decile": share_top, "overall": share_all,
            "enrichment": share_top / share_all if share_all else float("nan"), "p": float(p),
            "n_top": n_top}  # fmt: skip
