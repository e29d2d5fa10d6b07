"""Training with the Basenji recipe, resumable after a kill.

:func:`fit` trains a model built from a spec (:mod:`seqreg.models`) on the windows of a
store (:mod:`seqreg.dataset`), with a Poisson (or Poisson-multinomial) loss, Adam or SGD
with momentum, linear learning-rate warm-up, gradient-norm clipping, reverse-complement
and shift augmentation, and early stopping on the validation loss. Each finished epoch
leaves a checkpoint directory ``<run_dir>/checkpoint`` (weights, optimizer state, the
early-stopping state and the history) written atomically, so a run that is killed resumes
from its last completed epoch with the same optimizer state. The best weights by
validation loss are kept in ``<run_dir>/best.weights.h5``; the history goes to
``<run_dir>/history.tsv``.

:func:`predict` averages predictions over the reverse complement and sequence shifts
(test-time augmentation, as the Basenji papers do for evaluation).
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import keras
import numpy as np
from keras import ops

from .errors import InputFileError
from .io import write_json, write_text

LossName = Literal["poisson", "poisson_multinomial"]


# -- losses ----------------------------------------------------------------------------------
@keras.saving.register_keras_serializable("seqreg")
def poisson_loss(y_true, y_pred, epsilon: float = 1e-7):
    """Poisson negative log-likelihood without the constant ``log(y!)`` term.

    ``mean(y_pred - y_true * log(y_pred))`` over bins and tracks; shapes
    ``(batch, bins, tracks)`` in, ``(batch,)`` out.
    """
    y_true = ops.cast(y_true, "float32")
    y_pred = ops.cast(y_pred, "float32")
    return ops.mean(y_pred - y_true * ops.log(y_pred + epsilon), axis=(1, 2))


@keras.saving.register_keras_serializable("seqreg")
class PoissonMultinomial(keras.losses.Loss):
    """Poisson on each track's total count plus a multinomial over its bins (Basenji2/Borzoi).

    Per window and track with totals ``s = sum_bins(y)`` and ``ŝ = sum_bins(ŷ)``::

        loss = -sum_bins(y * log(ŷ / ŝ)) + total_weight * (ŝ - s * log(ŝ))

    divided by the number of bins and averaged over tracks; ``(batch,)`` out. The
    multinomial term scores the shape of the profile, the Poisson term its total.
    """

    def __init__(self, total_weight: float = 0.2, epsilon: float = 1e-7, name="poisson_multinomial",
                 **kwargs):  # fmt: skip
        super().__init__(name=name, **kwargs)
        self.total_weight = total_weight
        self.epsilon = epsilon

    def call(self, y_true, y_pred):
        y_true = ops.cast(y_true, "float32")
        y_pred = ops.cast(y_pred, "float32") + self.epsilon
        bins = ops.cast(ops.shape(y_true)[1], "float32")
        total_true = ops.sum(y_true, axis=1)
        total_pred = ops.sum(y_pred, axis=1)
        poisson = total_pred - total_true * ops.log(total_pred)
        log_share = ops.log(y_pred) - ops.log(ops.expand_dims(total_pred, 1))
        multinomial = -ops.sum(y_true * log_share, axis=1)
        return ops.mean((multinomial + self.total_weight * poisson) / bins, axis=-1)

    def get_config(self):
        return {**super().get_config(), "total_weight": self.total_weight, "epsilon": self.epsilon}


def make_loss(name: LossName, total_weight: float = 0.2):
    """The loss called ``name``: ``poisson`` or ``poisson_multinomial``."""
    if name == "poisson":
        return poisson_loss
    if name == "poisson_multinomial":
        return PoissonMultinomial(total_weight)
    raise ValueError(f"unknown loss {name!r}; choose poisson or poisson_multinomial")


# -- optimisation ----------------------------------------------------------------------------
@keras.saving.register_keras_serializable("seqreg")
class WarmupConstant(keras.optimizers.schedules.LearningRateSchedule):
    """Learning rate rising linearly from 0 over ``warmup_steps``, then constant."""

    def __init__(self, learning_rate: float, warmup_steps: int):
        self.learning_rate = float(learning_rate)
        self.warmup_steps = int(warmup_steps)

    def __call__(self, step):
        step = ops.cast(step, "float32") + 1.0
        fraction = ops.minimum(step / float(max(self.warmup_steps, 1)), 1.0)
        return self.learning_rate * fraction

    def get_config(self):
        return {"learning_rate": self.learning_rate, "warmup_steps": self.warmup_steps}


@dataclass
class TrainConfig:
    """Training settings (defaults follow the Basenji2 recipe, scaled for small data).

    ``epochs`` is the maximum; training stops earlier after ``patience`` epochs without a
    lower validation loss. ``clipnorm`` bounds the global gradient norm. ``precision`` is
    ``float32`` or a Keras mixed policy (``mixed_bfloat16`` on GPUs and TPUs).
    """

    epochs: int = 20
    batch_size: int = 4
    optimizer: Literal["adam", "sgd"] = "adam"
    learning_rate: float = 1e-3
    momentum: float = 0.99  # SGD only
    beta_1: float = 0.9  # Adam only
    beta_2: float = 0.999  # Adam only
    warmup_steps: int = 200
    clipnorm: float | None = 2.0
    loss: LossName = "poisson"
    total_weight: float = 0.2  # poisson_multinomial only
    patience: int = 5
    augment: bool = True  # reverse complement and shifts on training batches
    max_shift: int = 3
    precision: str = "float32"
    seed: int = 0
    steps_per_epoch: int | None = None  # None: every training window once per epoch
    extra: dict[str, Any] = field(default_factory=dict)


def make_optimizer(config: TrainConfig) -> keras.optimizers.Optimizer:
    """Adam or SGD with momentum, warm-up schedule and global-norm clipping."""
    rate = WarmupConstant(config.learning_rate, config.warmup_steps)
    clip = {"global_clipnorm": config.clipnorm} if config.clipnorm else {}
    if config.optimizer == "adam":
        return keras.optimizers.Adam(rate, beta_1=config.beta_1, beta_2=config.beta_2, **clip)
    if config.optimizer == "sgd":
        return keras.optimizers.SGD(rate, momentum=config.momentum, **clip)
    raise ValueError(f"unknown optimizer {config.optimizer!r}; choose adam or sgd")


def compile_model(model: keras.Model, config: TrainConfig) -> keras.Model:
    """Compile ``model`` with the configured optimizer and loss."""
    model.compile(
        optimizer=make_optimizer(config),
        loss=make_loss(config.loss, config.total_weight),
        # XLA is what makes JAX fast; on TensorFlow CPUs it trains about a third slower
        jit_compile=keras.backend.backend() != "tensorflow",
    )
    return model


# -- checkpoints -----------------------------------------------------------------------------
CHECKPOINT = "checkpoint"
BEST = "best.weights.h5"


def save_checkpoint(model: keras.Model, run_dir: Path, state: dict) -> None:
    """Write the weights with the optimizer's state, and ``state``, as one directory.

    The new checkpoint is written beside the old one and swapped in by renames, so a kill
    at any moment leaves either the previous or the new complete checkpoint.
    """
    run_dir = Path(run_dir)
    final, staging, old = (run_dir / f"{CHECKPOINT}{s}" for s in ("", ".new", ".old"))
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    model.save_weights(staging / "model.weights.h5")  # a compiled model's file holds the optimizer
    (staging / "state.json").write_text(json.dumps(state, indent=1, sort_keys=True))
    shutil.rmtree(old, ignore_errors=True)
    if final.exists():
        final.rename(old)
    staging.rename(final)
    shutil.rmtree(old, ignore_errors=True)


def load_checkpoint(model: keras.Model, run_dir: Path) -> dict | None:
    """Restore weights and optimizer state saved by :func:`save_checkpoint`.

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
        from tqdm.auto import tqdm

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


# -- the training loop -----------------------------------------------------------------------
def set_precision(precision: str) -> None:
    """Set the Keras global dtype policy (``float32``, ``mixed_bfloat16``, ``mixed_float16``)."""
    keras.config.set_dtype_policy(precision)


def fit(spec: dict, store: str | Path, run_dir: str | Path, config: TrainConfig | None = None,
        progress: bool = True, workers: int = 1,
        on_change: Literal["error", "restart"] = "error") -> tuple[keras.Model, dict]:  # fmt: skip
    """Train ``spec`` on a store, resuming from ``run_dir`` if it holds a checkpoint.

    Parameters
    ----------
    spec
        Model spec (:func:`seqreg.models.build_model`); its ``seq_length`` and single head
        must match the store's windows and tracks.
    store
        HDF5 store from :func:`seqreg.dataset.build_store` with train and valid windows.
    run_dir
        Directory for the checkpoint, best weights, history and ``run.json``. A run that
        finished (or stopped early) is not trained again; one that was killed resumes.
    config
        :class:`TrainConfig`; a resumed run must use the same settings.
    on_change
        What to do when ``run_dir`` holds a run of another spec, config or store (the
        store is identified by its path, size and modification time): ``error`` (the
        default) refuses; ``restart`` discards that run and trains from scratch, which is
        what a notebook rerun with new parameters or new data wants.
    progress
        Show a progress bar over batches.
    workers
        Threads loading batches.

    Returns
    -------
    (keras.Model, dict)
        The model with the **best** weights (lowest validation loss), and the final state
        (``history``, ``best_epoch``, ``best_val_loss``, ``epoch``, ``stopped_early``).
    """
    from .loader import TrainingData
    from .models import build_model

    config = config or TrainConfig()
    if not Path(store).is_file():
        raise InputFileError(store, "no training store here; build it with notebook 01")
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    status = Path(store).stat()
    settings = json.loads(json.dumps({
        "spec": spec, "config": asdict(config), "store": str(Path(store).resolve()),
        "store_size": status.st_size, "store_mtime_ns": status.st_mtime_ns,
    }))  # fmt: skip
    run_file = run_dir / "run.json"
    if run_file.exists() and json.loads(run_file.read_text()) != settings:
        if on_change != "restart":
            raise ValueError(
                f"{run_dir}: holds a run with a different spec, config or store; use another "
                "run_dir, delete it, or pass on_change='restart'"
            )
        discard_run(run_dir)
    write_json(run_file, settings)

    keras.utils.set_random_seed(config.seed)
    set_precision(config.precision)
    try:
        model = compile_model(build_model(spec), config)
    finally:
        set_precision("float32")
    train = TrainingData(store, "train", config.batch_size, augment=config.augment,
                         shuffle=True, max_shift=config.max_shift, seed=config.seed,
                         workers=workers)  # fmt: skip
    valid = TrainingData(store, "valid", config.batch_size, workers=workers)
    n_tracks = len(train.tracks)
    if model.output_shape[-1] != n_tracks:
        raise ValueError(
            f"{store}: the store has {n_tracks} tracks but the model's head has "
            f"{model.output_shape[-1]}"
        )
    state = load_checkpoint(model, run_dir)
    if state is None:
        state = {"epoch": 0, "best_val_loss": float("inf"), "best_epoch": 0, "wait": 0,
                 "history": [], "stopped_early": False}  # fmt: skip
    steps = config.steps_per_epoch or len(train)
    remaining = config.epochs - state["epoch"]
    if remaining > 0 and not state["stopped_early"]:
        train.set_epoch(state["epoch"])  # a resumed run sees the batches it would have seen
        callbacks: list[keras.callbacks.Callback] = [Checkpointing(run_dir, config.patience, state)]
        if progress:
            callbacks.append(EpochProgress(config.epochs * steps, state["epoch"] * steps))
        model.fit(train, validation_data=valid, epochs=config.epochs,
                  initial_epoch=state["epoch"], steps_per_epoch=config.steps_per_epoch,
                  callbacks=callbacks, verbose=0)  # fmt: skip
    if (run_dir / BEST).exists():
        model.load_weights(run_dir / BEST)
    return model, state


def discard_run(run_dir: str | Path) -> None:
    """Remove a run's checkpoint, best weights, history and settings (nothing else)."""
    run_dir = Path(run_dir)
    for name in (CHECKPOINT, f"{CHECKPOINT}.new", f"{CHECKPOINT}.old"):
        shutil.rmtree(run_dir / name, ignore_errors=True)
    for name in (BEST, f".{BEST}", "history.tsv", "run.json"):
        (run_dir / name).unlink(missing_ok=True)


def load_trained(run_dir: str | Path, spec: dict | None = None) -> keras.Model:
    """Rebuild a finished run's model (its spec from ``run.json`` unless given) with the
    best weights."""
    from .models import build_model

    run_dir = Path(run_dir)
    path = run_dir / BEST
    if not path.exists():
        raise FileNotFoundError(f"{path}: no trained weights; train the model first")
    if spec is None:
        spec = json.loads((run_dir / "run.json").read_text())["spec"]
    model = build_model(spec)
    model.load_weights(path)
    return model


# -- prediction ------------------------------------------------------------------------------
def predict(model: keras.Model, onehot: np.ndarray, swap: np.ndarray | None = None,
            reverse_complement: bool = False, shifts: Sequence[int] = (0,),
            batch_size: int = 8) -> np.ndarray:  # fmt: skip
    """Predictions averaged over shifts and, optionally, the reverse complement.

    Parameters
    ----------
    onehot
        ``(windows, seq_length, 4)`` one-hot sequences.
    swap
        Track permutation exchanging stranded pairs (:func:`seqreg.loader.strand_swap_order`);
        needed with ``reverse_complement`` so a plus-strand output of the reverse complement
        is averaged with the minus-strand output of the forward sequence.
    reverse_complement
        Also predict the reverse complement and flip its output back.
    shifts
        Sequence shifts in bases (e.g. ``(-1, 0, 1)``); each adds one pass.
    batch_size
        Windows per forward pass.

    Returns
    -------
    np.ndarray
        ``(windows, bins, tracks)`` float32, the mean over ``len(shifts) * (1 + rc)``
        passes.
    """
    from .loader import shift_sequences

    onehot = np.asarray(onehot, dtype="float32")
    total = None
    passes = 0
    for shift in shifts:
        shifted = shift_sequences(onehot, np.full(len(onehot), shift)) if shift else onehot
        for flip in (False, True) if reverse_complement else (False,):
            x = shifted[:, ::-1, ::-1] if flip else shifted
            y = np.asarray(model.predict(np.ascontiguousarray(x), batch_size=batch_size,
                                         verbose=0), dtype="float32")  # fmt: skip
            if flip:
                y = y[:, ::-1]
                if swap is not None:
                    y = y[:, :, swap]
            total = y if total is None else total + y
            passes += 1
    return total / passes
