"""Synthetic genes: transcripts on both strands, alternative TSSs, CpG-island promoters, GTF."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .sequence import Chromosome, cpg_island

#: fraction of genes with a second TSS more than 500 bp from the first (most human genes
#: have alternative promoters; their usage differs between cell types)
ALTERNATIVE_TSS_FRACTION = 0.4
#: fraction of promoters inside a CpG island, by kind of gene: housekeeping genes mostly have
#: CpG-island promoters, broadly active; tissue-specific genes more often CpG-poor promoters
#: that need their tissue's TFs (Saxonov et al. 2006; about 60% of genes overall)
CPG_ISLAND_PROMOTERS = {"housekeeping": 0.9, "tissue": 0.45}


@dataclass
class Transcript:
    transcript_id: str
    gene_id: str
    chrom: str
    strand: str
    tss: int
    exons: list[tuple[int, int]]

    @property
    def start(self) -> int:
        """Leftmost base (0-based)."""
        return self.exons[0][0]

    @property
    def end(self) -> int:
        """End (0-based, exclusive)."""
        return self.exons[-1][1]


@dataclass
class Gene:
    gene_id: str
    chrom: str
    strand: str
    program: str  # a tissue name, or "housekeeping"
    transcripts: list[Transcript]
    cpg_island: bool
    alternative_program: str = ""  # tissue program of the alternative TSS's promoter

    @property
    def start(self) -> int:
        """Leftmost base (0-based)."""
        return min(t.start for t in self.transcripts)

    @property
    def end(self) -> int:
        """End (0-based, exclusive)."""
        return max(t.end for t in self.transcripts)

    @property
    def tss(self) -> int:
        """Transcription start site of the gene's first transcript (0-based)."""
        return self.transcripts[0].tss


def place_genes(
    chromosomes: list[Chromosome],
    programs: list[str],
    rng: np.random.Generator,
    spacing: int = 50_000,
) -> list[Gene]:
    """Genes about every ``spacing`` bases, each with 1-2 transcripts and a program.

    About a third of genes are housekeeping; the rest belong to one tissue program.
    ``ALTERNATIVE_TSS_FRACTION`` of genes get a second TSS 1-4 kb downstream whose promoter
    follows another tissue's program (``Gene.alternative_program``), so that the two TSSs'
    usage switches between cell types (Basenji 2018, Fig 3). Promoters (TSS -1 kb to
    +500 bp) are kept free of other features; CpG-island promoters (by kind of gene,
    ``CPG_ISLAND_PROMOTERS``) get an island sequence over TSS -500 to +500.
    """
    genes: list[Gene] = []
    for chrom in chromosomes:
        n_genes = max(2, chrom.length // spacing)
        for _ in range(n_genes * 20):
            if sum(g.chrom == chrom.name for g in genes) >= n_genes:
                break
            strand = "+" if rng.random() < 0.5 else "-"
            length = int(rng.integers(5_000, 40_000))
            tss = int(rng.integers(10_000, chrom.length - 10_000))
            lo, hi = (tss - 1_000, tss + length) if strand == "+" else (tss - length, tss + 1_000)
            if lo < 0 or hi > chrom.length or not chrom.is_free(lo, hi):
                continue
            if any(g.chrom == chrom.name and abs(g.tss - tss) < spacing // 3 for g in genes):
                continue
            gene_id = f"SYNG{len(genes) + 1:05d}"
            program = (
                "housekeeping"
                if rng.random() < 0.33
                else programs[int(rng.integers(len(programs)))]
            )
            transcripts = [
                _transcript(f"{gene_id}.1", gene_id, chrom.name, strand, tss, length, rng)
            ]
            alternative_program = ""
            if rng.random() < ALTERNATIVE_TSS_FRACTION:
                others = [p for p in programs if p != program]
                alternative_program = others[int(rng.integers(len(others)))] if others else program
                shift = int(rng.integers(1_000, 4_000))
                alt_tss = tss + shift if strand == "+" else tss - shift
                alt = _transcript(
                    f"{gene_id}.2", gene_id, chrom.name, strand, alt_tss, length - shift, rng
                )
                transcripts.append(alt)
            kind = "housekeeping" if program == "housekeeping" else "tissue"
            has_island = rng.random() < CPG_ISLAND_PROMOTERS[kind]
            if has_island:
                chrom.seq[tss - 500 : tss + 500] = cpg_island(1_000, rng)
                chrom.cpg_islands.append((tss - 500, tss + 500))
            # the gene body may hold enhancers; promoters are reserved
            for t in transcripts:
                chrom.occupy(t.tss - 1_000, t.tss + 500)
            gene = Gene(gene_id, chrom.name, strand, program, transcripts, has_island)
            gene.alternative_program = alternative_program
            genes.append(gene)
    return sorted(genes, key=lambda g: (g.chrom, g.tss))


def _transcript(
    transcript_id: str, gene_id: str, chrom: str, strand: str, tss: int, length: int, rng
) -> Transcript:
    # exon starts along the transcript, measured from the TSS in transcription direction
    starts = np.arange(1_000, max(length - 500, 1_500), 100)
    n_exons = min(int(rng.integers(2, 8)), len(starts) + 1)
    offsets = np.sort(rng.choice(starts, n_exons - 1, replace=False))
    blocks = [(0, int(rng.integers(100, 400)))]
    for offset in offsets:
        blocks.append((int(offset), int(offset + rng.integers(80, 300))))
    blocks[-1] = (blocks[-1][0], max(blocks[-1][1], length))
    if strand == "+":
        exons = [(tss + a, tss + b) for a, b in blocks]
    else:
        exons = sorted((tss - b, tss - a) for a, b in blocks)
    return Transcript(transcript_id, gene_id, chrom, strand, tss, exons)


def gtf_lines(genes: list[Gene]) -> list[str]:
    """GTF (1-based, inclusive) gene, transcript and exon records."""
    lines = []
    for g in genes:
        attrs = f'gene_id "{g.gene_id}"; gene_name "{g.gene_id}"; gene_type "protein_coding";'
        lines.append(_gtf(g.chrom, "gene", g.start, g.end, g.strand, attrs))
        for t in g.transcripts:
            t_attrs = f'{attrs} transcript_id "{t.transcript_id}";'
            lines.append(_gtf(g.chrom, "transcript", t.start, t.end, g.strand, t_attrs))
            order = t.exons if g.strand == "+" else t.exons[::-1]
            for number, (start, end) in enumerate(order, 1):
                lines.append(
                    _gtf(g.chrom, "exon", start, end, g.strand, f"{t_attrs} exon_number {number};")
                )
    return lines


def _gtf(chrom: str, feature: str, start: int, end: int, strand: str, attrs: str) -> str:
    return f"{chrom}\tseqreg\t{feature}\t{start + 1}\t{end}\t.\t{strand}\t.\t{attrs}\n"


def tss_rows(genes: list[Gene]) -> list[tuple]:
    """BED6+1 rows (chrom, tss, tss+1, transcript_id, 0, strand, gene_id) of every TSS."""
    return [
        (t.chrom, t.tss, t.tss + 1, t.transcript_id, 0, g.strand, g.gene_id)
        for g in genes
        for t in g.transcripts
    ]
