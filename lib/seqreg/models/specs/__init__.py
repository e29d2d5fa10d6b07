"""One spec function per architecture.

:data:`ARCHITECTURES`: coverage models, ``spec(scale, n_tracks) -> dict`` with the tracks
per genome (used by notebooks 02, 03 and 06). :data:`PEAK_ARCHITECTURES`: binary peak
classifiers, ``spec(scale, n_targets, seq_length=1024) -> dict`` with one sigmoid head
``peaks`` (the baselines of Basenji 2018 Supp. Fig. S1, notebooks 04 and 07).
:func:`leopard_unet_spec`: Leopard's per-base U-Net (the microglia report's models A-D).
:func:`attention_spec` (``ARCHITECTURES["attention"]``): an Enformer-like attention model on
the Basenji store, whose bins see the whole input (the microglia report's section 4.3
compares its receptive field with the convolutional models').
ChromDragoNN (:mod:`~seqreg.models.specs.chromdragonn`): the stage-1 multi-task models of
its three trunks (:data:`CHROMDRAGONN_ARCHITECTURES`, :func:`chromdragonn_stage1_spec`) and
the stage-2 models on TF expression (:func:`build_stage2`), notebooks 11 and 12.
"""

from __future__ import annotations

from .attention import attention_spec
from .basenji import basenji2_spec, basenji2018_spec
from .basset import basset_spec
from .chromdragonn import (
    CHROMDRAGONN_ARCHITECTURES,
    build_stage2,
    build_stage2_head,
    chromdragonn_stage1_spec,
    chromdragonn_trunk,
    embedding_width,
)
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
    "CHROMDRAGONN_ARCHITECTURES",
    "PEAK_ARCHITECTURES",
    "attention_spec",
    "basenji2_spec",
    "basenji2018_spec",
    "basset_spec",
    "build_stage2",
    "build_stage2_head",
    "chromdragonn_stage1_spec",
    "chromdragonn_trunk",
    "deepsea_spec",
    "embedding_width",
    "leopard_unet_spec",
]
