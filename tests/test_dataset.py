"""Windows, splits, target transforms, the store and the Keras loader."""

from __future__ import annotations

import h5py
import numpy as np
import pandas as pd
import pytest

from seqreg import data
from seqreg.data import WindowSpec, fill_nan, pool, soft_clip, transform_targets
from seqreg.project import InputFileError, preset


# -- transforms with hand-computed values ----------------------------------------------------
def test_pooling_statistics():
    values = np.array([[1.0, 2, 3, 4, 5, 6]])
    assert pool(values, 2, "sum").tolist() == [[3, 7, 11]]
    assert pool(values, 2, "mean").tolist() == [[1.5, 3.5, 5.5]]
    assert pool(values, 2, "max").tolist() == [[2, 4, 6]]
    assert pool(values, 3, "median").tolist() == [[2, 5]]
    np.testing.assert_allclose(pool(values, 2, "sum_sqrt"), [np.sqrt([3, 7, 11])])
    np.testing.assert_allclose(pool(values, 3, "mean_sqrt"), [np.sqrt([2, 5])])
    with pytest.raises(ValueError, match="evenly"):
        pool(values, 4)


def test_soft_and_hard_clipping():
    np.testing.assert_allclose(soft_clip(np.array([1.0, 4, 8, 20]), 4), [1, 4, 6, 8])
    spec = WindowSpec(seq_length=4, pool_width=2, stride=4)
    targets = transform_targets(np.array([[10.0, 10, 1, 1]]), spec, soft_clip_at=4, clip_at=5)
    assert targets.tolist() == [[5.0, 2.0]]  # 20 -> 4 + sqrt(16) = 8 -> 5; 2 stays


def test_nan_policies():
    values = np.array([[1.0, np.nan, 3.0, np.nan], [np.nan] * 4])
    assert fill_nan(values, "zero").tolist() == [[1, 0, 3, 0], [0, 0, 0, 0]]
    assert fill_nan(values, "baseline", 0.5).tolist() == [[1, 0.5, 3, 0.5], [0.5] * 4]
    assert fill_nan(values, "interpolate", 0.5).tolist() == [[1, 2, 3, 3], [0.5] * 4]


def test_masking_and_cropping():
    spec = WindowSpec(seq_length=8, pool_width=2, stride=8, crop_bp=2, nan_policy="baseline")
    values = np.array([[9.0, 9, 1, np.nan, 100, 1, 9, 9]])
    masked = np.zeros_like(values, dtype=bool)
    masked[0, 4] = True  # a blacklisted position
    targets = transform_targets(values, spec, baseline=0.25, masked=masked)
    # crop 2 per side -> [1, 0.25, 0.25, 1]; pool by 2 (sum)
    assert targets.tolist() == [[1.25, 1.25]]


def test_float16_overflow_is_capped():
    spec = WindowSpec(seq_length=2, pool_width=2, stride=2)
    assert transform_targets(np.array([[1e6, 1e6]]), spec).max() == data.FLOAT16_MAX


# -- windows and splits ---------------------------------------------------------------------------
def test_contigs_windows_and_masked_fraction():
    contigs = data.contigs(
        {"chr1": 100, "chr2": 30}, [("chr1", 40, 50), ("chr1", 60, 61)], min_gap=5
    )
    assert contigs.values.tolist() == [["chr1", 0, 40], ["chr1", 50, 100], ["chr2", 0, 30]]
    windows = data.tile_windows(contigs, 20, 10)
    assert windows.values.tolist() == [
        ["chr1", 0, 20], ["chr1", 10, 30], ["chr1", 20, 40], ["chr1", 50, 70], ["chr1", 60, 80],
        ["chr1", 70, 90], ["chr1", 80, 100], ["chr2", 0, 20], ["chr2", 10, 30],
    ]  # fmt: skip
    regions = pd.DataFrame(
        {"chrom": ["chr1", "chr1", "chr2"], "start": [5, 8, 0], "end": [12, 15, 40]}
    )
    fraction = data.covered_fraction(windows, regions)
    assert fraction[:3].tolist() == [0.5, 0.25, 0.0] and fraction[-1] == 1.0


def test_splits_never_overlap_and_follow_fractions():
    windows = data.tile_windows(pd.DataFrame({"chrom": ["chr1", "chr2"], "start": [0, 0], "end": [2_000_000, 1_000_000]}),
                                   16384, 8192 + 63)  # fmt: skip
    split = data.assign_splits(windows, 0.1, 0.1, seed=3)
    assert data.overlapping_pairs_across_splits(split) == 0
    shares = split["split"].value_counts(normalize=True)
    assert 0.05 < shares["valid"] < 0.2 and 0.05 < shares["test"] < 0.2
    by_chrom = data.assign_splits(windows, chromosomes={"test": ["chr2"]})
    assert set(by_chrom.loc[by_chrom["chrom"] == "chr2", "split"]) == {"test"}
    custom = data.assign_splits(
        windows, custom=lambda w: np.where(w["start"] < 500_000, "valid", "train")
    )
    assert data.overlapping_pairs_across_splits(custom) == 0
    assert set(custom["split"]) == {"train", "valid"}
    with pytest.raises(ValueError, match="split labels"):
        data.assign_splits(windows, custom=lambda w: ["holdout"] * len(w))


# -- the store --------------------------------------------------------------------------------------
def smoke_windows(manifest, spec):
    from seqreg.io import read_chrom_sizes

    sizes = read_chrom_sizes(manifest.path_of("chrom_sizes"))
    gaps = [
        tuple(r)
        for r in pd.read_csv(manifest.path_of("gaps"), sep="\t", header=None).itertuples(
            index=False
        )
    ]
    windows = data.tile_windows(data.contigs(sizes, gaps), spec.seq_length, spec.stride)
    return data.assign_splits(windows, 0.1, 0.1)


@pytest.fixture(scope="module")
def smoke_store(smoke_manifest, tmp_path_factory):
    spec = WindowSpec(**preset("preprocess", "smoke"))
    path = tmp_path_factory.mktemp("store") / "store.h5"
    windows = smoke_windows(smoke_manifest, spec)
    data.build_store(smoke_manifest, path, spec, windows, progress=False)
    return path, spec, windows


def test_store_holds_sequences_targets_and_metadata(smoke_store, smoke_manifest):
    import pyfaidx

    path, spec, windows = smoke_store
    info = data.read_store_info(path)
    assert (
        info["statistics"]["windows"] == len(windows)
        and info["statistics"]["target_length"] == spec.target_length
    )
    # the store keeps its tracks as the manifest describes them, in target order
    assert info["tracks"] == [t for t in smoke_manifest.tracks if t.genome == "human"]
    with h5py.File(path) as h5, pyfaidx.Fasta(str(smoke_manifest.path_of("genome_fasta"))) as fa:
        assert h5["targets"].shape == (len(windows), spec.target_length, len(smoke_manifest.tracks))
        assert h5["targets"].dtype == np.float16
        row = 5
        chrom, start, end = h5["chrom"].asstr()[row], int(h5["start"][row]), int(h5["end"][row])
        seq = str(fa[chrom][start:end]).upper()
        assert "".join("ACGTN"[c] for c in h5["sequences"][row]) == seq
        # one track's targets recomputed directly from its bigWig
        k = 0
        track = smoke_manifest.tracks[k]
        from seqreg.io import read_values

        values = read_values(track.local_path, chrom, start, end)[None, :]
        baseline = __import__("json").loads(h5.attrs["baselines"])[track.id]
        masked = data.store._mask_matrix(pd.DataFrame({"chrom": [chrom], "start": [start]}),
                                      data.merged_intervals(data.store._mask_regions(smoke_manifest, "human")), spec.seq_length)  # fmt: skip
        expected = transform_targets(
            values, spec, track.sum_stat, track.scale, track.soft_clip, track.clip, baseline, masked
        )
        np.testing.assert_allclose(h5["targets"][row, :, k], expected[0], rtol=1e-3)


def test_a_stored_target_bin_equals_the_hand_computed_transform(smoke_store, smoke_manifest):
    """One bin per pooling statistic, computed from the bigWig with pyBigWig and the
    documented order crop -> pool -> scale -> soft clip -> clip, without the library's
    transform or masking code (the test above checks the plumbing around them)."""
    import pyBigWig

    path, spec, _ = smoke_store
    masked = pd.concat(
        [pd.read_csv(smoke_manifest.path_of(role), sep="\t", header=None, usecols=[0, 1, 2])
         for role in ("blacklist", "unmappable")]
    )  # fmt: skip
    masked.columns = ["chrom", "start", "end"]
    ids = [t.id for t in smoke_manifest.tracks]
    checked = set()
    with h5py.File(path) as h5:
        chroms, starts = h5["chrom"].asstr()[:], h5["start"][:]
        for track_id in ("dnase_lymphoblastoid", "h3k27ac_lymphoblastoid"):  # sum and mean
            track = smoke_manifest.tracks[ids.index(track_id)]
            stored = h5["targets"][:, :, ids.index(track_id)].astype(np.float64)
            handle = pyBigWig.open(str(track.local_path))
            # the strongest bin that no blacklisted or unmappable region touches and that
            # has data at every base (so no NaN policy or mask applies)
            for row, b in zip(*np.unravel_index(np.argsort(stored, axis=None)[::-1], stored.shape),
                              strict=True):  # fmt: skip
                lo = int(starts[row]) + spec.crop_bp + b * spec.pool_width
                hi = lo + spec.pool_width
                near = masked[(masked["chrom"] == chroms[row]) & (masked["start"] < hi)
                              & (masked["end"] > lo)]  # fmt: skip
                raw = np.array(handle.values(chroms[row], lo, hi), dtype=np.float64)
                if near.empty and not np.isnan(raw).any():
                    break
            handle.close()
            value = (raw.sum() if track.sum_stat == "sum" else raw.mean()) * track.scale
            if track.soft_clip is not None and value > track.soft_clip:
                value = track.soft_clip + np.sqrt(value - track.soft_clip)
            if track.clip is not None:
                value = min(value, track.clip)
            assert value > 0, track_id  # a bin with signal, not an all-zero one
            assert stored[row, b] == pytest.approx(value, rel=1e-3), (track_id, row, b)
            checked.add(track.sum_stat)
    assert checked == {"sum", "mean"}


def test_interrupted_build_leaves_no_store(smoke_manifest, tmp_path, monkeypatch):
    spec = WindowSpec(**preset("preprocess", "smoke"))
    windows = smoke_windows(smoke_manifest, spec)
    calls = {"n": 0}
    real = data.transform_targets

    def failing(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] > 20:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(data.store, "transform_targets", failing)
    with pytest.raises(KeyboardInterrupt):
        data.build_store(smoke_manifest, tmp_path / "store.h5", spec, windows, progress=False)
    assert not list(tmp_path.iterdir()), "an interrupted build left a file"


def test_missing_track_fails_before_any_work(smoke_manifest, tmp_path):
    import dataclasses

    spec = WindowSpec(**preset("preprocess", "smoke"))
    broken = dataclasses.replace(smoke_manifest.tracks[3], path=tmp_path / "gone.bw")
    manifest = dataclasses.replace(smoke_manifest, tracks=[*smoke_manifest.tracks[:3], broken])
    with pytest.raises(
        InputFileError, match=r"gone\.bw: track 'h3k27ac_lymphoblastoid_rep2' of .* does not exist"
    ):
        data.build_store(
            manifest,
            tmp_path / "store.h5",
            spec,
            smoke_windows(smoke_manifest, spec),
            progress=False,
        )
    assert not (tmp_path / "store.h5").exists()


def test_chromosome_aliases_are_resolved_or_named(tmp_path):
    from seqreg.io import open_bigwig, resolve_chrom, write_bigwig

    path = write_bigwig(tmp_path / "t.bw", {"1": 100}, {"1": np.arange(10.0)}, 10)
    handle = open_bigwig(path)
    assert resolve_chrom("chr1", handle.chroms(), path) == "1"
    chunk = pd.DataFrame({"chrom": ["chr1"], "start": [20], "end": [40]})
    values = data.store._read_chunk(handle, path, chunk, 20, resolve_chrom)
    assert values[0, :10].tolist() == [2.0] * 10
    with pytest.raises(InputFileError, match=r"t\.bw: has no chromosome 'chr7' \(nor '7'\)"):
        resolve_chrom("chr7", handle.chroms(), path)
    handle.close()


# -- the loader ---------------------------------------------------------------------------------------
def test_reverse_complement_maps_each_pair_to_a_valid_pair(smoke_store, smoke_manifest):
    import pyfaidx

    from seqreg.data import TrainingData, reverse_complement_batch
    from seqreg.sequence import one_hot

    path, _, _ = smoke_store
    data = TrainingData(path, "train", batch_size=4)
    x, y = data[0]
    x_rc, y_rc = reverse_complement_batch(x, y, data.swap)
    ids = [t.id for t in data.tracks]
    plus, minus = ids.index("cage_lymphoblastoid_plus"), ids.index("cage_lymphoblastoid_minus")
    dnase = ids.index("dnase_lymphoblastoid")
    with h5py.File(path) as h5, pyfaidx.Fasta(str(smoke_manifest.path_of("genome_fasta"))) as fa:
        row = data.order[0]
        seq = str(fa[h5["chrom"].asstr()[row]][int(h5["start"][row]) : int(h5["end"][row])]).upper()
    reverse = seq[::-1].translate(str.maketrans("ACGTN", "TGCAN"))
    np.testing.assert_array_equal(x_rc[0], one_hot(reverse))  # the other strand's sequence
    np.testing.assert_array_equal(
        y_rc[:, :, plus], y[:, ::-1, minus]
    )  # its plus strand is our minus
    np.testing.assert_array_equal(y_rc[:, :, dnase], y[:, ::-1, dnase])
    x2, y2 = reverse_complement_batch(x_rc, y_rc, data.swap)
    np.testing.assert_array_equal(x2, x)
    np.testing.assert_array_equal(y2, y)


def test_augmentation_flips_some_windows_of_a_batch_and_leaves_the_others(smoke_store):
    from seqreg.data import TrainingData, reverse_complement_batch

    path, _, _ = smoke_store
    plain = TrainingData(path, "train", batch_size=16)
    x, y = plain[0]
    x_rc, y_rc = reverse_complement_batch(x, y, plain.swap)
    augmented = TrainingData(path, "train", batch_size=16, augment=True, max_shift=0, seed=1)
    xa, ya = augmented[0]
    flipped = []
    for i in range(len(xa)):
        same = np.array_equal(xa[i], x[i]) and np.array_equal(ya[i], y[i])
        reverse = np.array_equal(xa[i], x_rc[i]) and np.array_equal(ya[i], y_rc[i])
        assert same != reverse, i  # exactly one of the two (no window is a palindrome)
        flipped.append(reverse)
    # an augmentation that did nothing, or flipped everything, would fail here
    assert 0 < sum(flipped) < len(flipped), flipped


def test_shift_augmentation_moves_sequence_not_targets(smoke_store):
    from seqreg.data import TrainingData, reverse_complement_batch
    from seqreg.sequence import shift_sequences

    path, _, _ = smoke_store
    # the loader: each window's sequence is shifted by up to 3 bases (after an optional
    # reverse complement) while its targets stay exactly the (flipped or not) targets
    plain = TrainingData(path, "train", batch_size=16)
    x, y = plain[0]
    x_rc, y_rc = reverse_complement_batch(x, y, plain.swap)
    augmented = TrainingData(path, "train", batch_size=16, augment=True, max_shift=3, seed=2)
    xa, ya = augmented[0]
    shifts = []
    for i in range(len(xa)):
        # targets never move: they are the window's targets or their reverse complement
        # (windows without signal have equal ones, so both orientations stay candidates)
        candidates = [bx for bx, by in ((x, y), (x_rc, y_rc)) if np.array_equal(ya[i], by[i])]
        assert candidates, f"window {i}: its targets moved"
        found = [s for bx in candidates for s in range(-3, 4)
                 if np.array_equal(xa[i], shift_sequences(bx[i : i + 1], np.array([s]))[0])]  # fmt: skip
        assert found, f"window {i} is no shift of up to 3 bases of its sequence"
        shifts.append(found[0])
    assert any(shifts), shifts  # some window did move
    # the helper itself, by hand
    x, _ = TrainingData(path, "valid", batch_size=2)[0]
    shifted = shift_sequences(x, np.array([3, -2]))
    np.testing.assert_array_equal(shifted[0, 3:], x[0, :-3])
    assert shifted[0, :3].sum() == 0 and shifted[1, -2:].sum() == 0
    np.testing.assert_array_equal(shifted[1, :-2], x[1, 2:])
