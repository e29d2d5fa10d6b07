"""Statistics shared by the analyses: association scans, multiple testing, normalisation."""

from __future__ import annotations

import numpy as np


def bh_fdr(pvalues: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (q-values), same shape as ``pvalues``."""
    from statsmodels.stats.multitest import multipletests

    p = np.asarray(pvalues, dtype=float)
    flat = p.ravel()
    q = np.full_like(flat, np.nan)
    ok = ~np.isnan(flat)
    if ok.any():
        q[ok] = multipletests(flat[ok], method="fdr_bh")[1]
    return q.reshape(p.shape)


def inverse_normal_transform(values: np.ndarray, axis: int = -1) -> np.ndarray:
    """Rank-based inverse normal transform along ``axis`` (as GTEx normalises expression)."""
    from scipy.stats import norm, rankdata

    ranks = rankdata(values, axis=axis)
    n = values.shape[axis]
    return norm.ppf((ranks - 0.5) / n)


def association_scan(y: np.ndarray, genotypes: np.ndarray) -> dict[str, np.ndarray]:
    """Simple linear regression of each phenotype on each variant's dosage.

    Parameters
    ----------
    y
        ``(n_samples, n_phenotypes)`` phenotypes.
    genotypes
        ``(n_samples, n_variants)`` allele dosages (0, 1, 2).

    Returns
    -------
    dict
        ``slope``, ``slope_se``, ``t``, ``pval`` arrays of shape
        ``(n_phenotypes, n_variants)``; monomorphic variants get NaN.
    """
    from scipy.stats import t as student_t

    y = np.asarray(y, dtype=float)
    g = np.asarray(genotypes, dtype=float)
    n = y.shape[0]
    yc = y - y.mean(axis=0)
    gc = g - g.mean(axis=0)
    sxx = (gc**2).sum(axis=0)  # per variant
    syy = (yc**2).sum(axis=0)  # per phenotype
    sxy = yc.T @ gc  # (phenotypes, variants)
    with np.errstate(divide="ignore", invalid="ignore"):
        slope = sxy / sxx
        residual = syy[:, None] - slope * sxy
        se = np.sqrt(np.clip(residual, 0, None) / (n - 2) / sxx)
        t = slope / se
    t[:, sxx == 0] = np.nan
    pval = 2 * student_t.sf(np.abs(t), df=n - 2)
    return {"slope": slope, "slope_se": se, "t": t, "pval": pval}


def approximate_bayes_factors(z: np.ndarray, se: np.ndarray, prior_sd: float = 0.15) -> np.ndarray:
    """Wakefield's approximate Bayes factors (log scale) for effects with z-scores and SEs."""
    v = se**2
    w = prior_sd**2
    r = w / (v + w)
    return 0.5 * (np.log(1 - r) + r * z**2)


def credible_set(log_bf: np.ndarray, coverage: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Posterior inclusion probabilities under one causal variant, and the credible set.

    Returns
    -------
    pip, in_set
        PIPs (sum to 1) and a boolean mask of the smallest set reaching ``coverage``.
    """
    shifted = np.exp(log_bf - np.nanmax(log_bf))
    pip = shifted / np.nansum(shifted)
    order = np.argsort(-pip)
    cumulative = np.cumsum(pip[order])
    size = int(np.searchsorted(cumulative, coverage) + 1)
    in_set = np.zeros(len(pip), dtype=bool)
    in_set[order[:size]] = True
    return pip, in_set


def ols(table, response: str, covariates: list[str], robust: str | None = "HC1"):
    """Ordinary least squares of ``response`` on ``covariates`` (with an intercept).

    Parameters
    ----------
    table
        DataFrame holding the columns; rows with a missing value are dropped.
    robust
        Heteroscedasticity-consistent standard errors (statsmodels ``cov_type``, e.g.
        ``"HC1"``), or None for the classical ones. Chi-square responses are far from
        homoscedastic, so robust errors are the default.

    Returns
    -------
    coefficients, fit
        DataFrame (``term``, ``coef``, ``se``, ``t``, ``p``) and the statsmodels result
        (its ``predict`` and ``rsquared`` are used for model comparisons).
    """
    import pandas as pd
    import statsmodels.api as sm

    data = table[[response, *covariates]].dropna()
    design = sm.add_constant(data[covariates].astype(float), has_constant="add")
    model = sm.OLS(data[response].astype(float), design)
    fit = model.fit(cov_type=robust) if robust else model.fit()
    coefficients = pd.DataFrame({
        "term": design.columns, "coef": fit.params.to_numpy(), "se": fit.bse.to_numpy(),
        "t": fit.tvalues.to_numpy(), "p": fit.pvalues.to_numpy(),
    })  # fmt: skip
    return coefficients, fit


def quantile_enrichment(score: np.ndarray, hit: np.ndarray, n_quantiles: int = 5):
    """Proportion of hits per quantile of a score, and each quantile's enrichment over
    the mean proportion of the bottom three quantiles (Basenji 2018 Fig 5B).

    Returns
    -------
    pandas.DataFrame
        ``quantile`` (1 = lowest), ``n``, ``hits``, ``proportion``, ``score_min``,
        ``score_max``, ``enrichment``; ties are broken by rank order so quantiles have
        equal sizes.
    """
    import pandas as pd
    from scipy.stats import rankdata

    score = np.asarray(score, dtype=float)
    hit = np.asarray(hit, dtype=bool)
    ranks = rankdata(score, method="ordinal") - 1
    quantile = (ranks * n_quantiles // len(score)) + 1
    table = (
        pd.DataFrame({"quantile": quantile, "hit": hit, "score": score})
        .groupby("quantile")
        .agg(
            n=("hit", "size"),
            hits=("hit", "sum"),
            score_min=("score", "min"),
            score_max=("score", "max"),
        )
        .reset_index()
    )
    table["proportion"] = table["hits"] / table["n"]
    bottom = table["proportion"].iloc[: min(3, len(table))].mean()
    table["enrichment"] = table["proportion"] / bottom if bottom > 0 else np.nan
    return table[["quantile", "n", "hits", "proportion", "score_min", "score_max", "enrichment"]]


def asinh_effect(case: np.ndarray, control: np.ndarray) -> float:
    """Mean inverse hyperbolic sine of the case values minus that of the control values
    (cross-species Basenji2, Kelley 2020, Fig 5a's effect: asinh tames heavy tails and
    keeps signs)."""
    return float(np.mean(np.arcsinh(case)) - np.mean(np.arcsinh(control)))


def mann_whitney_by_column(values: np.ndarray, is_case: np.ndarray, names=None, groups=None):
    """Two-sided Mann-Whitney U test of case against control rows for every column (scipy),
    with the asinh effect and Benjamini-Hochberg q-values across columns and within each
    group (Kelley 2020, Fig 5a and Supp. Fig. S8).

    Parameters
    ----------
    values
        ``(n, k)`` scores, e.g. variants x tracks SAD.
    is_case
        ``(n,)`` bool, case rows.
    names, groups
        ``(k,)`` column names and group labels (e.g. tissue), optional.

    Returns
    -------
    pandas.DataFrame
        One row per column: ``name``, ``group``, ``U``, ``p``, ``effect``, ``q`` (BH over all
        columns), ``q_group`` (BH within the column's group).

    Raises
    ------
    ValueError
        When there are no case or no control rows, or shapes disagree.
    """
    import pandas as pd
    from scipy.stats import mannwhitneyu

    values = np.asarray(values, dtype=np.float64)
    is_case = np.asarray(is_case, dtype=bool)
    if values.ndim != 2 or len(values) != len(is_case):
        raise ValueError(f"values {values.shape} and is_case {is_case.shape} disagree")
    if is_case.all() or not is_case.any():
        raise ValueError("the test needs both case and control rows")
    case, control = values[is_case], values[~is_case]
    k = values.shape[1]
    # column by column: scipy picks the exact or asymptotic method per column (ties)
    tests = [mannwhitneyu(case[:, j], control[:, j], alternative="two-sided") for j in range(k)]
    table = pd.DataFrame(
        {
            "name": list(names) if names is not None else list(range(k)),
            "group": list(groups) if groups is not None else [""] * k,
            "U": np.array([t.statistic for t in tests], dtype=np.float64),
            "p": np.array([t.pvalue for t in tests], dtype=np.float64),
            "effect": [asinh_effect(case[:, j], control[:, j]) for j in range(k)],
        }
    )
    table["q"] = bh_fdr(table["p"].to_numpy())
    table["q_group"] = np.nan
    for _, rows in table.groupby("group").groups.items():
        table.loc[rows, "q_group"] = bh_fdr(table.loc[rows, "p"].to_numpy())
    return table


def group_pvalue_test(p: np.ndarray, in_group: np.ndarray) -> dict[str, float]:
    """Are the p-values of a group of tests smaller than those of the rest? One-sided
    Mann-Whitney U (scipy), as Kelley 2020 compared brain CAGE datasets with the others.

    Returns
    -------
    dict
        ``U``, ``p``, ``group_median_p``, ``other_median_p``, ``n_group``, ``n_other``.

    Raises
    ------
    ValueError
        When either side is empty.
    """
    from scipy.stats import mannwhitneyu

    p = np.asarray(p, dtype=np.float64)
    in_group = np.asarray(in_group, dtype=bool)
    if in_group.all() or not in_group.any():
        raise ValueError("the comparison needs tests in and out of the group")
    test = mannwhitneyu(p[in_group], p[~in_group], alternative="less")
    return {"U": float(test.statistic), "p": float(test.pvalue),
            "group_median_p": float(np.median(p[in_group])), "other_median_p": float(np.median(p[~in_group])),
            "n_group": int(in_group.sum()), "n_other": int((~in_group).sum())}  # fmt: skip


def first_component_test(values: np.ndarray, is_case: np.ndarray) -> dict[str, float]:
    """PCA of a rows x columns matrix (scikit-learn, centred columns): the variance the
    first component explains and a two-sided Mann-Whitney U test of case against control
    rows on it (Kelley 2020, Supp. Fig. S8). The component is signed so its loadings sum
    to a positive number (a row scoring high on most columns scores high on it).

    Returns
    -------
    dict
        ``variance_explained``, ``U``, ``p``, ``effect`` (asinh effect on the component).
    """
    from scipy.stats import mannwhitneyu
    from sklearn.decomposition import PCA

    values = np.asarray(values, dtype=np.float64)
    is_case = np.asarray(is_case, dtype=bool)
    pca = PCA(n_components=1).fit(values)
    sign = 1.0 if pca.components_[0].sum() >= 0 else -1.0
    score = sign * pca.transform(values)[:, 0]
    test = mannwhitneyu(score[is_case], score[~is_case], alternative="two-sided")
    return {"variance_explained": float(pca.explained_variance_ratio_[0]), "U": float(test.statistic),
            "p": float(test.pvalue), "effect": asinh_effect(score[is_case], score[~is_case])}  # fmt: skip
