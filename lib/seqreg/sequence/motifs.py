"""Motifs: JASPAR matrices read offline with pyjaspar, PWM log-odds, scanning, sampling.

Matrices are ``(length, 4)`` arrays in A, C, G, T order, like one-hot sequences
(:func:`seqreg.sequence.one_hot`), so scanning is a correlation of the two.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from .encode import reverse_complement

#: human-like background base frequencies (A, C, G, T)
BACKGROUND = np.array([0.295, 0.205, 0.205, 0.295])


@dataclass(frozen=True)
class Motif:
    """A position frequency matrix, ``probs`` of shape ``(length, 4)`` (rows sum to 1)."""

    name: str
    matrix_id: str
    probs: np.ndarray
    #: JASPAR's TF family (e.g. "Ets-related factors"); empty when unknown
    family: str = ""

    @property
    def length(self) -> int:
        """Motif width in bases."""
        return int(self.probs.shape[0])

    def log_odds(self, background: np.ndarray = BACKGROUND) -> np.ndarray:
        """Position weight matrix: ``log2(p / background)``, shape ``(length, 4)``."""
        return np.log2(self.probs / background)

    def max_score(self, background: np.ndarray = BACKGROUND) -> float:
        """Highest log-odds score a site can reach."""
        return float(self.log_odds(background).max(axis=1).sum())

    def consensus(self) -> str:
        """The most likely base at each position."""
        return "".join("ACGT"[i] for i in self.probs.argmax(axis=1))


def load_jaspar(
    matrix_ids: Iterable[str], release: str = "JASPAR2024", pseudocount: float = 0.5
) -> dict[str, Motif]:
    """Read JASPAR matrices offline (pyjaspar ships the database).

    Parameters
    ----------
    matrix_ids
        JASPAR ids such as ``"MA0139.2"`` (CTCF).
    pseudocount
        Added to every count before normalising, so no probability is zero.

    Returns
    -------
    dict
        ``{tf_name: Motif}`` keyed by the TF name JASPAR gives (upper case).

    Raises
    ------
    KeyError
        When the JASPAR release has no such matrix.
    """
    from pyjaspar import jaspardb

    database = jaspardb(release=release)
    motifs: dict[str, Motif] = {}
    for matrix_id in matrix_ids:
        record = database.fetch_motif_by_id(matrix_id)
        if record is None:
            raise KeyError(f"{release} has no matrix {matrix_id!r}")
        motifs[record.name.upper()] = _motif(record, pseudocount)
    return motifs


def _motif(record, pseudocount: float) -> Motif:
    counts = np.array([record.counts[base] for base in "ACGT"], dtype=float).T + pseudocount
    family = "; ".join(record.tf_family or [])
    return Motif(
        record.name.upper(), record.matrix_id, counts / counts.sum(axis=1, keepdims=True), family
    )


def load_jaspar_collection(release: str = "JASPAR2024", collection: str = "CORE",
                           tax_group: str = "Vertebrates",
                           pseudocount: float = 0.5) -> list[Motif]:  # fmt: skip
    """Every matrix of a JASPAR collection (latest version of each), read offline.

    The motif database that TOMTOM matches against (:func:`seqreg.interpret.tomtom_matches`).
    JASPAR 2024 CORE vertebrates holds 879 matrices. Always name the release: pyjaspar's
    default moved to JASPAR 2026.

    Parameters
    ----------
    release
        A release pyjaspar ships, e.g. ``"JASPAR2024"``.
    collection, tax_group
        JASPAR's collection and taxonomic group.
    pseudocount
        Added to every count before normalising.

    Returns
    -------
    list of Motif
        Names upper case, ``family`` from JASPAR's TF family annotation.

    Raises
    ------
    ValueError
        When the release, collection and group select no matrix.
    """
    from pyjaspar import jaspardb

    records = jaspardb(release=release).fetch_motifs(collection=[collection], tax_group=[tax_group])
    if not records:
        raise ValueError(f"{release} has no {collection} matrices of {tax_group}")
    return [_motif(record, pseudocount) for record in records]


def reverse_complement_matrix(matrix: np.ndarray) -> np.ndarray:
    """Reverse complement of a ``(length, 4)`` ACGT matrix."""
    return reverse_complement(matrix)


def scan(onehot: np.ndarray, pwm: np.ndarray) -> np.ndarray:
    """PWM scores of every window on both strands.

    Parameters
    ----------
    onehot
        ``(length, 4)`` one-hot sequence (N rows all zero).
    pwm
        ``(motif_length, 4)`` log-odds matrix.

    Returns
    -------
    numpy.ndarray
        ``(2, length - motif_length + 1)``: forward-strand scores, then reverse-strand
        scores, both indexed by the window's leftmost position.
    """
    from numpy.lib.stride_tricks import sliding_window_view

    width = pwm.shape[0]
    if onehot.shape[0] < width:
        return np.zeros((2, 0))
    windows = sliding_window_view(onehot, (width, 4))[:, 0]  # (n, width, 4)
    forward = np.einsum("nwb,wb->n", windows, pwm)
    reverse = np.einsum("nwb,wb->n", windows, reverse_complement_matrix(pwm))
    return np.stack([forward, reverse])


def best_hit(onehot: np.ndarray, motif: Motif, background: np.ndarray = BACKGROUND) -> float:
    """Best score of ``motif`` in a sequence on either strand, as a fraction of its maximum."""
    scores = scan(onehot, motif.log_odds(background))
    return float(scores.max() / motif.max_score(background)) if scores.size else float("-inf")


def sample_site(
    motif: Motif,
    rng: np.random.Generator,
    min_fraction: float = 0.75,
    background: np.ndarray = BACKGROUND,
    tries: int = 200,
) -> tuple[str, float]:
    """Draw a binding site from the matrix whose score is at least ``min_fraction`` of the maximum.

    Returns the site (forward strand of the motif) and its score fraction; falls back to
    the consensus when no draw passes.
    """
    pwm = motif.log_odds(background)
    best = motif.max_score(background)
    cumulative = motif.probs.cumsum(axis=1)
    for _ in range(tries):
        idx = (rng.random((motif.length, 1)) > cumulative).sum(axis=1).clip(0, 3)
        score = float(pwm[np.arange(motif.length), idx].sum() / best)
        if score >= min_fraction:
            return "".join("ACGT"[i] for i in idx), score
    return motif.consensus(), 1.0
