"""Figures of ChromDragoNN (Nair et al. 2019): how often bins are open, AUPRC of models on
held-out cell types (Fig. 1C), per-cell-type comparisons (Fig. 1D), AUPRC by open fraction
(Fig. 1E); motifs per cell type (Fig. 2B), motif regulators (Fig. 3A) and t-SNE maps of
cell types (Fig. 3B)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ._base import _plt


def open_fraction_histogram(open_fraction: np.ndarray, title: str = ""):
    """Histogram of the fraction of cell types where each bin is open (bins open somewhere;
    the share never open is in the title)."""
    plt = _plt()
    open_fraction = np.asarray(open_fraction, float)
    fig, ax = plt.subplots(figsize=(5, 3.2))
    some = open_fraction[open_fraction > 0]
    ax.hist(some, bins=np.linspace(0, 1, 41), color="tab:blue")
    ax.set_yscale("log")
    ax.set_xlabel("fraction of cell types where the bin is open")
    ax.set_ylabel("bins")
    ax.set_title(title or f"{(open_fraction == 0).mean():.1%} of bins never open", fontsize=10)
    fig.tight_layout()
    return fig


def method_bars(per_fold: pd.DataFrame, metric: str = "auprc", chance: float | None = None,
                title: str = ""):  # fmt: skip
    """Mean ``metric`` per method over folds (bars, sorted) with each fold's value as a
    dot (Fig. 1C). ``per_fold``: ``fold``, ``method``, ``metric``."""
    plt = _plt()
    means = per_fold.groupby("method")[metric].mean().sort_values()
    fig, ax = plt.subplots(figsize=(6.5, 0.32 * len(means) + 1.2))
    colours = ["tab:grey" if m == "mean" or "weighted" in m else "tab:blue" for m in means.index]
    ax.barh(range(len(means)), means.to_numpy(), color=colours, alpha=0.8)
    for k, method in enumerate(means.index):
        values = per_fold.loc[per_fold["method"] == method, metric].to_numpy()
        ax.scatter(values, np.full(len(values), k), color="black", s=8, zorder=3)
    if chance is not None:
        ax.axvline(chance, ls="--", color="black", lw=0.8)
    ax.set_yticks(range(len(means)), means.index, fontsize=8)
    ax.set_xlabel(f"{metric.upper()} on held-out cell types")
    if title:
        ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return fig


def paired_scatter(table: pd.DataFrame, reference: str, others: Sequence[str],
                   metric: str = "auprc"):  # fmt: skip
    """``metric`` of ``reference`` (y) against each other method (x), one dot per held-out
    cell type (Fig. 1D). ``table``: ``track``, ``method``, ``metric``."""
    plt = _plt()
    wide = table.pivot(index="track", columns="method", values=metric)
    others = [o for o in others if o in wide]
    fig, axes = plt.subplots(1, max(len(others), 1), figsize=(3.6 * max(len(others), 1), 3.4))
    axes = np.atleast_1d(axes)
    for ax, other in zip(axes, others, strict=False):
        both = wide[[reference, other]].dropna()
        ax.scatter(both[other], both[reference], s=14)
        lo = float(np.nanmin(both.to_numpy())) if len(both) else 0.0
        hi = float(np.nanmax(both.to_numpy())) if len(both) else 1.0
        ax.plot([lo, hi], [lo, hi], color="black", lw=0.8)
        wins = int((both[reference] > both[other]).sum())
        ax.set_title(f"{reference} higher in {wins}/{len(both)}", fontsize=9)
        ax.set_xlabel(f"{other} {metric.upper()}")
        ax.set_ylabel(f"{reference} {metric.upper()}")
    fig.tight_layout()
    return fig


def binned_auprc(table: pd.DataFrame):
    """AUPRC of the minority class per open-fraction group and method, with the group's
    prevalence (Fig. 1E). ``table``: from :func:`seqreg.evaluate.binned_auprc` with a
    ``method`` column."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.5, 3.5))
    groups = table.drop_duplicates(["low", "high"])[["low", "high"]]
    labels = [f"{lo:.2f}-{hi:.2f}" for lo, hi in groups.itertuples(index=False)]
    methods = list(dict.fromkeys(table["method"]))
    width = 0.8 / max(len(methods), 1)
    x = np.arange(len(groups))
    for k, method in enumerate(methods):
        rows = table[table["method"] == method]
        ax.bar(x + k * width, rows["auprc"].to_numpy(), width, label=method)
    first = table[table["method"] == methods[0]]
    ax.scatter(x + 0.4 - width / 2, first["prevalence"], marker="_", color="black", s=200,
               label="prevalence", zorder=3)  # fmt: skip
    ax.set_xticks(x + 0.4 - width / 2, labels, rotation=30, fontsize=8)
    ax.set_xlabel("fraction of training cell types where the bin is open")
    ax.set_ylabel("AUPRC of the minority class")
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def motif_activity_heatmap(activity: pd.DataFrame, title: str = ""):
    """Motifs (rows) found (1) or not (0) per cell type (columns) (Fig. 2B)."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(0.35 * activity.shape[1] + 2.5, 0.3 * activity.shape[0] + 1.5))
    ax.imshow(activity.to_numpy(float), aspect="auto", cmap="Greys", vmin=0, vmax=1)
    ax.set_xticks(range(activity.shape[1]), activity.columns, rotation=90, fontsize=7)
    ax.set_yticks(range(activity.shape[0]), activity.index, fontsize=7)
    if title:
        ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return fig


def regulator_bars(table: pd.DataFrame, top: int = 15):
    """The ``top`` (motif, TF) pairs by correlation of motif activity with the TF's
    expression (Fig. 3A); decoy TFs in red. ``table``: ``motif``, ``tf``, ``r``, ``decoy``."""
    plt = _plt()
    shown = table.head(top).iloc[::-1]
    fig, ax = plt.subplots(figsize=(5.5, 0.28 * len(shown) + 1.2))
    colours = np.where(shown["decoy"].to_numpy(bool), "tab:red", "tab:blue")
    ax.barh(range(len(shown)), shown["r"].to_numpy(), color=colours)
    ax.set_yticks(range(len(shown)), [f"{m} ~ {t}" for m, t in zip(shown["motif"], shown["tf"], strict=True)],
                  fontsize=8)  # fmt: skip
    ax.set_xlabel("Pearson r, motif activity vs TF expression")
    fig.tight_layout()
    return fig


def tsne_maps(maps: dict, tissues: Sequence[str], scores: dict | None = None):
    """t-SNE maps of cell types side by side, coloured by tissue (Fig. 3B).

    ``maps``: ``{title: (n, 2) coordinates}``; ``scores``: ``{title: silhouette}``."""
    plt = _plt()
    tissues = np.asarray(tissues)
    names = sorted(set(tissues))
    cmap = plt.get_cmap("tab10")
    fig, axes = plt.subplots(1, len(maps), figsize=(4 * len(maps), 3.8))
    axes = np.atleast_1d(axes)
    for ax, (title, xy) in zip(axes, maps.items(), strict=True):
        for k, tissue in enumerate(names):
            pick = tissues == tissue
            ax.scatter(xy[pick, 0], xy[pick, 1], s=25, color=cmap(k % 10), label=tissue)
        score = (scores or {}).get(title)
        ax.set_title(title + (f"\nsilhouette {score:.2f}" if score is not None else ""), fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    axes[-1].legend(fontsize=7, loc="best")
    fig.tight_layout()
    return fig
