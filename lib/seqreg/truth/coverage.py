"""Coverage from simulated reads against the noise-free truth (notebook 01's check of the
Basenji BAM-to-coverage steps: raw, multi-mapping EM, GC correction)."""

from __future__ import annotations

import numpy as np


def duplication_mask(duplications, lengths: dict[str, int], bin_size: int) -> dict[str, np.ndarray]:
    """Bins that overlap a planted segmental duplication, per chromosome.

    Parameters
    ----------
    duplications
        DataFrame with ``chrom``, ``start``, ``end`` (0-based, bp).
    lengths
        ``{chrom: number of bins}``.
    bin_size
        Bin width in bp.

    Returns
    -------
    dict
        ``{chrom: (bins,) bool}``.
    """
    mask = {c: np.zeros(n, dtype=bool) for c, n in lengths.items()}
    for chrom, start, end in duplications[["chrom", "start", "end"]].itertuples(index=False):
        if chrom in mask:
            mask[chrom][start // bin_size : end // bin_size + 1] = True
    return mask


def coverage_truth_r(coverage: dict[str, np.ndarray], truth: dict[str, np.ndarray],
                     region: dict[str, np.ndarray] | None = None, pool_bins: int = 4) -> float:  # fmt: skip
    """Pearson r of coverage with the noise-free truth over bins the truth covers, after
    summing ``pool_bins`` neighbouring bins (128 bp from 32-bp bins, the Basenji target
    bins); only pooled bins touching ``region`` when given.

    Parameters
    ----------
    coverage, truth
        ``{chrom: (bins,)}`` per-bin values (reads x read length, or truth units).
    region
        ``{chrom: (bins,) bool}``, e.g. from :func:`duplication_mask`.
    pool_bins
        Bins summed into one before correlating.

    Returns
    -------
    float
        Pearson r (NaN when fewer than two pooled bins qualify).
    """
    xs, ys = [], []
    for chrom, values in truth.items():
        n = len(values) // pool_bins * pool_bins
        pooled_truth = values[:n].reshape(-1, pool_bins).sum(1)
        keep = pooled_truth > 0
        if region is not None:
            keep &= region[chrom][:n].reshape(-1, pool_bins).any(1)
        xs.append(coverage[chrom][:n].reshape(-1, pool_bins).sum(1)[keep])
        ys.append(pooled_truth[keep])
    x, y = np.concatenate(xs), np.concatenate(ys)
    return float(np.corrcoef(x, y)[0, 1]) if len(x) > 1 else float("nan")


def bam_coverage_check(manifest, n_reads: int, seed: int = 0):
    """Simulate reads from a synthetic dataset's read source, align them with bowtie2 and
    turn them into coverage three ways (:func:`seqreg.data.bam_coverage`: raw, EM, EM + GC
    correction); correlate each with the noise-free truth, genome-wide and in the planted
    segmental duplications.

    Parameters
    ----------
    manifest
        A synthetic dataset's manifest (with ``truth_read_source`` and an ``unmappable`` BED
        whose 4th column marks ``segmental_duplication``).
    n_reads
        Reads to simulate (50 bp, single end).
    seed
        Seed of the read simulation.

    Returns
    -------
    comparison, methods, n_simulated, bin_size
        DataFrame of Pearson r (rows raw, em, em_gc; columns ``genome-wide``, ``duplicated
        segments``); ``{method: {chrom: (bins,)}}`` coverage; reads written; bin width (bp).

    Raises
    ------
    FileNotFoundError
        When bowtie2 is not installed.
    KeyError
        When the dataset has no planted read source.
    """
    import tempfile

    import pandas as pd
    import pyfaidx

    from ..data.coverage import align_bowtie2, bam_coverage
    from ..simulate.reads import simulate_reads

    path = manifest.truth_path("read_source")
    if path is None:
        raise KeyError(f"{manifest.source}: the dataset has no planted read source")
    source = np.load(path)
    bin_size = int(source["bin_size"])
    chroms = [key.split("/", 1)[1] for key in source.files if key.startswith("origin/")]
    fasta = manifest.path_of("genome_fasta")
    with pyfaidx.Fasta(str(fasta), as_raw=True) as fa:
        sequences = {c: fa[c][:].encode() for c in chroms}
    with tempfile.TemporaryDirectory() as workdir:
        reads = f"{workdir}/reads.fq"
        origin = {c: source[f"origin/{c}"] for c in chroms}
        n_simulated = simulate_reads(sequences, origin, bin_size, n_reads, reads, seed=seed)
        methods = bam_coverage(align_bowtie2(fasta, reads, workdir), fasta, bin_size)
    truth = {c: source[f"truth/{c}"].astype(float) for c in chroms}
    unmappable = pd.read_csv(manifest.path_of("unmappable"), sep="\t", header=None)
    duplications = unmappable[unmappable[3] == "segmental_duplication"].rename(
        columns={0: "chrom", 1: "start", 2: "end"}
    )
    in_duplication = duplication_mask(duplications, {c: len(t) for c, t in truth.items()}, bin_size)
    comparison = pd.DataFrame({
        name: {"genome-wide": coverage_truth_r(cov, truth),
               "duplicated segments": coverage_truth_r(cov, truth, in_duplication)}
        for name, cov in methods.items()
    }).T  # fmt: skip
    return comparison, methods, n_simulated, bin_size
