"""Models as data: blocks, inputs, heads, geometry and one spec module per architecture.

A model is a spec, a dict of named inputs, a trunk (a list of registered blocks with
keyword arguments, plus global defaults injected into the blocks that take them) and named
heads::

    spec = basenji2_spec("demo", n_tracks={"human": 76})
    model = build_model(spec)
    receptive_field(spec)  # bases, from the blocks' geometry rules

Coverage models are in :data:`ARCHITECTURES`: Basenji (2018), Basenji2 and an
Enformer-like attention model (:func:`attention_spec`, blocks and layers in
:mod:`~seqreg.models.attention`; its bins see the whole input); the binary peak
classifiers Basset and DeepSEA (``spec(scale, n_targets, seq_length)``) in
:data:`PEAK_ARCHITECTURES`; ChromDragoNN's stage-1 models
(:func:`chromdragonn_stage1_spec`, three trunks in :data:`CHROMDRAGONN_ARCHITECTURES`) and
its stage-2 models on TF expression (:func:`build_stage2`).

Blocks use Keras layers and ``keras.ops`` only, so models run on the TensorFlow and JAX
backends. Used by notebooks 02, 03, 04, 06 and 07.

Submodules: :mod:`~seqreg.models.blocks` (registry), :mod:`~seqreg.models.inputs`,
:mod:`~seqreg.models.heads`, :mod:`~seqreg.models.geometry` (receptive field, bins and
crop: the only copy, with no Keras import), :mod:`~seqreg.models.attention` (attention
pooling and relative-position attention), :mod:`~seqreg.models.specs` (one module per
architecture). Every name below loads its module on first use.
"""

import lazy_loader as _lazy

__getattr__, __dir__, __all__ = _lazy.attach(
    __name__,
    submodules=["attention", "blocks", "build", "geometry", "heads", "inputs", "specs"],
    submod_attrs={
        "blocks": ["BLOCKS", "Block", "get_block", "register_block"],
        "build": ["build_model", "flops_per_sequence", "receptive_field", "trunk_extent"],
        "heads": ["HEADS"],
        "specs": [
            "ARCHITECTURES",
            "CHROMDRAGONN_ARCHITECTURES",
            "PEAK_ARCHITECTURES",
            "attention_spec",
            "basenji2018_spec",
            "basenji2_spec",
            "basset_spec",
            "build_stage2",
            "build_stage2_head",
            "chromdragonn_stage1_spec",
            "chromdragonn_trunk",
            "deepsea_spec",
            "embedding_width",
            "leopard_unet_spec",
        ],
    },
)
