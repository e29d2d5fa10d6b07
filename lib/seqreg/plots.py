"""The project's figures: one function per kind of figure, each returning its Figure.

Functions draw on a new figure (or on ``ax`` when given) and never save; save with
:func:`save_figure`, which writes atomically so a figure on disk is always complete.
"""

from __future__ import annotations

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
