"""ChromDragoNN's two-stage training (Nair, Kim, Perricone & Kundaje 2019, Fig. 1).

Stage 1 trains a sequence model (Basset, Factorized Basset or the ResNet,
:mod:`seqreg.models.specs.chromdragonn`) to predict accessibility in every training cell
type at once. Stage 2 predicts one (bin, cell type) pair from the stage-1 sequence embedding,
the cell type's TF expression and, optionally, the bin's mean accessibility over the
training cell types; the convolutions are frozen (then the embeddings are computed once and
only the head trains, :func:`train_head`) or tuned with the head (:func:`train_tuned`).
Both use :func:`seqreg.train.fit_batches`: checkpoints every epoch, resume, early stopping
on the validation loss and the best weights.

Used by notebooks 11 and 12.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import keras
import numpy as np

from ..data.chromdragonn import PairBatches, SequenceBatches
from ..sequence.encode import one_hot_codes
from .fit import TrainConfig, compile_model, fit_batches


def _settings(kind: str, config: TrainConfig, **described) -> dict:
    import json

    return json.loads(
        json.dumps({"kind": kind, "config": asdict(config), **described}, default=str)
    )


def train_stage1(arch: str, scale: str, codes: np.ndarray, labels: np.ndarray,
                 valid_codes: np.ndarray, valid_labels: np.ndarray, run_dir: str | Path,
                 config: TrainConfig, data_id: str = "", progress: bool = True):  # fmt: skip
    """Train (or resume, or load) a stage-1 multi-task model.

    Parameters
    ----------
    arch, scale
        The architecture (``basset``, ``factorized``, ``resnet``) and size preset.
    codes, labels
        ``(n, L)`` uint8 base codes of the training bins' windows and their ``(n, C)`` 0/1
        labels in the ``C`` pre-training cell types.
    valid_codes, valid_labels
        The same for validation bins.
    run_dir
        Checkpoints, best weights and history (a finished run is loaded, not retrained).
    config
        ``loss`` should be ``bce_logits`` (the model outputs logits).
    data_id
        Anything that identifies the data (a changed one refuses to resume, see
        :func:`seqreg.train.claim_run_dir`).

    Returns
    -------
    (keras.Model, dict)
        The model with its best weights, and the training state (``history`` per epoch).
    """
    from ..models.specs.chromdragonn import chromdragonn_stage1_spec

    spec = chromdragonn_stage1_spec(arch, scale, labels.shape[1], codes.shape[1])
    keras.utils.set_random_seed(config.seed)
    model = compile_model(_build(spec), config)
    train = SequenceBatches(codes, labels, config.batch_size, seed=config.seed)
    valid = SequenceBatches(valid_codes, valid_labels, config.batch_size, fixed=True)
    settings = _settings("chromdragonn_stage1", config, spec=spec, data=data_id,
                         n_train=len(codes), n_valid=len(valid_codes))  # fmt: skip
    return fit_batches(model, train, valid, run_dir, settings, config, progress=progress)


def _build(spec):
    from ..models import build_model

    return build_model(spec)


def embed(trunk: keras.Model, codes: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """Sequence embeddings of ``(n, L)`` uint8 base codes, float32 ``(n, E)``."""
    out = []
    for start in range(0, len(codes), batch_size):
        x = one_hot_codes(codes[start : start + batch_size])
        out.append(np.asarray(trunk(x, training=False), dtype=np.float32))
    return (
        np.concatenate(out) if out else np.zeros((0, int(trunk.outputs[0].shape[-1])), np.float32)
    )


def _pair_data(inputs, labels, expression, mean, valid, config, steps, seed):
    train = PairBatches(inputs, labels, expression, mean, config.batch_size, steps,
                        positive_fraction=0.25, seed=seed)  # fmt: skip
    v_inputs, v_labels, v_expression, v_mean = valid
    valid_batches = PairBatches(v_inputs, v_labels, v_expression, v_mean, config.batch_size,
                                max(steps // 4, 1), positive_fraction=None, seed=seed, fixed=True)  # fmt: skip
    return train, valid_batches


def train_head(stage1_model, arch: str, scale: str, embeddings: np.ndarray, labels: np.ndarray,
               expression: np.ndarray, mean: np.ndarray | None, valid: tuple, run_dir: str | Path,
               config: TrainConfig, steps: int, data_id: str = "", progress: bool = True):  # fmt: skip
    """Stage 2 with a frozen trunk: train the head on precomputed embeddings.

    Parameters
    ----------
    stage1_model
        The trained stage-1 model whose trunk computed ``embeddings``.
    embeddings
        ``(n, E)`` embeddings of the training bins.
    labels
        ``(n, C)`` labels of the training bins in the fold's training cell types.
    expression
        ``(C, G)`` TF expression of those cell types.
    mean
        ``(n,)`` mean accessibility over those cell types, or None (a model without it).
    valid
        ``(embeddings, labels, expression, mean)`` of the validation bins and cell types.
    steps
        Batches per epoch (``config.batch_size`` pairs each, one positive for three
        negatives).

    Returns
    -------
    (full_model, trunk, head, state)
        As :func:`seqreg.models.specs.chromdragonn.build_stage2` (frozen), the head with its
        best weights, and the training state.
    """
    from ..models.specs.chromdragonn import build_stage2

    keras.utils.set_random_seed(config.seed)
    full, trunk, head = build_stage2(stage1_model, arch, scale, expression.shape[1],
                                     mean is not None, tune=False)  # fmt: skip
    compile_model(head, config)
    v_emb, v_labels, v_expr, v_mean = valid
    train, valid_batches = _pair_data({"embedding": embeddings}, labels, expression, mean,
                                      ({"embedding": v_emb}, v_labels, v_expr, v_mean), config,
                                      steps, config.seed)  # fmt: skip
    settings = _settings("chromdragonn_head", config, arch=arch, scale=scale, data=data_id,
                         with_mean=mean is not None, steps=steps)  # fmt: skip
    head, state = fit_batches(
        head, train, valid_batches, run_dir, settings, config, progress=progress
    )
    return full, trunk, head, state


def train_tuned(stage1_model, arch: str, scale: str, codes: np.ndarray, labels: np.ndarray,
                expression: np.ndarray, mean: np.ndarray | None, valid: tuple, run_dir: str | Path,
                config: TrainConfig, steps: int, data_id: str = "", progress: bool = True,
                init_head: keras.Model | None = None):  # fmt: skip
    """Stage 2 with the trunk tuned (or, with ``stage1_model=None``, trained from random
    weights: the "without pre-training" control of Fig. 1B).

    As :func:`train_head`, with ``codes`` ``(n, L)`` uint8 windows instead of embeddings
    (``valid`` holds codes too). ``init_head``: a trained head of the same shape (e.g. from
    :func:`train_head`) whose weights start the head, so tuning refines a working model
    rather than passing a random head's gradients into the stage-1 convolutions.
    """
    from ..models.specs.chromdragonn import build_stage2

    keras.utils.set_random_seed(config.seed)
    full, trunk, head = build_stage2(stage1_model, arch, scale, expression.shape[1],
                                     mean is not None, tune=True)  # fmt: skip
    if init_head is not None:
        head.set_weights(init_head.get_weights())
    compile_model(full, config)
    v_codes, v_labels, v_expr, v_mean = valid
    train, valid_batches = _pair_data({"sequence": codes}, labels, expression, mean,
                                      ({"sequence": v_codes}, v_labels, v_expr, v_mean), config,
                                      steps, config.seed)  # fmt: skip
    settings = _settings("chromdragonn_tuned", config, arch=arch, scale=scale, data=data_id,
                         with_mean=mean is not None, steps=steps,
                         pretrained=stage1_model is not None,
                         head_initialised=init_head is not None)  # fmt: skip
    full, state = fit_batches(
        full, train, valid_batches, run_dir, settings, config, progress=progress
    )
    return full, trunk, head, state


def predict_pairs(head: keras.Model, embeddings: np.ndarray, expression: np.ndarray,
                  mean: np.ndarray | None, batch_size: int = 4096) -> np.ndarray:  # fmt: skip
    """Probabilities of every (bin, cell type) pair: ``(n_bins, n_cell_types)`` float32.

    Parameters
    ----------
    head
        A stage-2 head (logit output).
    embeddings
        ``(n_bins, E)`` from the trunk the head was trained with (:func:`embed`).
    expression
        ``(n_cell_types, G)``.
    mean
        ``(n_bins,)`` mean accessibility over the training cell types, when the head takes it.
    """
    n, cells = len(embeddings), len(expression)
    out = np.empty((n, cells), dtype=np.float32)
    for j in range(cells):
        for start in range(0, n, batch_size):
            part = slice(start, start + batch_size)
            inputs = {
                "embedding": embeddings[part],
                "expression": np.repeat(
                    expression[j : j + 1].astype(np.float32), len(embeddings[part]), 0
                ),
            }
            if mean is not None:
                inputs["mean"] = np.asarray(mean[part], np.float32)[:, None]
            logits = np.asarray(head(inputs, training=False), dtype=np.float32)[:, 0]
            out[part, j] = 1.0 / (1.0 + np.exp(-logits))
    return out


def stage_config(scale: str, stage: str, experiment: dict, seed: int = 0) -> TrainConfig:
    """The :class:`TrainConfig` of ``stage``: ``stage1``, ``head``, ``tuned`` (fine-tuning a
    frozen model's head and trunk together) or ``pretrain`` (Fig. 1B's stage 2 from a random
    head, with the stage-2 rate and ``pretrain_epochs``).

    The optimizer, learning rate, batch size and loss come from the ``chromdragonn``
    preset of ``scale`` (its ``stage1`` or ``stage2`` entry; the head's batch size from
    ``experiment["head_batch"]``, since its steps are cheap; ``experiment["<stage>_lr"]``
    overrides the rate); epochs and patience from ``experiment`` (a ``chromdragonn_experiment`` preset). No augmentation (the paper
    trains on the forward strand only) and no warm-up unless the preset sets one.

    Raises
    ------
    ValueError
        For another ``stage``.
    """
    from ..project.scales import preset

    if stage not in ("stage1", "head", "tuned", "pretrain"):
        raise ValueError(f"unknown stage {stage!r}; choose stage1, head, tuned or pretrain")
    base = preset("chromdragonn", scale)["stage1" if stage == "stage1" else "stage2"]
    batch = experiment["head_batch"] if stage == "head" else base["batch_size"]
    rate = experiment.get(f"{stage}_lr", base["learning_rate"])
    return TrainConfig(
        epochs=int(experiment[f"{stage}_epochs"]), batch_size=int(batch),
        optimizer=base.get("optimizer", "adam"), learning_rate=float(rate),
        warmup_steps=int(base.get("warmup_steps", 0)), clipnorm=base.get("clipnorm"),
        loss=base.get("loss", "bce_logits"), patience=int(experiment.get("patience", 3)),
        augment=False, seed=int(seed),
    )  # fmt: skip


__all__ = [
    "embed",
    "load_selected",
    "predict_pairs",
    "save_selected",
    "stage_config",
    "train_head",
    "train_stage1",
    "train_tuned",
]


def save_selected(path: str | Path, info: dict) -> Path:
    """Record which stage-2 model later notebooks use (JSON, written atomically).

    ``info`` needs ``arch``, ``scale``, ``n_stage1_cell_types``, ``n_expression``,
    ``with_mean``, ``tune``, ``stage1_dir`` and ``stage2_dir`` (run directories holding
    ``best.weights.h5``); anything else (fold, cell types, genes) is kept for the reader.

    Raises
    ------
    ValueError
        When ``info`` lacks one of those keys.
    """
    from ..project.files import write_json

    needed = ("arch", "scale", "n_stage1_cell_types", "n_expression", "with_mean", "tune",
              "stage1_dir", "stage2_dir")  # fmt: skip
    missing = [k for k in needed if k not in info]
    if missing:
        raise ValueError(f"save_selected: info lacks {', '.join(missing)}")
    return write_json(path, {k: (str(v) if isinstance(v, Path) else v) for k, v in info.items()})


def load_selected(path: str | Path):
    """The stage-2 model recorded by :func:`save_selected`, with its best weights.

    Returns
    -------
    (full_model, trunk, head, info)

    Raises
    ------
    FileNotFoundError
        When ``path`` or a run's weights are missing (naming the notebook that writes them).
    """
    import json

    from ..models.specs.chromdragonn import build_stage2, chromdragonn_stage1_spec
    from .checkpoint import BEST

    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no selected ChromDragoNN model; run notebook 11 first")
    info = json.loads(path.read_text())
    for key in ("stage1_dir", "stage2_dir"):
        if not (Path(info[key]) / BEST).exists():
            raise FileNotFoundError(f"{Path(info[key]) / BEST}: missing; rerun notebook 11")
    stage1 = _build(
        chromdragonn_stage1_spec(info["arch"], info["scale"], info["n_stage1_cell_types"])
    )
    stage1.load_weights(Path(info["stage1_dir"]) / BEST)
    full, trunk, head = build_stage2(stage1, info["arch"], info["scale"], info["n_expression"],
                                     info["with_mean"], tune=info["tune"])  # fmt: skip
    (full if info["tune"] else head).load_weights(Path(info["stage2_dir"]) / BEST)
    return full, trunk, head, info
