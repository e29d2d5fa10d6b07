"""GC content of DNA per bin, the one copy used by GC-bias correction (notebook 01), the
k-mer baseline (notebook 03) and the simulator.

Input is base codes (:func:`seqreg.sequence.sequence_codes`: 0-3 = A, C, G, T; 4 = N).
"""

from __future__ import annotations

import numpy as np


def gc_per_bin(codes: np.ndarray, bin_size: int, *, n_counts: bool = False,
               empty: float = np.nan) -> np.ndarray:  # fmt: skip
    """GC fraction of each ``bin_size``-base bin along the last axis.

    Parameters
    ----------
    codes
        ``(..., length)`` base codes; a last partial bin is padded with N.
    bin_size
        Bases per bin.
    n_counts
        If True, N bases count as non-GC (fraction of all ``bin_size`` bases); otherwise
        the fraction is over the A, C, G and T bases only.
    empty
        Value of a bin without A, C, G or T (``n_counts=False`` only).

    Returns
    -------
    np.ndarray
        ``(..., ceil(length / bin_size))`` float64 fractions in [0, 1].
    """
    codes = np.asarray(codes)
    length = codes.shape[-1]
    n_bins = -(-length // bin_size)
    if n_bins * bin_size != length:
        pad = np.full((*codes.shape[:-1], n_bins * bin_size - length), 4, dtype=codes.dtype)
        codes = np.concatenate([codes, pad], axis=-1)
    blocks = codes.reshape(*codes.shape[:-1], n_bins, bin_size)
    gc = ((blocks == 1) | (blocks == 2)).sum(axis=-1)
    if n_counts:
        return gc / bin_size
    acgt = (blocks < 4).sum(axis=-1)
    return np.where(acgt > 0, gc / np.maximum(acgt, 1), empty)


def smoothed_gc(codes: np.ndarray, bin_size: int, sigma: float = 8.0) -> np.ndarray:
    """Gaussian-weighted GC fraction around each bin centre, N bases left out (the GC
    covariate of Basenji's ``bam_cov`` GC correction).

    Parameters
    ----------
    codes
        ``(length,)`` base codes of one chromosome.
    bin_size
        Bases per bin; bin ``b`` is centred on base ``b * bin_size + bin_size // 2``.
    sigma
        Standard deviation of the Gaussian, in bases.

    Returns
    -------
    np.ndarray
        ``(ceil(length / bin_size),)`` fractions; NaN where less than half the smoothed
        weight falls on known bases.
    """
    from scipy.ndimage import gaussian_filter1d

    codes = np.asarray(codes)
    smooth_gc = gaussian_filter1d(((codes == 1) | (codes == 2)).astype(float), sigma)
    smooth_known = gaussian_filter1d((codes < 4).astype(float), sigma)
    centres = np.minimum(
        np.arange(-(-len(codes) // bin_size)) * bin_size + bin_size // 2, len(codes) - 1
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(
            smooth_known[centres] > 0.5, smooth_gc[centres] / smooth_known[centres], np.nan
        )
