"""Genome-browser-like views of a locus: tracks, predictions and planted elements."""

from __future__ import annotations

import warnings

import numpy as np

from ._base import _chrom_label, _plt

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
        inside the window (e.g. from :func:`seqreg.io.read_gtf`).
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
        rows, 1, figsize=(11, 2.0 + 0.9 * len(tracks)), sharex=True,
        gridspec_kw={"height_ratios": [2.6] + [1] * len(tracks), "hspace": 0.12}, squeeze=False,
    )  # fmt: skip
    axes = axes[:, 0]
    _annotation_panel(axes[0], chrom, start, end, exons, elements, sites, title)
    for ax, (label, values) in zip(axes[1:], tracks.items(), strict=True):
        _track_panel(ax, label, values, start, end, bin_size)
    axes[-1].set_xlim(start, end)
    axes[-1].set_xlabel(
        f"{_chrom_label(chrom)} position (bp); tracks: mean signal per base in {bin_size}-bp bins "
        "(track units); grey: no data"
    )
    fig.subplots_adjust(left=0.17, right=0.9, top=0.95, bottom=0.06, hspace=0.12)
    return fig


def _annotation_panel(ax, chrom: str, start: int, end: int, exons, elements, sites, title) -> None:
    """Transcripts, elements (opacity = activity) and labelled binding sites on one axis."""
    plt = _plt()
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
            text = ax.text(group["start"].mean(), 0.0, label, fontsize=6, rotation=90, va="top",
                           ha="center", clip_on=True)  # fmt: skip
            text.set_in_layout(False)  # long labels must not push the track panels apart
    ax.set_ylim(-3.2, 2.6 + 0.6 * max(1, len(transcripts)))
    ax.set_yticks([])
    ax.set_title(title or f"{chrom}:{start:,}-{end:,}")
    for spine in ("left", "right", "top"):
        ax.spines[spine].set_visible(False)


def _track_panel(ax, label: str, values: np.ndarray, start: int, end: int, bin_size: int) -> None:
    """One track as a filled profile of bin means; stretches without data shaded grey."""
    n_bins = (end - start) // bin_size
    x = start + (np.arange(n_bins) + 0.5) * bin_size
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
    axes[-1].set_xlabel(f"{_chrom_label(chrom)} position (bp)")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig
