"""The reverse-complement and shift ensemble, written once (test-time augmentation as in
Basenji 2018 and Basenji2: predictions averaged over the reverse complement and small
sequence shifts).

An ensemble member is ``(shift, flip)``. :func:`orient` turns windows (and edit positions)
into what a member sees; :func:`unorient` turns its predictions back into the forward
frame. :func:`predict` averages a model over the members; the edit engine
(:class:`seqreg.interpret.EditPredictor`) uses the same three functions for variant scores
and in-silico mutagenesis.

Shapes: windows ``(W, seq_length, 4)`` one-hot, predictions ``(W, bins, tracks)``.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np

Member = tuple[int, bool]


def members(shifts: Sequence[int] = (0,), reverse_complement: bool = False) -> list[Member]:
    """``(shift, flip)`` of every ensemble member: each shift, forward and, when asked,
    reverse-complemented."""
    flips = (False, True) if reverse_complement else (False,)
    return [(int(shift), flip) for shift in shifts for flip in flips]


def orient(onehot: np.ndarray, shift: int, flip: bool) -> np.ndarray:
    """Windows as member ``(shift, flip)`` sees them: shifted right by ``shift`` bases (N
    filling; negative shifts left), then reverse-complemented when ``flip``.

    ``(W, seq_length, 4)`` in and out (float32, C-contiguous).
    """
    from .sequence.encode import reverse_complement, shift_sequences

    x = shift_sequences(onehot, np.full(len(onehot), shift)) if shift else onehot
    if flip:
        x = reverse_complement(x)
    return np.ascontiguousarray(x, dtype="float32")


def orient_edits(positions: np.ndarray, codes: np.ndarray, seq_length: int, shift: int,
                 flip: bool) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """Edit positions (0-based, in the window) and base codes (0-3 = A, C, G, T) as member
    ``(shift, flip)`` sees them; a position outside ``0..seq_length-1`` was shifted out."""
    positions = np.asarray(positions) + shift
    codes = np.asarray(codes)
    if flip:
        positions = seq_length - 1 - positions
        codes = 3 - codes  # A<->T, C<->G in ACGT order
    return positions, codes


def unorient(predictions: np.ndarray, flip: bool, swap: np.ndarray | None = None) -> np.ndarray:
    """Predictions ``(W, bins, tracks)`` of a reverse-complemented member back in the forward
    frame: bins reversed and stranded tracks swapped with their pairs (``swap``, from
    :func:`seqreg.data.strand_swap_order`). A classifier's ``(W, labels)`` has no bins to
    reverse; only its pairs swap. Unflipped predictions are returned as given."""
    if not flip:
        return predictions
    if predictions.ndim == 2:
        return predictions[:, swap] if swap is not None else predictions
    predictions = predictions[:, ::-1]
    return predictions[:, :, swap] if swap is not None else predictions


def predict(model: keras.Model, onehot: np.ndarray, swap: np.ndarray | None = None,
            reverse_complement: bool = False, shifts: Sequence[int] = (0,),
            batch_size: int = 8) -> np.ndarray:  # fmt: skip
    """Predictions averaged over shifts and, optionally, the reverse complement.

    Parameters
    ----------
    model
        Keras model from ``(batch, seq_length, 4)`` to ``(batch, bins, tracks)``, or a
        classifier to ``(batch, labels)``.
    onehot
        ``(W, seq_length, 4)`` one-hot windows.
    swap
        Track permutation exchanging stranded pairs (:func:`seqreg.data.strand_swap_order`);
        needed with ``reverse_complement`` so a plus-strand output of the reverse complement
        is averaged with the minus-strand output of the forward sequence.
    reverse_complement
        Also predict the reverse complement and flip its output back.
    shifts
        Sequence shifts in bases (e.g. ``(-1, 0, 1)``); each adds one pass.
    batch_size
        Windows per forward pass.

    Returns
    -------
    np.ndarray
        ``(W, bins, tracks)`` (or ``(W, labels)``) float32, the mean over
        ``len(shifts) * (1 + rc)`` passes.
    """
    onehot = np.asarray(onehot, dtype="float32")
    total = None
    ensemble = members(shifts, reverse_complement)
    for shift, flip in ensemble:
        y = model.predict(orient(onehot, shift, flip), batch_size=batch_size, verbose=0)
        y = unorient(np.asarray(y, dtype="float32"), flip, swap)
        total = y if total is None else total + y
    return total / len(ensemble)
