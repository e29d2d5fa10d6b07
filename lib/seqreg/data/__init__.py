"""Training data: windows and splits, target transforms, the HDF5 store, the Keras
loader, and BAM to coverage (Basenji 2018 and 2019 preprocessing). Used by notebooks
01-03 and 06.

Every name below loads its module on first use, so importing the package is cheap.
"""

import lazy_loader as _lazy

__getattr__, __dir__, __all__ = _lazy.attach(
    __name__,
    submodules=["windows", "targets", "store", "loader", "coverage"],
    submod_attrs={
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
        "targets": ["FLOAT16_MAX", "fill_nan", "pool", "soft_clip", "transform_targets"],
        "store": [
            "build_store",
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
    },
)
