"""Variant analyses: SAD/SED scores, LD, LD scores and pruning, and the GTEx eQTL
regression (Basenji 2018, Figs 5-6, notebook 06); GWAS SNP features and classification
(Supp. Fig. S9, notebook 07); de novo family risk scores (Kelley 2020 Fig 5c, notebook 10).

Every name below loads its module on first use, so importing the package is cheap.
"""

import lazy_loader as _lazy

__getattr__, __dir__, __all__ = _lazy.attach(
    __name__,
    submodules=["score", "scorefile", "ld", "eqtl", "gwas", "denovo"],
    submod_attrs={
        "score": [
            "variant_windows",
            "gene_pairs",
            "window_sequences",
            "score_variants",
            "window_scores",
            "gene_scores",
            "strand_matched",
        ],
        "scorefile": ["VariantScores", "read_scores"],
        "ld": [
            "standardize",
            "genetic_positions",
            "unbiased_r2",
            "ld_scores",
            "ld_prune",
            "signed_ld_profile",
            "LDPanel",
            "ld_panel",
        ],
        "eqtl": [
            "TSS_DISTANCE_EDGES",
            "tss_distance_classes",
            "gene_ld_features",
            "eqtl_regression_table",
            "sed_ld_regression",
        ],
        "gwas": [
            "penultimate_model",
            "snp_windows",
            "allele_log2_ratio",
            "penultimate_features",
            "classifier_features",
            "fold_classification",
            "paired_fold_tests",
            "top_decile_share",
        ],
        "denovo": ["family_risk_scores", "risk_score_test"],
    },
)
