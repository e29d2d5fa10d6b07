"""Models as data: blocks, inputs, heads, geometry and one spec module per architecture.

A model is a spec, a dict of named inputs, a trunk (a list of registered blocks with
keyword arguments, plus global defaults injected into the blocks that take them) and named
heads::

    spec = basenji2_spec("demo", n_tracks={"human": 76})
    model = build_model(spec)
    receptive_field(spec)  # bases, from the blocks' geometry rules

Blocks use Keras layers and ``keras.ops`` only, so models run on the TensorFlow and JAX
backends. Used by notebooks 02, 03 and 06.

Submodules: :mod:`~seqreg.models.blocks` (registry), :mod:`~seqreg.models.inputs`,
:mod:`~seqreg.models.heads`, :mod:`~seqreg.models.geometry` (receptive field, bins and
crop: the only copy), :mod:`~seqreg.models.specs` (one module per architecture).
"""

from __future__ import annotations

from . import blocks, geometry, heads, inputs, specs
from .blocks import BLOCKS, get_block, register_block
from .build import build_model, flops_per_sequence, receptive_field, trunk_extent
from .heads import HEADS
from .specs import ARCHITECTURES, basenji2_spec, basenji2018_spec

__all__ = [
    "ARCHITECTURES",
    "BLOCKS",
    "HEADS",
    "basenji2_spec",
    "basenji2018_spec",
    "blocks",
    "build_model",
    "flops_per_sequence",
    "geometry",
    "get_block",
    "heads",
    "inputs",
    "receptive_field",
    "register_block",
    "specs",
    "trunk_extent",
]
