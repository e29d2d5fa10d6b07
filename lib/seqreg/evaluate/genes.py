"""Gene-level analyses of CAGE predictions (Basenji 2018, Fig 3 and S5-S7): TSS bins, gene
matrices, gene accuracy, clustering, variability quartiles and TSS switching.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..models.geometry import bin_of, target_bins
from ..project.manifest import Track
from .metrics import log2p, pearson


# -- genes -----------------------------------------------------------------------------------
def tss_bins(tss, windows, seq_length: int, pool_width: int, crop_bp: int):
    """Where each TSS falls in the windows' target bins.

    Parameters
    ----------
    tss
        DataFrame with ``chrom``, ``position`` (0-based), ``strand``, ``transcript_id`` and
        ``gene_id``.
    windows
        DataFrame with ``chrom`` and ``start`` (the store's windows, in store order).

    Returns
    -------
    pandas.DataFrame
        One row per (TSS, window) hit: the TSS columns plus ``window`` (row in
        ``windows``) and ``bin``. A TSS in two overlapping windows appears twice.
    """
    import pandas as pd

    bins = target_bins(seq_length, pool_width, crop_bp)
    frames = []
    windows = windows.reset_index(drop=True)
    for chrom, members in windows.groupby("chrom"):
        starts = members["start"].to_numpy()
        order = np.argsort(starts)
        starts, rows = starts[order], members.index.to_numpy()[order]
        sites = tss[tss["chrom"] == chrom]
        positions = sites["position"].to_numpy()
        # candidate windows: target region starting within one region length before the TSS
        first = np.searchsorted(starts + crop_bp, positions - bins * pool_width, side="right")
        last = np.searchsorted(starts + crop_bp, positions, side="right")
        for site_index, (lo, hi) in enumerate(zip(first, last, strict=True)):
            for w in range(lo, hi):
                b = bin_of(positions[site_index] - starts[w], pool_width, crop_bp)
                if 0 <= b < bins:
                    row = sites.iloc[site_index].to_dict()
                    frames.append({**row, "window": int(rows[w]), "bin": int(b)})
    found = pd.DataFrame(frames, columns=[*tss.columns, "window", "bin"])
    return found.astype({"window": np.int64, "bin": np.int64})


def cage_strand_tracks(tracks: Sequence[Track], assay: str = "CAGE") -> dict[str, dict[str, int]]:
    """``{cell type: {"+": index, "-": index}}`` of stranded CAGE tracks (first replicate).

    An unstranded CAGE track serves both strands.
    """
    found: dict[str, dict[str, int]] = {}
    for i, track in enumerate(tracks):
        if track.assay != assay:
            continue
        strands = found.setdefault(track.cell_type or track.id, {})
        strand = track.strand or "."
        for s in ("+", "-") if strand == "." else (strand,):
            strands.setdefault(s, i)
    return found


def gene_matrix(values: np.ndarray, hits, tracks: Sequence[Track], assay: str = "CAGE"):
    """Gene x cell type CAGE: the strand-matched TSS bin, summed over a gene's TSSs.

    Parameters
    ----------
    values
        ``(windows, bins, tracks)`` predictions or targets.
    hits
        :func:`tss_bins` output. A TSS seen in several windows is averaged over them.

    Returns
    -------
    pandas.DataFrame
        Genes (rows) x cell types (columns).
    """
    return tss_matrix(values, hits, tracks, assay).groupby(level="gene_id").sum()


def gene_accuracy(experiment, prediction) -> Any:
    """Per cell type Pearson r across genes of log2(1 + CAGE), all genes and nonzero genes."""
    import pandas as pd

    rows = []
    for cell_type in experiment.columns:
        e, p = experiment[cell_type].to_numpy(), prediction[cell_type].to_numpy()
        nonzero = e > 0
        rows.append(
            {
                "cell_type": cell_type,
                "genes": len(e),
                "pearson_r_all": float(pearson(log2p(e), log2p(p))),
                "nonzero_genes": int(nonzero.sum()),
                "pearson_r_nonzero": float(pearson(log2p(e[nonzero]), log2p(p[nonzero])))
                if nonzero.sum() > 2
                else np.nan,
            }
        )
    return pd.DataFrame(rows)


def quantile_normalize(matrix: np.ndarray) -> np.ndarray:
    """Quantile-normalise columns: each column's sorted values become the mean sorted column."""
    matrix = np.asarray(matrix, dtype=np.float64)
    order = np.argsort(matrix, axis=0, kind="stable")
    reference = np.sort(matrix, axis=0).mean(axis=1)
    out = np.empty_like(matrix)
    for column in range(matrix.shape[1]):
        out[order[:, column], column] = reference
    return out


def _prepare_for_clustering(matrix: np.ndarray) -> np.ndarray:
    """log2(1 + x), quantile-normalised across columns, centred per row (gene)."""
    normalised = quantile_normalize(log2p(matrix))
    return normalised - normalised.mean(axis=1, keepdims=True)


#: genes per free parameter of a full-covariance mixture below which clustering uses
#: diagonal covariances (a full 12-dimensional Gaussian has 90 parameters per cluster)
GENES_PER_PARAMETER = 10


def mixture_covariance(n_genes: int, n_cell_types: int, n_clusters: int) -> str:
    """``"full"`` when there are at least :data:`GENES_PER_PARAMETER` genes per parameter of
    a full-covariance Gaussian mixture, else ``"diag"``.

    Basenji 2018 (Fig 3C) fit full-covariance mixtures to thousands of genes; a few hundred
    held-out genes cannot determine ``n_clusters * d * (d + 3) / 2`` parameters in ``d``
    cell types, and full-covariance fits to them change with the random start (on the
    synthetic demo data, 96 genes: ARI of truth against experiment 0.07 with full, 0.33
    with diagonal covariances, mean of five starts).
    """
    d = n_cell_types
    full_parameters = n_clusters * (d + d * (d + 1) // 2)
    return "full" if n_genes >= GENES_PER_PARAMETER * full_parameters else "diag"


def _mixture(n_clusters: int, seed: int, covariance_type: str):
    from sklearn.mixture import GaussianMixture

    return GaussianMixture(n_clusters, covariance_type=covariance_type, random_state=seed,
                           n_init=3, reg_covar=1e-4)  # fmt: skip


def cluster_agreement(experiment: np.ndarray, prediction: np.ndarray, n_clusters: int = 6,
                      n_boot: int = 200, seed: int = 0,
                      covariance_type: str = "auto") -> dict[str, Any]:  # fmt: skip
    """Gaussian-mixture clusters of genes from experiment and from prediction, compared
    (Basenji 2018, Fig 3C).

    Both matrices (genes x cell types) are log2(1 + x), quantile-normalised and centred
    per gene, then clustered with ``n_clusters``-component Gaussian mixtures (full
    covariances when the genes can support them, else diagonal: ``covariance_type="auto"``,
    :func:`mixture_covariance`). The adjusted Rand index (ARI) of the two clusterings is reported with a bootstrap 95%
    interval over genes and two p-values from ``n_boot`` label permutations: the share of
    shuffles reaching the observed ARI (with the +1 correction, so never below
    ``1 / (n_boot + 1)``), and a one-sided normal approximation from the permutation
    null's mean and standard deviation (the ARI under permutation is asymptotically normal),
    which resolves p-values far smaller than the permutations could.

    Parameters
    ----------
    experiment, prediction
        ``(genes, cell types)`` non-negative CAGE, rows in the same gene order.

    Returns
    -------
    dict
        ``ari``, ``ari_low``, ``ari_high``, ``z`` (standard deviations of the permutation
        null above its mean), ``p_value`` (its normal tail; far out, below about 1e-15, it
        says only that the ARI lies far beyond the null), ``p_value_permutation``, ``n_genes``, ``covariance_type``, and the label arrays
        ``labels_experiment`` and ``labels_prediction``.

    Raises
    ------
    ValueError
        When the matrices differ in shape or hold fewer genes than ``n_clusters``.
    """
    from scipy.stats import norm
    from sklearn.metrics import adjusted_rand_score

    experiment, prediction = np.asarray(experiment), np.asarray(prediction)
    if experiment.shape != prediction.shape:
        raise ValueError(
            f"experiment {experiment.shape} and prediction {prediction.shape} differ in shape"
        )
    if len(experiment) < n_clusters:
        raise ValueError(f"{len(experiment)} genes cannot form {n_clusters} clusters")
    if covariance_type == "auto":
        covariance_type = mixture_covariance(*experiment.shape, n_clusters)
    labels_e = _mixture(n_clusters, seed, covariance_type).fit_predict(
        _prepare_for_clustering(experiment)
    )
    labels_p = _mixture(n_clusters, seed, covariance_type).fit_predict(
        _prepare_for_clustering(prediction)
    )
    ari = adjusted_rand_score(labels_e, labels_p)
    rng = np.random.default_rng(seed)
    n = len(labels_e)
    boot = [
        adjusted_rand_score(labels_e[idx], labels_p[idx])
        for idx in (rng.integers(0, n, n) for _ in range(n_boot))
    ]
    null = np.array(
        [adjusted_rand_score(labels_e, rng.permutation(labels_p)) for _ in range(n_boot)]
    )
    spread = float(null.std(ddof=1)) if n_boot > 1 else 0.0
    z = (ari - float(null.mean())) / spread if spread > 0 else 0.0
    return {
        "ari": float(ari),
        "ari_low": float(np.percentile(boot, 2.5)),
        "ari_high": float(np.percentile(boot, 97.5)),
        "z": float(z),
        "p_value": float(norm.sf(z)),
        "p_value_permutation": float((1 + np.sum(null >= ari)) / (1 + n_boot)),
        "n_genes": n,
        "covariance_type": covariance_type,
        "labels_experiment": labels_e,
        "labels_prediction": labels_p,
    }


def cluster_stability(matrix: np.ndarray, n_clusters: int = 6, n_boot: int = 20, seed: int = 0,
                      covariance_type: str = "auto") -> dict[str, Any]:  # fmt: skip
    """How reproducible the Gaussian-mixture clusters of one gene matrix are: the ceiling
    of :func:`cluster_agreement` for a source compared with itself.

    The mixture fit to all genes labels them once; a mixture fit to each bootstrap
    resample of genes labels all genes again; the ARI between the two labelings, averaged
    over resamples, is near 1 for well-separated gene modules and near 0 when the
    clusters are arbitrary cuts of a featureless cloud.

    Parameters
    ----------
    matrix
        ``(genes, cell types)`` non-negative CAGE (log2, quantile normalisation and
        centring as in :func:`cluster_agreement`).

    Returns
    -------
    dict
        ``ari_mean``, ``ari_low`` and ``ari_high`` (2.5 and 97.5 percentiles over
        resamples), ``n_genes``, ``covariance_type`` (``"auto"``: as in
        :func:`cluster_agreement`).

    Raises
    ------
    ValueError
        When the matrix holds fewer genes than ``n_clusters``.
    """
    from sklearn.metrics import adjusted_rand_score

    prepared = _prepare_for_clustering(np.asarray(matrix))
    n = len(prepared)
    if n < n_clusters:
        raise ValueError(f"{n} genes cannot form {n_clusters} clusters")
    if covariance_type == "auto":
        covariance_type = mixture_covariance(*prepared.shape, n_clusters)
    reference = _mixture(n_clusters, seed, covariance_type).fit(prepared).predict(prepared)
    rng = np.random.default_rng(seed)
    aris = []
    for b in range(n_boot):
        idx = rng.integers(0, n, n)
        labels = _mixture(n_clusters, seed + 1 + b, covariance_type).fit(prepared[idx])
        labels = labels.predict(prepared)
        aris.append(adjusted_rand_score(reference, labels))
    return {
        "ari_mean": float(np.mean(aris)),
        "ari_low": float(np.percentile(aris, 2.5)),
        "ari_high": float(np.percentile(aris, 97.5)),
        "n_genes": n,
        "covariance_type": covariance_type,
    }


def accuracy_by_variability(experiment, prediction, n_quantiles: int = 4):
    """Accuracy across cell types for genes binned by their coefficient of variation.

    The CV of each gene's experimental CAGE across cell types sorts genes into quartiles;
    within each, per-gene Pearson r across cell types of log2(1 + x) (quantile-normalised)
    summarises how well the model follows the gene's cell-type specificity.

    Returns
    -------
    pandas.DataFrame
        ``quartile``, ``cv_low``, ``cv_high``, ``genes``, ``median_r``, ``mean_r``; no rows
        when there are fewer than two cell types (no variability to bin by) or no expressed
        gene, and fewer than ``n_quantiles`` rows when CVs tie across quantile edges.
    """
    import pandas as pd

    columns = ["quartile", "cv_low", "cv_high", "genes", "median_r", "mean_r"]
    cv, r = _cv_and_gene_r(experiment, prediction)
    if not len(cv):
        return pd.DataFrame(columns=columns)
    quartile = np.asarray(pd.qcut(cv, n_quantiles, labels=False, duplicates="drop"), dtype=float)
    rows = []
    for q in sorted(set(quartile[np.isfinite(quartile)])):
        members = quartile == q
        rows.append(
            {
                "quartile": int(q) + 1,
                "cv_low": float(cv[members].min()),
                "cv_high": float(cv[members].max()),
                "genes": int(members.sum()),
                "median_r": float(np.nanmedian(r[members])),
                "mean_r": float(np.nanmean(r[members])),
            }
        )
    return pd.DataFrame(rows, columns=columns)


def _cv_and_gene_r(experiment, prediction) -> tuple[np.ndarray, np.ndarray]:
    """CV across cell types of each expressed gene's CAGE and its per-gene Pearson r across
    cell types (quantile-normalised log2(1 + x)); empty with fewer than two cell types."""
    e = experiment.to_numpy(dtype=np.float64)
    p = prediction.to_numpy(dtype=np.float64)
    expressed = e.sum(axis=1) > 0
    e, p = e[expressed], p[expressed]
    if e.shape[1] < 2 or not len(e):
        return np.empty(0), np.empty(0)
    cv = e.std(axis=1) / e.mean(axis=1)
    r = pearson(quantile_normalize(log2p(e)), quantile_normalize(log2p(p)), axis=1)
    return cv, r


def variability_trend(experiment, prediction) -> dict[str, float]:
    """Does per-gene accuracy across cell types rise with the gene's variability?

    The trend behind the CV quartiles of :func:`accuracy_by_variability` (Basenji 2018,
    Supp. Fig. S7), tested on the genes themselves rather than on four medians: Spearman
    correlation between each expressed gene's coefficient of variation across cell types
    and its per-gene Pearson r, one-sided (rising).

    Parameters
    ----------
    experiment, prediction
        DataFrames, genes (rows) x cell types (columns), the same shape.

    Returns
    -------
    dict
        ``genes`` (with a finite r), ``spearman_rho`` and ``p_value`` (one-sided, greater);
        NaN with fewer than three such genes or two cell types.
    """
    from scipy import stats

    cv, r = _cv_and_gene_r(experiment, prediction)
    keep = np.isfinite(cv) & np.isfinite(r)
    if keep.sum() < 3:
        return {"genes": int(keep.sum()), "spearman_rho": float("nan"), "p_value": float("nan")}
    result = stats.spearmanr(cv[keep], r[keep], alternative="greater")
    return {"genes": int(keep.sum()), "spearman_rho": float(result.statistic),
            "p_value": float(result.pvalue)}  # fmt: skip


MIN_SWITCHING_GENES = 10  # fewer genes make the t-test of per-gene r meaningless


def tss_switching(values_experiment: np.ndarray, values_prediction: np.ndarray, hits,
                  tracks: Sequence[Track], min_distance: int = 500) -> dict[str, Any]:  # fmt: skip
    """Alternative-TSS usage across cell types (Basenji 2018, Fig 3 TSS switching).

    For genes with two TSSs more than ``min_distance`` bp apart (the two most expressed,
    in different bins), the log2 fold change between them in each cell type, centred per
    gene across cell types, from experiment and from prediction. Each gene's Pearson r
    across cell types between the two, averaged over genes, is tested against 0 with a
    one-sided one-sample t-test, only when at least :data:`MIN_SWITCHING_GENES` genes have a
    finite r (with fewer, ``t_p_value`` is NaN and a warning says why).

    Parameters
    ----------
    values_experiment, values_prediction
        ``(windows, bins, tracks)`` targets and predictions.
    hits
        :func:`tss_bins` output for those windows.

    Returns
    -------
    dict
        ``genes``; ``pearson_r``, the correlation of the centred fold changes pooled over
        (gene, cell type); ``gene_r`` (per gene, NaN where a gene's fold change does not
        vary), ``mean_gene_r`` and ``t_p_value``; the arrays ``experiment`` and
        ``prediction`` (genes x cell types).
    """
    from scipy.stats import ttest_1samp

    experiment = tss_matrix(values_experiment, hits, tracks)
    prediction = tss_matrix(values_prediction, hits, tracks)
    positions = hits.groupby("transcript_id")["position"].first()
    genes_e, genes_p = [], []
    for _gene, members in experiment.groupby(level="gene_id"):
        if len(members) < 2:
            continue
        top = members.sum(axis=1).sort_values(ascending=False).index[:2]
        first, second = (t for _, t in top)
        if abs(positions[first] - positions[second]) <= min_distance:
            continue
        for store, matrix in ((genes_e, experiment), (genes_p, prediction)):
            ratio = log2p(matrix.loc[top[0]].to_numpy()) - log2p(matrix.loc[top[1]].to_numpy())
            store.append(ratio - ratio.mean())
    if not genes_e:
        return {"genes": 0, "pearson_r": np.nan, "gene_r": np.empty(0), "mean_gene_r": np.nan,
                "t_p_value": np.nan, "experiment": np.empty((0, 0)),
                "prediction": np.empty((0, 0))}  # fmt: skip
    e, p = np.array(genes_e), np.array(genes_p)
    with np.errstate(invalid="ignore", divide="ignore"):
        gene_r = np.array([pearson(a, b) for a, b in zip(e, p, strict=True)], dtype=float)
    finite = gene_r[np.isfinite(gene_r)]
    t_p = np.nan
    if len(finite) >= MIN_SWITCHING_GENES:
        t_p = float(ttest_1samp(finite, 0.0, alternative="greater").pvalue)
    else:
        warnings.warn(
            f"only {len(finite)} genes with two expressed TSSs that vary across cell types; "
            f"the t-test needs at least {MIN_SWITCHING_GENES} (t_p_value left NaN)",
            stacklevel=2,
        )
    return {
        "genes": len(e),
        "pearson_r": float(pearson(e.ravel(), p.ravel())),
        "gene_r": gene_r,
        "mean_gene_r": float(finite.mean()) if len(finite) else np.nan,
        "t_p_value": t_p,
        "experiment": e,
        "prediction": p,
    }


def tss_matrix(values: np.ndarray, hits, tracks: Sequence[Track], assay: str = "CAGE"):
    """TSS x cell type CAGE at each TSS's strand-matched bin, averaged over the windows
    holding it; rows indexed by (gene_id, transcript_id)."""
    import pandas as pd

    strands = cage_strand_tracks(tracks, assay)
    window, bin_ = hits["window"].to_numpy(), hits["bin"].to_numpy()
    columns = {}
    for cell_type, by_strand in strands.items():
        track_index = np.array(
            [by_strand.get(s, by_strand.get("+")) for s in hits["strand"]], dtype=np.int64
        )
        columns[cell_type] = values[window, bin_, track_index]
    frame = pd.DataFrame(columns)
    frame["gene_id"] = hits["gene_id"].to_numpy()
    frame["transcript_id"] = hits["transcript_id"].to_numpy()
    return frame.groupby(["gene_id", "transcript_id"]).mean()
