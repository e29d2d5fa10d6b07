"""ChromDragoNN's models (Nair et al. 2019): the published embedding width and lengths of
its three trunks, the residual block, the stage-1 head and loss, and stage 2 on a frozen
or tuned copy of the stage-1 trunk."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from seqreg import models, train
from seqreg.models.specs import chromdragonn as cd


def one_hot(n: int, length: int = 1000, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.eye(4, dtype="float32")[rng.integers(0, 4, (n, length))]


def trunk_of(spec: dict) -> keras.Model:
    model = models.build_model(spec)
    flatten = [layer for layer in model.layers if isinstance(layer, keras.layers.Flatten)]
    assert len(flatten) == 1
    return model, keras.Model(model.inputs[0], flatten[0].output)


# -- the published sizes -----------------------------------------------------------------------
@pytest.mark.parametrize("arch", ["basset", "factorized", "resnet"])
def test_paper_trunks_give_the_4200_wide_embedding(arch):
    spec = cd.chromdragonn_stage1_spec(arch, "paper", 164)
    model, trunk = trunk_of(spec)
    assert trunk.output.shape[1:] == (4200,)
    assert cd.embedding_width(arch, "paper") == 4200
    # same padding, ceil-mode pooling by 3, 4, 4: 1000 -> 334 -> 84 -> 21 positions
    pooled = [layer.output.shape[1] for layer in model.layers
              if isinstance(layer, keras.layers.MaxPooling1D)]  # fmt: skip
    assert pooled == [334, 84, 21]
    assert model.output.shape[1:] == (164,)
    dense = [layer.units for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    assert dense == [1000, 1000, 164]
    assert [layer.rate for layer in model.layers if isinstance(layer, keras.layers.Dropout)] == [
        0.3,
        0.3,
    ]
    assert model.layers[-1].activation is keras.activations.linear  # logits


def test_paper_trunks_have_the_published_filters_and_widths():
    def convs(arch):
        model = models.build_model(cd.chromdragonn_stage1_spec(arch, "paper", 1))
        return [(layer.filters, layer.kernel_size[0]) for layer in model.layers
                if isinstance(layer, keras.layers.Conv1D)]  # fmt: skip

    assert convs("basset") == [(300, 19), (200, 11), (200, 7)]
    assert convs("factorized") == [(48, 3), (64, 3), (100, 3), (150, 7), (300, 7), (200, 7),
                                   (200, 3), (200, 3), (200, 7)]  # fmt: skip
    resnet = convs("resnet")
    assert resnet == [(48, 3), (64, 3), *[(64, 3)] * 4, (128, 3), *[(128, 7)] * 4, (200, 1),
                      *[(200, 7), (200, 3), (200, 3)] * 2, *[(200, 7)] * 5]  # fmt: skip
    # no conv has a bias: batch norm follows every one
    model = models.build_model(cd.chromdragonn_stage1_spec("resnet", "paper", 1))
    assert not any(layer.use_bias for layer in model.layers
                   if isinstance(layer, keras.layers.Conv1D))  # fmt: skip
    assert sum(isinstance(layer, keras.layers.Add) for layer in model.layers) == 8


def test_basset_at_paper_scale_has_the_hand_counted_size():
    model = models.build_model(cd.chromdragonn_stage1_spec("basset", "paper", 164))
    bn = 4  # gamma, beta, moving mean and variance
    convs = 19 * 4 * 300 + bn * 300 + 11 * 300 * 200 + bn * 200 + 7 * 200 * 200 + bn * 200
    dense = 4200 * 1000 + bn * 1000 + 1000 * 1000 + bn * 1000
    assert model.count_params() == convs + dense + 1000 * 164 + 164 == 6_337_764


@pytest.mark.parametrize("scale", ["smoke", "demo"])
@pytest.mark.parametrize("arch", ["basset", "factorized", "resnet"])
def test_smaller_scales_keep_the_layer_structure(arch, scale):
    def structure(model):
        return [(type(layer).__name__, getattr(layer, "kernel_size", None),
                 getattr(layer, "pool_size", None)) for layer in model.layers]  # fmt: skip

    paper = models.build_model(cd.chromdragonn_stage1_spec(arch, "paper", 3))
    small = models.build_model(cd.chromdragonn_stage1_spec(arch, scale, 3))
    assert structure(small) == structure(paper)
    _, trunk = trunk_of(cd.chromdragonn_stage1_spec(arch, scale, 3))
    assert trunk.output.shape[-1] == cd.embedding_width(arch, scale)
    assert models.receptive_field(cd.chromdragonn_stage1_spec(arch, scale, 3)) == 1000


def test_demo_embedding_widths_are_fixed():
    # the last convolution's 48 filters over 21 positions (1,000 -> 334 -> 84 -> 21)
    assert {arch: cd.embedding_width(arch, "demo") for arch in cd.CHROMDRAGONN_ARCHITECTURES} == {
        "basset": 1008,
        "factorized": 1008,
        "resnet": 1008,
    }
    assert cd.embedding_width("resnet", "smoke") == 8 * 21


def test_unknown_architecture_is_named():
    with pytest.raises(ValueError, match="unknown ChromDragoNN architecture 'densenet'"):
        cd.chromdragonn_stage1_spec("densenet", "smoke", 3)


# -- the residual block ------------------------------------------------------------------------
def test_residual_conv_rejects_a_channel_mismatch():
    spec = {
        "seq_length": 64,
        "trunk": [
            {"name": "conv_block", "filters": 6, "kernel_size": 3},
            {"name": "residual_conv", "filters": 8, "kernel_sizes": [3, 3]},
        ],
        "heads": {"out": {"type": "logits", "units": 1}},
    }
    with pytest.raises(
        ValueError, match="'residual_conv': the input has 6 channels but filters is 8"
    ):
        models.build_model(spec)


def test_residual_conv_adds_its_input_and_pools():
    spec = {
        "seq_length": 64,
        "trunk": [
            {"name": "conv_block", "filters": 5, "kernel_size": 1},
            {"name": "residual_conv", "filters": 5, "kernel_sizes": [7, 3, 3], "pool_size": 3},
        ],
        "heads": {"out": {"type": "logits", "units": 2}},
    }
    model = models.build_model(spec)
    assert model.output.shape[1:] == (22, 2)  # ceil(64 / 3)
    extent = models.trunk_extent(spec)
    assert (extent.jump, extent.left, extent.right) == (3, 5, 5 + 2)
    # with zero convolutions the block is ReLU(input): the shortcut is the identity
    x = keras.Input((10, 5))
    y = models.BLOCKS["residual_conv"].builder(x, filters=5, kernel_sizes=[3, 3])
    probe = keras.Model(x, y)
    for layer in probe.layers:
        if isinstance(layer, keras.layers.Conv1D):
            layer.kernel.assign(np.zeros(layer.kernel.shape, "float32"))
    values = np.random.default_rng(0).normal(size=(2, 10, 5)).astype("float32")
    out = np.asarray(probe(values, training=False))
    np.testing.assert_allclose(out, np.maximum(values, 0), atol=1e-5)


# -- the loss ----------------------------------------------------------------------------------
def test_bce_logits_matches_bce_of_sigmoid_and_stays_finite():
    rng = np.random.default_rng(2)
    y_true = rng.integers(0, 2, (4, 6)).astype("float32")
    logits = rng.normal(0, 2, (4, 6)).astype("float32")
    expected = np.asarray(train.make_loss("bce")(y_true, 1 / (1 + np.exp(-logits))))
    got = np.asarray(train.make_loss("bce_logits")(y_true, logits))
    np.testing.assert_allclose(got, expected, rtol=1e-4)
    # extreme logits: exact values, no NaN or infinity
    extreme = np.asarray(
        train.make_loss("bce_logits")(np.array([[1.0, 0.0]]), np.array([[-200.0, 300.0]]))
    )
    assert np.isfinite(extreme).all()
    assert extreme[0] == pytest.approx((200.0 + 300.0) / 2)


# -- stage 2 -----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def stage1():
    keras.utils.set_random_seed(0)
    model = models.build_model(cd.chromdragonn_stage1_spec("resnet", "smoke", 5))
    model.compile(keras.optimizers.Adam(1e-2), loss=train.make_loss("bce_logits"))
    x = one_hot(16)
    y = np.random.default_rng(1).integers(0, 2, (16, 5)).astype("float32")
    model.train_on_batch(x, y)  # trained weights and moving statistics, not the initial ones
    return model


def feed(n: int, with_mean: bool, n_expression: int = 7) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(3)
    out = {"sequence": one_hot(n, seed=4),
           "expression": rng.normal(size=(n, n_expression)).astype("float32")}  # fmt: skip
    if with_mean:
        out["mean"] = rng.uniform(size=(n, 1)).astype("float32")
    return out


def weights(model) -> list[np.ndarray]:
    return [np.array(w) for w in model.get_weights()]


@pytest.mark.parametrize("with_mean", [True, False])
def test_stage2_outputs_one_logit_per_sequence(stage1, with_mean):
    full, trunk, head = cd.build_stage2(stage1, "resnet", "smoke", 7, with_mean, tune=False)
    names = {t.name for t in full.inputs}
    assert names == (
        {"sequence", "expression", "mean"} if with_mean else {"sequence", "expression"}
    )
    assert {t.name for t in head.inputs} == names - {"sequence"} | {"embedding"}
    out = np.asarray(full(feed(3, with_mean), training=False))
    assert out.shape == (3, 1)
    assert trunk.output.shape[1:] == (cd.embedding_width("resnet", "smoke"),) == (168,)
    # the full model is the head applied to the trunk's embedding
    data = feed(3, with_mean)
    parts = {k: v for k, v in data.items() if k != "sequence"}
    parts["embedding"] = np.asarray(trunk(data["sequence"], training=False))
    np.testing.assert_allclose(np.asarray(head(parts, training=False)), out, rtol=1e-5, atol=1e-6)


def test_the_mean_joins_after_the_first_dense_layer(stage1):
    _, _, head = cd.build_stage2(stage1, "resnet", "smoke", 7, True, tune=False)
    dense = [layer for layer in head.layers if isinstance(layer, keras.layers.Dense)]
    # embedding 168 + expression 7 in; 16 units + mean 1 in; 16 units to one logit
    assert [tuple(layer.kernel.shape) for layer in dense] == [(175, 16), (17, 16), (16, 1)]


def test_stage2_trunk_starts_from_the_stage1_weights(stage1):
    _, trunk, _ = cd.build_stage2(stage1, "resnet", "smoke", 7, True, tune=True)
    flatten = next(layer for layer in stage1.layers if isinstance(layer, keras.layers.Flatten))
    theirs = keras.Model(stage1.inputs[0], flatten.output)
    mine, expected = weights(trunk), weights(theirs)
    assert len(mine) == len(expected) == 23 + 23 * 4  # 23 convs, 23 batch norms x 4 vectors
    for a, b in zip(mine, expected, strict=True):
        np.testing.assert_array_equal(a, b)
    x = one_hot(4, seed=9)
    np.testing.assert_allclose(np.asarray(trunk(x, training=False)),
                               np.asarray(theirs(x, training=False)), rtol=1e-6)  # fmt: skip


def train_step(full, with_mean: bool) -> None:
    full.compile(keras.optimizers.Adam(1e-2), loss=train.make_loss("bce_logits"))
    data = feed(16, with_mean)
    y = np.random.default_rng(5).integers(0, 2, (16, 1)).astype("float32")
    full.train_on_batch(data, y)


def changed(before, after) -> list[bool]:
    return [not np.array_equal(a, b) for a, b in zip(before, after, strict=True)]


def test_frozen_stage2_trains_the_head_only(stage1):
    stage1_before = weights(stage1)
    full, trunk, head = cd.build_stage2(stage1, "resnet", "smoke", 7, True, tune=False)
    assert not trunk.trainable_weights
    assert len(full.trainable_weights) == len(head.trainable_weights) == 8
    trunk_before, head_before = weights(trunk), weights(head)
    train_step(full, with_mean=True)
    assert not any(changed(trunk_before, weights(trunk)))  # batch-norm statistics included
    assert all(changed(head_before, weights(head)))  # every head weight, statistics included
    assert not any(changed(stage1_before, weights(stage1)))


def test_tuned_stage2_trains_the_trunk_and_leaves_stage1_alone(stage1):
    stage1_before = weights(stage1)
    full, trunk, head = cd.build_stage2(stage1, "resnet", "smoke", 7, False, tune=True)
    # trunk: 23 kernels, gammas and betas; head: 2 x (kernel, gamma, beta), kernel and bias
    assert len(trunk.trainable_weights) == 3 * 23 and len(head.trainable_weights) == 8
    assert len(full.trainable_weights) == 3 * 23 + 8
    trunk_before = weights(trunk)
    train_step(full, with_mean=False)
    assert all(changed(trunk_before, weights(trunk)))
    assert not any(changed(stage1_before, weights(stage1)))


def test_stage2_without_pretraining_and_with_a_wrong_stage1_model():
    full, trunk, _ = cd.build_stage2(None, "basset", "smoke", 4, False, tune=True, seq_length=200)
    assert trunk.input.shape[1:] == (200, 4)
    assert trunk.output.shape[1:] == (8 * 5,)  # 200 -> 67 -> 17 -> 5 positions
    assert full(feed(2, False, 4) | {"sequence": one_hot(2, 200)}).shape == (2, 1)
    other = models.build_model(cd.chromdragonn_stage1_spec("factorized", "smoke", 3))
    with pytest.raises(ValueError, match="not a ChromDragoNN basset model at scale 'smoke'"):
        cd.build_stage2(other, "basset", "smoke", 4, False, tune=False)
