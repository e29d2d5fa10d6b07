"""Batches from a training store for Keras: ``TrainingData`` is a ``keras.utils.PyDataset``,
so it works on every Keras backend and can load batches in parallel workers.

Augmentation (training only, as in Basenji): with probability 1/2 a window is
reverse-complemented (sequence reversed and complemented, targets reversed along bins,
and the two strands of each stranded pair swapped); and the sequence is shifted by up to
``max_shift`` bases (positions shifted in are N), which moves the sequence relative to
the bins without moving the targets.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import keras
import numpy as np

from ..project.manifest import Track
from ..sequence.encode import one_hot_codes, reverse_complement, shift_sequences
from .windows import SPLITS


def strand_swap_order(tracks: Sequence[Track]) -> np.ndarray:
    """Track permutation that swaps each stranded track with its pair (others stay)."""
    index = {t.id: i for i, t in enumerate(tracks)}
    order = np.arange(len(tracks))
    for i, track in enumerate(tracks):
        mate = track.strand_pair
        if mate and mate in index:
            order[i] = index[mate]
    return order


def reverse_complement_batch(
    onehot: np.ndarray, targets: np.ndarray, swap: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Reverse-complement ``(batch, length, 4)`` sequences and ``(batch, bins, tracks)`` targets
    (reversed along bins), or ``(batch, tracks)`` labels of whole sequences (not reversed);
    stranded pairs swap in both."""
    if targets.ndim == 2:
        return reverse_complement(onehot), targets[:, swap]
    return reverse_complement(onehot), targets[:, ::-1][:, :, swap]


class TrainingData(keras.utils.PyDataset):
    """Batches ``(one-hot sequences, targets)`` of one split of a store: ``(batch, bins,
    tracks)`` coverage from :func:`~seqreg.data.build_store`, or ``(batch, tracks)`` labels
    from :func:`~seqreg.data.build_label_store`.

    Parameters
    ----------
    store
        Path of an HDF5 store written by :func:`seqreg.data.build_store`.
    split
        ``train``, ``valid`` or ``test``.
    batch_size
        Windows per batch (the last batch may be smaller).
    augment
        Reverse-complement and shift (use for training only).
    shuffle
        Shuffle windows every epoch.
    max_shift
        Largest shift, in bases, when augmenting (Basenji: 3).
    seed
        Seeds shuffling and augmentation.
    **kwargs
        ``workers``, ``use_multiprocessing``, ``max_queue_size`` of ``PyDataset``.
    """

    def __init__(self, store: str | Path, split: str = "train", batch_size: int = 8, augment: bool = False,
                 shuffle: bool = False, max_shift: int = 3, seed: int = 0, **kwargs):  # fmt: skip
        import h5py

        super().__init__(**kwargs)
        if split not in SPLITS:
            raise ValueError(f"split must be one of {SPLITS}, not {split!r}")
        self.store = str(store)
        with h5py.File(self.store, "r") as h5:
            splits = h5["split"].asstr()[:]
            self.tracks = [Track.from_record(r) for r in json.loads(h5.attrs["tracks"])]
        self.indices = np.flatnonzero(splits == split)
        if not len(self.indices):
            raise ValueError(f"{store}: the store has no {split!r} windows")
        self.batch_size, self.augment, self.shuffle, self.max_shift = (
            batch_size,
            augment,
            shuffle,
            max_shift,
        )
        self.swap = strand_swap_order(self.tracks)
        self.seed = seed
        self.set_epoch(0)
        self._h5 = None

    def set_epoch(self, epoch: int) -> None:
        """Order and augmentation of ``epoch``: each epoch draws from its own seed, so a run
        resumed at epoch k sees the batches an uninterrupted run would have seen."""
        self.epoch = epoch
        rng = np.random.default_rng([self.seed, epoch])
        self.order = rng.permutation(self.indices) if self.shuffle else self.indices

    def __len__(self) -> int:
        return -(-len(self.indices) // self.batch_size)

    def _file(self):
        import h5py

        if self._h5 is None:  # opened lazily, once per worker
            self._h5 = h5py.File(self.store, "r")
        return self._h5

    def __getitem__(self, batch: int):
        rows = np.sort(self.order[batch * self.batch_size : (batch + 1) * self.batch_size])
        h5 = self._file()
        onehot = one_hot_codes(h5["sequences"][rows])
        targets = h5["targets"][rows].astype(np.float32)
        if self.augment:
            rng = np.random.default_rng([self.seed, self.epoch, batch])
            flip = rng.random(len(rows)) < 0.5
            if flip.any():
                onehot[flip], targets[flip] = reverse_complement_batch(
                    onehot[flip], targets[flip], self.swap
                )
            if self.max_shift:
                onehot = shift_sequences(
                    onehot, rng.integers(-self.max_shift, self.max_shift + 1, len(rows))
                )
        return onehot, targets

    def on_epoch_end(self):
        self.set_epoch(self.epoch + 1)
