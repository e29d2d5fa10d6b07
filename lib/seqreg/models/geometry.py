"""Receptive fields, bins and cropping: the one home of the project's coordinate arithmetic.

An output position of a convolutional chain sees a contiguous span of input bases. An
:class:`Extent` tracks that span as the chain grows: output position ``q`` sees input bases
``q * jump - left`` to ``q * jump + right`` (inclusive), where ``jump`` is the number of
bases between neighbouring output positions (the product of the pooling sizes). Every
registered block (:mod:`seqreg.models.blocks`) declares how it grows an extent; the model
builder, the receptive field of a spec and the edit engine's local/global split
(:mod:`seqreg.interpret.edits`) all use these rules, so a new block cannot report a wrong
receptive field silently.

Bins: a window of ``seq_length`` bases predicts ``(seq_length - 2 * crop_bp) / pool_width``
bins; bin ``b`` covers window bases ``crop_bp + b * pool_width`` to
``crop_bp + (b + 1) * pool_width`` (half open). :func:`target_bins`, :func:`bin_of` and
:func:`crop_of` are the only copies of that arithmetic.

Source: receptive-field recursion of Araujo et al. (2019, Distill) as used for Basenji
(Kelley et al. 2018, Supp. Fig. S4) and Basenji2 (Kelley 2020, Methods).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

import numpy as np

Padding = Literal["same", "valid", "causal"]


@dataclass(frozen=True)
class Extent:
    """Input span of one output position of a chain of layers.

    Attributes
    ----------
    jump
        Bases between neighbouring output positions (product of pooling sizes).
    left, right
        Bases seen left and right of ``position * jump`` (inclusive span).
    whole
        True after a layer that mixes every position (flatten, dense, attention): each
        output then sees the whole input.
    """

    jump: int = 1
    left: int = 0
    right: int = 0
    whole: bool = False

    def receptive_field(self, seq_length: int | None = None) -> int:
        """Bases seen by one output position (``seq_length`` when the extent is whole).

        Raises
        ------
        ValueError
            If the extent is whole and ``seq_length`` is not given.
        """
        if self.whole:
            if seq_length is None:
                raise ValueError("a global layer sees the whole input; pass seq_length")
            return int(seq_length)
        field = self.left + self.right + 1
        return int(min(field, seq_length) if seq_length else field)

    def conv(self, kernel_size: int, dilation_rate: int = 1, padding: Padding = "same") -> Extent:
        """The extent after a stride-1 convolution (Keras ``same`` padding puts the extra
        base of an even kernel on the right; ``causal`` looks left only)."""
        total = (int(kernel_size) - 1) * int(dilation_rate)
        pad_left = total if padding == "causal" else total // 2
        return replace(
            self,
            left=self.left + pad_left * self.jump,
            right=self.right + (total - pad_left) * self.jump,
        )

    def pool(self, pool_size: int) -> Extent:
        """The extent after non-overlapping pooling by ``pool_size`` (stride = size)."""
        pool_size = int(pool_size)
        if pool_size <= 1:
            return self
        return replace(
            self, jump=self.jump * pool_size, right=self.right + (pool_size - 1) * self.jump
        )

    def everything(self) -> Extent:
        """The extent after a layer that mixes all positions."""
        return replace(self, whole=True)


def layer_extent(layers, extent: Extent | None = None) -> Extent:
    """Extent of a chain of Keras layers (convolutions, pooling; others keep it).

    Parameters
    ----------
    layers
        Keras layers in order. ``Conv1D`` must have stride 1 and ``same``/``causal``
        padding; pooling must not overlap.

    Raises
    ------
    ValueError
        For a strided or ``valid`` convolution, or overlapping pooling (their positions
        do not map to input bases by this rule).
    """
    import keras

    extent = extent or Extent()
    for layer in layers:
        if isinstance(layer, keras.layers.Conv1D):
            (kernel,), (dilation,), (stride,) = (
                layer.kernel_size,
                layer.dilation_rate,
                layer.strides,
            )
            if stride != 1 or layer.padding not in ("same", "causal"):
                raise ValueError(
                    f"{layer.name}: only stride-1 'same' or 'causal' convolutions are local"
                )
            extent = extent.conv(kernel, dilation, layer.padding)
        elif isinstance(layer, keras.layers.MaxPooling1D | keras.layers.AveragePooling1D):
            (pool,), (stride,) = layer.pool_size, layer.strides
            if pool != stride:
                raise ValueError(f"{layer.name}: overlapping pooling is not supported")
            extent = extent.pool(pool)
    return extent


# -- bins ------------------------------------------------------------------------------------
def target_bins(seq_length: int, pool_width: int, crop_bp: int = 0) -> int:
    """Number of target bins of a ``seq_length``-base window.

    Raises
    ------
    ValueError
        If ``seq_length - 2 * crop_bp`` is not a positive multiple of ``pool_width``.
    """
    span = seq_length - 2 * crop_bp
    if span <= 0 or span % pool_width:
        raise ValueError(
            f"seq_length {seq_length} - 2 x crop_bp {crop_bp} must be a positive multiple of "
            f"pool_width {pool_width}"
        )
    return span // pool_width


def crop_of(seq_length: int, bins: int, pool_width: int) -> int:
    """Bases cropped from each end of a window that predicts ``bins`` bins (the inverse of
    :func:`target_bins`).

    Raises
    ------
    ValueError
        If the bins do not fit the window with equal crops at both ends.
    """
    crop_bp, leftover = divmod(seq_length - bins * pool_width, 2)
    if crop_bp < 0 or leftover:
        raise ValueError(
            f"{bins} bins of {pool_width} bp do not fit a {seq_length}-bp window evenly"
        )
    return int(crop_bp)


def bin_of(position, pool_width: int, crop_bp: int = 0):
    """Target bin holding window base ``position`` (0-based; int or array). Positions in the
    cropped ends give bins below 0 or at or above the bin count."""
    return (np.asarray(position) - crop_bp) // pool_width


def bin_start(bins, pool_width: int, crop_bp: int = 0):
    """First window base of target bin ``bins`` (int or array), the inverse of :func:`bin_of`."""
    return np.asarray(bins) * pool_width + crop_bp


def variant_reach(seq_length: int, crop_bp: int, stride: int) -> int:
    """Farthest distance, in bases, from a variant to a position that every window scoring
    it predicts.

    Variant windows are centred every ``stride`` bases and a variant is scored in the
    window whose centre is nearest (at most ``stride / 2`` away), so a TSS within this
    distance of the variant always falls in a predicted (uncropped) bin.
    """
    return seq_length // 2 - crop_bp - stride // 2
