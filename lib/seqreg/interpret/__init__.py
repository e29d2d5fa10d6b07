"""Interpretation: the shared-reference edit engine behind variant scores and in-silico
mutagenesis (ISM), saliency maps and their test against regulatory annotations, and
TOMTOM matches of contribution stretches to JASPAR, TF-MoDISco patterns of contribution
scores and their TOMTOM names, and receptive fields measured by perturbation and gradient.
Used by notebooks 05, 06, 10, 12 and 14.

Every name below loads its module on first use, so importing the package is cheap.
"""

import lazy_loader as _lazy

__getattr__, __dir__, __all__ = _lazy.attach(
    __name__,
    submodules=["annotations", "edits", "gradients", "ism", "modisco", "receptive_field", "tomtom"],
    submod_attrs={
        "edits": ["Method", "LocalSplit", "split_local", "EditPredictor"],
        "gradients": [
            "SplitModel",
            "gradient",
            "representation_layer",
            "saliency",
            "split_at",
            "input_gradients",
            "hypothetical_contributions",
        ],
        "annotations": [
            "annotation_test",
            "bin_table",
            "bins_overlapping",
            "element_max",
            "element_windows",
            "find_annotation_files",
            "annotation_cell_type",
            "CLASS_KEYWORDS",
            "read_annotation_classes",
            "saliency_peaks",
            "scored_elements",
            "shuffle_within",
        ],
        "ism": ["ISMResult", "ism_edits", "saturation_mutagenesis"],
        "modisco": [
            "Pattern",
            "load_patterns",
            "match_patterns",
            "motif_activity",
            "motif_binding_tfs",
            "motif_regulators",
            "run_modisco",
            "save_patterns",
            "trim_pattern",
        ],
        "receptive_field": [
            "FieldProfile",
            "gradient_field",
            "measured_field",
            "output_coords",
            "perturbation_field",
        ],
        "tomtom": [
            "contribution_ppm",
            "information_content",
            "same_factor_or_family",
            "strongest_stretch",
            "tomtom_matches",
        ],
    },
)
