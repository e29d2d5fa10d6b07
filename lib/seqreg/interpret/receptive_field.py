"""Receptive fields measured on a model, by perturbation and by gradient (the microglia QTL
report, section 4.3, Figs 14-20), to set beside the field the spec's geometry computes
(:func:`seqreg.models.receptive_field`).

- :func:`perturbation_field`: random one-hot inputs, one base substituted at a chosen
  input position; the mean absolute change of every output position. The output
  positions that change form the span the perturbed base reaches.
- :func:`gradient_field`: the gradient of one output position (summed over its channels)
  with respect to the one-hot input, its absolute value summed over the four bases and
  averaged over random inputs. The input positions where it is non-zero are the field.

Both return a :class:`FieldProfile` whose ``effect`` is meant for a log-scale plot
(:func:`seqreg.plots.field_profiles`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import keras
import numpy as np

from ..sequence.encode import one_hot_codes
from .gradients import gradient

#: an effect counts as a change when above this share of the profile's maximum: 0, any
#: change (outside a convolutional field outputs and gradients are exactly unchanged and
#: zero; inside, float32 sums can lose a far base's tiny effect, so a perturbation's span
#: can fall a few bases short of the gradient's)
RELATIVE_TOLERANCE = 0.0


@dataclass
class FieldProfile:
    """A measured field.

    Attributes
    ----------
    kind
        ``perturbation`` (effect per output position of one input substitution) or
        ``gradient`` (effect per input base on one output position).
    coords
        Base coordinate of each entry of ``effect``: the input base (gradient), or the
        centre base of each output position (perturbation).
    effect
        Mean absolute change (perturbation) or mean absolute gradient (gradient), >= 0.
    position
        The perturbed input base, or the base at the centre of the differentiated output.
    tolerance
        Changes at or below ``tolerance * effect.max()`` count as none.
    """

    kind: Literal["perturbation", "gradient"]
    coords: np.ndarray
    effect: np.ndarray
    position: int
    output_width: int = 1
    tolerance: float = RELATIVE_TOLERANCE

    @property
    def changed(self) -> np.ndarray:
        """Boolean mask of the entries that change."""
        top = float(self.effect.max()) if len(self.effect) else 0.0
        return self.effect > self.tolerance * top if top > 0 else np.zeros(len(self.effect), bool)

    @property
    def span(self) -> tuple[int, int] | None:
        """First and last base coordinate that changes (None when nothing does)."""
        where = np.flatnonzero(self.changed)
        if not len(where):
            return None
        return int(self.coords[where[0]]), int(self.coords[where[-1]])

    @property
    def width(self) -> int:
        """Bases spanned by the changed entries: for a gradient, the input bases from the
        first to the last that matter; for a perturbation, the changed output positions
        times the bases each covers (so binned outputs measure to a bin)."""
        where = np.flatnonzero(self.changed)
        if not len(where):
            return 0
        if self.kind == "gradient":
            return int(self.coords[where[-1]] - self.coords[where[0]] + 1)
        return int((where[-1] - where[0] + 1) * self.output_width)

    def mass_outside(self, half_width: int = 500) -> float:
        """Share of the total effect farther than ``half_width`` bases from ``position``
        (the report's sensitivity beyond the central 1 kb)."""
        total = float(self.effect.sum())
        if total <= 0:
            return float("nan")
        far = np.abs(self.coords - self.position) > half_width
        return float(self.effect[far].sum() / total)


def _output_of(outputs, head: str | None):
    if isinstance(outputs, Mapping):
        if head is None:
            if len(outputs) != 1:
                raise ValueError(f"the model has heads {list(outputs)}; name one with head=")
            return next(iter(outputs.values()))
        return outputs[head]
    if isinstance(outputs, list | tuple):
        return outputs[0] if head is None else outputs[int(head)]
    return outputs


def _inputs(model: keras.Model, onehot, extra: Mapping[str, np.ndarray] | None):
    names = [t.name.split(":")[0] for t in model.inputs] if len(model.inputs) > 1 else None
    if not names:
        return onehot
    batch = onehot.shape[0]
    given = dict(extra or {})
    missing = [n for n in names if n != "sequence" and n not in given]
    if missing:
        raise ValueError(f"the model also takes {missing}; pass them in extra_inputs")
    return {"sequence": onehot, **{
        n: np.tile(np.asarray(given[n], np.float32)[None], (batch,) + (1,) * np.ndim(given[n]))
        for n in given
    }}  # fmt: skip


def _random_onehot(rng: np.random.Generator, repeats: int, seq_length: int) -> np.ndarray:
    return one_hot_codes(rng.integers(0, 4, size=(repeats, seq_length)).astype(np.uint8))


def output_coords(n_outputs: int, seq_length: int, bin_size: int | None = None,
                  crop_bp: int = 0) -> tuple[np.ndarray, int]:  # fmt: skip
    """Centre base of each output position and the bases each covers: per-base outputs
    (``n_outputs == seq_length``), or ``bin_size``-bp bins starting ``crop_bp`` into the
    window (default: the window minus the crop split evenly)."""
    if bin_size is None:
        bin_size = max((seq_length - 2 * crop_bp) // max(n_outputs, 1), 1)
    coords = crop_bp + np.arange(n_outputs) * bin_size + bin_size // 2
    return coords, bin_size


def perturbation_field(model: keras.Model, seq_length: int, position: int, *, repeats: int = 8,
                       seed: int = 0, head: str | None = None, bin_size: int | None = None,
                       crop_bp: int = 0, extra_inputs: Mapping[str, np.ndarray] | None = None,
                       batch_size: int = 8) -> FieldProfile:  # fmt: skip
    """The effect of substituting one base on every output position (the report's
    perturbation receptive field, Figs 16-20).

    Parameters
    ----------
    model
        A Keras model of one-hot ``(batch, seq_length, 4)`` sequence (and any
        ``extra_inputs``, held fixed), run in inference mode.
    position
        The substituted input base (0-based).
    repeats
        Random inputs averaged over; each gets a random different base at ``position``.
    bin_size, crop_bp
        The output geometry (:func:`output_coords`).
    extra_inputs
        Arrays for the model's other inputs, one example each (repeated over the batch).

    Returns
    -------
    FieldProfile
        ``effect``: ``(output positions,)`` mean over repeats of the absolute change summed
        over output channels.

    Raises
    ------
    ValueError
        When ``position`` is outside the input, or the model needs inputs not given.
    """
    if not 0 <= position < seq_length:
        raise ValueError(f"position {position} is outside a {seq_length}-bp input")
    rng = np.random.default_rng(seed)
    codes = rng.integers(0, 4, size=(repeats, seq_length)).astype(np.uint8)
    altered = codes.copy()
    altered[:, position] = (codes[:, position] + rng.integers(1, 4, size=repeats)) % 4
    total = None
    for first in range(0, repeats, batch_size):
        chunk = slice(first, first + batch_size)
        both = one_hot_codes(np.concatenate([codes[chunk], altered[chunk]]))
        out = np.asarray(_output_of(model.predict_on_batch(_inputs(model, both, extra_inputs)),
                                    head), np.float64)  # fmt: skip
        n = len(codes[chunk])
        change = np.abs(out[n:] - out[:n]).sum(axis=-1).sum(axis=0)
        total = change if total is None else total + change
    effect = total / repeats
    coords, width = output_coords(len(effect), seq_length, bin_size, crop_bp)
    return FieldProfile("perturbation", coords, effect, int(position), width)


def gradient_field(model: keras.Model, seq_length: int, output_position: int, *,
                   repeats: int = 8, seed: int = 0, head: str | None = None,
                   bin_size: int | None = None, crop_bp: int = 0,
                   extra_inputs: Mapping[str, np.ndarray] | None = None) -> FieldProfile:  # fmt: skip
    """The gradient of one output position with respect to the input (the report's
    gradient receptive field, Figs 16-18).

    Parameters
    ----------
    output_position
        Index of the output position (a base for per-base models, a bin for binned ones).
    repeats
        Random inputs averaged over.

    Returns
    -------
    FieldProfile
        ``effect``: ``(seq_length,)`` mean over repeats of ``|d output / d input|`` summed
        over the four bases; ``position`` is the output position's centre base.

    Raises
    ------
    ValueError
        When the model needs inputs not given, or ``output_position`` is out of range.
    """
    rng = np.random.default_rng(seed)
    onehot = _random_onehot(rng, repeats, seq_length)

    def fn(x):
        out = _output_of(model(_inputs(model, x, extra_inputs), training=False), head)
        return keras.ops.sum(out[:, output_position, :])

    n_outputs = int(_output_of(model.predict_on_batch(_inputs(model, onehot[:1], extra_inputs)),
                               head).shape[1])  # fmt: skip
    if not 0 <= output_position < n_outputs:
        raise ValueError(f"output position {output_position} is outside {n_outputs} outputs")
    grads = gradient(fn, onehot)
    effect = np.abs(grads).sum(axis=-1).mean(axis=0).astype(np.float64)
    coords, _ = output_coords(n_outputs, seq_length, bin_size, crop_bp)
    return FieldProfile("gradient", np.arange(seq_length), effect, int(coords[output_position]))


def measured_field(model: keras.Model, seq_length: int, output_position: int, *, period: int = 1,
                   repeats: int = 8, seed: int = 0, head: str | None = None,
                   bin_size: int | None = None, crop_bp: int = 0,
                   extra_inputs: Mapping[str, np.ndarray] | None = None) -> dict:  # fmt: skip
    """The field a model's gradient reaches, over ``period`` neighbouring output positions.

    A U-Net's field depends on where an output base falls in the pooling grid: with 3
    levels, the bases of each aligned group of 8 reach different distances left and right.
    The geometry rule (:func:`seqreg.models.trunk_extent`) gives the farthest reach on each
    side over all alignments; this measures it, as the largest left and right reach of the
    gradient fields of ``period`` consecutive outputs (``2**levels`` for a U-Net; 1 for
    binned models, whose bins share one alignment).

    Returns
    -------
    dict
        ``left``, ``right`` (bases reached each side of an output's centre, the largest over
        the period), ``width`` (``left + right + 1``), ``widest_single`` (the largest span of
        one output) and ``profile`` (the :class:`FieldProfile` of ``output_position``).

    Raises
    ------
    ValueError
        As :func:`gradient_field`.
    """
    left = right = widest = 0
    profile = None
    for k in range(period):
        field = gradient_field(model, seq_length, output_position + k, repeats=repeats,
                               seed=seed, head=head, bin_size=bin_size, crop_bp=crop_bp,
                               extra_inputs=extra_inputs)  # fmt: skip
        profile = profile or field
        if field.span is None:
            continue
        lo, hi = field.span
        left, right = max(left, field.position - lo), max(right, hi - field.position)
        widest = max(widest, field.width)
    return {"left": int(left), "right": int(right), "width": int(left + right + 1),
            "widest_single": int(widest), "profile": profile}  # fmt: skip
