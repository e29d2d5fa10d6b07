"""Receptive fields measured by perturbation and by gradient against the geometry's
(microglia QTL report, section 4.3; notebook 14)."""

import keras
import numpy as np
import pytest

from seqreg import interpret, models


def _tiny_model(length=64):
    keras.utils.set_random_seed(1)
    x = keras.Input((length, 4))
    y = keras.layers.Conv1D(6, 5, padding="same", activation="gelu")(x)
    y = keras.layers.Conv1D(3, 3, dilation_rate=2, padding="same")(y)
    return keras.Model(x, y)


def test_perturbation_and_gradient_fields_agree_on_a_tiny_model():
    """Width 5 then width 3 at dilation 2: each output sees 1 + 4 + 4 = 9 bases, 4 each side;
    a substituted base changes the 9 outputs that see it."""
    model = _tiny_model()
    gradient = interpret.gradient_field(model, 64, 30, repeats=4)
    perturbation = interpret.perturbation_field(model, 64, 30, repeats=4)
    assert gradient.span == (26, 34) and gradient.width == 9
    assert perturbation.span == (26, 34) and perturbation.width == 9
    assert np.array_equal(gradient.changed, perturbation.changed)
    # outside the field nothing moves, exactly
    assert (gradient.effect[~gradient.changed] == 0).all()
    assert (perturbation.effect[~perturbation.changed] == 0).all()


def test_unet_field_over_its_pooling_grid_equals_the_geometry():
    """A 3-level U-Net's outputs reach different distances depending on their place in the
    8-base pooling grid; the farthest reach each side over 8 outputs is the rule's."""
    keras.utils.set_random_seed(0)
    spec = models.leopard_unet_spec("smoke", n_outputs=2)
    model = models.build_model(spec)
    extent = models.trunk_extent(spec)
    field = interpret.measured_field(model, spec["seq_length"], 500, period=8, repeats=8)
    assert (field["left"], field["right"]) == (extent.left, extent.right)
    assert field["width"] == models.receptive_field(spec)
    assert field["widest_single"] < field["width"]  # no single base sees the whole union
    # one alignment alone falls short of the union
    single = interpret.measured_field(model, spec["seq_length"], 500, period=1, repeats=8)
    assert single["width"] < field["width"]


def test_binned_field_within_a_bin_of_the_geometry():
    from seqreg.project import preset

    window = preset("preprocess", "smoke")
    keras.utils.set_random_seed(0)
    spec = models.basenji2_spec("smoke", {"human": 3})
    model = models.build_model(spec)
    bins = model.output_shape[1]
    field = interpret.measured_field(
        model,
        spec["seq_length"],
        bins // 2,
        repeats=8,
        bin_size=window["pool_width"],
        crop_bp=window["crop_bp"],
    )
    computed = models.receptive_field(spec)
    assert computed - window["pool_width"] <= field["width"] <= computed
    perturbed = interpret.perturbation_field(
        model,
        spec["seq_length"],
        spec["seq_length"] // 2,
        repeats=4,
        bin_size=window["pool_width"],
        crop_bp=window["crop_bp"],
    )
    assert abs(perturbed.width - computed) <= 2 * window["pool_width"]


def test_mass_outside_and_errors():
    profile = interpret.FieldProfile("gradient", np.arange(2001), np.ones(2001), 1000)
    assert profile.mass_outside(500) == pytest.approx(1000 / 2001)
    assert interpret.FieldProfile("gradient", np.arange(3), np.zeros(3), 1).span is None
    model = _tiny_model()
    with pytest.raises(ValueError, match="outside"):
        interpret.perturbation_field(model, 64, 64)
    with pytest.raises(ValueError, match="outside"):
        interpret.gradient_field(model, 64, 70)
