"""Accuracy analyses of coverage models (Basenji 2018, Figs 2-3 and S4).

Everything here takes plain arrays, ``(windows, bins, tracks)`` for predictions and
targets, plus the store's track table, so the same functions evaluate a trained network,
a baseline or another model's predictions:

- :func:`track_accuracy`: per-track Pearson r and R^2 of log2(1 + x) over all bins;
- baselines: :func:`mean_profile_baseline` and :func:`kmer_ridge_baseline`;
- :func:`replicate_comparison`: prediction-vs-experiment against replicate-vs-replicate;
- gene-level CAGE: :func:`tss_bins`, :func:`gene_matrix`, :func:`gene_accuracy`,
  :func:`quantile_normalize`, :func:`cluster_agreement`, :func:`accuracy_by_variability`,
  :func:`variability_trend`, :func:`tss_switching`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..project.manifest import Track
from .metrics import log2p, pearson, r_squared


def assay_type(assay: str) -> str:
    """The assay family a track's ``assay`` belongs to, as the papers group tracks:
    ``DNase`` (DNase-seq, ATAC-seq), ``histone ChIP`` (H2/H3/H4 marks), ``TF ChIP`` (other
    ChIP-seq), ``CAGE``; anything else is returned unchanged."""
    upper = assay.upper()
    if upper.startswith(("DNASE", "ATAC")):
        return "DNase"
    if upper.startswith("CAGE"):
        return "CAGE"
    target = upper.split("-", 1)[1] if upper.startswith("CHIP-") else upper
    if target.startswith(("H2A", "H2B", "H3", "H4")):
        return "histone ChIP"
    if upper.startswith("CHIP"):
        return "TF ChIP"
    return assay


def track_accuracy(prediction: np.ndarray, target: np.ndarray, tracks: Sequence[Track]):
    """Per-track accuracy over every bin of every window.

    Parameters
    ----------
    prediction, target
        ``(windows, bins, tracks)``.
    tracks
        The store's track table (``id``, ``assay``, ``cell_type``...).

    Returns
    -------
    pandas.DataFrame
        One row per track: ``track``, ``assay``, ``assay_type`` (:func:`assay_type`),
        ``cell_type``, ``pearson_r`` and ``r2``
        of log2(1 + x), and ``pearson_r_raw`` of the untransformed values.
    """
    import pandas as pd

    n_tracks = target.shape[-1]
    flat_target = target.reshape(-1, n_tracks)
    flat_prediction = prediction.reshape(-1, n_tracks)
    log_target, log_prediction = log2p(flat_target), log2p(flat_prediction)
    return pd.DataFrame(
        {
            "track": [t.id for t in tracks],
            "assay": [t.assay for t in tracks],
            "assay_type": [assay_type(t.assay) for t in tracks],
            "cell_type": [t.cell_type for t in tracks],
            "pearson_r": pearson(log_target, log_prediction),
            "r2": r_squared(log_target, log_prediction),
            "pearson_r_raw": pearson(flat_target, flat_prediction),
        }
    )


# -- replicates ------------------------------------------------------------------------------
def replicate_pairs(tracks: Sequence[Track]) -> list[tuple[int, int]]:
    """Index pairs of tracks that share a ``replicate_group`` (each unordered pair once)."""
    groups: dict[str, list[int]] = {}
    for i, track in enumerate(tracks):
        group = track.replicate_group
        if group:
            groups.setdefault(group, []).append(i)
    return [(a, b) for members in groups.values() for i, a in enumerate(members)
            for b in members[i + 1 :]]  # fmt: skip


def replicate_comparison(prediction: np.ndarray, target: np.ndarray, tracks: Sequence[Track]):
    """Replicate-vs-replicate and prediction-vs-experiment correlations (Basenji Fig 2D).

    For each pair of replicates (a, b): r(a, b) of the experiments, and the mean of
    r(prediction of a, experiment a) and r(prediction of b, experiment b), all on
    log2(1 + x) over every bin. A Wilcoxon signed-rank test compares the two across pairs.

    Returns
    -------
    (pandas.DataFrame, dict)
        One row per pair, and ``{"pairs", "median_replicate_r", "median_prediction_r",
        "wilcoxon_p"}``.
    """
    import pandas as pd
    from scipy.stats import wilcoxon

    n_tracks = target.shape[-1]
    log_target = log2p(target.reshape(-1, n_tracks))
    log_prediction = log2p(prediction.reshape(-1, n_tracks))
    rows = []
    for a, b in replicate_pairs(tracks):
        rows.append(
            {
                "track_a": tracks[a].id,
                "track_b": tracks[b].id,
                "assay": tracks[a].assay,
                "replicate_r": float(pearson(log_target[:, a], log_target[:, b])),
                "prediction_r": float(
                    np.mean([pearson(log_prediction[:, i], log_target[:, i]) for i in (a, b)])
                ),
            }
        )
    table = pd.DataFrame(rows, columns=["track_a", "track_b", "assay", "replicate_r",
                                        "prediction_r"])  # fmt: skip
    summary: dict[str, Any] = {"pairs": len(table)}
    if len(table):
        summary["median_replicate_r"] = float(table["replicate_r"].median())
        summary["median_prediction_r"] = float(table["prediction_r"].median())
        difference = table["prediction_r"] - table["replicate_r"]
        summary["wilcoxon_p"] = (
            float(wilcoxon(difference).pvalue) if len(table) > 1 and difference.any() else None
        )
    return table, summary


def summarise_by_assay(table, columns: Sequence[str] = ("pearson_r", "r2"), by: str = "assay"):
    """Mean of per-track metrics per ``assay`` (or per ``assay_type``)."""
    return table.groupby(by)[list(columns)].mean()
