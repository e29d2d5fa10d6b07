"""Checkpoints that survive a kill: weights with optimizer state, early-stopping state and
history, written as one directory and swapped in atomically; the best weights by validation
loss; per-epoch history tables."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import keras
import numpy as np
from keras import ops

from ..project.files import replace_dir, write_text

CHECKPOINT = "checkpoint"
BEST = "best.weights.h5"


def _random_states(model: keras.Model) -> list:
    """The model's random-number generator states (dropout and other stochastic layers).

    Keras keeps them outside ``model.weights``, so weight files do not save them; a resumed
    run without them would draw the dropout masks of epoch 1 again.
    """
    return [v for v in model.variables if v.path.endswith("seed_generator_state")]


def save_checkpoint(model: keras.Model, run_dir: Path, state: dict) -> None:
    """Write the weights with the optimizer's state, the random-number generator states and
    ``state``, as one directory.

    The new checkpoint is written beside the old one and swapped in by renames, so a kill
    at any moment leaves either the previous or the new complete checkpoint.
    """
    run_dir = Path(run_dir)
    staging = run_dir / f"{CHECKPOINT}.new"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    model.save_weights(staging / "model.weights.h5")  # a compiled model's file holds the optimizer
    (staging / "state.json").write_text(json.dumps(state, indent=1, sort_keys=True))
    # in model order: layer names (and so variable paths) differ between builds in one process
    generators = [np.asarray(keras.ops.convert_to_numpy(v)).tolist() for v in _random_states(model)]
    (staging / "random_state.json").write_text(json.dumps(generators, indent=1, sort_keys=True))
    replace_dir(staging, run_dir / CHECKPOINT)  # the previous one is <checkpoint>.old meanwhile


def load_checkpoint(model: keras.Model, run_dir: Path) -> dict | None:
    """Restore weights, optimizer state and random-number generator states saved by
    :func:`save_checkpoint`, so a resumed run continues as the uninterrupted run would
    (same batches, same dropout masks).

    Returns the saved state, or None when ``run_dir`` holds no complete checkpoint. A
    compiled ``model`` of the same spec is required.
    """
    run_dir = Path(run_dir)
    for candidate in (run_dir / CHECKPOINT, run_dir / f"{CHECKPOINT}.old"):
        if (candidate / "state.json").exists():
            break
    else:
        return None
    if not model.optimizer.built:  # its variables must exist to receive the saved values
        model.optimizer.build(model.trainable_variables)
    model.load_weights(candidate / "model.weights.h5")
    saved_generators = candidate / "random_state.json"
    if saved_generators.exists():
        values = json.loads(saved_generators.read_text())
        variables = _random_states(model)
        if len(values) == len(variables):
            for variable, value in zip(variables, values, strict=True):
                variable.assign(np.asarray(value, dtype=variable.dtype))
    return json.loads((candidate / "state.json").read_text())


class Checkpointing(keras.callbacks.Callback):
    """Per-epoch checkpoint, best weights, history and early stopping, in one state.

    Early stopping lives here rather than in ``keras.callbacks.EarlyStopping`` so that its
    counters survive a resume.
    """

    def __init__(self, run_dir: Path, patience: int, state: dict):
        super().__init__()
        self.run_dir = Path(run_dir)
        self.patience = patience
        self.state = state
        self._started = time.perf_counter()

    def on_epoch_begin(self, epoch, logs=None):
        self._started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        logs = {k: float(v) for k, v in (logs or {}).items()}
        val_loss = logs.get("val_loss", logs.get("loss"))
        record = {
            "epoch": epoch + 1,
            **logs,
            "learning_rate": float(ops.convert_to_numpy(self.model.optimizer.learning_rate)),
            "seconds": time.perf_counter() - self._started,
        }
        state = self.state
        state["history"].append(record)
        state["epoch"] = epoch + 1
        if val_loss < state["best_val_loss"]:
            state["best_val_loss"], state["best_epoch"], state["wait"] = val_loss, epoch + 1, 0
            tmp = self.run_dir / f".{BEST}"
            self.model.save_weights(tmp)
            tmp.replace(self.run_dir / BEST)
        else:
            state["wait"] += 1
        state["stopped_early"] = state["wait"] >= self.patience
        save_checkpoint(self.model, self.run_dir, state)
        write_history(self.run_dir, state["history"])
        if state["stopped_early"]:
            self.model.stop_training = True


class EpochProgress(keras.callbacks.Callback):
    """A tqdm progress bar over all training steps, with the latest losses."""

    def __init__(self, total_steps: int, initial_step: int = 0):
        super().__init__()
        from ..project.progress import progress_bar as tqdm

        self.bar = tqdm(total=total_steps, initial=initial_step, unit="batch", mininterval=2.0)

    def on_train_batch_end(self, batch, logs=None):
        self.bar.update(1)

    def on_epoch_end(self, epoch, logs=None):
        shown = {k: f"{v:.4f}" for k, v in (logs or {}).items() if "loss" in k}
        self.bar.set_postfix(epoch=epoch + 1, **shown)

    def on_train_end(self, logs=None):
        self.bar.close()


def write_history(run_dir: Path, history: list[dict]) -> None:
    """History as a tab-separated table (one row per epoch)."""
    if not history:
        return
    columns = list(dict.fromkeys(k for row in history for k in row))
    lines = ["\t".join(columns)]
    lines += ["\t".join(str(row.get(c, "")) for c in columns) for row in history]
    write_text(Path(run_dir) / "history.tsv", "\n".join(lines) + "\n")


def read_history(run_dir: str | Path):
    """The history table of a run as a DataFrame (empty if none was written)."""
    import pandas as pd

    path = Path(run_dir) / "history.tsv"
    return pd.read_csv(path, sep="\t") if path.exists() else pd.DataFrame()


def weights_digest(model: keras.Model) -> str:
    """SHA-256 (hex, first 16 digits) of a model's weights in order: two trainings that
    agree bitwise give the same digest (README, "Repeatability")."""
    import hashlib

    digest = hashlib.sha256()
    for weight in model.get_weights():
        digest.update(np.ascontiguousarray(weight).tobytes())
    return digest.hexdigest()[:16]


def machine_summary() -> dict:
    """What can change trained weights between machines: CPU model and cores, the Keras
    backend and its version, TensorFlow's thread counts and whether oneDNN kernels are on."""
    import os
    import platform

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as handle:
            names = [
                line.split(":", 1)[1].strip() for line in handle if line.startswith("model name")
            ]
        cpu = names[0] if names else cpu
    except OSError:
        pass
    backend = keras.backend.backend()
    summary = {"cpu": cpu, "cores": os.cpu_count(), "keras": keras.__version__, "backend": backend}
    if backend == "tensorflow":
        import tensorflow as tf

        summary |= {
            "tensorflow": tf.__version__,
            "intra_op_threads": tf.config.threading.get_intra_op_parallelism_threads()
            or os.environ.get("TF_NUM_INTRAOP_THREADS", "default"),
            "onednn": os.environ.get("TF_ENABLE_ONEDNN_OPTS", "default (on)"),
        }
    return summary
