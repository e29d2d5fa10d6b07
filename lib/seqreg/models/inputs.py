"""Model inputs named in a spec: the one-hot sequence and the per-sample or per-base values
that some models take beside it.

A spec's ``inputs`` is a list of ``{"name": str, "type": str, ...}``. Types:

- ``sequence``: one-hot DNA, ``(batch, seq_length, 4)`` (every model; the trunk starts here).
- ``vector``: a per-sample vector, ``(batch, size)``, e.g. the expression of 1,630 TFs in
  the cell type of the sample (ChromDragoNN, Nair et al. 2019, Fig. 1).
- ``scalar``: one value per sample, ``(batch, 1)``, e.g. mean accessibility of the bin
  across training cell types (ChromDragoNN).
- ``channels``: extra per-base channels, ``(batch, seq_length, channels)``, e.g. DNase
  coverage as a conditioning input (Leopard-style models B and D, microglia report 4.2).

Inputs other than the sequence join the trunk through the ``concat`` block.
"""

from __future__ import annotations

from typing import Any

import keras

INPUT_TYPES = ("sequence", "vector", "scalar", "channels")


def default_inputs(seq_length: int) -> list[dict[str, Any]]:
    """The inputs of a sequence-only model: one ``sequence`` input of ``seq_length`` bases."""
    return [{"name": "sequence", "type": "sequence"}]


def input_shape(entry: dict[str, Any], seq_length: int) -> tuple[int, ...]:
    """Shape (without the batch axis) of one input entry of a spec.

    Raises
    ------
    ValueError
        For an unknown type, or a missing ``size``/``channels``.
    """
    kind = entry.get("type")
    name = entry.get("name")
    if kind == "sequence":
        return (seq_length, 4)
    if kind == "scalar":
        return (1,)
    if kind == "vector":
        if "size" not in entry:
            raise ValueError(f"input {name!r} of type 'vector' needs 'size'")
        return (int(entry["size"]),)
    if kind == "channels":
        if "channels" not in entry:
            raise ValueError(f"input {name!r} of type 'channels' needs 'channels'")
        return (seq_length, int(entry["channels"]))
    raise ValueError(
        f"input {name!r}: unknown type {kind!r}; choose one of {', '.join(INPUT_TYPES)}"
    )


def build_inputs(spec: dict[str, Any]) -> dict[str, keras.KerasTensor]:
    """Keras inputs of a spec, by name, in the spec's order (the sequence input first).

    Raises
    ------
    ValueError
        When the spec has no ``sequence`` input or more than one, or repeats a name.
    """
    entries = spec.get("inputs") or default_inputs(spec["seq_length"])
    names = [e.get("name") for e in entries]
    if len(set(names)) != len(names):
        raise ValueError(f"input names repeat: {names}")
    sequences = [e for e in entries if e.get("type") == "sequence"]
    if len(sequences) != 1:
        raise ValueError(f"a spec needs exactly one 'sequence' input, not {len(sequences)}")
    ordered = sequences + [e for e in entries if e.get("type") != "sequence"]
    return {
        e["name"]: keras.Input(input_shape(e, spec["seq_length"]), name=e["name"]) for e in ordered
    }
