"""The library runs on the JAX backend too (the backend of GPU runs): a smoke model trains,
resumes and predicts under ``KERAS_BACKEND=jax`` in a fresh interpreter."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np

#: train under JAX: ``kill`` stops the process after the first epoch's checkpoint, as a
#: kill would; ``resume`` finishes the run and saves its predictions of two test windows
SCRIPT = r"""
import json, sys
import keras
import numpy as np
from seqreg import models, predict, train
from seqreg.data import read_store_info, load_split
from seqreg.sequence import one_hot_codes
from seqreg.data import strand_swap_order

store, run_dir, mode = sys.argv[1], sys.argv[2], sys.argv[3]
tracks = read_store_info(store)["tracks"]
spec = models.basenji2_spec("smoke", {"human": len(tracks)})
config = train.TrainConfig(epochs=2, batch_size=8, warmup_steps=5, steps_per_epoch=4)
trained = []
original = train.Checkpointing.on_epoch_end

def on_epoch_end(self, epoch, logs=None):
    original(self, epoch, logs)
    trained.append(epoch + 1)
    if mode == "kill":
        sys.exit(3)

train.Checkpointing.on_epoch_end = on_epoch_end
model, state = train.fit(spec, store, run_dir, config, progress=False)
codes, _, _ = load_split(store, "test")
prediction = predict.predict(model, one_hot_codes(codes[:2]), strand_swap_order(tracks),
                             reverse_complement=True)
np.save(f"{run_dir}/jax_prediction.npy", prediction)
print(json.dumps({"backend": keras.backend.backend(), "epochs": state["epoch"],
                  "trained": trained, "iterations": int(np.asarray(model.optimizer.iterations)),
                  "val_loss": [h["val_loss"] for h in state["history"]],
                  "finite": bool(np.isfinite(prediction).all()),
                  "shape": list(prediction.shape)}))
"""


def run_on_jax(store, run_dir, mode: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu"}
    return subprocess.run(
        [sys.executable, "-c", SCRIPT, str(store), str(run_dir), mode],
        env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip


def test_training_resume_and_prediction_on_the_jax_backend(smoke_store, tmp_path):
    run_dir = tmp_path / "run"
    killed = run_on_jax(smoke_store, run_dir, "kill")
    assert killed.returncode == 3, killed.stderr[-3000:]
    assert json.loads((run_dir / "checkpoint" / "state.json").read_text())["epoch"] == 1

    result = run_on_jax(smoke_store, run_dir, "resume")  # a fresh interpreter resumes
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["backend"] == "jax"
    assert report["trained"] == [2] and report["epochs"] == 2  # only the second epoch
    assert report["iterations"] == 2 * 4  # the optimizer's state came back with the weights
    assert report["finite"]
    assert report["val_loss"][1] < report["val_loss"][0]
    from seqreg import models, predict
    from seqreg.data import load_split, read_store_info, strand_swap_order
    from seqreg.sequence import one_hot_codes

    tracks = read_store_info(smoke_store)["tracks"]
    assert report["shape"] == [2, 28, len(tracks)]
    # the weights JAX trained predict the same under TensorFlow (this process's backend)
    model = models.build_model(models.basenji2_spec("smoke", {"human": len(tracks)}))
    model.load_weights(run_dir / "best.weights.h5")
    codes, _, _ = load_split(smoke_store, "test")
    here = predict.predict(model, one_hot_codes(codes[:2]), strand_swap_order(tracks),
                           reverse_complement=True)  # fmt: skip
    there = np.load(run_dir / "jax_prediction.npy")
    assert np.abs(there).max() > 0
    np.testing.assert_allclose(here, there, rtol=1e-4, atol=1e-6)
