"""Leopard's 1-D U-Net (Li & Guan 2021, GuanLab/Leopard ``code_1bp/unet.py``) as a spec: the
per-base histone-mark models A-D of the microglia QTL report (section 4.2, Table 3).

Sizes per scale are in :mod:`seqreg.project.scales` (``leopard``): 10,240-bp inputs, 15
first-level filters and 5 levels at ``paper``, as Leopard.
"""

from __future__ import annotations

from typing import Any

from ...project.scales import preset


def leopard_unet_spec(
    scale: str, n_outputs: int, accessibility_channels: int = 0
) -> dict[str, Any]:
    """A Leopard U-Net with a per-base sigmoid head.

    One-hot sequence, joined (when ``accessibility_channels`` > 0) by per-base
    accessibility channels (the report's cell-type accessibility and the average over cell
    types, or Leopard's accessibility and its difference from the average); a ``unet``
    block (two width-7 convolutions, ReLU then batch norm, per level; filters 15, 22, 33,
    49, 73, 109 down and 72, 48, 32, 21, 14 up at ``paper``); a width-1 sigmoid convolution
    giving ``n_outputs`` probabilities per base (head ``marks``).

    Parameters
    ----------
    scale
        ``smoke``, ``demo`` or ``paper``.
    n_outputs
        Labels per base: marks x cell types (models A and C), or marks (B and D).
    accessibility_channels
        Per-base accessibility channels (input ``accessibility``); 0 for sequence only.

    Raises
    ------
    ValueError
        For an unknown scale.
    """
    s = preset("leopard", scale)
    inputs: list[dict[str, Any]] = [{"name": "sequence", "type": "sequence"}]
    trunk: list[dict[str, Any]] = []
    if accessibility_channels:
        inputs.append(
            {"name": "accessibility", "type": "channels", "channels": int(accessibility_channels)}
        )
        trunk.append({"name": "concat", "inputs": ["accessibility"]})
    trunk.append(
        {
            "name": "unet",
            "filters_init": s["filters_init"],
            "levels": s["levels"],
            "kernel_size": 7,
            "bn_momentum": s.get("bn_momentum", 0.99),
        }
    )
    return {
        "name": f"leopard_unet_{scale}",
        "seq_length": s["seq_length"],
        "inputs": inputs,
        "trunk": trunk,
        "heads": {"marks": {"type": "per_base_sigmoid", "units": int(n_outputs)}},
    }
