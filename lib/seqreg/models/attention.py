"""An Enformer-like attention model: attention pooling, relative-position multi-head
attention and the blocks that assemble them.

Source: Enformer (Avsec et al. 2021, Nature Methods 18:1196), DeepMind's ``enformer.py``
(stem, conv tower, transformer, final pointwise) and ``attention_module.py``
(``MultiheadAttention`` with relative positions, ``relative_shift`` and the positional
basis functions), shrunk by the ``attention`` preset of :mod:`seqreg.project.scales`. The
microglia QTL report (section 4.3) uses such a model to compare receptive fields: an
attention layer lets every output bin see the whole input.

Layers: :class:`SoftmaxPooling1D` (Enformer's attention pooling) and
:class:`RelativeMultiHeadAttention`. Functions: :func:`relative_shift`,
:func:`positional_features`, :func:`exponential_linspace_int` and :func:`sigmoid_gelu`.
Registered blocks (:mod:`seqreg.models.blocks`): ``attention_stem``, ``attention_tower``,
``transformer`` (sees every position: its geometry is ``Extent.everything``) and
``attention_final``. Everything uses ``keras.ops`` and ``keras.layers`` only, so it runs on
the TensorFlow and JAX backends.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops
from scipy.special import gammaln, xlogy

from .blocks import register_block
from .geometry import Extent

#: basis-function classes of the relative positions (exponential, central mask, gamma),
#: each with a copy multiplied by ``sign(distance)``: the feature size must divide by this
BASIS_CLASSES = 6


# -- functions -------------------------------------------------------------------------------
@keras.saving.register_keras_serializable("seqreg")
def sigmoid_gelu(x):
    """Enformer's GELU approximation ``x * sigmoid(1.702 x)`` (``enformer.py``, ``gelu``)."""
    return x * ops.sigmoid(1.702 * x)


def exponential_linspace_int(
    start: float, end: float, num: int, divisible_by: int = 1
) -> list[int]:
    """``num`` integers growing geometrically from ``start`` to ``end``, each rounded to a
    multiple of ``divisible_by`` (Enformer's conv-tower filters, ``enformer.py``).

    Value ``i`` is ``start * (end / start) ** (i / (num - 1))`` rounded to the nearest
    multiple of ``divisible_by``; e.g. ``(768, 1536, 6, 128)`` gives 768, 896, 1024, 1152,
    1280, 1536.

    Raises
    ------
    ValueError
        If ``num`` or ``divisible_by`` is below 1, or ``start`` or ``end`` is not positive.
    """
    if num < 1 or divisible_by < 1 or start <= 0 or end <= 0:
        raise ValueError(
            f"exponential_linspace_int: needs num >= 1, divisible_by >= 1 and positive ends, "
            f"not start={start}, end={end}, num={num}, divisible_by={divisible_by}"
        )

    def rounded(value: float) -> int:
        return int(np.round(value / divisible_by) * divisible_by)

    if num == 1:
        return [rounded(start)]
    base = np.exp(np.log(end / start) / (num - 1))
    return [rounded(start * base**i) for i in range(num)]


def relative_shift(x):
    """Transformer-XL relative shift: logits by relative distance to logits by key position.

    Pads one zero column at the front of the last axis (``(B, H, T, 2T)``), reshapes to
    ``(B, H, 2T, T)``, drops the first row, reshapes to ``(B, H, T, 2T - 1)`` and keeps the
    first ``T`` columns (``attention_module.py``, ``relative_shift``). With column ``m`` of
    the input standing for distance ``m - (T - 1)``, the result is::

        out[..., i, j] == x[..., i, j - i + T - 1]

    i.e. query ``i`` and key ``j`` get the logit of distance ``j - i``.

    Parameters
    ----------
    x
        ``(batch, heads, T, 2T - 1)``, static ``heads`` and ``T``.

    Returns
    -------
    ``(batch, heads, T, T)``.

    Raises
    ------
    ValueError
        If ``x`` is not rank 4 or its last axis is not ``2T - 1``.
    """
    shape = tuple(x.shape)
    if len(shape) != 4:
        raise ValueError(f"relative_shift: needs (batch, heads, T, 2T - 1), not shape {shape}")
    heads, length, distances = shape[1], shape[2], shape[3]
    if distances != 2 * length - 1:
        raise ValueError(f"relative_shift: last axis {distances} is not 2T - 1 = {2 * length - 1}")
    x = ops.pad(x, [(0, 0), (0, 0), (0, 0), (1, 0)])
    x = ops.reshape(x, (-1, heads, 2 * length, length))
    x = x[:, :, 1:, :]
    x = ops.reshape(x, (-1, heads, length, 2 * length - 1))
    return x[:, :, :, :length]


def positional_features(seq_length: int, feature_size: int) -> np.ndarray:
    """Enformer's relative-position features of distances ``-(T - 1) .. T - 1``.

    Three basis classes of ``F / 6`` features each, of ``|d|`` (``attention_module.py``,
    ``positional_features_all`` with its exponential, central-mask and gamma functions, not
    symmetric):

    - exponential: ``exp(-ln 2 / h * |d|)``, half-lives ``h = 2 ** linspace(3, log2 T)``;
    - central mask: 1 where ``w > |d|``, widths ``w = 2 ** (1 .. F / 6) - 1``;
    - gamma: the gamma density of ``|d|`` with means ``linspace(T / (F / 6), T)`` and
      standard deviation ``T / (2 F / 6)``, plus ``1e-8``, divided by its global maximum
      over all features and distances.

    The ``F / 2`` features are followed by their copies times ``sign(d)``: the first half
    is even in ``d``, the second odd.

    Parameters
    ----------
    seq_length
        ``T``, the number of positions attended over.
    feature_size
        ``F``, a multiple of 6.

    Returns
    -------
    np.ndarray
        ``(2T - 1, F)`` float32; row ``m`` is distance ``m - (T - 1)``.

    Raises
    ------
    ValueError
        If ``feature_size`` is not a positive multiple of 6 or ``seq_length`` is below 1.
    """
    if feature_size < BASIS_CLASSES or feature_size % BASIS_CLASSES:
        raise ValueError(
            f"relative-position features: {feature_size} is not a positive multiple of "
            f"{BASIS_CLASSES} (3 basis functions and their signed copies)"
        )
    if seq_length < 1:
        raise ValueError(f"relative-position features: seq_length {seq_length} < 1")
    n = feature_size // BASIS_CLASSES
    length = float(seq_length)
    distance = np.arange(-seq_length + 1, seq_length, dtype=np.float64)
    d = np.abs(distance)[:, None]

    half_life = 2.0 ** np.linspace(3.0, np.log2(length), n)
    exponential = np.exp(-np.log(2.0) / half_life * d)

    widths = 2.0 ** np.arange(1, n + 1) - 1
    central = (widths > d).astype(np.float64)

    stddev = length / (2 * n)
    mean = np.linspace(length / n, length, n)
    concentration = (mean / stddev) ** 2
    rate = mean / stddev**2
    log_density = xlogy(concentration - 1, d) - rate * d
    log_density -= gammaln(concentration) - concentration * np.log(rate)
    gamma = np.exp(log_density) + 1e-8
    gamma /= gamma.max()

    features = np.concatenate([exponential, central, gamma], axis=1)
    return np.concatenate([features, np.sign(distance)[:, None] * features], axis=1).astype(
        np.float32
    )


# -- layers ----------------------------------------------------------------------------------
@keras.saving.register_keras_serializable("seqreg")
class SoftmaxPooling1D(keras.layers.Layer):
    """Attention pooling (Enformer's ``SoftmaxPooling1D``, ``enformer.py``).

    Non-overlapping windows of ``pool_size`` positions are summed with softmax weights over
    the window, from logits ``x @ W`` (no bias). ``W`` is ``(C, C)`` per channel (or
    ``(C, 1)``, one weight shared by all channels) and starts at ``w_init_scale`` times the
    identity, so at initialisation channel ``c`` is pooled with weights
    ``softmax(w_init_scale * x[..., c])`` (between average and max pooling).

    ``(batch, length, C)`` in, ``(batch, length / pool_size, C)`` out.

    Raises
    ------
    ValueError
        At build, if the length is unknown or not divisible by ``pool_size``.
    """

    def __init__(self, pool_size: int = 2, per_channel: bool = True, w_init_scale: float = 2.0,
                 **kwargs):  # fmt: skip
        super().__init__(**kwargs)
        self.pool_size = int(pool_size)
        self.per_channel = bool(per_channel)
        self.w_init_scale = float(w_init_scale)

    def build(self, input_shape):
        """Create the ``(C, C)`` (or ``(C, 1)``) logit kernel.

        Raises
        ------
        ValueError
            If the length is unknown or not divisible by ``pool_size``.
        """
        length, channels = input_shape[1], input_shape[-1]
        if length is None or length % self.pool_size:
            raise ValueError(
                f"{self.name}: length {length} is not divisible by pool size {self.pool_size}"
            )
        self.kernel = self.add_weight(
            shape=(channels, channels if self.per_channel else 1),
            initializer=keras.initializers.Identity(gain=self.w_init_scale),
            name="logit_kernel",
        )

    def call(self, x):
        length, channels = x.shape[1], x.shape[-1]
        logits = ops.matmul(x, self.kernel)
        windows = (-1, length // self.pool_size, self.pool_size)
        x = ops.reshape(x, (*windows, channels))
        logits = ops.reshape(logits, (*windows, logits.shape[-1]))
        return ops.sum(x * ops.softmax(logits, axis=2), axis=2)

    def compute_output_shape(self, input_shape):
        """``(batch, length / pool_size, C)``."""
        batch, length, channels = input_shape
        return (batch, None if length is None else length // self.pool_size, channels)

    def get_config(self):
        return {
            **super().get_config(),
            "pool_size": self.pool_size,
            "per_channel": self.per_channel,
            "w_init_scale": self.w_init_scale,
        }


@keras.saving.register_keras_serializable("seqreg")
class RelativeMultiHeadAttention(keras.layers.Layer):
    """Multi-head self-attention with Transformer-XL relative positions (Enformer's
    ``MultiheadAttention``, ``attention_module.py``).

    Per head ``h`` with queries ``q = x Wq`` scaled by ``key_size ** -0.5``, keys
    ``k = x Wk``, values ``v = x Wv`` (no biases, ``VarianceScaling(2)``) and relative keys
    ``r = P Wr`` of the positional features ``P`` (:func:`positional_features`, ``(2T - 1,
    F)``, with dropout ``positional_dropout`` in training)::

        logits = (q + u) k^T + relative_shift((q + w) r^T)

    with learned biases ``u`` (``r_w_bias``) and ``w`` (``r_r_bias``), ``(heads, 1,
    key_size)``, starting at zero. The softmax weights (dropout ``attention_dropout`` in
    training) average the values; the heads are concatenated and projected to
    ``heads * value_size`` channels by a dense layer whose kernel and bias start at zero, so
    the layer outputs zeros at initialisation (a residual block around it starts as the
    identity).

    ``(batch, T, C)`` in, ``(batch, T, heads * value_size)`` out (``C`` with the default
    ``value_size``). ``T`` must be static: the positional features are computed once, in
    NumPy, when the layer is built.

    Parameters
    ----------
    heads, key_size
        Number of heads and the size of each head's queries and keys.
    value_size
        Size of each head's values; default ``C / heads``.
    relative_features
        ``F``, the number of positional features; default ``C / heads``. Must be a multiple
        of 6.
    attention_dropout, positional_dropout
        Dropout of the attention weights and of the positional features (Enformer: 0.05 and
        0.01).

    Raises
    ------
    ValueError
        If ``relative_features`` (given, or ``C / heads`` at build) is not a positive
        multiple of 6, or at build if ``T`` is unknown.
    """

    def __init__(self, heads: int, key_size: int, value_size: int | None = None,
                 relative_features: int | None = None, attention_dropout: float = 0.05,
                 positional_dropout: float = 0.01, **kwargs):  # fmt: skip
        super().__init__(**kwargs)
        self.heads = int(heads)
        self.key_size = int(key_size)
        self.value_size = None if value_size is None else int(value_size)
        self.relative_features = None if relative_features is None else int(relative_features)
        if self.relative_features is not None:
            _check_features(self.relative_features)
        self.attention_dropout = float(attention_dropout)
        self.positional_dropout = float(positional_dropout)
        self._attention_dropout = keras.layers.Dropout(self.attention_dropout)
        self._positional_dropout = keras.layers.Dropout(self.positional_dropout)

    def build(self, input_shape):
        """Create the projections and biases, and compute the positional features of ``T``.

        Raises
        ------
        ValueError
            If ``T`` is unknown, or the feature size (``C / heads`` by default) is not a
            positive multiple of 6.
        """
        length, channels = input_shape[1], input_shape[-1]
        if length is None:
            raise ValueError(f"{self.name}: needs a static sequence length")
        heads, key = self.heads, self.key_size
        value = self.value_size or channels // heads
        features = self.relative_features or channels // heads
        _check_features(features, f" (C / heads = {channels} / {heads})")
        self._value = value
        self._features = positional_features(length, features)
        init = keras.initializers.VarianceScaling(2.0)

        def linear(units, name, **options):
            options = {"use_bias": False, "kernel_initializer": init, **options}
            return keras.layers.Dense(units, name=name, **options)

        self.q_layer = linear(heads * key, "q_layer")
        self.k_layer = linear(heads * key, "k_layer")
        self.v_layer = linear(heads * value, "v_layer")
        self.r_k_layer = linear(heads * key, "r_k_layer")
        self.output_layer = linear(heads * value, "output_layer", use_bias=True,
                                   kernel_initializer="zeros")  # fmt: skip
        for layer in (self.q_layer, self.k_layer, self.v_layer):
            layer.build(input_shape)
        self.r_k_layer.build((2 * length - 1, features))
        self.output_layer.build((None, length, heads * value))
        self.r_w_bias = self.add_weight(shape=(heads, 1, key), initializer="zeros", name="r_w_bias")
        self.r_r_bias = self.add_weight(shape=(heads, 1, key), initializer="zeros", name="r_r_bias")

    def _split_heads(self, x, size):
        """``(batch, T, heads * size)`` to ``(batch, heads, T, size)``."""
        x = ops.reshape(x, (-1, x.shape[1], self.heads, size))
        return ops.transpose(x, (0, 2, 1, 3))

    def call(self, x, training=False):
        length, heads, key = x.shape[1], self.heads, self.key_size
        q = self._split_heads(self.q_layer(x), key) * (key**-0.5)
        k = self._split_heads(self.k_layer(x), key)
        v = self._split_heads(self.v_layer(x), self._value)
        positions = ops.convert_to_tensor(self._features, dtype=self.compute_dtype)
        positions = self._positional_dropout(positions, training=training)
        r_k = ops.reshape(self.r_k_layer(positions), (2 * length - 1, heads, key))
        r_k = ops.transpose(r_k, (1, 0, 2))  # (heads, 2T - 1, key)
        content = ops.einsum("bhik,bhjk->bhij", q + self.r_w_bias, k)
        relative = ops.einsum("bhik,hmk->bhim", q + self.r_r_bias, r_k)
        weights = ops.softmax(content + relative_shift(relative), axis=-1)
        weights = self._attention_dropout(weights, training=training)
        out = ops.einsum("bhij,bhjv->bihv", weights, v)
        out = ops.reshape(out, (-1, length, heads * self._value))
        return self.output_layer(out)

    def compute_output_shape(self, input_shape):
        """``(batch, T, heads * value_size)``."""
        value = self.value_size or input_shape[-1] // self.heads
        return (*input_shape[:-1], self.heads * value)

    def get_config(self):
        return {
            **super().get_config(),
            "heads": self.heads,
            "key_size": self.key_size,
            "value_size": self.value_size,
            "relative_features": self.relative_features,
            "attention_dropout": self.attention_dropout,
            "positional_dropout": self.positional_dropout,
        }


def _check_features(features: int, where: str = "") -> None:
    if features < BASIS_CLASSES or features % BASIS_CLASSES:
        raise ValueError(
            f"relative-position features {features}{where} must be a positive multiple of "
            f"{BASIS_CLASSES} (3 basis functions and their signed copies)"
        )


# -- blocks ----------------------------------------------------------------------------------
def _conv_block(x, filters: int, kernel_size: int, bn_momentum: float):
    """Enformer's pre-activation ``conv_block``: batch norm -> GELU -> convolution."""
    x = keras.layers.BatchNormalization(momentum=bn_momentum)(x)
    x = keras.layers.Activation(sigmoid_gelu)(x)
    return keras.layers.Conv1D(filters, kernel_size, padding="same")(x)


def _residual_pointwise(x, bn_momentum: float):
    """``x + conv_block(C, 1)(x)``."""
    return keras.layers.Add()([x, _conv_block(x, x.shape[-1], 1, bn_momentum)])


def _stem_extent(extent: Extent, *, kernel_size, **_) -> Extent:
    return extent.conv(kernel_size).pool(2)


@register_block("attention_stem", geometry=_stem_extent)
def attention_stem(x, filters: int, kernel_size: int = 15, bn_momentum: float = 0.9):
    """Enformer's stem: a width-``kernel_size`` convolution to ``filters`` (``C / 2``), a
    residual pointwise conv block and attention pooling by 2.
    ``(batch, length, 4)`` in, ``(batch, length / 2, filters)`` out."""
    x = keras.layers.Conv1D(filters, kernel_size, padding="same")(x)
    x = _residual_pointwise(x, bn_momentum)
    return SoftmaxPooling1D(2)(x)


def _tower_extent(extent: Extent, *, repeat, kernel_size, **_) -> Extent:
    for _ in range(repeat):
        extent = extent.conv(kernel_size).pool(2)
    return extent


@register_block("attention_tower", geometry=_tower_extent)
def attention_tower(x, filters_init: int, filters_end: int, repeat: int = 6, kernel_size: int = 5,
                    divisible_by: int = 1, bn_momentum: float = 0.9):  # fmt: skip
    """Enformer's conv tower: ``repeat`` times a conv block of width ``kernel_size``, a
    residual pointwise conv block and attention pooling by 2; filters
    ``exponential_linspace_int(filters_init, filters_end, repeat, divisible_by)``.
    ``(batch, length, c)`` in, ``(batch, length / 2**repeat, filters[-1])`` out."""
    for filters in exponential_linspace_int(filters_init, filters_end, repeat, divisible_by):
        x = _conv_block(x, filters, kernel_size, bn_momentum)
        x = _residual_pointwise(x, bn_momentum)
        x = SoftmaxPooling1D(2)(x)
    return x


@register_block("transformer", geometry=lambda extent, **_: extent.everything())
def transformer(x, heads: int, key_size: int, layers: int, dropout: float = 0.0,
                attention_dropout: float = 0.05, positional_dropout: float = 0.01):  # fmt: skip
    """Enformer's transformer: ``layers`` times
    ``x + Dropout(MHA(LayerNorm(x)))`` then
    ``x + Dropout(Dense(C)(ReLU(Dropout(Dense(2C)(LayerNorm(x))))))``, with
    :class:`RelativeMultiHeadAttention` (value and positional-feature size ``C / heads``).
    Every output position sees every input position. Shape ``(batch, T, C)`` is kept.

    Raises
    ------
    ValueError
        If ``C / heads`` is not a multiple of 6 (or ``C`` not a multiple of ``heads``).
    """
    channels = x.shape[-1]
    if channels % heads:
        raise ValueError(f"transformer: {channels} channels do not split into {heads} heads")
    for _ in range(layers):
        y = keras.layers.LayerNormalization(epsilon=1e-5)(x)
        y = RelativeMultiHeadAttention(heads, key_size, attention_dropout=attention_dropout,
                                       positional_dropout=positional_dropout)(y)  # fmt: skip
        y = keras.layers.Dropout(dropout)(y)
        x = keras.layers.Add()([x, y])
        y = keras.layers.LayerNormalization(epsilon=1e-5)(x)
        y = keras.layers.Dense(2 * channels)(y)
        y = keras.layers.Dropout(dropout)(y)
        y = keras.layers.Activation("relu")(y)
        y = keras.layers.Dense(channels)(y)
        y = keras.layers.Dropout(dropout)(y)
        x = keras.layers.Add()([x, y])
    return x


@register_block("attention_final", geometry=lambda extent, **_: extent)
def attention_final(x, filters: int, dropout: float = 0.0, bn_momentum: float = 0.9):
    """Enformer's final pointwise layers: a width-1 conv block to ``filters`` (``2C``),
    dropout (Enformer: the trunk's dropout / 8) and GELU.
    ``(batch, length, c)`` in, ``(batch, length, filters)`` out."""
    x = _conv_block(x, filters, 1, bn_momentum)
    x = keras.layers.Dropout(dropout)(x)
    return keras.layers.Activation(sigmoid_gelu)(x)
