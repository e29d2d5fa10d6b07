"""The training loop: the Basenji recipe on a store, resumable after a kill."""

from __future__ import annotations

import json
import math
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import keras
from keras import ops

from ..project.errors import InputFileError
from ..project.files import fingerprint, write_json
from .checkpoint import BEST, CHECKPOINT, Checkpointing, EpochProgress, load_checkpoint
from .losses import make_loss


# -- optimisation ----------------------------------------------------------------------------
@keras.saving.register_keras_serializable("seqreg")
class WarmupConstant(keras.optimizers.schedules.LearningRateSchedule):
    """Learning rate rising linearly from 0 over ``warmup_steps``, then constant, divided by
    ``1 + decay * step`` (Keras 2's ``decay``, which Leopard trains with at 1e-5; 0: none)."""

    def __init__(self, learning_rate: float, warmup_steps: int, decay: float = 0.0):
        self.learning_rate = float(learning_rate)
        self.warmup_steps = int(warmup_steps)
        self.decay = float(decay)

    def __call__(self, step):
        step = ops.cast(step, "float32") + 1.0
        fraction = ops.minimum(step / float(max(self.warmup_steps, 1)), 1.0)
        return self.learning_rate * fraction / (1.0 + self.decay * (step - 1.0))

    def get_config(self):
        return {"learning_rate": self.learning_rate, "warmup_steps": self.warmup_steps,
                "decay": self.decay}  # fmt: skip


class WarmupCosine(keras.optimizers.schedules.LearningRateSchedule):
    """Learning rate rising linearly from 0 over ``warmup_steps``, then falling along a
    half cosine to ``final_fraction`` of its peak at ``total_steps`` (and held there)."""

    def __init__(self, learning_rate: float, warmup_steps: int, total_steps: int,
                 final_fraction: float = 0.0):  # fmt: skip
        self.learning_rate = float(learning_rate)
        self.warmup_steps = int(warmup_steps)
        self.total_steps = int(total_steps)
        self.final_fraction = float(final_fraction)

    def __call__(self, step):
        step = ops.cast(step, "float32") + 1.0
        warmup = ops.minimum(step / float(max(self.warmup_steps, 1)), 1.0)
        span = float(max(self.total_steps - self.warmup_steps, 1))
        progress = ops.clip((step - float(self.warmup_steps)) / span, 0.0, 1.0)
        cosine = 0.5 * (1.0 + ops.cos(math.pi * progress))
        return (
            self.learning_rate
            * warmup
            * (self.final_fraction + (1.0 - self.final_fraction) * cosine)
        )

    def get_config(self):
        return {"learning_rate": self.learning_rate, "warmup_steps": self.warmup_steps,
                "total_steps": self.total_steps, "final_fraction": self.final_fraction}  # fmt: skip


@dataclass
class TrainConfig:
    """Training settings (defaults follow the Basenji2 recipe, scaled for small data).

    ``epochs`` is the maximum; training stops earlier after ``patience`` epochs without a
    lower validation loss. ``clipnorm`` bounds the global gradient norm. ``schedule`` is
    ``constant`` (after the warm-up; Basenji's recipe) or ``cosine`` (a half cosine from the
    peak rate down to ``final_lr_fraction`` of it at the last of ``epochs``).
    ``precision`` is ``float32`` or a Keras mixed policy (``mixed_bfloat16`` on GPUs and TPUs).
    """

    epochs: int = 20
    batch_size: int = 4
    optimizer: Literal["adam", "sgd", "rmsprop"] = "adam"
    learning_rate: float = 1e-3
    momentum: float = 0.99  # SGD only
    rho: float = 0.9  # RMSprop only (Torch's alpha; Basset used 0.98)
    beta_1: float = 0.9  # Adam only
    beta_2: float = 0.999  # Adam only
    warmup_steps: int = 200
    schedule: Literal["constant", "cosine"] = "constant"
    final_lr_fraction: float = 0.0  # cosine only
    decay: float = 0.0  # constant only: the rate is divided by 1 + decay x step (Keras 2)
    clipnorm: float | None = 2.0
    loss: str = "poisson"  # a name in seqreg.train.LOSSES
    total_weight: float = 0.2  # poisson_multinomial only
    patience: int = 5
    augment: bool = True  # reverse complement and shifts on training batches
    max_shift: int = 3
    precision: str = "float32"
    seed: int = 0
    steps_per_epoch: int | None = None  # None: every training window once per epoch
    extra: dict[str, Any] = field(default_factory=dict)


def make_optimizer(
    config: TrainConfig, total_steps: int | None = None
) -> keras.optimizers.Optimizer:
    """Adam, SGD with momentum or RMSprop, warm-up schedule and global-norm clipping.

    Parameters
    ----------
    total_steps
        Optimizer steps of the whole run (``epochs`` times steps per epoch), which a
        ``cosine`` schedule needs.

    Raises
    ------
    ValueError
        For an optimizer other than ``adam``, ``sgd`` or ``rmsprop``, a schedule other than
        ``constant`` or ``cosine``, or a ``cosine`` schedule without ``total_steps``.
    """
    if config.schedule == "constant":
        rate = WarmupConstant(config.learning_rate, config.warmup_steps, config.decay)
    elif config.schedule == "cosine":
        if not total_steps:
            raise ValueError("a cosine schedule needs the run's total_steps")
        rate = WarmupCosine(config.learning_rate, config.warmup_steps, total_steps,
                            config.final_lr_fraction)  # fmt: skip
    else:
        raise ValueError(f"unknown schedule {config.schedule!r}; choose constant or cosine")
    clip = {"global_clipnorm": config.clipnorm} if config.clipnorm else {}
    if config.optimizer == "adam":
        return keras.optimizers.Adam(rate, beta_1=config.beta_1, beta_2=config.beta_2, **clip)
    if config.optimizer == "sgd":
        return keras.optimizers.SGD(rate, momentum=config.momentum, **clip)
    if config.optimizer == "rmsprop":
        return keras.optimizers.RMSprop(rate, rho=config.rho, **clip)
    raise ValueError(f"unknown optimizer {config.optimizer!r}; choose adam, sgd or rmsprop")


def compile_model(model: keras.Model, config: TrainConfig,
                  total_steps: int | None = None) -> keras.Model:  # fmt: skip
    """``model``, compiled with the configured optimizer and loss (:data:`seqreg.train.LOSSES`).

    ``total_steps``: as in :func:`make_optimizer`.

    Raises
    ------
    ValueError
        For an unknown optimizer, schedule or loss name.
    """
    model.compile(
        optimizer=make_optimizer(config, total_steps),
        loss=make_loss(config.loss, config.total_weight),
        # XLA is what makes JAX fast; on TensorFlow CPUs it trains about a third slower
        jit_compile=keras.backend.backend() != "tensorflow",
    )
    return model


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
        HDF5 store from :func:`seqreg.data.build_store` with train and valid windows.
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

    Raises
    ------
    InputFileError
        When ``store`` does not exist.
    ValueError
        When the spec takes inputs besides the sequence, ``run_dir`` holds another run
        (``on_change="error"``), the store's sequence length, target kind (coverage per
        bin or one label per track) or track count differs from the model's, or the
        config names an unknown loss or optimizer. Nothing is written then.
    """
    from ..data.loader import TrainingData

    config = config or TrainConfig()
    extra = [i.get("name") for i in spec.get("inputs") or () if i.get("type") != "sequence"]
    if extra:
        raise ValueError(
            f"fit trains on a store of sequences and coverage; the spec also takes {extra}, "
            "which a store does not hold"
        )
    if not Path(store).is_file():
        raise InputFileError(store, "no training store here; build it with notebook 01")
    run_dir = Path(run_dir)
    train = TrainingData(store, "train", config.batch_size, augment=config.augment,
                         shuffle=True, max_shift=config.max_shift, seed=config.seed,
                         workers=workers)  # fmt: skip
    valid = TrainingData(store, "valid", config.batch_size, workers=workers)
    steps = config.steps_per_epoch or len(train)
    first_x, first_y = train[0]
    if first_x.shape[1] != spec["seq_length"]:
        raise ValueError(
            f"{store}: the store's sequences are {first_x.shape[1]:,} bp but the spec's "
            f"seq_length is {spec['seq_length']:,}"
        )
    model = build_compiled(spec, config, total_steps=config.epochs * steps)
    n_tracks = len(train.tracks)
    target_rank = len(first_y.shape)
    if len(model.output_shape) != target_rank:
        kinds = {2: "one label per track", 3: "coverage per bin"}
        raise ValueError(
            f"{store}: the store holds {kinds.get(target_rank, target_rank)} but the model "
            f"predicts {kinds.get(len(model.output_shape), model.output_shape)}"
        )
    if model.output_shape[-1] != n_tracks:
        raise ValueError(
            f"{store}: the store has {n_tracks} tracks but the model's head has "
            f"{model.output_shape[-1]}"
        )
    return fit_batches(model, train, valid, run_dir, run_settings(spec, config, store), config,
                       progress=progress, on_change=on_change)  # fmt: skip


def fit_batches(model: keras.Model, train, valid, run_dir: str | Path, settings: dict,
                config: TrainConfig, progress: bool = True,
                on_change: Literal["error", "restart"] = "error") -> tuple[keras.Model, dict]:  # fmt: skip
    """Train a compiled model on batches, with :func:`fit`'s checkpoints, resume, early
    stopping and best weights.

    Parameters
    ----------
    model
        From :func:`build_compiled`.
    train, valid
        ``keras.utils.PyDataset`` batches; ``train`` may have ``set_epoch(epoch)`` (called
        on resume so a resumed run sees the batches it would have seen).
    settings
        JSON-ready description of the run (spec, config, data); a run directory holding
        another is refused or restarted as ``on_change`` says (:func:`claim_run_dir`).

    Returns
    -------
    (keras.Model, dict)
        The model with the best weights and the final state, as :func:`fit`.

    Raises
    ------
    ValueError
        When ``run_dir`` holds another run and ``on_change`` is ``error``.
    """
    run_dir = Path(run_dir)
    claim_run_dir(run_dir, settings, on_change)
    state = load_checkpoint(model, run_dir) or new_state()
    steps = config.steps_per_epoch or len(train)
    if config.epochs > state["epoch"] and not state["stopped_early"]:
        if hasattr(train, "set_epoch"):
            train.set_epoch(state["epoch"])  # a resumed run sees the batches it would have seen
        callbacks: list[keras.callbacks.Callback] = [Checkpointing(run_dir, config.patience, state)]
        if progress:
            callbacks.append(EpochProgress(config.epochs * steps, state["epoch"] * steps))
        model.fit(train, validation_data=valid, epochs=config.epochs,
                  initial_epoch=state["epoch"], steps_per_epoch=config.steps_per_epoch,
                  callbacks=callbacks, verbose=0, shuffle=False)  # fmt: skip
    if (run_dir / BEST).exists():
        model.load_weights(run_dir / BEST)
    return model, state


def run_settings(spec: dict, config: TrainConfig, store: str | Path) -> dict:
    """What identifies a training run: the spec, the config and the store (its resolved
    path, size in bytes and modification time), as JSON-normalised values."""
    status = Path(store).stat()
    return json.loads(json.dumps({
        "spec": spec, "config": asdict(config), "store": str(Path(store).resolve()),
        "store_size": status.st_size, "store_mtime_ns": status.st_mtime_ns,
    }))  # fmt: skip


def claim_run_dir(run_dir: Path, settings: dict, on_change: Literal["error", "restart"]) -> None:
    """Make ``run_dir`` hold the run of ``settings`` (its ``run.json``).

    Raises
    ------
    ValueError
        When ``run_dir`` holds another run and ``on_change`` is ``error``; with ``restart``
        that run is discarded instead.
    """
    run_dir.mkdir(parents=True, exist_ok=True)
    run_file = run_dir / "run.json"
    if run_file.exists() and fingerprint(json.loads(run_file.read_text())) != fingerprint(settings):
        if on_change != "restart":
            raise ValueError(
                f"{run_dir}: holds a run with a different spec, config or store; use another "
                "run_dir, delete it, or pass on_change='restart'"
            )
        discard_run(run_dir)
    write_json(run_file, settings)


def build_compiled(spec: dict, config: TrainConfig, total_steps: int | None = None) -> keras.Model:
    """The model of ``spec``, seeded with ``config.seed``, built under ``config.precision``
    and compiled (:func:`compile_model`; ``total_steps`` for a ``cosine`` schedule).

    Raises
    ------
    ValueError
        For an unknown optimizer, schedule or loss name.
    """
    from ..models import build_model

    keras.utils.set_random_seed(config.seed)
    set_precision(config.precision)
    try:
        return compile_model(build_model(spec), config, total_steps)
    finally:
        set_precision("float32")


def new_state() -> dict:
    """The training state of a run that has not finished an epoch."""
    return {"epoch": 0, "best_val_loss": float("inf"), "best_epoch": 0, "wait": 0,
            "history": [], "stopped_early": False}  # fmt: skip


def discard_run(run_dir: str | Path) -> None:
    """Remove a run's checkpoint, best weights, history and settings (nothing else)."""
    run_dir = Path(run_dir)
    for name in (CHECKPOINT, f"{CHECKPOINT}.new", f"{CHECKPOINT}.old"):
        shutil.rmtree(run_dir / name, ignore_errors=True)
    for name in (BEST, f".{BEST}", "history.tsv", "run.json"):
        (run_dir / name).unlink(missing_ok=True)


def load_trained(run_dir: str | Path, spec: dict | None = None) -> keras.Model:
    """The model of a finished run (its spec from ``run.json`` unless given) with the best
    weights.

    Raises
    ------
    FileNotFoundError
        When the run has no best weights yet.
    """
    from ..models import build_model

    run_dir = Path(run_dir)
    path = run_dir / BEST
    if not path.exists():
        raise FileNotFoundError(f"{path}: no trained weights; train the model first")
    if spec is None:
        spec = json.loads((run_dir / "run.json").read_text())["spec"]
    model = build_model(spec)
    model.load_weights(path)
    return model
