"""The HDF5 file of variant scores: written in chunks, resumable after a kill, read back as
:class:`VariantScores`.
"""

from __future__ import annotations

from pathlib import Path

from ..project.errors import InputFileError

#: the per-variant fields of a score file; ``flipped``: REF and ALT exchanged relative to
#: the VCF (:func:`seqreg.io.read_vcf` with ``flip_swapped``), so the score is the negative
#: of the VCF's ALT allele's
_VARIANT_FIELDS = ("chrom", "pos", "variant_id", "ref", "alt", "flipped", "window")


class _ScoreFile:
    """HDF5 score tables written window chunk by window chunk to a hidden partial file,
    renamed into place when complete; a rerun with the same settings resumes it."""

    def __init__(self, path: Path, digest: str, n_tracks: int):
        import h5py

        self.path = path
        self.partial = path.with_name(f".{path.name}.partial")
        self.h5 = None
        if self.partial.exists():
            try:
                h5 = h5py.File(self.partial, "a")
                if h5.attrs.get("digest") == digest:
                    self.h5 = h5
                    self._truncate()
                else:
                    h5.close()
            except OSError:  # a file cut short by a kill mid-write: start again
                pass
        if self.h5 is None:
            self.partial.unlink(missing_ok=True)
            path.parent.mkdir(parents=True, exist_ok=True)
            self.h5 = h5py.File(self.partial, "w")
            self.h5.attrs["digest"] = digest
            self.h5.attrs["windows_done"] = 0
            strings = h5py.string_dtype()
            for name, dtype in (("chrom", strings), ("pos", "i8"), ("variant_id", strings),
                                ("ref", strings), ("alt", strings), ("flipped", "?"),
                                ("window", "i8")):  # fmt: skip
                self.h5.create_dataset(
                    f"variants/{name}", (0,), dtype, maxshape=(None,), chunks=(4096,)
                )
            for name, dtype in (
                ("variant", "i8"),
                ("gene_id", strings),
                ("tss_distance", "i8"),
                ("n_tss", "i8"),
            ):
                self.h5.create_dataset(
                    f"pairs/{name}", (0,), dtype, maxshape=(None,), chunks=(4096,)
                )
            for name in ("sad", "sar", "sed", "ser"):
                self.h5.create_dataset(name, (0, n_tracks), "f4", maxshape=(None, n_tracks),
                                       chunks=(256, n_tracks))  # fmt: skip
            self.h5.attrs["n_variants"] = 0
            self.h5.attrs["n_pairs"] = 0

    @property
    def windows_done(self) -> int:
        return int(self.h5.attrs["windows_done"])

    def _truncate(self) -> None:
        """Drop rows written after the last completed chunk."""
        n_variants, n_pairs = int(self.h5.attrs["n_variants"]), int(self.h5.attrs["n_pairs"])
        for name in _VARIANT_FIELDS:
            self.h5[f"variants/{name}"].resize((n_variants,))
        for name in ("variant", "gene_id", "tss_distance", "n_tss"):
            self.h5[f"pairs/{name}"].resize((n_pairs,))
        for name in ("sad", "sar"):
            self.h5[name].resize(n_variants, axis=0)
        for name in ("sed", "ser"):
            self.h5[name].resize(n_pairs, axis=0)

    def _append(self, name: str, values) -> None:
        data = self.h5[name]
        n = data.shape[0]
        data.resize(n + len(values), axis=0)
        data[n:] = values

    def append(self, variants, scores: dict, pairs, pair_scores: dict, windows_done: int) -> None:
        for column in _VARIANT_FIELDS:
            self._append(f"variants/{column}", variants[column].to_numpy())
        for column in ("variant", "gene_id", "tss_distance", "n_tss"):
            self._append(f"pairs/{column}", pairs[column].to_numpy())
        for name, values in (scores | pair_scores).items():
            self._append(name, values)
        self.h5.attrs["n_variants"] = int(self.h5.attrs["n_variants"]) + len(variants)
        self.h5.attrs["n_pairs"] = int(self.h5.attrs["n_pairs"]) + len(pairs)
        self.h5.attrs["windows_done"] = windows_done
        self.h5.flush()

    def finish(self, attrs: dict) -> Path:
        import json
        import os

        self.h5.attrs["settings"] = json.dumps(attrs)
        self.h5.close()
        os.replace(self.partial, self.path)
        return self.path

    def close(self) -> None:
        if self.h5 is not None and self.h5.id.valid:
            self.h5.close()


class VariantScores:
    """Scores read back from :func:`score_variants`: ``variants`` (with ``flipped``: REF
    and ALT exchanged relative to the VCF) and ``pairs`` tables,
    ``sad``, ``sar`` ``(variants, tracks)`` and ``sed``, ``ser`` ``(pairs, tracks)`` arrays,
    ``tracks`` (ids) and ``settings``."""

    def __init__(self, path: str | Path):
        import json

        import h5py
        import pandas as pd

        path = Path(path)
        if not path.exists():
            raise InputFileError(path, "no such variant score file; run the scoring first")
        with h5py.File(path, "r") as h5:
            self.settings = json.loads(h5.attrs["settings"])
            self.variants = pd.DataFrame({k: v[()] for k, v in h5["variants"].items()})
            self.pairs = pd.DataFrame({k: v[()] for k, v in h5["pairs"].items()})
            for table in (self.variants, self.pairs):
                for column in table.columns:
                    if table[column].dtype == object:
                        table[column] = table[column].str.decode("utf-8")
            self.sad, self.sar, self.sed, self.ser = (
                h5[n][()] for n in ("sad", "sar", "sed", "ser")
            )
        self.tracks = self.settings["tracks"]
        if "flipped" not in self.variants.columns:  # written before the column existed
            self.variants["flipped"] = False
        self.variants = self.variants[list(_VARIANT_FIELDS)]
        self.pairs = self.pairs[["variant", "gene_id", "tss_distance", "n_tss"]]


def read_scores(path: str | Path) -> VariantScores:
    """Read a score file written by :func:`score_variants`."""
    return VariantScores(path)
