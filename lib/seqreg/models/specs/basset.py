"""Basset (Kelley, Snoek & Rinn 2016) as a spec: a binary peak classifier, one of the two
baselines of Basenji 2018 (Supp. Fig. S1, notebook 04).

Sizes per scale are in :mod:`seqreg.project.scales` (``basset``); the input length is an
argument, since the benchmark cuts 1,024-bp subsequences (Basset itself read 600 bp).
"""

from __future__ import annotations

import math
from typing import Any

from ...project.scales import preset

KERNELS = (19, 11, 7)
POOLS = (3, 4, 4)


def basset_lengths(seq_length: int) -> list[int]:
    """Positions after each conv block of Basset: same-padded convolutions, ceil-mode
    pooling (600 -> 200 -> 50 -> 13; 1024 -> 342 -> 86 -> 22)."""
    lengths = [int(seq_length)]
    for pool in POOLS:
        lengths.append(math.ceil(lengths[-1] / pool))
    return lengths[1:]


def basset_spec(scale: str, n_targets: int, seq_length: int = 1024) -> dict[str, Any]:
    """Basset (Kelley, Snoek & Rinn 2016; ``pretrained_params.txt`` and ``convnet.lua``).

    Three conv blocks, conv -> batch norm -> ReLU -> max pool (same padding, Torch's ceil
    mode pooling, no conv dropout): 300 filters of width 19 pooled by 3, 200 of width 11
    pooled by 4, 200 of width 7 pooled by 4 at paper scale; flatten; two dense layers of
    1000 units (dense -> batch norm -> ReLU -> dropout 0.3); a sigmoid head ``peaks`` of
    ``n_targets`` (164 in the paper). The published 600-bp input gives 600 -> 200 -> 50 ->
    13 positions and 200 x 13 = 2,600 flattened features; the benchmark's 1,024 bp give
    1024 -> 342 -> 86 -> 22 and 200 x 22 = 4,400 features. The flatten sees the whole
    input, so the receptive field is ``seq_length``.

    Training in the paper (set by the ``peak_benchmark`` preset, not here): RMSprop with
    learning rate 0.002 and alpha (Keras ``rho``) 0.98, batches of 128.

    Parameters
    ----------
    scale
        ``smoke``, ``demo`` or ``paper`` (the filters and dense widths).
    n_targets
        Binary labels (tracks) to predict.
    seq_length
        Input length in bases.

    Raises
    ------
    ValueError
        For an unknown scale, or a non-positive ``seq_length`` or ``n_targets``.
    """
    s = preset("basset", scale)
    if int(seq_length) < 1 or int(n_targets) < 1:
        raise ValueError(
            f"basset: seq_length ({seq_length}) and n_targets ({n_targets}) must be positive"
        )
    f = s["filters"]
    return {
        "name": f"basset_{scale}",
        "seq_length": int(seq_length),
        "defaults": {"activation": "relu", "pre_activation": False, "bn_momentum": 0.9},
        "trunk": [
            *(
                {"name": "conv_block", "filters": n, "kernel_size": k, "pool_size": p}
                for n, k, p in zip(f, KERNELS, POOLS, strict=True)
            ),
            {"name": "flatten"},
            *({"name": "dense", "units": units, "dropout": 0.3} for units in s["dense"]),
        ],
        "heads": {"peaks": {"type": "sigmoid", "units": int(n_targets)}},
    }
