"""ChromDragoNN (Nair, Kim, Perricone & Kundaje 2019, Bioinformatics 35:i108) as specs: the
two-stage model of accessibility in cell types never trained on.

Stage 1 learns a sequence embedding by multi-task classification: a convolutional trunk
reads a 1,000-bp one-hot sequence, is flattened into the embedding and feeds two dense
layers and one logit per training cell type (:func:`chromdragonn_stage1_spec`; three
trunks, :data:`CHROMDRAGONN_ARCHITECTURES`). Stage 2 predicts the accessibility of the
sequence in one cell type from the embedding joined by that cell type's TF expression
(and, optionally, the bin's mean accessibility over the training cell types), with the
stage-1 trunk frozen or tuned (:func:`build_stage2`).

Sizes per scale are in :mod:`seqreg.project.scales` (``chromdragonn``): the filters of each
convolution in order; kernel widths and pooling are the published ones at every scale.
Source: ``model_zoo/stage1/{vanilla,factorized,resnet}.py`` and ``model_zoo/stage2/
simple.py`` of kundajelab/ChromDragoNN. Used by notebooks 11 and 12.
"""

from __future__ import annotations

import math
from typing import Any

from ...project.scales import preset

#: the three stage-1 trunks of ChromDragoNN: Basset ("vanilla"), Factorized Basset, ResNet
CHROMDRAGONN_ARCHITECTURES = ("basset", "factorized", "resnet")

#: max pooling of every trunk, in order (1000 -> 334 -> 84 -> 21 positions)
POOLS = (3, 4, 4)
BASSET_KERNELS = (19, 11, 7)
FACTORIZED_KERNELS = (3, 3, 3, 7, 7, 7, 3, 3, 7)
FACTORIZED_POOLS = (1, 1, 1, 1, 3, 1, 1, 4, 4)
#: preset widths per architecture: one per conv (basset, factorized); resnet: the stem's
#: two convs, the convs opening residual groups 2 and 3, and the last conv
WIDTHS = {"basset": 3, "factorized": 9, "resnet": 5}
#: the head of stage 1 and stage 2 (one logit per cell type; the loss takes logits)
HEAD = "accessibility"


def _check_architecture(arch: str) -> None:
    if arch not in CHROMDRAGONN_ARCHITECTURES:
        raise ValueError(
            f"unknown ChromDragoNN architecture {arch!r}; choose one of "
            f"{', '.join(CHROMDRAGONN_ARCHITECTURES)}"
        )


def _widths(arch: str, scale: str) -> tuple[dict[str, Any], list[int]]:
    _check_architecture(arch)
    s = preset("chromdragonn", scale)
    widths = [int(w) for w in s[arch]]
    if len(widths) != WIDTHS[arch]:
        raise ValueError(
            f"chromdragonn preset {scale!r}: {arch} needs {WIDTHS[arch]} widths, not {len(widths)}"
        )
    return s, widths


def _lengths(seq_length: int) -> list[int]:
    lengths = [int(seq_length)]
    for pool in POOLS:
        lengths.append(math.ceil(lengths[-1] / pool))
    return lengths[1:]


def chromdragonn_trunk(arch: str, scale: str) -> list[dict[str, Any]]:
    """The stage-1 trunk of ``arch``: convolutions ending with a ``flatten`` (the sequence
    embedding).

    Every convolution is same-padded, without bias, followed by batch norm and ReLU
    (``conv_block`` with ``pre_activation`` False); max pooling is in ceil mode. The
    entries carry these settings themselves, so they build the same in any spec. Widths
    below are ``paper``'s (``smoke`` and ``demo`` change the widths only):

    - ``basset`` (ChromDragoNN's "vanilla" Basset): 300 filters of width 19, pool 3; 200
      of width 11, pool 4; 200 of width 7, pool 4.
    - ``factorized`` (Factorized Basset): 48, 64, 100 filters of width 3, 150 and 300 of
      width 7, pool 3; 200 of width 7, 200 and 200 of width 3, pool 4; 200 of width 7,
      pool 4.
    - ``resnet``: 48 then 64 filters of width 3; two residual blocks of 64 (widths 3, 3;
      block ``residual_conv``); 128 of width 3; two residual blocks of 128 (7, 7), pool 3;
      200 of width 1; two residual blocks of 200 (7, 3, 3), pool 4; two residual blocks of
      200 (7, 7); 200 of width 7, pool 4.

    A 1,000-bp input gives 1000 -> 334 -> 84 -> 21 positions and a 200 x 21 = 4,200-wide
    embedding for all three at ``paper``. The authors' ResNet pads its width-1 convolution
    by 3 and its last convolution by 4 (Torch padding on both ends), which lengthens the
    sequence to 339 and then 86 positions before flooring pools; with same padding and
    ceil-mode pooling, as here, the lengths are those of the two Bassets, and so is the
    embedding (4,200, the authors' ``fc1`` input).

    Parameters
    ----------
    arch
        One of :data:`CHROMDRAGONN_ARCHITECTURES`.
    scale
        ``smoke``, ``demo`` or ``paper``.

    Raises
    ------
    ValueError
        For an unknown architecture or scale.
    """
    s, w = _widths(arch, scale)
    momentum = s["bn_momentum"]

    def conv(filters: int, kernel_size: int, pool_size: int = 1) -> dict[str, Any]:
        return {"name": "conv_block", "filters": filters, "kernel_size": kernel_size,
                "pool_size": pool_size, "pre_activation": False, "activation": "relu",
                "bn_momentum": momentum}  # fmt: skip

    def residual(filters: int, kernel_sizes: list[int], pool_size: int = 1) -> dict[str, Any]:
        return {"name": "residual_conv", "filters": filters, "kernel_sizes": list(kernel_sizes),
                "pool_size": pool_size, "activation": "relu", "bn_momentum": momentum}  # fmt: skip

    if arch == "basset":
        trunk = [conv(n, k, p) for n, k, p in zip(w, BASSET_KERNELS, POOLS, strict=True)]
    elif arch == "factorized":
        trunk = [
            conv(n, k, p) for n, k, p in zip(w, FACTORIZED_KERNELS, FACTORIZED_POOLS, strict=True)
        ]
    else:
        stem, first, second, third, last = w
        trunk = [
            conv(stem, 3),
            conv(first, 3),
            residual(first, [3, 3]),
            residual(first, [3, 3]),
            conv(second, 3),
            residual(second, [7, 7]),
            residual(second, [7, 7], pool_size=POOLS[0]),
            conv(third, 1),
            residual(third, [7, 3, 3]),
            residual(third, [7, 3, 3], pool_size=POOLS[1]),
            residual(third, [7, 7]),
            residual(third, [7, 7]),
            conv(last, 7, pool_size=POOLS[2]),
        ]
    return [*trunk, {"name": "flatten"}]


def embedding_width(arch: str, scale: str, seq_length: int = 1000) -> int:
    """Width of the sequence embedding (the flattened trunk) of ``arch`` at ``scale``: the
    last convolution's filters times the positions left after pooling by 3, 4 and 4 in
    ceil mode (21 for 1,000 bp; 4,200 at ``paper`` for all three architectures).

    Raises
    ------
    ValueError
        For an unknown architecture or scale, or a non-positive ``seq_length``.
    """
    if int(seq_length) < 1:
        raise ValueError(f"chromdragonn: seq_length ({seq_length}) must be positive")
    _, w = _widths(arch, scale)
    return int(w[-1] * _lengths(seq_length)[-1])


def chromdragonn_stage1_spec(
    arch: str, scale: str, n_cell_types: int, seq_length: int = 1000
) -> dict[str, Any]:
    """ChromDragoNN's stage 1: trunk ``arch`` (:func:`chromdragonn_trunk`), two dense layers
    (dense -> batch norm -> ReLU -> dropout 0.3; 1000 units at ``paper``) and a ``logits``
    head ``accessibility`` of one logit per training cell type.

    Multi-task accessibility: train with ``loss="bce_logits"`` (binary cross-entropy on
    the logits, :data:`seqreg.train.LOSSES`); the paper used Adam with learning rate 0.002
    and batches of 256 (the ``stage1`` settings of the ``chromdragonn`` preset).

    Parameters
    ----------
    arch
        One of :data:`CHROMDRAGONN_ARCHITECTURES`.
    scale
        ``smoke``, ``demo`` or ``paper``.
    n_cell_types
        Training cell types (outputs).
    seq_length
        Input length in bases (1,000 in the paper).

    Raises
    ------
    ValueError
        For an unknown architecture or scale, or a non-positive ``n_cell_types`` or
        ``seq_length``.
    """
    if int(seq_length) < 1 or int(n_cell_types) < 1:
        raise ValueError(
            f"chromdragonn: seq_length ({seq_length}) and n_cell_types ({n_cell_types}) "
            "must be positive"
        )
    s, _ = _widths(arch, scale)
    dense = {"name": "dense", "units": int(s["dense"]), "dropout": float(s["dropout"]),
             "activation": "relu", "bn_momentum": s["bn_momentum"]}  # fmt: skip
    return {
        "name": f"chromdragonn_{arch}_{scale}",
        "seq_length": int(seq_length),
        "trunk": [*chromdragonn_trunk(arch, scale), dict(dense), dict(dense)],
        "heads": {HEAD: {"type": "logits", "units": int(n_cell_types)}},
    }


def build_stage2_head(
    arch: str, scale: str, embedding_width: int, n_expression: int, with_mean: bool
):
    """ChromDragoNN's stage-2 head alone, as a Keras model of named inputs.

    Inputs (a dict): ``embedding`` ``(batch, embedding_width)``, ``expression``
    ``(batch, n_expression)`` (the cell type's TF expression; 1,630 TFs in the paper) and,
    when ``with_mean``, ``mean`` ``(batch, 1)`` (the bin's mean accessibility over the
    training cell types). Layers: embedding and expression concatenated -> dense (batch
    norm, ReLU, dropout; 1000 units and 0.3 at ``paper``) -> ``mean`` concatenated ->
    dense (the same) -> one logit (``(batch, 1)``, layer ``head_accessibility``).

    The mean joins after the first dense layer, as the task this follows describes it;
    the authors' ``model_zoo/stage2/simple.py`` concatenates it with the embedding and
    expression at the input instead.

    This is a function rather than a spec: :func:`seqreg.models.build_model` builds a trunk
    from a one-hot ``sequence`` input, and this head has none (its input is the embedding).
    It uses the same blocks as specs (``concat``, ``dense``) and the same head builder.
    Trained on its own (on embeddings computed once by a frozen trunk) or inside the model
    of :func:`build_stage2`.

    Parameters
    ----------
    arch
        One of :data:`CHROMDRAGONN_ARCHITECTURES` (names the model).
    scale
        ``smoke``, ``demo`` or ``paper`` (dense width, dropout, batch-norm momentum).
    embedding_width
        Width of the sequence embedding (:func:`embedding_width`).
    n_expression
        Genes in the expression vector.
    with_mean
        Whether the model takes the ``mean`` input.

    Raises
    ------
    ValueError
        For an unknown architecture or scale, or a non-positive width.
    """
    import keras

    from ..blocks import concat, dense
    from ..heads import build_head, normalise_head
    from ..inputs import input_shape

    if int(embedding_width) < 1 or int(n_expression) < 1:
        raise ValueError(
            f"chromdragonn head: embedding_width ({embedding_width}) and n_expression "
            f"({n_expression}) must be positive"
        )
    s, _ = _widths(arch, scale)
    entries = [
        {"name": "embedding", "type": "vector", "size": int(embedding_width)},
        {"name": "expression", "type": "vector", "size": int(n_expression)},
    ]
    if with_mean:
        entries.append({"name": "mean", "type": "scalar"})
    named = {e["name"]: keras.Input(input_shape(e, 0), name=e["name"]) for e in entries}
    settings = {"units": int(s["dense"]), "dropout": float(s["dropout"]),
                "bn_momentum": s["bn_momentum"]}  # fmt: skip
    x = concat(named["embedding"], others=[named["expression"]], inputs=["expression"])
    x = dense(x, **settings)
    if with_mean:
        x = concat(x, others=[named["mean"]], inputs=["mean"])
    x = dense(x, **settings)
    out = build_head(x, HEAD, normalise_head(HEAD, {"type": "logits", "units": 1}), 0)
    return keras.Model(named, out, name=f"chromdragonn_{arch}_{scale}_head")


def build_stage2(stage1_model, arch: str, scale: str, n_expression: int, with_mean: bool,
                 tune: bool, seq_length: int | None = None):  # fmt: skip
    """ChromDragoNN's stage 2 on the trunk of a trained stage-1 model.

    The trunk is a copy of ``stage1_model``'s convolutional layers (the same structure,
    rebuilt from :func:`chromdragonn_stage1_spec`, with every weight, batch-norm statistics
    included, copied from ``stage1_model``): training or freezing it never touches
    ``stage1_model``, and several stage-2 models can start from one stage-1 model.

    Parameters
    ----------
    stage1_model
        A model built from ``chromdragonn_stage1_spec(arch, scale, ...)`` (trained), or
        None for a trunk with random weights (the "without pre-training" control of
        ChromDragoNN Fig. 1B).
    arch, scale
        The stage-1 model's architecture and scale.
    n_expression
        Genes in the expression vector.
    with_mean
        Whether the models take the ``mean`` input (:func:`build_stage2_head`).
    tune
        False: the trunk is frozen (``trainable`` False, so a model compiled afterwards
        leaves its weights alone, and ``full_model`` calls it in inference mode, so its
        batch norms keep their statistics, even if it is made trainable later: build a
        tuned model with ``tune=True`` instead); True: it is trained with the head.
        Compile after this call; a model compiled before ``trainable`` changes must be
        compiled again.
    seq_length
        Input length when ``stage1_model`` is None (default 1,000); otherwise read from
        the model and, if given, checked against it.

    Returns
    -------
    tuple
        ``(full_model, trunk_model, head_model)``. ``trunk_model``: one-hot
        ``(batch, seq_length, 4)`` -> embedding ``(batch, embedding_width)``.
        ``head_model``: ``{"embedding", "expression"[, "mean"]}`` -> one logit
        ``(batch, 1)``. ``full_model``: ``{"sequence", "expression"[, "mean"]}`` -> one
        logit, the head applied to the trunk's embedding (the two share their layers with
        it, so training ``full_model`` trains them).

    Raises
    ------
    ValueError
        For an unknown architecture or scale, or a ``stage1_model`` whose weights or input
        length do not fit ``arch`` and ``scale``.
    """
    import keras

    from ..build import build_model

    if stage1_model is None:
        length = int(seq_length or 1000)
        source = build_model(chromdragonn_stage1_spec(arch, scale, 1, length))
    else:
        length = int(stage1_model.inputs[0].shape[1])
        if seq_length is not None and int(seq_length) != length:
            raise ValueError(
                f"build_stage2: seq_length {seq_length} differs from the stage-1 model's "
                f"input length {length}"
            )
        n_cell_types = int(stage1_model.outputs[0].shape[-1])
        source = build_model(chromdragonn_stage1_spec(arch, scale, n_cell_types, length))
        theirs = stage1_model.get_weights()
        shapes = [tuple(v.shape) for v in source.weights]
        if len(theirs) != len(shapes) or any(
            tuple(w.shape) != shape for w, shape in zip(theirs, shapes, strict=False)
        ):
            raise ValueError(
                f"build_stage2: the stage-1 model {stage1_model.name!r} is not a ChromDragoNN "
                f"{arch} model at scale {scale!r} (its weights do not fit)"
            )
        source.set_weights(theirs)
    flattens = [layer for layer in source.layers if isinstance(layer, keras.layers.Flatten)]
    prefix = f"chromdragonn_{arch}_{scale}"
    trunk = keras.Model(source.inputs[0], flattens[-1].output, name=f"{prefix}_trunk")
    trunk.trainable = bool(tune)
    head = build_stage2_head(arch, scale, int(trunk.outputs[0].shape[-1]), n_expression,
                             with_mean)  # fmt: skip
    named = {
        "sequence": keras.Input((length, 4), name="sequence"),
        "expression": keras.Input((int(n_expression),), name="expression"),
    }
    if with_mean:
        named["mean"] = keras.Input((1,), name="mean")
    # a frozen trunk runs in inference mode whatever the training flag of the caller
    embedding = trunk(named["sequence"]) if tune else trunk(named["sequence"], training=False)
    parts = {"embedding": embedding, **{k: v for k, v in named.items() if k != "sequence"}}
    full = keras.Model(named, head(parts), name=f"{prefix}_stage2")
    return full, trunk, head
