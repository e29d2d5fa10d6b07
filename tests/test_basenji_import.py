"""Basenji/Baskerville data directories convert to training stores that read back exactly.

Each test writes a small directory in the format of ``basenji_data.py`` (one-hot sequences,
whole windows in sequences.bed) or ``hound_data.py`` (base-index sequences, target spans
in sequences.bed, stranded targets), with ZLIB TFRecords from ``tf.io.TFRecordWriter``.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

SEQ_LENGTH, POOL_WIDTH, CROP_BP = 64, 8, 8
TARGET_LENGTH = (SEQ_LENGTH - 2 * CROP_BP) // POOL_WIDTH  # 6
COUNTS = {"train": 5, "valid": 3, "test": 2}
PER_FILE = 2  # examples per TFRecord file (basenji_data.py -r)

BASENJI_TARGETS = [
    # identifier, file, clip, scale, sum_stat, description
    ("ENCFF833POA", "/data/ENCFF833POA.bw", "32", "2", "mean", "DNASE:cerebellum male adult"),
    ("ENCFF828RQS", "/data/ENCFF828RQS.bw", "32", "2", "mean", "CHIP:H3K9me3:stomach"),
    ("ENCFF003HJB", "/data/ENCFF003HJB.bw", "", "1", "sum", "CHIP:CEBPB:HepG2"),
    ("CNhs11760", "/data/CNhs11760.bw", "384", "1", "sum", "CAGE:aorta, adult, pool1"),
]
HOUND_TARGETS = [
    # identifier, file, clip, clip_soft, scale, sum_stat, strand_pair, description
    ("CNhs10586+", "/d/CNhs10586/coverage+.w5", "384", "64", "1.0", "sum_sqrt", "1", "CAGE:heart"),
    ("CNhs10586-", "/d/CNhs10586/coverage-.w5", "384", "64", "1.0", "sum_sqrt", "0", "CAGE:heart"),
    ("ENCFF450", "/d/ENCFF450.w5", "32", "2", "0.5", "mean", "2", "ATAC:K562"),
]


def write_tfrecords(path, examples, target_key="target"):
    import tensorflow as tf

    options = tf.io.TFRecordOptions(compression_type="ZLIB")
    with tf.io.TFRecordWriter(str(path), options) as writer:
        for sequence, target in examples:
            feature = {
                "sequence": tf.train.Feature(bytes_list=tf.train.BytesList(value=[sequence.tobytes()])),
                target_key: tf.train.Feature(bytes_list=tf.train.BytesList(value=[target.tobytes()])),
            }  # fmt: skip
            example = tf.train.Example(features=tf.train.Features(feature=feature))
            writer.write(example.SerializeToString())


def write_data_dir(root, style="basenji", seed=0, geometry=(SEQ_LENGTH, POOL_WIDTH, CROP_BP)):
    """A data directory of ``style`` (``basenji``: one-hot, whole windows; ``hound``: base
    indices, target spans, stranded targets) with windows of ``geometry`` (seq_length,
    pool_width, crop_bp), and what it holds, per split, in TFRecord order."""
    seq_length, pool_width, crop_bp = geometry
    target_length = (seq_length - 2 * crop_bp) // pool_width
    rng = np.random.default_rng(seed)
    targets_rows = BASENJI_TARGETS if style == "basenji" else HOUND_TARGETS
    n_targets = len(targets_rows)
    root.mkdir(parents=True, exist_ok=True)
    (root / "tfrecords").mkdir()
    header = (
        ["identifier", "file", "clip", "scale", "sum_stat", "description"]
        if style == "basenji"
        else ["identifier", "file", "clip", "clip_soft", "scale", "sum_stat", "strand_pair",
              "description"]
    )  # fmt: skip
    lines = ["\t" + "\t".join(header)]
    lines += [f"{i}\t" + "\t".join(row) for i, row in enumerate(targets_rows)]
    (root / "targets.txt").write_text("\n".join(lines) + "\n")
    expected, bed = {}, []
    start = 1000
    for split, count in COUNTS.items():
        codes = rng.integers(0, 5, size=(count, seq_length)).astype(np.uint8)  # 4 = N
        targets = rng.gamma(0.5, 4.0, size=(count, target_length, n_targets)).astype(np.float16)
        chroms = np.array(["chr1" if split == "train" else "chr2"] * count, dtype=object)
        starts = start + seq_length * rng.permutation(count)  # shuffled, like basenji_data.py
        start += seq_length * (count + 1)
        expected[split] = {"codes": codes, "targets": targets, "chrom": chroms,
                           "start": starts, "end": starts + seq_length}  # fmt: skip
        offset = crop_bp if style == "hound" else 0
        bed += [f"{c}\t{s + offset}\t{s + seq_length - offset}\t{split}"
                for c, s in zip(chroms, starts, strict=True)]  # fmt: skip
        onehot = np.vstack([np.eye(4, dtype=np.uint8), np.zeros((1, 4), np.uint8)])
        sequences = onehot[codes] if style == "basenji" else codes
        # as basenji_data.py: files of PER_FILE examples, and an empty last file when the
        # count divides evenly
        for number, lo in enumerate(range(0, count + 1, PER_FILE)):
            examples = list(
                zip(sequences[lo : lo + PER_FILE], targets[lo : lo + PER_FILE], strict=True)
            )
            write_tfrecords(root / "tfrecords" / f"{split}-{number}.tfr", examples)
    (root / "sequences.bed").write_text("\n".join(bed) + "\n")
    stats = {"num_targets": n_targets, "seq_length": seq_length, "pool_width": pool_width,
             "crop_bp": crop_bp, "target_length": target_length,
             **{f"{s}_seqs": c for s, c in COUNTS.items()}}  # fmt: skip
    if style == "hound":
        stats["seq_1hot"] = True
    (root / "statistics.json").write_text(json.dumps(stats, indent=4))
    return expected


@pytest.fixture(scope="module")
def basenji_store(tmp_path_factory):
    from seqreg.data import convert_basenji_data

    root = tmp_path_factory.mktemp("basenji")
    expected = write_data_dir(root / "data", "basenji")
    store = convert_basenji_data(root / "data", root / "out" / "store.h5", genome="human",
                                 progress=False)  # fmt: skip
    return store, expected


def assert_round_trip(store, expected):
    from seqreg.data import load_split

    for split, want in expected.items():
        codes, targets, windows = load_split(store, split)
        np.testing.assert_array_equal(codes, want["codes"])
        assert codes.dtype == np.uint8
        # float16 -> float32 is exact, so the values come back bit for bit
        np.testing.assert_array_equal(targets, want["targets"].astype(np.float32))
        assert list(windows["chrom"]) == list(want["chrom"])
        np.testing.assert_array_equal(windows["start"], want["start"])
        np.testing.assert_array_equal(windows["end"], want["end"])


def test_basenji_directory_converts_exactly(basenji_store):
    store, expected = basenji_store
    assert store.is_file()
    assert_round_trip(store, expected)


def test_store_info_keeps_geometry_splits_and_track_table(basenji_store):
    from seqreg.data import WindowSpec, read_store_info

    store, _ = basenji_store
    info = read_store_info(store)
    spec = WindowSpec(**info["spec"])
    assert (spec.seq_length, spec.pool_width, spec.crop_bp) == (SEQ_LENGTH, POOL_WIDTH, CROP_BP)
    assert spec.target_length == TARGET_LENGTH
    assert spec.stride == SEQ_LENGTH  # neighbouring training windows are one window apart
    stats = info["statistics"]
    assert stats["windows"] == sum(COUNTS.values())
    assert {s: stats[f"windows_{s}"] for s in COUNTS} == COUNTS
    assert stats["tracks"] == len(BASENJI_TARGETS)
    assert stats["target_length"] == TARGET_LENGTH
    assert stats["source"] == "basenji"
    tracks = info["tracks"]
    assert [t.id for t in tracks] == [row[0] for row in BASENJI_TARGETS]
    assert [t.clip for t in tracks] == [32.0, 32.0, None, 384.0]
    assert [t.soft_clip for t in tracks] == [None] * 4
    assert [t.scale for t in tracks] == [2.0, 2.0, 1.0, 1.0]
    assert [t.sum_stat for t in tracks] == ["mean", "mean", "sum", "sum"]
    assert [t.description for t in tracks] == [row[5] for row in BASENJI_TARGETS]
    assert [t.assay for t in tracks] == ["DNase", "H3K9me3", "ChIP-CEBPB", "CAGE"]
    assert [t.cell_type for t in tracks] == [
        "cerebellum male adult", "stomach", "HepG2", "aorta, adult, pool1"]  # fmt: skip
    assert [str(t.path) for t in tracks] == [row[1] for row in BASENJI_TARGETS]
    assert {t.genome for t in tracks} == {"human"}
    assert {t.strand for t in tracks} == {"."} and {t.strand_pair for t in tracks} == {None}


def test_store_records_that_targets_come_transformed_from_basenji(basenji_store):
    import h5py

    store, _ = basenji_store
    with h5py.File(store, "r") as h5:
        source = json.loads(h5.attrs["source"])
        rows = h5["source_row"][:]
    assert source["format"] == "basenji"
    assert source["sequence_encoding"] == ["one_hot"]
    assert source["window_offset_bp"] == 0
    assert "not transformed again" in source["targets"]
    assert source["statistics_json"]["target_length"] == TARGET_LENGTH
    np.testing.assert_array_equal(rows, np.arange(sum(COUNTS.values())))  # bed order


def test_converted_store_feeds_the_training_loader(basenji_store):
    from seqreg.data import TrainingData
    from seqreg.sequence import one_hot_codes

    store, expected = basenji_store
    batches = TrainingData(store, "valid", batch_size=2)
    onehot, targets = batches[0]
    assert onehot.shape == (2, SEQ_LENGTH, 4)
    np.testing.assert_array_equal(onehot, one_hot_codes(expected["valid"]["codes"][:2]))
    np.testing.assert_array_equal(targets, expected["valid"]["targets"][:2].astype(np.float32))


def test_baskerville_directory_base_indices_target_spans_and_strand_pairs(tmp_path):
    import h5py

    from seqreg.data import convert_basenji_data, read_store_info

    expected = write_data_dir(tmp_path / "data", "hound", seed=1)
    store = convert_basenji_data(tmp_path / "data", tmp_path / "store.h5", progress=False)
    # sequences.bed holds the target spans; the store holds the whole windows
    assert_round_trip(store, expected)
    tracks = read_store_info(store)["tracks"]
    assert [(t.strand, t.strand_pair) for t in tracks] == [
        ("+", "CNhs10586-"), ("-", "CNhs10586+"), (".", None)]  # fmt: skip
    assert [t.soft_clip for t in tracks] == [64.0, 64.0, 2.0]
    assert [t.scale for t in tracks] == [1.0, 1.0, 0.5]
    assert [t.sum_stat for t in tracks] == ["sum_sqrt", "sum_sqrt", "mean"]
    assert [t.format for t in tracks] == ["h5"] * 3
    assert [t.assay for t in tracks] == ["CAGE", "CAGE", "ATAC"]
    with h5py.File(store, "r") as h5:
        source = json.loads(h5.attrs["source"])
    assert source["sequence_encoding"] == ["index"]
    assert source["window_offset_bp"] == CROP_BP


def test_fold_labels_map_to_splits(tmp_path):
    from seqreg.data import convert_basenji_data, load_split

    expected = write_data_dir(tmp_path / "data", "basenji")
    data = tmp_path / "data"
    renamed = {"train": "fold0", "valid": "fold1", "test": "fold2"}
    bed = (data / "sequences.bed").read_text()
    for old, new in renamed.items():
        bed = bed.replace(f"\t{old}\n", f"\t{new}\n")
        for tfr in (data / "tfrecords").glob(f"{old}-*.tfr"):
            tfr.rename(tfr.with_name(tfr.name.replace(old, new)))
    (data / "sequences.bed").write_text(bed)
    stats = json.loads((data / "statistics.json").read_text())
    for old, new in renamed.items():
        stats[f"{new}_seqs"] = stats.pop(f"{old}_seqs")
    (data / "statistics.json").write_text(json.dumps(stats))
    from seqreg.project.errors import InputFileError

    with pytest.raises(InputFileError, match=r"sequences\.bed: line 1: label 'fold0'"):
        convert_basenji_data(data, tmp_path / "store.h5", progress=False)
    store = convert_basenji_data(data, tmp_path / "store.h5", progress=False,
                                 labels={"fold0": "train", "fold1": "test", "fold2": "valid"})  # fmt: skip
    codes, _, _ = load_split(store, "test")
    np.testing.assert_array_equal(codes, expected["valid"]["codes"])


def test_command_line_converts_and_names_the_fitting_scales(tmp_path, capsys):
    from seqreg.data.basenji_import import main

    write_data_dir(tmp_path / "data", "basenji")
    out = tmp_path / "store.h5"
    assert main([str(tmp_path / "data"), str(out), "--no-progress"]) == 0
    printed = capsys.readouterr().out
    assert f"{out}: 10 windows (train 5, valid 3, test 2), 4 tracks" in printed
    assert "no scale's window geometry matches" in printed
    (tmp_path / "data" / "targets.txt").unlink()
    assert main([str(tmp_path / "data"), str(tmp_path / "other.h5"), "--no-progress"]) == 1
    assert f"error: {tmp_path / 'data' / 'targets.txt'}: missing" in capsys.readouterr().err


def test_notebook_context_and_training_take_a_converted_store(tmp_path):
    # notebooks 02-03: setup() finds the store at <output_dir>/data/store.h5, builds the
    # model of the scale's geometry (smoke: 4096 bp, 128-bp bins, 256 bp cropped) and fits
    from seqreg import models, project, train
    from seqreg.data import convert_basenji_data

    write_data_dir(tmp_path / "data", "basenji", geometry=(4096, 128, 256))
    output_dir = tmp_path / "outputs" / "mine" / "smoke"
    convert_basenji_data(tmp_path / "data", output_dir / "data" / "store.h5", progress=False)
    manifest = tmp_path / "mine.yaml"
    manifest.write_text(
        "schema_version: 1\nname: mine\ndescription: converted Basenji data\n"
        f"root: {tmp_path}\ngenomes:\n  - {{id: human, species: Homo sapiens, assembly: hg38}}\n"
        "files: []\n"
    )
    ctx = project.setup(str(manifest), "smoke", tmp_path, output_dir, name="02_train_basenji")
    assert ctx.genome == "human" and len(ctx.tracks) == len(BASENJI_TARGETS)
    spec = models.ARCHITECTURES["basenji2"]("smoke", {ctx.genome: len(ctx.tracks)})
    assert models.build_model(spec).output_shape[1] == ctx.window_spec.target_length == 28
    config = train.TrainConfig(epochs=1, batch_size=2, warmup_steps=1)
    _, state = train.fit(spec, ctx.store, tmp_path / "run", config, progress=False)
    assert state["epoch"] == 1 and np.isfinite(state["best_val_loss"])


def test_fitting_scales_knows_the_basenji2_geometry():
    from seqreg.data import WindowSpec, fitting_scales

    assert fitting_scales(WindowSpec(131072, 128, 65536, crop_bp=8192)) == ["paper"]
    assert fitting_scales(WindowSpec(131072, 128, 131072, crop_bp=0)) == []


# -- errors: one per missing or malformed file, naming it, and nothing written ---------------
def convert_error(data, out):
    from seqreg.data import convert_basenji_data
    from seqreg.project.errors import InputFileError

    with pytest.raises(InputFileError) as caught:
        convert_basenji_data(data, out, progress=False)
    assert not out.exists()
    assert [p.name for p in out.parent.iterdir() if p.name.startswith(".")] == []
    return caught.value


@pytest.fixture
def data_dir(tmp_path):
    write_data_dir(tmp_path / "data", "basenji")
    (tmp_path / "out").mkdir()
    return tmp_path / "data"


def test_missing_targets_txt(data_dir, tmp_path):
    (data_dir / "targets.txt").unlink()
    err = convert_error(data_dir, tmp_path / "out" / "store.h5")
    assert err.path == str(data_dir / "targets.txt")
    assert "missing" in err.problem


def test_tfrecord_target_length_disagreeing_with_statistics(data_dir, tmp_path):
    rng = np.random.default_rng(2)
    bad = data_dir / "tfrecords" / "valid-1.tfr"
    sequence = np.eye(4, dtype=np.uint8)[rng.integers(0, 4, SEQ_LENGTH)]
    short = rng.random((TARGET_LENGTH - 1, len(BASENJI_TARGETS))).astype(np.float16)
    write_tfrecords(bad, [(sequence, short)])
    err = convert_error(data_dir, tmp_path / "out" / "store.h5")
    assert err.path == str(bad)
    assert "target_length 6 x num_targets 4 = 24" in err.problem
    assert "holds 20 float16 values" in err.problem


def test_truncated_tfrecord(data_dir, tmp_path):
    bad = data_dir / "tfrecords" / "train-1.tfr"
    raw = bad.read_bytes()
    bad.write_bytes(raw[: len(raw) // 2])
    err = convert_error(data_dir, tmp_path / "out" / "store.h5")
    assert err.path == str(bad)
    assert "truncated or corrupt" in err.problem


def test_an_existing_store_survives_a_failed_conversion(data_dir, tmp_path):
    out = tmp_path / "out" / "store.h5"
    out.write_bytes(b"the previous store")
    (data_dir / "tfrecords" / "test-0.tfr").write_bytes(b"not a TFRecord")
    from seqreg.data import convert_basenji_data
    from seqreg.project.errors import InputFileError

    with pytest.raises(InputFileError, match=r"test-0\.tfr"):
        convert_basenji_data(data_dir, out, progress=False)
    assert out.read_bytes() == b"the previous store"


@pytest.mark.parametrize(
    ("name", "edit", "problem"),
    [
        ("statistics.json", lambda p: p.unlink(), "missing"),
        ("statistics.json", lambda p: p.write_text("{seq_length: 64"), "not valid JSON"),
        ("statistics.json",
         lambda p: p.write_text(json.dumps(json.loads(p.read_text()) | {"target_length": 7})),
         "target_length 7 does not match seq_length 64, crop_bp 8 and pool_width 8"),
        ("statistics.json",
         lambda p: p.write_text(json.dumps(json.loads(p.read_text()) | {"valid_seqs": 4})),
         "valid_seqs is 4 but sequences.bed has 3 'valid' windows"),
        ("targets.txt", lambda p: p.write_text("\n".join(p.read_text().splitlines()[:-1])),
         "has 3 targets but statistics.json says num_targets 4"),
        ("targets.txt", lambda p: p.write_text(p.read_text().replace("\t384\t", "\tlots\t")),
         "row 4 (CNhs11760): clip 'lots' is not a number"),
        ("sequences.bed", lambda p: p.write_text("chr1\t0\n" + p.read_text()),
         "line 1: 2 columns"),
        ("sequences.bed", lambda p: p.write_text("chr1\t0\t100\ttrain\n" + p.read_text()),
         "line 1: window chr1:0-100 is 100 bp"),
        ("tfrecords", lambda p: [f.unlink() for f in p.glob("test-*.tfr")],
         "no test-<n>.tfr files for the 2 'test' windows"),
        ("tfrecords", lambda p: (p / "train-2.tfr").unlink(),
         "the train-<n>.tfr files hold 4 examples but sequences.bed lists 5 'train' windows"),
    ],
)  # fmt: skip
def test_malformed_file_is_named(data_dir, tmp_path, name, edit, problem):
    edit(data_dir / name)
    err = convert_error(data_dir, tmp_path / "out" / "store.h5")
    assert err.path == str(data_dir / name)
    assert problem in err.problem
