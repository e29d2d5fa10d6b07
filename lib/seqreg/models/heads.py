"""Output heads by name: the last layer of a model and the range of its predictions.

A spec's ``heads`` maps an output name (a genome for Basenji, ``cells`` for multi-label
accessibility) to ``{"type": str, "units": int}`` or to a bare ``int`` (a softplus head of
that many tracks). Each head is a width-1 convolution on ``(batch, positions, channels)``
or a dense layer on ``(batch, features)``, computed in float32:

- ``softplus``: non-negative counts per bin, for Poisson-type losses (Basenji, one head
  per genome in Basenji2).
- ``sigmoid``: probabilities of several binary labels (Basset, DeepSEA, ChromDragoNN).
- ``per_base_sigmoid``: a probability per input base (Leopard-style U-Nets); the trunk
  must keep the sequence length.
- ``logits``: unbounded values (for losses that take logits).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from keras import layers

HEADS: dict[str, str | None] = {
    "softplus": "softplus",
    "sigmoid": "sigmoid",
    "per_base_sigmoid": "sigmoid",
    "logits": None,
}


def normalise_head(name: str, head: int | dict[str, Any]) -> dict[str, Any]:
    """``{"type", "units"}`` of one head entry (a bare int is a softplus head).

    Raises
    ------
    ValueError
        For an unknown head type, unknown keys or a non-positive ``units``.
    """
    if isinstance(head, int) and not isinstance(head, bool):
        head = {"type": "softplus", "units": head}
    if not isinstance(head, dict):
        raise ValueError(f"head {name!r}: give the number of tracks or {{'type', 'units'}}")
    unknown = set(head) - {"type", "units"}
    if unknown:
        raise ValueError(
            f"head {name!r} has no setting {sorted(unknown)[0]!r}; it takes type, units"
        )
    kind = head.get("type", "softplus")
    if kind not in HEADS:
        raise ValueError(f"head {name!r}: unknown type {kind!r}; choose one of {', '.join(HEADS)}")
    units = int(head.get("units", 0))
    if units < 1:
        raise ValueError(f"head {name!r} needs 'units' >= 1")
    return {"type": kind, "units": units}


def build_head(x, name: str, head: dict[str, Any], seq_length: int) -> Any:
    """Apply head ``head`` (normalised) named ``name`` to the trunk output ``x``.

    Returns ``(batch, positions, units)`` for a rank-3 trunk, ``(batch, units)`` for a flat
    one.

    Raises
    ------
    ValueError
        For a ``per_base_sigmoid`` head on a trunk that does not keep ``seq_length``.
    """
    kind = head["type"]
    activation = HEADS[kind]
    if kind == "per_base_sigmoid" and (len(x.shape) != 3 or x.shape[1] != seq_length):
        raise ValueError(
            f"head {name!r}: per_base_sigmoid needs a trunk of {seq_length} positions, "
            f"not shape {tuple(x.shape[1:])}"
        )
    layer: Callable
    if len(x.shape) == 3:
        layer = layers.Conv1D(
            head["units"], 1, activation=activation, dtype="float32", name=f"head_{name}"
        )
    else:
        layer = layers.Dense(
            head["units"], activation=activation, dtype="float32", name=f"head_{name}"
        )
    return layer(x)
