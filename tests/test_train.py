"""Losses, optimisation, resumable training and test-time averaging."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pandas as pd
import pytest
from scipy.stats import poisson

from seqreg import models, predict, train
from seqreg.data import read_store_info
from seqreg.project import Track


# -- losses against hand values --------------------------------------------------------------
def test_poisson_loss_matches_a_hand_value_and_scipy():
    y_true = np.array([[[2.0, 0.0], [1.0, 3.0]]], dtype="float32")
    y_pred = np.array([[[0.5, 1.0], [2.0, 3.0]]], dtype="float32")
    # mean of (p - y log p) over the four cells
    hand = ((0.5 - 2 * np.log(0.5)) + 1.0 + (2.0 - np.log(2.0)) + (3.0 - 3 * np.log(3.0))) / 4
    value = float(np.asarray(train.poisson_loss(y_true, y_pred))[0])
    assert value == pytest.approx(hand, rel=1e-5)
    # the same as scipy's negative log-likelihood once the log(y!) constant is removed
    from scipy.special import gammaln

    nll = -poisson.logpmf(y_true, y_pred) - gammaln(y_true + 1)
    assert value == pytest.approx(nll.mean(), rel=1e-5)


def test_poisson_multinomial_separates_shape_and_total():
    loss = train.PoissonMultinomial(total_weight=0.2)
    y_true = np.array([[[1.0], [3.0]]], dtype="float32")  # 2 bins, total 4
    y_pred = np.array([[[2.0], [2.0]]], dtype="float32")  # right total, flat shape
    multinomial = -(1 * np.log(0.5) + 3 * np.log(0.5))
    poisson_term = 4 - 4 * np.log(4)
    hand = (multinomial + 0.2 * poisson_term) / 2
    assert float(np.asarray(loss(y_true, y_pred))) == pytest.approx(hand, rel=1e-5)
    # the right shape at the right total scores better than the wrong shape
    better = float(np.asarray(loss(y_true, np.array([[[1.0], [3.0]]], dtype="float32"))))
    assert better < hand
    # config round trip (a loss must be serialisable with the model)
    assert train.PoissonMultinomial.from_config(loss.get_config()).total_weight == 0.2


def test_unknown_names_are_rejected():
    with pytest.raises(ValueError, match="poisson_multinomial"):
        train.make_loss("mse")
    with pytest.raises(ValueError, match="adam, sgd or rmsprop"):
        train.make_optimizer(train.TrainConfig(optimizer="adagrad"))


def test_warmup_rises_linearly_then_holds():
    schedule = train.WarmupConstant(1e-3, warmup_steps=10)
    rates = [float(np.asarray(schedule(step))) for step in (0, 4, 9, 10, 500)]
    assert rates == pytest.approx([1e-4, 5e-4, 1e-3, 1e-3, 1e-3])


def test_cosine_schedule_warms_up_then_falls_to_its_floor():
    rate = train.WarmupCosine(1e-3, warmup_steps=10, total_steps=110, final_fraction=0.1)
    values = [float(rate(step)) for step in range(140)]
    assert values[4] == pytest.approx(5e-4)  # step 5 of 10 of the warm-up
    assert values[9] == pytest.approx(1e-3)
    assert values[59] == pytest.approx(1e-3 * (0.1 + 0.9 * 0.5), rel=1e-5)  # half-way down
    assert values[109] == pytest.approx(1e-4) and values[139] == pytest.approx(1e-4)
    assert all(a >= b for a, b in itertools.pairwise(values[9:]))
    with pytest.raises(ValueError, match="total_steps"):
        train.make_optimizer(train.TrainConfig(schedule="cosine"))
    with pytest.raises(ValueError, match="unknown schedule"):
        train.make_optimizer(train.TrainConfig(schedule="linear"))


def test_sgd_with_momentum_and_clipping():
    optimizer = train.make_optimizer(train.TrainConfig(optimizer="sgd", momentum=0.9, clipnorm=1.0))
    assert optimizer.momentum == 0.9 and optimizer.global_clipnorm == 1.0


# -- training, checkpoints and resume --------------------------------------------------------
def smoke_spec(store):
    return models.basenji2_spec("smoke", {"human": len(read_store_info(store)["tracks"])})


CONFIG = dict(epochs=4, batch_size=8, warmup_steps=5, learning_rate=2e-3, patience=10)


class Killed(Exception):
    pass


#: the tests of one uninterrupted run share it, on one xdist worker
shares_a_run = pytest.mark.xdist_group("training_run")


@pytest.fixture(scope="module")
def uninterrupted(smoke_store, tmp_path_factory):
    """One uninterrupted run of CONFIG: ``(model, state, run_dir)``; not to be modified."""
    run_dir = tmp_path_factory.mktemp("uninterrupted")
    model, state = train.fit(smoke_spec(smoke_store), smoke_store, run_dir,
                             train.TrainConfig(**CONFIG), progress=False)  # fmt: skip
    return model, state, run_dir


def predictions(model) -> np.ndarray:
    x = np.eye(4, dtype="float32")[np.random.default_rng(0).integers(0, 4, (2, 4096))]
    return np.asarray(model.predict(x, verbose=0))


@shares_a_run
def test_training_lowers_the_validation_loss_and_writes_its_outputs(uninterrupted):
    _, state, tmp_path = uninterrupted
    losses = [row["val_loss"] for row in state["history"]]
    assert len(losses) == 4 and state["epoch"] == 4
    assert min(losses[1:]) < losses[0]
    assert state["best_val_loss"] == min(losses)
    assert state["best_epoch"] == 1 + int(np.argmin(losses))
    for name in ("best.weights.h5", "history.tsv", "run.json", "checkpoint/state.json"):
        assert (tmp_path / name).exists(), name
    history = train.read_history(tmp_path)
    assert list(history["epoch"]) == [1, 2, 3, 4]


# the last weights are read into a model compiled with a plain Adam, whose variables
# differ from the saved optimizer's; only the model's weights are compared
@pytest.mark.filterwarnings("ignore:Skipping variable loading for optimizer:UserWarning")
def test_returned_model_holds_best_not_last_weights(smoke_store, tmp_path, monkeypatch):
    # validation losses that make epoch 2 the best, whatever training does
    scripted = [1.0, 0.5, 0.8, 0.9]
    original = train.Checkpointing.on_epoch_end

    def scripted_val_loss(self, epoch, logs=None):
        original(self, epoch, {**(logs or {}), "val_loss": scripted[epoch]})

    monkeypatch.setattr(train.Checkpointing, "on_epoch_end", scripted_val_loss)
    spec = smoke_spec(smoke_store)
    model, state = train.fit(spec, smoke_store, tmp_path, train.TrainConfig(**CONFIG),
                             progress=False)  # fmt: skip
    assert state["epoch"] == 4 and state["best_epoch"] == 2 and state["best_val_loss"] == 0.5
    best = models.build_model(spec)
    best.load_weights(tmp_path / train.BEST)
    last = models.build_model(spec)
    last.compile(optimizer="adam", loss="poisson")
    assert train.load_checkpoint(last, tmp_path)["epoch"] == 4
    returned = predictions(model)
    np.testing.assert_allclose(returned, predictions(best), rtol=1e-6)
    # two more epochs of training moved the weights: the last ones predict otherwise
    assert not np.allclose(returned, predictions(last), rtol=1e-3)


@shares_a_run
def test_resume_after_a_kill_continues_from_the_last_completed_epoch(
    smoke_store, tmp_path, monkeypatch, uninterrupted
):
    config = train.TrainConfig(**CONFIG)
    spec = smoke_spec(smoke_store)
    original = train.Checkpointing.on_epoch_end

    def die_after_second_epoch(self, epoch, logs=None):
        original(self, epoch, logs)
        if epoch == 1:
            raise Killed  # as if the process were killed right after the checkpoint

    monkeypatch.setattr(train.Checkpointing, "on_epoch_end", die_after_second_epoch)
    with pytest.raises(Killed):
        train.fit(spec, smoke_store, tmp_path, config, progress=False)
    saved = json.loads((tmp_path / "checkpoint" / "state.json").read_text())
    assert saved["epoch"] == 2
    monkeypatch.setattr(train.Checkpointing, "on_epoch_end", original)

    model, state = train.fit(spec, smoke_store, tmp_path, config, progress=False)
    assert [row["epoch"] for row in state["history"]] == [1, 2, 3, 4]
    # the optimizer resumed too: its step counter counts the batches of all four epochs
    from seqreg.data import TrainingData

    per_epoch = len(TrainingData(smoke_store, "train", config.batch_size))
    assert int(np.asarray(model.optimizer.iterations)) == 4 * per_epoch

    # a finished run is not trained again
    _, again = train.fit(spec, smoke_store, tmp_path, config, progress=False)
    assert again["history"] == state["history"]

    # Resumed from the same weights and optimizer state, seeing the batches an
    # uninterrupted run sees (in its order, with its dropout), it is that run: same
    # training and validation losses epoch by epoch.
    assert_same_run(state, uninterrupted[1])


def assert_same_run(state: dict, reference: dict) -> None:
    for key in ("loss", "val_loss"):
        np.testing.assert_allclose([row[key] for row in state["history"]],
                                   [row[key] for row in reference["history"]], rtol=1e-4,
                                   err_msg=key)  # fmt: skip
    assert state["best_epoch"] == reference["best_epoch"]


@shares_a_run
def test_a_kill_between_the_checkpoint_renames_resumes_from_the_previous_checkpoint(
    smoke_store, tmp_path, monkeypatch, uninterrupted
):
    """save_checkpoint moves the old checkpoint aside, then renames the new one into
    place; a kill between the two leaves only ``checkpoint.old`` (and the staged
    ``checkpoint.new``), from which the run must resume."""
    import pathlib

    config = train.TrainConfig(**CONFIG)
    spec = smoke_spec(smoke_store)
    rename = pathlib.Path.rename
    saves = {"n": 0}

    def killed_in_third_save(self, target):
        if self.name == f"{train.CHECKPOINT}.new":
            saves["n"] += 1
            if saves["n"] == 3:
                raise Killed  # the old checkpoint is already moved aside
        return rename(self, target)

    monkeypatch.setattr(pathlib.Path, "rename", killed_in_third_save)
    with pytest.raises(Killed):
        train.fit(spec, smoke_store, tmp_path, config, progress=False)
    monkeypatch.setattr(pathlib.Path, "rename", rename)
    assert not (tmp_path / train.CHECKPOINT).exists()
    old = json.loads((tmp_path / f"{train.CHECKPOINT}.old" / "state.json").read_text())
    assert old["epoch"] == 2

    trained = []
    original = train.Checkpointing.on_epoch_end

    def record(self, epoch, logs=None):
        trained.append(epoch + 1)
        original(self, epoch, logs)

    monkeypatch.setattr(train.Checkpointing, "on_epoch_end", record)
    model, state = train.fit(spec, smoke_store, tmp_path, config, progress=False)
    assert trained == [3, 4]  # resumed after epoch 2, not started over
    assert [row["epoch"] for row in state["history"]] == [1, 2, 3, 4]
    assert state["history"][:2] == old["history"]
    # the first two epochs are the uninterrupted run's (the resumed ones: see the test above)
    np.testing.assert_allclose([row["val_loss"] for row in state["history"][:2]],
                               [row["val_loss"] for row in uninterrupted[1]["history"][:2]],
                               rtol=1e-5)  # fmt: skip
    from seqreg.data import TrainingData

    per_epoch = len(TrainingData(smoke_store, "train", config.batch_size))
    assert int(np.asarray(model.optimizer.iterations)) == 4 * per_epoch
    assert (tmp_path / train.CHECKPOINT).exists()
    assert not (tmp_path / f"{train.CHECKPOINT}.old").exists()


def test_a_run_directory_refuses_a_different_config(smoke_store, tmp_path):
    spec = smoke_spec(smoke_store)
    train.fit(spec, smoke_store, tmp_path, train.TrainConfig(**{**CONFIG, "epochs": 1}),
              progress=False)  # fmt: skip
    with pytest.raises(ValueError, match="different spec, config or store"):
        train.fit(spec, smoke_store, tmp_path, train.TrainConfig(**{**CONFIG, "epochs": 2}),
                  progress=False)  # fmt: skip
    # a notebook rerun with new parameters starts over
    _, state = train.fit(spec, smoke_store, tmp_path, train.TrainConfig(**{**CONFIG, "epochs": 2}),
                         progress=False, on_change="restart")  # fmt: skip
    assert [row["epoch"] for row in state["history"]] == [1, 2]
    assert json.loads((tmp_path / "run.json").read_text())["config"]["epochs"] == 2


def test_a_missing_store_is_named(tmp_path):
    from seqreg.project import InputFileError

    with pytest.raises(InputFileError, match="notebook 01"):
        train.fit(models.basenji2_spec("smoke", {"h": 1}),
                  tmp_path / "store.h5", tmp_path / "run")  # fmt: skip
    assert not (tmp_path / "run").exists()  # nothing written


def test_track_count_mismatch_names_the_store(smoke_store, tmp_path):
    spec = models.basenji2_spec("smoke", {"human": 3})
    with pytest.raises(ValueError, match=r"store\.h5"):
        train.fit(spec, smoke_store, tmp_path, train.TrainConfig(**CONFIG), progress=False)


# -- test-time averaging ---------------------------------------------------------------------
def test_reverse_complement_averaging_is_strand_equivariant():
    """With RC averaging, predicting the reverse complement gives the flipped prediction
    with plus and minus tracks exchanged, exactly (a property of the average, whatever the
    weights)."""
    import keras

    keras.utils.set_random_seed(3)
    spec = models.basenji2_spec("smoke", {"human": 3})
    model = models.build_model(spec)
    swap = np.array([1, 0, 2])  # tracks 0 and 1 are a stranded pair, track 2 unstranded
    rng = np.random.default_rng(0)
    x = np.eye(4, dtype="float32")[rng.integers(0, 4, (2, 4096))]
    forward = predict.predict(model, x, swap, reverse_complement=True)
    reverse = predict.predict(model, x[:, ::-1, ::-1], swap, reverse_complement=True)
    np.testing.assert_allclose(reverse, forward[:, ::-1][:, :, swap], rtol=1e-4, atol=1e-6)
    # without averaging the network alone is not equivariant
    plain = predict.predict(model, x, swap)
    plain_reverse = predict.predict(model, x[:, ::-1, ::-1], swap)
    assert not np.allclose(plain_reverse, plain[:, ::-1][:, :, swap], rtol=1e-3)


def test_shift_averaging_is_the_mean_of_shifted_passes():
    import keras

    keras.utils.set_random_seed(4)
    model = models.build_model(models.basenji2_spec("smoke", {"human": 2}))
    rng = np.random.default_rng(1)
    x = np.eye(4, dtype="float32")[rng.integers(0, 4, (2, 4096))]
    from seqreg.sequence import shift_sequences

    passes = [model.predict(shift_sequences(x, np.full(2, s)), verbose=0) for s in (-2, 0, 2)]
    averaged = predict.predict(model, x, shifts=(-2, 0, 2))
    np.testing.assert_allclose(averaged, np.mean(passes, axis=0), rtol=1e-5)


def test_mixed_precision_trains_with_float32_outputs(smoke_store, tmp_path):
    config = train.TrainConfig(**{**CONFIG, "epochs": 1, "steps_per_epoch": 2},
                               precision="mixed_bfloat16")  # fmt: skip
    model, state = train.fit(smoke_spec(smoke_store), smoke_store, tmp_path, config, progress=False)
    assert np.isfinite(state["history"][0]["val_loss"])
    assert any(layer.dtype_policy.compute_dtype == "bfloat16" for layer in model.layers)
    assert model.output.dtype == "float32"  # heads stay in float32 for the Poisson loss
    import keras

    assert keras.config.dtype_policy().name == "float32"  # the global policy is restored


# -- repeatability across machines -------------------------------------------------------
def test_fix_threads_sets_tensorflow_thread_counts(monkeypatch):
    from seqreg.project import THREADS, fix_threads

    names = ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS", "SEQREG_THREADS")
    for name in names:  # setenv first, so that teardown restores what fix_threads changes
        monkeypatch.setenv(name, "1")
        monkeypatch.delenv(name)
    assert fix_threads() == THREADS == 2
    monkeypatch.delenv("TF_NUM_INTRAOP_THREADS")
    monkeypatch.delenv("TF_NUM_INTEROP_THREADS")
    monkeypatch.setenv("SEQREG_THREADS", "3")
    assert fix_threads() == 3
    monkeypatch.setenv("SEQREG_THREADS", "8")
    assert fix_threads() == 3  # a thread count already set is left alone
    monkeypatch.setenv("SEQREG_THREADS", "two")
    with pytest.raises(ValueError, match="SEQREG_THREADS"):
        fix_threads()


def test_fixed_threads_train_the_same_weights_on_one_core_as_on_two():
    """A one-core machine (taskset) trains bitwise the weights of a two-core one once the
    thread count is fixed; without it, TensorFlow takes one thread there."""
    import os
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    if not shutil.which("taskset") or len(os.sched_getaffinity(0)) < 2:
        pytest.skip("needs taskset and two cores")
    probe = str(Path(__file__).parent / "support" / "threads_probe.py")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TF_NUM_", "SEQREG_THREADS"))}
    env["TF_CPP_MIN_LOG_LEVEL"] = "3"

    def digest(*prefix, pin):
        command = [*prefix, sys.executable, probe, *(["pin"] if pin else [])]
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
        return done.stdout.strip().splitlines()[-1]

    two_cores = digest(pin=True)
    assert digest("taskset", "-c", "0", pin=True) == two_cores
    if digest("taskset", "-c", "0", pin=False) == two_cores:
        pytest.skip("this CPU gives the same sums with one thread and two; nothing to tell apart")


# -- binary labels of short subsequences (the Basset/DeepSEA benchmark, notebook 04) -----------
@pytest.fixture(scope="module")
def gc_label_store(smoke_store, tmp_path_factory):
    """Subsequences of the smoke store labelled by a learnable rule: label k is 1 when the
    centre's GC fraction exceeds the k-th quantile."""
    from seqreg import data
    from seqreg.data import load_split

    info = read_store_info(smoke_store)
    spec = info["spec"]
    windows = pd.concat([load_split(smoke_store, s)[2].assign(split=s) for s in data.SPLITS])
    windows = windows.sort_values("row").reset_index(drop=True)
    subsequences = data.subsequence_table(
        windows, spec["seq_length"], spec["crop_bp"], length=512, centre=128
    )
    codes = load_split(smoke_store, "train")[0]  # only to check the copy below
    import h5py

    with h5py.File(smoke_store, "r") as h5:
        sequences = h5["sequences"][:]
    centre = np.stack([
        sequences[r, o + 192 : o + 320] for r, o in zip(subsequences["row"], subsequences["offset"], strict=True)
    ])  # fmt: skip
    gc = np.isin(centre, (1, 2)).mean(axis=1)
    labels = np.stack([gc > np.quantile(gc, q) for q in (0.5, 0.8)], axis=1).astype(np.uint8)
    tracks = [
        Track.from_record({"id": "gc50", "assay": "DNase"}),
        Track.from_record({"id": "gc80", "assay": "DNase"}),
    ]
    path = tmp_path_factory.mktemp("labels") / "labels.h5"
    data.build_label_store(smoke_store, path, subsequences, labels, tracks)
    assert len(codes)
    return path, subsequences, labels, sequences


def test_label_store_holds_the_subsequences_of_the_source_windows(gc_label_store):
    from seqreg.data import load_split

    path, subsequences, labels, sequences = gc_label_store
    codes, targets, table = load_split(path, "valid")
    rows = np.flatnonzero(subsequences["split"] == "valid")
    first = subsequences.iloc[rows[0]]
    np.testing.assert_array_equal(
        codes[0], sequences[first["row"], first["offset"] : first["offset"] + 512]
    )
    np.testing.assert_array_equal(targets, labels[rows])
    assert (table["end"] - table["start"] == 512).all()


def test_label_store_refuses_labels_of_another_shape_or_value(
    gc_label_store, smoke_store, tmp_path
):
    from seqreg import data

    _, subsequences, labels, _ = gc_label_store
    tracks = [Track.from_record({"id": "a", "assay": "DNase"})]
    with pytest.raises(ValueError, match="one row per subsequence"):
        data.build_label_store(smoke_store, tmp_path / "x.h5", subsequences, labels, tracks)
    bad = labels[:, :1] * 2
    with pytest.raises(ValueError, match="0 or 1"):
        data.build_label_store(smoke_store, tmp_path / "x.h5", subsequences, bad, tracks)
    assert not (tmp_path / "x.h5").exists()


def test_a_binary_classifier_learns_labels_from_a_label_store(gc_label_store, tmp_path):
    from sklearn.metrics import roc_auc_score

    from seqreg.data import load_split
    from seqreg.sequence.encode import one_hot_codes

    path = gc_label_store[0]
    spec = models.PEAK_ARCHITECTURES["basset"]("smoke", 2, seq_length=512)
    config = train.TrainConfig(
        epochs=4, batch_size=32, loss="bce", learning_rate=3e-3, warmup_steps=0
    )
    model, _ = train.fit(spec, path, tmp_path, config, progress=False)
    codes, labels, _ = load_split(path, "test")
    p = predict.predict(model, one_hot_codes(codes), reverse_complement=True)
    assert p.shape == labels.shape
    # GC content of the centre is easy to learn: AUROC 0.5 means nothing was
    assert roc_auc_score(labels[:, 0], p[:, 0]) > 0.75


def test_a_coverage_model_refuses_a_label_store(gc_label_store, tmp_path):
    path = gc_label_store[0]
    spec = models.basenji2_spec("smoke", {"human": 2})
    with pytest.raises(ValueError, match="sequences are 512 bp but the spec's seq_length is 4,096"):
        train.fit(spec, path, tmp_path, train.TrainConfig(epochs=1, loss="bce"), progress=False)
    spec["seq_length"] = 512
    spec["trunk"] = [b for b in spec["trunk"] if b["name"] != "cropping"]
    with pytest.raises(ValueError, match="one label per track"):
        train.fit(spec, path, tmp_path, train.TrainConfig(epochs=1, loss="bce"), progress=False)


def test_reverse_complement_of_labels_swaps_stranded_pairs_only():
    from seqreg.data import reverse_complement_batch

    onehot = np.eye(4, dtype=np.float32)[[0, 1, 2, 3, 3]][None]
    labels = np.array([[1.0, 0.0, 1.0]])
    rc, flipped = reverse_complement_batch(onehot, labels, np.array([0, 2, 1]))
    np.testing.assert_array_equal(flipped, [[1.0, 1.0, 0.0]])
    np.testing.assert_array_equal(rc[0].argmax(axis=1), [0, 0, 1, 2, 3])


def test_rmsprop_is_an_optimizer_choice():
    optimizer = train.make_optimizer(
        train.TrainConfig(optimizer="rmsprop", rho=0.98, warmup_steps=0)
    )
    assert type(optimizer).__name__ == "RMSprop" and float(optimizer.rho) == pytest.approx(0.98)
    with pytest.raises(ValueError, match="adam, sgd or rmsprop"):
        train.make_optimizer(train.TrainConfig(optimizer="adagrad"))
