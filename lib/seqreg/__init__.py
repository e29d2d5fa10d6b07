"""seqreg: sequence-to-function deep learning analyses, reproducible from notebooks.

Importing the package is cheap: submodules, and the heavy libraries they use
(Keras, TensorFlow, matplotlib, pyBigWig), load only when first used::

    import seqreg
    manifest = seqreg.project.load_manifest("synthetic", scale="demo")
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

__version__ = "0.1.0"

_SUBMODULES = (
    "data",
    "evaluate",
    "interpret",
    "io",
    "models",
    "plots",
    "predict",
    "project",
    "qtl",
    "sequence",
    "simulate",
    "stats",
    "train",
    "truth",
    "variants",
)

if TYPE_CHECKING:  # pragma: no cover - for static analysers only
    from . import (  # noqa: F401
        data,
        evaluate,
        interpret,
        io,
        models,
        plots,
        predict,
        project,
        qtl,
        sequence,
        simulate,
        stats,
        train,
        truth,
        variants,
    )


def __getattr__(name: str):
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'seqreg' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_SUBMODULES])
