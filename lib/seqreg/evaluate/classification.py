"""Binary classification metrics per track, and paired comparisons of methods
(Basenji 2018, Supp. Fig. S1: AUPRC of Basenji against Basset and DeepSEA on the same
held-out peak labels). Used by notebook 04.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd


def _binary_labels(labels: np.ndarray) -> np.ndarray:
    labels = np.asarray(labels)
    if not np.isin(labels, (0, 1)).all():
        raise ValueError("labels must be 0 or 1")
    return labels.astype(np.int8)


def per_track_classification(labels: np.ndarray, scores: Mapping[str, np.ndarray],
                             track_ids: Sequence[str]) -> pd.DataFrame:  # fmt: skip
    """AUPRC (average precision) and AUROC of each method's scores for each track.

    Parameters
    ----------
    labels
        ``(sequences, tracks)`` 0/1; NaN marks a missing label, left out of that track's
        metrics (the masked labels of Leopard-style models, notebook 13).
    scores
        Method name to ``(sequences, tracks)`` scores (probabilities or predicted
        coverage; only their order matters).
    track_ids
        One name per track column.

    Returns
    -------
    pandas.DataFrame
        One row per track and method: ``track``, ``method``, ``positives`` (fraction of
        the labelled), ``labelled`` (count), ``auprc``, ``auroc`` (NaN for a track without
        both classes).

    Raises
    ------
    ValueError
        When labels are not 0/1 or a score array's shape differs from the labels'.
    """
    from sklearn.metrics import average_precision_score, roc_auc_score

    labels = np.asarray(labels)
    observed = ~np.isnan(labels) if labels.dtype.kind == "f" else np.ones(labels.shape, bool)
    _binary_labels(labels[observed])
    if labels.ndim != 2 or labels.shape[1] != len(track_ids):
        raise ValueError(f"labels have shape {labels.shape} for {len(track_ids)} tracks")
    rows = []
    for method, score in scores.items():
        score = np.asarray(score)
        if score.shape != labels.shape:
            raise ValueError(
                f"scores of {method!r} have shape {score.shape}, labels {labels.shape}"
            )
        for k, track in enumerate(track_ids):
            keep = observed[:, k]
            y, x = labels[keep, k].astype(np.int8), score[keep, k]
            both = 0 < y.sum() < len(y)
            rows.append({
                "track": track, "method": method,
                "positives": float(y.mean()) if len(y) else np.nan, "labelled": len(y),
                "auprc": average_precision_score(y, x) if both else np.nan,
                "auroc": roc_auc_score(y, x) if both else np.nan,
            })  # fmt: skip
    return pd.DataFrame(rows)


def paired_comparison(table: pd.DataFrame, reference: str, others: Sequence[str],
                      metric: str = "auprc", alternative: str = "two-sided") -> pd.DataFrame:  # fmt: skip
    """Mean and median ``metric`` of ``reference`` and each other method over the tracks
    both score, with a paired Wilcoxon signed-rank test (``scipy.stats.wilcoxon``;
    ``alternative="greater"``: one-sided, ``reference`` higher, as ChromDragoNN Fig. 1D).

    Returns
    -------
    pandas.DataFrame
        One row per other method: ``tracks``, ``mean_<reference>``, ``mean_<other>``,
        ``median_<reference>``, ``median_<other>``, ``wins`` (tracks where ``reference`` is
        higher), ``wilcoxon_p``.

    Raises
    ------
    KeyError
        When a method is absent from ``table``.
    """
    from scipy import stats

    wide = table.pivot(index="track", columns="method", values=metric)
    for method in [reference, *others]:
        if method not in wide:
            raise KeyError(f"no method {method!r} in the table; it has {list(wide.columns)}")
    rows = []
    for other in others:
        both = wide[[reference, other]].dropna()
        difference = both[reference] - both[other]
        p = (
            stats.wilcoxon(both[reference], both[other], alternative=alternative).pvalue
            if (difference != 0).any()
            else 1.0
        )
        rows.append({"comparison": f"{reference} vs {other}", "tracks": len(both),
                     "mean_reference": both[reference].mean(), "mean_other": both[other].mean(),
                     "median_reference": both[reference].median(), "median_other": both[other].median(),
                     "wins": int((difference > 0).sum()), "wilcoxon_p": float(p)})  # fmt: skip
    return pd.DataFrame(rows)


def binned_auprc(labels: np.ndarray, scores: np.ndarray, open_fraction: np.ndarray,
                 edges: Sequence[float] = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0),
                 min_minority: int = 5) -> pd.DataFrame:  # fmt: skip
    """AUPRC of the minority class within bins of how often a locus is open (Nair et al.
    2019, Fig. 1E).

    Loci are grouped by ``open_fraction``, the fraction of training cell types where they are
    accessible (the last group includes its upper edge). Within a group the minority class
    is the positive one (label 1) where open loci are the fewer, otherwise the closed one
    (label 0), scored by ``1 - score``: the question is then whether the model finds the
    cell types where a usually-closed locus opens, or a usually-open one closes, which the
    mean-accessibility baseline cannot do. The authors' code has no such function; this is
    written from the figure's description.

    Parameters
    ----------
    labels
        ``(n,)`` 0/1 labels of (locus, cell type) pairs.
    scores
        ``(n,)`` predicted probabilities of label 1 (in [0, 1]).
    open_fraction
        ``(n,)`` fraction of training cell types where the pair's locus is open.
    edges
        Group edges, increasing.
    min_minority
        Groups with fewer minority examples get NaN.

    Returns
    -------
    pandas.DataFrame
        One row per group: ``low``, ``high``, ``n``, ``minority`` (1 or 0), ``n_minority``,
        ``prevalence`` (minority share, the AUPRC of a random score), ``auprc``.

    Raises
    ------
    ValueError
        When the arrays differ in length, labels are not 0/1, or edges do not increase.
    """
    from sklearn.metrics import average_precision_score

    labels = _binary_labels(np.ravel(labels))
    scores, fraction = np.ravel(scores).astype(float), np.ravel(open_fraction).astype(float)
    if not len(labels) == len(scores) == len(fraction):
        raise ValueError(
            f"labels ({len(labels)}), scores ({len(scores)}) and open fractions "
            f"({len(fraction)}) differ in length"
        )
    edges = np.asarray(edges, dtype=float)
    if (np.diff(edges) <= 0).any():
        raise ValueError(f"edges must increase: {edges.tolist()}")
    rows = []
    for k, (low, high) in enumerate(itertools.pairwise(edges)):
        last = k == len(edges) - 2
        inside = (fraction >= low) & ((fraction <= high) if last else (fraction < high))
        y, x = labels[inside], scores[inside]
        minority = 1 if y.sum() * 2 <= len(y) else 0
        target = y if minority == 1 else 1 - y
        score = x if minority == 1 else 1.0 - x
        n_minority = int(target.sum())
        auprc = (
            average_precision_score(target, score)
            if n_minority >= min_minority and n_minority < len(target)
            else np.nan
        )
        rows.append({"low": low, "high": high, "n": len(y), "minority": minority,
                     "n_minority": n_minority,
                     "prevalence": n_minority / len(y) if len(y) else np.nan,
                     "auprc": auprc})  # fmt: skip
    return pd.DataFrame(rows)


def centre_bin_scores(prediction: np.ndarray, subsequences: pd.DataFrame, window_start: np.ndarray,
                      crop_bp: int, pool_width: int) -> np.ndarray:  # fmt: skip
    """A coverage model's prediction summed over the bins of each subsequence's centre
    (Basenji's score in Supp. Fig. S1).

    Parameters
    ----------
    prediction
        ``(windows, bins, tracks)`` predicted coverage of the windows.
    subsequences
        ``window`` (row of ``prediction``), ``centre_start``, ``centre_end`` (genome bases).
    window_start
        ``(windows,)`` genome start of each window.
    crop_bp
        Bases cropped at each end of the window before the first predicted bin.

    Returns
    -------
    np.ndarray
        ``(subsequences, tracks)``.

    Raises
    ------
    ValueError
        When a centre does not start and end on bin edges or falls outside the predicted bins.
    """
    window = subsequences["window"].to_numpy(np.int64)
    first = subsequences["centre_start"].to_numpy(np.int64) - window_start[window] - crop_bp
    last = subsequences["centre_end"].to_numpy(np.int64) - window_start[window] - crop_bp
    if (first % pool_width).any() or (last % pool_width).any():
        raise ValueError(f"subsequence centres must start and end on {pool_width}-bp bin edges")
    first, last = first // pool_width, last // pool_width
    if first.min() < 0 or last.max() > prediction.shape[1]:
        raise ValueError("a subsequence centre falls outside the predicted bins")
    cumulative = np.concatenate(
        [np.zeros_like(prediction[:, :1]), np.cumsum(prediction, axis=1)], axis=1
    )
    return cumulative[window, last] - cumulative[window, first]
