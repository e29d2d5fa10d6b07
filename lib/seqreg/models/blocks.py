"""Block registry: every trunk block is a builder plus the rule for how it grows the
receptive field.

A block builder takes the running tensor ``x`` (``(batch, length, channels)`` or, after
``flatten``, ``(batch, features)``) and its keyword arguments, and returns the new tensor.
Builders have explicit keyword arguments only, so :func:`seqreg.models.build_model` can
reject a misspelt key by name; global spec defaults (activation, normalisation) are given
to the blocks that accept them. Each block is registered with a ``geometry`` rule
``(extent, **arguments) -> extent`` (:class:`seqreg.models.geometry.Extent`) that uses the
same defaults as the builder (read from its signature), so the receptive field of a spec
is computed from the one place that also builds it.

Registered: ``conv_block`` (Basenji 2018 and 2019, Basset, DeepSEA), ``conv_tower`` and ``final``,
``dilated_dense`` (Basenji 2018 densely connected dilations), ``dilated_residual``
(Basenji2), ``residual_conv`` (ChromDragoNN's ResNet), ``cropping``, ``flatten``, ``dense`` and ``concat`` (joins named inputs such as
TF expression or per-base channels into the trunk), ``unet`` (Leopard).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from keras import layers

from .geometry import Extent


@dataclass(frozen=True)
class Block:
    """A registered block: its builder, geometry rule and accepted keyword arguments."""

    name: str
    builder: Callable
    geometry: Callable[..., Extent]
    accepts: frozenset[str]
    takes_inputs: bool

    def arguments(self, given: dict[str, Any], where: str = "") -> dict[str, Any]:
        """``given`` checked against the builder's keywords, with the builder's defaults.

        Raises
        ------
        TypeError
            Naming the block and the key when ``given`` holds a key the block does not take,
            or lacks a required one.
        """
        unknown = sorted(set(given) - self.accepts)
        if unknown:
            raise TypeError(
                f"block {self.name!r}{where} has no argument {unknown[0]!r}; it takes "
                f"{', '.join(sorted(self.accepts))}"
            )
        signature = inspect.signature(self.builder)
        missing = [
            p.name
            for p in list(signature.parameters.values())[1:]
            if p.default is inspect.Parameter.empty and p.name not in given and p.name != "others"
        ]
        if missing:
            raise TypeError(f"block {self.name!r}{where} needs argument {missing[0]!r}")
        return {
            **{
                p.name: p.default
                for p in list(signature.parameters.values())[1:]
                if p.default is not inspect.Parameter.empty
            },
            **given,
        }


BLOCKS: dict[str, Block] = {}


def register_block(name: str, *, geometry: Callable[..., Extent] | None):
    """Decorator adding a block builder to :data:`BLOCKS` with its receptive-field rule.

    Parameters
    ----------
    name
        The name specs use (``{"name": name, ...}``).
    geometry
        ``rule(extent, **arguments) -> Extent``: how the block grows an input extent, given
        every argument of the builder (defaults filled in).

    Raises
    ------
    TypeError
        If ``geometry`` is missing (a block must say how it grows the receptive field) or the
        builder takes ``**kwargs`` (misspelt keys would be swallowed).
    """

    def wrap(builder: Callable) -> Callable:
        if geometry is None:
            raise TypeError(f"block {name!r} has no geometry rule; register it with one")
        parameters = list(inspect.signature(builder).parameters.values())[1:]
        if any(p.kind in (p.VAR_KEYWORD, p.VAR_POSITIONAL) for p in parameters):
            raise TypeError(f"block {name!r}: builders take explicit keyword arguments only")
        accepts = frozenset(p.name for p in parameters if p.name != "others")
        takes_inputs = any(p.name == "others" for p in parameters)
        BLOCKS[name] = Block(name, builder, geometry, accepts, takes_inputs)
        return builder

    return wrap


def get_block(name: str) -> Block:
    """The registered block ``name``.

    Raises
    ------
    KeyError
        Naming the block and the registered ones.
    """
    if name not in BLOCKS:
        raise KeyError(f"unknown block {name!r}; registered: {', '.join(sorted(BLOCKS))}")
    return BLOCKS[name]


def _activate(x, activation: str):
    return layers.Activation(activation)(x) if activation else x


# -- Basenji blocks --------------------------------------------------------------------------
PADDINGS = ("same", "valid")


def _conv_block_extent(extent: Extent, *, kernel_size, dilation_rate, pool_size, padding,
                       **_) -> Extent:  # fmt: skip
    if padding not in PADDINGS:
        raise ValueError(f"conv_block: unknown padding {padding!r}; choose 'same' or 'valid'")
    if padding == "valid":
        # output position q sees input positions q .. q + (kernel_size - 1) * dilation_rate:
        # the span of "same" padding, shifted to start at q (so the receptive field is equal)
        reach = (int(kernel_size) - 1) * int(dilation_rate) * extent.jump
        return replace(extent, right=extent.right + reach).pool(pool_size)
    return extent.conv(kernel_size, dilation_rate).pool(pool_size)


@register_block("conv_block", geometry=_conv_block_extent)
def conv_block(x, filters: int, kernel_size: int = 1, pool_size: int = 1, dilation_rate: int = 1,
               dropout: float = 0.0, activation: str = "relu", pre_activation: bool = True,
               bn_momentum: float = 0.9, padding: str = "same", batch_norm: bool = True,
               dropout_after_pool: bool = False):  # fmt: skip
    """Convolution with batch norm, activation, dropout and max pooling.

    ``pre_activation`` (Basenji2): activation -> conv -> batch norm; otherwise (Basenji
    2018, Basset): conv -> batch norm -> activation. ``(batch, length, channels)`` in,
    ``(batch, length / pool_size, filters)`` out (``padding="same"``); ``kernel_size`` and
    ``dilation_rate`` in positions of the input.

    Parameters
    ----------
    padding
        ``"same"`` (the default) keeps the length through the convolution and pools in
        ceil mode (``ceil(length / pool_size)``, the output lengths of Torch's
        ``ceil_mode`` pooling, as in Basset; Keras centres the padding where Torch pads
        the end). ``"valid"`` (DeepSEA) drops the edges:
        ``length - (kernel_size - 1) * dilation_rate`` after the convolution, then
        ``floor(... / pool_size)``. The receptive field is the same for both.
    batch_norm
        False: the convolution gets a bias and no batch normalisation follows (DeepSEA).
    dropout_after_pool
        Apply dropout after the pooling (DeepSEA) instead of before it (Basenji); the two
        orders differ in training only.

    Raises
    ------
    ValueError
        For a ``padding`` other than ``"same"`` or ``"valid"``.
    """
    if padding not in PADDINGS:
        raise ValueError(f"conv_block: unknown padding {padding!r}; choose 'same' or 'valid'")
    if pre_activation:
        x = _activate(x, activation)
    x = layers.Conv1D(
        filters, kernel_size, padding=padding, dilation_rate=dilation_rate, use_bias=not batch_norm
    )(x)
    if batch_norm:
        x = layers.BatchNormalization(momentum=bn_momentum)(x)
    if not pre_activation:
        x = _activate(x, activation)
    if dropout and not dropout_after_pool:
        x = layers.Dropout(dropout)(x)
    if pool_size > 1:
        x = layers.MaxPooling1D(pool_size, padding=padding)(x)
    if dropout and dropout_after_pool:
        x = layers.Dropout(dropout)(x)
    return x


def tower_filters(filters_init: int, filters_end: int | None, filters_mult: float | None,
                  repeat: int) -> list[int]:  # fmt: skip
    """Filters of each conv block of a tower: geometric growth from ``filters_init``, by
    ``filters_mult`` or so as to reach ``filters_end`` after ``repeat`` blocks."""
    if filters_mult is None:
        filters_mult = (
            (filters_end / filters_init) ** (1 / max(repeat - 1, 1)) if filters_end else 1.0
        )
    out, filters = [], float(filters_init)
    for _ in range(repeat):
        out.append(round(filters))
        filters *= filters_mult
    return out


def _conv_tower_extent(extent: Extent, *, repeat, kernel_size, pool_size, **_) -> Extent:
    for _ in range(repeat):
        extent = extent.conv(kernel_size).pool(pool_size)
    return extent


@register_block("conv_tower", geometry=_conv_tower_extent)
def conv_tower(x, filters_init: int, filters_end: int | None = None, filters_mult: float | None = None,
               repeat: int = 1, kernel_size: int = 5, pool_size: int = 2, dropout: float = 0.0,
               activation: str = "relu", pre_activation: bool = True, bn_momentum: float = 0.9):  # fmt: skip
    """``repeat`` conv blocks (width ``kernel_size``, each pooling by ``pool_size``) whose
    filters grow geometrically (:func:`tower_filters`). ``(batch, length, channels)`` in,
    ``(batch, length / pool_size**repeat, filters)`` out."""
    for filters in tower_filters(filters_init, filters_end, filters_mult, repeat):
        x = conv_block(x, filters, kernel_size, pool_size, dropout=dropout, activation=activation,
                       pre_activation=pre_activation, bn_momentum=bn_momentum)  # fmt: skip
    return x


def dilation_rates(repeat: int, rate_mult: float, first: float) -> list[int]:
    """Dilation of each layer of a dilated stack: ``first``, then multiplied by ``rate_mult``
    per layer, rounded."""
    rates, rate = [], float(first)
    for _ in range(repeat):
        rates.append(round(rate))
        rate *= rate_mult
    return rates


def _dilated_extent(first: float):
    def rule(extent: Extent, *, repeat, kernel_size, rate_mult, **_) -> Extent:
        for rate in dilation_rates(repeat, rate_mult, first(rate_mult)):
            extent = extent.conv(kernel_size, rate)
        return extent

    return rule


@register_block("dilated_dense", geometry=_dilated_extent(lambda mult: mult))
def dilated_dense(x, filters: int, repeat: int, kernel_size: int = 3, rate_mult: float = 2.0,
                  dropout: float = 0.0, activation: str = "relu", pre_activation: bool = True,
                  bn_momentum: float = 0.9):  # fmt: skip
    """Basenji 2018: dilated convolutions whose inputs are all previous layers' outputs
    concatenated (densely connected); the dilation starts at ``rate_mult`` and multiplies
    by it each layer. ``(batch, length, c)`` in, ``(batch, length, c + repeat * filters)`` out."""
    for rate in dilation_rates(repeat, rate_mult, rate_mult):
        y = conv_block(x, filters, kernel_size, dilation_rate=rate, dropout=dropout,
                       activation=activation, pre_activation=pre_activation,
                       bn_momentum=bn_momentum)  # fmt: skip
        x = layers.Concatenate()([x, y])
    return x


@register_block("dilated_residual", geometry=_dilated_extent(lambda mult: 1.0))
def dilated_residual(x, filters: int, repeat: int, kernel_size: int = 3, rate_mult: float = 1.5,
                     dropout: float = 0.0, activation: str = "relu", pre_activation: bool = True,
                     bn_momentum: float = 0.9):  # fmt: skip
    """Basenji2: residual blocks of a dilated width-``kernel_size`` convolution to
    ``filters`` and a width-1 convolution back to the trunk width; the dilation starts at 1
    and grows by ``rate_mult``. Shape ``(batch, length, channels)`` is kept."""
    channels = x.shape[-1]
    common = {
        "activation": activation,
        "pre_activation": pre_activation,
        "bn_momentum": bn_momentum,
    }
    for rate in dilation_rates(repeat, rate_mult, 1.0):
        y = conv_block(x, filters, kernel_size, dilation_rate=rate, **common)
        y = conv_block(y, channels, 1, dropout=dropout, **common)
        x = layers.Add()([x, y])
    return x


def _residual_conv_extent(extent: Extent, *, kernel_sizes, pool_size, **_) -> Extent:
    for kernel_size in kernel_sizes:
        extent = extent.conv(kernel_size)
    return extent.pool(pool_size)


@register_block("residual_conv", geometry=_residual_conv_extent)
def residual_conv(x, filters: int, kernel_sizes: list[int], pool_size: int = 1,
                  activation: str = "relu", bn_momentum: float = 0.9):  # fmt: skip
    """A residual block of ChromDragoNN's ResNet (Nair et al. 2019; ``model_zoo/stage1/
    resnet.py`` of kundajelab/ChromDragoNN): one same-padded convolution of ``filters``
    channels per width in ``kernel_sizes`` (no bias), each followed by batch norm and,
    except the last, by the activation; the block's input is added to the last batch norm's
    output and the activation applied to the sum; then max pooling by ``pool_size``
    (ceil mode, as :func:`conv_block`; 1 for none).

    ``(batch, length, filters)`` in, ``(batch, ceil(length / pool_size), filters)`` out.
    ChromDragoNN's blocks have two convolutions (widths 3 and 3, or 7 and 7) or three
    (7, 3, 3); its max pooling follows the last block of a group.

    Raises
    ------
    ValueError
        When the input does not have ``filters`` channels (the identity shortcut needs
        them), or ``kernel_sizes`` is empty.
    """
    channels = x.shape[-1]
    if channels != filters:
        raise ValueError(
            f"block 'residual_conv': the input has {channels} channels but filters is "
            f"{filters}; the identity shortcut needs them equal (put a conv_block of "
            f"{filters} filters before it)"
        )
    if not kernel_sizes:
        raise ValueError("block 'residual_conv': kernel_sizes is empty")
    y = x
    for index, kernel_size in enumerate(kernel_sizes):
        y = layers.Conv1D(filters, int(kernel_size), padding="same", use_bias=False)(y)
        y = layers.BatchNormalization(momentum=bn_momentum)(y)
        if index < len(kernel_sizes) - 1:
            y = _activate(y, activation)
    x = _activate(layers.Add()([x, y]), activation)
    if pool_size > 1:
        x = layers.MaxPooling1D(pool_size, padding="same")(x)
    return x


@register_block("cropping", geometry=lambda extent, **_: extent)
def cropping(x, crop: int):
    """Drop ``crop`` positions from each end (their receptive fields run off the sequence).
    ``(batch, length, c)`` in, ``(batch, length - 2 * crop, c)`` out."""
    return layers.Cropping1D(crop)(x) if crop else x


@register_block("final", geometry=lambda extent, **_: extent)
def final(x, filters: int, dropout: float = 0.0, activation: str = "gelu",
          pre_activation: bool = True, bn_momentum: float = 0.9):  # fmt: skip
    """Width-1 convolution before the heads (then the activation, as in Basenji2).
    ``(batch, length, c)`` in, ``(batch, length, filters)`` out."""
    x = conv_block(x, filters, 1, dropout=dropout, activation=activation,
                   pre_activation=pre_activation, bn_momentum=bn_momentum)  # fmt: skip
    return _activate(x, activation) if pre_activation else x


# -- general blocks --------------------------------------------------------------------------
@register_block("flatten", geometry=lambda extent, **_: extent.everything())
def flatten(x):
    """``(batch, length, c)`` to ``(batch, length * c)`` (Basset and DeepSEA before their
    dense layers); every feature then depends on the whole sequence."""
    return layers.Flatten()(x)


@register_block("dense", geometry=lambda extent, **_: extent.everything())
def dense(x, units: int, dropout: float = 0.0, activation: str = "relu", batch_norm: bool = True,
          bn_momentum: float = 0.9):  # fmt: skip
    """Fully connected layer, batch norm, activation and dropout on ``(batch, features)``
    (or on the channels of ``(batch, length, c)``, position-wise)."""
    x = layers.Dense(units, use_bias=not batch_norm)(x)
    if batch_norm:
        x = layers.BatchNormalization(momentum=bn_momentum)(x)
    x = _activate(x, activation)
    if dropout:
        x = layers.Dropout(dropout)(x)
    return x


def _concat_extent(extent: Extent, *, inputs, **_) -> Extent:
    return extent


@register_block("concat", geometry=_concat_extent)
def concat(x, others: list, inputs: list[str]):
    """Join named inputs (``inputs``, names from the spec's ``inputs``) to ``x``.

    Per-base channels ``(batch, length, c)`` are concatenated along channels; a vector
    ``(batch, n)`` is concatenated to ``(batch, features)``, or repeated along the length
    of ``(batch, length, c)``. The extent is unchanged: a per-sample vector adds no
    sequence positions, and per-base channels are aligned with the sequence.

    Raises
    ------
    ValueError
        When a per-base input's length differs from the trunk's, or a per-base input
        meets a flat trunk.
    """
    parts = [x]
    for name, tensor in zip(inputs, others, strict=True):
        if len(x.shape) == 3 and len(tensor.shape) == 2:
            length = x.shape[1]
            tensor = layers.RepeatVector(length, name=f"repeat_{name}")(tensor)
        elif len(x.shape) == 3 and tensor.shape[1] != x.shape[1]:
            raise ValueError(
                f"block 'concat': input {name!r} has {tensor.shape[1]} positions where the "
                f"trunk has {x.shape[1]}; join per-base inputs before pooling"
            )
        elif len(x.shape) == 2 and len(tensor.shape) == 3:
            raise ValueError(f"block 'concat': input {name!r} is per-base but the trunk is flat")
        parts.append(tensor)
    return layers.Concatenate(axis=-1)(parts)


# -- Leopard U-Net -----------------------------------------------------------------------------
def unet_widths(filters_init: int, levels: int, mult: float) -> tuple[list[int], list[int]]:
    """Filters of the U-Net's down levels (the first level's, then ``int(previous * mult)``
    per pooling) and up levels (``int(previous / mult)`` from the bottleneck): Leopard's
    15, 22, 33, 49, 73, 109 and 72, 48, 32, 21, 14."""
    down = [int(filters_init)]
    for _ in range(levels):
        down.append(int(down[-1] * mult))
    up, n = [], down[-1]
    for _ in range(levels):
        n = int(n / mult)
        up.append(n)
    return down, up


def _unet_extent(extent: Extent, *, levels, kernel_size, **_) -> Extent:
    """The deepest path of the U (the skips see less): two convolutions per level on the
    way down, pooling by 2 between levels, and on the way up a stride-2 transposed
    convolution (an output base reads bottleneck position ``p // 2``, up to half a step to
    its left) followed by two convolutions."""
    for level in range(levels + 1):
        if level:
            extent = extent.pool(2)
        extent = extent.conv(kernel_size).conv(kernel_size)
    for _ in range(levels):
        half = extent.jump // 2
        extent = replace(extent, jump=half, left=extent.left + half)
        extent = extent.conv(kernel_size).conv(kernel_size)
    return extent


@register_block("unet", geometry=_unet_extent)
def unet(x, filters_init: int = 15, levels: int = 5, kernel_size: int = 7, mult: float = 1.5,
         activation: str = "relu", bn_momentum: float = 0.99):  # fmt: skip
    """A 1-D U-Net (Leopard, Li & Guan 2021; ``code_1bp/unet.py``): per level two
    convolutions of width ``kernel_size`` (activation, then batch norm) and max pooling by
    2 on the way down; on the way up a stride-2 transposed convolution, concatenation with
    the skip of the same level and two convolutions. ``(batch, length, channels)`` in,
    ``(batch, length, up_widths[-1])`` out; ``length`` must be divisible by ``2**levels``.

    Raises
    ------
    ValueError
        When the input length is not divisible by ``2**levels``.
    """
    length = x.shape[1]
    if length is not None and length % (2**levels):
        raise ValueError(f"unet: input length {length} is not divisible by 2**{levels}")
    down, up = unet_widths(filters_init, levels, mult)

    def convs(x, n):
        for _ in range(2):
            x = layers.Conv1D(n, kernel_size, padding="same", activation=activation or None)(x)
            x = layers.BatchNormalization(momentum=bn_momentum)(x)
        return x

    skips = []
    x = convs(x, down[0])
    for n in down[1:]:
        skips.append(x)
        x = convs(layers.MaxPooling1D(2)(x), n)
    for n, skip in zip(up, reversed(skips), strict=True):
        x = layers.Conv1DTranspose(n, 2, strides=2)(x)
        x = convs(layers.Concatenate()([x, skip]), n)
    return x
