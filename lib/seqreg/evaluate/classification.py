"""Binary classification metrics per track, and paired comparisons of methods
(Basenji 2018, Supp. Fig. S1: AUPRC of Basenji against Basset and DeepSEA on the same
held-out peak labels). Used by notebook 04.
"""

from __future__ import annotations

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
                      metric: str = "auprc") -> pd.DataFrame:  # fmt: skip
    """Mean and median ``metric`` of ``reference`` and each other method over the tracks
    both score, with a two-sided paired Wilcoxon signed-rank test (``scipy.stats.wilcoxon``).

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
        p = stats.wilcoxon(both[reference], both[other]).pvalue if (difference != 0).any() else 1.0
        rows.append({"comparison": f"{reference} vs {other}", "tracks": len(both),
                     "mean_reference": both[reference].mean(), "mean_other": both[other].mean(),
                     "median_reference": both[reference].median(), "median_other": both[other].median(),
                     "wins": int((difference > 0).sum()), "wilcoxon_p": float(p)})  # fmt: skip
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
