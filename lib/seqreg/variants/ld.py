"""Population genetics for variant-effect analyses: genotype dosages, LD, LD scores,
pruning and signed LD profiles.

Genotypes are ``(variants, samples)`` matrices. Standardised dosages ``X`` (each variant
centred and scaled to unit variance over samples) give LD as ``R = X X^T / n``. Positions
are any increasing coordinate (bases, or centimorgans from :func:`genetic_positions`) and
windows are in the same unit; variants on different chromosomes are never in LD.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np


def standardize(dosage: np.ndarray) -> np.ndarray:
    """Centre each variant (row) and scale it to unit variance over samples.

    Missing calls (NaN) take the variant's mean, i.e. 0 after centring; monomorphic
    variants become all zeros (no LD with anything).
    """
    x = np.asarray(dosage, dtype=np.float64)
    mean = np.nanmean(x, axis=1, keepdims=True)
    x = np.where(np.isnan(x), mean, x) - mean
    sd = np.sqrt((x**2).mean(axis=1, keepdims=True))
    with np.errstate(invalid="ignore", divide="ignore"):
        x = np.where(sd > 0, x / sd, 0.0)
    return x.astype(np.float32)


def genetic_positions(positions: np.ndarray, genetic_map) -> np.ndarray:
    """Centimorgan positions by linear interpolation of a map (``pos``, ``cM`` columns)."""
    order = np.argsort(genetic_map["pos"].to_numpy())
    return np.interp(
        positions, genetic_map["pos"].to_numpy()[order], genetic_map["cM"].to_numpy()[order]
    )


def unbiased_r2(r: np.ndarray, n_samples: int) -> np.ndarray:
    """r^2 corrected for sampling noise: ``r^2 - (1 - r^2) / (n - 2)`` (as LD-score regression)."""
    r2 = r**2
    return r2 - (1 - r2) / (n_samples - 2)


def _neighbourhoods(chrom: np.ndarray, positions: np.ndarray, window: float, block: int):
    """Blocks of variant rows (one chromosome each) with the rows of their chromosome
    within ``window`` of any of them. Rows must be sorted by chromosome then position."""
    n = len(positions)
    bounds = np.r_[0, np.flatnonzero(chrom[1:] != chrom[:-1]) + 1, n]
    for first, end in itertools.pairwise(bounds):
        on_chrom = positions[first:end]
        for start in range(first, end, block):
            rows = np.arange(start, min(end, start + block))
            lo = first + np.searchsorted(on_chrom, positions[rows[0]] - window, "left")
            hi = first + np.searchsorted(on_chrom, positions[rows[-1]] + window, "right")
            yield rows, np.arange(lo, hi)


def _check_sorted(chrom: np.ndarray, positions: np.ndarray) -> None:
    if not len(chrom):
        return
    runs = chrom[np.r_[0, np.flatnonzero(chrom[1:] != chrom[:-1]) + 1]]
    if len(set(runs)) != len(runs):
        raise ValueError("variants must be grouped by chromosome (sort by chrom, pos)")
    same = chrom[1:] == chrom[:-1]
    if np.any(np.diff(positions)[same] < 0):
        raise ValueError("variants must be sorted by position within each chromosome")


def ld_scores(std: np.ndarray, chrom, positions, window: float, annotations: np.ndarray | None = None,
              block: int = 512) -> np.ndarray:  # fmt: skip
    """LD scores: for each variant, the sum of unbiased r^2 with every variant (itself
    included) within ``window`` on its chromosome, optionally weighted by annotations.

    Parameters
    ----------
    std
        ``(variants, samples)`` standardised dosages (:func:`standardize`), sorted by
        chromosome and position.
    chrom, positions
        ``(variants,)`` chromosome names and positions (same unit as ``window``).
    annotations
        ``(variants, k)`` values ``a_c(j)``; the result is then
        ``l(i, c) = sum_j r2(i, j) a_c(j)`` per annotation.

    Returns
    -------
    np.ndarray
        ``(variants,)`` or ``(variants, k)`` float64.
    """
    chrom, positions = np.asarray(chrom), np.asarray(positions, dtype=float)
    _check_sorted(chrom, positions)
    n = std.shape[1]
    weights = (
        np.ones((len(positions), 1)) if annotations is None else np.asarray(annotations, float)
    )
    weights = weights.reshape(len(positions), -1)
    out = np.zeros((len(positions), weights.shape[1]))
    for rows, near in _neighbourhoods(chrom, positions, window, block):
        r = (std[rows] @ std[near].T) / n
        inside = np.abs(positions[rows][:, None] - positions[near][None, :]) <= window
        out[rows] = (unbiased_r2(r, n) * inside) @ weights[near]
    return out[:, 0] if annotations is None else out


def ld_prune(std: np.ndarray, chrom, positions, window: float, r2_max: float = 0.5,
             order: np.ndarray | None = None) -> np.ndarray:  # fmt: skip
    """Greedy LD pruning: visit variants in ``order`` and keep one unless its r^2 with an
    already kept variant within ``window`` exceeds ``r2_max``.

    Parameters
    ----------
    order
        Visiting order (default: by position). Pass a random permutation, or one by a
        score, to choose which member of each LD group survives.

    Returns
    -------
    np.ndarray
        ``(variants,)`` boolean mask of kept variants.
    """
    chrom, positions = np.asarray(chrom), np.asarray(positions, dtype=float)
    n = std.shape[1]
    kept = np.zeros(len(positions), dtype=bool)
    order = np.arange(len(positions)) if order is None else np.asarray(order)
    polymorphic = np.any(std != 0, axis=1)
    by_chrom: dict = {}
    for i in order:
        if not polymorphic[i]:
            continue
        members = by_chrom.setdefault(chrom[i], [])
        if members:
            rows = np.asarray(members)
            near = rows[np.abs(positions[rows] - positions[i]) <= window]
            if len(near) and np.max((std[near] @ std[i] / n) ** 2) > r2_max:
                continue
        members.append(i)
        kept[i] = True
    return kept


def signed_ld_profile(std: np.ndarray, chrom, positions, scores: np.ndarray, window: float,
                      block: int = 512) -> np.ndarray:  # fmt: skip
    """Signed LD profile ``R s``: each variant's LD-weighted sum of the scores of the
    variants within ``window`` (itself included), e.g. SED-LD from SED.

    Parameters
    ----------
    scores
        ``(variants,)`` or ``(variants, k)`` signed scores (0 where a variant has none).

    Returns
    -------
    np.ndarray
        Same shape as ``scores``.
    """
    chrom, positions = np.asarray(chrom), np.asarray(positions, dtype=float)
    _check_sorted(chrom, positions)
    n = std.shape[1]
    values = np.asarray(scores, dtype=float).reshape(len(positions), -1)
    out = np.zeros_like(values)
    for rows, near in _neighbourhoods(chrom, positions, window, block):
        r = (std[rows] @ std[near].T) / n
        inside = np.abs(positions[rows][:, None] - positions[near][None, :]) <= window
        out[rows] = (r * inside) @ values[near]
    return out.reshape(np.shape(scores))


@dataclass
class LDPanel:
    """Standardised genotypes of variants with their LD scores and an LD-pruned subset
    (from :func:`ld_panel`).

    Attributes
    ----------
    std
        ``(variants, samples)`` standardised dosages (:func:`standardize`).
    ld_score
        ``(variants,)`` LD scores within the window.
    kept
        ``(variants,)`` bool, the variants kept by pruning.
    samples
        Sample names of the genotype file.
    """

    std: np.ndarray
    ld_score: np.ndarray
    kept: np.ndarray
    samples: list[str]


def ld_panel(vcf, variants, window: float, r2_max: float, seed: int = 0) -> LDPanel:
    """Dosages -> standardised genotypes -> LD scores -> pruning, for the eQTL regression
    (Basenji 2018, Methods "GTEx eQTL"; the SLDP analysis of Basenji2 reuses it).

    Parameters
    ----------
    vcf
        Genotype VCF (bgzipped and indexed).
    variants
        DataFrame of ``chrom``, ``pos``, ``ref``, ``alt``, sorted by position.
    window
        LD window in bases (LD scores and pruning).
    r2_max
        Pruning keeps variants with r^2 below this to every kept neighbour.
    seed
        Seeds the pruning order (random, so no position is favoured).

    Raises
    ------
    InputFileError
        When the VCF cannot be read or has no samples (:func:`seqreg.io.read_dosages`).
    """
    from ..io.vcf import read_dosages

    dosage, samples = read_dosages(vcf, variants)
    std = standardize(dosage)
    chrom, positions = variants["chrom"].to_numpy(), variants["pos"].to_numpy()
    ld_score = ld_scores(std, chrom, positions, window)
    order = np.random.default_rng(seed).permutation(len(variants))
    kept = ld_prune(std, chrom, positions, window, r2_max, order)
    return LDPanel(std, ld_score, kept, list(samples))
