"""An Enformer-like attention model (Avsec et al. 2021) as a spec.

Sizes per scale are in :mod:`seqreg.project.scales` (``attention``); the input length and the
cropping come from the ``preprocess`` preset, as for Basenji, so the model trains on the same
store (128-bp bins). The blocks are in :mod:`seqreg.models.attention`.
"""

from __future__ import annotations

from typing import Any

from ...project.scales import preset
from .basenji import _window


def attention_spec(scale: str, n_tracks: dict[str, int]) -> dict[str, Any]:
    """Enformer (Avsec et al. 2021, Methods; DeepMind ``enformer.py``), shrunk by the preset.

    A stem (width-15 convolution to ``C / 2``, a residual pointwise conv block, attention
    pooling by 2), a tower of 6 blocks (width-5 conv block, residual pointwise conv block,
    attention pooling by 2; filters growing geometrically from ``C / 2`` to ``C`` in
    multiples of ``divisible_by``) to 128-bp bins, ``layers`` transformer blocks
    (relative-position multi-head attention with ``heads`` heads of key size ``key_size``,
    and a ``2C`` feed-forward layer), cropping as Basenji, a width-1 conv block to ``2C``
    with dropout ``dropout / 8`` and GELU, one softplus head per genome. Pre-activation
    conv blocks (batch norm -> GELU -> convolution). Every bin sees the whole input.

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
    s = preset("attention", scale)
    seq_length, crop = _window(scale)
    channels = int(s["channels"])
    return {
        "name": f"attention_{scale}",
        "seq_length": seq_length,
        "defaults": {"bn_momentum": 0.9},
        "trunk": [
            {"name": "attention_stem", "filters": channels // 2, "kernel_size": 15},
            {
                "name": "attention_tower",
                "filters_init": channels // 2,
                "filters_end": channels,
                "repeat": 6,
                "kernel_size": 5,
                "divisible_by": s["divisible_by"],
            },
            {
                "name": "transformer",
                "heads": s["heads"],
                "key_size": s["key_size"],
                "layers": s["layers"],
                "dropout": s["dropout"],
            },
            {"name": "cropping", "crop": crop},
            {"name": "attention_final", "filters": 2 * channels, "dropout": s["dropout"] / 8},
        ],
        "heads": {genome: {"type": "softplus", "units": int(n)} for genome, n in n_tracks.items()},
    }
