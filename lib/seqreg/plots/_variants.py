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
