"""A dataset's annotation files read in its genome's terms: chromosome names spelt as the
FASTA spells them, excluded chromosomes left out, TSSs from the GTF when no TSS file exists.

Every reader of the manifest's FASTA sizes, BED intervals and TSSs (window planning, target
masking, notebooks 00-06) goes through these functions, so a BED spelled ``1`` against a
FASTA spelled ``chr1`` masks what it should, and a chromosome excluded in the manifest
(``genomes[].exclude_chroms``) is gone everywhere at once.
"""

from __future__ import annotations

import logging

from ..project.errors import InputFileError

log = logging.getLogger(__name__)

#: formats of BED-like interval files that :func:`dataset_intervals` reads
INTERVAL_FORMATS = ("bed", "bed_gz", "narrowpeak_gz")


def _genome(manifest, genome: str | None):
    genome = genome or next(iter(manifest.genomes))
    return genome, manifest.genomes[genome]


def genome_chrom_sizes(manifest, genome: str | None = None) -> dict[str, int]:
    """Chromosome lengths of a dataset's genome from its FASTA index, without the chromosomes
    the manifest excludes (``genomes[].exclude_chroms``).

    Parameters
    ----------
    manifest
        A :class:`seqreg.project.Manifest`.
    genome
        Genome id (default: the manifest's first genome).

    Returns
    -------
    dict
        ``{chrom: length in bp}`` in FASTA order, spelt as the FASTA spells them.

    Raises
    ------
    InputFileError
        When the FASTA cannot be indexed, or every chromosome is excluded.
    """
    from ..io.fasta import ensure_fasta_index, read_chrom_sizes

    genome, info = _genome(manifest, genome)
    fasta = manifest.path_of("genome_fasta", genome)
    sizes = read_chrom_sizes(ensure_fasta_index(fasta))
    kept = {c: n for c, n in sizes.items() if not info.excludes(c)}
    if not kept:
        raise InputFileError(
            manifest.source,
            f"genome {genome!r}: exclude_chroms leaves none of {fasta}'s chromosomes",
        )
    return kept


def to_genome_names(table, sizes: dict[str, int], path, column: str = "chrom"):
    """Rows of ``table`` respelt to the genome's chromosome names (``1`` -> ``chr1``, ``MT`` ->
    ``chrM`` or the reverse, whichever the genome uses); rows on chromosomes the genome lacks or
    excludes are dropped, with a log message naming ``path`` and how many.

    Returns
    -------
    pandas.DataFrame
        A copy of the kept rows, index reset.
    """
    from ..io.chroms import match_chrom

    names = {c: match_chrom(c, sizes) for c in table[column].unique()}
    renamed = table[column].map(names)
    dropped = renamed.isna()
    if dropped.any():
        log.info("%s: %d of %d lines lie on chromosomes left out of the genome (%s)", path,
                 int(dropped.sum()), len(table), ", ".join(sorted(c for c, n in names.items() if n is None)[:5]))  # fmt: skip
    return table.assign(**{column: renamed})[~dropped].reset_index(drop=True)


def dataset_intervals(manifest, role: str, genome: str | None = None):
    """Intervals of every BED-like file of ``role`` (gaps, blacklist, unmappable, peaks ...)
    of one genome, chromosome names spelt as the genome's FASTA spells them.

    Returns
    -------
    pandas.DataFrame or None
        ``chrom``, ``start``, ``end`` (0-based, half-open, bp) of all files together; None
        when the dataset has no BED-like file of ``role`` for the genome.

    Raises
    ------
    InputFileError
        When a file is unreadable (see :func:`seqreg.io.read_bed`).
    """
    import pandas as pd

    from ..io.annotation import read_bed

    genome, _ = _genome(manifest, genome)
    entries = [e for e in manifest.files_with_role(role, genome) if e.format in INTERVAL_FORMATS]
    if not entries:
        return None
    sizes = genome_chrom_sizes(manifest, genome)
    frames = [to_genome_names(read_bed(e.local_path), sizes, e.local_path) for e in entries]
    return pd.concat(frames, ignore_index=True)


def dataset_tss(manifest, genome: str | None = None):
    """Transcription start sites of a dataset: its ``tss`` BED when it has one, else the
    transcripts of its ``gene_annotation`` GTF (:func:`seqreg.io.tss_from_gtf`), spelt as the
    genome's FASTA spells chromosomes, excluded chromosomes left out.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`seqreg.io.TSS_COLUMNS` (``chrom``, 0-based ``position``, ``end``,
        ``transcript_id``, ``score``, ``strand``, ``gene_id``).

    Raises
    ------
    InputFileError
        When the dataset has neither a ``tss`` file nor a ``gene_annotation`` GTF (naming the
        manifest), or the file is unreadable.
    """
    from ..io.annotation import read_tss, tss_from_gtf

    genome, _ = _genome(manifest, genome)
    if manifest.has("tss", genome):
        path = manifest.path_of("tss", genome)
        table = read_tss(path)
    elif manifest.has("gene_annotation", genome):
        path = manifest.path_of("gene_annotation", genome)
        table = tss_from_gtf(path)
    else:
        raise InputFileError(
            manifest.source,
            f"genome {genome!r} has neither a 'tss' file nor a 'gene_annotation' GTF to take TSSs from",
        )
    table = to_genome_names(table, genome_chrom_sizes(manifest, genome), path)
    if not len(table):
        raise InputFileError(
            path,
            f"none of its TSSs lie on a chromosome of {manifest.path_of('genome_fasta', genome)}",
        )
    return table
