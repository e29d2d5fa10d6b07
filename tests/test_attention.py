"""The Enformer-like attention model: relative shift, positional features, attention pooling
and relative-position attention checked against hand computations; the spec's shapes,
receptive field and reach; and the same predictions under the JAX backend."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest
from scipy import stats

from seqreg import models, train
from seqreg.models import attention


# -- relative shift and positional features --------------------------------------------------
def test_relative_shift_maps_distance_columns_to_key_positions():
    length = 7
    x = np.random.default_rng(0).normal(size=(2, 3, length, 2 * length - 1)).astype("float32")
    out = np.asarray(attention.relative_shift(x))
    assert out.shape == (2, 3, length, length)
    brute = np.empty_like(out)
    for i in range(length):
        for j in range(length):
            brute[..., i, j] = x[..., i, j - i + length - 1]  # column of distance j - i
    np.testing.assert_array_equal(out, brute)
    with pytest.raises(ValueError, match="2T - 1"):
        attention.relative_shift(x[..., :-1])


def test_positional_features_shape_symmetry_and_basis_values():
    length, size = 32, 24  # 4 features per basis class
    f = attention.positional_features(length, size)
    assert f.shape == (2 * length - 1, size) and f.dtype == np.float32
    distance = np.arange(-length + 1, length)
    mirrored = f[::-1]  # row of distance -d
    np.testing.assert_array_equal(f[:, :12], mirrored[:, :12])  # even in d
    np.testing.assert_array_equal(f[:, 12:], -mirrored[:, 12:])  # odd in d
    np.testing.assert_array_equal(f[length - 1, 12:], 0)  # sign(0) = 0
    np.testing.assert_array_equal(f[distance > 0, 12:], f[distance > 0, :12])

    n = size // 6
    d = np.abs(distance)[:, None]
    # exponential: half-lives 2**linspace(3, log2 32) = 8 .. 32 bins
    half_life = 2.0 ** np.linspace(3, 5, n)
    np.testing.assert_allclose(f[:, :n], np.exp(-np.log(2) * d / half_life), rtol=1e-6)
    assert f[length - 1 + 8, 0] == pytest.approx(0.5)
    # central mask: widths 1, 3, 7, 15
    np.testing.assert_array_equal(f[:, n : 2 * n], (np.array([1, 3, 7, 15]) > d).astype("float32"))
    # gamma: scipy's density (+1e-8), divided by its largest value over all features
    mean, sd = np.linspace(length / n, length, n), length / (2 * n)
    density = stats.gamma.pdf(d, a=(mean / sd) ** 2, scale=sd**2 / mean) + 1e-8
    gamma = f[:, 2 * n : 3 * n]
    np.testing.assert_allclose(gamma, density / density.max(), rtol=1e-5, atol=1e-7)
    assert gamma.max() == 1.0
    # one scale for all features, not one per feature: only one reaches 1
    assert np.sort(gamma.max(axis=0))[-2] < 0.95


def test_feature_size_must_divide_by_six():
    with pytest.raises(ValueError, match="multiple of 6"):
        attention.positional_features(16, 8)
    with pytest.raises(ValueError, match="multiple of 6"):
        attention.RelativeMultiHeadAttention(heads=2, key_size=4, relative_features=8)
    layer = attention.RelativeMultiHeadAttention(heads=2, key_size=4)
    with pytest.raises(ValueError, match="multiple of 6"):
        layer(np.zeros((1, 8, 16), "float32"))  # C / heads = 8 features
    spec = models.attention_spec("smoke", {"human": 1})
    spec["trunk"][2]["heads"] = 3  # 48 channels / 3 heads = 16 features
    with pytest.raises(ValueError, match="multiple of 6"):
        models.build_model(spec)


def test_exponential_linspace_int_gives_enformers_tower():
    assert attention.exponential_linspace_int(768, 1536, 6, 128) == [
        768,
        896,
        1024,
        1152,
        1280,
        1536,
    ]
    assert attention.exponential_linspace_int(24, 48, 6, 8) == [24, 24, 32, 40, 40, 48]


# -- layers ----------------------------------------------------------------------------------
def test_softmax_pooling_starts_as_a_softmax_weighted_pool():
    x = np.random.default_rng(1).normal(size=(2, 6, 3)).astype("float32")
    out = np.asarray(attention.SoftmaxPooling1D(2)(x))
    windows = x.reshape(2, 3, 2, 3).astype("float64")
    weights = np.exp(2.0 * windows) / np.exp(2.0 * windows).sum(axis=2, keepdims=True)
    np.testing.assert_allclose(out, (weights * windows).sum(axis=2), rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="not divisible"):
        attention.SoftmaxPooling1D(2)(x[:, :5])


def test_attention_outputs_zero_at_initialisation_and_learns_in_one_step():
    keras.utils.set_random_seed(0)
    inputs = keras.Input((8, 12))
    layer = attention.RelativeMultiHeadAttention(heads=2, key_size=4)  # 6 features per head
    model = keras.Model(inputs, layer(inputs))
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4, 8, 12)).astype("float32")
    np.testing.assert_array_equal(np.asarray(model(x, training=False)), 0)
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="mse")
    model.train_on_batch(x, rng.normal(size=(4, 8, 12)).astype("float32"))
    assert np.abs(np.asarray(model(x, training=False))).min() > 0
    config = layer.get_config()
    again = attention.RelativeMultiHeadAttention.from_config(config)
    assert again.get_config() == config and config["heads"] == 2


# -- the spec --------------------------------------------------------------------------------
def test_smoke_model_has_the_store_bins_and_sees_the_whole_input():
    spec = models.attention_spec("smoke", {"human": 3})
    assert models.ARCHITECTURES["attention"] is models.attention_spec
    assert spec["name"] == "attention_smoke"
    model = models.build_model(spec)
    basenji = models.build_model(models.basenji2_spec("smoke", {"human": 3}))
    assert model.output_shape == basenji.output_shape == (None, 28, 3)
    x = np.eye(4, dtype="float32")[np.random.default_rng(2).integers(0, 4, (2, 4096))]
    y = np.asarray(model(x, training=False))
    assert y.shape == (2, 28, 3) and (y >= 0).all()
    extent = models.trunk_extent(spec)
    assert extent.whole and extent.jump == 128
    assert models.receptive_field(spec) == spec["seq_length"] == 4096
    mha = [
        layer for layer in model.layers if isinstance(layer, attention.RelativeMultiHeadAttention)
    ]
    assert len(mha) == 1 and mha[0].heads == 2 and mha[0].key_size == 16
    pools = [layer for layer in model.layers if isinstance(layer, attention.SoftmaxPooling1D)]
    assert len(pools) == 7
    assert [layer.filters for layer in model.layers if isinstance(layer, keras.layers.Conv1D)][:4] == [
        24, 24, 24, 24]  # fmt: skip


def test_demo_model_size():
    model = models.build_model(models.attention_spec("demo", {"human": 82}))
    assert model.output_shape == (None, 112, 82)
    assert model.count_params() == 410_354


def test_attention_reaches_across_the_input_and_convolutions_do_not():
    keras.utils.set_random_seed(0)
    spec = models.attention_spec("smoke", {"human": 3})
    model = models.build_model(spec)
    x = np.eye(4, dtype="float32")[np.random.default_rng(3).integers(0, 4, 4096)]
    mutant = x.copy()
    mutant[0] = np.roll(x[0], 1)  # another base at the first position
    pair = np.stack([x, mutant])

    def far_end_changes() -> float:
        y = np.asarray(model(pair, training=False), dtype="float64")
        return float(np.abs(y[1, -1] - y[0, -1]).max())

    # at initialisation the attention adds zero: the last bin sees only its convolutions
    assert far_end_changes() == 0
    rng = np.random.default_rng(4)
    for layer in model.layers:
        if isinstance(layer, attention.RelativeMultiHeadAttention):
            kernel = layer.output_layer.kernel
            kernel.assign(rng.normal(0, 0.2, kernel.shape).astype("float32"))
    assert far_end_changes() > 1e-6


def measured_span(model, length: int) -> int:
    """Span of input positions where a substitution alters the centre output position."""
    x = np.eye(4, dtype="float32")[np.random.default_rng(0).integers(0, 4, length)]
    mutants = np.repeat(x[None], length + 1, axis=0)
    for pos in range(length):
        mutants[1 + pos, pos] = np.roll(x[pos], 1)
    out = np.asarray(model.predict(mutants, batch_size=256, verbose=0), dtype="float64")
    out = out[:, out.shape[1] // 2]
    where = np.flatnonzero(np.any(out[1:] != out[0], axis=-1))
    return int(where[-1] - where[0] + 1)


@pytest.mark.parametrize("trunk", ["stem_tower", "final"])
def test_convolutional_blocks_compute_the_measured_receptive_field(trunk):
    blocks = {
        "stem_tower": [
            {"name": "attention_stem", "filters": 6},
            {"name": "attention_tower", "filters_init": 6, "filters_end": 8, "repeat": 2},
        ],
        "final": [
            {"name": "conv_block", "filters": 6, "kernel_size": 1},
            {"name": "attention_final", "filters": 4},
        ],
    }[trunk]
    spec = {"seq_length": 256, "trunk": blocks, "heads": {"out": 2}}
    keras.utils.set_random_seed(0)
    computed = models.receptive_field(spec)
    # stem: 15 bases, pooled by 2; then per tower block a width-5 convolution and pooling by 2
    assert computed == {"stem_tower": 15 + 1 + 4 * 2 + 2 + 4 * 4 + 4, "final": 1}[trunk]
    assert measured_span(models.build_model(spec), 256) == computed


# -- the JAX backend -------------------------------------------------------------------------
TINY = {
    "seq_length": 256,
    "trunk": [
        {"name": "attention_stem", "filters": 6},
        {"name": "attention_tower", "filters_init": 6, "filters_end": 12, "repeat": 2,
         "divisible_by": 6},
        {"name": "transformer", "heads": 2, "key_size": 4, "layers": 1, "dropout": 0.1},
        {"name": "cropping", "crop": 4},
        {"name": "attention_final", "filters": 8, "dropout": 0.05},
    ],
    "heads": {"human": 3},
}  # fmt: skip

JAX_SCRIPT = textwrap.dedent(
    """
    import json, sys
    import keras
    import numpy as np
    from seqreg import models, train

    spec, folder = json.loads(sys.argv[1]), sys.argv[2]
    keras.utils.set_random_seed(0)
    model = models.build_model(spec)
    rng = np.random.default_rng(0)
    x = np.eye(4, dtype="float32")[rng.integers(0, 4, (4, 256))]
    y = rng.poisson(1.0, (4, *model.output_shape[1:])).astype("float32")
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss=train.make_loss("poisson"))
    model.train_on_batch(x, y)  # gives the zero-initialised projection weights
    model.save_weights(f"{folder}/tiny.weights.h5")
    np.save(f"{folder}/x.npy", x)
    np.save(f"{folder}/jax.npy", np.asarray(model.predict(x, verbose=0)))
    print(json.dumps({"backend": keras.backend.backend()}))
    """
)


@pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="JAX is not installed")
def test_the_model_trains_under_jax_and_predicts_the_same_under_tensorflow(tmp_path):
    env = {**os.environ, "KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu"}
    result = subprocess.run(
        [sys.executable, "-c", JAX_SCRIPT, json.dumps(TINY), str(tmp_path)],
        env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    assert json.loads(result.stdout.strip().splitlines()[-1])["backend"] == "jax"
    there = np.load(tmp_path / "jax.npy")
    assert there.shape == (4, 32 - 2 * 4, 3) and np.isfinite(there).all()
    model = models.build_model(TINY)
    model.load_weights(tmp_path / "tiny.weights.h5")
    mha = next(la for la in model.layers if isinstance(la, attention.RelativeMultiHeadAttention))
    assert np.abs(np.asarray(mha.output_layer.kernel)).max() > 0  # attention is on
    here = np.asarray(model.predict(np.load(tmp_path / "x.npy"), verbose=0))
    np.testing.assert_allclose(here, there, rtol=1e-4, atol=1e-6)


def test_a_training_step_of_the_tiny_model_is_finite():
    keras.utils.set_random_seed(0)
    model = models.build_model(TINY)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss=train.make_loss("poisson"))
    rng = np.random.default_rng(5)
    x = np.eye(4, dtype="float32")[rng.integers(0, 4, (2, 256))]
    y = rng.poisson(1.0, (2, *model.output_shape[1:])).astype("float32")
    loss = model.train_on_batch(x, y)
    assert np.isfinite(loss)
