"""Train a small convolutional model a few steps with a fixed seed and print a digest of
its weights (for tests/test_train.py's repeatability test). ``pin`` as the first argument
fixes TensorFlow's thread counts first, as every notebook's setup() does."""

import sys

from seqreg.project import fix_threads

if sys.argv[1:] == ["pin"]:
    fix_threads()

import keras
import numpy as np

from seqreg.train import weights_digest

keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)
x = rng.normal(size=(16, 2048, 4)).astype("float32")
y = rng.poisson(2.0, size=(16, 16, 8)).astype("float32")
inputs = keras.Input((2048, 4))
h = keras.layers.Conv1D(64, 15, padding="same", activation="gelu")(inputs)
h = keras.layers.MaxPooling1D(8)(h)
h = keras.layers.Conv1D(64, 5, padding="same", dilation_rate=2, activation="gelu")(h)
h = keras.layers.MaxPooling1D(16)(h)
model = keras.Model(inputs, keras.layers.Dense(8, activation="softplus")(h))
model.compile(keras.optimizers.Adam(1e-3), "poisson")
model.fit(x, y, batch_size=4, epochs=3, shuffle=False, verbose=0)
print(weights_digest(model))
