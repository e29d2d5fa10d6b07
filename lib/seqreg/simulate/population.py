"""Genotypes: msprime ancestry and mutations over the synthetic chromosomes, written as VCF.

A constant-size population (Ne 10,000) with a recombination map of a 1e-8 per bp
background and hotspots (about one per 100 kb, 20x the background over 2 kb) gives
human-like LD decay over tens of kb. Mutations (rate 1.25e-8) fall on a discrete genome;
sites in assembly gaps and multi-allelic sites are dropped, the REF allele is the
FASTA base and the ALT allele a transition twice as often as a transversion.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .sequence import Chromosome

POPULATION_SIZE = 10_000
MUTATION_RATE = 1.25e-8
RECOMBINATION_RATE = 1e-8
TRANSITION = {"A": "G", "G": "A", "C": "T", "T": "C"}


@dataclass
class Genotypes:
    """Phased haplotypes of one population.

    ``variants`` has ``chrom``, ``pos`` (0-based), ``ref``, ``alt``, ``variant_id``
    (GTEx style ``chr1_12346_A_G_b38``, 1-based), ``rsid``; ``haplotypes`` is
    ``(n_variants, 2 * n_individuals)`` uint8 with individual ``i`` in columns
    ``2i`` and ``2i + 1``.
    """

    variants: pd.DataFrame
    haplotypes: np.ndarray
    samples: list[str]

    def dosage(self) -> np.ndarray:
        """``(n_variants, n_individuals)`` alternative-allele counts."""
        return self.haplotypes[:, 0::2] + self.haplotypes[:, 1::2]

    def alt_frequency(self) -> np.ndarray:
        """ALT allele frequency of each variant, ``(variants,)``."""
        return self.haplotypes.mean(axis=1)


def recombination_map(length: int, rng: np.random.Generator):
    """A msprime RateMap: background rate with a hotspot about every 100 kb."""
    import msprime

    positions = [0.0]
    rates = []
    cursor = 0.0
    while True:
        gap = float(rng.exponential(100_000))
        start = cursor + gap
        if start + 2_000 >= length:
            break
        positions += [start, start + 2_000]
        rates += [RECOMBINATION_RATE, RECOMBINATION_RATE * 20]
        cursor = start + 2_000
    positions.append(float(length))
    rates.append(RECOMBINATION_RATE)
    return msprime.RateMap(position=positions, rate=rates)


def simulate_genotypes(
    chromosomes: list[Chromosome], n_individuals: int, rng: np.random.Generator
) -> Genotypes:
    """Simulate ``n_individuals`` diploid genomes over every chromosome independently."""
    import msprime

    tables, blocks = [], []
    for chrom in chromosomes:
        ts = msprime.sim_ancestry(
            samples=n_individuals,
            population_size=POPULATION_SIZE,
            recombination_rate=recombination_map(chrom.length, rng),
            sequence_length=chrom.length,
            random_seed=int(rng.integers(1, 2**31 - 1)),
        )
        ts = msprime.sim_mutations(ts, rate=MUTATION_RATE, discrete_genome=True,
                                   random_seed=int(rng.integers(1, 2**31 - 1)))  # fmt: skip
        positions = ts.tables.sites.position.astype(np.int64)
        n_mutations = np.bincount(ts.tables.mutations.site, minlength=ts.num_sites)
        haplotypes = ts.genotype_matrix().astype(np.uint8)
        ref = chrom.seq[positions]
        keep = (n_mutations == 1) & (ref != ord("N")) & (haplotypes.max(axis=1) == 1)
        positions, ref, haplotypes = positions[keep], ref[keep], haplotypes[keep]
        ref_bases = [chr(b) for b in ref]
        alts = []
        for base in ref_bases:
            if rng.random() < 2 / 3:
                alts.append(TRANSITION[base])
            else:
                alts.append(
                    str(rng.choice([b for b in "ACGT" if b not in (base, TRANSITION[base])]))
                )
        tables.append(
            pd.DataFrame({"chrom": chrom.name, "pos": positions, "ref": ref_bases, "alt": alts})
        )
        blocks.append(haplotypes)
    variants = pd.concat(tables, ignore_index=True)
    samples = [f"SYN{i + 1:05d}" for i in range(n_individuals)]
    genotypes = Genotypes(variants, np.vstack(blocks), samples)
    _label(genotypes)
    return genotypes


def _label(genotypes: Genotypes) -> None:
    v = genotypes.variants
    v["variant_id"] = (
        v["chrom"] + "_" + (v["pos"] + 1).astype(str) + "_" + v["ref"] + "_" + v["alt"] + "_b38"
    )
    v["rsid"] = [f"rs{900_000_000 + i}" for i in range(len(v))]


def move_variant(genotypes: Genotypes, index: int, pos: int, ref: str, alt: str) -> None:
    """Give variant ``index`` a new position and alleles (keeping its haplotypes)."""
    v = genotypes.variants
    v.loc[index, ["pos", "ref", "alt"]] = [pos, ref, alt]


def sort_and_label(genotypes: Genotypes) -> Genotypes:
    """Sort by chromosome order and position and refresh the identifiers."""
    v = genotypes.variants
    chrom_order = {c: i for i, c in enumerate(dict.fromkeys(v["chrom"]))}
    order = np.lexsort((v["pos"].to_numpy(), v["chrom"].map(chrom_order).to_numpy()))
    sorted_genotypes = Genotypes(
        v.iloc[order].reset_index(drop=True), genotypes.haplotypes[order], genotypes.samples
    )
    _label(sorted_genotypes)
    return sorted_genotypes


def write_vcf(
    path, genotypes: Genotypes, chrom_sizes: dict[str, int], source: str = "seqreg.simulate"
) -> None:
    """Write a bgzipped VCF 4.2 of phased genotypes to ``path`` (``.vcf.gz``) and its tabix index."""
    import os
    import tempfile
    from pathlib import Path

    import pysam

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    codes = np.array(["0|0", "0|1", "1|0", "1|1"])
    header = ["##fileformat=VCFv4.2", f"##source={source}"]
    header += [f"##contig=<ID={c},length={n}>" for c, n in chrom_sizes.items()]
    header += ['##FORMAT=<ID=GT,Number=1,Type=String,Description="Phased genotype">']
    header += [
        "#"
        + "\t".join(
            [
                "CHROM",
                "POS",
                "ID",
                "REF",
                "ALT",
                "QUAL",
                "FILTER",
                "INFO",
                "FORMAT",
                *genotypes.samples,
            ]
        )
    ]
    genotype_codes = genotypes.haplotypes[:, 0::2] * 2 + genotypes.haplotypes[:, 1::2]
    with tempfile.TemporaryDirectory(dir=path.parent) as tmp:
        plain = Path(tmp) / "genotypes.vcf"
        with open(plain, "w") as handle:
            handle.write("\n".join(header) + "\n")
            for i, row in enumerate(genotypes.variants.itertuples(index=False)):
                fields = [
                    row.chrom,
                    str(row.pos + 1),
                    row.rsid,
                    row.ref,
                    row.alt,
                    ".",
                    "PASS",
                    ".",
                    "GT",
                ]
                handle.write("\t".join(fields) + "\t" + "\t".join(codes[genotype_codes[i]]) + "\n")
        compressed = Path(tmp) / "genotypes.vcf.gz"
        pysam.tabix_compress(str(plain), str(compressed), force=True)
        pysam.tabix_index(str(compressed), preset="vcf", force=True)
        os.replace(compressed, path)
        os.replace(f"{compressed}.tbi", f"{path}.tbi")
