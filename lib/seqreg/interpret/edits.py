"""Predict on edited sequences and compare: the one engine behind variant scores and
in-silico mutagenesis.

A variant changes one base of a long window. The reference prediction of the window is
shared by every variant in it, and most of the work of the alternative pass can be
skipped too: the first layers of a Basenji-like model (convolutions and pooling down to
128-bp bins) see only a few hundred bases, so a base change alters their output in a few
bins only. :func:`split_local` cuts a model at the end of that local chain;
:class:`EditPredictor` runs the local part once per window, recomputes it for each
variant on a short slice around the variant (exactly: the slice holds every base the
changed bins see), splices the changed bins in and runs only the rest of the model.
For the demo Basenji2 the local part holds about 93% of the arithmetic.

Shapes: windows ``(W, seq_length, 4)`` one-hot (N = all zeros), predictions
``(W, bins, tracks)``; edits are given by window row, position in the window and the
code of the new base (0-3 for A, C, G, T).
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import keras
import numpy as np

from ..models.geometry import layer_extent
from ..predict import members, orient, orient_edits, unorient

#: layer types that keep a chain local (each output position sees a bounded input span)
_LOCAL_LAYERS = (
    keras.layers.Conv1D,
    keras.layers.MaxPooling1D,
    keras.layers.AveragePooling1D,
    keras.layers.BatchNormalization,
    keras.layers.Activation,
    keras.layers.Dropout,
)


Method = Literal["local", "full"]


_SPLITS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


@dataclass
class LocalSplit:
    """A model cut in two: ``trunk`` (local layers) and ``head`` (the rest).

    Trunk output position ``q`` depends on input bases ``q * jump - left`` to
    ``q * jump + right`` (inclusive), and on nothing else.
    """

    trunk: keras.Model
    head: keras.Model
    jump: int
    left: int
    right: int
    seq_length: int

    def slice_length(self) -> int:
        """Bases of the slice that recomputes every trunk position a one-base edit changes."""
        j = self.jump
        changed = (self.left + self.right) // j  # at most this many + 1 positions change
        needed = changed * j + -(-self.left // j) * j + self.right + 1
        return int(min(self.seq_length, -(-needed // j) * j))

    def changed_positions(self, position: int) -> tuple[int, int]:
        """First and last trunk positions whose input span holds base ``position``."""
        positions = self.seq_length // self.jump
        first = max(0, -(-(position - self.right) // self.jump))
        last = min(positions - 1, (position + self.left) // self.jump)
        return first, last

    def slice_start(self, position: int, length: int) -> int:
        """Start (a multiple of ``jump``) of a ``length``-base slice holding the full input
        span of every trunk position changed by an edit at ``position``."""
        first, _ = self.changed_positions(position)
        start = ((first * self.jump - self.left) // self.jump) * self.jump
        # at a window edge the slice shares the edge, so padding matches the full pass
        return int(min(max(start, 0), self.seq_length - length))


def split_local(model: keras.Model, max_extent: int | None = None) -> LocalSplit | None:
    """Cut ``model`` after its longest leading chain of local layers.

    The chain starts at the input and follows layers with one input and one consumer
    (convolutions, pooling, normalisation, activations, dropout); it ends where a tensor
    feeds two layers (a residual or dense connection) or a non-local layer begins.

    Returns
    -------
    LocalSplit or None
        None when the chain is empty or its input span (``left + right + 1``) exceeds
        ``max_extent`` (default: half the sequence), where a slice would save nothing.
    """
    consumers: dict[int, int] = {}
    for layer in model.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        for tensor in keras.tree.flatten(layer.input):
            consumers[id(tensor)] = consumers.get(id(tensor), 0) + 1
    chain: list = []
    current = model.inputs[0]
    for layer in model.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        inputs = keras.tree.flatten(layer.input)
        if consumers.get(id(current), 0) != 1:
            break  # the chain's tensor also feeds another layer
        if len(inputs) != 1 or inputs[0] is not current or not isinstance(layer, _LOCAL_LAYERS):
            break
        if isinstance(layer, keras.layers.Conv1D) and (
            layer.strides[0] != 1 or layer.padding not in ("same", "causal")
        ):
            break
        chain.append(layer)
        current = layer.output
    outputs = {id(t) for t in model.outputs}
    while chain and (
        id(chain[-1].output) in outputs
        or not isinstance(chain[-1], keras.layers.MaxPooling1D | keras.layers.Conv1D)
    ):
        chain.pop()  # end on a layer that sets the resolution (cheap layers go to the head)
    if not chain:
        return None
    extent = layer_extent(chain)
    jump, left, right = extent.jump, extent.left, extent.right
    seq_length = int(model.inputs[0].shape[1])
    if left + right + 1 > (max_extent or seq_length // 2) or seq_length % jump:
        return None
    trunk = keras.Model(model.inputs[0], chain[-1].output, name=f"{model.name}_local")
    head = keras.Model(chain[-1].output, model.outputs, name=f"{model.name}_rest")
    return LocalSplit(trunk, head, jump, left, right, seq_length)


def _batches(n: int, size: int):
    for start in range(0, n, size):
        yield slice(start, min(n, start + size))


def _run(model: keras.Model, x: np.ndarray, batch_size: int) -> np.ndarray:
    """Forward passes in fixed-size batches (the last one padded, so nothing retraces)."""
    out = []
    for part in _batches(len(x), batch_size):
        chunk = x[part]
        pad = batch_size - len(chunk)
        if pad:
            chunk = np.concatenate([chunk, np.zeros((pad, *chunk.shape[1:]), chunk.dtype)])
        y = np.asarray(model.predict_on_batch(chunk), dtype="float32")
        out.append(y[: len(chunk) - pad])
    return np.concatenate(out)


class EditPredictor:
    """Reference and edited predictions of windows, averaged over an ensemble of the
    reverse complement and sequence shifts.

    Parameters
    ----------
    model
        A Keras model from one-hot ``(batch, seq_length, 4)`` to ``(batch, bins, tracks)``.
    swap
        Track permutation exchanging stranded pairs (:func:`seqreg.data.strand_swap_order`),
        applied to reverse-complement predictions.
    reverse_complement, shifts
        The ensemble: every shift, each with its reverse complement when asked.
    batch_size
        Sequences per forward pass.
    method
        ``"local"`` recomputes only the local layers around each edit (exact; falls back to
        ``"full"`` when the model has no local leading chain); ``"full"`` runs the whole
        model on each edited window. Both share one reference pass per window.
    """

    def __init__(self, model: keras.Model, swap: np.ndarray | None = None, *,
                 reverse_complement: bool = True, shifts: Sequence[int] = (0,),
                 batch_size: int = 8, method: Method = "local"):  # fmt: skip
        self.model = model
        self.swap = swap
        self.members = members(shifts, reverse_complement)
        self.batch_size = batch_size
        if method == "local":
            if model not in _SPLITS:  # one split per model, so its compiled passes are reused
                _SPLITS[model] = split_local(model)
            self.split = _SPLITS[model]
        else:
            self.split = None
        self.method = "local" if self.split is not None else "full"

    def predict(self, onehot: np.ndarray, window: np.ndarray, position: np.ndarray,
                code: np.ndarray) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
        """Reference predictions of each window and the prediction with each edit.

        Parameters
        ----------
        onehot
            ``(W, seq_length, 4)`` reference windows.
        window, position, code
            ``(E,)`` integer arrays: the row of ``onehot`` each edit applies to, its
            0-based position in the window and the new base (0-3 = A, C, G, T).

        Returns
        -------
        reference, edited
            ``(W, bins, tracks)`` and ``(E, bins, tracks)`` float32, ensemble means.

        Raises
        ------
        ValueError
            When an edit position lies outside the window.
        """
        onehot = np.asarray(onehot, dtype="float32")
        window, position, code = (np.asarray(a, dtype=np.int64) for a in (window, position, code))
        length = onehot.shape[1]
        if len(position) and (position.min() < 0 or position.max() >= length):
            raise ValueError(f"edit positions must lie in 0..{length - 1}")
        reference = edited = None
        for shift, flip in self.members:
            x = orient(onehot, shift, flip)
            pos, new = orient_edits(position, code, length, shift, flip)
            inside = (pos >= 0) & (
                pos < length
            )  # an edit shifted out of the window changes nothing
            if self.method == "local":
                ref_y, alt_y = self._local(x, window, pos, new, inside)
            else:
                ref_y, alt_y = self._full(x, window, pos, new, inside)
            ref_y, alt_y = unorient(ref_y, flip, self.swap), unorient(alt_y, flip, self.swap)
            reference = ref_y if reference is None else reference + ref_y
            edited = alt_y if edited is None else edited + alt_y
        n = len(self.members)
        return reference / n, edited / n

    def _edited_windows(self, x, window, pos, new, inside, rows: slice) -> np.ndarray:
        seqs = x[window[rows]].copy()
        for i, (p, c, ok) in enumerate(zip(pos[rows], new[rows], inside[rows], strict=True)):
            if ok:
                seqs[i, p] = 0.0
                seqs[i, p, c] = 1.0
        return seqs

    def _full(self, x, window, pos, new, inside):
        reference = _run(self.model, x, self.batch_size)
        edited = [
            _run(self.model, self._edited_windows(x, window, pos, new, inside, rows), self.batch_size)
            for rows in _batches(len(window), self.batch_size)
        ]  # fmt: skip
        return reference, np.concatenate(edited) if edited else reference[:0]

    def _local(self, x, window, pos, new, inside):
        split = self.split
        trunk_ref = _run(split.trunk, x, self.batch_size)
        length = split.slice_length()
        # slices are short: batch as many bases per pass as a batch of full windows holds
        edit_batch = self.batch_size * max(1, split.seq_length // length)
        # the reference runs through the head at the edited passes' batch shape: kernels
        # chosen per shape round differently, which would leak into every score
        reference = _run(split.head, trunk_ref, edit_batch)
        edited = []
        for rows in _batches(len(window), edit_batch):
            starts = np.array([split.slice_start(int(p), length) if ok else 0
                               for p, ok in zip(pos[rows], inside[rows], strict=True)])  # fmt: skip
            slices = np.stack(
                [x[w, s : s + length] for w, s in zip(window[rows], starts, strict=True)]
            )
            for i, (p, c, s, ok) in enumerate(
                zip(pos[rows], new[rows], starts, inside[rows], strict=True)
            ):
                if ok:
                    slices[i, p - s] = 0.0
                    slices[i, p - s, c] = 1.0
            trunk_slices = _run(split.trunk, slices, edit_batch)
            trunk_alt = trunk_ref[window[rows]].copy()
            for i, (p, s, ok) in enumerate(zip(pos[rows], starts, inside[rows], strict=True)):
                if ok:
                    first, last = split.changed_positions(int(p))
                    offset = s // split.jump
                    trunk_alt[i, first : last + 1] = trunk_slices[
                        i, first - offset : last + 1 - offset
                    ]
            edited.append(_run(split.head, trunk_alt, edit_batch))
        return reference, np.concatenate(edited) if edited else reference[:0]
