"""The embedded synthetic dataset: a genome with a planted regulatory grammar, and its assays.

:func:`write_dataset` is the generator named by ``data_manifest/synthetic.yaml``. From the
manifest's seed and scale it writes, in real file formats:

- a genome (FASTA + ``.fai``, chromosome sizes) from a human-like order-3 Markov
  background (41% GC, CpG depletion) with CpG islands at most promoters, assembly gaps,
  alpha-satellite-like arrays, simple repeats and segmental duplications; gaps,
  blacklist and unmappable-region BEDs;
- genes on both strands (GTF, TSS BED), some with an alternative TSS;
- promoters, enhancers up to ~100 kb from their genes, CTCF sites and silencers holding
  binding sites drawn from JASPAR 2024 matrices, with cooperative pairs;
- one bigWig per manifest track (DNase/ATAC, H3K27ac, H3K4me1, stranded CAGE, TF ChIP)
  at 32 bp, a TF expression table, regulatory annotations for one lymphoblastoid-like
  cell type, and the track table;
- msprime genotypes (VCF + tabix) and, from variants that change planted sites,
  GTEx-style eQTL tables, a GWAS-like SNP set, fine-mapped credible sets, de novo
  variants of quartet families and BLUEPRINT-style histone QTLs
  (:mod:`seqreg.simulate.population`, :mod:`seqreg.simulate.variants`);
- the planted truth under ``truth/`` (elements, sites, activities, expression, links,
  parameters, noise-free expected signal, variant effects), which analyses read only
  to score recovery.

The model is described in :mod:`seqreg.simulate.grammar` (regulation) and
:mod:`seqreg.simulate.signal` (assays); the README's chapter on the synthetic dataset
walks through it with a figure of one locus.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..io.annotation import write_bed
from ..io.bigwig import write_bigwig
from ..io.fasta import write_chrom_sizes, write_fasta
from ..project.files import atomic_path, write_gzip_text, write_json, write_text
from ..project.manifest import Manifest
from ..project.scales import SCALES, preset
from . import grammar, panel, population, signal, variants
from .genes import gtf_lines, place_genes, tss_rows
from .sequence import build_chromosomes, gc_fraction

BIN_SIZE = signal.BIN_SIZE

#: cell type whose active elements become the regulatory annotation BEDs
ANNOTATED_CELL_TYPE = "lymphoblastoid"
N_DECOY_TFS = 30


@dataclass
class _Planted:
    """The planted regulatory model of one synthetic genome."""

    chromosomes: list
    motifs: dict
    genes: list
    elements: pd.DataFrame
    sites: pd.DataFrame
    params: grammar.GrammarParams
    cell_types: dict[str, str]
    tf_act: pd.DataFrame
    activity: pd.DataFrame
    basal: pd.Series
    expression: pd.DataFrame
    links: pd.DataFrame


def write_dataset(manifest: Manifest, out_dir: str | Path, *, progress: bool = True) -> None:
    """Write the synthetic dataset ``manifest`` describes into ``out_dir`` (its root).

    Deterministic: the same manifest, seed and scale give byte-identical files (one random
    generator, drawn from in a fixed order: genome, grammar, annotation, variants; each
    track from its own, :func:`track_generator`).
    """
    out_dir = Path(out_dir)

    def target(file_id: str) -> Path:
        return out_dir / manifest.entry(file_id).local_path.relative_to(manifest.root)

    layout = preset("synthetic", manifest.scale)
    rng = np.random.default_rng([manifest.seed, SCALES.index(manifest.scale)])
    planted = _plant(manifest, layout, rng)
    sizes, artifacts, annotated = _write_genome_files(manifest, target, planted, rng)
    tracks_truth = _write_tracks(manifest, out_dir, planted, sizes, artifacts, annotated, progress)
    _write_variant_data(manifest, target, planted.chromosomes, planted.genes, planted.elements,
                        planted.sites, planted.activity, planted.tf_act, planted.basal,
                        planted.motifs, planted.params, sizes, rng)  # fmt: skip
    _write_truth(manifest, target, planted, sizes, annotated, tracks_truth)
    if any(e.id == "chromdragonn_labels" for e in manifest.all_entries()):
        _write_cell_type_panel(manifest, target, planted, layout, sizes)


def _plant(manifest: Manifest, layout: dict, rng, program_strength: float = 1.0) -> _Planted:
    """Chromosomes, genes, elements with binding sites, TF and element activity, expression
    (``program_strength``: see :func:`seqreg.simulate.grammar.tf_activity`)."""
    cell_types = {t.cell_type: t.tissue for t in manifest.tracks}
    tissues = sorted(set(cell_types.values()))
    chromosomes = build_chromosomes(layout["chromosomes"], rng)
    motifs = grammar.load_motifs()
    genes = place_genes(chromosomes, tissues, rng, spacing=layout["gene_spacing"])
    elements, sites = grammar.plant_grammar(chromosomes, genes, motifs, rng)
    params = grammar.GrammarParams(
        tf_weights={tf: float(rng.uniform(0.8, 1.4)) for tf in grammar.MOTIF_IDS}
    )
    qtl_cell_types = {c: "immune" for c in variants.QTL_CELL_TYPES.values() if c not in cell_types}
    tf_act = grammar.tf_activity({**cell_types, **qtl_cell_types}, rng, program_strength)
    activity = grammar.element_activity(elements, sites, tf_act, params)
    basal = pd.Series({g.gene_id: float(rng.lognormal(0.0, 0.6) * 20.0) for g in genes})
    expression, links = grammar.transcript_expression(elements, activity, basal, params)
    return _Planted(chromosomes, motifs, genes, elements, sites, params, cell_types, tf_act,
                    activity, basal, expression, links)  # fmt: skip


def _write_cell_type_panel(manifest: Manifest, target, planted: _Planted, layout: dict,
                           sizes: dict[str, int]) -> None:  # fmt: skip
    """ChromDragoNN's cell-type panel (:mod:`seqreg.simulate.panel`): labels, expression,
    cell types, and its truth (TF activity, element activity, peaks)."""
    from ..data.chromdragonn import labels_from_peaks, panel_bins
    from ..io.chromdragonn import write_label_tsv
    from ..sequence.encode import sequence_codes

    rng = panel.panel_generator(manifest.seed, SCALES.index(manifest.scale))
    made = panel.simulate_panel(
        planted.elements,
        planted.sites,
        planted.params,
        sizes,
        layout["panel_cell_types"],
        layout["panel_rna_only"],
        layout["panel_decoy_tfs"],
        rng,
    )
    codes = {c.name: sequence_codes(c.seq.tobytes()) for c in planted.chromosomes}
    bins = panel_bins(codes)
    labelled = made.cell_types.loc[made.cell_types["labelled"], "cell_type"].tolist()
    write_label_tsv(target("chromdragonn_labels"), bins, labels_from_peaks(bins, made.peaks, labelled),
                    labelled)  # fmt: skip
    write_text(
        target("chromdragonn_expression"), made.expression.to_csv(sep="\t", float_format="%.4f")
    )
    write_text(target("chromdragonn_cell_types"), made.cell_types.to_csv(sep="\t", index=False))
    write_text(
        target("truth_panel_tf_activity"), made.tf_activity.to_csv(sep="\t", float_format="%.6g")
    )
    write_text(
        target("truth_panel_activity"), made.element_activity.to_csv(sep="\t", float_format="%.4g")
    )
    write_gzip_text(target("truth_panel_peaks"), made.peaks.to_csv(sep="\t", index=False))


def _write_genome_files(manifest: Manifest, target, planted: _Planted, rng):
    """FASTA, sizes, gap/blacklist/unmappable BEDs, GTF, TSSs, TF expression, track table and
    annotation BEDs; returns chromosome sizes, artefact regions and the annotated cell type."""
    chromosomes, elements, activity = planted.chromosomes, planted.elements, planted.activity
    sizes = {c.name: c.length for c in chromosomes}
    write_fasta(target("genome_fasta"), {c.name: c.seq.tobytes() for c in chromosomes})
    write_chrom_sizes(target("chrom_sizes"), sizes)
    write_bed(target("gaps"), [(c.name, s, e) for c in chromosomes for s, e in c.gaps])
    artifacts = _artifact_regions(chromosomes, rng)
    write_bed(target("blacklist"), sorted(artifacts))
    unmappable = sorted(
        [(c.name, s, e, "segmental_duplication") for c in chromosomes for s, e, *_ in c.duplications]
        + [(c.name, s, e, "satellite") for c in chromosomes for s, e in c.satellites]
        + [(c.name, s, e, f"simple_repeat_{u}") for c in chromosomes for s, e, u in c.simple_repeats
           if e - s >= 100]
    )  # fmt: skip
    write_bed(target("unmappable"), unmappable)
    write_text(target("gene_annotation"), "".join(gtf_lines(planted.genes)))
    write_bed(target("tss"), sorted(tss_rows(planted.genes)))
    write_text(
        target("tf_expression"),
        _tf_expression(planted.tf_act, rng).to_csv(sep="\t", float_format="%.4f"),
    )
    write_text(target("track_table"), _track_table(manifest).to_csv(sep="\t", index=False))
    cell_types = planted.cell_types
    annotated = ANNOTATED_CELL_TYPE if ANNOTATED_CELL_TYPE in cell_types else next(iter(cell_types))
    for kind, file_id in (("promoter", "annotation_promoters"), ("enhancer", "annotation_enhancers"),
                          ("ctcf", "annotation_ctcf")):  # fmt: skip
        chosen = elements[(elements["kind"] == kind) & (activity[annotated].to_numpy() > 0.5)]
        write_bed(
            target(file_id), chosen[["chrom", "start", "end", "element_id"]].itertuples(index=False)
        )
    return sizes, artifacts, annotated


def _write_tracks(manifest: Manifest, out_dir: Path, planted: _Planted, sizes, artifacts,
                  annotated: str, progress: bool) -> dict:  # fmt: skip
    """One bigWig per manifest track; returns the truth they need (expected signal, read
    source, NaN and zero fractions, per-track parameters). Each track draws from its own
    generator (:func:`track_generator`), so adding a track leaves the others as they were."""
    from ..project.progress import progress_bar as tqdm

    contexts = _contexts(
        planted.chromosomes, planted.elements, planted.sites, planted.genes, artifacts
    )
    truth: dict = {"read_source_track": f"dnase_{annotated}", "read_source": {}, "expected": {},
                   "nan": {}, "zero": {}, "params": {}}  # fmt: skip
    replicate_index: dict[str, int] = {}
    for k, track in enumerate(tqdm(manifest.tracks, desc="synthetic tracks", disable=not progress)):
        rng = track_generator(manifest, track.id)
        model, _ = signal.assay_model(track.assay)
        replicate = replicate_index.get(track.replicate_group, 0)
        replicate_index[track.replicate_group] = replicate + 1
        depth = float(rng.uniform(0.7, 1.3))
        gc_curve = (float(rng.uniform(1.0, 3.0)), float(rng.uniform(5.0, 15.0)))
        keys = (
            planted.expression.index if model.family == "cage" else planted.elements["element_id"]
        )
        variation = dict(
            zip(keys, rng.lognormal(0.0, model.replicate_sd, size=len(keys)), strict=True)
        )
        missing_stretches = 1 + k % 2 if k % 3 == 0 else 0
        values, truth["nan"][track.id], truth["zero"][track.id] = {}, {}, {}
        for ctx in contexts:
            args = (ctx, track.assay, track.strand, track.cell_type, planted.activity,
                    planted.expression, planted.tf_act)  # fmt: skip
            biology = signal.expected_signal(*args)  # noise-free, before technical biases
            expected = signal.apply_biases(biology, ctx, track.assay, depth, gc_curve)
            observed = signal.apply_biases(
                signal.expected_signal(*args, variation=variation),
                ctx,
                track.assay,
                depth,
                gc_curve,
            )
            if track.id == truth["read_source_track"]:
                truth["read_source"][f"origin/{ctx.name}"] = signal.read_origin(
                    biology, ctx, track.assay, depth, gc_curve
                )
                truth["read_source"][f"truth/{ctx.name}"] = (biology * depth).astype(np.float32)
            counts = signal.add_noise(observed, model.dispersion, rng)
            counts[ctx.gap_bins] = np.nan
            for _ in range(missing_stretches):
                size = int(rng.integers(ctx.n_bins // 200 + 1, ctx.n_bins // 50 + 2))
                start = int(rng.integers(0, ctx.n_bins - size))
                counts[start : start + size] = np.nan
            values[ctx.name] = counts
            truth["expected"][f"{track.id}/{ctx.name}"] = expected.astype(np.float32)
            truth["nan"][track.id][ctx.name], truth["zero"][track.id][ctx.name] = _binned_fractions(
                counts, ctx.length
            )
        write_bigwig(out_dir / track.local_path.relative_to(manifest.root), sizes, values, BIN_SIZE)
        truth["params"][track.id] = {"replicate": replicate, "depth": depth, "gc_curve": gc_curve,
                                     "missing_stretches": missing_stretches}  # fmt: skip
    return truth


def track_generator(manifest: Manifest, track_id: str) -> np.random.Generator:
    """The random generator of one synthetic track: seeded by the manifest's seed, the scale
    and the track's id, so a track's noise, depth and GC bias do not depend on which other
    tracks the manifest lists."""
    return np.random.default_rng(
        [manifest.seed, SCALES.index(manifest.scale), zlib.crc32(track_id.encode())]
    )


def _write_truth(manifest: Manifest, target, planted: _Planted, sizes, annotated: str,
                 tracks_truth: dict) -> None:  # fmt: skip
    """The planted truth under ``truth/`` (read only by recovery checks)."""
    elements = planted.elements
    n_bases = {c.name: int((c.seq == ord("N")).sum()) for c in planted.chromosomes}
    write_json(target("truth_summary"), {
        "description": "planted truth of the synthetic dataset (read only in recovery checks)",
        "seed": manifest.seed, "scale": manifest.scale, "bin_size": BIN_SIZE,
        "n_fraction": {c: n_bases[c] / sizes[c] for c in sizes},
        "track_nan_fraction": tracks_truth["nan"], "track_zero_fraction": tracks_truth["zero"],
        "n_genes": len(planted.genes), "n_transcripts": len(planted.expression),
        "n_elements": elements["kind"].value_counts().to_dict(), "n_sites": len(planted.sites),
        "annotated_cell_type": annotated,
    })  # fmt: skip
    write_text(target("truth_elements"), elements.to_csv(sep="\t", index=False))
    write_text(
        target("truth_sites"), planted.sites.to_csv(sep="\t", index=False, float_format="%.5f")
    )
    write_text(target("truth_activity"), planted.activity.to_csv(sep="\t", float_format="%.6g"))
    write_text(target("truth_tf_activity"), planted.tf_act.to_csv(sep="\t", float_format="%.6g"))
    write_text(target("truth_expression"), planted.expression.to_csv(sep="\t", float_format="%.6g"))
    write_text(
        target("truth_links"), planted.links.to_csv(sep="\t", index=False, float_format="%.6g")
    )
    params_dict = asdict(planted.params) | {
        "basal_expression": planted.basal.round(6).to_dict(),
        "motifs": {tf: m.matrix_id for tf, m in planted.motifs.items()},
        "tracks": tracks_truth["params"],
        "cell_types": planted.cell_types,
        "assays": {name: asdict(model) for name, model in signal.ASSAYS.items()},
    }
    write_text(
        target("truth_params"),
        json.dumps(params_dict, indent=1, sort_keys=True, default=list) + "\n",
    )
    with atomic_path(target("truth_expected")) as tmp, open(tmp, "wb") as handle:
        np.savez(handle, **tracks_truth["expected"])
    with atomic_path(target("truth_read_source")) as tmp, open(tmp, "wb") as handle:
        np.savez(handle, track=np.array(tracks_truth["read_source_track"]),
                 bin_size=np.array(BIN_SIZE), **tracks_truth["read_source"])  # fmt: skip


def _write_variant_data(manifest, target, chromosomes, genes, elements, sites, activity, tf_act, basal,
                        motifs, params, sizes, rng) -> None:  # fmt: skip
    """Genotypes, eQTLs, GWAS-like SNPs, fine-mapping, de novo variants, histone QTLs."""
    layout = preset("synthetic", manifest.scale)
    genotypes = population.simulate_genotypes(chromosomes, layout["individuals"], rng)
    genotypes = variants.plant_causal_variants(
        genotypes, chromosomes, sites, activity, motifs, layout["causal_variants"], rng
    )
    population.write_vcf(target("genotypes"), genotypes, sizes)
    in_sites = variants.site_variants(genotypes, chromosomes, sites, motifs)
    base_drive = grammar.element_drive(elements, sites, tf_act, params)
    gene_of = pd.Series({t.transcript_id: g.gene_id for g in genes for t in g.transcripts})
    first_tss = pd.DataFrame(
        [(g.gene_id, g.chrom, g.tss, g.strand) for g in genes],
        columns=["gene_id", "chrom", "tss", "strand"],
    )
    tissues = {t: c for t, c in variants.EQTL_TISSUES.items() if c in activity.columns}
    effects = variants.single_variant_effects(
        elements, base_drive, in_sites, tf_act, basal, gene_of, tissues, params
    )
    credible_sets = []
    for tissue, cell_type in tissues.items():
        expected = variants.gene_expression_per_individual(
            elements, base_drive, in_sites, genotypes, tf_act, basal, gene_of, cell_type, params
        )
        allpairs, significant = variants.eqtl_tables(
            expected, genotypes, first_tss, layout["cis_window"], rng
        )
        write_gzip_text(
            target(f"eqtl_{tissue}"), allpairs.to_csv(sep="\t", index=False, float_format="%.6g")
        )
        write_gzip_text(
            target(f"eqtl_signif_{tissue}"),
            significant.to_csv(sep="\t", index=False, float_format="%.6g"),
        )
        credible_sets.append(variants.fine_map(allpairs, significant, tissue, genotypes))
    write_text(
        target("finemapped"),
        pd.concat(credible_sets, ignore_index=True).to_csv(
            sep="\t", index=False, float_format="%.6g"
        ),
    )
    genome_length = sum(sizes.values())
    gwas = variants.gwas_set(genotypes, effects, rng, genome_length, layout["gwas_positives"])
    write_text(target("gwas_snps"), gwas.to_csv(sep="\t", index=False, float_format="%.6g"))
    de_novo, de_novo_truth = variants.de_novo_variants(
        chromosomes, sites, activity, motifs, layout["families"], rng
    )
    write_text(target("de_novo_variants"), de_novo.to_csv(sep="\t", index=False))
    qtls, qtl_truth = variants.histone_qtls(
        elements,
        activity,
        base_drive,
        in_sites,
        genotypes,
        tf_act,
        params,
        rng,
        target_share=layout["qtl_target_share"],
    )
    for name, table in qtls.items():
        write_gzip_text(
            target(f"qtl_{name}"),
            table.to_csv(sep=" ", index=False, header=False, float_format="%.6g"),
        )
    write_text(
        target("truth_site_variants"), in_sites.to_csv(sep="\t", index=False, float_format="%.6g")
    )
    write_text(
        target("truth_eqtl_effects"), effects.to_csv(sep="\t", index=False, float_format="%.6g")
    )
    write_text(target("truth_de_novo"), de_novo_truth.to_csv(sep="\t", index=False))
    write_text(
        target("truth_qtl_sources"), qtl_truth.to_csv(sep="\t", index=False, float_format="%.6g")
    )


def _artifact_regions(chromosomes, rng: np.random.Generator) -> list[tuple]:
    """Blacklist: satellites plus two short high-signal artifact regions per chromosome."""
    regions = [(c.name, s, e, "satellite") for c in chromosomes for s, e in c.satellites]
    for c in chromosomes:
        placed = 0
        for _ in range(100):
            size = int(rng.integers(1_000, 3_000))
            start = int(rng.integers(0, c.length - size))
            if c.is_free(start, start + size):
                c.occupy(start, start + size)
                regions.append((c.name, start, start + size, "high_signal"))
                placed += 1
                if placed == 2:
                    break
    return regions


def _contexts(chromosomes, elements, sites, genes, artifacts) -> list[signal.ChromContext]:
    contexts = []
    tss = pd.DataFrame(
        [(t.chrom, t.transcript_id, t.tss, g.strand) for g in genes for t in g.transcripts],
        columns=["chrom", "transcript_id", "tss", "strand"],
    )
    centre = (elements["start"] + elements["end"]) // 2
    elements = elements.assign(centre_bin=(centre // BIN_SIZE).astype(np.int64))
    sites = sites.assign(
        centre_bin=((sites["start"] + sites["end"]) // 2 // BIN_SIZE).astype(np.int64)
    )
    for c in chromosomes:
        n_bins = -(-c.length // BIN_SIZE)
        is_n = np.zeros(n_bins * BIN_SIZE, dtype=bool)
        is_n[: c.length] = c.seq == ord("N")
        is_n[c.length :] = True
        unmappable = np.zeros(n_bins, dtype=bool)
        for s, e, *_ in c.duplications:
            unmappable[s // BIN_SIZE : -(-e // BIN_SIZE)] = True
        artifact = np.zeros(n_bins, dtype=bool)
        for chrom, s, e, _ in artifacts:
            if chrom == c.name:
                artifact[s // BIN_SIZE : -(-e // BIN_SIZE)] = True
        on_chrom = tss[tss["chrom"] == c.name]
        contexts.append(
            signal.ChromContext(
                name=c.name,
                length=c.length,
                gc=gc_fraction(c.seq, BIN_SIZE),
                gap_bins=is_n.reshape(n_bins, BIN_SIZE).all(axis=1),
                unmappable_bins=unmappable,
                artifact_bins=artifact,
                elements=elements[elements["chrom"] == c.name].reset_index(drop=True),
                sites=sites[sites["chrom"] == c.name].reset_index(drop=True),
                tss=on_chrom.assign(
                    tss_bin=(on_chrom["tss"] // BIN_SIZE).astype(np.int64)
                ).reset_index(drop=True),
            )
        )
    return contexts


def _tf_expression(tf_act: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """log2(TPM + 1) of the motif TFs (a noisy monotone function of activity) and decoys."""
    motif_tfs = 1.0 + 7.0 * tf_act + rng.normal(0.0, 0.4, size=tf_act.shape)
    decoys = pd.DataFrame(
        rng.gamma(2.0, 1.5, size=(N_DECOY_TFS, tf_act.shape[1])),
        index=[f"TFDECOY{i:02d}" for i in range(1, N_DECOY_TFS + 1)],
        columns=tf_act.columns,
    )
    table = pd.concat([motif_tfs.clip(lower=0.0), decoys])
    table.index.name = "tf"
    return table


def _track_table(manifest: Manifest) -> pd.DataFrame:
    """The manifest's tracks as a table with file paths relative to the dataset root."""
    table = manifest.track_table()
    table["file"] = [str(Path(p).relative_to(manifest.root)) for p in table.pop("path")]
    columns = ["id", "file", "assay", "cell_type", "tissue", "replicate_group", "strand", "strand_pair",
               "clip", "soft_clip", "scale", "sum_stat", "description"]  # fmt: skip
    return table[columns].rename(columns={"id": "identifier"})


def _binned_fractions(values: np.ndarray, length: int) -> tuple[float, float]:
    """Exact base-level NaN and zero fractions of a binned track (last bin clipped)."""
    widths = np.full(len(values), BIN_SIZE, dtype=np.int64)
    widths[-1] = length - BIN_SIZE * (len(values) - 1)
    return float(widths[np.isnan(values)].sum()) / length, float(widths[values == 0].sum()) / length
