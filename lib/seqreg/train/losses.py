"""Losses by name (:data:`LOSSES`), as :func:`make_loss` builds them for a training config.

- ``poisson``: Poisson negative log-likelihood per bin (Basenji 2018 and 2019).
- ``poisson_multinomial``: Poisson on each track's total plus a multinomial over its bins
  (Basenji2 / Borzoi, Linder et al. 2023).
- ``bce``: binary cross-entropy of sigmoid outputs (Basset, DeepSEA, ChromDragoNN).
- ``bce_logits``: binary cross-entropy of logits (ChromDragoNN's heads, whose training
  applies the sigmoid inside the loss, as Torch's ``BCEWithLogitsLoss``).
- ``masked_bce``: binary cross-entropy that ignores labels given as NaN (cell types or bins
  without a measurement, as in the Leopard-style conditioning models).

All take ``y_true`` and ``y_pred`` of the same shape, ``(batch, ...)``, and return
``(batch,)``.
"""

from __future__ import annotations

from collections.abc import Callable

import keras
from keras import ops


@keras.saving.register_keras_serializable("seqreg")
def poisson_loss(y_true, y_pred, epsilon: float = 1e-7):
    """Poisson negative log-likelihood without the constant ``log(y!)`` term.

    ``mean(y_pred - y_true * log(y_pred))`` over bins and tracks; shapes
    ``(batch, bins, tracks)`` in, ``(batch,)`` out.
    """
    y_true = ops.cast(y_true, "float32")
    y_pred = ops.cast(y_pred, "float32")
    return ops.mean(y_pred - y_true * ops.log(y_pred + epsilon), axis=(1, 2))


@keras.saving.register_keras_serializable("seqreg")
class PoissonMultinomial(keras.losses.Loss):
    """Poisson on each track's total count plus a multinomial over its bins (Basenji2/Borzoi).

    Per window and track with totals ``s = sum_bins(y)`` and ``ŝ = sum_bins(ŷ)``::

        loss = -sum_bins(y * log(ŷ / ŝ)) + total_weight * (ŝ - s * log(ŝ))

    divided by the number of bins and averaged over tracks; ``(batch, bins, tracks)`` in,
    ``(batch,)`` out. The multinomial term scores the shape of the profile, the Poisson term
    its total.
    """

    def __init__(self, total_weight: float = 0.2, epsilon: float = 1e-7, name="poisson_multinomial",
                 **kwargs):  # fmt: skip
        super().__init__(name=name, **kwargs)
        self.total_weight = total_weight
        self.epsilon = epsilon

    def call(self, y_true, y_pred):
        y_true = ops.cast(y_true, "float32")
        y_pred = ops.cast(y_pred, "float32") + self.epsilon
        bins = ops.cast(ops.shape(y_true)[1], "float32")
        total_true = ops.sum(y_true, axis=1)
        total_pred = ops.sum(y_pred, axis=1)
        poisson = total_pred - total_true * ops.log(total_pred)
        log_share = ops.log(y_pred) - ops.log(ops.expand_dims(total_pred, 1))
        multinomial = -ops.sum(y_true * log_share, axis=1)
        return ops.mean((multinomial + self.total_weight * poisson) / bins, axis=-1)

    def get_config(self):
        return {**super().get_config(), "total_weight": self.total_weight, "epsilon": self.epsilon}


def _bce_terms(y_true, y_pred, epsilon: float):
    y_true = ops.cast(y_true, "float32")
    y_pred = ops.clip(ops.cast(y_pred, "float32"), epsilon, 1.0 - epsilon)
    return -(y_true * ops.log(y_pred) + (1.0 - y_true) * ops.log(1.0 - y_pred))


@keras.saving.register_keras_serializable("seqreg")
def binary_crossentropy(y_true, y_pred, epsilon: float = 1e-7):
    """Binary cross-entropy of probabilities, averaged over every axis but the batch.

    ``(batch, ...)`` labels in {0, 1} and probabilities in (0, 1) in, ``(batch,)`` out.
    """
    terms = _bce_terms(y_true, y_pred, epsilon)
    return ops.mean(ops.reshape(terms, (ops.shape(terms)[0], -1)), axis=1)


@keras.saving.register_keras_serializable("seqreg")
def binary_crossentropy_logits(y_true, logits):
    """Binary cross-entropy of logits, averaged over every axis but the batch.

    ``(batch, ...)`` labels in {0, 1} and logits in, ``(batch,)`` out (Keras then averages
    over the batch). Computed as ``max(z, 0) - z * y + log(1 + exp(-|z|))``, which equals
    ``-y log(sigmoid(z)) - (1 - y) log(1 - sigmoid(z))`` and stays finite for any finite
    logit (no ``log(0)`` and no overflow of ``exp``).
    """
    y_true = ops.cast(y_true, "float32")
    logits = ops.cast(logits, "float32")
    terms = ops.relu(logits) - logits * y_true + ops.log1p(ops.exp(-ops.abs(logits)))
    return ops.mean(ops.reshape(terms, (ops.shape(terms)[0], -1)), axis=1)


@keras.saving.register_keras_serializable("seqreg")
def masked_binary_crossentropy(y_true, y_pred, epsilon: float = 1e-7):
    """Binary cross-entropy over the labels that are not NaN, per sample.

    ``(batch, ...)`` in, ``(batch,)`` out; a sample without any label contributes 0.
    """
    y_true = ops.cast(y_true, "float32")
    observed = ops.logical_not(ops.isnan(y_true))
    terms = _bce_terms(ops.where(observed, y_true, 0.0), y_pred, epsilon)
    terms = ops.where(observed, terms, 0.0)
    flat = ops.reshape(terms, (ops.shape(terms)[0], -1))
    counts = ops.sum(ops.reshape(ops.cast(observed, "float32"), (ops.shape(terms)[0], -1)), axis=1)
    return ops.sum(flat, axis=1) / ops.maximum(counts, 1.0)


LOSSES: dict[str, Callable[..., Callable]] = {
    "poisson": lambda total_weight=0.2: poisson_loss,
    "poisson_multinomial": lambda total_weight=0.2: PoissonMultinomial(total_weight),
    "bce": lambda total_weight=0.2: binary_crossentropy,
    "bce_logits": lambda total_weight=0.2: binary_crossentropy_logits,
    "masked_bce": lambda total_weight=0.2: masked_binary_crossentropy,
}


def make_loss(name: str, total_weight: float = 0.2) -> Callable:
    """The loss called ``name`` (:data:`LOSSES`); ``total_weight`` is used by
    ``poisson_multinomial`` only.

    Raises
    ------
    ValueError
        For an unknown name, listing the registered ones.
    """
    if name not in LOSSES:
        raise ValueError(f"unknown loss {name!r}; choose one of {', '.join(LOSSES)}")
    return LOSSES[name](total_weight=total_weight)
