"""Synthetic-only recovery checks against the planted truth, kept apart from the paper
analyses; notebooks call them only in cells marked "did we recover it". Used by
notebooks 01, 03 and 06.

Every name below loads its module on first use, so importing the package is cheap.
"""

import lazy_loader as _lazy

__getattr__, __dir__, __all__ = _lazy.attach(
    __name__,
    submodules=["coverage", "recovery", "variants", "structure", "peaks"],
    submod_attrs={
        "coverage": ["duplication_mask", "coverage_truth_r", "bam_coverage_check"],
        "recovery": ["truth_targets", "truth_recovery"],
        "variants": ["planted_log2fc", "causal_pair_recovery", "planted_site_response"],
        "structure": ["planted_gene_expression", "simulated_experiment", "structure_sweep"],
        "peaks": ["ACTIVE_THRESHOLD", "peak_recovery", "peak_recovery_by_cell_type"],
    },
)
