"""Interpretation by prediction on edited sequences: the shared-reference edit engine
behind variant scores and in-silico mutagenesis. Used by notebook 06.

Every name below loads its module on first use, so importing the package is cheap.
"""

import lazy_loader as _lazy

__getattr__, __dir__, __all__ = _lazy.attach(
    __name__,
    submodules=["edits"],
    submod_attrs={
        "edits": ["Method", "LocalSplit", "split_local", "EditPredictor"],
    },
)
