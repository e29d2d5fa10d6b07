"""Training and accuracy figures (notebooks 02 and 03): learning curves, accuracy by assay,
scatter plots, replicates, gene clusters, receptive-field ablation, TSS switching.
"""

from __future__ import annotations

import numpy as np

from ._base import _plt


# -- training and evaluation (notebooks 02-03) -----------------------------------------------
def _integer_ticks():
    """Ticks at whole numbers only (epochs, layers)."""
    from matplotlib.ticker import MaxNLocator

    return MaxNLocator(integer=True)


def learning_curves(history, title: str = "Learning curves"):
    """Training and validation loss per epoch, the best epoch marked.

    ``history``: DataFrame with ``epoch``, ``loss`` and ``val_loss`` (seqreg.train.read_history).
    """
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot(history["epoch"], history["loss"], marker="o", label="training")
    ax.plot(history["epoch"], history["val_loss"], marker="o", label="validation")
    best = history.loc[history["val_loss"].idxmin()]
    ax.axvline(
        best["epoch"], color="grey", linestyle=":", label=f"best (epoch {best['epoch']:.0f})"
    )
    ax.set(xlabel="epoch", ylabel="loss (Poisson NLL, no constant)", title=title)
    ax.xaxis.set_major_locator(_integer_ticks())
    ax.legend(frameon=False)
    fig.tight_layout()
    return fig


def accuracy_by_assay(table, metric: str = "pearson_r", hue: str = "model", x: str = "assay",
                      title: str | None = None):  # fmt: skip
    """Basenji Fig 2B: per-track accuracy grouped by assay (or ``x``), one colour per model.

    ``table``: long DataFrame with ``x``, ``metric`` and ``hue`` columns.
    """
    import seaborn as sns

    plt = _plt()
    # tracks without signal in the test windows have no correlation (NaN): leave them out
    table = table[np.isfinite(table[metric])].reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(9, 4))
    sns.boxplot(data=table, x=x, y=metric, hue=hue, ax=ax, fliersize=0, linewidth=0.8)
    sns.stripplot(data=table, x=x, y=metric, hue=hue, dodge=True, ax=ax, size=3,
                  palette=dict.fromkeys(table[hue].unique(), "black"), legend=False)  # fmt: skip
    ax.set(xlabel="", ylabel=metric.replace("_", " "), title=title or "Test-set accuracy per track")
    ax.tick_params(axis="x", rotation=30)
    ax.legend(frameon=False, fontsize=8)
    fig.tight_layout()
    return fig


def log_scatter(experiment: np.ndarray, prediction: np.ndarray, title: str = "",
                xlabel: str = "log2(experiment + 1)", ylabel: str = "log2(prediction + 1)",
                ax=None):  # fmt: skip
    """Basenji Figs 2C and 3A: log2 prediction against log2 experiment (hexbin), with r."""
    plt = _plt()
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(4.5, 4))
    x = np.log2(1 + np.asarray(experiment, dtype=float).ravel())
    y = np.log2(1 + np.asarray(prediction, dtype=float).ravel())
    ax.hexbin(x, y, gridsize=50, bins="log", cmap="viridis", mincnt=1)
    top = max(x.max(), y.max())
    ax.plot([0, top], [0, top], color="grey", linewidth=0.8, linestyle="--")
    r = np.corrcoef(x, y)[0, 1] if x.std() > 0 and y.std() > 0 else np.nan
    ax.set(xlabel=xlabel, ylabel=ylabel, title=f"{title}\nPearson r = {r:.3f}".strip())
    fig.tight_layout()
    return fig


def replicate_scatter(table, title: str = "Prediction vs replicate agreement"):
    """Basenji Fig 2D: r(prediction, experiment) against r(replicate, replicate) per pair."""
    import seaborn as sns

    plt = _plt()
    fig, ax = plt.subplots(figsize=(4.5, 4))
    sns.scatterplot(data=table, x="replicate_r", y="prediction_r", hue="assay", ax=ax, s=40)
    low = min(table["replicate_r"].min(), table["prediction_r"].min(), 0)
    high = max(table["replicate_r"].max(), table["prediction_r"].max(), 0.1)
    ax.plot([low, high], [low, high], color="grey", linestyle="--", linewidth=0.8)
    ax.set(xlabel="replicate vs replicate r", ylabel="prediction vs experiment r", title=title)
    ax.legend(frameon=False, fontsize=7)
    fig.tight_layout()
    return fig


def cluster_heatmaps(experiment: np.ndarray, prediction: np.ndarray, labels: np.ndarray,
                     columns: list[str], title: str = ""):  # fmt: skip
    """Basenji Fig 3C: genes x cell types, experiment beside prediction, rows ordered by the
    experiment's clusters (values centred per gene)."""
    plt = _plt()
    order = np.argsort(labels, kind="stable")
    fig, axes = plt.subplots(1, 2, figsize=(9, 5), sharey=True)
    centred = [m - m.mean(axis=1, keepdims=True) for m in (experiment, prediction)]
    # one colour scale for both panels, so a flatter prediction looks flatter
    limit = max(np.percentile(np.abs(c), 98) for c in centred) or 1.0
    for ax, values, name in zip(axes, centred, ("experiment", "prediction"), strict=True):
        image = ax.imshow(values[order], aspect="auto", cmap="RdBu_r", vmin=-limit, vmax=limit,
                          interpolation="nearest")  # fmt: skip
        ax.set_xticks(range(len(columns)), columns, rotation=90, fontsize=7)
        ax.set_title(name)
    axes[0].set_ylabel("genes (by experiment cluster)")
    fig.colorbar(image, ax=axes, shrink=0.6, label="centred log2 CAGE")
    if title:
        fig.suptitle(title)
    return fig


def metric_bars(table, x: str, y: str, title: str = "", xlabel: str | None = None,
                ylabel: str | None = None):  # fmt: skip
    """A simple bar chart of ``table[y]`` by ``table[x]`` with values written on the bars."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(5, 3.5))
    bars = ax.bar(table[x].astype(str), table[y], color="tab:blue")
    ax.bar_label(bars, fmt="%.3f", fontsize=8)
    ax.set(xlabel=xlabel or x, ylabel=ylabel or y, title=title)
    fig.tight_layout()
    return fig


def receptive_field_ablation(table, title: str = "receptive field ablation (Basenji 2018)"):
    """Supp. Fig. S4: test accuracy against the number of dilated layers.

    ``table``: DataFrame with ``dilated_layers``, ``receptive_field_bp``, ``cage_pearson_r``
    and ``all_tracks_pearson_r``; each point is labelled with its receptive field.
    """
    plt = _plt()
    fig, ax = plt.subplots(figsize=(5, 3.5))
    for column, label in (
        ("cage_pearson_r", "CAGE tracks"),
        ("all_tracks_pearson_r", "all tracks"),
    ):
        ax.plot(table["dilated_layers"], table[column], marker="o", label=label)
    for _, row in table.iterrows():
        ax.annotate(f"{row['receptive_field_bp'] / 1000:.1f} kb",
                    (row["dilated_layers"], row["cage_pearson_r"]), fontsize=7,
                    textcoords="offset points", xytext=(0, 6))  # fmt: skip
    ax.set(xlabel="dilated layers", ylabel="mean test Pearson r (log2)", title=title)
    ax.xaxis.set_major_locator(_integer_ticks())
    ax.legend(frameon=False)
    fig.tight_layout()
    return fig


def tss_switching(experiment: np.ndarray, prediction: np.ndarray, r: float):
    """Centred log2 ratio between a gene's two TSSs per cell type, prediction against
    experiment (``(genes, cell types)`` each)."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(4.5, 4))
    ax.scatter(np.ravel(experiment), np.ravel(prediction), s=8, alpha=0.6)
    ax.set(xlabel="experiment: centred log2 TSS1/TSS2", ylabel="prediction: centred log2 TSS1/TSS2",
           title=f"TSS switching, {len(experiment)} genes, r = {r:.3f}")  # fmt: skip
    fig.tight_layout()
    return fig


def structure_sweep(table):
    """One panel per simulator factor of :func:`seqreg.truth.structure_sweep`: the truth's
    bootstrap cluster stability and the ARI of a simulated experiment's clusters with the
    truth's, against the factor's value (the dataset's own setting circled)."""
    plt = _plt()
    factors = list(dict.fromkeys(table["factor"]))
    fig, axes = plt.subplots(1, len(factors), figsize=(3.2 * len(factors), 3.2), sharey=True,
                             squeeze=False)  # fmt: skip
    for ax, factor in zip(axes[0], factors, strict=True):
        rows = table[table["factor"] == factor]
        for column, label in (("truth_stability", "truth vs itself (bootstrap)"),
                              ("truth_vs_experiment", "simulated experiment vs truth")):  # fmt: skip
            ax.plot(rows["value"], rows[column], marker="o", label=label)
        own = rows[rows["is_dataset"]]
        ax.scatter(own["value"], own["truth_vs_experiment"], s=120, facecolors="none",
                   edgecolors="black", label="this dataset")  # fmt: skip
        ax.set(xlabel=factor, title=factor)
        if factor == "CAGE dispersion":
            ax.set_xscale("log")
    axes[0][0].set_ylabel("cluster ARI")
    axes[0][-1].legend(frameon=False, fontsize=7)
    fig.tight_layout()
    return fig
