"""Histone-mark panels, random windows and tiled prediction for Leopard's U-Nets
(notebook 13; the microglia QTL report, section 4.2), and the masked loss."""

import numpy as np
import pandas as pd
import pytest

from seqreg import data, io


def test_panel_labels_follow_the_threshold_rule(smoke_manifest):
    """A bin is positive exactly when the mark's signal (replicates averaged) exceeds
    threshold_fold x the track's genome-wide mean, and NaN where the track has no data."""
    panel = data.mark_panel(smoke_manifest, ["monocyte", "neutrophil"], progress=False)
    assert panel.label_names == [
        "monocyte/H3K27ac",
        "monocyte/H3K4me1",
        "neutrophil/H3K27ac",
        "neutrophil/H3K4me1",
    ]
    track = smoke_manifest.entry("h3k27ac_neutrophil")
    chrom = next(iter(panel.chrom_sizes))
    length = panel.chrom_sizes[chrom]
    values = io.read_values(track.local_path, chrom, 0, length)[: length // 32 * 32]
    with np.errstate(invalid="ignore"):
        binned = np.nanmean(values.reshape(-1, 32), axis=1)
    every = np.concatenate(
        [
            np.nanmean(
                io.read_values(track.local_path, c, 0, n)[: n // 32 * 32].reshape(-1, 32), axis=1
            )
            for c, n in panel.chrom_sizes.items()
        ]
    )
    threshold = 2.0 * np.nanmean(every)
    assert panel.thresholds["neutrophil/H3K27ac"] == pytest.approx(threshold, rel=1e-5)
    column = panel.label_names.index("neutrophil/H3K27ac")
    labels = panel.labels[chrom][:, column]
    assert np.array_equal(np.isnan(labels), np.isnan(binned))
    finite = ~np.isnan(binned)
    assert np.array_equal(labels[finite] == 1, binned[finite] > threshold)
    assert 0.01 < np.nanmean(labels) < 0.3
    # the neutrophils' accessibility is their ATAC track; the average is over the panel
    assert (
        panel.tracks.query("cell_type == 'neutrophil' and role == 'accessibility'")["assay"].item()
        == "ATAC"
    )
    normalised = np.expm1(panel.accessibility[chrom])
    assert np.allclose(np.log1p(normalised.mean(axis=1)), panel.average[chrom], atol=1e-5)


def test_panel_refuses_a_cell_type_without_marks(smoke_manifest):
    with pytest.raises(ValueError, match="cell type 'monocyte' has no track of H3K9me3"):
        data.mark_panel(
            smoke_manifest, ["monocyte", "erythroid"], marks=["H3K27ac", "H3K9me3"], progress=False
        )
    with pytest.raises(ValueError, match="reference cell type"):
        data.mark_panel(smoke_manifest, ["monocyte", "t_cell"], reference="liver", progress=False)


def test_hold_out_chromosomes():
    sizes = {"chr1": 500, "chr2": 400, "chr3": 300, "chr4": 200}
    assert data.hold_out_chromosomes(sizes) == {
        "train": ["chr1", "chr2"],
        "valid": ["chr3"],
        "test": ["chr4"],
    }
    named = data.hold_out_chromosomes(sizes, test=["1", "chr8"], valid=["chr4"])
    assert named == {"train": ["chr2", "chr3"], "valid": ["chr4"], "test": ["chr1"]}
    with pytest.raises(ValueError, match="at least three"):
        data.hold_out_chromosomes({"chr1": 5, "chr2": 4})


def _toy_panel(n_bins=64, resolution=4, cell_types=("a", "b", "c")):
    rng = np.random.default_rng(0)
    n = len(cell_types)
    labels = (rng.random((n_bins, n * 2)) > 0.8).astype(np.float32)
    labels[3, 1] = np.nan
    access = rng.random((n_bins, n)).astype(np.float32)
    panel = data.MarkPanel(
        list(cell_types),
        ["m1", "m2"],
        resolution,
        {"chrX": n_bins * resolution},
        {"chrX": labels},
        {"chrX": access},
        {"chrX": access.mean(axis=1)},
        pd.DataFrame(),
    )
    codes = {"chrX": rng.integers(0, 4, n_bins * resolution).astype(np.uint8)}
    return panel, codes


def test_window_arrays_pick_the_right_labels_and_channels():
    panel, codes = _toy_panel()
    start, length = 10, 32
    bins = (start + np.arange(length)) // panel.resolution
    x, y = data.window_arrays(panel, codes, data.TABLE3_MODELS["A"], "chrX", start, length)
    assert set(x) == {"sequence"} and y.shape == (length, 6)
    assert np.array_equal(y, panel.labels["chrX"][bins], equal_nan=True)
    assert np.array_equal(x["sequence"].argmax(-1), codes["chrX"][start : start + length])
    x, y = data.window_arrays(
        panel, codes, data.TABLE3_MODELS["B"], "chrX", start, length, cell_type=2
    )
    assert np.array_equal(y, panel.labels["chrX"][bins][:, [4, 5]])
    assert np.allclose(x["accessibility"][:, 0], panel.accessibility["chrX"][bins, 2])
    assert np.allclose(x["accessibility"][:, 1], panel.average["chrX"][bins])
    x, _ = data.window_arrays(
        panel, codes, data.TABLE3_MODELS["C"], "chrX", start, length, channels="difference"
    )
    assert x["accessibility"].shape == (length, 6)
    assert np.allclose(
        x["accessibility"][:, 3:],
        panel.accessibility["chrX"][bins] - panel.average["chrX"][bins, None],
    )
    assert data.TABLE3_MODELS["C"].n_channels(panel, "average") == 4
    assert data.TABLE3_MODELS["D"].n_outputs(panel) == 2


def test_mark_windows_are_reproducible_per_epoch_and_scale_only_signals():
    panel, codes = _toy_panel()
    kind = data.TABLE3_MODELS["C"]
    batches = data.MarkWindows(
        panel, codes, kind, ["chrX"], 32, 4, 3, seed=5, scale_range=(2.0, 2.0)
    )
    first = batches[1]
    again = data.MarkWindows(panel, codes, kind, ["chrX"], 32, 4, 3, seed=5, scale_range=(2.0, 2.0))
    assert all(
        np.array_equal(a, b) for a, b in zip(first[0].values(), again[1][0].values(), strict=True)
    )
    row = batches._windows.iloc[4]
    x, _ = data.window_arrays(panel, codes, kind, row.chrom, int(row.start), 32)
    assert np.allclose(first[0]["accessibility"][0, :, :3], 2 * x["accessibility"][:, :3])
    assert np.allclose(first[0]["accessibility"][0, :, 3], x["accessibility"][:, 3])  # the average
    batches.on_epoch_end()
    assert not batches._windows.equals(again._windows)  # redrawn each epoch
    sequence_only = data.MarkWindows(panel, codes, data.TABLE3_MODELS["A"], ["chrX"], 32, 4, 1)
    assert isinstance(sequence_only[0][0], np.ndarray)  # a one-input model gets its array
    assert sequence_only[0][0].shape == (4, 32, 4)
    fixed = data.MarkWindows(panel, codes, kind, ["chrX"], 32, 4, 3, seed=5, fixed=True)
    before = fixed._windows.copy()
    fixed.on_epoch_end()
    assert fixed._windows.equals(before)


class _Echo:
    """A 'model' whose prediction is the accessibility signal channel (per base)."""

    def predict_on_batch(self, inputs):
        return np.repeat(inputs["accessibility"][..., :1], 2, axis=-1)


def test_predict_marks_tiles_the_whole_chromosome_per_cell_type():
    panel, codes = _toy_panel()
    out = data.predict_marks(
        _Echo(), panel, codes, data.TABLE3_MODELS["B"], "chrX", 32, trim=4, batch_size=3
    )
    assert out.shape == (64, 6) and not np.isnan(out).any()
    for k in range(3):  # each cell type's columns hold its own accessibility, bin by bin
        assert np.allclose(out[:, 2 * k], panel.accessibility["chrX"][:, k], atol=1e-6)


def test_masked_bce_ignores_nan_labels():
    import keras

    from seqreg.train import make_loss

    loss = make_loss("masked_bce")
    y = np.array([[[1.0, np.nan], [0.0, 1.0]]], dtype="float32")
    p = np.array([[[0.9, 0.5], [0.2, 0.7]]], dtype="float32")
    expected = -(np.log(0.9) + np.log(0.8) + np.log(0.7)) / 3
    assert float(keras.ops.convert_to_numpy(loss(y, p))[0]) == pytest.approx(expected, rel=1e-5)
    p2 = p.copy()
    p2[0, 0, 1] = 0.01  # the prediction at the NaN label does not matter
    assert float(keras.ops.convert_to_numpy(loss(y, p2))[0]) == pytest.approx(expected, rel=1e-5)


def test_panel_needs_two_cell_types_matches_marks_in_any_case_and_keeps_the_reference(
    smoke_manifest,
):
    with pytest.raises(ValueError, match="at least two cell types"):
        data.mark_panel(smoke_manifest, ["monocyte"], progress=False)
    panel = data.mark_panel(
        smoke_manifest, ["t_cell", "neutrophil"], marks=["h3k27ac"], progress=False
    )
    assert panel.marks == ["H3K27ac"] and panel.label_names == [
        "t_cell/H3K27ac",
        "neutrophil/H3K27ac",
    ]
    # the reference (first) cell type is left as it is: log(1 + its binned DNase)
    chrom = next(iter(panel.chrom_sizes))
    values = io.read_values(
        smoke_manifest.entry("dnase_t_cell").local_path, chrom, 0, panel.chrom_sizes[chrom]
    )
    with np.errstate(invalid="ignore"):
        binned = np.nan_to_num(np.nanmean(values[: len(values) // 32 * 32].reshape(-1, 32), axis=1))
    assert np.allclose(panel.accessibility[chrom][:, 0], np.log1p(np.maximum(binned, 0)), atol=1e-5)
    # the other is mapped onto its distribution (tied counts go to the mean of the
    # reference's values at their ranks, so the mean and the upper tail carry over)
    other = np.expm1(np.concatenate([v[:, 1] for v in panel.accessibility.values()]))
    ref = np.expm1(np.concatenate([v[:, 0] for v in panel.accessibility.values()]))
    assert other.mean() == pytest.approx(ref.mean(), rel=0.1)
    assert np.quantile(other, 0.99) == pytest.approx(np.quantile(ref, 0.99), rel=0.1)


def test_panel_names_a_track_of_another_assembly(smoke_manifest, tmp_path):
    import shutil

    from seqreg.project import InputFileError, load_manifest

    root = tmp_path / "synthetic" / "smoke"
    shutil.copytree(smoke_manifest.root, root)
    sizes = io.bigwig_chrom_sizes(root / "tracks" / "h3k4me1_t_cell.bw")
    chrom = next(iter(sizes))
    io.write_bigwig(
        root / "tracks" / "h3k4me1_t_cell.bw",
        {**sizes, chrom: sizes[chrom] - 100},
        {c: np.ones(-(-(sizes[c] - (100 if c == chrom else 0)) // 32)) for c in sizes},
        32,
    )
    manifest = load_manifest("synthetic", "smoke", tmp_path)
    with pytest.raises(InputFileError, match=r"h3k4me1_t_cell\.bw.*another assembly"):
        data.mark_panel(manifest, ["monocyte", "t_cell"], progress=False)
