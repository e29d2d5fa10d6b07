"""Figure saving and the lazy matplotlib import shared by every plot module."""

from __future__ import annotations

from pathlib import Path


def _plt():
    # Imported on first use: matplotlib is slow to import and most callers never plot.
    # Without a display matplotlib falls back to Agg; in Jupyter it draws inline.
    import matplotlib.pyplot as plt

    return plt


def _chrom_label(chrom: str) -> str:
    """``chr2`` as it is; ``2`` (Ensembl naming) as ``chromosome 2``, so axis labels read."""
    return chrom if chrom.lower().startswith("chr") else f"chromosome {chrom}"


def save_figure(fig, path: str | Path, dpi: int = 150) -> Path:
    """Save ``fig`` to ``path`` atomically (format from the suffix) and return the path."""
    from ..project.files import atomic_path

    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=dpi, bbox_inches="tight")
    return Path(path)
