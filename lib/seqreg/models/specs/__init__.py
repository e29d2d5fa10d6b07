"""One spec function per architecture, ``spec(scale, n_tracks) -> dict``, registered in
:data:`ARCHITECTURES` (used by notebooks 02, 03 and 06)."""

from __future__ import annotations

from .basenji import basenji2_spec, basenji2018_spec

ARCHITECTURES = {"basenji2": basenji2_spec, "basenji2018": basenji2018_spec}

__all__ = ["ARCHITECTURES", "basenji2_spec", "basenji2018_spec"]
