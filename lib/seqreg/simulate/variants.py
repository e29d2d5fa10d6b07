"""Variant effects through the planted grammar, and the variant data sets built on them.

A variant inside a planted binding site changes that site's PWM score; the element's
drive changes by ``tf_weight * delta_score * tf_activity`` in each cell type, its
activity follows the logistic of :mod:`.grammar`, and expression follows the same
enhancer/promoter model as the tracks. From those effects this module simulates:

- expression of every individual in four GTEx-like tissues and cis-eQTL statistics in
  the GTEx v8 single-tissue layout (all pairs and FDR 5% significant pairs);
- a GWAS-catalog-like SNP set (causal regulatory variants enriched) with MAF-matched
  negatives and 10 fixed cross-validation folds;
- fine-mapped loci (credible sets from approximate Bayes factors);
- de novo variants of quartet families in the columns of An et al. 2018 Table S2,
  with cases enriched for disrupted sites of brain- and heart-active elements;
- histone-mark QTLs of monocytes, neutrophils and T cells in BLUEPRINT's layout, with
  hub targets reached by many distal sources (heavy-tailed degree distribution).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..sequence.motifs import Motif, reverse_complement_matrix
from ..stats import (
    approximate_bayes_factors,
    association_scan,
    bh_fdr,
    credible_set,
    inverse_normal_transform,
)
from . import grammar
from .population import Genotypes, move_variant, sort_and_label
from .sequence import Chromosome

#: GTEx v8 tissue names simulated, and the cell type whose activity each uses
EQTL_TISSUES: dict[str, str] = {
    "Cells_EBV-transformed_lymphocytes": "lymphoblastoid",
    "Liver": "hepatocyte",
    "Brain_Cortex": "neuron",
    "Heart_Left_Ventricle": "cardiomyocyte",
}
#: BLUEPRINT cell-type codes and the simulated cell types (added to the TF programs)
QTL_CELL_TYPES: dict[str, str] = {"mono": "monocyte", "neut": "neutrophil", "tcel": "t_cell"}
QTL_MARKS: dict[str, float] = {"K27AC": 1.0, "K4ME1": 0.7}  # relative effect sizes
#: a target's number of causal sources is Zipf(1.7), at most this many
QTL_MAX_SOURCES = 200
EXPRESSION_NOISE_SD = 0.35  # log2 scale, per individual and gene
MIN_MAF = 0.05


def _site_orientation_matrix(motif: Motif, strand: str) -> np.ndarray:
    probs = motif.log_odds()
    return probs if strand == "+" else reverse_complement_matrix(probs)


def _site_score(seq: np.ndarray, pwm: np.ndarray, max_score: float) -> float:
    index = np.searchsorted(np.frombuffer(b"ACGT", np.uint8), seq)
    index = np.clip(index, 0, 3)
    return float(pwm[np.arange(len(seq)), index].sum() / max_score)


def plant_causal_variants(
    genotypes: Genotypes,
    chromosomes: list[Chromosome],
    sites: pd.DataFrame,
    activity: pd.DataFrame,
    motifs: dict[str, Motif],
    n_causal: int,
    rng: np.random.Generator,
) -> Genotypes:
    """Move ``n_causal`` common variants (from within 5 kb) into binding sites of elements.

    The moved variant takes the genome's base at the site's most informative position as
    REF and the PWM's least likely base there as ALT, so it disrupts the site; its
    haplotypes (and so its LD with neighbours) are kept.
    """
    seqs = {c.name: c.seq for c in chromosomes}
    v = genotypes.variants
    maf = np.minimum(genotypes.alt_frequency(), 1 - genotypes.alt_frequency())
    common = np.flatnonzero(maf >= MIN_MAF)
    active_somewhere = activity.max(axis=1)
    candidates = sites[sites["element_id"].map(active_somewhere).to_numpy() > 0.5]
    candidates = candidates[~candidates["tf"].isin(["CTCF"])]
    order = rng.permutation(len(candidates))
    used: set[int] = set()
    taken_positions = set(zip(v["chrom"], v["pos"], strict=True))
    planted = 0
    for i in order:
        if planted >= n_causal:
            break
        site = candidates.iloc[i]
        on_chrom = common[(v["chrom"].to_numpy()[common] == site["chrom"])]
        near = on_chrom[np.abs(v["pos"].to_numpy()[on_chrom] - site["start"]) < 5_000]
        near = [j for j in near if j not in used]
        if not near:
            continue
        j = int(near[int(rng.integers(len(near)))])
        motif = motifs[site["tf"]]
        pwm = _site_orientation_matrix(motif, site["strand"])
        information = pwm.max(axis=1) - pwm.min(axis=1)
        offset = int(np.argmax(information))
        pos = int(site["start"]) + offset
        if (site["chrom"], pos) in taken_positions:
            continue
        ref = chr(seqs[site["chrom"]][pos])
        alt = "ACGT"[int(np.argmin(pwm[offset]))]
        if alt == ref:
            continue
        move_variant(genotypes, j, pos, ref, alt)
        taken_positions.add((site["chrom"], pos))
        used.add(j)
        planted += 1
    return sort_and_label(genotypes)


def site_variants(
    genotypes: Genotypes,
    chromosomes: list[Chromosome],
    sites: pd.DataFrame,
    motifs: dict[str, Motif],
) -> pd.DataFrame:
    """Variants inside planted sites with the change in site score their ALT allele makes.

    Returns
    -------
    pandas.DataFrame
        ``variant_index``, ``variant_id``, ``element_id``, ``tf``, ``score_ref``,
        ``score_alt``, ``delta_score`` (fractions of the matrix maximum).
    """
    seqs = {c.name: c.seq for c in chromosomes}
    v = genotypes.variants
    rows = []
    for chrom, on_chrom in sites.groupby("chrom"):
        order = on_chrom.sort_values("start")
        starts, ends = order["start"].to_numpy(), order["end"].to_numpy()
        chrom_variants = v[v["chrom"] == chrom]
        k = np.searchsorted(starts, chrom_variants["pos"].to_numpy(), side="right") - 1
        for index, pos, alt, site_k in zip(
            chrom_variants.index, chrom_variants["pos"], chrom_variants["alt"], k, strict=True
        ):
            if site_k < 0 or pos >= ends[site_k]:
                continue
            site = order.iloc[site_k]
            motif = motifs[site["tf"]]
            pwm = _site_orientation_matrix(motif, site["strand"])
            best = motif.max_score()
            ref_seq = seqs[chrom][site["start"] : site["end"]].copy()
            alt_seq = ref_seq.copy()
            alt_seq[pos - site["start"]] = ord(alt)
            score_ref = _site_score(ref_seq, pwm, best)
            score_alt = _site_score(alt_seq, pwm, best)
            rows.append({"variant_index": int(index), "variant_id": v.at[index, "variant_id"],
                         "element_id": site["element_id"], "tf": site["tf"], "score_ref": score_ref,
                         "score_alt": score_alt, "delta_score": score_alt - score_ref})  # fmt: skip
    return pd.DataFrame(rows, columns=["variant_index", "variant_id", "element_id", "tf", "score_ref",
                                       "score_alt", "delta_score"])  # fmt: skip


def haplotype_activity(
    elements: pd.DataFrame,
    base_drive: pd.Series,
    effects: pd.DataFrame,
    haplotypes: np.ndarray,
    tf_act: pd.Series,
    params: grammar.GrammarParams,
) -> pd.DataFrame:
    """Element activity (rows) on each haplotype (columns) in one cell type.

    ``base_drive`` is every element's drive with reference alleles; each ALT allele a
    haplotype carries in a site adds ``tf_weight * delta_score * tf_activity``.
    """
    n_haplotypes = haplotypes.shape[1]
    drive = np.repeat(base_drive.to_numpy()[:, None], n_haplotypes, axis=1)
    row_of = {e: i for i, e in enumerate(base_drive.index)}
    for effect in effects.itertuples():
        delta = params.tf_weights[effect.tf] * effect.delta_score * tf_act[effect.tf]
        drive[row_of[effect.element_id]] += delta * haplotypes[effect.variant_index]
    frame = pd.DataFrame(drive, index=base_drive.index, columns=range(n_haplotypes))
    return grammar.activity_from_drive(frame, elements, params)


def gene_expression_per_individual(
    elements: pd.DataFrame,
    base_drive: pd.DataFrame,
    effects: pd.DataFrame,
    genotypes: Genotypes,
    tf_act: pd.DataFrame,
    basal: pd.Series,
    gene_of: pd.Series,
    cell_type: str,
    params: grammar.GrammarParams,
) -> pd.DataFrame:
    """Expected expression of each gene (rows) in each individual (columns): the sum over
    its transcripts and over both haplotypes."""
    activity = haplotype_activity(
        elements, base_drive[cell_type], effects, genotypes.haplotypes, tf_act[cell_type], params
    )
    expression, _ = grammar.transcript_expression(elements, activity, basal, params)
    per_haplotype = expression.groupby(gene_of.loc[expression.index].to_numpy()).sum()
    values = per_haplotype.to_numpy()
    return pd.DataFrame(
        values[:, 0::2] + values[:, 1::2], index=per_haplotype.index, columns=genotypes.samples
    )


def single_variant_effects(
    elements: pd.DataFrame,
    base_drive: pd.DataFrame,
    effects: pd.DataFrame,
    tf_act: pd.DataFrame,
    basal: pd.Series,
    gene_of: pd.Series,
    cell_types: dict[str, str],
    params: grammar.GrammarParams,
) -> pd.DataFrame:
    """log2 fold change of each gene's expected expression when one variant's ALT allele
    is placed on an otherwise reference haplotype, per tissue (nonzero rows only)."""
    variants = list(dict.fromkeys(effects["variant_index"]))
    if not variants:
        return pd.DataFrame(columns=["variant_id", "gene_id", "tissue", "log2_fold_change"])
    # column 0: reference haplotype; column k: ALT of variant k only
    haplotypes = np.zeros((int(max(variants)) + 1, len(variants) + 1), dtype=np.uint8)
    for k, index in enumerate(variants, 1):
        haplotypes[index, k] = 1
    rows = []
    ids = effects.drop_duplicates("variant_index").set_index("variant_index")["variant_id"]
    for tissue, cell_type in cell_types.items():
        activity = haplotype_activity(
            elements, base_drive[cell_type], effects, haplotypes, tf_act[cell_type], params
        )
        expression, _ = grammar.transcript_expression(elements, activity, basal, params)
        genes = expression.groupby(gene_of.loc[expression.index].to_numpy()).sum()
        log2fc = np.log2(genes.to_numpy()[:, 1:] + 1e-9) - np.log2(genes.to_numpy()[:, [0]] + 1e-9)
        gene_index, variant_k = np.nonzero(np.abs(log2fc) > 1e-4)
        for g, k in zip(gene_index, variant_k, strict=True):
            rows.append({"variant_id": ids[variants[k]], "gene_id": genes.index[g], "tissue": tissue,
                         "log2_fold_change": float(log2fc[g, k])})  # fmt: skip
    return pd.DataFrame(rows)


# -- GTEx-style cis-eQTLs ---------------------------------------------------------------------
def eqtl_tables(
    expression: pd.DataFrame,
    genotypes: Genotypes,
    tss: pd.DataFrame,
    window: int,
    rng: np.random.Generator,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """All cis pairs and FDR 5% significant pairs of one tissue (GTEx v8 columns).

    ``expression`` holds expected expression (genes x individuals); measurement noise is
    added on the log2 scale and each gene is inverse-normal transformed, as GTEx does.
    ``tss`` has ``gene_id``, ``chrom``, ``tss`` and ``strand`` of each gene's first TSS.
    """
    y = np.log2(expression.to_numpy() + 1) + rng.normal(
        0, EXPRESSION_NOISE_SD, size=expression.shape
    )
    y = inverse_normal_transform(y, axis=1)
    dosage = genotypes.dosage()
    alt_count = dosage.sum(axis=1)
    n = dosage.shape[1]
    alt_af = alt_count / (2 * n)
    maf = np.minimum(alt_af, 1 - alt_af)
    keep = maf >= MIN_MAF
    v = genotypes.variants
    pieces = []
    gene_rows = {g: i for i, g in enumerate(expression.index)}
    for chrom, genes in tss[tss["gene_id"].isin(gene_rows)].groupby("chrom", sort=False):
        on_chrom = np.flatnonzero((v["chrom"].to_numpy() == chrom) & keep)
        if not len(on_chrom):
            continue
        scan = association_scan(y[[gene_rows[g] for g in genes["gene_id"]]].T, dosage[on_chrom].T)
        positions = v["pos"].to_numpy()[on_chrom]
        for k, gene in enumerate(genes.itertuples()):
            distance = positions - gene.tss
            if gene.strand == "-":
                distance = -distance
            near = np.abs(distance) <= window
            index = on_chrom[near]
            minor_is_alt = alt_af[index] <= 0.5
            carriers_alt = (dosage[index] > 0).sum(axis=1)
            carriers_ref = (dosage[index] < 2).sum(axis=1)
            pieces.append(pd.DataFrame({
                "gene_id": gene.gene_id,
                "variant_id": v["variant_id"].to_numpy()[index],
                "tss_distance": distance[near],
                "ma_samples": np.where(minor_is_alt, carriers_alt, carriers_ref),
                "ma_count": np.where(minor_is_alt, alt_count[index], 2 * n - alt_count[index]),
                "maf": maf[index],
                "pval_nominal": scan["pval"][k, near],
                "slope": scan["slope"][k, near],
                "slope_se": scan["slope_se"][k, near],
            }))  # fmt: skip
    allpairs = pd.concat(pieces, ignore_index=True)
    allpairs["qval"] = bh_fdr(allpairs["pval_nominal"].to_numpy())
    significant = allpairs[allpairs["qval"] <= 0.05]
    columns = ["variant_id", "gene_id", "tss_distance", "ma_samples", "ma_count", "maf", "pval_nominal",
               "slope", "slope_se", "qval"]  # fmt: skip
    return allpairs.drop(columns="qval"), significant[columns].reset_index(drop=True)


# -- GWAS-like SNPs and fine-mapping ----------------------------------------------------------------
def gwas_set(
    genotypes: Genotypes,
    effects: pd.DataFrame,
    rng: np.random.Generator,
    genome_length: int,
    n_positives: int,
) -> pd.DataFrame:
    """Trait SNPs (label 1: 60% causal regulatory variants, 40% other common variants)
    and MAF-matched negatives (label 0), with 10 folds by genomic block."""
    v = genotypes.variants
    af = genotypes.alt_frequency()
    # rounded so that 1 - 0.9 falls in the same 0.1-wide MAF bin as 0.1 (and as the table's
    # written MAF does)
    maf = np.round(np.minimum(af, 1 - af), 9)
    strong = effects.groupby("variant_id")["log2_fold_change"].apply(lambda x: np.abs(x).max())
    causal_ids = set(strong[strong > 0.1].index)
    is_causal = v["variant_id"].isin(causal_ids).to_numpy()
    common = maf >= MIN_MAF
    causal = np.flatnonzero(is_causal & common)
    other = np.flatnonzero(~is_causal & common)
    n_causal = min(len(causal), round(0.6 * n_positives))
    positives = np.concatenate([
        rng.choice(causal, n_causal, replace=False),
        rng.choice(other, n_positives - n_causal, replace=False),
    ])  # fmt: skip
    pool = np.setdiff1d(other, positives)
    bins = np.minimum((maf * 10).astype(int), 4)  # 0.05-wide MAF bins
    negatives = []
    for p in positives:
        same_bin = pool[bins[pool] == bins[p]]
        same_bin = np.setdiff1d(same_bin, negatives)
        negatives.append(int(rng.choice(same_bin)))
    chosen = np.concatenate([positives, negatives])
    table = v.iloc[chosen][["variant_id", "rsid", "chrom", "pos", "ref", "alt"]].copy()
    table["pos"] = table["pos"] + 1  # 1-based, as catalogues publish
    table["maf"] = maf[chosen]
    table["label"] = np.r_[np.ones(len(positives), int), np.zeros(len(negatives), int)]
    offsets = _chrom_offsets(v)
    block = (table["chrom"].map(offsets) + table["pos"]) // max(1, genome_length // 40)
    table["fold"] = (block % 10).astype(int)
    table["trait"] = np.where(table["label"] == 1, "synthetic_trait", "")
    return table.reset_index(drop=True)


def _chrom_offsets(variants: pd.DataFrame) -> dict[str, int]:
    ends = variants.groupby("chrom", sort=False)["pos"].max()
    offsets, total = {}, 0
    for chrom, end in ends.items():
        offsets[chrom] = total
        total += int(end) + 1
    return offsets


def fine_map(
    allpairs: pd.DataFrame,
    significant: pd.DataFrame,
    tissue: str,
    genotypes: Genotypes,
    window: int = 100_000,
) -> pd.DataFrame:
    """Credible sets (single causal variant, approximate Bayes factors) around each eGene's
    lead variant; one locus per eGene."""
    v = genotypes.variants.set_index("variant_id")
    rows = []
    for gene_id, pairs in allpairs[allpairs["gene_id"].isin(set(significant["gene_id"]))].groupby(
        "gene_id"
    ):
        lead = pairs.loc[pairs["pval_nominal"].idxmin()]
        lead_pos = v.at[lead["variant_id"], "pos"]
        positions = v.loc[pairs["variant_id"], "pos"].to_numpy()
        local = pairs[np.abs(positions - lead_pos) <= window]
        z = (local["slope"] / local["slope_se"]).to_numpy()
        pip, in_set = credible_set(approximate_bayes_factors(z, local["slope_se"].to_numpy()))
        locus = pd.DataFrame({
            "locus_id": f"{tissue}:{gene_id}", "gene_id": gene_id, "tissue": tissue,
            "variant_id": local["variant_id"].to_numpy(), "pip": pip, "in_credible_set_95": in_set,
            "is_lead": (local["variant_id"] == lead["variant_id"]).to_numpy(),
        })  # fmt: skip
        rows.append(locus[locus["in_credible_set_95"] | (locus["pip"] >= 1e-3)])
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()


# -- de novo variants ----------------------------------------------------------------------------
def de_novo_variants(
    chromosomes: list[Chromosome],
    sites: pd.DataFrame,
    activity: pd.DataFrame,
    motifs: dict[str, Motif],
    n_families: int,
    rng: np.random.Generator,
    per_child: float = 3.0,
    case_disruption: float = 0.25,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """De novo SNVs of quartet families (proband and unaffected sibling).

    Each child carries Poisson(``per_child``) de novos, uniformly over the non-N genome,
    except that a fraction ``case_disruption`` of the probands' de novos disrupt a
    binding site of an element active in neurons or neural progenitors (80%) or in
    cardiomyocytes (20%). Returns the table (An et al. 2018 Table S2 columns) and the
    truth of each variant.
    """
    brain = (
        activity[[c for c in ("neuron", "neural_progenitor") if c in activity]].max(axis=1) > 0.5
    )
    heart = activity[[c for c in ("cardiomyocyte",) if c in activity]].max(axis=1) > 0.5
    brain_sites = sites[
        sites["element_id"].map(brain).fillna(False).to_numpy() & (sites["tf"] != "CTCF")
    ]
    heart_sites = sites[
        sites["element_id"].map(heart).fillna(False).to_numpy() & (sites["tf"] != "CTCF")
    ]
    lengths = np.array([c.length for c in chromosomes], dtype=float)
    rows, truth = [], []
    for family in range(1, n_families + 1):
        fam = f"{11000 + family}"
        for pheno, member, sex in (("case", "p1", rng.choice(["M", "F"], p=[0.8, 0.2])),
                                   ("control", "s1", rng.choice(["M", "F"])),):  # fmt: skip
            sample = f"{fam}.{member}"
            for _ in range(int(rng.poisson(per_child))):
                planted = pheno == "case" and rng.random() < case_disruption
                if planted:
                    pool = (
                        brain_sites if rng.random() < 0.8 or not len(heart_sites) else heart_sites
                    )
                    site = pool.iloc[int(rng.integers(len(pool)))]
                    chrom = next(c for c in chromosomes if c.name == site["chrom"])
                    pwm = _site_orientation_matrix(motifs[site["tf"]], site["strand"])
                    offset = int(rng.integers(len(pwm)))
                    pos = int(site["start"]) + offset
                    ref = chr(chrom.seq[pos])
                    alt = "ACGT"[int(np.argmin(pwm[offset]))]
                    if alt == ref:
                        alt = "ACGT"[int(np.argsort(pwm[offset])[1])]
                    target = site["element_id"]
                else:
                    chrom = chromosomes[
                        int(rng.choice(len(chromosomes), p=lengths / lengths.sum()))
                    ]
                    while True:
                        pos = int(rng.integers(0, chrom.length))
                        if chrom.seq[pos] != ord("N"):
                            break
                    ref = chr(chrom.seq[pos])
                    alt = str(rng.choice([b for b in "ACGT" if b != ref]))
                    target = ""
                rows.append({"SampleID": sample, "Chr": chrom.name, "Pos": pos + 1, "Ref": ref, "Alt": alt,
                             "Type": "SNV", "Fam": fam, "Pheno": pheno, "Sex": sex, "Study": "SYN"})  # fmt: skip
                truth.append({"SampleID": sample, "Chr": chrom.name, "Pos": pos + 1, "planted_disruption": planted,
                              "element_id": target})  # fmt: skip
    return pd.DataFrame(rows), pd.DataFrame(truth)


# -- BLUEPRINT-style histone QTLs -------------------------------------------------------------------
def histone_qtls(
    elements: pd.DataFrame,
    activity: pd.DataFrame,
    base_drive: pd.DataFrame,
    effects: pd.DataFrame,
    genotypes: Genotypes,
    tf_act: pd.DataFrame,
    params: grammar.GrammarParams,
    rng: np.random.Generator,
    max_distance: int = 1_000_000,
    report_p: float = 1e-3,
    target_share: float = 0.07,
) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """Histone-mark QTL summaries per BLUEPRINT cell type and mark, and their truth.

    Targets are the elements active in the cell type (peaks of ``element +- 1 kb``). A
    share ``target_share`` of them has causal sources at all: most histone peaks have no
    QTL, so that, as in the microglia QTL report's Table 1, most 10-kb regions are reached
    by none (83-90% on the 20-Mb demo genome with 0.07; 79-86% with 0.09 on the 10-Mb
    one). Their number is drawn from Zipf(1.7) (most one, a few hubs with dozens, at most :data:`QTL_MAX_SOURCES`): common
    variants inside other elements within ``max_distance`` (closer ones likelier). The
    presets pass ``target_share`` (``seqreg.project.scales``). A source in a binding site
    acts through the grammar (its element's activity change on the ALT allele); any other
    source shifts its element slightly. Phenotypes add a per-target heritability of 10-80%
    to noise; every variant within ``max_distance`` of a target is tested and pairs with
    ``p < report_p`` are reported.
    """
    v = genotypes.variants
    dosage = genotypes.dosage().astype(float)
    af = genotypes.alt_frequency()
    common = np.minimum(af, 1 - af) >= MIN_MAF
    candidates = np.flatnonzero(_in_elements(v, elements) & common)
    outputs: dict[str, pd.DataFrame] = {}
    truth_rows: list[dict] = []
    for code, cell_type in QTL_CELL_TYPES.items():
        active = elements[activity.loc[elements["element_id"], cell_type].to_numpy() > 0.3]
        targets = active.assign(centre=(active["start"] + active["end"]) // 2).reset_index(
            drop=True
        )
        has_sources = rng.random(len(targets)) < target_share
        degree = np.where(
            has_sources, np.minimum(rng.zipf(1.7, size=len(targets)), QTL_MAX_SOURCES), 0
        )
        genetic = _plant_sources(targets, degree, candidates, v, dosage, effects, tf_act, params,
                                 cell_type, code, max_distance, rng, truth_rows)  # fmt: skip
        for mark, scale in QTL_MARKS.items():
            phenotypes = _phenotypes(genetic * scale, degree, rng)
            outputs[f"{code}_{mark}"] = _qtl_table(
                targets, phenotypes, dosage, v, af, common, max_distance, report_p
            )
    return outputs, pd.DataFrame(truth_rows)


def _in_elements(v: pd.DataFrame, elements: pd.DataFrame) -> np.ndarray:
    """Whether each variant lies inside an enhancer or promoter."""
    chrom_of, pos_of = v["chrom"].to_numpy(), v["pos"].to_numpy()
    spans_all = elements[elements["kind"].isin(["enhancer", "promoter"])]
    inside = np.zeros(len(v), dtype=bool)
    for chrom, spans in spans_all.groupby("chrom"):
        on = np.flatnonzero(chrom_of == chrom)
        starts = spans["start"].to_numpy()
        order = np.argsort(starts)
        k = np.searchsorted(starts[order], pos_of[on], side="right") - 1
        ok = k >= 0
        ends = spans["end"].to_numpy()[order]
        inside[on[ok]] = pos_of[on[ok]] < ends[k[ok]]
    return inside


def _plant_sources(targets, degree, candidates, v, dosage, effects, tf_act, params, cell_type: str,
                   code: str, max_distance: int, rng, truth_rows: list) -> np.ndarray:  # fmt: skip
    """``(targets, individuals)`` genetic values from each target's Zipf-many causal sources
    (nearer candidates likelier); appends one truth row per source."""
    chrom_of, pos_of = v["chrom"].to_numpy(), v["pos"].to_numpy()
    site_effect_by_variant = effects.groupby("variant_index")
    genetic = np.zeros((len(targets), dosage.shape[1]))
    for t, target in enumerate(targets.itertuples()):
        if degree[t] == 0:
            continue
        pool = candidates[
            (chrom_of[candidates] == target.chrom)
            & (np.abs(pos_of[candidates] - target.centre) <= max_distance)
        ]
        if not len(pool):
            continue
        weights = 1 / (np.abs(pos_of[pool] - target.centre) + 10_000)
        chosen = rng.choice(
            pool, size=min(int(degree[t]), len(pool)), replace=False, p=weights / weights.sum()
        )
        for j in chosen:
            if j in site_effect_by_variant.groups:
                rows = site_effect_by_variant.get_group(j)
                delta = float(sum(params.tf_weights[r.tf] * r.delta_score * tf_act.loc[r.tf, cell_type]
                                  for r in rows.itertuples()))  # fmt: skip
                mechanism = "site"
            else:
                delta = float(rng.normal(0, 0.3))
                mechanism = "element"
            beta = delta * rng.uniform(0.5, 1.5)
            genetic[t] += beta * dosage[j]
            truth_rows.append({"cell_type": code, "target": f"{target.chrom}:{target.centre - 1000}:{target.centre + 1000}",
                               "variant_id": v.at[j, "variant_id"], "mechanism": mechanism, "beta": beta,
                               "distance": int(abs(pos_of[j] - target.centre))})  # fmt: skip
    return genetic


def _phenotypes(genetic: np.ndarray, degree: np.ndarray, rng) -> np.ndarray:
    """Phenotypes of standardised genetic values plus noise; heritability 10-80%, rising
    with a target's number of sources."""
    phenotypes = np.empty_like(genetic)
    n = genetic.shape[1]
    for t in range(len(genetic)):
        g = genetic[t]
        heritability = min(0.8, 0.1 + 0.02 * degree[t]) if g.std() > 0 else 0.0
        noise = rng.normal(0, 1, size=n)
        phenotypes[t] = (
            g / g.std() * np.sqrt(heritability) if heritability else 0
        ) + noise * np.sqrt(1 - heritability)
    return phenotypes


def _qtl_table(targets, phenotypes, dosage, v, af, common, max_distance, report_p) -> pd.DataFrame:
    pieces, n_tests = [], 0
    chrom_of = v["chrom"].to_numpy()
    pos_of = v["pos"].to_numpy()
    for chrom, on_targets in targets.groupby("chrom", sort=False):
        variants = np.flatnonzero((chrom_of == chrom) & common)
        if not len(variants):
            continue
        scan = association_scan(phenotypes[on_targets.index].T, dosage[variants].T)
        distance = np.abs(pos_of[variants][None, :] - on_targets["centre"].to_numpy()[:, None])
        tested = distance <= max_distance
        n_tests += int(tested.sum())
        keep = tested & (scan["pval"] < report_p)
        t_index, v_index = np.nonzero(keep)
        target_rows = on_targets.iloc[t_index]
        index = variants[v_index]
        pieces.append(pd.DataFrame({
            "snp": v["chrom"].to_numpy()[index] + ":" + (pos_of[index] + 1).astype(str) + "_"
            + v["ref"].to_numpy()[index] + "_" + v["alt"].to_numpy()[index],
            "rsid": v["rsid"].to_numpy()[index],
            "phenotype": target_rows["chrom"].to_numpy() + ":" + (target_rows["centre"] - 1000).astype(str).to_numpy()
            + ":" + (target_rows["centre"] + 1000).astype(str).to_numpy(),
            "pval": scan["pval"][t_index, v_index],
            "beta": scan["slope"][t_index, v_index],
            "alt_af": af[index],
            "se": scan["slope_se"][t_index, v_index],
        }))  # fmt: skip
    table = pd.concat(pieces, ignore_index=True)
    table["bonferroni"] = np.minimum(1.0, table["pval"] * max(n_tests, 1))
    # BH over every test, of which the unreported ones all have p >= report_p
    ranks = table["pval"].rank(method="first").to_numpy()
    table["fdr"] = np.minimum(1.0, table["pval"] * max(n_tests, 1) / ranks)
    table = table.sort_values("pval", ascending=False)
    table["fdr"] = np.minimum.accumulate(table["fdr"].to_numpy())
    table = table.sort_values(["phenotype", "pval"]).reset_index(drop=True)
    return table[["snp", "rsid", "phenotype", "pval", "beta", "bonferroni", "fdr", "alt_af", "se"]]
