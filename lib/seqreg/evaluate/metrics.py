"""Correlation metrics of coverage predictions: Pearson r and R^2 on log2(1 + x)."""

from __future__ import annotations

import numpy as np


def log2p(values: np.ndarray) -> np.ndarray:
    """``log2(1 + x)`` as float64 (the scale of the papers' scatter plots)."""
    return np.log2(1.0 + np.asarray(values, dtype=np.float64))


def pearson(a: np.ndarray, b: np.ndarray, axis: int = 0) -> np.ndarray:
    """Pearson correlation along ``axis`` (NaN where either side is constant)."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    a = a - a.mean(axis=axis, keepdims=True)
    b = b - b.mean(axis=axis, keepdims=True)
    denominator = np.sqrt((a * a).sum(axis=axis) * (b * b).sum(axis=axis))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denominator > 0, (a * b).sum(axis=axis) / denominator, np.nan)


def r_squared(target: np.ndarray, prediction: np.ndarray, axis: int = 0) -> np.ndarray:
    """Coefficient of determination ``1 - SSE / SST`` along ``axis``."""
    target = np.asarray(target, dtype=np.float64)
    residual = ((target - prediction) ** 2).sum(axis=axis)
    total = ((target - target.mean(axis=axis, keepdims=True)) ** 2).sum(axis=axis)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, 1.0 - residual / total, np.nan)
