"""Variant-score figures (notebook 06): quantile enrichment, chi-square against scores,
fine-mapped loci.
"""

from __future__ import annotations

import numpy as np

from ._base import _plt


def quantile_enrichment(
    tables: dict, title: str = "Significant eQTLs by quantile of the |SED-LD| contribution"
):
    """Proportion of significant eQTLs per quantile, one panel per tissue (Basenji 2018 Fig 5B).

    ``tables`` maps a tissue to :func:`seqreg.stats.quantile_enrichment` output.
    """
    plt = _plt()
    fig, axes = plt.subplots(1, len(tables), figsize=(3.2 * len(tables), 3.2), squeeze=False)
    for ax, (tissue, table) in zip(axes[0], tables.items(), strict=True):
        bars = ax.bar(table["quantile"].astype(str), table["proportion"], color="tab:blue")
        labels = [f"{e:.1f}x" if np.isfinite(e) else "n/a" for e in table["enrichment"]]
        ax.bar_label(bars, labels=labels, fontsize=7)
        ax.set(
            title=tissue.replace("_", " ")[:28], xlabel="quantile", ylabel="proportion significant"
        )
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def score_vs_chi2(tables: dict, n_bins: int = 10, title: str = "eQTL chi-square against |SED-LD|"):
    """Mean chi-square (with standard errors) in bins of ``|score_ld|``, one line per
    tissue (Basenji 2018 Fig 5C)."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(5, 3.8))
    for tissue, table in tables.items():
        ranks = table["abs_score_ld"].rank(method="first")
        bins = np.ceil(ranks / len(table) * n_bins).clip(1, n_bins)
        grouped = table.groupby(bins)
        x = grouped["abs_score_ld"].mean()
        mean, se = grouped["chi2"].mean(), grouped["chi2"].sem()
        ax.errorbar(
            x, mean, yerr=se, marker="o", ms=3, capsize=2, label=tissue.replace("_", " ")[:28]
        )
    ax.set(
        xscale="symlog", xlabel="|SED-LD| (bin mean)", ylabel="mean eQTL chi-square", title=title
    )
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def finemapped_locus(locus, scores, cell_types: list[str], title: str = ""):
    """A fine-mapped locus (Basenji 2018 Fig 6 analog): posterior inclusion probability
    of each variant by position (credible set highlighted) above the SED of each variant
    in several cell types.

    Parameters
    ----------
    locus
        DataFrame with ``pos``, ``pip``, ``in_credible_set_95`` and ``variant_id``.
    scores
        ``(variants, cell types)`` SED of the same variants (NaN where not scored).
    """
    plt = _plt()
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(7, 5), sharex=True,
                                      gridspec_kw={"height_ratios": [1, 1.3]})  # fmt: skip
    in_set = locus["in_credible_set_95"].to_numpy(bool)
    top.scatter(locus["pos"][~in_set], locus["pip"][~in_set], s=10, c="0.6", label="other")
    top.scatter(
        locus["pos"][in_set], locus["pip"][in_set], s=18, c="tab:red", label="95% credible set"
    )
    top.set(ylabel="PIP", title=title)
    top.legend(fontsize=7)
    limit = np.nanmax(np.abs(scores)) if np.isfinite(scores).any() else 1.0
    for k in range(len(cell_types)):
        values = scores[:, k]
        ok = np.isfinite(values)
        bottom.scatter(locus["pos"][ok], np.full(ok.sum(), k), c=values[ok], cmap="RdBu_r",
                       vmin=-limit, vmax=limit, s=28, marker="s")  # fmt: skip
    bottom.set_yticks(range(len(cell_types)), cell_types, fontsize=7)
    bottom.set(xlabel="position (bp)", ylabel="SED (CAGE)")
    mappable = plt.cm.ScalarMappable(cmap="RdBu_r", norm=plt.Normalize(-limit, limit))
    fig.colorbar(mappable, ax=bottom, label="SED", fraction=0.04)
    fig.tight_layout()
    return fig


def de_novo_volcano(table, fdr: float = 0.1, title: str = ""):
    """Effect against -log10 p per dataset, coloured by tissue, with the line of the largest
    p-value passing BH at ``fdr`` (Kelley 2020, Fig 5a).

    Parameters
    ----------
    table : pandas.DataFrame
        :func:`seqreg.stats.mann_whitney_by_column`'s output (``effect``, ``p``, ``q``,
        ``group`` = tissue).
    """
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.4, 4.6))
    groups = list(dict.fromkeys(table["group"]))
    colours = plt.get_cmap("tab10")
    for k, group in enumerate(groups):
        rows = table[table["group"] == group]
        ax.scatter(rows["effect"], -np.log10(rows["p"]), s=28, color=colours(k % 10), label=group,
                   edgecolor="k", linewidth=0.3)  # fmt: skip
    passing = table[table["q"] < fdr]
    if len(passing):
        line = -np.log10(passing["p"].max())
        ax.axhline(line, color="0.4", ls="--", lw=0.8)
        ax.text(ax.get_xlim()[0], line, f" BH FDR {fdr:g}", va="bottom", fontsize=7, color="0.3")
    ax.axvline(0, color="k", lw=0.5)
    ax.set_xlabel("effect: mean asinh(SAD) of cases - of controls")
    ax.set_ylabel("-log10 p (Mann-Whitney U)")
    ax.set_title(title or "de novo variants: probands against siblings", fontsize=10)
    ax.legend(
        fontsize=7, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0), title="tissue"
    )
    ax.spines[["right", "top"]].set_visible(False)
    fig.tight_layout()
    return fig


def family_risk(risk, summary: dict, label: str = ""):
    """Each family's proband risk score against its sibling's (sums of negative predicted
    effects, asinh axes), the diagonal, and the share of families below it (Kelley 2020,
    Fig 5c).

    Parameters
    ----------
    risk : pandas.DataFrame
        :func:`seqreg.variants.family_risk_scores`' output.
    summary
        :func:`seqreg.variants.risk_score_test`'s output.
    """
    plt = _plt()
    fig, (ax, hist) = plt.subplots(1, 2, figsize=(9.5, 4.0))
    x, y = np.arcsinh(risk["sibling"]), np.arcsinh(risk["proband"])
    ax.scatter(x, y, s=6, alpha=0.4, color="#4c72b0", lw=0)
    low = min(x.min(), y.min())
    ax.plot([low, 0], [low, 0], color="k", lw=0.6)
    ax.set_xlabel("sibling risk score (asinh)")
    ax.set_ylabel("proband risk score (asinh)")
    ax.set_title(f"{label}: proband more damaging in {summary['proband_more_damaging']:,} of "
                 f"{summary['families']:,} families\n({summary['share']:.0%}, binomial p = {summary['p']:.1e})",
                 fontsize=9)  # fmt: skip
    difference = np.arcsinh(risk["proband"] - risk["sibling"])
    hist.hist(difference, bins=60, color="#c44e52")
    hist.axvline(0, color="k", lw=0.6)
    hist.set_xlabel("asinh(proband - sibling risk score)")
    hist.set_ylabel("families")
    for a in (ax, hist):
        a.spines[["right", "top"]].set_visible(False)
    fig.tight_layout()
    return fig
