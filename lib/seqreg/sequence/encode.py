"""DNA as integer codes (0-3 = A, C, G, T; 4 = N) and one-hot arrays ``(length, 4)`` (N
as all zeros), and sequence shifts.
"""

from __future__ import annotations

import numpy as np

#: byte -> code (A=0 C=1 G=2 T=3, lower case too; anything else, N included, = 4)
SEQUENCE_CODES = np.full(256, 4, dtype=np.uint8)
for _code, _base in enumerate(b"ACGT"):
    SEQUENCE_CODES[_base] = _code
    SEQUENCE_CODES[_base + 32] = _code  # soft-masked repeats


def sequence_codes(sequence: bytes | str) -> np.ndarray:
    """A DNA sequence as ``(length,)`` uint8 codes A=0 C=1 G=2 T=3 N=4."""
    if isinstance(sequence, str):
        sequence = sequence.encode("ascii")
    return SEQUENCE_CODES[np.frombuffer(sequence, dtype=np.uint8)]


def one_hot_codes(codes: np.ndarray, dtype=np.float32) -> np.ndarray:
    """``(..., length)`` codes to ``(..., length, 4)`` one-hot in A, C, G, T order; N is all zeros."""
    eye = np.vstack([np.eye(4, dtype=dtype), np.zeros((1, 4), dtype=dtype)])
    return eye[codes]


def one_hot(sequence: bytes | str, dtype=np.float32) -> np.ndarray:
    """One-hot code a DNA sequence as ``(length, 4)`` in A, C, G, T order; N is all zeros."""
    return one_hot_codes(sequence_codes(sequence), dtype)


def reverse_complement(onehot: np.ndarray) -> np.ndarray:
    """Reverse complement of one-hot DNA ``(..., length, 4)`` in A, C, G, T order (a view:
    positions reversed, and A<->T, C<->G by reversing the base axis). Also reverses PWMs."""
    return onehot[..., ::-1, ::-1]


def shift_sequences(onehot: np.ndarray, shifts: np.ndarray) -> np.ndarray:
    """Shift each sequence right (positive) or left by its shift, filling with N (zeros)."""
    out = np.zeros_like(onehot)
    length = onehot.shape[1]
    for row, shift in enumerate(shifts):
        if shift > 0:
            out[row, shift:] = onehot[row, : length - shift]
        elif shift < 0:
            out[row, :shift] = onehot[row, -shift:]
        else:
            out[row] = onehot[row]
    return out
