"""DNA sequence as arrays: codes, one-hot, shifts, and motifs (JASPAR PWMs, scanning).
Used by notebooks 01, 03 and 06 and the simulator.

Every name below loads its module on first use, so importing the package is cheap.
"""

import lazy_loader as _lazy

__getattr__, __dir__, __all__ = _lazy.attach(
    __name__,
    submodules=["encode", "gc", "motifs"],
    submod_attrs={
        "encode": [
            "SEQUENCE_CODES",
            "sequence_codes",
            "one_hot_codes",
            "one_hot",
            "reverse_complement",
            "shift_sequences",
        ],
        "gc": ["gc_per_bin", "smoothed_gc"],
        "motifs": [
            "BACKGROUND",
            "Motif",
            "load_jaspar",
            "load_jaspar_collection",
            "reverse_complement_matrix",
            "scan",
            "best_hit",
            "sample_site",
        ],
    },
)
