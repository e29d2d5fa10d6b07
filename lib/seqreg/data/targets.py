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
