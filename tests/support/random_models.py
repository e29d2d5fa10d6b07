"""Small models with random weights, shared by the variant-scoring and GWAS tests."""

from __future__ import annotations

import keras
import numpy as np

from seqreg import models


def random_model(builder=models.basenji2_spec, seed: int = 3, n_tracks: int = 3) -> keras.Model:
    """A smoke-size model with random weights and random batch-norm statistics (so
    inference differs from an identity normalisation)."""
    keras.utils.set_random_seed(seed)
    model = models.build_model(builder("smoke", {"human": n_tracks}))
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.moving_mean.assign(rng.normal(0, 0.3, layer.moving_mean.shape))
            layer.moving_variance.assign(rng.uniform(0.3, 1.5, layer.moving_variance.shape))
            layer.gamma.assign(rng.uniform(0.5, 1.5, layer.gamma.shape))
    return model
