"""VCF files: SNVs checked against the reference FASTA (REF must match), and genotype
dosages ``(variants, samples)`` for LD.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from ..project.errors import InputFileError

# -- VCF -------------------------------------------------------------------------------------
VARIANT_COLUMNS = ["chrom", "pos", "variant_id", "ref", "alt"]


def read_vcf(path: str | Path, fasta: str | Path, region: str | None = None,
             mismatch_warning: float = 0.05):  # fmt: skip
    """Read the single-nucleotide variants of a VCF and check their REF alleles.

    Multi-allelic records are split into one row per ALT allele; indels and symbolic
    alleles are skipped and counted. Chromosome names are matched to the FASTA's
    (``chr1`` or ``1``). A REF allele that differs from the FASTA base excludes the
    variant (counted); when no REF matches at all the VCF is almost certainly on another
    genome build, and that is an error naming both files.

    Parameters
    ----------
    path
        VCF or bgzipped VCF (``region`` needs its tabix index).
    fasta
        The genome FASTA the model reads (indexed; an index is made when missing).
    region
        Optional ``chrom`` or ``chrom:start-end`` (1-based) to read.
    mismatch_warning
        Warn when more than this fraction of REF alleles disagree with the FASTA.

    Returns
    -------
    variants, counts
        DataFrame of ``chrom`` (FASTA spelling), ``pos`` (1-based), ``variant_id`` (the ID
        column, or ``chrom_pos_ref_alt`` when it is ``.``), ``ref``, ``alt``; and a dict of
        counts: ``records``, ``alleles``, ``snvs``, ``indels_skipped``,
        ``symbolic_skipped``, ``other_contig``, ``ref_mismatch``, ``kept``.

    Raises
    ------
    InputFileError
        When the VCF is missing or unreadable, none of its chromosomes is in the FASTA,
        or none of its REF alleles matches the FASTA (another genome build).
    """
    import warnings

    import pandas as pd
    import pysam

    from .fasta import ensure_fasta_index

    path, fasta = Path(path), Path(fasta)
    if not path.exists():
        raise InputFileError(path, "no such VCF file")
    ensure_fasta_index(fasta)
    try:
        vcf = pysam.VariantFile(str(path))
    except (OSError, ValueError) as err:
        raise InputFileError(path, f"is not a readable VCF ({err})") from None
    with vcf, pysam.FastaFile(str(fasta)) as genome:
        try:
            rows, counts, names = _checked_snvs(vcf.fetch(region=region) if region else vcf, genome)
        except (OSError, ValueError) as err:
            raise InputFileError(path, f"could not be read to the end ({err})") from None
    if counts["snvs"] and not rows:
        if counts["other_contig"] == counts["snvs"]:
            raise InputFileError(
                path, f"none of its chromosomes ({', '.join(names[:5])}) is in {fasta}"
            )
        raise InputFileError(path, f"none of its {counts['snvs']} REF alleles matches {fasta}; the VCF is "
                                   "probably on another genome build")  # fmt: skip
    checked = counts["snvs"] - counts["other_contig"]
    if checked and counts["ref_mismatch"] > mismatch_warning * checked:
        warnings.warn(f"{path}: {counts['ref_mismatch']} of {checked} REF alleles differ from "
                      f"{fasta} and were excluded", stacklevel=2)  # fmt: skip
    return pd.DataFrame(rows, columns=VARIANT_COLUMNS).astype({"pos": np.int64}), counts


def _checked_snvs(records, genome) -> tuple[list[tuple], dict[str, int], list[str]]:
    """SNV rows of VCF ``records`` whose REF matches ``genome`` (a pysam FastaFile), the
    counts of :func:`read_vcf`, and the VCF's chromosome names in order of appearance."""
    from .chroms import match_chrom

    counts = dict.fromkeys(("records", "alleles", "snvs", "indels_skipped", "symbolic_skipped",
                            "other_contig", "ref_mismatch", "kept"), 0)  # fmt: skip
    contigs = set(genome.references)
    name_of: dict[str, str | None] = {}
    rows = []
    for record in records:
        counts["records"] += 1
        chrom = record.chrom
        if chrom not in name_of:
            name_of[chrom] = match_chrom(chrom, contigs)
        ref = (record.ref or "").upper()
        for alt in record.alts or ():
            counts["alleles"] += 1
            if alt.startswith("<") or alt in ("*", "."):
                counts["symbolic_skipped"] += 1
            elif len(ref) != 1 or len(alt) != 1:
                counts["indels_skipped"] += 1
            elif name_of[chrom] is None:
                counts["snvs"] += 1
                counts["other_contig"] += 1
            elif genome.fetch(name_of[chrom], record.pos - 1, record.pos).upper() != ref:
                counts["snvs"] += 1
                counts["ref_mismatch"] += 1
            else:
                counts["snvs"] += 1
                name = name_of[chrom]
                rows.append((name, record.pos, record.id or f"{name}_{record.pos}_{ref}_{alt.upper()}", ref,
                             alt.upper()))  # fmt: skip
    counts["kept"] = len(rows)
    return rows, counts, list(name_of)


def _vcf_lines(path: Path, chrom: str):
    """Data lines of one chromosome (tabix when indexed, else a scan of the file)."""
    import gzip

    import pysam

    for index in (Path(f"{path}.tbi"), Path(f"{path}.csi")):
        if index.exists():
            with pysam.TabixFile(str(path)) as tabix:
                if chrom in tabix.contigs:
                    yield from tabix.fetch(chrom)
            return
    opener = gzip.open if path.suffix in (".gz", ".bgz") else open
    with opener(path, "rt") as handle:
        for line in handle:
            if not line.startswith("#") and line.split("\t", 1)[0] == chrom:
                yield line.rstrip("\n")


def _alleles(samples: str, n: int) -> np.ndarray:
    """``(n, 2)`` allele indices of a line's sample columns (-1 = missing)."""
    if len(samples) == 4 * n - 1 and ":" not in samples:  # fast path: diploid 'a|b' or 'a/b'
        raw = np.frombuffer((samples + "\t").encode(), np.uint8).reshape(n, 4)[:, [0, 2]]
        if np.all(((raw >= 48) & (raw <= 57)) | (raw == 46)):
            return np.where(raw == 46, -1, raw.astype(np.int64) - 48)
    out = np.full((n, 2), -1, dtype=np.int64)
    for i, field in enumerate(samples.split("\t")):
        calls = re.split(r"[/|]", field.split(":", 1)[0])
        for k, call in enumerate(calls[:2]):
            if call not in (".", ""):
                out[i, k] = int(call)
        if len(calls) == 1:  # haploid call counts once
            out[i, 1] = 0 if out[i, 0] >= 0 else -1
    return out


def read_dosages(path: str | Path, variants) -> tuple[np.ndarray, list[str]]:
    """ALT-allele dosages (0, 1, 2; NaN when missing) of ``variants`` from a VCF.

    Parameters
    ----------
    path
        VCF or bgzipped VCF with GT calls (tabix-indexed for speed).
    variants
        ``chrom``, ``pos`` (1-based), ``ref``, ``alt``; multi-allelic records are matched
        per ALT allele. Chromosome names may be spelled ``chr1`` or ``1``.

    Returns
    -------
    dosage, samples
        ``(variants, samples)`` float32 in the order of ``variants``, and the sample names.

    Raises
    ------
    InputFileError
        When the VCF is missing, has no samples or no GT field, or lacks genotypes for
        some of ``variants``.
    """
    import pysam

    from .chroms import match_chrom

    path = Path(path)
    if not path.exists():
        raise InputFileError(path, "no such VCF file")
    with pysam.VariantFile(str(path)) as vcf:
        samples = list(vcf.header.samples)
        contigs = set(vcf.header.contigs)
    n = len(samples)
    if not n:
        raise InputFileError(path, "has no sample columns (no genotypes)")
    dosage = np.full((len(variants), n), np.nan, dtype=np.float32)
    found = np.zeros(len(variants), dtype=bool)
    for chrom, rows in variants.groupby("chrom", sort=False).indices.items():
        name = match_chrom(chrom, contigs) or chrom
        wanted = {
            (int(p), r, a): int(i)
            for p, r, a, i in zip(
                variants["pos"].to_numpy()[rows],
                variants["ref"].to_numpy()[rows],
                variants["alt"].to_numpy()[rows],
                rows,
                strict=True,
            )
        }
        for line in _vcf_lines(path, name):
            fields = line.split("\t", 9)
            if len(fields) < 10:
                raise InputFileError(
                    path, f"a {name} line at {fields[1:2]} has no genotype columns"
                )
            pos, ref = int(fields[1]), fields[3].upper()
            alts = fields[4].upper().split(",")
            hits = [(k, wanted.get((pos, ref, alt))) for k, alt in enumerate(alts, 1)]
            hits = [(k, row) for k, row in hits if row is not None]
            if not hits:
                continue
            if not fields[8].startswith("GT"):
                raise InputFileError(path, f"{name}:{pos} has no GT field first in FORMAT")
            calls = _alleles(fields[9], n)
            missing = (calls < 0).any(axis=1)
            for k, row in hits:
                values = (calls == k).sum(axis=1).astype(np.float32)
                values[missing] = np.nan
                dosage[row] = values
                found[row] = True
    if not found.all():
        first = variants.iloc[int(np.flatnonzero(~found)[0])]
        raise InputFileError(
            path,
            f"has no genotypes for {int((~found).sum())} of {len(variants)} variants "
            f"(first: {first['chrom']}:{first['pos']} {first['ref']}>{first['alt']})",
        )
    return dosage, samples
