"""ChromDragoNN's data: labels from peaks, bins, folds, 1:3 batches, readers, binned AUPRC."""

from __future__ import annotations

import gzip

import numpy as np
import pandas as pd
import pytest

from seqreg.data import chromdragonn as cd
from seqreg.evaluate import binned_auprc
from seqreg.io import chromdragonn as io
from seqreg.project.errors import InputFileError


def test_labels_from_hand_made_peaks():
    bins = pd.DataFrame({"chrom": "chr1", "start": np.arange(0, 401, 50)})
    bins["end"] = bins["start"] + 200
    # cell A: one peak [100, 260); cell B: two overlapping peaks [0, 120) and [80, 180)
    peaks = pd.DataFrame(
        [("chr1", 100, 260, "A"), ("chr1", 0, 120, "B"), ("chr1", 80, 180, "B"),
         ("chr2", 0, 1000, "A")],  # another chromosome: no effect on chr1's bins
        columns=["chrom", "start", "end", "cell_type"],
    )  # fmt: skip
    labels = cd.labels_from_peaks(bins, peaks, ["A", "B", "C"])
    # A: overlaps 100, 150, 160, 110, 60, 10, 0... -> more than half (100 bp) for 50, 100, 150
    assert labels[:, 0].tolist() == [0, 1, 1, 1, 0, 0, 0, 0, 0]
    # B: the union [0, 180) covers bin [0,200) by 180, [50,250) by 130, [100,300) by 80
    assert labels[:, 1].tolist() == [1, 1, 0, 0, 0, 0, 0, 0, 0]
    assert labels[:, 2].sum() == 0  # a cell type without peaks
    assert labels.dtype == np.uint8


def test_panel_bins_need_a_whole_window_without_n():
    seq = np.zeros(3000, dtype=np.uint8)
    seq[2000] = 4  # an N
    bins = cd.panel_bins({"chr1": seq}, bin_bp=200, stride=50, input_bp=1000)
    starts = bins["start"].to_numpy()
    assert starts.min() == 400  # the first window [0, 1000)
    window_starts = starts - 400
    assert ((window_starts > 2000) | (window_starts + 1000 <= 2000)).all()
    assert (starts + 600 <= 3000).all()
    assert 1400 in starts and 1450 not in starts  # [1000, 2000) misses the N; [1050, 2050) holds it
    with pytest.raises(ValueError, match="even"):
        cd.panel_bins({"chr1": seq}, bin_bp=200, input_bp=1001)


def test_bin_windows_pad_past_the_ends_with_n():
    seq = np.arange(10, dtype=np.uint8) % 4
    bins = pd.DataFrame({"chrom": ["c"], "start": [0], "end": [4]})
    windows = cd.bin_windows({"c": seq}, bins, input_bp=8)
    assert windows.tolist() == [[4, 4, 0, 1, 2, 3, 0, 1]]
    with pytest.raises(KeyError, match="'d'"):
        cd.bin_windows({"c": seq}, bins.assign(chrom="d"), input_bp=8)


def test_draw_pairs_puts_one_positive_for_three_negatives():
    rng = np.random.default_rng(0)
    labels = (rng.random((500, 7)) < 0.03).astype(np.uint8)
    rows, cols = cd.draw_pairs(labels, 64, 0.25, rng, n_batches=5)
    drawn = labels[rows, cols].reshape(5, 64)
    assert drawn.sum(axis=1).tolist() == [16] * 5  # every batch, not only on average
    assert len({(r, c) for r, c in zip(rows, cols, strict=True) if labels[r, c]}) > 40
    uniform_rows, uniform_cols = cd.draw_pairs(labels, 4000, None, np.random.default_rng(1))
    assert labels[uniform_rows, uniform_cols].mean() < 0.08  # as they come: about 3%
    with pytest.raises(ValueError, match="positive and negative"):
        cd.draw_pairs(np.zeros((5, 2), np.uint8), 8, 0.25, rng)


def test_pair_batches_shapes_and_labels():
    rng = np.random.default_rng(2)
    labels = (rng.random((200, 5)) < 0.1).astype(np.uint8)
    codes = rng.integers(0, 4, size=(200, 30)).astype(np.uint8)
    expression = rng.random((5, 6)).astype(np.float32)
    mean = labels.mean(1)
    batches = cd.PairBatches({"sequence": codes}, labels, expression, mean, 32, 3, seed=0)
    x, y = batches[1]
    assert x["sequence"].shape == (32, 30, 4) and x["expression"].shape == (32, 6)
    assert x["mean"].shape == (32, 1) and y.shape == (32, 1) and y.sum() == 8
    # the label of each pair is that (bin, cell type)'s: find each row's bin by its mean
    rows, cols = batches._rows[32:64], batches._cols[32:64]
    assert np.array_equal(y[:, 0], labels[rows, cols])
    assert all(batches[k][1].sum() == 8 for k in range(3))
    assert np.allclose(x["expression"], expression[cols])
    again = cd.PairBatches({"sequence": codes}, labels, expression, None, 32, 3, seed=0)
    assert "mean" not in again[0][0] and np.array_equal(again._rows, batches._rows)


def test_cell_type_folds_partition_and_mix_tissues():
    cells = [f"c{i}" for i in range(20)]
    tissues = [f"t{i % 4}" for i in range(20)]
    folds = cd.cell_type_folds(cells, tissues, n_folds=3, test_per_fold=4, n_valid=2, seed=0)
    held = list(folds.valid) + [c for f in folds.test for c in f]
    assert len(set(held)) == 14 and not set(held) & set(folds.pretrain)
    assert sorted(held + list(folds.pretrain)) == sorted(cells)
    tissue = dict(zip(cells, tissues, strict=True))
    assert all(len({tissue[c] for c in f}) == 4 for f in folds.test)
    assert set(folds.train(1)) == set(cells) - set(folds.valid) - set(folds.test[1])
    with pytest.raises(ValueError, match="cannot give"):
        cd.cell_type_folds(cells[:8], tissues[:8], n_folds=3, test_per_fold=2, n_valid=1)


def test_similarity_weighted_mean_follows_the_closest_cell_types():
    labels = np.array([[1, 0, 0], [0, 1, 1]], np.float32)  # 2 bins x 3 training cell types
    train_expr = np.array([[5, 0, 0, 1], [0, 5, 0, 1], [0, 4, 1, 0]], float)
    target = np.array([[6, 0, 0, 1], [0, 5, 1, 1]], float)  # like cell 0; like cells 1-2
    scores = cd.similarity_weighted_mean(labels, train_expr, target)
    assert scores.shape == (2, 2)
    assert scores[0, 0] > 0.9 and scores[1, 0] < 0.1
    assert scores[0, 1] < 0.1 and scores[1, 1] > 0.9


def test_binned_auprc_scores_the_minority_class():
    labels = np.array([1, 0, 0, 0, 1, 1, 1, 0])
    scores = np.array([0.9, 0.1, 0.2, 0.3, 0.8, 0.7, 0.9, 0.2])
    fraction = np.array([0.1, 0.1, 0.1, 0.1, 0.8, 0.8, 0.8, 0.8])
    table = binned_auprc(labels, scores, fraction, edges=(0.0, 0.5, 1.0), min_minority=1)
    low, high = table.iloc[0], table.iloc[1]
    assert low["minority"] == 1 and low["n_minority"] == 1 and low["auprc"] == 1.0
    # the mostly-open group scores its closed pair by 1 - score: 0.8 ranks first
    assert high["minority"] == 0 and high["n_minority"] == 1 and high["auprc"] == 1.0
    assert high["prevalence"] == 0.25
    worse = binned_auprc(labels, 1 - scores, fraction, edges=(0.0, 0.5, 1.0), min_minority=1)
    assert worse["auprc"].max() < 0.5
    with pytest.raises(ValueError, match="length"):
        binned_auprc(labels, scores[:-1], fraction)


def _write_labels(path, text):
    with gzip.open(path, "wt") as handle:
        handle.write(text)
    return path


def test_label_tsv_round_trip_and_errors(tmp_path):
    bins = pd.DataFrame({"chrom": ["chr1", "chr1"], "start": [0, 50], "end": [200, 250]})
    path = io.write_label_tsv(tmp_path / "l.tsv.gz", bins, np.array([[1, 0], [0, 1]]), ["a", "b"])
    matrix = io.read_label_tsv(path)
    assert matrix.cell_types == ["a", "b"] and matrix.labels.tolist() == [[1, 0], [0, 1]]
    assert matrix.bin_bp == 200
    bad = _write_labels(tmp_path / "bad.tsv.gz", "chr\tstart\tend\ta\tb\nchr1\t0\t200\t1\t2\n")
    with pytest.raises(InputFileError, match=r"bad.tsv.gz.*'b' has 2 at row 2$"):
        io.read_label_tsv(bad)
    widths = _write_labels(
        tmp_path / "w.tsv.gz", "chr\tstart\tend\ta\nchr1\t0\t200\t1\nchr1\t50\t300\t0\n"
    )
    with pytest.raises(InputFileError, match="one width"):
        io.read_label_tsv(widths)
    header = _write_labels(tmp_path / "h.tsv.gz", "chr1\t0\t200\t1\n")
    with pytest.raises(InputFileError, match="header"):
        io.read_label_tsv(header)
    truncated = tmp_path / "t.tsv.gz"
    truncated.write_bytes(path.read_bytes()[:-12])
    with pytest.raises(InputFileError, match=r"t\.tsv\.gz"):
        io.read_label_tsv(truncated)


def test_label_and_expression_cell_types_must_match(tmp_path):
    bins = pd.DataFrame({"chrom": ["chr1"], "start": [0], "end": [200]})
    labels = io.read_label_tsv(
        io.write_label_tsv(tmp_path / "labels.tsv.gz", bins, np.array([[1, 0]]), ["liver", "brain"])
    )
    expression_path = tmp_path / "rna.tsv"
    expression_path.write_text("tf\tliver\theart\nGATA1\t1.0\t2.0\nSPI1\t0.5\t0.1\n")
    expression = io.read_expression(expression_path)
    assert list(expression.index) == ["liver", "heart"] and list(expression.columns) == [
        "GATA1",
        "SPI1",
    ]
    with pytest.raises(InputFileError) as caught:
        io.align_expression(labels, expression, expression_path)
    message = str(caught.value)
    assert "rna.tsv" in message and "labels.tsv.gz" in message and "brain" in message


def test_released_joblib_layouts(tmp_path):
    import joblib

    labels = np.array([[1, 0, 1], [0, 0, 1]], dtype=np.uint8)
    onehot = np.zeros((2, 10, 4), np.uint8)
    onehot[:, np.arange(10), np.arange(10) % 4] = 1
    joblib.dump({
        "features": np.packbits(onehot, axis=-1), "labels": np.packbits(labels, axis=1),
        "label_metadata": ["x", "y", "z"], "example_metadata": ["chr2:100-300", "chr2:150-350"],
        "num_cell_types": 3,
    }, tmp_path / "dnase.chr2.packbit.joblib")  # fmt: skip
    matrix, sequences = io.read_packbit_joblib(
        tmp_path / "dnase.chr2.packbit.joblib", with_sequences=True
    )
    assert matrix.labels.tolist() == labels.tolist() and matrix.cell_types == ["x", "y", "z"]
    assert matrix.bins["start"].tolist() == [100, 150] and np.array_equal(sequences, onehot)
    joblib.dump({"rna_quants": np.array([[1.0, 2.0]]), "genes": ["A", "B"], "tasks": ["x"]},
                tmp_path / "rna.joblib")  # fmt: skip
    assert io.read_expression(tmp_path / "rna.joblib").loc["x", "B"] == 2.0
    joblib.dump({"labels": 1}, tmp_path / "other.joblib")
    with pytest.raises(InputFileError, match="packbit dictionary"):
        io.read_packbit_joblib(tmp_path / "other.joblib")


def test_smoke_panel_reads_through_the_manifest(smoke_manifest):
    panel = cd.load_panel(smoke_manifest)
    assert panel.labels.labels.shape[1] == len(panel.labelled) >= 10
    assert panel.rna_only and not set(panel.rna_only) & set(panel.labelled)
    assert list(panel.expression.index[: len(panel.labelled)]) == panel.labelled
    assert set(panel.tissues) <= {"immune", "liver", "brain", "heart", "kidney", "intestine"}
    positive = panel.labels.labels.mean(axis=0)
    assert (positive > 0.002).all() and (positive < 0.2).all()
    # labels follow the planted peaks: every labelled bin overlaps a peak by more than half
    peaks = pd.read_csv(smoke_manifest.truth_path("panel_peaks"), sep="\t")
    again = cd.labels_from_peaks(panel.labels.bins, peaks, panel.labelled)
    assert np.array_equal(again, panel.labels.labels)
    # expression: the planted TFs and decoys named after unplanted JASPAR TFs, paralogs first
    from seqreg.simulate import grammar
    from seqreg.simulate.panel import decoy_names

    planted = list(grammar.MOTIF_IDS)
    genes = list(panel.expression.columns)
    assert genes[: len(planted)] == planted
    decoys = genes[len(planted) :]
    assert decoys == decoy_names(len(decoys)) and not set(decoys) & set(planted)
    truth = pd.read_csv(smoke_manifest.truth_path("panel_tf_activity"), sep="\t", index_col=0)
    assert list(truth.index) == planted


def test_decoy_names_are_unplanted_jaspar_paralogs_first():
    from seqreg.sequence import load_jaspar_collection
    from seqreg.simulate import grammar
    from seqreg.simulate.panel import decoy_names

    jaspar = {m.name: {f.strip() for f in m.family.split(";")} for m in load_jaspar_collection()}
    first = decoy_names(40)
    assert len(set(first)) == 40 and not set(first) & set(grammar.MOTIF_IDS)
    assert "TBP" not in first and all("::" not in n for n in first)
    planted_families = set().union(*(jaspar[tf] for tf in grammar.MOTIF_IDS))
    assert all(jaspar[n] & planted_families for n in first)
    assert {"HNF4G", "GATA2", "CEBPA", "FOXA1"} <= set(first)
    many = decoy_names(1609)
    assert many[:40] == first and len(set(many)) == 1609
    assert many[-1].startswith("TFDECOY") and all(n in jaspar for n in many[:700])
    with pytest.raises(ValueError, match="at least 0"):
        decoy_names(-1)
