"""Model builders: shapes, receptive fields (computed and measured) and the registry."""

from __future__ import annotations

import numpy as np
import pytest

from seqreg import models


@pytest.mark.parametrize("architecture", list(models.ARCHITECTURES))
def test_smoke_models_match_the_store_layout(architecture):
    spec = models.ARCHITECTURES[architecture]("smoke", {"human": 5})
    model = models.build_model(spec)
    x = np.zeros((2, spec["seq_length"], 4), dtype="float32")
    x[:, :, 0] = 1
    y = np.asarray(model(x, training=False))
    # 4096 bp in 128-bp bins, 2 bins cropped per side: the smoke store's 28 target bins
    assert y.shape == (2, 28, 5)
    assert (y >= 0).all()  # softplus heads


def test_two_heads_for_two_genomes():
    model = models.build_model(models.basenji2_spec("smoke", {"human": 5, "mouse": 3}))
    out = model(np.zeros((1, 4096, 4), dtype="float32"), training=False)
    assert out["human"].shape == (1, 28, 5) and out["mouse"].shape == (1, 28, 3)


def measured_receptive_field(spec, probe_stride: int = 1) -> int:
    """Span of input positions where some substitution alters the centre output bin at all."""
    import keras

    keras.utils.set_random_seed(0)
    model = models.build_model(spec)
    rng = np.random.default_rng(0)
    length = spec["seq_length"]
    x = np.eye(4, dtype="float32")[rng.integers(0, 4, length)][None]
    base = np.asarray(model(x, training=False))[0]
    centre = base.shape[0] // 2
    changed = []
    for pos in range(0, length, probe_stride):
        for shift in (1, 2, 3):  # every other base
            mutated = x.copy()
            mutated[0, pos] = np.roll(mutated[0, pos], shift)
            out = np.asarray(model(mutated, training=False))[0]
            if np.any(out[centre] != base[centre]):
                changed.append(pos)
                break
    return changed[-1] - changed[0] + 1 if changed else 0


def test_receptive_field_computed_equals_measured_without_pooling():
    spec = {
        "seq_length": 256,
        "defaults": {"activation": "gelu", "pre_activation": True},
        "trunk": [
            {"name": "conv_block", "filters": 4, "kernel_size": 5},
            {"name": "dilated_residual", "filters": 4, "repeat": 3, "rate_mult": 2.0},
        ],
        "heads": {"human": 1},
    }
    # 5 + 2 * (1 + 2 + 4) = 19
    assert models.receptive_field(spec) == 19
    assert measured_receptive_field(spec) == 19


def test_receptive_field_bounds_the_measured_one_with_pooling():
    spec = models.basenji2018_spec("smoke", {"human": 2})
    computed = models.receptive_field(spec)
    measured = measured_receptive_field(spec, probe_stride=16)
    assert computed // 2 < measured <= computed + 16  # max pooling can hide some positions


def test_more_dilated_layers_see_further():
    fields = []
    for repeat in (2, 4, 6):
        spec = models.basenji2018_spec("demo", {"human": 1})
        spec["trunk"][4]["repeat"] = repeat
        fields.append(models.receptive_field(spec))
    assert fields[0] < fields[1] < fields[2]


def test_paper_scale_builds_with_the_documents_sizes():
    spec = models.basenji2_spec("paper", {"human": 5313, "mouse": 1643})
    model = models.build_model(spec)
    assert model.outputs[0].shape[1:] == (896, 5313)
    assert model.outputs[1].shape[1:] == (896, 1643)
    filters = [layer.filters for layer in model.layers if layer.__class__.__name__ == "Conv1D"][:7]
    assert filters[0] == 288 and filters[6] == 768
    assert 20e6 < model.count_params() < 40e6


def test_unknown_block_is_named():
    with pytest.raises(KeyError, match="unknown block 'conv_blok'"):
        models.build_model({"seq_length": 16, "trunk": [{"name": "conv_blok"}], "heads": {"h": 1}})


def test_flops_from_layer_shapes_match_a_hand_count():
    spec = {
        "seq_length": 64,
        "defaults": {"activation": "relu", "pre_activation": False},
        "trunk": [{"name": "conv_block", "filters": 8, "kernel_size": 5, "pool_size": 2}],
        "heads": {"human": 3},
    }
    model = models.build_model(spec)
    # conv: 64 positions x 5 taps x 4 in x 8 out; head: 32 positions x 8 in x 3 out
    assert models.flops_per_sequence(model) == 2 * (64 * 5 * 4 * 8 + 32 * 8 * 3)


def test_paper_basenji2_has_the_published_shape():
    spec = models.basenji2_spec("paper", {"human": 5313})
    model = models.build_model(spec)
    assert model.output_shape == (None, 896, 5313)
    conv_filters = [layer.filters for layer in model.layers if hasattr(layer, "filters")]
    # stem 288, tower 339 x1.1776 per block to 768, residual 384 <-> 768, final 1536
    assert conv_filters[:7] == [288, 339, 399, 470, 554, 652, 768]
    assert conv_filters[7:9] == [384, 768] and 1536 in conv_filters
