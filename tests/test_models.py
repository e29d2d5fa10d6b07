"""Model specs: shapes, exact sizes, receptive fields (computed and measured per block),
inputs, heads, losses and the errors a mistyped spec gets."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest

from seqreg import models, train
from seqreg.models import geometry


@pytest.mark.parametrize("architecture", list(models.ARCHITECTURES))
def test_smoke_models_match_the_store_layout(architecture):
    spec = models.ARCHITECTURES[architecture]("smoke", {"human": 5})
    model = models.build_model(spec)
    x = np.zeros((2, spec["seq_length"], 4), dtype="float32")
    x[:, :, 0] = 1
    y = np.asarray(model(x, training=False))
    # 4096 bp in 128-bp bins, 2 bins cropped per side: the smoke store's 28 target bins
    assert geometry.target_bins(4096, 128, 256) == 28
    assert y.shape == (2, 28, 5)
    assert (y >= 0).all()  # softplus heads


def test_two_heads_for_two_genomes():
    model = models.build_model(models.basenji2_spec("smoke", {"human": 5, "mouse": 3}))
    out = model(np.zeros((1, 4096, 4), dtype="float32"), training=False)
    assert out["human"].shape == (1, 28, 5) and out["mouse"].shape == (1, 28, 3)


# -- receptive fields: computed from the blocks' rules, measured by perturbation -------------
def measured_receptive_field(spec, output: str | None = None) -> int:
    """Span of input positions where some substitution alters the centre output position
    (or, for a flat output, the output) of a model with random weights."""
    keras.utils.set_random_seed(0)
    model = models.build_model(spec)
    rng = np.random.default_rng(0)
    length = spec["seq_length"]
    x = np.eye(4, dtype="float32")[rng.integers(0, 4, length)]
    mutants = np.repeat(x[None], 3 * length + 1, axis=0)
    for pos in range(length):
        for k in range(3):  # every other base at this position
            mutants[1 + 3 * pos + k, pos] = np.roll(x[pos], k + 1)
    feed = mutants if len(model.inputs) == 1 else {
        t.name: (mutants if t.name == "sequence" else np.ones((len(mutants), *t.shape[1:]), "float32"))
        for t in model.inputs
    }  # fmt: skip
    out = model.predict(feed, batch_size=256, verbose=0)
    out = np.asarray(out[output] if isinstance(out, dict) else out, dtype="float64")
    if out.ndim == 3:
        out = out[:, out.shape[1] // 2]
    changed = np.any(out[1:] != out[0], axis=-1).reshape(length, 3).any(axis=1)
    where = np.flatnonzero(changed)
    return int(where[-1] - where[0] + 1) if len(where) else 0


def one_block_spec(block: dict, seq_length: int = 512, defaults=None, inputs=None) -> dict:
    """A spec of a width-1 stem, ``block`` and a softplus head (the stem gives blocks that
    keep their width, such as residual ones, some channels to work on)."""
    spec = {
        "seq_length": seq_length,
        "defaults": defaults or {"activation": "gelu", "pre_activation": True},
        "trunk": [{"name": "conv_block", "filters": 6, "kernel_size": 1}, block],
        "heads": {"out": {"type": "softplus", "units": 2}},
    }
    if inputs:
        spec["inputs"] = inputs
    return spec


POOL_FREE = {
    "conv_block": {"name": "conv_block", "filters": 4, "kernel_size": 9, "dilation_rate": 3},
    "conv_block_even_kernel": {"name": "conv_block", "filters": 4, "kernel_size": 6},
    "dilated_dense": {"name": "dilated_dense", "filters": 4, "repeat": 3},
    "dilated_residual": {"name": "dilated_residual", "filters": 4, "repeat": 4, "rate_mult": 1.5},
    "residual_conv": {"name": "residual_conv", "filters": 6, "kernel_sizes": [7, 3, 3]},
    "cropping": {"name": "cropping", "crop": 3},
    "final": {"name": "final", "filters": 8},
    "flatten": {"name": "flatten"},
    "dense": {"name": "dense", "units": 5},
}
POOLING = {
    "conv_block_pool": {"name": "conv_block", "filters": 4, "kernel_size": 5, "pool_size": 4},
    "conv_tower": {"name": "conv_tower", "filters_init": 4, "filters_end": 8, "repeat": 3},
}


@pytest.mark.parametrize("case", list(POOL_FREE))
def test_pool_free_blocks_compute_exactly_the_measured_receptive_field(case):
    spec = one_block_spec(POOL_FREE[case], seq_length=256)
    if case == "dense":  # position-wise without a flatten before it
        spec["trunk"].insert(1, {"name": "flatten"})
    computed = models.receptive_field(spec)
    assert computed == measured_receptive_field(spec)
    expected = {"conv_block": 25, "conv_block_even_kernel": 6, "dilated_dense": 1 + 2 * (2 + 4 + 8),
                "dilated_residual": 1 + 2 * (1 + 2 + 2 + 3), "residual_conv": 7 + 3 + 3 - 2,
                "cropping": 1, "final": 1,
                "flatten": 256, "dense": 256}  # fmt: skip
    assert computed == expected[case]


@pytest.mark.parametrize("case", list(POOLING))
def test_pooling_blocks_bound_the_measured_receptive_field(case):
    spec = one_block_spec(POOLING[case], seq_length=512)
    computed = models.receptive_field(spec)
    measured = measured_receptive_field(spec)
    jump = models.trunk_extent(spec).jump
    # max pooling can hide the outermost positions of a window, never add positions
    assert computed - jump < measured <= computed


def test_concat_of_a_vector_input_keeps_the_receptive_field():
    spec = one_block_spec(
        {"name": "concat", "inputs": ["expression"]},
        seq_length=128,
        inputs=[
            {"name": "sequence", "type": "sequence"},
            {"name": "expression", "type": "vector", "size": 3},
        ],
    )
    spec["trunk"].append({"name": "conv_block", "filters": 4, "kernel_size": 7})
    assert models.receptive_field(spec) == measured_receptive_field(spec) == 7


def test_every_registered_block_is_covered_by_a_measurement():
    # unet: measured by the gradient's reach (test_leopard_unet_receptive_field_is_what_its_
    # gradient_reaches); substitutions are too fine a probe there, as a base's effect far
    # out is below the float noise of batched passes (6e-8)
    covered = {v["name"] for v in (*POOL_FREE.values(), *POOLING.values())} | {
        "concat",
        "unet",
        "attention_stem",
        "attention_tower",
        "transformer",
        "attention_final",
    }  # attention blocks: tests/test_attention.py
    assert covered == set(models.BLOCKS)


def test_basenji_receptive_fields_are_the_documented_ones():
    # Basenji2 at paper scale: 44,422 bp; Basenji 2018: 65,423 bp (seqreg README)
    assert models.receptive_field(models.basenji2_spec("paper", {"human": 1})) == 44_422
    assert models.receptive_field(models.basenji2018_spec("paper", {"human": 1})) == 65_423
    smoke = models.basenji2018_spec("smoke", {"human": 2}, dilated_layers=2)
    computed = models.receptive_field(smoke)
    measured = measured_receptive_field(smoke)
    assert computed - 128 < measured <= computed


def test_more_dilated_layers_see_further():
    fields = [
        models.receptive_field(models.basenji2018_spec("demo", {"human": 1}, dilated_layers=n))
        for n in (0, 2, 4, 6)
    ]
    assert fields == sorted(fields) and len(set(fields)) == 4


def test_paper_scale_builds_the_published_sizes():
    spec = models.basenji2_spec("paper", {"human": 5313, "mouse": 1643})
    model = models.build_model(spec)
    assert model.outputs[0].shape[1:] == (896, 5313)
    assert model.outputs[1].shape[1:] == (896, 1643)
    conv_filters = [layer.filters for layer in model.layers if hasattr(layer, "filters")]
    # stem 288, tower 339 x1.1776 per block to 768, residual 384 <-> 768, final 1536
    assert conv_filters[:7] == [288, 339, 399, 470, 554, 652, 768]
    assert conv_filters[7:9] == [384, 768] and 1536 in conv_filters
    # trunk 30,123,584 - 5313 head (1536*5313 + 5313) + both heads
    trunk = 30_123_584 - (1536 + 1) * 5313
    assert model.count_params() == trunk + (1536 + 1) * (5313 + 1643)


def test_demo_and_2018_sizes_are_fixed():
    sizes = {
        ("basenji2", "demo"): 366_520 - (256 + 1) * 10 + (256 + 1) * 7,
        ("basenji2018", "demo"): 300_938 - (192 + 1) * 10 + (192 + 1) * 7,
        ("basenji2018", "paper"): 3_112_641 - (384 + 1) * 5313 + (384 + 1) * 7,
    }
    for (architecture, scale), params in sizes.items():
        model = models.build_model(models.ARCHITECTURES[architecture](scale, {"human": 7}))
        assert model.count_params() == params, (architecture, scale)


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


# -- errors a mistyped spec gets -------------------------------------------------------------
def test_unknown_block_is_named():
    with pytest.raises(KeyError, match="unknown block 'conv_blok'"):
        models.build_model({"seq_length": 16, "trunk": [{"name": "conv_blok"}], "heads": {"h": 1}})


def test_a_misspelt_block_key_names_block_and_key():
    spec = models.basenji2_spec("smoke", {"human": 2})
    spec["trunk"][2]["rate_mul"] = 2.0
    with pytest.raises(
        TypeError, match=r"block 'dilated_residual' \(trunk\[2\]\) has no argument 'rate_mul'"
    ):
        models.build_model(spec)
    with pytest.raises(TypeError, match="rate_mul"):
        models.receptive_field(spec)


def test_a_misspelt_default_or_spec_key_is_an_error():
    spec = models.basenji2_spec("smoke", {"human": 2})
    spec["defaults"]["activaton"] = "relu"
    with pytest.raises(TypeError, match="'activaton' is taken by no block"):
        models.build_model(spec)
    spec = models.basenji2_spec("smoke", {"human": 2})
    spec["head"] = {"human": 2}
    with pytest.raises(ValueError, match="no setting 'head'"):
        models.build_model(spec)


def test_a_block_without_a_geometry_rule_cannot_be_registered():
    with pytest.raises(TypeError, match="block 'mystery' has no geometry rule"):

        @models.register_block("mystery", geometry=None)
        def mystery(x):
            return x

    assert "mystery" not in models.BLOCKS
    with pytest.raises(TypeError, match="explicit keyword arguments"):

        @models.register_block("swallow", geometry=lambda e, **_: e)
        def swallow(x, **kwargs):
            return x


def test_head_and_input_errors_name_the_entry():
    base = one_block_spec({"name": "final", "filters": 2})
    with pytest.raises(ValueError, match="head 'out': unknown type 'softmax'"):
        models.build_model({**base, "heads": {"out": {"type": "softmax", "units": 2}}})
    with pytest.raises(ValueError, match="per_base_sigmoid needs a trunk of 512 positions"):
        spec = one_block_spec(POOLING["conv_block_pool"])
        models.build_model({**spec, "heads": {"out": {"type": "per_base_sigmoid", "units": 1}}})
    with pytest.raises(ValueError, match="no input named 'rna'"):
        spec = one_block_spec({"name": "concat", "inputs": ["rna"]})
        models.build_model(spec)


def test_heads_give_their_ranges_and_shapes():
    spec = one_block_spec({"name": "final", "filters": 4}, seq_length=64)
    spec["heads"] = {
        "counts": {"type": "softplus", "units": 2},
        "labels": {"type": "sigmoid", "units": 3},
        "bases": {"type": "per_base_sigmoid", "units": 1},
        "scores": {"type": "logits", "units": 2},
    }
    model = models.build_model(spec)
    x = np.eye(4, dtype="float32")[np.random.default_rng(0).integers(0, 4, (2, 64))]
    out = {k: np.asarray(v) for k, v in model(x, training=False).items()}
    assert out["bases"].shape == (2, 64, 1) and out["labels"].shape == (2, 64, 3)
    assert (out["counts"] >= 0).all()
    assert ((out["labels"] > 0) & (out["labels"] < 1)).all()
    assert (out["scores"] < 0).any()  # logits are unbounded


# -- losses ----------------------------------------------------------------------------------
def test_bce_matches_sklearn_and_the_masked_loss_ignores_nan_labels():
    from sklearn.metrics import log_loss

    rng = np.random.default_rng(1)
    y_true = rng.integers(0, 2, (3, 6)).astype("float32")
    y_pred = rng.uniform(0.05, 0.95, (3, 6)).astype("float32")
    bce = np.asarray(train.make_loss("bce")(y_true, y_pred))
    for i in range(3):
        assert bce[i] == pytest.approx(log_loss(y_true[i], y_pred[i], labels=[0, 1]), rel=1e-5)
    masked_true = y_true.copy()
    masked_true[0, :3] = np.nan
    masked = np.asarray(train.make_loss("masked_bce")(masked_true, y_pred))
    assert masked[0] == pytest.approx(
        log_loss(y_true[0, 3:], y_pred[0, 3:], labels=[0, 1]), rel=1e-5
    )
    np.testing.assert_allclose(masked[1:], bce[1:], rtol=1e-6)
    with pytest.raises(ValueError, match="masked_bce"):
        train.make_loss("mse")


# -- a two-input model trains on both backends -----------------------------------------------
TOY = textwrap.dedent(
    """
    import json, sys
    import keras, numpy as np
    from seqreg import models, train

    # label c is 1 when the sequence holds the motif GATA (planted or by chance) and TF c
    # is expressed
    rng = np.random.default_rng(0)
    n, length = 2048, 64
    codes = rng.integers(0, 4, (n, length))
    for i in np.flatnonzero(rng.random(n) < 0.5):
        start = rng.integers(0, length - 4)
        codes[i, start:start + 4] = [2, 0, 3, 0]
    windows = np.lib.stride_tricks.sliding_window_view(codes, 4, axis=1)
    has_motif = (windows == [2, 0, 3, 0]).all(axis=2).any(axis=1)
    expression = rng.normal(0, 1, (n, 2)).astype("float32")
    labels = (has_motif[:, None] & (expression > 0)).astype("float32")
    x = {"sequence": np.eye(4, dtype="float32")[codes], "expression": expression}
    spec = {
        "seq_length": length,
        "inputs": [{"name": "sequence", "type": "sequence"},
                   {"name": "expression", "type": "vector", "size": 2}],
        "defaults": {"activation": "relu", "pre_activation": False},
        "trunk": [
            {"name": "conv_block", "filters": 8, "kernel_size": 5, "pool_size": 64},
            {"name": "flatten"},
            {"name": "concat", "inputs": ["expression"]},
            {"name": "dense", "units": 16, "batch_norm": False},
        ],
        "heads": {"labels": {"type": "sigmoid", "units": 2}},
    }
    keras.utils.set_random_seed(0)
    model = models.build_model(spec)
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss=train.make_loss("bce"))
    train_rows, test_rows = slice(0, 1536), slice(1536, None)
    pick = lambda rows: {k: v[rows] for k, v in x.items()}
    history = model.fit(pick(train_rows), labels[train_rows], epochs=15, batch_size=64, verbose=0)
    predicted = np.asarray(model.predict(pick(test_rows), verbose=0))
    accuracy = float(((predicted > 0.5) == labels[test_rows]).mean())
    json.dump({"backend": keras.backend.backend(), "accuracy": accuracy,
               "first_loss": history.history["loss"][0], "last_loss": history.history["loss"][-1]},
              sys.stdout)
    """
)


@pytest.mark.parametrize("backend", ["tensorflow", "jax"])
def test_a_two_input_sigmoid_model_learns_a_planted_rule(backend):
    import json

    env = {**os.environ, "KERAS_BACKEND": backend, "CUDA_VISIBLE_DEVICES": ""}
    result = subprocess.run([sys.executable, "-c", TOY], env=env, capture_output=True, text=True,
                            timeout=600, check=False)  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    metrics = json.loads(result.stdout.strip().splitlines()[-1])
    assert metrics["backend"] == backend
    # a motif-blind or expression-blind model cannot pass 0.75 (labels need both)
    assert metrics["accuracy"] > 0.9, metrics
    assert metrics["last_loss"] < 0.5 * metrics["first_loss"], metrics


def test_an_input_no_block_uses_is_an_error_and_fit_takes_sequence_only_specs(tmp_path):
    inputs = [
        {"name": "sequence", "type": "sequence"},
        {"name": "rna", "type": "vector", "size": 3},
    ]
    spec = {**one_block_spec({"name": "final", "filters": 2}, seq_length=64), "inputs": inputs}
    with pytest.raises(ValueError, match="input 'rna' is declared but no block uses it"):
        models.build_model(spec)
    spec["trunk"].append({"name": "concat", "inputs": ["rna"]})
    with pytest.raises(ValueError, match=r"the spec also takes \['rna'\]"):
        train.fit(spec, tmp_path / "store.h5", tmp_path / "run", progress=False)
    assert not (tmp_path / "run").exists()  # nothing written


# -- binary peak classifiers: Basset and DeepSEA (Basenji 2018 Supp. Fig. S1) -----------------
def layer_types(model) -> list[str]:
    return [layer.__class__.__name__ for layer in model.layers]


def flattened_size(model) -> int:
    (flat,) = [layer for layer in model.layers if isinstance(layer, keras.layers.Flatten)]
    return int(flat.output.shape[-1])


def test_peak_classifiers_are_apart_from_the_coverage_models():
    assert set(models.PEAK_ARCHITECTURES) == {"basset", "deepsea"}
    assert not set(models.PEAK_ARCHITECTURES) & set(models.ARCHITECTURES)
    assert models.PEAK_ARCHITECTURES["basset"] is models.basset_spec
    assert models.PEAK_ARCHITECTURES["deepsea"] is models.deepsea_spec


def test_basset_at_paper_scale_has_the_hand_counted_size():
    spec = models.basset_spec("paper", 164, seq_length=600)
    assert spec["name"] == "basset_paper"
    model = models.build_model(spec)
    # 600 bp, same padding, ceil-mode pooling by 3, 4, 4: 600 -> 200 -> 50 -> 13
    pooled = [layer.output.shape[1] for layer in model.layers
              if isinstance(layer, keras.layers.MaxPooling1D)]  # fmt: skip
    assert pooled == [200, 50, 13]
    assert flattened_size(model) == 200 * 13 == 2600
    # Keras counts all 4 batch-norm vectors (gamma, beta, moving mean and variance); a conv
    # or dense layer followed by batch norm has no bias
    bn = 4
    conv1 = 19 * 4 * 300 + bn * 300
    conv2 = 11 * 300 * 200 + bn * 200
    conv3 = 7 * 200 * 200 + bn * 200
    dense1 = 2600 * 1000 + bn * 1000
    dense2 = 1000 * 1000 + bn * 1000
    head = 1000 * 164 + 164
    assert model.count_params() == conv1 + conv2 + conv3 + dense1 + dense2 + head == 4_737_764
    assert layer_types(model).count("BatchNormalization") == 5
    assert [layer.rate for layer in model.layers if isinstance(layer, keras.layers.Dropout)] == [
        0.3,
        0.3,
    ]


def test_deepsea_at_paper_scale_has_the_hand_counted_size():
    spec = models.deepsea_spec("paper", 919, seq_length=1000)
    assert spec["name"] == "deepsea_paper"
    model = models.build_model(spec)
    # valid convolutions of width 8, floor pooling by 4: 1000 -> 993 -> 248 -> 241 -> 60 -> 53
    lengths = [layer.output.shape[1] for layer in model.layers
               if isinstance(layer, keras.layers.Conv1D | keras.layers.MaxPooling1D)]  # fmt: skip
    assert lengths == [993, 248, 241, 60, 53]
    assert lengths == models.specs.deepsea.deepsea_lengths(1000)
    assert flattened_size(model) == 960 * 53
    # no batch norm: every convolution and dense layer has a bias; hidden layer of 925
    conv1 = 8 * 4 * 320 + 320
    conv2 = 8 * 320 * 480 + 480
    conv3 = 8 * 480 * 960 + 960
    hidden = 960 * 53 * 925 + 925
    head = 925 * 919 + 919
    assert model.count_params() == conv1 + conv2 + conv3 + hidden + head == 52_843_119
    assert "BatchNormalization" not in layer_types(model)
    # conv -> ReLU -> pool -> dropout, as in DeepSEA's 2_model.lua
    types = layer_types(model)
    assert types[1:5] == ["Conv1D", "Activation", "MaxPooling1D", "Dropout"]
    rates = [layer.rate for layer in model.layers if isinstance(layer, keras.layers.Dropout)]
    assert rates == [0.2, 0.2, 0.5]


def test_peak_classifiers_take_1024_bp_by_default():
    paper = {
        "basset": (models.basset_spec("paper", 17), 200 * 22),  # 1024 -> 342 -> 86 -> 22
        "deepsea": (models.deepsea_spec("paper", 17), 960 * 54),  # ... -> 247 -> 61 -> 54
    }
    for name, (spec, flat) in paper.items():
        assert spec["seq_length"] == 1024
        assert flattened_size(models.build_model(spec)) == flat, name
    assert models.specs.basset.basset_lengths(1024) == [342, 86, 22]
    assert models.specs.deepsea.deepsea_lengths(1024) == [1017, 254, 247, 61, 54]
    x = np.eye(4, dtype="float32")[np.random.default_rng(0).integers(0, 4, (3, 1024))]
    for name, make in models.PEAK_ARCHITECTURES.items():
        model = models.build_model(make("demo", 17))
        y = np.asarray(model(x, training=False))
        assert y.shape == (3, 17), name
        assert ((y > 0) & (y < 1)).all(), name


def bases_seen(spec, tolerance: float = 1e-6) -> int:
    """Span of bases where some substitution alters the flat output of a model with random
    weights by more than ``tolerance`` (rows of a last, smaller batch can differ by float
    rounding, ~1e-7; the effects of seen bases are ~1e-4)."""
    keras.utils.set_random_seed(0)
    model = models.build_model(spec)
    length = spec["seq_length"]
    x = np.eye(4, dtype="float32")[np.random.default_rng(0).integers(0, 4, length)]
    mutants = np.repeat(x[None], 3 * length + 1, axis=0)
    for pos in range(length):
        for k in range(3):
            mutants[1 + 3 * pos + k, pos] = np.roll(x[pos], k + 1)
    out = np.asarray(model.predict(mutants, batch_size=256, verbose=0), dtype="float64")
    changed = (np.abs(out[1:] - out[0]).max(axis=-1) > tolerance).reshape(length, 3).any(axis=1)
    where = np.flatnonzero(changed)
    return int(where[-1] - where[0] + 1) if len(where) else 0


@pytest.mark.parametrize("name", ["basset", "deepsea"])
def test_peak_classifiers_see_the_whole_sequence(name):
    make = models.PEAK_ARCHITECTURES[name]
    for length in (600, 1000, 1024):
        assert models.receptive_field(make("paper", 3, seq_length=length)) == length
    spec = make("smoke", 2, seq_length=1024)
    assert models.receptive_field(spec) == 1024
    # Basset's ceil-mode pooling keeps every position. DeepSEA's floor pooling drops the last
    # conv1 output (1017 -> 254 x 4 = 1016 used) and the last 3 conv2 outputs (247 -> 61 x 4 =
    # 244 used); conv2 outputs 0..243 see pool1 positions 0..250, i.e. conv1 outputs 0..1003,
    # i.e. bases 0..1010: the last 13 bases are never seen (receptive_field is a bound)
    assert bases_seen(spec) == {"basset": 1024, "deepsea": 1011}[name]


def test_peak_classifier_errors():
    assert models.deepsea_spec("smoke", 2, seq_length=163)["seq_length"] == 163
    models.build_model(models.deepsea_spec("smoke", 2, seq_length=163))
    with pytest.raises(ValueError, match="seq_length 162 leaves no position"):
        models.deepsea_spec("smoke", 2, seq_length=162)
    with pytest.raises(ValueError, match="n_targets"):
        models.basset_spec("smoke", 0)
    with pytest.raises(ValueError, match="unknown scale 'huge'"):
        models.basset_spec("huge", 2)


def conv_model(seq_length=64, **block):
    spec = {
        "seq_length": seq_length,
        "defaults": {"activation": "relu", "pre_activation": False},
        "trunk": [{"name": "conv_block", "filters": 4, **block}],
        "heads": {"out": {"type": "logits", "units": 1}},
    }
    return spec, models.build_model(spec)


def test_conv_block_padding_batch_norm_and_dropout_order():
    bad = {"name": "conv_block", "filters": 4, "kernel_size": 3, "padding": "full"}
    with pytest.raises(ValueError, match="unknown padding 'full'"):
        conv_model(kernel_size=3, padding="full")
    with pytest.raises(ValueError, match="unknown padding 'full'"):
        models.receptive_field({**conv_model(kernel_size=3)[0], "trunk": [bad]})
    # valid: 64 - (9 - 1) x 2 = 48 positions, then floor(48 / 5) = 9; same: 64, ceil(64 / 5)
    _, model = conv_model(kernel_size=9, dilation_rate=2, padding="valid", pool_size=5)
    conv = next(layer for layer in model.layers if isinstance(layer, keras.layers.Conv1D))
    assert conv.output.shape[1] == 48 and model.outputs[0].shape[1] == 9
    assert conv_model(kernel_size=9, dilation_rate=2, pool_size=5)[1].outputs[0].shape[1] == 13
    # the receptive field does not depend on the padding
    valid, _ = conv_model(kernel_size=9, dilation_rate=2, padding="valid")
    same, _ = conv_model(kernel_size=9, dilation_rate=2)
    assert models.receptive_field(valid) == models.receptive_field(same) == 17
    assert measured_receptive_field(valid) == 17
    extent = models.trunk_extent(valid)
    assert (extent.left, extent.right) == (0, 16)  # output q sees inputs q .. q + 16
    # batch norm (default): no conv bias; without it: a bias and no BatchNormalization
    _, with_bn = conv_model(kernel_size=3)
    conv = next(layer for layer in with_bn.layers if isinstance(layer, keras.layers.Conv1D))
    assert "BatchNormalization" in layer_types(with_bn) and not conv.use_bias
    _, without = conv_model(kernel_size=3, batch_norm=False)
    conv = next(layer for layer in without.layers if isinstance(layer, keras.layers.Conv1D))
    assert "BatchNormalization" not in layer_types(without) and conv.use_bias
    assert without.count_params() == with_bn.count_params() - 4 * 4 + 4  # a bias for BN
    # dropout before the pooling (Basenji) unless dropout_after_pool (DeepSEA)
    _, before = conv_model(kernel_size=3, pool_size=2, dropout=0.1)
    _, after = conv_model(kernel_size=3, pool_size=2, dropout=0.1, dropout_after_pool=True)
    assert layer_types(before)[-3:-1] == ["Dropout", "MaxPooling1D"]
    assert layer_types(after)[-3:-1] == ["MaxPooling1D", "Dropout"]


# -- Leopard U-Net -------------------------------------------------------------------------


def test_leopard_unet_widths_and_parameters_match_the_published_network():
    from seqreg.models.blocks import unet_widths

    down, up = unet_widths(15, 5, 1.5)
    assert down == [15, 22, 33, 49, 73, 109] and up == [72, 48, 32, 21, 14]
    spec = models.leopard_unet_spec("paper", n_outputs=1, accessibility_channels=2)
    assert spec["seq_length"] == 10240
    model = models.build_model(spec)

    # by hand: each convolution k * c_in * c_out + c_out, batch norm 4 * c_out, transposed
    # convolution 2 * c_in * c_out + c_out; 6 input channels (A, C, G, T, DNase, its partner)
    def conv(k, c_in, c_out):
        return k * c_in * c_out + c_out + 4 * c_out

    total, c_in = 0, 6
    for n in down:
        total += conv(7, c_in, n) + conv(7, n, n)
        c_in = n
    for n, skip in zip(up, reversed(down[:-1]), strict=True):
        total += 2 * c_in * n + n  # transposed convolution
        total += conv(7, n + skip, n) + conv(7, n, n)
        c_in = n
    total += 14 * 1 + 1  # the per-base sigmoid head
    assert model.count_params() == total
    assert model.output_shape == (None, 10240, 1)


def test_leopard_unet_receptive_field_is_what_its_gradient_reaches():
    """The geometry rule's span around an output base equals the bases with a nonzero
    gradient of that output in a random smoke U-Net."""
    from seqreg import interpret

    keras.utils.set_random_seed(0)
    spec = models.leopard_unet_spec("smoke", n_outputs=2)
    model = models.build_model(spec)
    extent = models.trunk_extent(spec)
    length = spec["seq_length"]
    rng = np.random.default_rng(0)
    onehot = np.eye(4, dtype="float32")[rng.integers(0, 4, (1, length))]
    for centre in (length // 2, length // 2 + 3):
        grad = interpret.gradient(
            lambda x, c=centre: keras.ops.sum(model(x, training=False)[0, c, 0]), onehot
        )
        reached = np.flatnonzero(np.abs(grad[0]).sum(axis=1) > 0)
        assert reached.min() >= centre - extent.left and reached.max() <= centre + extent.right
        # the rule is tight: the gradient reaches within one pooling step of both bounds
        step = 2 ** spec["trunk"][-1]["levels"]
        assert reached.min() - (centre - extent.left) < step
        assert (centre + extent.right) - reached.max() < step
    assert models.receptive_field(spec) == extent.left + extent.right + 1


def test_leopard_unet_takes_accessibility_channels_and_checks_the_length():
    spec = models.leopard_unet_spec("smoke", n_outputs=6, accessibility_channels=2)
    model = models.build_model(spec)
    x = {
        "sequence": np.zeros((2, 1024, 4), "float32"),
        "accessibility": np.zeros((2, 1024, 2), "float32"),
    }
    assert model.predict_on_batch(x).shape == (2, 1024, 6)
    bad = {**spec, "seq_length": 1020}
    with pytest.raises(ValueError, match="not divisible by 2\\*\\*3"):
        models.build_model(bad)
