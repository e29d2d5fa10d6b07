"""The library runs on the JAX backend too (the backend of GPU runs): a smoke model trains,
resumes and predicts under ``KERAS_BACKEND=jax`` in a fresh interpreter."""

from __future__ import annotations

import json
import os
import subprocess
import sys

SCRIPT = r"""
import json, sys
import keras
import numpy as np
from seqreg import models, predict, train
from seqreg.data import read_store_info, load_split
from seqreg.sequence import one_hot_codes
from seqreg.data import strand_swap_order

store, run_dir = sys.argv[1], sys.argv[2]
tracks = read_store_info(store)["tracks"]
spec = models.basenji2_spec("smoke", {"human": len(tracks)})
config = train.TrainConfig(epochs=2, batch_size=8, warmup_steps=5, steps_per_epoch=4)
model, state = train.fit(spec, store, run_dir, config, progress=False)
codes, _, _ = load_split(store, "test")
prediction = predict.predict(model, one_hot_codes(codes[:2]), strand_swap_order(tracks),
                           reverse_complement=True)
print(json.dumps({"backend": keras.backend.backend(), "epochs": state["epoch"],
                  "val_loss": [h["val_loss"] for h in state["history"]],
                  "finite": bool(np.isfinite(prediction).all()),
                  "shape": list(prediction.shape)}))
"""


def test_training_and_prediction_on_the_jax_backend(smoke_store, tmp_path):
    env = {**os.environ, "KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu"}
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(smoke_store), str(tmp_path / "run")],
        env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["backend"] == "jax"
    assert report["epochs"] == 2 and report["finite"]
    from seqreg.data import read_store_info

    assert report["shape"] == [2, 28, len(read_store_info(smoke_store)["tracks"])]
