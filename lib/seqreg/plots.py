"""The project's figures: one function per kind of figure, each returning its Figure.

Functions draw on a new figure (or on ``ax`` when given) and never save; save with
:func:`save_figure`, which writes atomically so a figure on disk is always complete.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np


def _plt():
    # Imported on first use: matplotlib is slow to import and most callers never plot.
    # Without a display matplotlib falls back to Agg; in Jupyter it draws inline.
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig, path: str | Path, dpi: int = 150) -> Path:
    """Save ``fig`` to ``path`` atomically (format from the suffix) and return the path."""
    from .io import atomic_path

    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=dpi, bbox_inches="tight")
    return Path(path)


def n_fraction_bars(table, ax=None, title: str = "Assembly gaps: fraction of N per chromosome"):
    """Bar plot of the fraction of N bases per chromosome.

    Parameters
    ----------
    table
        DataFrame with ``chrom`` and ``n_fraction`` (and optionally ``genome``, which
        colours the bars), as returned by :func:`seqreg.genome.n_fraction_by_chrom`.
    """
    import seaborn as sns

    plt = _plt()
    if ax is None:
        width = max(4.0, 0.35 * len(table) + 1.5)
        _fig, ax = plt.subplots(figsize=(width, 3.2))
    hue = "genome" if "genome" in table and table["genome"].nunique() > 1 else None
    sns.barplot(
        data=table, x="chrom", y="n_fraction", hue=hue, ax=ax, color=None if hue else "#4c72b0"
    )
    ax.set_xlabel("chromosome")
    ax.set_ylabel("fraction N")
    ax.set_title(title)
    ax.tick_params(axis="x", rotation=90 if len(table) > 12 else 0)
    sns.despine(ax=ax)
    return ax.figure


def track_chrom_heatmaps(
    qc,
    columns: tuple[str, ...] = ("nan_fraction", "zero_fraction"),
    titles: tuple[str, ...] = ("fraction NaN", "fraction zero"),
):
    """Heatmaps of per-track, per-chromosome QC fractions, side by side.

    Parameters
    ----------
    qc
        Long DataFrame with ``track``, ``chrom`` and the ``columns``, as built from
        :func:`seqreg.tracks.coverage_qc`.
    """
    import seaborn as sns

    plt = _plt()
    tracks = list(dict.fromkeys(qc["track"]))
    chroms = list(dict.fromkeys(qc["chrom"]))
    height = max(2.5, 0.28 * len(tracks) + 1.2)
    width = max(3.0, 0.45 * len(chroms) + 2.5)
    fig, axes = plt.subplots(1, len(columns), figsize=(width * len(columns), height), squeeze=False)
    for ax, column, title in zip(axes[0], columns, titles, strict=True):
        matrix = qc.pivot(index="track", columns="chrom", values=column).loc[tracks, chroms]
        sns.heatmap(
            matrix, ax=ax, vmin=0, vmax=1, cmap="viridis", annot=matrix.size <= 120, fmt=".2f",
            annot_kws={"fontsize": 7}, cbar_kws={"label": title},
        )  # fmt: skip
        ax.set_title(f"{title} per track and chromosome")
        ax.set_xlabel("chromosome")
        ax.set_ylabel("")
    fig.tight_layout()
    return fig


def value_distributions(samples: dict[str, np.ndarray], groups: dict[str, str] | None = None):
    """Violin plots of sampled track values on a log1p scale, one violin per track.

    Parameters
    ----------
    samples
        ``{track: values}`` (for example from :func:`seqreg.tracks.sample_values`).
    groups
        ``{track: group}`` (for example the assay) to colour the violins.
    """
    import pandas as pd
    import seaborn as sns

    plt = _plt()
    frame = pd.concat(
        [
            pd.DataFrame({"track": t, "log1p(value)": np.log1p(np.clip(v, 0, None))})
            for t, v in samples.items()
        ],
        ignore_index=True,
    )
    if groups:
        frame["group"] = frame["track"].map(groups)
    fig, ax = plt.subplots(figsize=(max(5.0, 0.45 * len(samples) + 2), 3.6))
    sns.violinplot(
        data=frame, x="track", y="log1p(value)", hue="group" if groups else None,
        cut=0, density_norm="width", inner="quartile", linewidth=0.6, ax=ax,
        legend="brief" if groups else False,
    )  # fmt: skip
    ax.tick_params(axis="x", rotation=90)
    ax.set_xlabel("")
    ax.set_title("Track value distributions (sampled covered bases)")
    sns.despine(ax=ax)
    if groups:
        ax.legend(title="assay", bbox_to_anchor=(1.01, 1), loc="upper left", frameon=False)
    fig.tight_layout()
    return fig


ELEMENT_COLOURS = {
    "promoter": "#d62728",
    "enhancer": "#ff7f0e",
    "ctcf": "#2ca02c",
    "silencer": "#7f7f7f",
}


def locus(
    chrom: str,
    start: int,
    end: int,
    exons,
    tracks: dict[str, np.ndarray],
    elements=None,
    sites=None,
    bin_size: int = 32,
    title: str | None = None,
):
    """A genome-browser view of one locus: genes, elements, motif sites and tracks.

    Parameters
    ----------
    chrom, start, end
        The window (0-based, half-open).
    exons
        DataFrame with ``start``, ``end``, ``strand``, ``transcript_id`` of the exons
        inside the window (e.g. from :func:`seqreg.genome.read_gtf`).
    tracks
        ``{label: base-level values of [start, end)}``, drawn top to bottom, averaged
        over ``bin_size`` bases.
    elements
        Optional DataFrame with ``start``, ``end``, ``kind`` and optionally ``activity``
        (0-1, the box's opacity).
    sites
        Optional DataFrame with ``start`` and ``tf`` of binding sites (ticks, labelled).

    Stretches where a track has no data (NaN) are shaded grey.
    """
    plt = _plt()
    rows = 1 + len(tracks)
    fig, axes = plt.subplots(
        rows, 1, figsize=(11, 1.6 + 0.75 * len(tracks)), sharex=True,
        gridspec_kw={"height_ratios": [2.2] + [1] * len(tracks)}, squeeze=False,
    )  # fmt: skip
    axes = axes[:, 0]
    ax = axes[0]
    transcripts = list(dict.fromkeys(exons["transcript_id"]))
    for row, transcript in enumerate(transcripts):
        y = 2.0 + row * 0.6
        blocks = exons[exons["transcript_id"] == transcript]
        ax.plot(
            [max(blocks["start"].min(), start), min(blocks["end"].max(), end)],
            [y, y],
            color="#1f3b73",
            lw=1,
        )
        for b in blocks.itertuples():
            ax.add_patch(plt.Rectangle((b.start, y - 0.18), b.end - b.start, 0.36, color="#1f3b73"))
        arrow = "→" if blocks["strand"].iloc[0] == "+" else "←"
        ax.text(max(blocks["start"].min(), start), y + 0.25, f"{transcript} {arrow}", fontsize=7)
    if elements is not None:
        for e in elements.itertuples():
            alpha = float(getattr(e, "activity", 1.0))
            ax.add_patch(plt.Rectangle((e.start, 0.9), max(e.end - e.start, (end - start) / 400), 0.6,
                                       color=ELEMENT_COLOURS.get(e.kind, "k"), alpha=0.15 + 0.85 * alpha))  # fmt: skip
        handles = [plt.Rectangle((0, 0), 1, 1, color=c) for c in ELEMENT_COLOURS.values()]
        ax.legend(handles, list(ELEMENT_COLOURS), loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=7,
                  frameon=False)  # fmt: skip
    if sites is not None and len(sites):
        for s in sites.itertuples():
            ax.plot([s.start, s.start], [0.1, 0.7], color="#444", lw=0.8)
        # one label per cluster of nearby sites (an element's sites), listing their TFs
        ordered = sites.sort_values("start")
        cluster = (ordered["start"].diff().fillna(np.inf) > (end - start) / 60).cumsum()
        for _, group in ordered.groupby(cluster):
            label = "·".join(dict.fromkeys(group["tf"]))
            ax.text(
                group["start"].mean(), 0.0, label, fontsize=6, rotation=90, va="top", ha="center"
            )
    ax.set_ylim(-3.2, 2.6 + 0.6 * max(1, len(transcripts)))
    ax.set_yticks([])
    ax.set_title(title or f"{chrom}:{start:,}-{end:,}")
    for spine in ("left", "right", "top"):
        ax.spines[spine].set_visible(False)
    n_bins = (end - start) // bin_size
    x = start + (np.arange(n_bins) + 0.5) * bin_size
    for ax, (label, values) in zip(axes[1:], tracks.items(), strict=True):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # bins without data stay NaN
            binned = np.nanmean(values[: n_bins * bin_size].reshape(n_bins, bin_size), axis=1)
        ax.fill_between(x, np.nan_to_num(binned), color="#4c72b0", lw=0)
        missing = np.isnan(binned)
        if missing.any():  # no data here: shade it rather than draw zeros
            ax.fill_between(
                x, 0, 1, where=missing, transform=ax.get_xaxis_transform(), color="0.85", lw=0
            )
        ax.set_ylabel(label, rotation=0, ha="right", va="center", fontsize=8)
        ax.tick_params(axis="y", labelsize=6)
        ax.spines[["right", "top"]].set_visible(False)
    axes[-1].set_xlim(start, end)
    axes[-1].set_xlabel(f"{chrom} position (bp)")
    fig.tight_layout(h_pad=0.2)
    return fig


def split_summary(windows, title: str = "Windows per split"):
    """Bar plot of windows per split and a histogram of their unmappable fraction."""
    plt = _plt()
    fig, (left, right) = plt.subplots(1, 2, figsize=(8.5, 3.0))
    counts = windows["split"].value_counts().reindex(["train", "valid", "test"]).fillna(0)
    left.bar(counts.index, counts.to_numpy(), color=["#4c72b0", "#dd8452", "#55a868"])
    for x, count in enumerate(counts.to_numpy()):
        left.text(x, count, f"{int(count)}", ha="center", va="bottom", fontsize=8)
    left.set_ylabel("windows")
    left.set_title(title)
    right.hist(windows["unmappable_fraction"], bins=30, color="#8172b3")
    right.set_xlabel("fraction of window unmappable")
    right.set_ylabel("windows")
    right.set_title("Masked sequence per kept window")
    for ax in (left, right):
        ax.spines[["right", "top"]].set_visible(False)
    fig.tight_layout()
    return fig


def clipping_effect(before: dict[str, np.ndarray], after: dict[str, np.ndarray]):
    """Per-track histograms of binned targets before and after clipping (log1p scale)."""
    plt = _plt()
    n = len(before)
    fig, axes = plt.subplots(1, n, figsize=(3.2 * n, 2.8), squeeze=False)
    for ax, track in zip(axes[0], before, strict=True):
        bins = np.linspace(0, np.log1p(max(before[track].max(), 1)), 40)
        ax.hist(np.log1p(before[track].ravel()), bins=bins, color="0.6", label="before")
        ax.hist(
            np.log1p(after[track].ravel()),
            bins=bins,
            histtype="step",
            color="#c44e52",
            lw=1.5,
            label="after",
        )
        ax.set_yscale("log")
        ax.set_title(track, fontsize=9)
        ax.set_xlabel("log1p(binned target)")
        ax.spines[["right", "top"]].set_visible(False)
    axes[0][0].set_ylabel("bins")
    axes[0][0].legend(frameon=False, fontsize=8)
    fig.tight_layout()
    return fig


def coverage_comparison(table):
    """Grouped bars: correlation with the truth per coverage method (rows) and region (columns)."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(5.5, 3.0))
    methods, regions = list(table.index), list(table.columns)
    width = 0.8 / len(regions)
    for k, region in enumerate(regions):
        positions = np.arange(len(methods)) + k * width
        ax.bar(positions, table[region], width=width, label=region)
        for x, value in zip(positions, table[region], strict=True):
            ax.text(x, value, f"{value:.3f}", ha="center", va="bottom", fontsize=7)
    ax.set_xticks(np.arange(len(methods)) + width * (len(regions) - 1) / 2, methods)
    low = float(np.nanmin(table.to_numpy()))
    ax.set_ylim(max(0.0, low - 0.1), 1.0)
    ax.set_ylabel("Pearson r with noise-free truth")
    ax.set_title("Coverage from aligned reads")
    ax.legend(frameon=False, fontsize=8)
    ax.spines[["right", "top"]].set_visible(False)
    fig.tight_layout()
    return fig


# -- training and evaluation (notebooks 02-03) -----------------------------------------------
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
    ax.legend(frameon=False)
    fig.tight_layout()
    return fig


def experiment_vs_prediction(chrom: str, start: int, bin_size: int,
                             experiment: dict[str, np.ndarray], prediction: dict[str, np.ndarray],
                             title: str | None = None):  # fmt: skip
    """Basenji Fig 2A: per track, the experiment (grey) above the prediction (colour).

    ``experiment`` and ``prediction`` map track names to ``(bins,)`` values of one window
    whose first bin starts at ``start``.
    """
    plt = _plt()
    names = list(experiment)
    fig, axes = plt.subplots(2 * len(names), 1, figsize=(10, 1.0 * 2 * len(names) + 0.6),
                             sharex=True)  # fmt: skip
    colours = plt.get_cmap("tab10").colors
    for i, name in enumerate(names):
        x = start + bin_size * np.arange(len(experiment[name]))
        for j, (values, colour, kind) in enumerate(
            (
                (experiment[name], "0.35", "experiment"),
                (prediction[name], colours[i % 10], "prediction"),
            )
        ):
            ax = axes[2 * i + j]
            ax.fill_between(x, values, step="post", color=colour, linewidth=0)
            ax.set_ylabel(f"{name}\n{kind}", rotation=0, ha="right", va="center", fontsize=7)
            ax.spines[["top", "right"]].set_visible(False)
            ax.tick_params(labelsize=7)
    axes[-1].set_xlabel(f"{chrom} position (bp)")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def accuracy_by_assay(table, metric: str = "pearson_r", hue: str = "model", x: str = "assay",
                      title: str | None = None):  # fmt: skip
    """Basenji Fig 2B: per-track accuracy grouped by assay (or ``x``), one colour per model.

    ``table``: long DataFrame with ``x``, ``metric`` and ``hue`` columns.
    """
    import seaborn as sns

    plt = _plt()
    fig, ax = plt.subplots(figsize=(9, 4))
    sns.boxplot(data=table, x=x, y=metric, hue=hue, ax=ax, fliersize=0, linewidth=0.8)
    sns.stripplot(data=table, x=x, y=metric, hue=hue, dodge=True, ax=ax, size=3,
                  color="black", legend=False)  # fmt: skip
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
        ax.bar_label(bars, labels=[f"{e:.1f}x" for e in table["enrichment"]], fontsize=7)
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


def qtl_distance_histograms(
    distances: dict, bins: int = 80, title: str = "Variant to target distance"
):
    """Histogram of variant-to-target distances of each QTL dataset (microglia report Fig 1)."""
    plt = _plt()
    n = len(distances)
    columns = min(3, n)
    rows = -(-n // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(3.6 * columns, 2.8 * rows), squeeze=False)
    for ax, (name, values) in zip(axes.ravel(), distances.items(), strict=False):
        ax.hist(np.asarray(values) / 1000, bins=bins, color="tab:blue")
        ax.set(title=name, xlabel="distance (kb)", ylabel="QTLs", yscale="log")
    for ax in axes.ravel()[n:]:
        ax.set_visible(False)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def connectivity_histograms(per_bin, all_regions: int, name: str):
    """Connected and binned QTLs per 10 kb target region, log axes (microglia report Figs 5-10).

    The regions without any QTL are stated in the panel titles (a log axis cannot show 0).
    """
    plt = _plt()
    fig, axes = plt.subplots(1, 2, figsize=(8, 3.2))
    for ax, column, label in (
        (axes[0], "connected_qtls", "connected QTLs"),
        (axes[1], "binned_qtls", "QTL bins"),
    ):
        values = per_bin[column].to_numpy()
        values = values[values > 0]
        edges = (
            np.unique(np.logspace(0, np.log10(max(values.max(), 2)) + 0.01, 30).astype(int))
            if len(values)
            else [1, 2]
        )
        ax.hist(values, bins=edges, color="tab:blue")
        ax.set(xscale="log", yscale="log", xlabel=f"{label} per region", ylabel="regions",
               title=f"{name}: {all_regions - len(values):,} of {all_regions:,} regions have none")  # fmt: skip
        ax.title.set_fontsize(8)
    fig.tight_layout()
    return fig


def degree_distributions(degrees: dict, fits: dict, title: str = "Degree distributions (log-log)"):
    """Complementary cumulative distributions of region degrees with the fitted power law
    drawn from its ``xmin`` (``fits`` from :func:`seqreg.qtl.degree_fit`)."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(5.5, 4))
    for name, values in degrees.items():
        values = np.sort(np.asarray(values)[np.asarray(values) > 0])
        if not len(values):
            continue
        ccdf = 1 - np.arange(len(values)) / len(values)
        line, = ax.step(values, ccdf, where="post", label=f"{name} (alpha {fits[name]['alpha']:.2f}, "
                        f"{fits[name]['favoured']})")  # fmt: skip
        xmin, alpha = fits[name]["xmin"], fits[name]["alpha"]
        tail = values[values >= xmin]
        if len(tail) > 1:
            x = np.linspace(xmin, values.max(), 50)
            share = len(tail) / len(values)
            ax.plot(x, share * (x / xmin) ** (1 - alpha), ls="--", color=line.get_color(), lw=0.8)
    ax.set(xscale="log", yscale="log", xlabel="degree", ylabel="P(degree >= x)", title=title)
    ax.legend(fontsize=6)
    fig.tight_layout()
    return fig
