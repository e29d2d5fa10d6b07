"""Synthetic chromosome sequence: Markov background, CpG islands, repeats, gaps, duplications.

Coordinates are 0-based half-open throughout. Sequences are ``numpy.uint8`` arrays of
ASCII codes (``b"ACGTN"``) until they are written out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

ACGT = np.frombuffer(b"ACGT", dtype=np.uint8)
N_CODE = ord("N")

#: order of the background Markov chain (bases of context)
MARKOV_ORDER = 3
#: human-like base composition (41% GC)
BASE_FREQUENCIES = np.array([0.295, 0.205, 0.205, 0.295])
#: observed/expected CpG outside CpG islands (about 0.2-0.25 in the human genome)
CPG_DEPLETION = 0.22
#: alpha-satellite-like monomer length
SATELLITE_MONOMER = 171


@dataclass
class Chromosome:
    """One synthetic chromosome and the features that shaped its sequence."""

    name: str
    seq: np.ndarray
    gaps: list[tuple[int, int]] = field(default_factory=list)
    satellites: list[tuple[int, int]] = field(default_factory=list)
    simple_repeats: list[tuple[int, int, str]] = field(default_factory=list)
    cpg_islands: list[tuple[int, int]] = field(default_factory=list)
    #: (start, end, source_chrom, source_start) of each duplicated copy
    duplications: list[tuple[int, int, str, int]] = field(default_factory=list)
    #: 100-bp blocks already used by a feature (so features do not overlap)
    occupied: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))

    @property
    def length(self) -> int:
        """Chromosome length in bases."""
        return len(self.seq)

    def is_free(self, start: int, end: int) -> bool:
        """Whether ``[start, end)`` overlaps nothing placed yet."""
        return (
            start >= 0
            and end <= self.length
            and not self.occupied[start // 100 : -(-end // 100)].any()
        )

    def occupy(self, start: int, end: int) -> None:
        """Mark ``[start, end)`` as used."""
        self.occupied[start // 100 : -(-end // 100)] = True


def markov_transitions(rng: np.random.Generator, order: int = MARKOV_ORDER) -> np.ndarray:
    """Transition probabilities ``(4**order, 4)`` of a human-like background.

    Start from the base composition with CpG depletion (a C followed by G is rarer),
    then give every longer context its own mild preference (Dirichlet draws around the
    order-1 probabilities), the higher-order structure real genomes have.
    """
    contexts = 4**order
    table = np.tile(BASE_FREQUENCIES, (contexts, 1))
    last_base = np.arange(contexts) % 4  # the base just before the next one
    table[last_base == 1, 2] *= CPG_DEPLETION  # C -> G
    table /= table.sum(axis=1, keepdims=True)
    concentration = 300.0
    return np.stack([rng.dirichlet(row * concentration) for row in table])


def sample_markov(
    length: int, transitions: np.ndarray, rng: np.random.Generator, n_chains: int = 4096
) -> np.ndarray:
    """Sample ``length`` bases from the Markov chain, as ASCII codes.

    Many independent chains are advanced together (one NumPy step per position of a
    chain) and concatenated, so sampling takes ``length / n_chains`` vectorised steps.
    """
    order = round(np.log(transitions.shape[0]) / np.log(4))
    steps = -(-length // n_chains)
    cumulative = transitions.cumsum(axis=1)
    out = np.empty((n_chains, steps), dtype=np.int64)
    context = rng.integers(0, transitions.shape[0], size=n_chains)
    uniforms = rng.random((steps, n_chains))
    mask = 4**order
    for step in range(steps):
        base = (uniforms[step][:, None] > cumulative[context]).sum(axis=1).clip(0, 3)
        out[:, step] = base
        context = (context * 4 + base) % mask
    return ACGT[out.reshape(-1)[:length]]


def cpg_island(length: int, rng: np.random.Generator) -> np.ndarray:
    """A CpG-island-like stretch: about 65% GC and no CpG depletion."""
    probs = np.array([0.175, 0.325, 0.325, 0.175])
    seq = ACGT[rng.choice(4, size=length, p=probs)]
    # sprinkle CpG dinucleotides to an observed/expected ratio near 0.8
    positions = rng.choice(length - 1, size=int(length * 0.06), replace=False)
    seq[positions] = ord("C")
    seq[positions + 1] = ord("G")
    return seq


def mutate(seq: np.ndarray, rate: float, rng: np.random.Generator) -> np.ndarray:
    """Copy of ``seq`` with a fraction ``rate`` of bases substituted."""
    out = seq.copy()
    hits = np.flatnonzero(rng.random(len(seq)) < rate)
    out[hits] = ACGT[rng.integers(0, 4, size=len(hits))]
    return out


SIMPLE_REPEAT_UNITS = ("CA", "A", "AT", "GGAA", "CAG", "TTTA", "GA")


def build_chromosomes(
    lengths: list[int], rng: np.random.Generator, duplications_per_chrom: int = 3
) -> list[Chromosome]:
    """Background sequence with gaps, satellites, simple repeats and segmental duplications.

    Layout per chromosome: N telomeres at both ends; one centromere-like gap flanked by
    alpha-satellite-like tandem repeats; one or two small internal gaps; simple repeats
    about every 20 kb; ``duplications_per_chrom`` segments of 5-20 kb copied, with 1%
    divergence, to another place (possibly on another chromosome).
    """
    transitions = markov_transitions(rng)
    monomer = sample_markov(SATELLITE_MONOMER, transitions, rng, n_chains=1)
    chromosomes = []
    for i, length in enumerate(lengths, 1):
        chrom = Chromosome(f"chr{i}", sample_markov(length, transitions, rng))
        chrom.occupied = np.zeros(-(-length // 100), dtype=bool)
        telomere = max(2_000, length // 300)
        chrom.gaps += [(0, telomere), (length - telomere, length)]
        centre = int(length * rng.uniform(0.35, 0.6))
        cen_gap = max(5_000, int(length * 0.015))
        satellite = max(3_000, int(length * 0.01))
        chrom.gaps.append((centre, centre + cen_gap))
        chrom.satellites += [
            (centre - satellite, centre),
            (centre + cen_gap, centre + cen_gap + satellite),
        ]
        for start, end in chrom.satellites:
            copies = -(-(end - start) // SATELLITE_MONOMER)
            array = mutate(np.tile(monomer, copies)[: end - start], 0.03, rng)
            chrom.seq[start:end] = array
        for _ in range(int(rng.integers(1, 3))):
            size = int(rng.integers(500, 5_000))
            start = int(rng.integers(telomere * 3, length - telomere * 3 - size))
            if chrom.is_free(start - 1000, start + size + 1000) and not _overlaps(
                chrom.gaps + chrom.satellites, start, start + size
            ):
                chrom.gaps.append((start, start + size))
        for start, end in chrom.gaps + chrom.satellites:
            chrom.occupy(max(0, start - 500), min(length, end + 500))
        for _ in range(length // 20_000):
            unit = SIMPLE_REPEAT_UNITS[int(rng.integers(len(SIMPLE_REPEAT_UNITS)))]
            size = int(rng.integers(20, 200))
            start = int(rng.integers(0, length - size))
            if chrom.is_free(start, start + size):
                chrom.seq[start : start + size] = np.frombuffer(
                    (unit * size).encode()[:size], np.uint8
                )
                chrom.simple_repeats.append((start, start + size, unit))
        chromosomes.append(chrom)
    for chrom in chromosomes:
        for _ in range(duplications_per_chrom):
            _duplicate(chrom, chromosomes[int(rng.integers(len(chromosomes)))], rng)
    for chrom in chromosomes:
        for start, end in chrom.gaps:
            chrom.seq[start:end] = N_CODE
        chrom.gaps.sort()
    return chromosomes


def _overlaps(intervals, start: int, end: int) -> bool:
    return any(s < end and start < e for s, e, *_ in intervals)


def _duplicate(source: Chromosome, target: Chromosome, rng: np.random.Generator) -> None:
    size = int(rng.integers(5_000, 20_000))
    for _ in range(50):
        src = int(rng.integers(0, source.length - size))
        dst = int(rng.integers(0, target.length - size))
        if (
            (source is not target or abs(src - dst) > size)
            and source.is_free(src, src + size)
            and target.is_free(dst, dst + size)
            and not _overlaps(source.duplications, src, src + size)
            and not _overlaps(target.duplications, dst, dst + size)
        ):
            target.seq[dst : dst + size] = mutate(source.seq[src : src + size], 0.01, rng)
            # Not reserved: genes and elements may later land in one copy, so the copies'
            # signals differ, as for real segmental duplications. Both copies are hard to
            # map uniquely.
            source.duplications.append((src, src + size, target.name, dst))
            target.duplications.append((dst, dst + size, source.name, src))
            return


def gc_fraction(seq: np.ndarray, bin_size: int) -> np.ndarray:
    """GC fraction of each bin of an ASCII sequence (bins of N only take 0.41, the genome
    average)."""
    from ..sequence.encode import sequence_codes
    from ..sequence.gc import gc_per_bin

    return gc_per_bin(
        sequence_codes(np.asarray(seq, dtype=np.uint8).tobytes()), bin_size, empty=0.41
    )
