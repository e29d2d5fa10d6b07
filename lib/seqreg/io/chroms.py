"""Chromosome names across files: the ``chr1``/``1`` alias, resolved in one place."""

from __future__ import annotations

from pathlib import Path

from ..project.errors import InputFileError


def chrom_alias(name: str) -> str:
    """The other common spelling of a chromosome name: ``chr1`` <-> ``1``."""
    return name[3:] if name.startswith("chr") else f"chr{name}"


def resolve_chrom(name: str, available, path: str | Path) -> str:
    """``name`` as the file at ``path`` spells it (``chr1`` or ``1``), or a clear error."""
    if name in available:
        return name
    alias = chrom_alias(name)
    if alias in available:
        return alias
    shown = ", ".join(list(available)[:6])
    raise InputFileError(path, f"has no chromosome {name!r} (nor {alias!r}); it has {shown}")
