"""QTL connectivity figures (notebook 15): distance histograms, connectivity histograms,
degree distributions.
"""

from __future__ import annotations

import numpy as np

from ._base import _plt


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
    from matplotlib import ticker

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
        for axis in (ax.xaxis, ax.yaxis):  # 1, 2, 5, 10 rather than 10^0 or 4 x 10^0
            axis.set_major_locator(ticker.LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
            axis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"{v:g}"))
            axis.set_minor_formatter(ticker.NullFormatter())
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
