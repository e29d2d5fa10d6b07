"""Saliency, the saliency-annotation test, in-silico mutagenesis and TOMTOM matching."""

from __future__ import annotations

import os
import subprocess
import sys

import keras
import numpy as np
import pandas as pd
import pytest

from seqreg import interpret, models, predict
from seqreg.project import InputFileError
from seqreg.sequence import Motif, load_jaspar
from support.random_models import random_model

SWAP = np.array([0, 2, 1])


@pytest.fixture(scope="module")
def model():
    return random_model()


def random_onehot(n: int, length: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.eye(4, dtype="float32")[rng.integers(0, 4, (n, length))]


# -- saliency ------------------------------------------------------------------------------


def test_saliency_layer_is_the_end_of_the_convolution_tower(model):
    layer = interpret.representation_layer(model)
    assert isinstance(layer, keras.layers.MaxPooling1D)
    assert layer.output.shape[1] == model.inputs[0].shape[1] // 128  # 128-bp bins
    # the layers after it are the dilated residual blocks
    later = model.layers[model.layers.index(layer) + 1 :]
    assert any(getattr(x, "dilation_rate", (1,))[0] > 1 for x in later)
    split = interpret.split_at(model)
    local = interpret.split_local(model)  # the edit engine's cut: the same layer here
    assert (split.jump, split.left, split.right) == (local.jump, local.left, local.right)
    bins = interpret.bin_table(
        pd.DataFrame(
            {"chrom": ["chr1"], "start": [1000], "end": [1000 + model.inputs[0].shape[1]]}
        ),
        np.zeros((1, model.inputs[0].shape[1] // 128)),
    )
    spans = split.input_spans(bins)
    assert (
        spans["start"].iloc[1] == 1128 - local.left
        and spans["end"].iloc[1] == 1128 + local.right + 1
    )
    with pytest.raises(ValueError, match="no layer 'nope'"):
        interpret.representation_layer(model, "nope")


@pytest.mark.parametrize("builder", ["basenji2", "basenji2018"])
def test_saliency_equals_finite_differences(model, builder):
    """Saliency of bin b = d/de f(h + e * h * 1[b]) at e = 0, for f the prediction summed over
    the chosen bins and tracks: central differences in float64 arithmetic of float32 passes."""
    if builder == "basenji2018":
        model = random_model(models.basenji2018_spec)
    onehot = random_onehot(2, model.inputs[0].shape[1])
    tracks, out_bins = [1, 2], [3, 4, 5]
    scores = interpret.saliency(model, onehot, tracks=tracks, bins=out_bins, batch_size=2)
    assert scores.shape == (2, onehot.shape[1] // 128)
    split = interpret.split_at(model)
    h = np.asarray(split.encoder.predict_on_batch(onehot), dtype="float32")

    def f(hh):
        y = np.asarray(split.rest.predict_on_batch(hh), dtype=np.float64)
        return y[:, out_bins][:, :, tracks].sum(axis=(1, 2))

    step = 1e-2
    rng = np.random.default_rng(1)
    for b in rng.choice(h.shape[1], 6, replace=False):
        bump = np.zeros_like(h)
        bump[:, b] = h[:, b] * step
        numeric = (f(h + bump) - f(h - bump)) / (2 * step)
        np.testing.assert_allclose(
            scores[:, b], numeric, rtol=2e-2, atol=2e-3 * np.abs(scores).max()
        )
    # base codes give the same scores as one-hot input
    codes = onehot.argmax(-1)
    np.testing.assert_allclose(
        interpret.saliency(model, codes, tracks=tracks, bins=out_bins, batch_size=2),
        scores,
        rtol=1e-5,
        atol=1e-7,
    )


def test_saliency_checks_its_inputs(model):
    onehot = random_onehot(1, model.inputs[0].shape[1])
    with pytest.raises(ValueError, match="windows must be"):
        interpret.saliency(model, onehot[:, :100])
    with pytest.raises(ValueError, match="tracks must lie"):
        interpret.saliency(model, onehot, tracks=[7])
    with pytest.raises(ValueError, match="output bins must lie"):
        interpret.saliency(model, onehot, bins=[10_000])


JAX_SCRIPT = r"""
import json, sys
import numpy as np
sys.path.insert(0, sys.argv[1])
from support.random_models import random_model
from seqreg import interpret
model = random_model()
model.load_weights(sys.argv[3])  # the TensorFlow model's weights (initialisers differ by backend)
onehot = np.eye(4, dtype="float32")[np.random.default_rng(0).integers(0, 4, (2, model.inputs[0].shape[1]))]
scores = interpret.saliency(model, onehot, tracks=[1, 2], bins=[3, 4, 5], batch_size=2)
np.save(sys.argv[2], scores)
"""


def test_saliency_on_the_jax_backend_matches_tensorflow(model, tmp_path):
    onehot = random_onehot(2, model.inputs[0].shape[1])
    expected = interpret.saliency(model, onehot, tracks=[1, 2], bins=[3, 4, 5], batch_size=2)
    tests_dir = os.path.dirname(__file__)
    model.save_weights(tmp_path / "model.weights.h5")
    result = subprocess.run(
        [sys.executable, "-c", JAX_SCRIPT, tests_dir, str(tmp_path / "jax.npy"),
         str(tmp_path / "model.weights.h5")],
        env={**os.environ, "KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu"},
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    np.testing.assert_allclose(np.load(tmp_path / "jax.npy"), expected, rtol=1e-3, atol=1e-4)


# -- the annotation test -------------------------------------------------------------------


def score_genome(seed: int, shift: float):
    """Ten 12.8-kb windows of 100 bins with N(0, 1) saliency; 40 elements of 300 bp, at
    random offsets within their first bin (as real elements fall, so they overlap 3 or 4
    bins like the shuffled copies), whose bins get ``shift`` added."""
    rng = np.random.default_rng(seed)
    windows = pd.DataFrame(
        {"chrom": ["chr1"] * 5 + ["chr2"] * 5, "start": [i * 20_000 for i in range(5)] * 2}
    )
    windows["end"] = windows["start"] + 12_800
    scores = rng.normal(0, 1, (10, 100))
    starts = []
    for k in range(40):
        w = k % 10
        position = 5 + 2 * (k // 10) * 10  # bins 5, 25, 45, 65
        offset = int(rng.integers(0, 128))
        starts.append((windows.loc[w, "chrom"], windows.loc[w, "start"] + position * 128 + offset))
        scores[w, position : position + (4 if offset > 84 else 3)] += shift
    elements = pd.DataFrame(starts, columns=["chrom", "start"])
    elements["end"] = elements["start"] + 300
    return windows, scores, elements


@pytest.mark.parametrize("shift", [2.0, 0.0])
def test_annotation_test_finds_a_planted_shift_and_not_a_null(shift):
    windows, scores, elements = score_genome(0, shift)
    bins = interpret.bin_table(windows, scores)
    summary, values = interpret.annotation_test(
        {"enhancers": elements}, bins, windows, np.random.default_rng(0), copies=5
    )
    row = summary.loc["enhancers"]
    assert row["elements"] == 40 and row["background"] > 100
    observed, _ = values["enhancers"]
    assert len(observed) == 40
    if shift:
        assert row["p"] < 1e-6 and row["median"] > row["background_median"] + 1
    else:
        assert row["p"] > 0.01


def test_shuffled_background_stays_in_windows_and_off_true_elements():
    windows, _, elements = score_genome(0, 0.0)
    shuffled = interpret.shuffle_within(
        elements, windows, elements, np.random.default_rng(3), copies=4
    )
    assert 0 < len(shuffled) <= 160
    assert (shuffled["end"] - shuffled["start"] == 300).all()
    located = interpret.element_windows(shuffled, windows)
    assert len(located) == len(shuffled)  # every copy lies wholly inside a window
    assert not interpret.bins_overlapping(shuffled, elements).any()


def test_element_max_takes_the_largest_overlapping_bin():
    windows = pd.DataFrame({"chrom": ["chr1"], "start": [1000], "end": [1512]})
    bins = interpret.bin_table(windows, np.array([[1.0, -2.0, 5.0, 0.5]]))
    assert bins["start"].tolist() == [1000, 1128, 1256, 1384]
    elements = pd.DataFrame(
        {
            "chrom": ["chr1", "chr1", "chr1", "chr2"],
            "start": [1100, 1130, 5000, 1000],
            "end": [1140, 1260, 5100, 1100],
        }
    )
    got = interpret.element_max(elements, bins)
    np.testing.assert_array_equal(got[:2], [1.0, 5.0])
    assert np.isnan(got[2]) and np.isnan(got[3])


def test_annotation_classes_are_made_exclusive_and_chromosome_names_matched(tmp_path):
    (tmp_path / "promoters.bed").write_text("1\t100\t400\tp1\n1\t5000\t5300\tp2\n")
    (tmp_path / "enhancers.bed").write_text(
        "track name=enh\n1\t300\t600\te1\n1\t9000\t9400\te2\nchrUn_x\t10\t20\te3\n"
    )
    (tmp_path / "ctcf.bed").write_text("chr1\t500\t560\tc1\nchr1\t20000\t20060\tc2\n")
    classes = interpret.read_annotation_classes(
        {
            "promoters": tmp_path / "promoters.bed",
            "enhancers": tmp_path / "enhancers.bed",
            "ctcf": tmp_path / "ctcf.bed",
        },
        chroms={"chr1", "chr2"},
    )
    assert classes["promoters"]["chrom"].tolist() == ["chr1", "chr1"]  # "1" spelled as the windows
    assert classes["enhancers"]["start"].tolist() == [
        9000
    ]  # e1 overlaps p1; e3's contig is unknown
    # c1 overlaps e1 as annotated (though e1 left the enhancers for overlapping p1)
    assert classes["ctcf"]["start"].tolist() == [20000]
    (tmp_path / "bad.bed").write_text("chr1\t100\t200\nchr1\t500\t400\n")
    with pytest.raises(InputFileError, match=r"bad\.bed.*0 <= start <= end.*line 2"):
        interpret.read_annotation_classes({"x": tmp_path / "bad.bed"})
    (tmp_path / "empty.bed").write_text("chr1\t500\t500\n")
    with pytest.raises(InputFileError, match=r"empty\.bed.*empty"):
        interpret.read_annotation_classes({"x": tmp_path / "empty.bed"})


def test_saliency_peaks_are_benjamini_hochberg_under_the_background_normal():
    from scipy.stats import norm
    from statsmodels.stats.multitest import multipletests

    rng = np.random.default_rng(0)
    background = rng.normal(0.5, 2.0, 5000)
    scores = np.concatenate([rng.normal(0.5, 2.0, 995), [15, 16, -14, 17, 20]])
    p, q, peak = interpret.saliency_peaks(scores, background, alpha=0.05)
    mean, sd = norm.fit(background)
    np.testing.assert_allclose(p, 2 * norm.sf(np.abs(scores - mean) / sd))
    np.testing.assert_allclose(q, multipletests(p, method="fdr_bh")[1])
    assert peak[-5:].all() and peak[:995].sum() <= 2
    with pytest.raises(ValueError, match="background"):
        interpret.saliency_peaks(scores, np.ones(10))


# -- in-silico saturation mutagenesis ------------------------------------------------------


def test_ism_equals_full_forward_passes_for_every_edit(model):
    onehot = random_onehot(1, model.inputs[0].shape[1], seed=5)[0]
    onehot[2040] = 0  # an N inside the region: all four bases are edits there
    start, end = 2030, 2060
    result = interpret.saturation_mutagenesis(
        model, onehot, start, end, tracks=[1], bins=[15, 16], swap=SWAP, batch_size=4
    )
    assert result.delta.shape == (30, 4) and result.reference[10] == 4
    positions, codes = interpret.ism_edits(onehot, start, end)
    assert len(positions) == 29 * 3 + 4
    edited = np.repeat(onehot[None], len(positions), axis=0)
    edited[np.arange(len(positions)), positions] = 0
    edited[np.arange(len(positions)), positions, codes] = 1
    kwargs = {"swap": SWAP, "reverse_complement": True}
    reference = predict.predict(model, onehot[None], **kwargs)[0].astype(np.float64)
    full = predict.predict(model, edited, **kwargs).astype(np.float64)
    expected = np.zeros((30, 4))
    expected[positions - start, codes] = (
        full[:, [15, 16]][:, :, [1]].sum(axis=(1, 2)) - reference[[15, 16]][:, [1]].sum()
    )
    # float32 passes: agreement to within 1e-5 of the summed prediction itself
    scale = np.abs(reference[[15, 16]][:, [1]]).sum()
    np.testing.assert_allclose(result.delta, expected, rtol=0, atol=1e-5 * scale)
    assert np.abs(expected).max() > 100 * 1e-5 * scale  # the edits do change the target
    total = np.zeros((30, 4))
    total[positions - start, codes] = full[:, :, [1]].sum(axis=(1, 2)) - reference[:, [1]].sum()
    np.testing.assert_allclose(
        result.delta_total, total, rtol=0, atol=1e-5 * np.abs(reference[:, [1]]).sum()
    )
    # the reference base is never edited and stays 0
    known = np.flatnonzero(result.reference < 4)
    assert (result.delta[known, result.reference[known]] == 0).all()


def test_ism_per_base_views_by_hand():
    delta = np.array([[0.0, -3.0, -1.0, 0.0], [2.0, 0.0, 2.0, 4.0], [0.0, 0.0, 0.0, 0.0]])
    result = interpret.ISMResult(0, np.array([0, 1, 4]), delta, delta, 1.0)
    np.testing.assert_array_equal(result.minimum, [-3, 0, 0])
    np.testing.assert_array_equal(result.maximum, [0, 4, 0])
    # position 0: mean -1, reference A contributes 0 - (-1) = 1; position 1: mean 2, C gives -2
    np.testing.assert_allclose(result.contribution(), [1.0, -2.0, 0.0])
    np.testing.assert_allclose(result.logo_matrix(), [[1, 0, 0, 0], [0, -2, 0, 0], [0, 0, 0, 0]])
    with pytest.raises(ValueError, match="within the window"):
        interpret.ism_edits(np.zeros((10, 4)), 5, 20)


# -- TOMTOM --------------------------------------------------------------------------------


def test_strongest_stretch_and_contribution_ppm():
    assert interpret.strongest_stretch(np.array([0, 1, 5, 5, 0, -2, 9, -9]), 2) == 2
    assert interpret.strongest_stretch(np.array([1.0, 2.0]), 5) == 0
    ppm = interpret.contribution_ppm(np.array([[2.0, -2, 0, 0], [0, 0, 0, 0]]))
    np.testing.assert_allclose(ppm.sum(axis=1), 1)
    assert ppm[0].argmax() == 0 and ppm[0, 0] > 0.9
    np.testing.assert_allclose(ppm[1], 0.25)


def test_tomtom_names_a_planted_matrix_from_a_noisy_contribution():
    database = [m for m in load_jaspar(["MA0139.2", "MA0080.7", "MA0114.5", "MA0098.4", "MA0035.5",
                                        "MA0047.4", "MA0046.3", "MA0466.4", "MA0002.3", "MA0050.4",
                                        "MA0507.3", "MA0095.4", "MA0497.2", "MA1109.2", "MA0138.3",
                                        "MA0465.3", "MA0482.3", "MA0108.3"]).values()]  # fmt: skip
    # the database spans the families of the synthetic grammar; a few unrelated shapes pad it
    rng = np.random.default_rng(0)
    for k in range(10):
        probs = rng.dirichlet(np.ones(4), 10)
        database.append(Motif(f"RANDOM{k}", f"X{k}", probs, "random"))
    queries = []
    for target in database[:4]:
        lo = np.log(target.probs / 0.25)
        lo -= lo.mean(axis=1, keepdims=True)
        flank = rng.normal(0, 0.05, (3, 4))
        queries.append(
            interpret.contribution_ppm(np.vstack([flank, lo + rng.normal(0, 0.2, lo.shape), flank]))
        )
    matches = interpret.tomtom_matches(queries, database, top=2)
    best = matches[matches["rank"] == 1]
    assert best["matrix_id"].tolist() == [m.matrix_id for m in database[:4]]
    assert (best["q"] < 0.05).all()
    with pytest.raises(ValueError, match="query 0"):
        interpret.tomtom_matches([np.ones((4, 5))], database)
    # an element the prediction ignores: all-zero contributions give a uniform query, which
    # matches nothing (TOMTOM alone would call CTCF's long matrix significant)
    flat = interpret.contribution_ppm(np.zeros((15, 4)))
    assert interpret.information_content(flat) == pytest.approx(0, abs=1e-9)
    matches = interpret.tomtom_matches([flat, queries[0]], database, top=1)
    assert matches["query"].tolist() == [1] and matches["matrix_id"].iloc[0] == "MA0139.2"
    # a flat stretch of a strong element stays flat when scaled by the element
    weak = interpret.contribution_ppm(np.full((5, 4), 0.01) * [1, 0, 0, 0], scale=10.0)
    assert interpret.information_content(weak) < 0.01


def test_same_factor_or_family():
    db = [Motif("SPI1", "MA0080.7", np.full((3, 4), 0.25), "Ets-related"),
          Motif("ETS1", "MA0098.4", np.full((3, 4), 0.25), "Ets-related"),
          Motif("CTCF", "MA0139.2", np.full((3, 4), 0.25), "More than 3 adjacent zinc fingers")]  # fmt: skip
    assert interpret.same_factor_or_family("SPI1", "Ets-related", "spi1", db)
    assert interpret.same_factor_or_family("ELK4", "Ets-related", "ETS1", db)
    assert interpret.same_factor_or_family("FOS::JUN", "x", "JUN", db)
    assert not interpret.same_factor_or_family("CTCFL", "other", "CTCF", db)
    assert not interpret.same_factor_or_family("ETS1", "Ets-related", "GATA1", db)


def test_jaspar_collection_is_the_pinned_release():
    from seqreg.sequence import load_jaspar_collection

    motifs = load_jaspar_collection("JASPAR2024")
    assert len(motifs) == 879
    ctcf = [m for m in motifs if m.matrix_id == "MA0139.2"]
    assert ctcf and ctcf[0].name == "CTCF" and "zinc" in ctcf[0].family
    assert all(np.allclose(m.probs.sum(axis=1), 1) for m in motifs[:50])


def test_split_requires_a_single_input():
    a = keras.Input((128, 4))
    b = keras.Input((3,))
    x = keras.layers.MaxPooling1D(128)(keras.layers.Conv1D(4, 3, padding="same")(a))
    y = keras.layers.Concatenate()([keras.layers.Flatten()(x), b])
    model = keras.Model([a, b], y)
    with pytest.raises(ValueError, match="only input"):
        interpret.split_at(model)
    assert models  # the spec-built models above are the usual case
