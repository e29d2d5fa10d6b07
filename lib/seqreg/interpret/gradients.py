"""Saliency maps (Basenji, Kelley et al. 2018, Fig 4 and Methods "Saliency maps"): which
128-bp bins of a sequence a model uses for a track's prediction.

The model is cut where the convolution tower has pooled the sequence to bins and before
the dilated layers that share information between them. For the representation ``h``
there, ``(bins, channels)``, and the prediction summed over the chosen output bins and
tracks, ``f``, the saliency of bin ``b`` is ``sum_c (df / dh[b, c]) * h[b, c]``: the first-
order estimate of how much of ``f`` the bin's representation carries. Positive bins raise
the prediction (activating), negative ones lower it (repressing).

Gradients are taken by the backend in use (TensorFlow, JAX or PyTorch), so the same call
runs on a CPU under TensorFlow and on a GPU under JAX. Used by notebook 05.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from dataclasses import dataclass

import keras
import numpy as np

from .edits import _batches

_POOLING = (keras.layers.MaxPooling1D, keras.layers.AveragePooling1D)


def representation_layer(model: keras.Model, layer: str | None = None) -> keras.layers.Layer:
    """The layer whose output saliency is taken at: ``layer`` by name, else the model's last
    pooling layer (the end of the convolution tower in Basenji, Basenji2 and Basset-like
    specs).

    Raises
    ------
    ValueError
        When ``layer`` names no layer of the model, or no name is given and the model has no
        pooling layer.
    """
    if layer is not None:
        try:
            return model.get_layer(layer)
        except ValueError:
            raise ValueError(
                f"model {model.name!r} has no layer {layer!r}; its layers: "
                f"{', '.join(x.name for x in model.layers[:8])}, ..."
            ) from None
    pools = [x for x in model.layers if isinstance(x, _POOLING)]
    if not pools:
        raise ValueError(f"model {model.name!r} has no pooling layer; name the layer to use")
    return pools[-1]


@dataclass
class SplitModel:
    """``model`` cut at one layer: ``encoder`` (sequence to representation) and ``rest``
    (representation to prediction). ``jump`` bases per representation position; position
    ``q`` sees input bases ``q * jump - left`` to ``q * jump + right`` (None when the
    encoder's layers do not give a span, e.g. strided convolutions)."""

    encoder: keras.Model
    rest: keras.Model
    jump: int
    left: int | None = None
    right: int | None = None

    def input_spans(self, bins):
        """Genome intervals each bin of :func:`seqreg.interpret.bin_table` sees: its start
        minus ``left`` to its start plus ``right`` (inclusive), as ``chrom``, ``start``,
        ``end``.

        Raises
        ------
        ValueError
            When the span is unknown (``left`` is None).
        """
        if self.left is None or self.right is None:
            raise ValueError("the encoder's input span is unknown")
        return bins[["chrom"]].assign(
            start=bins["start"].to_numpy() - self.left,
            end=bins["start"].to_numpy() + self.right + 1,
        )


_SPLITS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def split_at(model: keras.Model, layer: str | None = None) -> SplitModel:
    """Cut ``model`` after ``layer`` (default: :func:`representation_layer`).

    Raises
    ------
    ValueError
        When the model has more than one input, or the part after the layer needs more than
        the layer's output (a skip connection around it).
    """
    if len(model.inputs) != 1:
        raise ValueError("saliency needs a model whose only input is the one-hot sequence")
    cut = representation_layer(model, layer)
    cache = _SPLITS.setdefault(model, {})
    if cut.name not in cache:
        encoder = keras.Model(model.inputs[0], cut.output, name=f"{model.name}_encoder")
        try:
            rest = keras.Model(cut.output, model.outputs, name=f"{model.name}_rest")
        except ValueError as error:
            raise ValueError(
                f"layer {cut.name!r} does not separate the model: a later layer also reads an "
                f"earlier tensor ({error})"
            ) from None
        seq_length = int(model.inputs[0].shape[1])
        positions = int(cut.output.shape[1])
        if seq_length % positions:
            raise ValueError(f"layer {cut.name!r} has {positions} positions for {seq_length} bp")
        from ..models.geometry import layer_extent

        try:
            extent = layer_extent(
                [x for x in encoder.layers if not isinstance(x, keras.layers.InputLayer)]
            )
            left, right = int(extent.left), int(extent.right)
        except ValueError:
            left = right = None
        cache[cut.name] = SplitModel(encoder, rest, seq_length // positions, left, right)
    return cache[cut.name]


def _weights(n_bins: int, n_tracks: int, bins, tracks) -> np.ndarray:
    """``(n_bins, n_tracks)`` 0/1 weights selecting the summed outputs."""
    weights = np.zeros((n_bins, n_tracks), dtype="float32")
    rows = np.arange(n_bins) if bins is None else np.asarray(bins, dtype=np.int64)
    cols = np.arange(n_tracks) if tracks is None else np.asarray(tracks, dtype=np.int64)
    if rows.size and (rows.min() < 0 or rows.max() >= n_bins):
        raise ValueError(f"output bins must lie in 0..{n_bins - 1}")
    if cols.size and (cols.min() < 0 or cols.max() >= n_tracks):
        raise ValueError(f"tracks must lie in 0..{n_tracks - 1}")
    weights[np.ix_(rows, cols)] = 1.0
    return weights


def gradient(fn, x: np.ndarray) -> np.ndarray:
    """Gradient of the scalar ``fn(x)`` with respect to ``x``, by the Keras backend in use.

    Parameters
    ----------
    fn
        A function of a backend tensor built from Keras layers and ``keras.ops``, returning
        a scalar.
    x
        The point, float32.

    Returns
    -------
    numpy.ndarray
        Same shape as ``x``.

    Raises
    ------
    NotImplementedError
        On a backend other than TensorFlow, JAX and PyTorch.
    """
    backend = keras.backend.backend()
    x = np.asarray(x, dtype="float32")
    if backend == "tensorflow":
        import tensorflow as tf

        tensor = tf.convert_to_tensor(x)
        with tf.GradientTape() as tape:
            tape.watch(tensor)
            value = fn(tensor)
        return np.asarray(tape.gradient(value, tensor))
    if backend == "jax":
        import jax

        return np.asarray(jax.grad(fn)(x))
    if backend == "torch":
        import torch

        tensor = torch.tensor(x, requires_grad=True)
        fn(tensor).backward()
        return tensor.grad.detach().cpu().numpy()
    raise NotImplementedError(f"gradients on the {backend} backend")


_STEPS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _compiled_gradient(rest: keras.Model, weights: np.ndarray):
    """``h -> d(sum(weights * rest(h))) / dh``. The weights are an argument of the compiled
    step (a tf.function or jax.jit, one per ``rest`` model), so new bins or tracks reuse it."""
    if rest not in _STEPS:

        def objective(h, w):
            y = rest(h, training=False)
            if isinstance(y, list | tuple | dict):
                y = keras.tree.flatten(y)[0]
            return keras.ops.sum(y * w)

        backend = keras.backend.backend()
        if backend == "tensorflow":
            import tensorflow as tf

            @tf.function(reduce_retracing=True)
            def step(h, w):
                with tf.GradientTape() as tape:
                    tape.watch(h)
                    value = objective(h, w)
                return tape.gradient(value, h)

            _STEPS[rest] = lambda h, w: np.asarray(
                step(tf.convert_to_tensor(h), tf.convert_to_tensor(w))
            )
        elif backend == "jax":
            import jax

            jitted = jax.jit(jax.grad(objective))
            _STEPS[rest] = lambda h, w: np.asarray(jitted(h, w))
        else:
            _STEPS[rest] = lambda h, w: gradient(lambda v: objective(v, w), h)
    compiled = _STEPS[rest]
    return lambda h: compiled(h, weights)


def saliency(model: keras.Model, onehot: np.ndarray, *, tracks: Sequence[int] | None = None,
             bins: Sequence[int] | None = None, layer: str | None = None,
             batch_size: int = 8, progress: bool = False) -> np.ndarray:  # fmt: skip
    """Signed saliency per representation position (Basenji 2018, Fig 4A).

    Parameters
    ----------
    model
        A single-input Keras model, one-hot ``(batch, seq_length, 4)`` to
        ``(batch, bins, tracks)`` (the first output when there are several).
    onehot
        ``(W, seq_length, 4)`` windows, or their base codes ``(W, seq_length)`` (0-3 = A,
        C, G, T, 4 = N; one-hot encoded a batch at a time, which saves memory).
    tracks, bins
        The output tracks and bins whose predictions are summed (default all): e.g. a
        cell type's two CAGE strands, or a gene's TSS bins.
    layer
        Where to take the gradient (default: the last pooling layer, 128-bp bins in
        Basenji and Basenji2).
    batch_size
        Windows per pass; the last batch is padded so the compiled step is reused.
    progress
        Show a progress bar.

    Returns
    -------
    numpy.ndarray
        ``(W, positions)`` float32: position ``p`` covers bases ``p * jump`` to
        ``(p + 1) * jump`` of each window (``jump = seq_length / positions``, 128 bp in
        Basenji). Units: the summed prediction's units (first-order contribution).

    Raises
    ------
    ValueError
        For a model with several inputs, a layer that does not separate it, a window of the
        wrong length, or bins or tracks out of range.
    """
    from ..project.progress import progress_bar
    from ..sequence.encode import one_hot_codes

    split = split_at(model, layer)
    onehot = np.asarray(onehot)
    seq_length = int(model.inputs[0].shape[1])
    codes = onehot.ndim == 2
    if onehot.shape[1:] not in ((seq_length, 4), (seq_length,)):
        raise ValueError(
            f"windows must be (W, {seq_length}, 4) one-hot or (W, {seq_length}) codes, "
            f"not {onehot.shape}"
        )
    out_shape = keras.tree.flatten(model.outputs)[0].shape
    weights = _weights(int(out_shape[1]), int(out_shape[2]), bins, tracks)
    step = _compiled_gradient(split.rest, weights)
    scores = np.zeros((len(onehot), seq_length // split.jump), dtype="float32")
    parts = list(_batches(len(onehot), batch_size))
    for part in progress_bar(parts, desc="saliency", unit="batch", disable=not progress):
        chunk = one_hot_codes(onehot[part]) if codes else onehot[part]
        chunk = np.asarray(chunk, dtype="float32")
        pad = batch_size - len(chunk)
        if pad:
            chunk = np.concatenate([chunk, np.zeros((pad, *chunk.shape[1:]), chunk.dtype)])
        h = np.asarray(split.encoder.predict_on_batch(chunk), dtype="float32")
        grad = step(h)
        scores[part] = (grad * h).sum(axis=-1)[: len(chunk) - pad]
    return scores


def input_gradients(model: keras.Model, onehot: np.ndarray,
                    extra_inputs: dict[str, np.ndarray] | None = None, output: int = 0,
                    batch_size: int = 64) -> np.ndarray:  # fmt: skip
    """Gradient of one output unit with respect to the one-hot input, per sequence.

    For ChromDragoNN's stage-2 model (notebook 12) the output is the logit of accessibility
    in one cell type, whose TF expression (and the bin's mean accessibility) are
    ``extra_inputs``; the gradient is taken on the logit, not the probability, as the
    paper's gradient x input is.

    Parameters
    ----------
    model
        A Keras model whose output is ``(batch, units)`` (or a dict/list of them: the first).
    onehot
        ``(n, L, 4)`` one-hot sequences (float).
    extra_inputs
        Other inputs by name, first axis ``n`` (the model then takes a dict with
        ``sequence``).
    output
        The output unit.

    Returns
    -------
    numpy.ndarray
        ``(n, L, 4)`` float32 gradients ``d output / d onehot``. Multiply by ``onehot`` for
        gradient x input; :func:`hypothetical_contributions` gives TF-MoDISco's input.
    """
    onehot = np.asarray(onehot, dtype=np.float32)
    extra = {k: np.asarray(v, dtype=np.float32) for k, v in (extra_inputs or {}).items()}
    out = np.empty_like(onehot)
    for start in range(0, len(onehot), batch_size):
        part = slice(start, start + batch_size)
        others = {k: keras.ops.convert_to_tensor(v[part]) for k, v in extra.items()}

        def fn(x, others=others):
            inputs = {"sequence": x, **others} if others else x
            y = model(inputs, training=False)
            if isinstance(y, dict):
                y = next(iter(y.values()))
            elif isinstance(y, list | tuple):
                y = y[0]
            return keras.ops.sum(y[:, output])

        out[part] = gradient(fn, onehot[part])
    return out


def hypothetical_contributions(gradients: np.ndarray) -> np.ndarray:
    """Gradients centred on their mean over the four bases at every position (Majdandzic et
    al. 2023's correction; the hypothetical contributions TF-MoDISco takes, ``(n, L, 4)``):
    contribution = one-hot x this."""
    gradients = np.asarray(gradients, dtype=np.float32)
    return gradients - gradients.mean(axis=-1, keepdims=True)
