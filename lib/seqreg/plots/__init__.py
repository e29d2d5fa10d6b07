"""Figures, one function per figure kind, by topic: QC, locus views, accuracy, variants,
peak benchmarks and SNP classification, interpretation (saliency, ISM), histone-mark
U-Nets, ChromDragoNN's held-out cell types and motifs, QTL connectivity. Used by every
notebook.

Every name below loads its module on first use, so importing the package is cheap.
"""

import lazy_loader as _lazy

__getattr__, __dir__, __all__ = _lazy.attach(
    __name__,
    submodules=[],
    submod_attrs={
        "_base": ["save_figure"],
        "_qc": [
            "n_fraction_bars",
            "track_chrom_heatmaps",
            "value_distributions",
            "split_summary",
            "clipping_effect",
            "coverage_comparison",
        ],
        "_locus": ["ELEMENT_COLOURS", "locus", "experiment_vs_prediction"],
        "_accuracy": [
            "learning_curves",
            "accuracy_by_assay",
            "log_scatter",
            "replicate_scatter",
            "cluster_heatmaps",
            "metric_bars",
            "receptive_field_ablation",
            "tss_switching",
            "structure_sweep",
        ],
        "_variants": [
            "quantile_enrichment",
            "score_vs_chi2",
            "finemapped_locus",
            "de_novo_volcano",
            "family_risk",
        ],
        "_classification": ["peak_fractions", "method_scatter", "roc_curves", "variance_explained"],
        "_interpret": ["CLASS_COLOURS", "saliency_locus", "saliency_cdfs", "ism_panel"],
        "_marks": ["mark_panel_locus", "model_curves", "classification_by_label", "field_profiles"],
        "_chromdragonn": [
            "open_fraction_histogram",
            "method_bars",
            "paired_scatter",
            "binned_auprc",
            "motif_activity_heatmap",
            "regulator_bars",
            "tsne_maps",
        ],
        "_qtl": ["qtl_distance_histograms", "connectivity_histograms", "degree_distributions"],
    },
)
