"""Peak-benchmark and SNP-classification figures (notebooks 04 and 07): positives per
track, AUPRC of two methods per track (Basenji 2018 Supp. Fig. S1), ROC curves and PCA
variance explained (Supp. Fig. S9).
"""

from __future__ import annotations

import numpy as np

from ._base import _plt


def peak_fractions(summary, title: str = "Peak calls: fraction of subsequences called"):
    """Bars of the fraction of subsequences called a peak per track, one bar per rate.

    ``summary``: DataFrame indexed by track with ``positives_global`` and ``positives_local``.
    """
    plt = _plt()
    fig, ax = plt.subplots(figsize=(max(5, 0.35 * len(summary) + 2), 3.5))
    x = np.arange(len(summary))
    ax.bar(x - 0.2, summary["positives_global"], 0.4, label="genome-wide rate")
    ax.bar(x + 0.2, summary["positives_local"], 0.4, label="max(genome-wide, local) rate")
    ax.set_xticks(x, summary.index, rotation=60, ha="right", fontsize=7)
    ax.set(ylabel="fraction called (BH q < FDR)", title=title)
    ax.legend(frameon=False, fontsize=8)
    fig.tight_layout()
    return fig


def method_scatter(table, x: str, y: str, metric: str = "auprc", title: str = ""):
    """Supp. Fig. S1: ``metric`` per track of method ``y`` against method ``x``, with the
    diagonal; the means in the corner.

    ``table``: long DataFrame with ``track``, ``method`` and ``metric`` columns.
    """
    plt = _plt()
    wide = table.pivot(index="track", columns="method", values=metric).dropna(subset=[x, y])
    fig, ax = plt.subplots(figsize=(4.2, 4.2))
    ax.scatter(wide[x], wide[y], s=18, color="tab:blue", alpha=0.8)
    low = min(wide[x].min(), wide[y].min(), 0.0)
    high = (
        max(wide[x].max(), wide[y].max(), 1.0)
        if metric == "auroc"
        else max(wide[x].max(), wide[y].max())
    )
    ax.plot([low, high], [low, high], color="grey", linestyle=":")
    ax.set(xlabel=f"{x} {metric.upper()}", ylabel=f"{y} {metric.upper()}",
           title=title or f"{metric.upper()} per track")  # fmt: skip
    ax.text(0.03, 0.97, f"mean {y} {wide[y].mean():.3f}\nmean {x} {wide[x].mean():.3f}",
            transform=ax.transAxes, va="top", fontsize=8)  # fmt: skip
    fig.tight_layout()
    return fig


def roc_curves(labels: np.ndarray, scores: dict, title: str = "ROC curves (out-of-fold)"):
    """ROC curves of several score vectors for one set of 0/1 labels, AUROC in the legend."""
    from sklearn.metrics import roc_auc_score, roc_curve

    plt = _plt()
    fig, ax = plt.subplots(figsize=(4.5, 4.2))
    for name, score in scores.items():
        fpr, tpr, _ = roc_curve(labels, score)
        ax.plot(fpr, tpr, label=f"{name} (AUROC {roc_auc_score(labels, score):.3f})")
    ax.plot([0, 1], [0, 1], color="grey", linestyle=":")
    ax.set(xlabel="false positive rate", ylabel="true positive rate", title=title)
    ax.legend(frameon=False, fontsize=8, loc="lower right")
    fig.tight_layout()
    return fig


def variance_explained(ratio: np.ndarray, marked: int | None = None,
                       title: str = "PCA of penultimate-layer features"):  # fmt: skip
    """Supp. Fig. S9A: variance explained per principal component and cumulatively."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(5, 3.5))
    k = np.arange(1, len(ratio) + 1)
    ax.bar(k, ratio, color="tab:blue", label="per component")
    twin = ax.twinx()
    twin.plot(k, np.cumsum(ratio), color="tab:orange", label="cumulative")
    twin.set(ylim=(0, 1.02), ylabel="cumulative fraction")
    if marked:
        ax.axvline(marked + 0.5, color="grey", linestyle=":")
        twin.text(marked + 1, 0.05, f"{marked} used: {np.sum(ratio[:marked]):.0%}", fontsize=8)
    ax.set(xlabel="principal component", ylabel="fraction of variance", title=title)
    fig.tight_layout()
    return fig
