"""Accuracy analyses of coverage models (Basenji 2018, Figs 2-3, S4-S7): metrics,
per-track accuracy and replicates, baselines, gene-level analyses (notebooks 02 and 03);
classification metrics of peak benchmarks (Supp. Fig. S1, notebook 04) and of held-out
cell types (ChromDragoNN Fig. 1, notebook 11).

Every name below loads its module on first use, so importing the package is cheap.
"""

import lazy_loader as _lazy

__getattr__, __dir__, __all__ = _lazy.attach(
    __name__,
    submodules=["metrics", "tracks", "baselines", "genes", "ablation", "classification"],
    submod_attrs={
        "metrics": ["log2p", "pearson", "r_squared"],
        "tracks": [
            "assay_type",
            "track_accuracy",
            "replicate_pairs",
            "replicate_comparison",
            "summarise_by_assay",
        ],
        "baselines": ["mean_profile_baseline", "kmer_features", "kmer_ridge_baseline"],
        "genes": [
            "tss_bins",
            "cage_strand_tracks",
            "gene_matrix",
            "gene_accuracy",
            "quantile_normalize",
            "cluster_agreement",
            "cluster_stability",
            "mixture_covariance",
            "accuracy_by_variability",
            "variability_trend",
            "tss_switching",
            "tss_matrix",
        ],
        "ablation": ["receptive_field_ablation"],
        "classification": [
            "per_track_classification",
            "paired_comparison",
            "binned_auprc",
            "centre_bin_scores",
        ],
    },
)
