"""seqreg: sequence-to-function deep learning analyses, reproducible from notebooks.

Importing the package is cheap: submodules, and the heavy libraries they use
(Keras, TensorFlow, matplotlib, pyBigWig), load only when first used::

    import seqreg
    manifest = seqreg.manifest.load_manifest("synthetic", scale="demo")
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

__version__ = "0.1.0"

_SUBMODULES = (
    "coverage",
    "data",
    "dataset",
    "download",
    "edits",
    "errors",
    "evaluate",
    "genome",
    "io",
    "loader",
    "manifest",
    "models",
    "motifs",
    "paths",
    "plots",
    "popgen",
    "predict",
    "qtl",
    "report",
    "run",
    "scales",
    "simulate",
    "stats",
    "tracks",
    "train",
    "variants",
)

if TYPE_CHECKING:  # pragma: no cover - for static analysers only
    from . import (  # noqa: F401
        coverage,
        data,
        dataset,
        download,
        edits,
        errors,
        evaluate,
        genome,
        io,
        loader,
        manifest,
        models,
        motifs,
        paths,
        plots,
        popgen,
        predict,
        qtl,
        report,
        run,
        scales,
        simulate,
        stats,
        tracks,
        train,
        variants,
    )


def __getattr__(name: str):
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'seqreg' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_SUBMODULES])
