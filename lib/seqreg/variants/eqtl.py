"""The GTEx eQTL regression of notebook 06 (Basenji 2018, Figs 5B-C): signed LD profiles of
SED scores against eQTL statistics, with LD-score and TSS-distance covariates.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .ld import unbiased_r2

if TYPE_CHECKING:
    import pandas as pd

import itertools

import numpy as np

#: TSS-distance classes of the Basenji (2018) eQTL regression, in bases: [0, 500),
#: [500, 2000), [2000, 8000), [8000, 32000)
TSS_DISTANCE_EDGES: tuple[int, ...] = (0, 500, 2_000, 8_000, 32_000)


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
        GTEx tables of one tissue (:func:`seqreg.io.read_gtex_eqtl`).
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

    from ..stats import ols, quantile_enrichment

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
