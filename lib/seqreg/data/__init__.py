"""Training data: windows and splits, target transforms, the HDF5 store, the Keras
loader, BAM to coverage (Basenji 2018 and 2019 preprocessing), and stores converted from
Basenji/Baskerville data directories. Used by notebooks 01-04, 06 and 13 (histone-mark
panels and random windows for Leopard's U-Nets), 11 and 12 (ChromDragoNN's bins, held-out
cell types and (bin, cell type) batches).

Every name below loads its module on first use, so importing the package is cheap.
"""

import lazy_loader as _lazy

__getattr__, __dir__, __all__ = _lazy.attach(
    __name__,
    submodules=[
        "inputs",
        "windows",
        "targets",
        "store",
        "loader",
        "coverage",
        "basenji_import",
        "peaks",
        "marks",
        "chromdragonn",
    ],
    submod_attrs={
        "inputs": [
            "INTERVAL_FORMATS",
            "genome_chrom_sizes",
            "to_genome_names",
            "dataset_intervals",
            "dataset_tss",
        ],
        "windows": [
            "SPLITS",
            "NanPolicy",
            "WindowSpec",
            "contigs",
            "tile_windows",
            "merged_intervals",
            "covered_fraction",
            "assign_splits",
            "overlapping_pairs_across_splits",
            "plan_windows",
        ],
        "targets": [
            "FLOAT16_MAX",
            "fill_nan",
            "pool",
            "soft_clip",
            "transform_targets",
            "quantile_normalize_to_reference",
        ],
        "store": [
            "build_store",
            "build_label_store",
            "read_store_info",
            "load_split",
            "read_window_targets",
            "track_baselines",
        ],
        "loader": ["strand_swap_order", "reverse_complement_batch", "TrainingData"],
        "coverage": [
            "require_program",
            "align_bowtie2",
            "read_alignments",
            "coverage_from_alignments",
            "gc_correct",
            "bam_coverage",
        ],
        "basenji_import": [
            "BasenjiData",
            "read_basenji_data",
            "convert_basenji_data",
            "fitting_scales",
        ],
        "peaks": ["subsequence_table", "poisson_pvalues", "call_peaks", "peak_labels"],
        "chromdragonn": [
            "panel_bins",
            "labels_from_peaks",
            "CellTypeFolds",
            "cell_type_folds",
            "mean_accessibility",
            "similarity_weighted_mean",
            "bin_windows",
            "sample_pool",
            "SequenceBatches",
            "draw_pairs",
            "PairBatches",
            "CellTypePanel",
            "load_panel",
        ],
        "marks": [
            "MARKS",
            "ACCESSIBILITY_ASSAYS",
            "MarkPanel",
            "mark_panel",
            "hold_out_chromosomes",
            "read_chromosome_codes",
            "accessibility_channels",
            "n_accessibility_channels",
            "MarkModel",
            "TABLE3_MODELS",
            "window_arrays",
            "MarkWindows",
            "predict_marks",
        ],
    },
)
