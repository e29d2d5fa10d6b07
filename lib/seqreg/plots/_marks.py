"""Figures of the histone-mark U-Nets (microglia QTL report, section 4.2): a locus of the
panel's labels and accessibility, training curves of models A-D (Fig 12), test AUPRC and
AUROC per mark and model (Fig 13)."""

from __future__ import annotations

import numpy as np

from ._accuracy import _integer_ticks
from ._base import _plt


def mark_panel_locus(panel, chrom: str, start: int, end: int, predictions: dict | None = None,
                     title: str = ""):  # fmt: skip
    """Accessibility (log scale, normalised) and binarised marks of every cell type of a
    :class:`seqreg.data.MarkPanel` over ``[start, end)``, with models' predicted
    probabilities (``{model: (bins, labels)}`` of that chromosome) drawn over the labels."""
    plt = _plt()
    res = panel.resolution
    lo, hi = start // res, end // res
    x = np.arange(lo, hi) * res
    n_ct, n_marks = len(panel.cell_types), len(panel.marks)
    fig, axes = plt.subplots(n_ct * (1 + n_marks), 1, figsize=(10, 0.75 * n_ct * (1 + n_marks) + 1),
                             sharex=True)  # fmt: skip
    axes = np.atleast_1d(axes)
    row = 0
    for k, cell_type in enumerate(panel.cell_types):
        ax = axes[row]
        ax.fill_between(x, panel.accessibility[chrom][lo:hi, k], step="post", color="tab:grey")
        ax.set_ylabel(f"{cell_type}\naccess.", rotation=0, ha="right", va="center", fontsize=8)
        row += 1
        for j, mark in enumerate(panel.marks):
            ax = axes[row]
            column = k * n_marks + j
            label = panel.labels[chrom][lo:hi, column]
            ax.fill_between(x, np.nan_to_num(label), step="post", color="tab:orange", alpha=0.4,
                            label="label")  # fmt: skip
            for name, pred in (predictions or {}).items():
                ax.plot(x, pred[lo:hi, column], lw=0.8, label=name)
            ax.set_ylim(0, 1.05)
            ax.set_ylabel(f"{cell_type}\n{mark}", rotation=0, ha="right", va="center", fontsize=8)
            row += 1
    if predictions:
        axes[1].legend(frameon=False, fontsize=7, ncol=len(predictions) + 1, loc="upper right")
    axes[-1].set_xlabel(f"{chrom} position (bp)")
    fig.suptitle(title or f"{chrom}:{start:,}-{end:,}")
    fig.tight_layout()
    return fig


def model_curves(histories: dict, title: str = "Training curves of models A-D (report Fig 12)",
                 ylabel: str = "masked binary cross-entropy"):  # fmt: skip
    """Training (solid) and validation (dashed) loss per epoch of each model
    (``{model: DataFrame with epoch, loss, val_loss}``)."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.5, 4))
    for k, (name, history) in enumerate(histories.items()):
        colour = f"C{k}"
        ax.plot(
            history["epoch"], history["loss"], color=colour, marker="o", label=f"{name} training"
        )
        ax.plot(history["epoch"], history["val_loss"], color=colour, ls="--", marker="x",
                label=f"{name} validation")  # fmt: skip
    ax.set(xlabel="epoch", ylabel=ylabel, title=title)
    ax.xaxis.set_major_locator(_integer_ticks())
    ax.legend(frameon=False, fontsize=8, ncol=2)
    fig.tight_layout()
    return fig


def classification_by_label(table, title: str = "Held-out AUPRC and AUROC (report Fig 13)"):
    """Grouped bars of ``auprc`` and ``auroc`` per label (``track``) and model (``method``),
    from :func:`seqreg.evaluate.per_track_classification`, with each label's positive
    fraction (the AUPRC of a random predictor) marked."""
    plt = _plt()
    labels = list(dict.fromkeys(table["track"]))
    methods = list(dict.fromkeys(table["method"]))
    fig, axes = plt.subplots(1, 2, figsize=(12, 4), sharex=True)
    width = 0.8 / len(methods)
    centres = np.arange(len(labels))
    wide = {m: table[table["method"] == m].set_index("track") for m in methods}
    for ax, metric in zip(axes, ("auprc", "auroc"), strict=True):
        for k, method in enumerate(methods):
            ax.bar(centres + (k - (len(methods) - 1) / 2) * width,
                   wide[method].loc[labels, metric], width, label=method)  # fmt: skip
        if metric == "auprc":
            base = wide[methods[0]].loc[labels, "positives"]
            ax.scatter(centres, base, marker="_", s=400, color="black", zorder=3,
                       label="positive fraction")  # fmt: skip
        else:
            ax.axhline(0.5, color="black", lw=0.8, ls=":")
        ax.set(ylabel=metric.upper(), ylim=(0, 1))
        ax.set_xticks(centres, labels, rotation=45, ha="right", fontsize=8)
    axes[0].legend(frameon=False, fontsize=8, ncol=2)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def field_profiles(profiles: dict, computed: dict | None = None, title: str = "",
                   xlabel: str | None = None):  # fmt: skip
    """Measured receptive-field profiles on a log scale (report Figs 16-20): one line per
    ``{label: FieldProfile}`` (coordinates relative to the perturbed base or the
    differentiated output), with each model's computed field (``{label: (left, right)}``
    in bases around that position) shaded."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(8, 3.8))
    for k, (label, profile) in enumerate(profiles.items()):
        x = profile.coords - profile.position
        y = np.where(profile.effect > 0, profile.effect, np.nan)
        top = np.nanmax(y) if np.isfinite(y).any() else 1.0
        ax.plot(x, y / top, lw=0.9, color=f"C{k}", label=label)
        if computed and label in computed:
            left, right = computed[label]
            ax.axvspan(-left, right, color=f"C{k}", alpha=0.08)
    ax.set_yscale("log")
    kind = next(iter(profiles.values())).kind if profiles else "gradient"
    ax.set(xlabel=xlabel or ("input base relative to the output" if kind == "gradient"
                             else "output position relative to the substituted base (bp)"),
           ylabel="effect (share of the maximum, log)", title=title)  # fmt: skip
    ax.legend(frameon=False, fontsize=7)
    fig.tight_layout()
    return fig
