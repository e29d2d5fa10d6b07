"""Coverage targets: a window's values from bigWig, NaN filling, pooling to bins, soft
clipping and scaling (Basenji 2019, Methods "Training data").
"""

from __future__ import annotations

import numpy as np

from .windows import NanPolicy, WindowSpec

# -- target transforms -----------------------------------------------------------------------------
FLOAT16_MAX = 65504.0


def fill_nan(values: np.ndarray, policy: NanPolicy, baseline: float = 0.0) -> np.ndarray:
    """Fill NaNs of ``(windows, positions)`` values: with 0, the ``baseline``, or by linear
    interpolation along each window (edges take the nearest value; all-NaN rows the baseline).

    Raises
    ------
    ValueError
        For an unknown NaN policy.
    """
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

    Raises
    ------
    ValueError
        When the positions do not divide into bins of ``width``, or for an unknown
        statistic.
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


# -- accessibility inputs (Leopard) ------------------------------------------------------------------
def quantile_normalize_to_reference(values: np.ndarray, sample: np.ndarray, reference: np.ndarray,
                                    top: int = 10) -> np.ndarray:  # fmt: skip
    """Map a track's values onto a reference track's distribution, as Leopard normalises
    DNase before the U-Net sees it (GuanLab/Leopard ``quantile_normalize_bigwig.py``; the
    microglia report, section 4.2).

    ``sample`` (values drawn from the track, e.g. 1 in 1,000 positions) is sorted; each
    group of tied sample values is sent to the mean of the reference's sorted values at the
    same ranks; values between sample values are interpolated linearly; values above the
    largest sample value follow a straight line fitted to the top ``top`` (sample value,
    target) pairs; values below the smallest get the smallest target.

    Parameters
    ----------
    values
        Values to normalise, any shape (NaN stays NaN).
    sample, reference
        1-D samples of the track and of the reference track; when their sizes differ the
        reference's quantiles are read at the sample's plotting positions.
    top
        Pairs the extrapolation line is fitted to.

    Returns
    -------
    numpy.ndarray
        float64, the shape of ``values``.

    Raises
    ------
    ValueError
        When a sample holds no finite value.
    """
    sample = np.sort(np.asarray(sample, dtype=np.float64)[np.isfinite(sample)])
    reference = np.sort(np.asarray(reference, dtype=np.float64)[np.isfinite(reference)])
    if not len(sample) or not len(reference):
        raise ValueError("quantile normalisation needs finite values in both samples")
    n = len(sample)
    if len(reference) != n:
        reference = np.interp(
            (np.arange(n) + 0.5) / n, (np.arange(len(reference)) + 0.5) / len(reference), reference
        )
    levels, first, counts = np.unique(sample, return_index=True, return_counts=True)
    sums = np.add.reduceat(reference, first)
    targets = sums / counts
    values = np.asarray(values, dtype=np.float64)
    out = np.interp(values, levels, targets)
    above = values > levels[-1]
    if above.any():
        k = min(top, len(levels))
        if k >= 2:
            slope, intercept = np.polyfit(levels[-k:], targets[-k:], 1)
            out[above] = slope * values[above] + intercept
        else:
            out[above] = targets[-1]
    out[np.isnan(values)] = np.nan
    return out
