"""Interpretation figures: saliency at a locus, saliency against annotations, ISM heatmaps
with logos (Basenji 2018, Fig 4)."""

from __future__ import annotations

import numpy as np

from ._base import _chrom_label, _plt

#: colours of the annotation classes (promoters, enhancers, CTCF sites) and the background
CLASS_COLOURS = {
    "promoters": "#d62728",
    "enhancers": "#ff7f0e",
    "ctcf": "#2ca02c",
    "background": "#7f7f7f",
}


def saliency_locus(chrom: str, start: int, end: int, exons, annotations: dict, saliency: np.ndarray,
                   bin_size: int, peaks: np.ndarray | None = None, planted=None,
                   title: str | None = None):  # fmt: skip
    """Genes, annotation elements and the saliency track of one window (Fig 4A).

    Parameters
    ----------
    chrom, start, end
        The window, 0-based half-open; ``saliency`` covers it in ``bin_size`` bins.
    exons : pandas.DataFrame
        ``start``, ``end``, ``strand``, ``transcript_id`` of exons in the window.
    annotations
        ``{class: DataFrame(start, end)}`` drawn as coloured boxes.
    saliency
        ``(positions,)`` signed saliency per bin.
    peaks
        ``(positions,)`` bool, bins called as saliency peaks (marked with dots).
    planted : pandas.DataFrame, optional
        ``start``, ``end``, ``kind`` of planted elements (synthetic data), drawn as a row of
        grey boxes under the annotations.
    """
    plt = _plt()
    fig, (top, bottom) = plt.subplots(
        2, 1, figsize=(11, 4.2), sharex=True, gridspec_kw={"height_ratios": [1.4, 1.6]}
    )
    transcripts = list(dict.fromkeys(exons["transcript_id"])) if len(exons) else []
    for row, transcript in enumerate(transcripts):
        y = 2.2 + 0.5 * row
        blocks = exons[exons["transcript_id"] == transcript]
        top.plot([max(blocks["start"].min(), start), min(blocks["end"].max(), end)], [y, y],
                 color="#1f3b73", lw=1)  # fmt: skip
        for b in blocks.itertuples():
            top.add_patch(plt.Rectangle((b.start, y - 0.15), b.end - b.start, 0.3, color="#1f3b73"))
        arrow = "→" if blocks["strand"].iloc[0] == "+" else "←"
        top.text(max(blocks["start"].min(), start), y + 0.2, f"{transcript} {arrow}", fontsize=7)
    for name, table in annotations.items():
        for e in table.itertuples():
            top.add_patch(plt.Rectangle((e.start, 1.2), e.end - e.start, 0.6,
                                        color=CLASS_COLOURS.get(name, "k")))  # fmt: skip
    if planted is not None:
        for e in planted.itertuples():
            top.add_patch(plt.Rectangle((e.start, 0.3), e.end - e.start, 0.6, color="0.6"))
        top.text(start, 0.35, "planted", fontsize=6, color="0.4", ha="right")
    handles = [plt.Rectangle((0, 0), 1, 1, color=CLASS_COLOURS.get(n, "k")) for n in annotations]
    top.legend(handles, list(annotations), loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=7,
               frameon=False)  # fmt: skip
    top.set_ylim(0, 2.8 + 0.5 * max(1, len(transcripts)))
    top.set_yticks([])
    top.set_title(title or f"{chrom}:{start:,}-{end:,}")
    for spine in ("left", "right", "top"):
        top.spines[spine].set_visible(False)
    x = start + (np.arange(len(saliency)) + 0.5) * bin_size
    colours = np.where(np.asarray(saliency) >= 0, "#4c72b0", "#c44e52")
    bottom.bar(x, saliency, width=bin_size, color=colours, lw=0)
    if peaks is not None and np.any(peaks):
        marks = np.flatnonzero(peaks)
        bottom.scatter(x[marks], np.asarray(saliency)[marks], s=10, color="k", zorder=3,
                       label="saliency peak (FDR < 0.05)")  # fmt: skip
        bottom.legend(fontsize=7, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    bottom.axhline(0, color="k", lw=0.5)
    bottom.set_ylabel("saliency\n(gradient x representation)", fontsize=8)
    bottom.set_xlim(start, end)
    bottom.set_xlabel(
        f"{_chrom_label(chrom)} position (bp); {bin_size}-bp bins; blue activating, red repressing"
    )
    bottom.spines[["right", "top"]].set_visible(False)
    fig.tight_layout()
    return fig


def saliency_cdfs(values: dict, summary, xlabel: str = "maximum saliency over the element"):
    """Cumulative distributions of each class's maximum saliency against its shuffled
    background, with the KS p-values (Fig 4B).

    Parameters
    ----------
    values
        ``{class: (element maxima, background maxima)}`` from
        :func:`seqreg.interpret.annotation_test`.
    summary : pandas.DataFrame
        Its summary (``p`` per class).
    """
    plt = _plt()
    fig, axes = plt.subplots(1, len(values), figsize=(3.6 * len(values), 3.2), squeeze=False,
                             sharey=True)  # fmt: skip
    for ax, (name, (observed, background)) in zip(axes[0], values.items(), strict=True):
        for data, label, colour in ((background, "shuffled", CLASS_COLOURS["background"]),
                                    (observed, name, CLASS_COLOURS.get(name, "k"))):  # fmt: skip
            if len(data):
                ordered = np.sort(data)
                ax.step(ordered, np.arange(1, len(ordered) + 1) / len(ordered), where="post",
                        color=colour, label=f"{label} (n={len(data):,})")  # fmt: skip
        ax.set_xscale("symlog", linthresh=1.0)  # heavy tails on both sides
        p = summary.loc[name, "p"]
        ax.set_title(f"{name}: KS p = {p:.1e}", fontsize=9)
        ax.set_xlabel(f"{xlabel} (symlog)", fontsize=8)
        ax.legend(fontsize=7, frameon=False, loc="lower right")
        ax.spines[["right", "top"]].set_visible(False)
    axes[0, 0].set_ylabel("cumulative fraction")
    fig.tight_layout()
    return fig


def ism_panel(result, title: str = "", matches=None, offset: int = 0):
    """ISM of one region (Fig 4C-D): the minimum and maximum change per position, the
    change heatmap (rows A, C, G, T; reference bases outlined) and a logo of the reference
    bases' mean-subtracted contributions (logomaker).

    Parameters
    ----------
    result : seqreg.interpret.ISMResult
    title
        Panel title (element and target).
    matches : pandas.DataFrame, optional
        TOMTOM matches to print under the logo (``name``, ``matrix_id``, ``q``).
    offset
        Genomic coordinate of the region's first base, for the x axis.
    """
    import logomaker
    import pandas as pd

    plt = _plt()
    length = len(result.reference)
    fig, axes = plt.subplots(3, 1, figsize=(min(16, 3 + length * 0.06), 5.2), sharex=True,
                             gridspec_kw={"height_ratios": [1, 1.2, 1.3]})  # fmt: skip
    x = np.arange(length)
    axes[0].plot(x, result.minimum, color="#c44e52", lw=1, label="min")
    axes[0].plot(x, result.maximum, color="#4c72b0", lw=1, label="max")
    axes[0].axhline(0, color="k", lw=0.4)
    axes[0].set_ylabel("change", fontsize=8)
    axes[0].legend(fontsize=7, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    axes[0].set_title(title, fontsize=9)
    limit = float(np.abs(result.delta).max()) or 1.0
    axes[1].imshow(result.delta.T, aspect="auto", cmap="RdBu_r", vmin=-limit, vmax=limit,
                   extent=(-0.5, length - 0.5, 3.5, -0.5), interpolation="nearest")  # fmt: skip
    known = result.reference < 4
    axes[1].scatter(x[known], result.reference[known], s=2, color="k")
    axes[1].set_yticks(range(4), list("ACGT"), fontsize=7)
    axes[1].set_ylabel("new base", fontsize=8)
    logo = pd.DataFrame(result.logo_matrix(), columns=list("ACGT"))
    logomaker.Logo(logo, ax=axes[2], color_scheme="classic")
    axes[2].axhline(0, color="k", lw=0.4)
    axes[2].set_ylabel("contribution", fontsize=8)
    step = max(1, length // 8)
    axes[2].set_xticks(x[::step], [f"{offset + i:,}" for i in x[::step]], fontsize=7)
    axes[2].set_xlabel("position (bp)", fontsize=8)
    if matches is not None and len(matches):
        text = "TOMTOM: " + "; ".join(
            f"{r.name} ({r.matrix_id}) q={r.q:.1e}" for r in matches.itertuples()
        )
        axes[2].text(0, -0.45, text, transform=axes[2].transAxes, fontsize=7, va="top")
    for ax in axes:
        ax.spines[["right", "top"]].set_visible(False)
    fig.tight_layout()
    return fig
