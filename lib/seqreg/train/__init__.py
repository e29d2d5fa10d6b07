"""Training with the Basenji recipe, resumable after a kill (notebooks 02 and 03).

:func:`fit` trains a model built from a spec (:mod:`seqreg.models`) on the windows of a
store (:mod:`seqreg.data`), with a registered loss (:data:`LOSSES`: Poisson,
Poisson-multinomial, binary cross-entropy, masked binary cross-entropy), Adam or SGD with
momentum, linear learning-rate warm-up, gradient-norm clipping, reverse-complement and
shift augmentation, and early stopping on the validation loss. Each finished epoch leaves
a checkpoint directory ``<run_dir>/checkpoint`` (weights, optimizer state, the
early-stopping state and the history) written atomically, so a run that is killed resumes
from its last completed epoch with the same optimizer state. The best weights by
validation loss are kept in ``<run_dir>/best.weights.h5``; the history goes to
``<run_dir>/history.tsv``.

Submodules: :mod:`~seqreg.train.losses`, :mod:`~seqreg.train.checkpoint`,
:mod:`~seqreg.train.fit`, :mod:`~seqreg.train.chromdragonn` (ChromDragoNN's two-stage
training across cell types, notebooks 11 and 12). Prediction with the reverse-complement and shift ensemble is
:func:`seqreg.predict.predict`.
"""

from __future__ import annotations

from . import chromdragonn
from .checkpoint import (
    BEST,
    CHECKPOINT,
    Checkpointing,
    EpochProgress,
    load_checkpoint,
    machine_summary,
    read_history,
    save_checkpoint,
    weights_digest,
    write_history,
)
from .fit import (
    TrainConfig,
    WarmupConstant,
    WarmupCosine,
    build_compiled,
    claim_run_dir,
    compile_model,
    discard_run,
    fit,
    fit_batches,
    load_trained,
    make_optimizer,
    new_state,
    run_settings,
    set_precision,
)
from .losses import (
    LOSSES,
    PoissonMultinomial,
    binary_crossentropy,
    make_loss,
    masked_binary_crossentropy,
    poisson_loss,
)

__all__ = [
    "BEST",
    "CHECKPOINT",
    "LOSSES",
    "Checkpointing",
    "EpochProgress",
    "PoissonMultinomial",
    "TrainConfig",
    "WarmupConstant",
    "WarmupCosine",
    "binary_crossentropy",
    "build_compiled",
    "chromdragonn",
    "claim_run_dir",
    "compile_model",
    "discard_run",
    "fit",
    "fit_batches",
    "load_checkpoint",
    "load_trained",
    "machine_summary",
    "make_loss",
    "make_optimizer",
    "masked_binary_crossentropy",
    "new_state",
    "poisson_loss",
    "read_history",
    "run_settings",
    "save_checkpoint",
    "set_precision",
    "weights_digest",
    "write_history",
]
