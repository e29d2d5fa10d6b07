"""The planted regulatory grammar: TFs, cell types, elements, motif sites, activity, expression.

The model, in words:

- Each **cell type** belongs to a tissue and has a **TF activity** in [0, 1] for every
  TF: high for the TFs of its tissue program, low otherwise, with cell-type variation.
- **Elements** are promoters (one per TSS), distal enhancers (placed for a gene, up to
  ~100 kb away), CTCF sites and REST-bound silencers. Each holds binding sites sampled
  from real JASPAR 2024 matrices.
- Every **core promoter** is marked in sequence: an initiator (Inr, YYANWYY with the A
  at the TSS) at every TSS, within a CpG island or, at CpG-poor promoters, with a TATA
  box (TBP, JASPAR MA0108.3) 31-25 bp upstream, as in mammalian genomes, where TATA boxes
  sit mostly in CpG-poor, tissue-specific promoters (Juven-Gershon & Kadonaga 2010). The
  core promoter places the TSS; it does not enter the activity model below.
- An element's **activity** in a cell type is a logistic function of its drive: the sum
  over its sites of ``tf_weight * site_score * tf_activity``, plus a cooperative bonus
  ``pair_bonus * min(activity_a, activity_b)`` for each TF pair planted with the right
  spacing and orientation (wrongly spaced decoy pairs get no bonus).
- A transcript's **expression** (expected CAGE at its TSS) is
  ``basal * promoter_activity * (0.25 + sum_enhancers activity * strength *
  exp(-distance / decay) * insulation) * prod_silencers (1 - 0.85 * activity)``, where
  ``insulation`` multiplies ``1 - 0.5 * activity`` for every CTCF site in between.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..sequence.motifs import Motif, load_jaspar, sample_site
from .genes import Gene
from .sequence import Chromosome

#: JASPAR 2024 CORE vertebrate matrices planted in the synthetic genome
MOTIF_IDS: dict[str, str] = {
    "CTCF": "MA0139.2", "SPI1": "MA0080.7", "GATA1": "MA0035.5", "HNF4A": "MA0114.5",
    "HNF1A": "MA0046.3", "CEBPB": "MA0466.4", "FOXA2": "MA0047.4", "RUNX1": "MA0002.3",
    "ETS1": "MA0098.4", "IRF1": "MA0050.4", "POU2F2": "MA0507.3", "YY1": "MA0095.4",
    "SIX2": "MA1119.2", "TWIST1": "MA1123.3", "GRHL2": "MA1105.3", "ASCL1": "MA1100.3",
    "MEF2C": "MA0497.2", "NEUROD1": "MA1109.2", "REST": "MA0138.3", "CDX2": "MA0465.3",
    "GATA4": "MA0482.3",
}  # fmt: skip

#: the TATA box of CpG-poor promoters (TBP) and where it starts: this many bases upstream
#: of the TSS (the TATA box sits about 30 bp upstream)
CORE_PROMOTER_MOTIF: tuple[str, str] = ("TBP", "MA0108.3")
TATA_UPSTREAM = 31
#: the initiator, YYANWYY from -2 to +5 with the A at the TSS (Juven-Gershon & Kadonaga
#: 2010; JASPAR's CORE collection has no matrix for it), rows A, C, G, T
INITIATOR = Motif("Inr", "YYANWYY", np.array([
    [0.05, 0.45, 0.05, 0.45], [0.05, 0.45, 0.05, 0.45], [0.91, 0.03, 0.03, 0.03],
    [0.25, 0.25, 0.25, 0.25], [0.45, 0.05, 0.05, 0.45], [0.05, 0.45, 0.05, 0.45],
    [0.05, 0.45, 0.05, 0.45],
]))  # fmt: skip
INITIATOR_UPSTREAM = 2  # the Inr starts 2 bases before the TSS

#: tissue programs: TF -> relative activity in the tissue's cell types
PROGRAMS: dict[str, dict[str, float]] = {
    "immune": {"SPI1": 1.0, "IRF1": 0.9, "RUNX1": 0.9, "ETS1": 0.9, "POU2F2": 0.8, "CEBPB": 0.6, "GATA1": 0.5},
    "liver": {"HNF4A": 1.0, "HNF1A": 1.0, "CEBPB": 0.9, "FOXA2": 1.0},
    "brain": {"ASCL1": 1.0, "NEUROD1": 1.0, "MEF2C": 0.8},
    "heart": {"MEF2C": 1.0, "GATA4": 1.0, "TWIST1": 0.8},
    "kidney": {"HNF1A": 1.0, "SIX2": 1.0, "GRHL2": 1.0, "HNF4A": 0.5},
    "intestine": {"CDX2": 1.0, "HNF4A": 1.0, "GRHL2": 0.9, "FOXA2": 0.7},
}  # fmt: skip

#: cell types with their own TF balance within a tissue (others draw a random variant)
CELL_TYPE_PROFILES: dict[str, dict[str, float]] = {
    "lymphoblastoid": {"SPI1": 0.3, "POU2F2": 1.0, "IRF1": 0.9, "RUNX1": 0.8, "ETS1": 0.9, "CEBPB": 0.05, "GATA1": 0.0},
    "monocyte": {"SPI1": 1.0, "CEBPB": 1.0, "IRF1": 0.8, "RUNX1": 0.6, "POU2F2": 0.1, "GATA1": 0.0},
    "erythroid": {"GATA1": 1.0, "RUNX1": 0.5, "SPI1": 0.1, "IRF1": 0.1, "ETS1": 0.3, "POU2F2": 0.0, "CEBPB": 0.0},
    "neutrophil": {"SPI1": 0.9, "CEBPB": 1.0, "RUNX1": 0.6, "IRF1": 0.4, "ETS1": 0.4, "POU2F2": 0.0, "GATA1": 0.0},
    "t_cell": {"RUNX1": 1.0, "ETS1": 1.0, "IRF1": 0.6, "SPI1": 0.05, "CEBPB": 0.0, "POU2F2": 0.2, "GATA1": 0.0},
}  # fmt: skip

UBIQUITOUS = {"CTCF": 0.9, "YY1": 0.8}
REPRESSOR = "REST"  # silences neuronal genes outside the brain
BASELINE_ACTIVITY = 0.05

#: cooperative pairs: (first TF, second TF, spacing range between sites, bonus)
COOPERATIVE_PAIRS: list[tuple[str, str, tuple[int, int], float]] = [
    ("SPI1", "IRF1", (2, 4), 2.5),  # an EICE-like composite element
    ("FOXA2", "HNF4A", (8, 14), 2.0),
    ("MEF2C", "GATA4", (5, 10), 2.0),
]


@dataclass
class GrammarParams:
    """Generative parameters, saved to ``truth/params.json``."""

    tf_weights: dict[str, float]
    slope: float = 2.5
    thresholds: dict[str, float] = field(
        default_factory=lambda: {"promoter": 1.4, "enhancer": 1.6, "ctcf": 0.4, "silencer": 0.8}
    )
    cpg_island_shift: float = 0.6  # CpG-island promoters need less drive
    decay_bp: float = 25_000.0
    window_bp: int = 100_000
    base_expression: float = 0.25
    silencer_strength: float = 0.85
    insulation: float = 0.5
    pair_rules: list[tuple[str, str, tuple[int, int], float]] = field(
        default_factory=lambda: list(COOPERATIVE_PAIRS)
    )


def load_motifs() -> dict[str, Motif]:
    """The planted JASPAR matrices, keyed by TF name."""
    motifs = load_jaspar(MOTIF_IDS.values())
    return {tf: motifs[tf] for tf in MOTIF_IDS}


def tf_activity(
    cell_types: dict[str, str], rng: np.random.Generator, program_strength: float = 1.0
) -> pd.DataFrame:
    """TF x cell type activity in [0, 1] from tissue programs and cell-type profiles.

    Parameters
    ----------
    cell_types
        ``{cell_type: tissue}``; tissues must be keys of :data:`PROGRAMS`.
    program_strength
        Scales each program TF's activity above the baseline (1: the dataset's programs;
        0: every tissue TF at the baseline, no tissue programs). The random draws are the
        same for every strength, so a sweep changes nothing else.

    Raises
    ------
    ValueError
        For a tissue without a TF program.
    """
    unknown = sorted({t for t in cell_types.values() if t not in PROGRAMS})
    if unknown:
        raise ValueError(f"no TF program for tissue(s) {unknown}; known: {sorted(PROGRAMS)}")
    columns = {}
    for cell_type, tissue in cell_types.items():
        activity = dict.fromkeys(MOTIF_IDS, BASELINE_ACTIVITY)
        program = dict(PROGRAMS[tissue])
        if cell_type in CELL_TYPE_PROFILES:
            program.update(CELL_TYPE_PROFILES[cell_type])
        else:
            # a cell-type variant: one program TF is weak, the others vary
            weak = sorted(program)[int(rng.integers(len(program)))]
            program[weak] *= 0.25
        for tf, level in program.items():
            activity[tf] = max(BASELINE_ACTIVITY, level * rng.uniform(0.75, 1.0))
            if program_strength != 1.0:
                activity[tf] = BASELINE_ACTIVITY + program_strength * (
                    activity[tf] - BASELINE_ACTIVITY
                )
        activity.update({tf: level * rng.uniform(0.9, 1.0) for tf, level in UBIQUITOUS.items()})
        activity[REPRESSOR] = 0.05 if tissue == "brain" else rng.uniform(0.8, 1.0)
        columns[cell_type] = activity
    return pd.DataFrame(columns).loc[list(MOTIF_IDS)]


# -- placing elements and sites ------------------------------------------------------
@dataclass
class Planter:
    """Places elements in free sequence and writes their binding sites into it."""

    chromosomes: dict[str, Chromosome]
    motifs: dict[str, Motif]
    rng: np.random.Generator
    elements: list[dict] = field(default_factory=list)
    sites: list[dict] = field(default_factory=list)
    core_motif: Motif | None = None

    def add_element(self, kind: str, chrom: str, start: int, end: int, **info) -> dict:
        """Record one planted element and its binding sites."""
        element = {"element_id": f"{kind[:3].upper()}{len(self.elements) + 1:05d}", "kind": kind,
                   "chrom": chrom, "start": start, "end": end, **info}  # fmt: skip
        self.elements.append(element)
        if kind != "promoter":  # promoter blocks are reserved by the gene already
            self.chromosomes[chrom].occupy(start, end)
        return element

    def free_spot(self, chrom: str, centre: int, length: int) -> int | None:
        """Start of a free stretch of ``length`` near ``centre`` (or None)."""
        c = self.chromosomes[chrom]
        for shift in (0, 300, -300, 800, -800, 2_000, -2_000):
            start = centre + shift - length // 2
            if c.is_free(start - 200, start + length + 200):
                return start
        return None

    def plant(self, element: dict, tfs: list[str], pair: tuple | None = None,
              reserved: tuple[int, int] | None = None) -> None:  # fmt: skip
        """Write sites for ``tfs`` (and an optional pair) at non-overlapping offsets,
        outside the ``reserved`` (start, end) stretch of the element (genomic coordinates)."""
        chrom = self.chromosomes[element["chrom"]]
        start, end = element["start"], element["end"]
        taken = np.zeros(end - start, dtype=bool)
        if reserved is not None:
            taken[max(0, reserved[0] - start) : max(0, reserved[1] - start)] = True
        if pair is not None:
            first, second, spacing, valid, same_orientation = pair
            a, b = self.motifs[first], self.motifs[second]
            total = a.length + spacing + b.length
            offset = self._offset(taken, total)
            if offset is not None:
                strand = "+" if self.rng.random() < 0.5 else "-"
                pair_id = f"{element['element_id']}:{first}-{second}"
                if strand == "+":
                    placements = [
                        (first, offset, "+"),
                        (second, offset + a.length + spacing, "+" if same_orientation else "-"),
                    ]
                else:  # the composite on the reverse strand: second then first, both reversed
                    placements = [
                        (second, offset, "-" if same_orientation else "+"),
                        (first, offset + b.length + spacing, "-"),
                    ]
                for tf, site_offset, site_strand in placements:
                    self._write(
                        chrom, element, tf, start + site_offset, site_strand, pair_id, valid
                    )
                taken[offset : offset + total] = True
        for tf in tfs:
            offset = self._offset(taken, self.motifs[tf].length)
            if offset is None:
                continue
            self._write(
                chrom,
                element,
                tf,
                start + offset,
                "+" if self.rng.random() < 0.5 else "-",
                "",
                False,
            )
            taken[offset : offset + self.motifs[tf].length] = True

    def write_core_promoter(self, element: dict, tss: int, strand: str,
                            tata: bool) -> tuple[int, int]:  # fmt: skip
        """Write the core promoter of ``tss`` on the gene's strand: an initiator over the TSS
        and, when ``tata``, a TATA box (``core_motif``) ``TATA_UPSTREAM`` bp upstream.
        Return the (start, end) stretch they span. Not TF sites: they are not in ``sites``
        and add no drive.

        Raises
        ------
        ValueError
            When a TATA box is asked for and the planter has no core-promoter motif.
        """
        spans = [self._write_upstream(element, INITIATOR, tss, strand, INITIATOR_UPSTREAM)]
        if tata:
            if self.core_motif is None:
                raise ValueError("the planter has no core-promoter motif")
            spans.append(self._write_upstream(element, self.core_motif, tss, strand, TATA_UPSTREAM))
        element["core_promoter"] = "TATA+Inr" if tata else "CpG island+Inr"
        return min(a for a, _ in spans), max(b for _, b in spans)

    def _write_upstream(self, element: dict, motif: Motif, tss: int, strand: str,
                        upstream: int) -> tuple[int, int]:  # fmt: skip
        """Write a site of ``motif`` starting ``upstream`` bases before ``tss`` (on the
        gene's strand); return the genomic (start, end) it occupies."""
        chrom = self.chromosomes[element["chrom"]]
        site, _score = sample_site(motif, self.rng)
        if strand == "+":
            pos = tss - upstream
        else:  # upstream is to the right; the site reads on the minus strand
            pos = tss + upstream - motif.length + 1
            site = site[::-1].translate(str.maketrans("ACGT", "TGCA"))
        chrom.seq[pos : pos + motif.length] = np.frombuffer(site.encode(), dtype=np.uint8)
        return pos, pos + motif.length

    def _offset(self, taken: np.ndarray, width: int) -> int | None:
        for _ in range(30):
            offset = int(self.rng.integers(5, max(6, len(taken) - width - 5)))
            if not taken[max(0, offset - 3) : offset + width + 3].any() and offset + width <= len(
                taken
            ):
                return offset
        return None

    def _write(
        self,
        chrom: Chromosome,
        element: dict,
        tf: str,
        pos: int,
        strand: str,
        pair_id: str,
        valid: bool,
    ) -> None:
        motif = self.motifs[tf]
        site, score = sample_site(motif, self.rng)
        codes = np.frombuffer(site.encode(), dtype=np.uint8)
        if strand == "-":
            codes = np.frombuffer(
                site[::-1].translate(str.maketrans("ACGT", "TGCA")).encode(), dtype=np.uint8
            )
        chrom.seq[pos : pos + motif.length] = codes
        self.sites.append({"element_id": element["element_id"], "tf": tf, "chrom": chrom.name,
                           "start": pos, "end": pos + motif.length, "strand": strand, "score": score,
                           "pair_id": pair_id, "pair_valid": valid})  # fmt: skip


def plant_grammar(
    chromosomes: list[Chromosome],
    genes: list[Gene],
    motifs: dict[str, Motif],
    rng: np.random.Generator,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Place promoters, enhancers, CTCF sites and silencers and write their sites.

    Returns
    -------
    elements, sites
        Tables of every element (with its target gene) and every planted site.
    """
    core_name, core_id = CORE_PROMOTER_MOTIF
    core_motif = load_jaspar([core_id])[core_name]
    planter = Planter({c.name: c for c in chromosomes}, motifs, rng, core_motif=core_motif)
    tissue_tfs = {tissue: list(program) for tissue, program in PROGRAMS.items()}
    pairs_by_tissue = {
        tissue: [p for p in COOPERATIVE_PAIRS if p[0] in program and p[1] in program]
        for tissue, program in PROGRAMS.items()
    }
    for gene in genes:
        program_tfs = tissue_tfs.get(gene.program, [])
        _plant_promoters(planter, gene, program_tfs, rng)
        n_enhancers = int(rng.poisson(2.5 if program_tfs else 1.0)) + (1 if program_tfs else 0)
        for _ in range(n_enhancers):
            _plant_enhancer(planter, gene, program_tfs, tissue_tfs, pairs_by_tissue, rng)
        if gene.program == "brain" and rng.random() < 0.5:
            _plant_silencer(planter, gene, rng)
    for chrom in chromosomes:
        for centre in range(20_000, chrom.length - 20_000, 40_000):
            start = planter.free_spot(chrom.name, centre + int(rng.integers(-5_000, 5_000)), 60)
            if start is None:
                continue
            site = planter.add_element("ctcf", chrom.name, start, start + 60, gene_id="", transcript_id="",
                                       program="ubiquitous", cpg_island=False, strength=1.0)  # fmt: skip
            planter.plant(site, ["CTCF"])
    # the sequence mark of each promoter's core: "TATA+Inr" (CpG-poor), "CpG island+Inr"
    elements = pd.DataFrame(planter.elements)
    elements["core_promoter"] = elements["core_promoter"].fillna("").astype(str)
    sites = pd.DataFrame(planter.sites)
    # elements whose sites did not fit keep no sites; they stay (inactive) as in real genomes
    return elements.sort_values(["chrom", "start"]).reset_index(drop=True), sites


def _plant_promoters(planter: Planter, gene: Gene, program_tfs: list[str], rng) -> None:
    """A promoter at each transcript's TSS.

    The first TSS: a housekeeping gene's promoter holds YY1/ETS1 (active wherever the
    promoter is a CpG island); a tissue gene's holds two or three of its program's TFs, and
    YY1 in half of them and ETS1 in a third, so that it is strongest in its tissue (the
    general factors keep most promoters within reach of what a demo model learns first;
    with them in a quarter and a fifth, the demo model's eQTL regression held in one
    tissue of four). An alternative TSS
    (CpG-poor) holds two TFs of ``gene.alternative_program`` and is used where that
    program is active: the gene switches TSSs between cell types. Every TSS has an
    initiator, and every CpG-poor promoter a TATA box 31-25 bp upstream of its TSS too
    (:meth:`Planter.write_core_promoter`), which mark it as a promoter rather than an
    enhancer with the same TFs.
    """
    for number, t in enumerate(gene.transcripts):
        alternative = number > 0 and bool(gene.alternative_program)
        program = gene.alternative_program if alternative else gene.program
        lo, hi = (t.tss - 250, t.tss + 50) if gene.strand == "+" else (t.tss - 50, t.tss + 250)
        promoter = planter.add_element("promoter", gene.chrom, lo, hi, gene_id=gene.gene_id,
                                       transcript_id=t.transcript_id, program=program,
                                       cpg_island=gene.cpg_island and not alternative,
                                       strength=1.0)  # fmt: skip
        if alternative and program in PROGRAMS:
            tfs = list(rng.choice(list(PROGRAMS[program]), size=2))
        elif program_tfs:
            tfs = [tf for tf, p in (("YY1", 0.5), ("ETS1", 0.3)) if rng.random() < p]
            tfs += list(rng.choice(program_tfs, size=int(rng.integers(2, 4))))
        else:
            tfs = [tf for tf, p in (("YY1", 0.6), ("ETS1", 0.4)) if rng.random() < p]
            tfs += ["YY1"] if "YY1" not in tfs else ["ETS1"]
        reserved = planter.write_core_promoter(
            promoter, t.tss, gene.strand, tata=not promoter["cpg_island"]
        )
        planter.plant(promoter, tfs, reserved=reserved)


def _plant_enhancer(planter: Planter, gene: Gene, program_tfs: list[str], tissue_tfs: dict,
                    pairs_by_tissue: dict, rng) -> None:  # fmt: skip
    """An enhancer of ``gene`` with 2-4 program TFs, half with a cooperative pair (valid, or a
    decoy with the wrong spacing or orientation)."""
    program = gene.program if program_tfs else str(rng.choice(list(PROGRAMS)))
    distance = _enhancer_distance(rng)
    centre = gene.tss + distance * (1 if rng.random() < 0.5 else -1)
    length = int(rng.integers(300, 450))
    start = planter.free_spot(gene.chrom, centre, length)
    if start is None:
        return
    enhancer = planter.add_element("enhancer", gene.chrom, start, start + length, gene_id=gene.gene_id,
                                   transcript_id="", program=program, cpg_island=False,
                                   strength=float(rng.uniform(0.5, 1.5)))  # fmt: skip
    tfs = list(rng.choice(tissue_tfs[program], size=int(rng.integers(2, 5))))
    pair = None
    candidates = pairs_by_tissue[program]
    draw = rng.random()
    if candidates and draw < 0.5:
        first, second, (lo_s, hi_s), _ = candidates[int(rng.integers(len(candidates)))]
        if draw < 0.35:  # a valid composite
            pair = (first, second, int(rng.integers(lo_s, hi_s + 1)), True, True)
        elif rng.random() < 0.5:  # a decoy: wrong spacing
            pair = (first, second, int(rng.integers(hi_s + 6, hi_s + 20)), False, True)
        else:  # a decoy: wrong orientation
            pair = (first, second, int(rng.integers(lo_s, hi_s + 1)), False, False)
    planter.plant(enhancer, tfs, pair)


def _plant_silencer(planter: Planter, gene: Gene, rng) -> None:
    """A repressor-bound silencer 3-15 kb from a brain gene's TSS."""
    start = planter.free_spot(
        gene.chrom,
        gene.tss + int(rng.integers(3_000, 15_000)) * (1 if rng.random() < 0.5 else -1),
        120,
    )
    if start is not None:
        silencer = planter.add_element("silencer", gene.chrom, start, start + 120, gene_id=gene.gene_id,
                                       transcript_id="", program="brain", cpg_island=False, strength=1.0)  # fmt: skip
        planter.plant(silencer, [REPRESSOR])


def _enhancer_distance(rng: np.random.Generator) -> int:
    draw = rng.random()
    if draw < 0.45:
        return int(rng.integers(2_000, 15_000))
    if draw < 0.8:
        return int(rng.integers(15_000, 50_000))
    return int(rng.integers(50_000, 95_000))


# -- activity and expression -------------------------------------------------------------
def element_drive(
    elements: pd.DataFrame, sites: pd.DataFrame, tf_act: pd.DataFrame, params: GrammarParams
) -> pd.DataFrame:
    """Drive of every element (rows) in every cell type (columns): the summed site inputs."""
    cell_types = list(tf_act.columns)
    drive = pd.DataFrame(0.0, index=elements["element_id"], columns=cell_types)
    if len(sites):
        weights = sites["tf"].map(params.tf_weights).to_numpy()
        contributions = (weights * sites["score"].to_numpy())[:, None] * tf_act.loc[
            sites["tf"]
        ].to_numpy()
        per_element = (
            pd.DataFrame(contributions, columns=cell_types)
            .groupby(sites["element_id"].to_numpy())
            .sum()
        )
        drive.loc[per_element.index] += per_element
        rules = {frozenset((a, b)): (a, b, v) for a, b, _, v in params.pair_rules}
        valid = sites[sites["pair_valid"].astype(bool)]
        for _, group in valid.groupby("pair_id"):
            rule = rules.get(frozenset(group["tf"]))
            if rule is None or len(group) != 2:
                continue
            a, b, bonus = rule
            drive.loc[group["element_id"].iloc[0]] += (
                bonus * np.minimum(tf_act.loc[a], tf_act.loc[b]).to_numpy()
            )
    return drive


def activity_from_drive(
    drive: pd.DataFrame, elements: pd.DataFrame, params: GrammarParams
) -> pd.DataFrame:
    """Logistic activity of elements given their drive (any columns: cell types, haplotypes)."""
    info = elements.set_index("element_id").loc[drive.index]
    threshold = info["kind"].map(params.thresholds).to_numpy()[:, None]
    threshold = (
        threshold - params.cpg_island_shift * info["cpg_island"].astype(bool).to_numpy()[:, None]
    )
    activity = 1 / (1 + np.exp(-params.slope * (drive.to_numpy() - threshold)))
    return pd.DataFrame(activity, index=drive.index, columns=drive.columns)


def element_activity(
    elements: pd.DataFrame, sites: pd.DataFrame, tf_act: pd.DataFrame, params: GrammarParams
) -> pd.DataFrame:
    """Activity in [0, 1] of every element (rows) in every cell type (columns)."""
    return activity_from_drive(element_drive(elements, sites, tf_act, params), elements, params)


#: (promoter, enhancer) pairs handled at once by :func:`transcript_expression`
PAIR_CHUNK = 4096


def transcript_expression(
    elements: pd.DataFrame, activity: pd.DataFrame, basal: pd.Series, params: GrammarParams
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Expected CAGE of every transcript TSS in every cell type, and the enhancer links.

    Returns
    -------
    expression
        Transcripts (rows, indexed by ``transcript_id``) x cell types.
    links
        One row per (enhancer, transcript) pair within the window: distance, the
        distance weight and the CTCF sites in between.
    """
    cell_types = list(activity.columns)
    centre = ((elements["start"] + elements["end"]) // 2).to_numpy()
    elements = elements.assign(centre=centre)
    values = activity.to_numpy()
    row_of = pd.Series(np.arange(len(activity)), index=activity.index)
    silencer_rows = elements[elements["kind"] == "silencer"].groupby("gene_id")["element_id"]
    silencers_of = {gene: row_of[ids].to_numpy() for gene, ids in silencer_rows}
    expression = {}
    links = []
    for _, on_chrom in elements.groupby("chrom"):
        promoters = on_chrom[on_chrom["kind"] == "promoter"]
        enhancers = on_chrom[on_chrom["kind"] == "enhancer"]
        ctcf = on_chrom[on_chrom["kind"] == "ctcf"].sort_values("centre")
        ctcf_pos = ctcf["centre"].to_numpy()
        # log of the insulation factor, accumulated along the chromosome per cell type
        log_ins = np.log1p(-params.insulation * values[row_of[ctcf["element_id"]].to_numpy()])
        cum = np.vstack([np.zeros(len(cell_types)), np.cumsum(log_ins, axis=0)])
        tss, centres = promoters["centre"].to_numpy(), enhancers["centre"].to_numpy()
        # every (promoter, enhancer) pair within the window, promoter by promoter
        p_index, e_index = np.nonzero(np.abs(centres[None, :] - tss[:, None]) <= params.window_bp)
        distance = np.abs(centres[e_index] - tss[p_index])
        lo = np.minimum(centres[e_index], tss[p_index])
        hi = np.maximum(centres[e_index], tss[p_index])
        i, j = np.searchsorted(ctcf_pos, lo), np.searchsorted(ctcf_pos, hi)
        weight = enhancers["strength"].to_numpy()[e_index] * np.exp(-distance / params.decay_bp)
        enhancer_rows = row_of[enhancers["element_id"]].to_numpy()
        enhancer_input = np.zeros((len(promoters), len(cell_types)))
        for chunk in range(0, len(p_index), PAIR_CHUNK):  # bounded memory with many columns
            part = slice(chunk, chunk + PAIR_CHUNK)
            insulation = np.exp(cum[j[part]] - cum[i[part]])
            contribution = values[enhancer_rows[e_index[part]]] * weight[part, None] * insulation
            np.add.at(enhancer_input, p_index[part], contribution)
        promoter_rows = row_of[promoters["element_id"]].to_numpy()
        gene_ids = promoters["gene_id"].to_numpy()
        for k, transcript_id in enumerate(promoters["transcript_id"]):
            silencing = np.ones(len(cell_types))
            for s in silencers_of.get(gene_ids[k], ()):
                silencing *= 1 - params.silencer_strength * values[s]
            expression[transcript_id] = (
                basal[gene_ids[k]] * values[promoter_rows[k]]
                * (params.base_expression + enhancer_input[k]) * silencing
            )  # fmt: skip
        links.append(pd.DataFrame({
            "enhancer_id": enhancers["element_id"].to_numpy()[e_index],
            "transcript_id": promoters["transcript_id"].to_numpy()[p_index],
            "gene_id": gene_ids[p_index],
            "distance": distance.astype(int),
            "weight": weight.astype(float),
            "ctcf_between": (j - i).astype(int),
            "planted_target": enhancers["gene_id"].to_numpy()[e_index] == gene_ids[p_index],
        }))  # fmt: skip
    table = pd.DataFrame(expression, index=cell_types).T
    table.index.name = "transcript_id"
    columns = ["enhancer_id", "transcript_id", "gene_id", "distance", "weight", "ctcf_between",
               "planted_target"]  # fmt: skip
    return table, (pd.concat(links, ignore_index=True) if links else pd.DataFrame(columns=columns))
