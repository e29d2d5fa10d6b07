"""Model builders from declarative specs: Basenji (2018) and Basenji2 (2019).

A model is data: a list of blocks, each a registered builder name with keyword
arguments, plus global defaults (activation, batch-norm momentum, pre- or
post-activation) injected into every block::

    spec = basenji2_spec("demo", n_tracks={"human": 76})
    model = build_model(spec)

The two architectures differ only in their spec. Blocks use Keras layers and
``keras.ops`` only, so models run on the TensorFlow and JAX backends.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import keras
import numpy as np
from keras import layers

BLOCKS: dict[str, Callable] = {}


def register(name: str):
    """Decorator adding a block builder to :data:`BLOCKS`."""

    def wrap(builder: Callable) -> Callable:
        BLOCKS[name] = builder
        return builder

    return wrap


def _activate(x, activation: str):
    return layers.Activation(activation)(x) if activation else x


@register("conv_block")
def conv_block(x, filters: int, kernel_size: int = 1, pool_size: int = 1, dilation_rate: int = 1,
               dropout: float = 0.0, activation: str = "relu", pre_activation: bool = True,
               bn_momentum: float = 0.9, **_):  # fmt: skip
    """Convolution with batch norm, activation, dropout and max pooling.

    ``pre_activation`` (Basenji2): activation -> conv -> batch norm; otherwise
    (Basenji 2018): conv -> batch norm -> activation. ``(batch, length, channels)`` in,
    ``(batch, length / pool_size, filters)`` out.
    """
    if pre_activation:
        x = _activate(x, activation)
    x = layers.Conv1D(
        filters, kernel_size, padding="same", dilation_rate=dilation_rate, use_bias=False
    )(x)
    x = layers.BatchNormalization(momentum=bn_momentum)(x)
    if not pre_activation:
        x = _activate(x, activation)
    if dropout:
        x = layers.Dropout(dropout)(x)
    if pool_size > 1:
        x = layers.MaxPooling1D(pool_size, padding="same")(x)
    return x


@register("conv_tower")
def conv_tower(x, filters_init: int, filters_end: int | None = None, filters_mult: float | None = None,
               repeat: int = 1, kernel_size: int = 5, pool_size: int = 2, **defaults):  # fmt: skip
    """``repeat`` conv blocks whose filters grow geometrically from ``filters_init``
    (by ``filters_mult``, or so as to reach ``filters_end``)."""
    if filters_mult is None:
        filters_mult = (
            (filters_end / filters_init) ** (1 / max(repeat - 1, 1)) if filters_end else 1.0
        )
    filters = float(filters_init)
    for _ in range(repeat):
        x = conv_block(x, round(filters), kernel_size, pool_size, **defaults)
        filters *= filters_mult
    return x


@register("dilated_dense")
def dilated_dense(x, filters: int, repeat: int, kernel_size: int = 3, rate_mult: float = 2.0,
                  dropout: float = 0.0, **defaults):  # fmt: skip
    """Basenji 2018: dilated convolutions whose inputs are all previous layers' outputs
    concatenated (densely connected); the dilation doubles each layer."""
    rate = 1.0
    for _ in range(repeat):
        rate *= rate_mult
        y = conv_block(
            x, filters, kernel_size, dilation_rate=round(rate), dropout=dropout, **defaults
        )
        x = layers.Concatenate()([x, y])
    return x


@register("dilated_residual")
def dilated_residual(x, filters: int, repeat: int, kernel_size: int = 3, rate_mult: float = 1.5,
                     dropout: float = 0.0, **defaults):  # fmt: skip
    """Basenji2: residual blocks of a dilated width-3 convolution to ``filters`` and a
    width-1 convolution back to the trunk width; the dilation grows by ``rate_mult``."""
    channels = x.shape[-1]
    rate = 1.0
    for _ in range(repeat):
        y = conv_block(x, filters, kernel_size, dilation_rate=round(rate), **defaults)
        y = conv_block(y, channels, 1, dropout=dropout, **defaults)
        x = layers.Add()([x, y])
        rate *= rate_mult
    return x


@register("cropping")
def cropping(x, crop: int, **_):
    """Drop ``crop`` bins from each end (their receptive fields run off the sequence)."""
    return layers.Cropping1D(crop)(x) if crop else x


@register("final")
def final(x, filters: int, dropout: float = 0.0, activation: str = "gelu", **defaults):
    """Width-1 convolution before the heads (then the activation, as in Basenji2)."""
    x = conv_block(x, filters, 1, dropout=dropout, activation=activation, **defaults)
    return _activate(x, activation) if defaults.get("pre_activation", True) else x


def build_model(spec: dict[str, Any]) -> keras.Model:
    """Build a Keras model from a spec.

    Parameters
    ----------
    spec
        ``{"seq_length": int, "defaults": {...}, "trunk": [{"name": block, ...}, ...],
        "heads": {genome: n_tracks}}``. Each head is a width-1 convolution with softplus
        output of shape ``(batch, bins, n_tracks)``.

    Returns
    -------
    keras.Model
        Input ``(batch, seq_length, 4)`` one-hot; one output per head (a single tensor
        when there is one head).
    """
    spec = copy.deepcopy(spec)
    defaults = spec.get("defaults", {})
    inputs = keras.Input((spec["seq_length"], 4), name="sequence")
    x = inputs
    for block in spec["trunk"]:
        name = block.pop("name")
        if name not in BLOCKS:
            raise KeyError(f"unknown block {name!r}; registered: {', '.join(sorted(BLOCKS))}")
        x = BLOCKS[name](x, **{**defaults, **block})
    outputs = {
        genome: layers.Conv1D(
            n_tracks, 1, activation="softplus", dtype="float32", name=f"head_{genome}"
        )(x)
        for genome, n_tracks in spec["heads"].items()
    }
    if len(outputs) == 1:
        outputs = next(iter(outputs.values()))
    return keras.Model(inputs, outputs, name=spec.get("name", "model"))


def receptive_field(spec: dict[str, Any]) -> int:
    """Receptive field, in bases, of one output bin (computed from the spec's layers)."""
    field, jump = 1, 1  # bases seen by one unit, and bases between neighbouring units
    for block in spec["trunk"]:
        name = block["name"]
        if name == "conv_block":
            layers_ = [
                (
                    block.get("kernel_size", 1),
                    block.get("dilation_rate", 1),
                    block.get("pool_size", 1),
                )
            ]
        elif name == "conv_tower":
            layers_ = [(block.get("kernel_size", 5), 1, block.get("pool_size", 2))] * block.get(
                "repeat", 1
            )
        elif name in ("dilated_dense", "dilated_residual"):
            mult = block.get("rate_mult", 2.0 if name == "dilated_dense" else 1.5)
            rates, rate = [], 1.0
            for _ in range(block["repeat"]):
                if name == "dilated_dense":
                    rate *= mult
                rates.append(round(rate))
                if name == "dilated_residual":
                    rate *= mult
            layers_ = [(block.get("kernel_size", 3), r, 1) for r in rates]
        else:
            layers_ = []
        for kernel, dilation, pool in layers_:
            field += (kernel - 1) * dilation * jump
            if pool > 1:
                field += (pool - 1) * jump
                jump *= pool
    return field


# -- the two architectures, per scale ----------------------------------------------------------
#: sizes per scale; ``paper`` follows the documents
SIZES: dict[str, dict[str, dict[str, Any]]] = {
    "basenji2": {
        "smoke": {"seq_length": 4096, "stem": 16, "tower": (16, 32), "residual_filters": 8, "residual": 3,
                  "crop": 2, "final": 32},
        "demo": {"seq_length": 16384, "stem": 48, "tower": (48, 128), "residual_filters": 32, "residual": 8,
                 "crop": 8, "final": 256},
        "paper": {"seq_length": 131072, "stem": 288, "tower": (339, 768), "residual_filters": 384,
                  "residual": 11, "crop": 64, "final": 1536},
    },
    "basenji2018": {
        "smoke": {"seq_length": 4096, "filters": (16, 16, 24, 32), "dense_filters": 8, "dilated": 4,
                  "crop": 2, "final": 32},
        "demo": {"seq_length": 16384, "filters": (64, 64, 96, 128), "dense_filters": 24, "dilated": 6,
                 "crop": 8, "final": 192},
        "paper": {"seq_length": 131072, "filters": (128, 128, 192, 256), "dense_filters": 32, "dilated": 7,
                  "crop": 0, "final": 384},
    },
}  # fmt: skip


def basenji2_spec(scale: str, n_tracks: dict[str, int]) -> dict[str, Any]:
    """Basenji2 (Kelley 2020): 7 conv blocks to 128-bp bins (stem of width 15, then width
    5 with filters x1.1776 from 339 to 768), 11 dilated residual blocks (width 3, 384
    filters, dilation x1.5), cropping (64 bins per side at paper scale), a width-1
    convolution to 1536 with dropout 0.05, softplus heads per genome."""
    s = SIZES["basenji2"][scale]
    return {
        "name": f"basenji2_{scale}",
        "seq_length": s["seq_length"],
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
            {"name": "cropping", "crop": s["crop"]},
            {"name": "final", "filters": s["final"], "dropout": 0.05},
        ],
        "heads": dict(n_tracks),
    }


def basenji2018_spec(scale: str, n_tracks: dict[str, int]) -> dict[str, Any]:
    """Basenji (Kelley et al. 2018): 4 conv layers pooling by 2, 4, 4, 4 to 128-bp bins,
    densely connected dilated convolutions (dilation doubling), a width-1 convolution;
    conv -> batch norm -> ReLU."""
    s = SIZES["basenji2018"][scale]
    f = s["filters"]
    return {
        "name": f"basenji2018_{scale}",
        "seq_length": s["seq_length"],
        "defaults": {"activation": "relu", "pre_activation": False, "bn_momentum": 0.9},
        "trunk": [
            {"name": "conv_block", "filters": f[0], "kernel_size": 20, "pool_size": 2},
            {"name": "conv_block", "filters": f[1], "kernel_size": 7, "pool_size": 4},
            {"name": "conv_block", "filters": f[2], "kernel_size": 7, "pool_size": 4},
            {"name": "conv_block", "filters": f[3], "kernel_size": 7, "pool_size": 4},
            {
                "name": "dilated_dense",
                "filters": s["dense_filters"],
                "repeat": s["dilated"],
                "dropout": 0.25,
            },
            {"name": "cropping", "crop": s["crop"]},
            {"name": "final", "filters": s["final"], "dropout": 0.05, "activation": "relu"},
        ],
        "heads": dict(n_tracks),
    }


ARCHITECTURES = {"basenji2": basenji2_spec, "basenji2018": basenji2018_spec}


def flops_per_sequence(model: keras.Model) -> int:
    """Multiply-add FLOPs (2 per multiply-add) of one forward pass, from the layer shapes.

    Counts convolutions and dense layers, which dominate; normalisation, activations and
    pooling add well under 1%. A training step costs about three forward passes.
    """
    total = 0
    for layer in model.layers:
        if isinstance(layer, layers.Conv1D):
            kernel_size, channels_in, channels_out = layer.kernel.shape
            length = layer.output.shape[1]
            total += 2 * length * kernel_size * channels_in * channels_out
        elif isinstance(layer, layers.Dense):
            units_in, units_out = layer.kernel.shape
            positions = int(np.prod(layer.output.shape[1:-1])) if len(layer.output.shape) > 2 else 1
            total += 2 * positions * units_in * units_out
    return int(total)
