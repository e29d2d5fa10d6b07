"""DeepSEA (Zhou & Troyanskaya 2015) as a spec: a binary peak classifier, one of the two
baselines of Basenji 2018 (Supp. Fig. S1, notebook 04) and the source of the GWAS
features of Supp. Fig. S9 (notebook 07).

Sizes per scale are in :mod:`seqreg.project.scales` (``deepsea``); the input length is an
argument, since the benchmark cuts 1,024-bp subsequences (DeepSEA itself read 1,000 bp).
"""

from __future__ import annotations

from typing import Any

from ...project.scales import preset

KERNEL = 8
POOL = 4
DROPOUT = (0.2, 0.2, 0.5)


def deepsea_lengths(seq_length: int) -> list[int]:
    """Positions after each convolution and pooling of DeepSEA: valid convolutions of
    width 8, floor pooling by 4 after the first two (1000 -> 993 -> 248 -> 241 -> 60 ->
    53; 1024 -> 1017 -> 254 -> 247 -> 61 -> 54)."""
    lengths, length = [], int(seq_length)
    for layer in range(3):
        length -= KERNEL - 1
        lengths.append(length)
        if layer < 2:
            length //= POOL
            lengths.append(length)
    return lengths


def deepsea_spec(scale: str, n_targets: int, seq_length: int = 1024) -> dict[str, Any]:
    """DeepSEA (Zhou & Troyanskaya 2015; ``2_model.lua`` of the released code).

    Three valid convolutions of width 8 with a bias and no batch normalisation (320, 480
    and 960 filters at paper scale), each conv -> ReLU -> max pool by 4 -> dropout 0.2
    for the first two and conv -> ReLU -> dropout 0.5 for the third; flatten; a hidden
    dense layer with ReLU (no batch norm, no dropout); a sigmoid head ``peaks`` of
    ``n_targets`` (919 in the paper). The hidden layer has 925 units at paper scale, as
    the paper's Methods say; the released code uses 919 (= the number of targets). Torch's
    ``Threshold(0, 1e-6)`` is a plain ReLU here. Dropout follows the pooling as in the
    original (``dropout_after_pool``). The published 1,000-bp input gives 1000 -> 993 ->
    248 -> 241 -> 60 -> 53 positions and 960 x 53 flattened features; the benchmark's
    1,024 bp give 1024 -> 1017 -> 254 -> 247 -> 61 -> 54 and 960 x 54. The flatten mixes
    every position, so :func:`seqreg.models.receptive_field` gives ``seq_length``; that is a
    bound: as in Torch, floor pooling drops the positions past the last whole window, so
    the last bases are never seen (5 of 1,000, 13 of 1,024).

    Training in the original (set by the ``peak_benchmark`` preset, not here): SGD with
    momentum 0.9 and batches of 16, weight decay 1e-6 and a max kernel norm of 0.9 (neither
    is implemented here).

    Parameters
    ----------
    scale
        ``smoke``, ``demo`` or ``paper`` (the filters and hidden width).
    n_targets
        Binary labels (tracks) to predict.
    seq_length
        Input length in bases; at least 1 position must be left after the last convolution
        (``seq_length >= 163``).

    Raises
    ------
    ValueError
        For an unknown scale, a non-positive ``n_targets``, or a ``seq_length`` too short
        for the three valid convolutions.
    """
    s = preset("deepsea", scale)
    if int(n_targets) < 1:
        raise ValueError(f"deepsea: n_targets must be positive, not {n_targets}")
    if deepsea_lengths(int(seq_length))[-1] < 1:
        raise ValueError(
            f"deepsea: seq_length {seq_length} leaves no position after the last convolution; "
            "give at least 163 bases"
        )
    return {
        "name": f"deepsea_{scale}",
        "seq_length": int(seq_length),
        "defaults": {
            "activation": "relu",
            "pre_activation": False,
            "batch_norm": False,
            "padding": "valid",
            "dropout_after_pool": True,
        },
        "trunk": [
            *(
                {
                    "name": "conv_block",
                    "filters": n,
                    "kernel_size": KERNEL,
                    "pool_size": pool,
                    "dropout": rate,
                }
                for n, pool, rate in zip(s["filters"], (POOL, POOL, 1), DROPOUT, strict=True)
            ),
            {"name": "flatten"},
            {"name": "dense", "units": s["hidden"]},
        ],
        "heads": {"peaks": {"type": "sigmoid", "units": int(n_targets)}},
    }
