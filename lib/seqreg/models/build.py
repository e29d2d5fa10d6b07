"""Build a Keras model from a spec, and read its geometry and cost from the spec."""

from __future__ import annotations

import copy
from typing import Any

import keras
import numpy as np
from keras import layers

from . import attention  # noqa: F401  (registers the attention blocks)
from .blocks import get_block
from .geometry import Extent
from .heads import build_head, normalise_head
from .inputs import build_inputs

SPEC_KEYS = frozenset({"name", "seq_length", "defaults", "inputs", "trunk", "heads"})


def _check_spec(spec: dict[str, Any]) -> None:
    unknown = set(spec) - SPEC_KEYS
    if unknown:
        raise ValueError(
            f"spec has no setting {sorted(unknown)[0]!r}; it takes {', '.join(sorted(SPEC_KEYS))}"
        )
    for key in ("seq_length", "trunk", "heads"):
        if key not in spec:
            raise ValueError(f"spec needs {key!r}")
    defaults = spec.get("defaults", {})
    taken = set()
    for block in spec["trunk"]:
        taken |= get_block(block["name"]).accepts
    unused = sorted(set(defaults) - taken)
    if unused:
        raise TypeError(f"spec default {unused[0]!r} is taken by no block of the trunk")


def _trunk_arguments(spec: dict[str, Any]):
    """``(index, block, arguments)`` per trunk entry: defaults the block accepts, then the
    entry's own keys, checked against the builder."""
    defaults = spec.get("defaults", {})
    for index, entry in enumerate(spec["trunk"]):
        entry = dict(entry)
        name = entry.pop("name")
        block = get_block(name)
        given = {**{k: v for k, v in defaults.items() if k in block.accepts}, **entry}
        yield index, block, block.arguments(given, where=f" (trunk[{index}])")


def build_model(spec: dict[str, Any]) -> keras.Model:
    """Build a Keras model from a spec.

    Parameters
    ----------
    spec
        ``{"name": str, "seq_length": int, "defaults": {...}, "inputs": [...],
        "trunk": [{"name": block, ...}, ...], "heads": {output: n_tracks or
        {"type", "units"}}}``. ``inputs`` (:mod:`seqreg.models.inputs`) defaults to one
        one-hot ``sequence``; blocks are looked up in :data:`seqreg.models.BLOCKS` and heads
        in :data:`seqreg.models.HEADS`.

    Returns
    -------
    keras.Model
        Inputs: the one-hot ``(batch, seq_length, 4)`` array when the spec has only the
        sequence, else a dict by input name. Outputs: one per head (a single tensor when
        there is one head), ``(batch, bins, units)`` for a positional trunk.

    Raises
    ------
    KeyError
        For an unknown block name.
    TypeError
        For a block key (or spec default) that no block takes, naming block and key.
    ValueError
        For an unknown spec setting, input type or head type, or an input no block uses.
    """
    spec = copy.deepcopy(spec)
    _check_spec(spec)
    named = build_inputs(spec)
    x = next(iter(named.values()))  # the sequence
    for _, block, arguments in _trunk_arguments(spec):
        if block.takes_inputs:
            missing = [n for n in arguments["inputs"] if n not in named]
            if missing:
                raise ValueError(f"block {block.name!r}: no input named {missing[0]!r} in the spec")
            arguments["others"] = [named[n] for n in arguments["inputs"]]
        x = block.builder(x, **arguments)
    used = {"sequence"} | {
        n for _, b, a in _trunk_arguments(spec) if b.takes_inputs for n in a["inputs"]
    }
    unused = [n for n, t in named.items() if t is not next(iter(named.values())) and n not in used]
    if unused:
        raise ValueError(
            f"input {unused[0]!r} is declared but no block uses it; join it with a 'concat' block"
        )
    outputs = {
        name: build_head(x, name, normalise_head(name, head), spec["seq_length"])
        for name, head in spec["heads"].items()
    }
    if len(outputs) == 1:
        outputs = next(iter(outputs.values()))
    model_inputs = next(iter(named.values())) if len(named) == 1 else named
    return keras.Model(model_inputs, outputs, name=spec.get("name", "model"))


def trunk_extent(spec: dict[str, Any]) -> Extent:
    """Extent (:class:`seqreg.models.geometry.Extent`) of one trunk output position.

    Raises
    ------
    KeyError, TypeError
        As :func:`build_model`, for unknown blocks or keys.
    """
    _check_spec(spec)
    extent = Extent()
    for _, block, arguments in _trunk_arguments(spec):
        extent = block.geometry(extent, **arguments)
    return extent


def receptive_field(spec: dict[str, Any]) -> int:
    """Receptive field of one output position, in bases, computed from the spec's blocks.

    Exact for stride-1 convolutions; with pooling it bounds the span a bin can depend on
    (positions at the edge of a pooling window see slightly less). A trunk with a flatten,
    dense or other global block sees the whole sequence (``seq_length``).

    Raises
    ------
    KeyError, TypeError
        For an unknown block or key (every registered block declares its rule).
    """
    extent = trunk_extent(spec)
    return extent.receptive_field(spec["seq_length"] if extent.whole else None)


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
