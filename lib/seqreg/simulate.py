"""The embedded synthetic dataset, generated from a seed with its ground truth.

:func:`write_dataset` is the generator named by ``data_manifest/synthetic.yaml``. It
writes a genome and the coverage tracks the manifest lists, in real file formats, and
the planted truth that the notebooks' "did we recover it" cells score against.

What it plants so far:

- a genome of several chromosomes with human-like base composition (about 41% GC) and
  assembly gaps (runs of N) at chromosome ends and inside chromosomes;
- one bigWig per manifest track at 32 bp resolution: Poisson counts around punctate
  (DNase/ATAC, CAGE) or broad (histone marks) peaks that are shared across assays of a
  cell type, uncovered (NaN) bins over assembly gaps and over extra missing-data
  stretches in some tracks, and zeros where no read falls;
- the exact N fraction per chromosome and NaN/zero fractions per track and chromosome.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .genome import write_bed, write_chrom_sizes, write_fasta
from .io import write_json
from .manifest import Manifest, Track
from .tracks import write_bigwig

BIN_SIZE = 32

#: chromosome lengths per scale (bases)
GENOME_LAYOUT: dict[str, list[int]] = {
    "smoke": [400_000, 350_000, 250_000],
    "demo": [3_200_000, 2_800_000, 2_400_000, 1_600_000],
    "paper": [40_000_000, 32_000_000, 28_000_000, 24_000_000, 20_000_000, 16_000_000],
}

#: base frequencies A, C, G, T (41% GC as in the human genome)
BASE_FREQUENCIES = np.array([0.295, 0.205, 0.205, 0.295])

_ASSAY_SHAPE = {
    # assay family: (peak half-width in bins, peak height, background rate per bin)
    "punctate": (4, 40.0, 0.6),
    "broad": (60, 12.0, 1.0),
}


def _assay_family(assay: str) -> str:
    return "broad" if assay.upper().startswith(("H3", "H4", "H2")) else "punctate"


def simulate_genome(
    lengths: list[int], rng: np.random.Generator
) -> tuple[dict[str, bytes], list[tuple[str, int, int]]]:
    """Random chromosomes with assembly gaps.

    Returns
    -------
    sequences
        ``{chrom: bytes}`` with upper-case ACGT and N.
    gaps
        ``(chrom, start, end)`` of every N run, sorted.
    """
    alphabet = np.frombuffer(b"ACGT", dtype=np.uint8)
    sequences: dict[str, bytes] = {}
    gaps: list[tuple[str, int, int]] = []
    for i, length in enumerate(lengths, 1):
        chrom = f"chr{i}"
        seq = alphabet[rng.choice(4, size=length, p=BASE_FREQUENCIES)]
        # telomeric gaps at both ends, then 1-3 internal gaps (one centromere-sized)
        telomere = max(1_000, length // 100)
        chrom_gaps = [(0, telomere), (length - telomere, length)]
        n_internal = int(rng.integers(1, 4))
        for j in range(n_internal):
            size = int(length * (0.03 if j == 0 else rng.uniform(0.001, 0.005)))
            start = int(rng.integers(telomere * 2, length - telomere * 2 - size))
            chrom_gaps.append((start, start + size))
        mask = np.zeros(length, dtype=bool)
        for start, end in chrom_gaps:
            mask[start:end] = True
        seq[mask] = ord("N")
        sequences[chrom] = seq.tobytes()
        edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
        gaps.extend(
            (chrom, int(s), int(e))
            for s, e in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True)
        )
    return sequences, gaps


def simulate_track(
    track: Track,
    sizes: dict[str, int],
    gap_mask: dict[str, np.ndarray],
    peaks: dict[str, np.ndarray],
    rng: np.random.Generator,
    missing_stretches: int,
) -> dict[str, np.ndarray]:
    """Binned counts of one track; NaN over gaps and over ``missing_stretches`` per chromosome."""
    half_width, height, background = _ASSAY_SHAPE[_assay_family(track.assay)]
    kernel = np.exp(-0.5 * (np.arange(-3 * half_width, 3 * half_width + 1) / half_width) ** 2)
    values: dict[str, np.ndarray] = {}
    for chrom, length in sizes.items():
        n_bins = -(-length // BIN_SIZE)
        centres = np.zeros(n_bins)
        centres[peaks[chrom]] = rng.gamma(2.0, height / 2.0, size=len(peaks[chrom]))
        rate = background * rng.uniform(0.5, 1.0) + np.convolve(centres, kernel, mode="same")
        counts = rng.poisson(rate).astype(np.float64)
        counts[gap_mask[chrom]] = np.nan
        for _ in range(missing_stretches):
            size = int(rng.integers(n_bins // 200 + 1, n_bins // 50 + 2))
            start = int(rng.integers(0, n_bins - size))
            counts[start : start + size] = np.nan
        values[chrom] = counts
    return values


def _binned_fractions(values: np.ndarray, length: int) -> tuple[float, float]:
    """Exact base-level NaN and zero fractions of a binned track (last bin clipped)."""
    widths = np.full(len(values), BIN_SIZE, dtype=np.int64)
    widths[-1] = length - BIN_SIZE * (len(values) - 1)
    nan = float(widths[np.isnan(values)].sum()) / length
    zero = float(widths[values == 0].sum()) / length
    return nan, zero


def write_dataset(manifest: Manifest, out_dir: str | Path, *, progress: bool = True) -> None:
    """Write the synthetic dataset the manifest describes into ``out_dir``.

    ``out_dir`` stands for the manifest's root: every file goes to its path relative
    to that root. Deterministic for a given manifest seed and scale.
    """
    from tqdm.auto import tqdm

    out_dir = Path(out_dir)

    def target(entry) -> Path:
        return out_dir / entry.local_path.relative_to(manifest.root)

    rng = np.random.default_rng([manifest.seed, _scale_code(manifest.scale)])
    genome_id = next(iter(manifest.genomes))
    sequences, gaps = simulate_genome(GENOME_LAYOUT[manifest.scale], rng)
    sizes = {chrom: len(seq) for chrom, seq in sequences.items()}
    write_fasta(target(manifest.file("genome_fasta", genome_id)), sequences)
    write_chrom_sizes(target(manifest.file("chrom_sizes", genome_id)), sizes)
    write_bed(target(manifest.file("gaps", genome_id)), gaps)

    # Bins entirely inside a gap carry no data, as an aligner leaves them.
    gap_mask = {}
    for chrom, length in sizes.items():
        n_bins = -(-length // BIN_SIZE)
        is_n = np.frombuffer(sequences[chrom], dtype=np.uint8) == ord("N")
        padded = np.concatenate([is_n, np.ones(n_bins * BIN_SIZE - length, dtype=bool)])
        gap_mask[chrom] = padded.reshape(n_bins, BIN_SIZE).all(axis=1)

    # Peaks are shared by the assays of a cell type; a third are shared across cell types.
    shared = {c: _draw_peaks(gap_mask[c], rng, per_mb=20) for c in sizes}
    cell_peaks: dict[str, dict[str, np.ndarray]] = {}
    truth_nan: dict[str, dict[str, float]] = {}
    truth_zero: dict[str, dict[str, float]] = {}
    for k, track in enumerate(tqdm(manifest.tracks, desc="synthetic tracks", disable=not progress)):
        if track.cell_type not in cell_peaks:
            cell_peaks[track.cell_type] = {
                c: np.union1d(shared[c], _draw_peaks(gap_mask[c], rng, per_mb=40)) for c in sizes
            }
        values = simulate_track(
            track, sizes, gap_mask, cell_peaks[track.cell_type], rng, missing_stretches=k % 3
        )
        write_bigwig(target(track), sizes, values, BIN_SIZE)
        fractions = {c: _binned_fractions(values[c], sizes[c]) for c in sizes}
        truth_nan[track.id] = {c: f[0] for c, f in fractions.items()}
        truth_zero[track.id] = {c: f[1] for c, f in fractions.items()}

    n_bases = {c: 0 for c in sizes}
    for chrom, start, end in gaps:
        n_bases[chrom] += end - start
    truth = {
        "description": "planted truth of the synthetic dataset",
        "seed": manifest.seed,
        "scale": manifest.scale,
        "bin_size": BIN_SIZE,
        "n_fraction": {c: n_bases[c] / sizes[c] for c in sizes},
        "track_nan_fraction": truth_nan,
        "track_zero_fraction": truth_zero,
    }
    write_json(target(manifest.file("truth")), truth)


def _draw_peaks(gap_mask: np.ndarray, rng: np.random.Generator, per_mb: float) -> np.ndarray:
    """Bin indices of peak summits outside gaps, about ``per_mb`` per megabase."""
    n_bins = len(gap_mask)
    count = max(1, int(n_bins * BIN_SIZE / 1e6 * per_mb))
    summits = rng.integers(0, n_bins, size=count)
    return np.unique(summits[~gap_mask[summits]])


def _scale_code(scale: str) -> int:
    return {"smoke": 0, "demo": 1, "paper": 2}[scale]
