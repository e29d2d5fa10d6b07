"""One spec function per architecture.

:data:`ARCHITECTURES`: coverage models, ``spec(scale, n_tracks) -> dict`` with the tracks
per genome (used by notebooks 02, 03 and 06). :data:`PEAK_ARCHITECTURES`: binary peak
classifiers, ``spec(scale, n_targets, seq_length=1024) -> dict`` with one sigmoid head
``peaks`` (the baselines of Basenji 2018 Supp. Fig. S1, notebooks 04 and 07).
:func:`leopard_unet_spec`: Leopard's per-base U-Net (the microglia report's models A-D).
:func:`attention_spec` (``ARCHITECTURES["attention"]``): an Enformer-like attention model on
the Basenji store, whose bins see the whole input (the microglia report's section 4.3
compares its receptive field with the convolutional models').
"""

from __future__ import annotations

from .attention import attention_spec
from .basenji import basenji2_spec, basenji2018_spec
from .basset import basset_spec
from .deepsea import deepsea_spec
from .leopard import leopard_unet_spec

ARCHITECTURES = {
    "basenji2": basenji2_spec,
    "basenji2018": basenji2018_spec,
    "attention": attention_spec,
}
PEAK_ARCHITECTURES = {"basset": basset_spec, "deepsea": deepsea_spec}

__all__ = [
    "ARCHITECTURES",
    "PEAK_ARCHITECTURES",
    "attention_spec",
    "basenji2_spec",
    "basenji2018_spec",
    "basset_spec",
    "deepsea_spec",
    "leopard_unet_spec",
]
