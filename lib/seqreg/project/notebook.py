"""The notebook context: one call gives a notebook its manifest, output folders, scale
settings and the training store's tracks.

Every notebook starts with::

    ctx = setup(dataset, scale, data_root, output_dir, seed=seed)
    ctx.manifest, ctx.out["figures"], ctx.tracks, ctx.preset("train")
    ...
    ctx.write_metrics({...})  # metrics/<notebook>.json
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from .files import write_json
from .manifest import Manifest, Track, load_manifest
from .paths import output_dirs
from .scales import check_scale, preset

#: CPU threads TensorFlow uses inside and between ops, whatever the machine's core count:
#: the thread count changes the order of floating-point sums, and so trained weights
#: (README, "Repeatability"); 2 is the reference machine's. ``SEQREG_THREADS`` overrides it.
THREADS = 2


def fix_threads(threads: int | None = None) -> int:
    """Fix TensorFlow's intra- and inter-op thread counts before its runtime starts.

    Sets ``TF_NUM_INTRAOP_THREADS`` and ``TF_NUM_INTEROP_THREADS`` (read once, when
    TensorFlow first runs an op) to ``threads``, else ``$SEQREG_THREADS``, else
    :data:`THREADS`; variables the user set already are left alone. With the same thread
    count, training gives bitwise the same weights on machines with different numbers of
    cores (the CPU's instruction set, which picks oneDNN's kernels, can still differ).

    Returns
    -------
    int
        The intra-op thread count in force for a runtime started from now on.

    Raises
    ------
    ValueError
        When ``$SEQREG_THREADS`` is not a positive integer.
    """
    raw = os.environ.get("SEQREG_THREADS", "")
    if threads is None and raw:
        if not raw.isdigit() or int(raw) < 1:
            raise ValueError(f"SEQREG_THREADS={raw!r} is not a positive integer")
        threads = int(raw)
    threads = THREADS if threads is None else int(threads)
    os.environ.setdefault("TF_NUM_INTRAOP_THREADS", str(threads))
    os.environ.setdefault("TF_NUM_INTEROP_THREADS", str(threads))
    return int(os.environ["TF_NUM_INTRAOP_THREADS"])


@dataclass
class Context:
    """What a notebook works with (from :func:`setup`).

    Attributes
    ----------
    manifest
        The dataset's validated manifest.
    scale, seed
        The notebook's parameters.
    out
        Output folders by kind (``notebooks``, ``figures``, ``tables``, ``metrics``,
        ``models``, ``data``, and ``base``), created.
    name
        The notebook's name, for its metrics file (``metrics/<name>.json``).
    """

    manifest: Manifest
    scale: str
    seed: int
    out: dict[str, Path]
    name: str = ""

    @property
    def store(self) -> Path:
        """The training store notebook 01 writes (``<out>/data/store.h5``)."""
        return self.out["data"] / "store.h5"

    @cached_property
    def store_info(self) -> dict:
        """Spec, statistics and tracks of the training store
        (:func:`seqreg.data.read_store_info`).

        Raises
        ------
        InputFileError
            When the store does not exist yet (run notebook 01).
        """
        from ..data.store import read_store_info
        from .errors import InputFileError

        if not self.store.is_file():
            raise InputFileError(self.store, "no training store here; run notebook 01 first")
        return read_store_info(self.store)

    @property
    def tracks(self) -> list[Track]:
        """The store's tracks, one per target column, in order."""
        return self.store_info["tracks"]

    @property
    def window_spec(self):
        """The store's :class:`~seqreg.data.WindowSpec` (window length, bins, crop)."""
        from ..data.windows import WindowSpec

        return WindowSpec(**self.store_info["spec"])

    @property
    def genome(self) -> str:
        """The genome of the store's tracks (the manifest's first genome if they name none)."""
        named = [t.genome for t in self.tracks if t.genome]
        return named[0] if named else next(iter(self.manifest.genomes))

    def preset(self, analysis: str) -> dict[str, Any]:
        """Settings of ``analysis`` at this scale (:func:`seqreg.project.preset`)."""
        return preset(analysis, self.scale)

    def write_metrics(self, metrics: dict[str, Any], name: str | None = None) -> Path:
        """Write ``metrics``, after the dataset and scale, to ``metrics/<name>.json``.

        Raises
        ------
        ValueError
            When neither the context nor the call names the notebook.
        """
        name = name or self.name
        if not name:
            raise ValueError("name the metrics file: setup(..., name='NN_topic') or name=")
        header = {"dataset": self.manifest.name, "scale": self.scale}
        return write_json(self.out["metrics"] / f"{name}.json", header | metrics)


def setup(dataset: str, scale: str, data_root: str | Path | None = None,
          output_dir: str | Path | None = None, *, seed: int = 0, name: str = "") -> Context:  # fmt: skip
    """The context of a notebook run: manifest, output folders and store (and TensorFlow's
    thread counts fixed, :func:`fix_threads`).

    Parameters
    ----------
    dataset
        Manifest name in ``data_manifest/`` or path of a manifest YAML.
    scale
        ``smoke``, ``demo`` or ``paper``.
    data_root, output_dir
        Where datasets live and where outputs go; empty or None for the defaults
        (``<project>/data``, ``outputs/<dataset>/<scale>``).
    seed
        The notebook's seed (recorded with its metrics).
    name
        The notebook's name (``NN_topic``), for its metrics file.

    Raises
    ------
    ValueError
        For an unknown scale.
    FileNotFoundError
        When no such manifest exists (the message lists the known ones).
    ManifestError
        When the manifest is invalid (the error names the file and field).
    """
    check_scale(scale)
    fix_threads()
    manifest = load_manifest(dataset, scale, data_root or None)
    out = output_dirs(manifest.name, scale, output_dir or None)
    return Context(manifest=manifest, scale=scale, seed=int(seed), out=out, name=name)
