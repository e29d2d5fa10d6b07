"""Sequencing reads drawn from a track's read-origin density (for the BAM-to-coverage demo)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

COMPLEMENT = bytes.maketrans(b"ACGTN", b"TGCAN")


def simulate_reads(
    sequences: dict[str, bytes],
    origin: dict[str, np.ndarray],
    bin_size: int,
    n_reads: int,
    path: str | Path,
    read_length: int = 50,
    error_rate: float = 0.005,
    seed: int = 0,
) -> int:
    """Write ``n_reads`` single-end reads to a FASTQ file and return how many were written.

    Read starts fall in bins with probability proportional to ``origin`` (per chromosome,
    per bin), uniformly within the bin, on either strand; bases are substituted at
    ``error_rate``; reads touching N are skipped. Reads from both copies of a segmental
    duplication are drawn, so some map to several places.
    """
    from ..project.files import atomic_path

    rng = np.random.default_rng(seed)
    chroms = list(origin)
    weights = np.concatenate([origin[c] for c in chroms]).astype(float)
    offsets = np.cumsum([0] + [len(origin[c]) for c in chroms])
    draws = rng.choice(len(weights), size=n_reads, p=weights / weights.sum())
    written = 0
    with atomic_path(path) as tmp, open(tmp, "w") as handle:
        for k, flat in enumerate(np.sort(draws)):
            c = int(np.searchsorted(offsets, flat, side="right") - 1)
            chrom = chroms[c]
            start = int((flat - offsets[c]) * bin_size + rng.integers(0, bin_size))
            read = sequences[chrom][start : start + read_length]
            if len(read) < read_length or b"N" in read:
                continue
            if rng.random() < 0.5:
                read = read.translate(COMPLEMENT)[::-1]
            codes = np.frombuffer(read, dtype=np.uint8).copy()
            errors = np.flatnonzero(rng.random(read_length) < error_rate)
            codes[errors] = np.frombuffer(b"ACGT", dtype=np.uint8)[rng.integers(0, 4, len(errors))]
            handle.write(f"@r{k}\n{codes.tobytes().decode()}\n+\n{'I' * read_length}\n")
            written += 1
    return written
