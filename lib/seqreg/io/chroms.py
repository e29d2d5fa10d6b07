"""Chromosome names across files, resolved in one place.

UCSC and Ensembl spell the same chromosome differently (``chr1`` / ``1``, ``chrM`` / ``MT``).
:func:`match_chrom` finds the spelling another file uses; every reader that meets a
chromosome name from one file and looks it up in another (FASTA, bigWig, VCF, BED,
chromosome sizes) goes through it.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

from ..project.errors import InputFileError

#: spellings of the mitochondrial chromosome (UCSC, Ensembl, and mixed forms)
_MITOCHONDRIAL = ("chrM", "MT", "M", "chrMT")


def chrom_aliases(name: str) -> list[str]:
    """Other common spellings of chromosome ``name`` (``chr1`` <-> ``1``, ``chrM`` <-> ``MT``).

    Returns the spellings other than ``name`` itself, most common first.
    """
    if name in _MITOCHONDRIAL:
        return [m for m in _MITOCHONDRIAL if m != name]
    return [name[3:]] if name.startswith("chr") else [f"chr{name}"]


def chrom_alias(name: str) -> str:
    """The most common other spelling of a chromosome name: ``chr1`` <-> ``1``, ``chrM`` <-> ``MT``."""
    return chrom_aliases(name)[0]


def match_chrom(name: str, available: Collection[str]) -> str | None:
    """``name`` as ``available`` spells it (itself or an alias), or None if it has neither."""
    if name in available:
        return name
    return next((alias for alias in chrom_aliases(name) if alias in available), None)


def resolve_chrom(name: str, available: Collection[str], path: str | Path) -> str:
    """``name`` as the file at ``path`` spells it (itself or an alias).

    Raises
    ------
    InputFileError
        Naming ``path`` when it has neither ``name`` nor an alias of it.
    """
    found = match_chrom(name, available)
    if found is None:
        shown = ", ".join(list(available)[:6])
        aliases = " nor ".join(repr(a) for a in chrom_aliases(name))
        raise InputFileError(path, f"has no chromosome {name!r} (nor {aliases}); it has {shown}")
    return found
