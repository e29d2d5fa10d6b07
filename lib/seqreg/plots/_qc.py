"""Data QC figures (notebooks 00 and 01): N fractions, track heatmaps, value
distributions, splits, clipping and coverage pipelines.
"""

from __future__ import annotations

import numpy as np

from ._base import _plt


def n_fraction_bars(table, ax=None, title: str = "Assembly gaps: fraction of N per chromosome"):
    """Bar plot of the fraction of N bases per chromosome.

    Parameters
    ----------
    table
        DataFrame with ``chrom`` and ``n_fraction`` (and optionally ``genome``, which
        colours the bars), as returned by :func:`seqreg.io.n_fraction_by_chrom`.
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
        :func:`seqreg.io.coverage_qc`.
    """
    import seaborn as sns

    plt = _plt()
    tracks = list(dict.fromkeys(qc["track"]))
    chroms = list(dict.fromkeys(qc["chrom"]))
    height = max(2.5, 0.22 * len(tracks) + 1.5)
    label_width = 0.07 * max(len(str(t)) for t in tracks) + 0.4  # inches for the track names
    panel = 0.45 * len(chroms) + 1.2  # columns, then the colour bar
    fig, axes = plt.subplots(1, len(columns), figsize=(label_width + panel * len(columns), height),
                             squeeze=False)  # fmt: skip
    for i, (ax, column, title) in enumerate(zip(axes[0], columns, titles, strict=True)):
        matrix = qc.pivot(index="track", columns="chrom", values=column).loc[tracks, chroms]
        sns.heatmap(
            matrix, ax=ax, vmin=0, vmax=1, cmap="viridis", annot=matrix.size <= 120, fmt=".2f",
            annot_kws={"fontsize": 7}, cbar_kws={"label": f"{title} of bins"},
            yticklabels=i == 0, xticklabels=True,
        )  # fmt: skip
        ax.set_title(f"{title}\nper track and chromosome", fontsize=9)
        ax.set_xlabel("chromosome")
        ax.tick_params(axis="x", labelrotation=90, labelsize=8)
        ax.tick_params(axis="y", labelsize=7)
        ax.set_ylabel("")
    fig.tight_layout()
    return fig


def value_distributions(samples: dict[str, np.ndarray], groups: dict[str, str] | None = None):
    """Violin plots of sampled track values on a log1p scale, one violin per track.

    Parameters
    ----------
    samples
        ``{track: values}`` (for example from :func:`seqreg.io.sample_values`).
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
    if windows["unmappable_fraction"].any():
        right.hist(windows["unmappable_fraction"], bins=30, color="#8172b3")
        right.set_xlabel("fraction of window unmappable")
        right.set_ylabel("windows")
    else:  # no unmappable regions given, or none overlaps a kept window
        right.text(0.5, 0.5, "no kept window overlaps\nan unmappable region", ha="center",
                   va="center", transform=right.transAxes, color="0.4")  # fmt: skip
        right.set_xticks([])
        right.set_yticks([])
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
