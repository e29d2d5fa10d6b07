"""Baselines a sequence model must beat: the mean training profile and a k-mer ridge
regression per bin.
"""

from __future__ import annotations

import numpy as np

from ..models.geometry import target_bins
from ..sequence.gc import gc_per_bin


# -- baselines -------------------------------------------------------------------------------
def mean_profile_baseline(train_targets: np.ndarray, n_windows: int) -> np.ndarray:
    """Each track's mean profile over training windows, repeated for ``n_windows``.

    ``(windows, bins, tracks)`` in; ``(n_windows, bins, tracks)`` out. It knows where in a
    window signal tends to be (nowhere in particular, for tiled windows) and each track's
    level, nothing about the sequence.
    """
    profile = np.asarray(train_targets, dtype=np.float64).mean(axis=0)
    return np.broadcast_to(profile, (n_windows, *profile.shape)).astype(np.float32)


def kmer_features(codes: np.ndarray, pool_width: int, crop_bp: int, k: int = 4) -> np.ndarray:
    """Per-bin GC fraction and k-mer frequencies (both strands pooled) of the sequence.

    Parameters
    ----------
    codes
        ``(windows, seq_length)`` uint8 codes A=0 C=1 G=2 T=3 N=4.
    pool_width, crop_bp
        Bin width and the bases cropped at each end, as in the store's spec.
    k
        k-mer length; ``4 ** k / 2`` canonical k-mers (roughly; palindromes once).

    Returns
    -------
    np.ndarray
        ``(windows, bins, 1 + n_kmers)`` float32: GC fraction, then k-mer frequencies
        per bin.
    """
    codes = np.asarray(codes)
    windows, length = codes.shape
    bins = target_bins(length, pool_width, crop_bp)
    core = codes[:, crop_bp : crop_bp + bins * pool_width]
    valid = core < 4
    gc = gc_per_bin(core, pool_width, n_counts=True)
    # k-mer index of the k bases starting at each position; N anywhere -> invalid
    index = np.zeros((windows, core.shape[1] - k + 1), dtype=np.int64)
    ok = np.ones_like(index, dtype=bool)
    for offset in range(k):
        part = core[:, offset : offset + index.shape[1]]
        index = index * 4 + np.minimum(part, 3)
        ok &= valid[:, offset : offset + index.shape[1]]
    # canonical k-mer: the smaller of the k-mer and its reverse complement
    canonical = np.minimum(index, _reverse_complement_index(index, k))
    kmers = np.unique(np.minimum(np.arange(4**k), _reverse_complement_index(np.arange(4**k), k)))
    column = np.searchsorted(kmers, canonical)
    position_bin = np.minimum(np.arange(index.shape[1]) // pool_width, bins - 1)
    counts = np.zeros((windows, bins, len(kmers)), dtype=np.float32)
    rows = np.broadcast_to(np.arange(windows)[:, None], index.shape)
    cols = np.broadcast_to(position_bin[None], index.shape)
    np.add.at(counts, (rows[ok], cols[ok], column[ok]), 1.0)
    counts /= pool_width
    return np.concatenate([gc[..., None].astype(np.float32), counts], axis=2)


def _reverse_complement_index(index: np.ndarray, k: int) -> np.ndarray:
    reverse = np.zeros_like(index)
    value = index.copy()
    for _ in range(k):
        reverse = reverse * 4 + (3 - value % 4)
        value //= 4
    return reverse


def kmer_ridge_baseline(train_features: np.ndarray, train_targets: np.ndarray,
                        test_features: np.ndarray, alpha: float = 1.0,
                        context_bins: int = 1) -> np.ndarray:  # fmt: skip
    """Ridge regression from each bin's GC and k-mer content to log(1 + targets).

    Parameters
    ----------
    train_features, test_features
        ``(windows, bins, features)`` from :func:`kmer_features`.
    train_targets
        ``(windows, bins, tracks)``.
    alpha
        Ridge penalty (features are standardised first).
    context_bins
        Also use the features of this many neighbouring bins on each side (0: the bin only).

    Returns
    -------
    np.ndarray
        ``(test windows, bins, tracks)`` predictions, back on the count scale.
    """
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    def with_context(features):
        if not context_bins:
            return features
        padded = np.pad(features, ((0, 0), (context_bins, context_bins), (0, 0)), mode="edge")
        bins = features.shape[1]
        shifted = [padded[:, offset : offset + bins] for offset in range(2 * context_bins + 1)]
        return np.concatenate(shifted, axis=2)

    x_train = with_context(train_features)
    x_test = with_context(test_features)
    n_tracks = train_targets.shape[-1]
    model = make_pipeline(StandardScaler(), Ridge(alpha=alpha))
    model.fit(x_train.reshape(-1, x_train.shape[-1]), np.log1p(train_targets.reshape(-1, n_tracks)))
    predicted = model.predict(x_test.reshape(-1, x_test.shape[-1]))
    return np.expm1(np.clip(predicted, 0, None)).reshape(*x_test.shape[:2], n_tracks)
