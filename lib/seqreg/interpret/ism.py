"""In-silico saturation mutagenesis (Basenji, Kelley et al. 2018, Fig 4C-D; Basset): every
base of a region changed to each other base, and the change in a chosen prediction.

Predictions go through the shared-reference edit engine
(:class:`seqreg.interpret.EditPredictor`): one reference pass per window, and for each
edit only the local layers on a short slice around it, equal to full forward passes.

Per-base views of the ``(L, 4)`` change matrix ``delta`` (0 at the reference base):

- ``minimum`` and ``maximum`` over the three alternatives: how much the worst and best
  substitution moves the prediction (the paper's lines above the heatmap);
- the mean-subtracted matrix ``delta - mean(delta over the 4 bases)``, whose entry at the
  reference base is the base's contribution (positive: the reference base raises the
  prediction against the average base), the height of a sequence logo.

Used by notebook 05 (and 10 and 12 when they exist).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import keras
import numpy as np

from .edits import EditPredictor


@dataclass
class ISMResult:
    """ISM of one region of one window.

    ``start`` is the region's first base in the window; ``reference`` its base codes
    (0-3 = A, C, G, T; 4 = N), ``(L,)``; ``delta`` the change of the target (the chosen
    tracks summed over the chosen bins) per position and new base, ``(L, 4)``, 0 at the
    reference base; ``delta_total`` the same summed over every output bin;
    ``reference_value`` the target's reference prediction. Units: the model's outputs.
    """

    start: int
    reference: np.ndarray
    delta: np.ndarray
    delta_total: np.ndarray
    reference_value: float

    @property
    def minimum(self) -> np.ndarray:
        """``(L,)`` the most negative change at each position (0 if none is negative)."""
        return self.delta.min(axis=1)

    @property
    def maximum(self) -> np.ndarray:
        """``(L,)`` the most positive change at each position (0 if none is positive)."""
        return self.delta.max(axis=1)

    def mean_subtracted(self) -> np.ndarray:
        """``(L, 4)`` ``delta`` minus its mean over the four bases at each position."""
        return self.delta - self.delta.mean(axis=1, keepdims=True)

    def contribution(self) -> np.ndarray:
        """``(L,)`` the reference base's entry of :meth:`mean_subtracted` (0 at N)."""
        known = self.reference < 4
        out = np.zeros(len(self.reference))
        rows = np.flatnonzero(known)
        out[rows] = self.mean_subtracted()[rows, self.reference[rows]]
        return out

    def logo_matrix(self) -> np.ndarray:
        """``(L, 4)`` the contribution placed at the reference base, 0 elsewhere (the
        heights of a reference-sequence logo)."""
        matrix = np.zeros_like(self.delta)
        known = np.flatnonzero(self.reference < 4)
        matrix[known, self.reference[known]] = self.contribution()[known]
        return matrix


def ism_edits(onehot: np.ndarray, start: int, end: int) -> tuple[np.ndarray, np.ndarray]:
    """Every single-base substitution of ``onehot[start:end]``: ``(positions, codes)``, three
    per base (four at an N), position-major.

    Raises
    ------
    ValueError
        When the region is empty or leaves the window.
    """
    length = len(onehot)
    if not 0 <= start < end <= length:
        raise ValueError(f"region {start}-{end} must lie within the window (0-{length})")
    reference = _codes(onehot[start:end])
    positions, codes = [], []
    for offset, base in enumerate(reference):
        for code in range(4):
            if code != base:
                positions.append(start + offset)
                codes.append(code)
    return np.asarray(positions, dtype=np.int64), np.asarray(codes, dtype=np.int64)


def _codes(onehot: np.ndarray) -> np.ndarray:
    """Base codes of one-hot rows; 4 where a row is all zeros (N)."""
    onehot = np.asarray(onehot)
    return np.where(onehot.max(axis=1) > 0, onehot.argmax(axis=1), 4).astype(np.int64)


def saturation_mutagenesis(model: keras.Model | EditPredictor, onehot: np.ndarray, start: int,
                           end: int, *, tracks: Sequence[int], bins: Sequence[int] | None = None,
                           swap: np.ndarray | None = None, reverse_complement: bool = True,
                           batch_size: int = 8, chunk: int = 1536,
                           method: str = "local") -> ISMResult:  # fmt: skip
    """ISM of bases ``start`` to ``end`` of one window.

    Parameters
    ----------
    model
        A model from one-hot ``(batch, seq_length, 4)`` to ``(batch, bins, tracks)``, or an
        :class:`~seqreg.interpret.EditPredictor` already made for it (then ``swap``,
        ``reverse_complement``, ``batch_size`` and ``method`` are its own).
    onehot
        ``(seq_length, 4)`` the window.
    start, end
        The region, 0-based half-open positions in the window.
    tracks
        Output tracks summed into the target (e.g. a cell type's CAGE on a gene's strand).
    bins
        Output bins summed into the target (e.g. the gene's TSS bins); default all.
    swap, reverse_complement
        The ensemble: the reverse complement's predictions are mapped back with ``swap``
        (stranded pairs exchanged) and averaged, as in variant scoring.
    batch_size
        Sequences per forward pass.
    chunk
        Edits predicted per call, so memory stays bounded for long regions.
    method
        ``"local"`` (recompute only the layers near each edit) or ``"full"`` (whole model
        per edited sequence); the results are equal.

    Returns
    -------
    ISMResult

    Raises
    ------
    ValueError
        When the region leaves the window, or a bin or track is out of range.
    """
    predictor = (
        model
        if isinstance(model, EditPredictor)
        else EditPredictor(
            model, swap, reverse_complement=reverse_complement, batch_size=batch_size, method=method
        )
    )
    onehot = np.asarray(onehot, dtype="float32")
    positions, codes = ism_edits(onehot, start, end)
    tracks = np.asarray(tracks, dtype=np.int64)
    window = onehot[None]
    reference_value = 0.0
    parts_target, parts_total = [], []
    for first in range(0, len(positions), chunk):
        rows = slice(first, first + chunk)
        n = len(positions[rows])
        reference, edited = predictor.predict(
            window, np.zeros(n, np.int64), positions[rows], codes[rows]
        )
        n_bins, n_tracks = reference.shape[1:]
        if tracks.size and (tracks.min() < 0 or tracks.max() >= n_tracks):
            raise ValueError(f"tracks must lie in 0..{n_tracks - 1}")
        chosen = np.arange(n_bins) if bins is None else np.asarray(bins, dtype=np.int64)
        if chosen.size and (chosen.min() < 0 or chosen.max() >= n_bins):
            raise ValueError(f"output bins must lie in 0..{n_bins - 1}")
        ref_tracks = reference[0][:, tracks].astype(np.float64)
        target = ref_tracks[chosen].sum()
        total = ref_tracks.sum()
        edited_tracks = edited[:, :, tracks].astype(np.float64)
        parts_target.append(edited_tracks[:, chosen].sum(axis=(1, 2)) - target)
        parts_total.append(edited_tracks.sum(axis=(1, 2)) - total)
        reference_value = float(target)
    reference_codes = _codes(onehot[start:end])
    delta = np.zeros((end - start, 4))
    delta_total = np.zeros((end - start, 4))
    delta[positions - start, codes] = np.concatenate(parts_target)
    delta_total[positions - start, codes] = np.concatenate(parts_total)
    return ISMResult(start, reference_codes, delta, delta_total, reference_value)
