"""Population genetics for variant-effect analyses: genotype dosages, LD, LD scores,
pruning and signed LD profiles.

Genotypes are ``(variants, samples)`` matrices. Standardised dosages ``X`` (each variant
centred and scaled to unit variance over samples) give LD as ``R = X X^T / n``. Positions
are any increasing coordinate (bases, or centimorgans from :func:`genetic_positions`) and
windows are in the same unit; variants on different chromosomes are never in LD.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .errors import InputFileError

if TYPE_CHECKING:
    import pandas as pd

#: TSS-distance classes of the Basenji (2018) eQTL regression, in bases: [0, 500),
#: [500, 2000), [2000, 8000), [8000, 32000)
TSS_DISTANCE_EDGES: tuple[int, ...] = (0, 500, 2_000, 8_000, 32_000)


def _vcf_lines(path: Path, chrom: str):
    """Data lines of one chromosome (tabix when indexed, else a scan of the file)."""
    import gzip

    import pysam

    for index in (Path(f"{path}.tbi"), Path(f"{path}.csi")):
        if index.exists():
            with pysam.TabixFile(str(path)) as tabix:
                if chrom in tabix.contigs:
                    yield from tabix.fetch(chrom)
            return
    opener = gzip.open if path.suffix in (".gz", ".bgz") else open
    with opener(path, "rt") as handle:
        for line in handle:
            if not line.startswith("#") and line.split("\t", 1)[0] == chrom:
                yield line.rstrip("\n")


def _alleles(samples: str, n: int) -> np.ndarray:
    """``(n, 2)`` allele indices of a line's sample columns (-1 = missing)."""
    if len(samples) == 4 * n - 1 and ":" not in samples:  # fast path: diploid 'a|b' or 'a/b'
        raw = np.frombuffer((samples + "\t").encode(), np.uint8).reshape(n, 4)[:, [0, 2]]
        if np.all(((raw >= 48) & (raw <= 57)) | (raw == 46)):
            return np.where(raw == 46, -1, raw.astype(np.int64) - 48)
    out = np.full((n, 2), -1, dtype=np.int64)
    for i, field in enumerate(samples.split("\t")):
        calls = re.split(r"[/|]", field.split(":", 1)[0])
        for k, call in enumerate(calls[:2]):
            if call not in (".", ""):
                out[i, k] = int(call)
        if len(calls) == 1:  # haploid call counts once
            out[i, 1] = 0 if out[i, 0] >= 0 else -1
    return out


def read_dosages(path: str | Path, variants) -> tuple[np.ndarray, list[str]]:
    """ALT-allele dosages (0, 1, 2; NaN when missing) of ``variants`` from a VCF.

    Parameters
    ----------
    path
        VCF or bgzipped VCF with GT calls (tabix-indexed for speed).
    variants
        ``chrom``, ``pos`` (1-based), ``ref``, ``alt``; multi-allelic records are matched
        per ALT allele. Chromosome names may be spelled ``chr1`` or ``1``.

    Returns
    -------
    dosage, samples
        ``(variants, samples)`` float32 in the order of ``variants``, and the sample names.
    """
    import pysam

    from .tracks import chrom_alias

    path = Path(path)
    if not path.exists():
        raise InputFileError(path, "no such VCF file")
    with pysam.VariantFile(str(path)) as vcf:
        samples = list(vcf.header.samples)
        contigs = set(vcf.header.contigs)
    n = len(samples)
    if not n:
        raise InputFileError(path, "has no sample columns (no genotypes)")
    dosage = np.full((len(variants), n), np.nan, dtype=np.float32)
    found = np.zeros(len(variants), dtype=bool)
    for chrom, rows in variants.groupby("chrom", sort=False).indices.items():
        name = (
            chrom if chrom in contigs or chrom_alias(chrom) not in contigs else chrom_alias(chrom)
        )
        wanted = {
            (int(p), r, a): int(i)
            for p, r, a, i in zip(
                variants["pos"].to_numpy()[rows],
                variants["ref"].to_numpy()[rows],
                variants["alt"].to_numpy()[rows],
                rows,
                strict=True,
            )
        }
        for line in _vcf_lines(path, name):
            fields = line.split("\t", 9)
            if len(fields) < 10:
                raise InputFileError(
                    path, f"a {name} line at {fields[1:2]} has no genotype columns"
                )
            pos, ref = int(fields[1]), fields[3].upper()
            alts = fields[4].upper().split(",")
            hits = [(k, wanted.get((pos, ref, alt))) for k, alt in enumerate(alts, 1)]
            hits = [(k, row) for k, row in hits if row is not None]
            if not hits:
                continue
            if not fields[8].startswith("GT"):
                raise InputFileError(path, f"{name}:{pos} has no GT field first in FORMAT")
            calls = _alleles(fields[9], n)
            missing = (calls < 0).any(axis=1)
            for k, row in hits:
                values = (calls == k).sum(axis=1).astype(np.float32)
                values[missing] = np.nan
                dosage[row] = values
                found[row] = True
    if not found.all():
        first = variants.iloc[int(np.flatnonzero(~found)[0])]
        raise InputFileError(
            path,
            f"has no genotypes for {int((~found).sum())} of {len(variants)} variants "
            f"(first: {first['chrom']}:{first['pos']} {first['ref']}>{first['alt']})",
        )
    return dosage, samples


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


def tss_distance_classes(distance: np.ndarray, edges=TSS_DISTANCE_EDGES) -> np.ndarray:
    """Indicator matrix ``(variants, len(edges) - 1)``: ``|distance|`` in ``[edges[c], edges[c+1])``."""
    d = np.abs(np.asarray(distance))[:, None]
    edges = np.asarray(edges)
    return ((d >= edges[:-1]) & (d < edges[1:])).astype(np.float64)


def gene_ld_features(std: np.ndarray, chrom, positions, pairs, tss_position: dict[str, int],
                     edges=TSS_DISTANCE_EDGES) -> pd.DataFrame:  # fmt: skip
    """Per variant-gene pair: the signed LD profile of a gene's variant scores and the LD
    scores of TSS-distance classes relative to that gene.

    For gene ``g`` with scores ``s_kg`` of the variants ``k`` in its scored range,
    ``score_ld_jg = sum_k r_jk s_kg``; for class ``c``,
    ``tss_ld_c(j, g) = sum_k r2_jk 1{|pos_k - tss_g| in c}`` over all variants ``k`` on the
    chromosome within ``edges[-1]`` of the TSS (unbiased r^2).

    Parameters
    ----------
    std, chrom, positions
        Standardised dosages and coordinates (bases) of all variants, sorted.
    pairs
        ``variant`` (row of ``std``), ``gene_id`` and ``score`` (e.g. SED).
    tss_position
        Gene id -> TSS position (0-based) used for the distance classes.

    Returns
    -------
    pandas.DataFrame
        ``pairs`` plus ``score_ld`` and ``tss_ld_<lo>_<hi>`` columns.
    """
    import pandas as pd

    chrom, positions = np.asarray(chrom), np.asarray(positions, dtype=np.int64)
    n = std.shape[1]
    names = [f"tss_ld_{lo}_{hi}" for lo, hi in itertools.pairwise(edges)]
    pieces = []
    for gene_id, members in pairs.groupby("gene_id", sort=False):
        rows = members["variant"].to_numpy()
        r = std[rows] @ std[rows].T / n
        score_ld = r @ members["score"].to_numpy(float)
        tss = tss_position[gene_id]
        same = chrom == chrom[rows[0]]
        near = np.flatnonzero(same & (np.abs(positions - tss) < edges[-1]))
        r_near = std[rows] @ std[near].T / n
        classes = tss_distance_classes(positions[near] - tss, edges)
        tss_ld = unbiased_r2(r_near, n) @ classes
        piece = members.assign(score_ld=score_ld)
        for k, name in enumerate(names):
            piece[name] = tss_ld[:, k]
        pieces.append(piece)
    if not pieces:
        return pairs.assign(
            score_ld=pd.Series(dtype=float), **{k: pd.Series(dtype=float) for k in names}
        )
    return pd.concat(pieces).loc[pairs.index]


def eqtl_regression_table(std: np.ndarray, variants, pairs, tss_position: dict[str, int], allpairs,
                          significant, ld_score: np.ndarray, kept: np.ndarray | None = None,
                          edges=TSS_DISTANCE_EDGES):  # fmt: skip
    """Variant-gene pairs with their eQTL chi-square and the covariates of the Basenji
    (2018) regression: LD score, ``|score_ld|`` (e.g. |SED-LD|) and TSS-distance LD scores.

    Parameters
    ----------
    std, variants
        Standardised dosages and ``chrom``, ``pos``, ``ref``, ``alt`` of all variants
        (sorted; rows of ``std``).
    pairs
        ``variant`` (row of ``variants``), ``gene_id``, ``score``: the scored pairs.
    allpairs, significant
        GTEx tables of one tissue (:func:`seqreg.variants.read_gtex_eqtl`).
    ld_score
        ``(variants,)`` LD scores (:func:`ld_scores`).
    kept
        Optional LD-pruning mask (:func:`ld_prune`); pairs of other variants are dropped
        after their signed LD profiles are computed.

    Returns
    -------
    pandas.DataFrame
        One row per pair with eQTL statistics: ``variant``, ``gene_id``, ``score``,
        ``score_ld``, ``abs_score_ld``, ``tss_ld_*``, ``ld_score``, ``chi2``,
        ``significant``, ``pval_nominal``, ``slope``.
    """
    import pandas as pd

    features = gene_ld_features(std, variants["chrom"].to_numpy(), variants["pos"].to_numpy(), pairs,
                                tss_position, edges)  # fmt: skip
    keys = ["chrom", "pos", "ref", "alt"]
    for column in keys:
        features[column] = variants[column].to_numpy()[features["variant"].to_numpy()]
    stats_columns = [*keys, "gene_id", "slope", "slope_se", "pval_nominal"]
    table = features.merge(allpairs[stats_columns], on=[*keys, "gene_id"], how="inner")
    table["chi2"] = (table["slope"] / table["slope_se"]) ** 2
    hits = pd.MultiIndex.from_frame(significant[[*keys, "gene_id"]])
    table["significant"] = pd.MultiIndex.from_frame(table[[*keys, "gene_id"]]).isin(hits)
    table["ld_score"] = np.asarray(ld_score)[table["variant"].to_numpy()]
    table["abs_score_ld"] = table["score_ld"].abs()
    if kept is not None:
        table = table[np.asarray(kept)[table["variant"].to_numpy()]]
    return table.drop(columns=["slope_se"]).reset_index(drop=True)


def sed_ld_regression(table, n_quantiles: int = 5):
    """The regression of eQTL chi-square on LD score and ``|score_ld|``, without and with
    the TSS-distance LD covariates, and the quantile analysis of Basenji (2018) Fig 5B.

    Returns
    -------
    dict
        ``coefficients`` (DataFrame: ``model``, ``term``, ``coef``, ``se``, ``t``, ``p``),
        ``quantiles`` (:func:`seqreg.stats.quantile_enrichment` of the difference between
        the predictions of the covariates-only model and the model adding ``|score_ld|``,
        against ``significant``) and ``n_pairs``.
    """
    import pandas as pd

    from .stats import ols, quantile_enrichment

    distance = [c for c in table.columns if c.startswith("tss_ld_")]
    models = {
        "LD score + |score-LD|": ["ld_score", "abs_score_ld"],
        "+ TSS distance": ["ld_score", "abs_score_ld", *distance],
    }
    coefficients = []
    for name, covariates in models.items():
        coef, _ = ols(table, "chi2", covariates)
        coefficients.append(coef.assign(model=name))
    _, with_score = ols(table, "chi2", models["+ TSS distance"])
    _, without = ols(table, "chi2", ["ld_score", *distance])
    delta = with_score.predict() - without.predict()
    quantiles = quantile_enrichment(delta, table["significant"].to_numpy(), n_quantiles)
    columns = ["model", "term", "coef", "se", "t", "p"]
    return {"coefficients": pd.concat(coefficients)[columns].reset_index(drop=True),
            "quantiles": quantiles, "n_pairs": len(table)}  # fmt: skip
