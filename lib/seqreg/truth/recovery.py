"""Synthetic-only checks: the planted noise-free signal as targets, and how much of it a
model recovers. These never run on real data.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..evaluate.metrics import log2p, pearson
from ..models.geometry import target_bins
from ..project.manifest import Track


def truth_targets(expected, tracks: Sequence[Track], windows, seq_length: int, pool_width: int,
                  crop_bp: int, bin_size: int) -> np.ndarray:  # fmt: skip
    """Noise-free expected signal of simulated tracks, cut and pooled like the store's targets.

    Parameters
    ----------
    expected
        Mapping ``"<track id>/<chrom>" -> (chrom_length / bin_size,)`` expected reads per
        ``bin_size`` bases (the synthetic dataset's ``truth_expected`` npz).
    windows
        DataFrame with ``chrom`` and ``start`` in store order.

    Returns
    -------
    np.ndarray
        ``(windows, bins, tracks)``: expected reads summed over each target bin (NaN for
        tracks without truth). Only the scale differs from the targets' before noise.
    """
    bins = target_bins(seq_length, pool_width, crop_bp)
    out = np.full((len(windows), bins, len(tracks)), np.nan, dtype=np.float32)
    starts = windows["start"].to_numpy() + crop_bp
    chroms = windows["chrom"].to_numpy()
    for t, track in enumerate(tracks):
        for chrom in np.unique(chroms):
            key = f"{track.id}/{chrom}"
            if key not in expected:
                continue
            per_base = np.repeat(np.asarray(expected[key], dtype=np.float32), bin_size)
            for w in np.flatnonzero(chroms == chrom):
                segment = per_base[starts[w] : starts[w] + bins * pool_width]
                if len(segment) == bins * pool_width:
                    out[w, :, t] = segment.reshape(bins, pool_width).sum(axis=1) / bin_size
    return out


def truth_recovery(prediction: np.ndarray, target: np.ndarray, truth: np.ndarray,
                   tracks: Sequence[Track]):  # fmt: skip
    """Per-track Pearson r with the noise-free truth: of the prediction and of the experiment.

    The experiment carries sampling noise; a model that learned the regulatory grammar can
    correlate with the truth better than the experiment it was trained on does.
    """
    import pandas as pd

    n_tracks = target.shape[-1]
    flat_truth = truth.reshape(-1, n_tracks)
    rows = []
    for t, track in enumerate(tracks):
        truth_t = flat_truth[:, t]
        if np.isnan(truth_t).all():
            continue
        keep = ~np.isnan(truth_t)
        rows.append(
            {
                "track": track.id,
                "assay": track.assay,
                "prediction_truth_r": float(
                    pearson(log2p(prediction.reshape(-1, n_tracks)[keep, t]), log2p(truth_t[keep]))
                ),
                "experiment_truth_r": float(
                    pearson(log2p(target.reshape(-1, n_tracks)[keep, t]), log2p(truth_t[keep]))
                ),
            }
        )
    return pd.DataFrame(rows)
