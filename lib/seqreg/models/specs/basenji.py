"""Basenji (Kelley et al. 2018) and Basenji2 (Kelley 2020) as specs.

Sizes per scale are in :mod:`seqreg.project.scales` (``basenji2``, ``basenji2018``); the input
length and the cropping come from the ``preprocess`` preset, so a model always matches the
training store of its scale (128-bp bins).
"""

from __future__ import annotations

from typing import Any

from ...project.scales import preset


def _window(scale: str) -> tuple[int, int]:
    """``(seq_length, crop bins)`` of the store at ``scale``."""
    window = preset("preprocess", scale)
    return window["seq_length"], window["crop_bp"] // window["pool_width"]


def basenji2_spec(scale: str, n_tracks: dict[str, int]) -> dict[str, Any]:
    """Basenji2 (Kelley 2020, Methods "Model architecture").

    7 conv blocks to 128-bp bins (a stem of width 15, then width 5 with filters x1.1776
    from 339 to 768 at paper scale), 11 dilated residual blocks (width 3, 384 filters,
    dilation x1.5), cropping (64 bins per side at paper scale), a width-1 convolution to
    1536 with dropout 0.05, GELU pre-activation, one softplus head per genome.

    Parameters
    ----------
    scale
        ``smoke``, ``demo`` or ``paper``.
    n_tracks
        Tracks per genome, e.g. ``{"human": 5313, "mouse": 1643}``; one head each.

    Raises
    ------
    ValueError
        For an unknown scale.
    """
    s = preset("basenji2", scale)
    seq_length, crop = _window(scale)
    return {
        "name": f"basenji2_{scale}",
        "seq_length": seq_length,
        "defaults": {"activation": "gelu", "pre_activation": True, "bn_momentum": 0.9},
        "trunk": [
            {"name": "conv_block", "filters": s["stem"], "kernel_size": 15, "pool_size": 2},
            {
                "name": "conv_tower",
                "filters_init": s["tower"][0],
                "filters_end": s["tower"][1],
                "repeat": 6,
                "kernel_size": 5,
                "pool_size": 2,
            },
            {
                "name": "dilated_residual",
                "filters": s["residual_filters"],
                "repeat": s["residual"],
                "rate_mult": 1.5,
                "dropout": 0.3,
            },
            {"name": "cropping", "crop": crop},
            {"name": "final", "filters": s["final"], "dropout": 0.05},
        ],
        "heads": {genome: {"type": "softplus", "units": int(n)} for genome, n in n_tracks.items()},
    }


def basenji2018_spec(
    scale: str, n_tracks: dict[str, int], dilated_layers: int | None = None
) -> dict[str, Any]:
    """Basenji (Kelley et al. 2018, Methods and Supp. Table S1).

    4 conv layers pooling by 2, 4, 4, 4 to 128-bp bins, densely connected dilated
    convolutions (dilation doubling from 2), a width-1 convolution; conv -> batch norm ->
    ReLU; softplus heads.

    Parameters
    ----------
    scale
        ``smoke``, ``demo`` or ``paper``.
    n_tracks
        Tracks per genome.
    dilated_layers
        Number of dilated layers (default: the scale's); fewer shrink the receptive field,
        as in the ablation of Supp. Fig. S4.

    Raises
    ------
    ValueError
        For an unknown scale.
    """
    s = preset("basenji2018", scale)
    seq_length, crop = _window(scale)
    f = s["filters"]
    return {
        "name": f"basenji2018_{scale}",
        "seq_length": seq_length,
        "defaults": {"activation": "relu", "pre_activation": False, "bn_momentum": 0.9},
        "trunk": [
            {"name": "conv_block", "filters": f[0], "kernel_size": 20, "pool_size": 2},
            {"name": "conv_block", "filters": f[1], "kernel_size": 7, "pool_size": 4},
            {"name": "conv_block", "filters": f[2], "kernel_size": 7, "pool_size": 4},
            {"name": "conv_block", "filters": f[3], "kernel_size": 7, "pool_size": 4},
            {
                "name": "dilated_dense",
                "filters": s["dense_filters"],
                "repeat": s["dilated"] if dilated_layers is None else int(dilated_layers),
                "dropout": 0.25,
            },
            {"name": "cropping", "crop": crop},
            {"name": "final", "filters": s["final"], "dropout": 0.05, "activation": "relu"},
        ],
        "heads": {genome: {"type": "softplus", "units": int(n)} for genome, n in n_tracks.items()},
    }
