"""GWAS SNP features and fold classification (Basenji 2018, Supp. Fig. S9)."""

from __future__ import annotations

import keras
import numpy as np
import pandas as pd
import pytest

from seqreg import io, models, predict, variants
from seqreg.io import write_fasta
from seqreg.project import InputFileError
from seqreg.sequence.encode import one_hot_codes, sequence_codes
from support.random_models import random_model

BASES = "ACGT"


@pytest.fixture(scope="module")
def genome(tmp_path_factory):
    rng = np.random.default_rng(5)
    chroms = {
        "chr1": "".join(rng.choice(list(BASES), 9000)),
        "chr2": "".join(rng.choice(list(BASES), 7000)),
    }
    path = tmp_path_factory.mktemp("gwas") / "genome.fa"
    write_fasta(path, chroms)
    return path, chroms


def snp_table(chroms, positions, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for chrom, pos in positions:
        ref = chroms[chrom][pos - 1]
        alt = rng.choice([b for b in BASES if b != ref])
        rows.append({"chrom": chrom, "pos": pos, "ref": ref, "alt": alt})
    return pd.DataFrame(rows)


def test_penultimate_features_equal_two_direct_forward_passes(genome):
    path, chroms = genome
    model = random_model()
    # SNPs near a chromosome start and end (windows padded with N) and inside
    snps = snp_table(chroms, [("chr1", 100), ("chr1", 4500), ("chr2", 6990), ("chr2", 3000)])
    local = variants.penultimate_features(model, snps, path, method="local")
    full = variants.penultimate_features(model, snps, path, method="full")
    # direct: the layer before the head on the reference and the edited window, both strands
    body = keras.Model(model.inputs, model.get_layer("head_human").input)
    length = model.input_shape[1]
    onehot = []
    for chrom, pos in zip(snps["chrom"], snps["pos"], strict=True):
        codes = np.full(length, 4, np.uint8)
        start = pos - 1 - length // 2
        lo, hi = max(start, 0), min(start + length, len(chroms[chrom]))
        codes[lo - start : hi - start] = sequence_codes(chroms[chrom][lo:hi])
        onehot.append(one_hot_codes(codes))
    onehot = np.stack(onehot)
    alt = onehot.copy()
    centre = length // 2
    alt[:, centre] = 0
    alt[np.arange(len(snps)), centre, [BASES.index(a) for a in snps["alt"]]] = 1
    ref_y = predict.predict(body, onehot, reverse_complement=True)
    alt_y = predict.predict(body, alt, reverse_complement=True)
    direct = np.abs(np.log2((alt_y + 1) / (ref_y + 1))).max(axis=1)
    assert local.shape == (4, model.get_layer("head_human").input.shape[-1])
    np.testing.assert_allclose(full, direct, atol=1e-5)
    np.testing.assert_allclose(local, direct, atol=1e-5)
    assert (direct > 0).any()


def test_penultimate_model_needs_a_head():
    inputs = keras.Input((64, 4))
    bare = keras.Model(inputs, keras.layers.Dense(3)(inputs))
    with pytest.raises(ValueError, match="no head layer"):
        variants.penultimate_model(bare)


def test_features_refuse_a_ref_allele_the_genome_lacks(genome):
    path, chroms = genome
    snps = snp_table(chroms, [("chr1", 500)])
    snps.loc[0, "ref"] = next(b for b in BASES if b != chroms["chr1"][499])
    with pytest.raises(InputFileError, match=r"genome\.fa.*correct the table's"):
        variants.penultimate_features(random_model(), snps, path)


def test_features_accept_the_chromosome_spelt_without_chr(genome):
    path, chroms = genome
    model = random_model()
    snps = snp_table(chroms, [("chr1", 3000), ("chr2", 2000)])
    bare = snps.assign(chrom=snps["chrom"].str.removeprefix("chr"))
    np.testing.assert_array_equal(
        variants.penultimate_features(model, bare, path),
        variants.penultimate_features(model, snps, path),
    )


def test_classifier_features_are_the_change_in_probability(genome):
    path, chroms = genome
    keras.utils.set_random_seed(1)
    spec = models.PEAK_ARCHITECTURES["basset"]("smoke", 3, seq_length=256)
    model = models.build_model(spec)
    snps = snp_table(chroms, [("chr1", 2000), ("chr2", 50)])
    features = variants.classifier_features(model, snps, path, reverse_complement=False)
    windows = variants.snp_windows(snps, 256)
    codes = np.full((2, 256), 4, np.uint8)
    for i, (chrom, start) in enumerate(zip(windows["chrom"], windows["start"], strict=True)):
        lo = max(start, 0)
        codes[i, lo - start :] = sequence_codes(chroms[chrom][lo : start + 256])
    alt = codes.copy()
    alt[:, 128] = [BASES.index(a) for a in snps["alt"]]
    expected = np.abs(
        model.predict(one_hot_codes(alt), verbose=0)
        - model.predict(one_hot_codes(codes), verbose=0)
    )
    np.testing.assert_allclose(features, expected, atol=1e-6)
    assert features.shape == (2, 3)


def test_allele_log2_ratio_takes_the_largest_absolute_ratio_over_bins():
    ref = np.array([[[1.0, 0.0], [3.0, 1.0]]])  # (1 SNP, 2 bins, 2 units)
    alt = np.array([[[3.0, 0.0], [1.0, 3.0]]])
    np.testing.assert_allclose(variants.allele_log2_ratio(ref, alt), [[1.0, 1.0]])
    with pytest.raises(ValueError, match="pseudocount"):
        variants.allele_log2_ratio(ref - 2, alt)


def test_fold_classification_separates_informative_from_noise_features():
    rng = np.random.default_rng(0)
    n = 400
    labels = np.repeat([0, 1], n // 2)
    folds = np.tile(np.arange(10), n // 10)
    signal = labels[:, None] * 1.0 + rng.normal(0, 1, (n, 5))
    noise = rng.normal(0, 1, (n, 20))
    per_fold, predictions = variants.fold_classification(
        {"signal": signal, "noise": noise, "joint": [noise, signal]}, labels, folds,
        n_components={"noise": 3, "joint": [3, None]},
    )  # fmt: skip
    assert len(per_fold) == 10 and per_fold["snps"].sum() == n
    assert per_fold["signal"].mean() > 0.85 and abs(per_fold["noise"].mean() - 0.5) < 0.1
    assert per_fold["joint"].mean() > 0.8
    assert predictions[["signal", "noise", "joint"]].notna().all().all()
    tests = variants.paired_fold_tests(per_fold, [("signal", "noise")]).set_index("comparison")
    assert tests.loc["signal - noise", "p"] < 1e-4 and tests.loc["signal > 0.5", "p"] < 1e-6
    assert tests.loc["noise > 0.5", "p"] > 0.01


def test_a_fold_of_one_class_has_no_auroc_but_its_snps_are_predicted():
    labels = np.array([0, 1, 0, 1, 1, 1, 0, 1])
    folds = np.array([0, 0, 1, 1, 2, 2, 3, 3])
    x = np.arange(16.0).reshape(8, 2) + labels[:, None]
    per_fold, predictions = variants.fold_classification({"x": x}, labels, folds)
    assert np.isnan(per_fold.set_index("fold").loc[2, "x"])
    assert per_fold["x"].notna().sum() == 3 and predictions["x"].notna().all()
    tests = variants.paired_fold_tests(per_fold.assign(y=per_fold["x"] - 0.1), [("x", "y")])
    assert tests.iloc[0]["mean_difference"] == pytest.approx(0.1)


def test_top_decile_share_counts_causal_snps_among_the_highest_probabilities():
    probability = np.linspace(1, 0, 100)
    is_causal = np.zeros(100, bool)
    is_causal[:8] = True  # 8 of the top 10
    is_causal[50:52] = True  # 10 causal in all
    result = variants.top_decile_share(probability, is_causal)
    assert result["top_decile"] == 0.8 and result["overall"] == 0.1 and result["enrichment"] == 8.0
    assert result["p"] < 1e-6


def test_a_gwas_table_without_its_fold_column_names_the_file_and_column(tmp_path):
    path = tmp_path / "gwas.tsv"
    path.write_text("variant_id\tchrom\tpos\tref\talt\tmaf\tlabel\nv1\tchr1\t10\tA\tC\t0.2\t1\n")
    with pytest.raises(InputFileError, match="fold") as error:
        io.read_gwas_set(path)
    assert "gwas.tsv" in str(error.value)
