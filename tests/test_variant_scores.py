"""Edited-sequence predictions, VCF reading and SAD/SED variant scores."""

from __future__ import annotations

import keras
import numpy as np
import pandas as pd
import pytest

from seqreg import interpret, io, models, predict, variants
from seqreg.io import write_fasta
from seqreg.project import InputFileError, Track
from support.random_models import random_model

TRACKS = [
    Track.from_record({"id": "dnase", "assay": "DNase"}),
    Track.from_record(
        {"id": "cage_plus", "assay": "CAGE", "strand": "+", "strand_pair": "cage_minus"}
    ),
    Track.from_record(
        {"id": "cage_minus", "assay": "CAGE", "strand": "-", "strand_pair": "cage_plus"}
    ),
]
SWAP = np.array([0, 2, 1])


@pytest.fixture(scope="module")
def model():
    return random_model()


def naive(model, onehot, window, position, code, shifts):
    """Two full forward passes per edit (reference and edited window), via predict.predict."""
    edited = onehot[window].copy()
    edited[np.arange(len(window)), position] = 0
    edited[np.arange(len(window)), position, code] = 1
    kwargs = {"swap": SWAP, "reverse_complement": True, "shifts": shifts}
    return predict.predict(model, onehot, **kwargs), predict.predict(model, edited, **kwargs)


@pytest.mark.parametrize("builder", [models.basenji2_spec, models.basenji2018_spec])
def test_local_recomputation_equals_full_forward_passes(builder):
    model = random_model(builder)
    split = interpret.split_local(model)
    assert split is not None and split.jump == 128
    assert split.slice_length() < split.seq_length
    rng = np.random.default_rng(0)
    onehot = np.eye(4, dtype="float32")[rng.integers(0, 4, (3, 4096))]
    onehot[1, :300] = 0  # N run at a window start, as past a contig end
    # edits at both window edges, next to bin boundaries and in the middle
    position = np.array([0, 1, 127, 128, 2000, 4095, 4090, 3968, 2047])
    window = np.array([0, 1, 2, 0, 1, 2, 0, 1, 2])
    code = (onehot[window, position].argmax(-1) + 1 + rng.integers(0, 3, len(position))) % 4
    shifts = (-1, 0, 1)
    ref_naive, alt_naive = naive(model, onehot, window, position, code, shifts)
    for method in ("local", "full"):
        predictor = interpret.EditPredictor(model, SWAP, shifts=shifts, batch_size=4, method=method)
        assert predictor.method == method
        reference, edited = predictor.predict(onehot, window, position, code)
        np.testing.assert_allclose(reference, ref_naive, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(edited, alt_naive, rtol=1e-5, atol=1e-6)
    # the edits change the prediction (else the comparison above proves nothing)
    change = np.abs(alt_naive - ref_naive[window]).max(axis=(1, 2))
    assert np.all(change > 1e-4)


def test_a_model_branching_at_its_input_has_no_local_split():
    inputs = keras.Input((512, 4))
    a = keras.layers.Conv1D(4, 3, padding="same")(inputs)
    b = keras.layers.Conv1D(4, 5, padding="same")(inputs)
    model = keras.Model(inputs, keras.layers.Add()([a, b]))
    assert interpret.split_local(model) is None
    assert interpret.EditPredictor(model, reverse_complement=False).method == "full"


def test_chain_extent_follows_same_padding_and_pooling():
    inputs = keras.Input((1024, 4))
    x = keras.layers.Conv1D(2, 4, padding="same")(inputs)  # even kernel: pads 1 left, 2 right
    x = keras.layers.MaxPooling1D(4)(x)
    x = keras.layers.Conv1D(2, 3, padding="same", dilation_rate=2)(x)  # 2 and 2, x4 bases
    model = keras.Model(inputs, keras.layers.Dense(3)(x))
    split = interpret.split_local(model, max_extent=1024)
    assert (split.jump, split.left, split.right) == (4, 1 + 8, 2 + 3 + 8)


# -- VCF --------------------------------------------------------------------------------------
def write_genome(path, length: int = 12_000, seed: int = 0, names=("chr1", "chr2")) -> dict:
    rng = np.random.default_rng(seed)
    sequences = {name: "".join(rng.choice(list("ACGT"), length)) for name in names}
    write_fasta(path, sequences)
    return sequences


def write_vcf(path, rows, samples=("S1", "S2", "S3", "S4"), contigs=("chr1", "chr2")) -> None:
    lines = ["##fileformat=VCFv4.2", '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">']
    lines += [f"##contig=<ID={c}>" for c in contigs]
    lines.append(
        "\t".join(
            ["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT", *samples]
        )
    )
    for chrom, pos, vid, ref, alt, *genotypes in rows:
        calls = genotypes or ["0|1"] * len(samples)
        lines.append("\t".join([chrom, str(pos), vid, ref, alt, ".", "PASS", ".", "GT", *calls]))
    path.write_text("\n".join(lines) + "\n")


def test_read_vcf_splits_skips_and_checks_ref(tmp_path):
    seqs = write_genome(tmp_path / "g.fa")
    base = seqs["chr1"]
    other = {"A": "C", "C": "G", "G": "T", "T": "A"}
    rows = [
        ("1", 100, "rs1", base[99], other[base[99]]),  # "1" is chr1 in the FASTA
        ("chr1", 200, "rs2", base[199], f"{other[base[199]]},{other[other[base[199]]]}"),
        ("chr1", 300, "del", base[299:302], base[299]),
        ("chr1", 400, "sym", base[399], "<DEL>"),
        # REF disagrees with the FASTA (and ALT too: else it would count as a REF/ALT swap)
        ("chr1", 500, "bad", other[base[499]], other[other[base[499]]]),
        ("chrUn", 600, "elsewhere", "A", "C"),
    ]
    write_vcf(tmp_path / "v.vcf", rows, contigs=("1", "chr1", "chrUn"))
    with pytest.warns(UserWarning, match="1 of 4 REF alleles differ"):
        table, counts = io.read_vcf(tmp_path / "v.vcf", tmp_path / "g.fa")
    assert list(table["variant_id"]) == ["rs1", "rs2", "rs2"]
    assert set(table["chrom"]) == {"chr1"}
    assert counts == {"records": 6, "alleles": 7, "snvs": 5, "indels_skipped": 1, "symbolic_skipped": 1,
                      "non_acgt_skipped": 0, "other_contig": 1, "ref_mismatch": 1, "ref_alt_swapped": 0,
                      "flipped": 0, "duplicates": 0, "kept": 3}  # fmt: skip


def test_a_vcf_on_another_genome_build_is_refused(tmp_path):
    write_genome(tmp_path / "g.fa", seed=0)
    other = write_genome(tmp_path / "other_build.fa", seed=1)
    rows = [("chr1", p, f"rs{p}", other["chr1"][p - 1], "A" if other["chr1"][p - 1] != "A" else "C")
            for p in range(50, 5000, 97)]  # fmt: skip
    # keep only positions where the two builds differ, so no REF can match by chance
    mine = write_genome(tmp_path / "g.fa", seed=0)
    rows = [r for r in rows if mine["chr1"][r[1] - 1] != r[3]]
    write_vcf(tmp_path / "v.vcf", rows)
    with pytest.raises(
        InputFileError,
        match=r"v\.vcf.*none of its \d+ REF alleles matches .*g\.fa.*another genome build",
    ):
        io.read_vcf(tmp_path / "v.vcf", tmp_path / "g.fa")


# -- scores -----------------------------------------------------------------------------------
def some_variants(seqs, n: int = 24, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for k in range(n):
        chrom = ["chr1", "chr2"][k % 2]
        pos = int(rng.integers(1, len(seqs[chrom]) + 1)) if k > 1 else [1, len(seqs[chrom])][k]
        ref = seqs[chrom][pos - 1]
        alt = "ACGT"[("ACGT".index(ref) + int(rng.integers(1, 4))) % 4]
        rows.append((chrom, pos, f"v{k}", ref, alt))
    return pd.DataFrame(rows, columns=io.VARIANT_COLUMNS).drop_duplicates(["chrom", "pos"])


def tss_table():
    return pd.DataFrame({
        "chrom": ["chr1", "chr1", "chr1", "chr2"], "position": [3000, 3400, 8000, 6000],
        "strand": ["+", "+", "-", "-"], "gene_id": ["G1", "G1", "G2", "G3"],
    })  # fmt: skip


def score(model, snvs, fasta, path, **kwargs):
    options = {"tracks": TRACKS, "pool_width": 128, "tss": tss_table(), "stride": 512,
               "progress": False} | kwargs  # fmt: skip
    return variants.read_scores(variants.score_variants(model, snvs, fasta, path, **options))


def keyed(scores, names=("sad", "sed")):
    """The named scores as frames: ``sad`` and ``sar`` indexed by variant, ``sed`` and
    ``ser`` by (variant, gene), each sorted."""
    snvs = scores.variants["variant_id"].to_numpy()
    pairs = scores.pairs.assign(variant_id=snvs[scores.pairs["variant"]])
    by_pair = pd.MultiIndex.from_frame(pairs[["variant_id", "gene_id"]])
    frames = []
    for name in names:
        index = snvs if name in ("sad", "sar") else by_pair
        frames.append(pd.DataFrame(getattr(scores, name), index=index).sort_index())
    return tuple(frames)


def test_swapping_ref_and_alt_negates_sad_and_sed(model, tmp_path):
    seqs = write_genome(tmp_path / "a.fa", length=40_000)
    # one variant per window (each is scored in its reference context), some near TSSs
    positions = [1, 3201, 7990, 12_500, 17_100, 21_700, 26_300, 30_900, 35_500, 40_000]
    rows = []
    for chrom in ("chr1", "chr2"):
        for pos in positions:
            ref = seqs[chrom][pos - 1]
            rows.append((chrom, pos, f"{chrom}_{pos}", ref, "ACGT"[("ACGT".index(ref) + 2) % 4]))
    snvs = pd.DataFrame(rows, columns=io.VARIANT_COLUMNS)
    # genome B carries every ALT allele; the same variants written ALT>REF against it
    swapped = {c: list(s) for c, s in seqs.items()}
    for row in snvs.itertuples():
        swapped[row.chrom][row.pos - 1] = row.alt
    write_fasta(tmp_path / "b.fa", {c: "".join(s) for c, s in swapped.items()})
    reverse = snvs.rename(columns={"ref": "alt", "alt": "ref"})
    tss = pd.DataFrame({"chrom": snvs["chrom"], "position": np.minimum(snvs["pos"] + 300, 39_999),
                        "strand": "+", "gene_id": "G_" + snvs["variant_id"]})  # fmt: skip
    names = ("sad", "sed", "sar", "ser")
    a = keyed(score(model, snvs, tmp_path / "a.fa", tmp_path / "a.h5", tss=tss), names)
    b = keyed(score(model, reverse, tmp_path / "b.fa", tmp_path / "b.h5", tss=tss), names)
    assert len(a[1]) == len(snvs) and np.median(np.abs(a[0].to_numpy())) > 2e-4
    for name, score_a, score_b in zip(names, a, b, strict=True):
        assert np.abs(score_a.to_numpy()).max() > 0, name  # else the check proves nothing
        # float32 predictions of magnitude ~1 differ in their last bits only
        np.testing.assert_allclose(score_b.to_numpy(), -score_a.to_numpy(), rtol=1e-3, atol=5e-6,
                                   err_msg=name)  # fmt: skip


def test_scores_do_not_depend_on_batch_size_or_variant_order(model, tmp_path):
    seqs = write_genome(tmp_path / "g.fa")
    snvs = some_variants(seqs, n=30, seed=2)
    first = keyed(score(model, snvs, tmp_path / "g.fa", tmp_path / "1.h5", batch_size=3,
                        windows_per_chunk=2))  # fmt: skip
    shuffled = snvs.sample(frac=1.0, random_state=0)
    second = keyed(score(model, shuffled, tmp_path / "g.fa", tmp_path / "2.h5", batch_size=8,
                         windows_per_chunk=5))  # fmt: skip
    for a, b in zip(first, second, strict=True):
        assert list(a.index) == list(b.index)
        # batch size changes only the float32 summation order inside the convolutions
        np.testing.assert_allclose(a.to_numpy(), b.to_numpy(), rtol=1e-4, atol=5e-6)


def test_sed_is_the_tss_bin_difference_summed_over_a_genes_tsss(model, tmp_path):
    seqs = write_genome(tmp_path / "g.fa")
    snvs = pd.DataFrame([("chr1", 3201, "mid", seqs["chr1"][3200], "A" if seqs["chr1"][3200] != "A" else "C")],
                            columns=io.VARIANT_COLUMNS)  # fmt: skip
    scores = score(model, snvs, tmp_path / "g.fa", tmp_path / "s.h5", reverse_complement=False)
    pair = scores.pairs.iloc[0]
    assert (pair["gene_id"], pair["n_tss"], pair["tss_distance"]) == ("G1", 2, 200)
    # by hand: the variant's window (centre 3328), bins of both TSSs
    center = 3200 // 512 * 512 + 256
    start = center - 2048
    window = variants.window_sequences(__import__("pysam").FastaFile(str(tmp_path / "g.fa")),
                                pd.DataFrame({"chrom": ["chr1"], "start": [start]}), 4096)  # fmt: skip
    edited = window.copy()
    edited[0, 3200 - start] = 0
    edited[0, 3200 - start, "ACGT".index(snvs.at[0, "alt"])] = 1
    ref, alt = (predict.predict(model, x).astype(np.float64) for x in (window, edited))
    bins = [(t - (start + 256)) // 128 for t in (3000, 3400)]
    expected = (alt[0, bins] - ref[0, bins]).sum(axis=0)
    np.testing.assert_allclose(scores.sed[0], expected, rtol=1e-4, atol=5e-6)
    np.testing.assert_allclose(scores.sad[0], (alt - ref)[0].sum(axis=0), rtol=1e-4, atol=5e-6)


def test_scoring_resumes_after_a_kill(model, tmp_path, monkeypatch):
    seqs = write_genome(tmp_path / "g.fa")
    snvs = some_variants(seqs, n=30, seed=3)
    path = tmp_path / "scores.h5"
    calls = {"n": 0}
    original = variants.scorefile._ScoreFile.append

    def die_on_third_chunk(self, *args):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        original(self, *args)

    monkeypatch.setattr(variants.scorefile._ScoreFile, "append", die_on_third_chunk)
    with pytest.raises(KeyboardInterrupt):
        score(model, snvs, tmp_path / "g.fa", path, windows_per_chunk=2)
    assert not path.exists() and (tmp_path / ".scores.h5.partial").exists()
    monkeypatch.setattr(variants.scorefile._ScoreFile, "append", original)
    resumed_chunks = {"n": 0}

    def count(self, *args):
        resumed_chunks["n"] += 1
        original(self, *args)

    monkeypatch.setattr(variants.scorefile._ScoreFile, "append", count)
    resumed = keyed(score(model, snvs, tmp_path / "g.fa", path, windows_per_chunk=2))
    monkeypatch.setattr(variants.scorefile._ScoreFile, "append", original)
    fresh = keyed(score(model, snvs, tmp_path / "g.fa", tmp_path / "fresh.h5", windows_per_chunk=2))
    n_windows = len(variants.variant_windows(snvs.sort_values(["chrom", "pos"]), 4096, 512)[0])
    assert resumed_chunks["n"] == -(-n_windows // 2) - 2  # the two finished chunks were kept
    assert not (tmp_path / ".scores.h5.partial").exists()
    for a, b in zip(resumed, fresh, strict=True):
        assert list(a.index) == list(b.index)
        np.testing.assert_allclose(a.to_numpy(), b.to_numpy(), rtol=1e-6)


def test_variants_at_contig_ends_are_padded_with_n(model, tmp_path):
    seqs = write_genome(tmp_path / "g.fa")
    snvs = some_variants(seqs, n=2)  # the first base of chr1 and the last of chr2
    scores = score(model, snvs, tmp_path / "g.fa", tmp_path / "s.h5")
    assert np.isfinite(scores.sad).all() and np.abs(scores.sad).max() > 0
    # by hand: each variant's 4,096-bp window (centres every 512 bp) runs past the contig
    # end, and the bases beyond it are N (all-zero one-hot)
    for k, row in enumerate(scores.variants.itertuples()):
        seq = seqs[row.chrom]
        start = (row.pos - 1) // 512 * 512 + 256 - 2048
        assert start < 0 or start + 4096 > len(seq)  # the window does leave the contig
        text = "".join(seq[p] if 0 <= p < len(seq) else "N" for p in range(start, start + 4096))
        window = np.array([[c == b for b in "ACGT"] for c in text], dtype="float32")[None]
        edited = window.copy()
        edited[0, row.pos - 1 - start] = [b == row.alt for b in "ACGT"]
        ref, alt = (
            predict.predict(model, x, SWAP, reverse_complement=True).astype(np.float64)
            for x in (window, edited)
        )
        np.testing.assert_allclose(scores.sad[k], (alt - ref)[0].sum(axis=0), rtol=1e-4, atol=5e-6)


@pytest.mark.parametrize("builder", [models.basenji2_spec, models.basenji2018_spec])
def test_local_and_full_scoring_agree_in_summed_sad_and_sed(builder, tmp_path):
    # The local path splices bins recomputed on a slice into a shared reference. Its
    # summed scores equal two full passes up to float32 rounding of the predictions they
    # sum: within 1e-6 of the summed prediction per variant and track (measured: about
    # 1e-7). The reference and edited passes share one batch shape, so unchanged bins
    # cancel exactly instead of adding rounding noise.
    model = random_model(builder, seed=5)
    seqs = write_genome(tmp_path / "g.fa", length=12_000)
    snvs = some_variants(seqs, n=30, seed=4)
    results = {
        method: keyed(
            score(
                model,
                snvs,
                tmp_path / "g.fa",
                tmp_path / f"{method}.h5",
                method=method,
                shifts=(-1, 0, 1),
                batch_size=4,
            )
        )
        for method in ("local", "full")
    }
    window = np.eye(4, dtype="float32")[np.random.default_rng(0).integers(0, 4, (4, 4096))]
    summed_prediction = predict.predict(model, window).sum(axis=1).mean()  # per track
    for local, full in zip(results["local"], results["full"], strict=True):
        assert np.abs(full.to_numpy()).max() > 1e-4  # the edits change the predictions
        np.testing.assert_allclose(local.to_numpy(), full.to_numpy(), rtol=0,
                                   atol=1e-6 * summed_prediction)  # fmt: skip


def test_bins_beyond_the_receptive_field_of_an_edit_change_by_exactly_zero(model):
    # reference and edited passes run at one batch shape, so bins the edit cannot reach
    # are bitwise equal and add nothing, not rounding noise, to summed scores
    rng = np.random.default_rng(2)
    onehot = np.eye(4, dtype="float32")[rng.integers(0, 4, (3, 4096))]
    position = np.array([100, 300, 200, 150, 50])
    window = np.array([0, 1, 2, 0, 1])
    code = (onehot[window, position].argmax(-1) + 1) % 4
    predictor = interpret.EditPredictor(model, SWAP, shifts=(0,), batch_size=3, method="local")
    reference, edited = predictor.predict(onehot, window, position, code)
    reach = models.receptive_field(models.basenji2_spec("smoke", {"human": 3}))
    far = models.geometry.bin_of(position.max() + reach, 128, 256) + 1  # first bin out of reach
    assert 0 < far < reference.shape[1]
    difference = edited - reference[window]
    assert np.all(difference[:, far:] == 0)
    assert np.abs(difference[:, :far]).max() > 0


def test_gtex_ids_round_trip_and_strand_matched_scores_pick_the_genes_strand():
    table = pd.DataFrame(
        {"chrom": ["chr1", "chr2"], "pos": [12, 345], "ref": ["A", "C"], "alt": ["G", "T"]}
    )
    ids = io.gtex_variant_ids(table)
    assert ids.tolist() == ["chr1_12_A_G_b38", "chr2_345_C_T_b38"]
    chrom, pos, ref, alt = io.parse_gtex_variant_ids(pd.Series(ids))
    assert chrom.tolist() == ["chr1", "chr2"] and pos.tolist() == [12, 345]
    assert ref.tolist() == ["A", "C"] and alt.tolist() == ["G", "T"]
    matrix = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]])
    chosen = variants.strand_matched(matrix, ["gp", "gm", "gp"], {"gp": "+", "gm": "-"},
                                     {"+": 1, "-": 2})  # fmt: skip
    assert chosen.tolist() == [2.0, 6.0, 8.0]
    with pytest.raises(KeyError):
        variants.strand_matched(matrix, ["gp"], {"gp": "+"}, {"-": 2})
