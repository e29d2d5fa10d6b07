"""Accuracy analyses: metrics against scipy/sklearn, baselines, genes, clusters and truth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import pearsonr
from sklearn.metrics import r2_score

from seqreg import evaluate, truth
from seqreg.project import Track


def tracks_table(*specs):
    return [
        Track.from_record({"id": i, "assay": a, "cell_type": c, "strand": s, "replicate_group": g})
        for i, a, c, s, g in specs
    ]


# -- metrics ---------------------------------------------------------------------------------
def test_metrics_match_scipy_and_sklearn():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(50, 3)), rng.normal(size=(50, 3))
    b[:, 0] += a[:, 0]
    for j in range(3):
        assert evaluate.pearson(a, b)[j] == pytest.approx(pearsonr(a[:, j], b[:, j])[0])
        assert evaluate.r_squared(a, b)[j] == pytest.approx(r2_score(a[:, j], b[:, j]))
    assert np.isnan(evaluate.pearson(np.ones(5), np.arange(5.0)))


def test_track_accuracy_on_log2_values():
    rng = np.random.default_rng(1)
    target = rng.poisson(3.0, (4, 10, 2)).astype("float32")
    tracks = tracks_table(("t0", "DNase", "x", ".", "g0"), ("t1", "ChIP-H3K27ac", "x", ".", "g1"))
    perfect = evaluate.track_accuracy(target, target, tracks)
    assert perfect["pearson_r"].tolist() == pytest.approx([1, 1])
    assert perfect["r2"].tolist() == pytest.approx([1, 1])
    assert perfect["assay_type"].tolist() == ["DNase", "histone ChIP"]
    noisy = target + rng.poisson(3.0, target.shape)
    table = evaluate.track_accuracy(noisy, target, tracks)
    expected = pearsonr(np.log2(1 + target[:, :, 1].ravel()), np.log2(1 + noisy[:, :, 1].ravel()))[
        0
    ]
    assert table.loc[1, "pearson_r"] == pytest.approx(expected)


def test_assay_types_group_tracks_as_the_papers_do():
    from seqreg.evaluate import assay_type

    assert [assay_type(a) for a in ("DNase", "ATAC", "ChIP-H3K27ac", "H3K4me1", "ChIP-CTCF",
                                    "CAGE", "RNA")] == [
        "DNase", "DNase", "histone ChIP", "histone ChIP", "TF ChIP", "CAGE", "RNA"
    ]  # fmt: skip


# -- baselines -------------------------------------------------------------------------------
def test_kmer_features_count_by_hand():
    # ACGTACGT | GGGGCCCC (two 8-bp bins, no crop), 2-mers
    codes = np.array([[0, 1, 2, 3, 0, 1, 2, 3, 2, 2, 2, 2, 1, 1, 1, 1]], dtype=np.uint8)
    features = evaluate.kmer_features(codes, pool_width=8, crop_bp=0, k=2)
    assert features.shape == (1, 2, 1 + 10)  # GC + 10 canonical 2-mers
    assert features[0, :, 0].tolist() == pytest.approx([0.5, 1.0])
    # 2-mers starting in bin 0: AC CG GT TA AC CG GT TG; bin 1 (one fewer at the end): GG x3,
    # GC, CC x3 -> canonical GG/CC pool together: 6 GG-class, 1 GC
    counts = features[0, :, 1:] * 8
    assert counts[0].sum() == 8 and counts[1].sum() == 7
    assert sorted(counts[1][counts[1] > 0].tolist()) == [1, 6]
    # an N removes every k-mer that covers it
    with_n = codes.copy()
    with_n[0, 3] = 4
    assert (evaluate.kmer_features(with_n, 8, 0, k=2)[0, 0, 1:] * 8).sum() == 6


def test_ridge_baseline_recovers_a_gc_driven_track():
    rng = np.random.default_rng(2)
    codes = rng.integers(0, 4, (30, 512)).astype(np.uint8)
    codes[:15, :256] = rng.choice([1, 2], (15, 256))  # GC-rich halves
    features = evaluate.kmer_features(codes, 32, 0, k=2)
    targets = np.expm1(3.0 * features[..., :1])  # log1p(target) = 3 x GC
    predicted = evaluate.kmer_ridge_baseline(features[:20], targets[:20], features[20:],
                                             alpha=0.1, context_bins=0)  # fmt: skip
    assert evaluate.pearson(predicted.ravel(), targets[20:].ravel()) > 0.99


def test_mean_profile_baseline():
    train = np.arange(12, dtype="float32").reshape(2, 3, 2)
    profile = evaluate.mean_profile_baseline(train, 4)
    assert profile.shape == (4, 3, 2)
    np.testing.assert_allclose(profile[3], train.mean(axis=0))


# -- replicates ------------------------------------------------------------------------------
def test_replicate_comparison_pairs_and_paired_test():
    rng = np.random.default_rng(3)
    truth = rng.gamma(2.0, 2.0, (20, 10, 3))
    target = rng.poisson(np.concatenate([truth, truth], axis=2)).astype("float32")
    tracks = [
        Track.from_record({"id": f"t{i}", "assay": "DNase", "replicate_group": f"g{i % 3}"})
        for i in range(6)
    ]
    assert evaluate.replicate_pairs(tracks) == [(0, 3), (1, 4), (2, 5)]
    # predicting the truth itself beats a noisy replicate
    table, summary = evaluate.replicate_comparison(
        np.concatenate([truth, truth], axis=2), target, tracks
    )
    assert summary["pairs"] == 3
    assert (table["prediction_r"] > table["replicate_r"]).all()


# -- genes -----------------------------------------------------------------------------------
def test_tss_bins_and_strand_matched_gene_sums():
    windows = pd.DataFrame({"chrom": ["c1", "c1", "c2"], "start": [0, 400, 0]})
    tss = pd.DataFrame(
        {
            "chrom": ["c1", "c1", "c1", "c2"],
            "position": [250, 650, 50, 120],
            "strand": ["+", "-", "+", "+"],
            "transcript_id": ["a.1", "a.2", "b.1", "c.1"],
            "gene_id": ["a", "a", "b", "c"],
        }
    )
    # 1000-bp windows, 100 bp cropped per side, 100-bp bins: targets cover [100, 900)
    hits = evaluate.tss_bins(tss, windows, seq_length=1000, pool_width=100, crop_bp=100)
    found = {(r.transcript_id, r.window, r.bin) for r in hits.itertuples()}
    # a.1 at 250: window 0 bin 1; a.2 at 650: window 0 bin 5 and window 1 bin 1;
    # b.1 at 50 is cropped away; c.1 at 120: window 2 bin 0
    assert found == {("a.1", 0, 1), ("a.2", 0, 5), ("a.2", 1, 1), ("c.1", 2, 0)}

    tracks = tracks_table(("plus", "CAGE", "liver", "+", "p"), ("minus", "CAGE", "liver", "-", "m"))
    values = np.zeros((3, 8, 2))
    values[0, 1, 0] = 5.0  # a.1 on the plus track
    values[0, 1, 1] = 100.0  # same bin, wrong strand: ignored
    values[0, 5, 1] = 2.0  # a.2 on the minus track, window 0
    values[1, 1, 1] = 4.0  # a.2 again in window 1: averaged -> 3
    values[2, 0, 0] = 7.0
    genes = evaluate.gene_matrix(values, hits, tracks)
    assert genes.loc["a", "liver"] == pytest.approx(5.0 + 3.0)
    assert genes.loc["c", "liver"] == pytest.approx(7.0)


def test_quantile_normalisation_gives_equal_columns_and_keeps_ranks():
    rng = np.random.default_rng(4)
    matrix = rng.gamma(1.0, [1.0, 5.0, 20.0], (50, 3))
    normalised = evaluate.quantile_normalize(matrix)
    sorted_columns = np.sort(normalised, axis=0)
    np.testing.assert_allclose(sorted_columns[:, 0], sorted_columns[:, 2])
    for j in range(3):
        assert (np.argsort(normalised[:, j]) == np.argsort(matrix[:, j])).all()


def _gene_modules(rng, modules: int, genes: int, cells: int, noise: float, draws: int = 2):
    """``draws`` noisy CAGE-like matrices (genes x cells) of the same gene modules."""
    centres = rng.normal(0, 3, (modules, cells))
    labels = rng.integers(0, modules, genes)
    return [2 ** (centres[labels] + rng.normal(0, noise, (genes, cells)) + 5) for _ in range(draws)]


def test_cluster_agreement_finds_shared_structure_and_not_noise():
    rng = np.random.default_rng(5)
    experiment, prediction = _gene_modules(rng, 3, 90, 8, 0.3)
    shared = evaluate.cluster_agreement(experiment, prediction, n_clusters=3, n_boot=100)
    assert shared["ari"] > 0.9 and shared["p_value"] < 0.02
    assert shared["ari_low"] <= shared["ari"] <= shared["ari_high"]
    unrelated = evaluate.cluster_agreement(
        experiment, rng.permutation(prediction), n_clusters=3, n_boot=100
    )
    assert unrelated["ari"] < 0.2 and unrelated["p_value"] > 0.05


def test_cluster_p_value_resolves_beyond_the_permutations():
    experiment, prediction = _gene_modules(np.random.default_rng(7), 4, 200, 6, 0.5)
    found = evaluate.cluster_agreement(experiment, prediction, n_clusters=4, n_boot=50)
    # 50 permutations alone cannot say less than 1/51; the normal approximation can
    assert found["p_value_permutation"] == pytest.approx(1 / 51)
    assert found["p_value"] < 1e-6 and found["z"] > 5
    with pytest.raises(ValueError, match="differ in shape"):
        evaluate.cluster_agreement(experiment, prediction[:10], n_clusters=4)


def test_mixture_covariance_is_full_only_with_enough_genes():
    # 12 cell types, 4 clusters: 4 * (12 + 78) = 360 parameters, 3,600 genes for full
    assert evaluate.mixture_covariance(100, 12, 4) == "diag"
    assert evaluate.mixture_covariance(3_600, 12, 4) == "full"
    assert evaluate.mixture_covariance(3_599, 12, 4) == "diag"


def test_cluster_stability_separates_modules_from_a_featureless_cloud():
    rng = np.random.default_rng(8)
    (modules,) = _gene_modules(rng, 4, 120, 8, 0.3, draws=1)
    cloud = 2 ** (rng.normal(0, 1, (120, 8)) + 5)
    stable = evaluate.cluster_stability(modules, n_clusters=4, n_boot=10)
    arbitrary = evaluate.cluster_stability(cloud, n_clusters=4, n_boot=10)
    assert stable["ari_mean"] > 0.9 and stable["covariance_type"] == "diag"
    assert arbitrary["ari_mean"] < stable["ari_mean"] - 0.4, arbitrary
    with pytest.raises(ValueError, match="cannot form"):
        evaluate.cluster_stability(modules[:3], n_clusters=4)


def test_tss_switching_tests_per_gene_correlations():
    rng = np.random.default_rng(9)
    n_genes, cells = 12, ["a", "b", "c", "d", "e"]
    windows = pd.DataFrame({"chrom": ["c1"] * n_genes, "start": np.arange(n_genes) * 1000})
    tss = pd.DataFrame({
        "chrom": ["c1"] * 2 * n_genes,
        "position": np.ravel([[g * 1000 + 150, g * 1000 + 750] for g in range(n_genes)]),
        "strand": ["+"] * 2 * n_genes,
        "transcript_id": np.ravel([[f"g{g}.1", f"g{g}.2"] for g in range(n_genes)]),
        "gene_id": np.repeat([f"g{g}" for g in range(n_genes)], 2),
    })  # fmt: skip
    hits = evaluate.tss_bins(tss, windows, 1000, 100, 100)
    tracks = tracks_table(*[(f"cage_{c}", "CAGE", c, "+", c) for c in cells])
    experiment = np.zeros((n_genes, 8, len(cells)))
    experiment[:, 0] = rng.gamma(2.0, 10.0, (n_genes, len(cells)))
    experiment[:, 6] = rng.gamma(2.0, 10.0, (n_genes, len(cells)))
    noisy = experiment * rng.lognormal(0, 0.2, experiment.shape)
    followed = evaluate.tss_switching(experiment, noisy, hits, tracks)
    assert followed["genes"] == n_genes and len(followed["gene_r"]) == n_genes
    assert followed["mean_gene_r"] > 0.7 and followed["t_p_value"] < 1e-4
    unrelated = noisy[np.roll(np.arange(n_genes), 1)]  # each gene gets another gene's TSSs
    missed = evaluate.tss_switching(experiment, unrelated, hits, tracks)
    assert missed["t_p_value"] > 1e-3 > followed["t_p_value"]


def test_tss_switching_follows_the_ratio_between_tsss():
    windows = pd.DataFrame({"chrom": ["c1"], "start": [0]})
    tss = pd.DataFrame({"chrom": ["c1"] * 2, "position": [150, 750], "strand": ["+", "+"],
                        "transcript_id": ["g.1", "g.2"], "gene_id": ["g", "g"]})  # fmt: skip
    hits = evaluate.tss_bins(tss, windows, 1000, 100, 100)
    cells = ["a", "b", "c"]
    tracks = tracks_table(*[(f"cage_{c}", "CAGE", c, "+", c) for c in cells])
    experiment = np.zeros((1, 8, 3))
    experiment[0, 0] = [10, 1, 5]  # TSS 1 usage moves across cell types
    experiment[0, 6] = [1, 10, 5]
    with pytest.warns(UserWarning, match="needs at least 10"):  # one gene: no t-test
        switched = evaluate.tss_switching(experiment, experiment * 1.5, hits, tracks)
    assert switched["genes"] == 1 and switched["pearson_r"] > 0.99
    assert np.isnan(switched["t_p_value"]) and switched["mean_gene_r"] > 0.99
    opposite = experiment[:, ::-1].copy()
    opposite[0, 0], opposite[0, 6] = experiment[0, 6], experiment[0, 0]
    with pytest.warns(UserWarning):
        assert evaluate.tss_switching(experiment, opposite, hits, tracks)["pearson_r"] < -0.99


def test_truth_targets_pool_the_truth_like_the_store():
    expected = {"t/c1": np.arange(64, dtype="float32")}  # 64 bins of 32 bp
    windows = pd.DataFrame({"chrom": ["c1", "c1"], "start": [0, 512]})
    planted = truth.truth_targets(expected, [Track.from_record({"id": "t"}), Track.from_record({"id": "u"})], windows,
                                   seq_length=1024, pool_width=128, crop_bp=256,
                                   bin_size=32)  # fmt: skip
    # window 0 targets cover [256, 768): 32-bp bins 8..23, four summed per 128-bp bin
    assert planted[0, :, 0].tolist() == pytest.approx([38, 54, 70, 86])
    assert planted[1, 0, 0] == pytest.approx(24 + 25 + 26 + 27)
    assert np.isnan(planted[..., 1]).all()  # no truth for track u


def test_no_tss_in_any_window_gives_typed_empty_results():
    windows = pd.DataFrame({"chrom": ["c1"], "start": [0]})
    tss = pd.DataFrame({"chrom": ["c9"], "position": [5], "strand": ["+"],
                        "transcript_id": ["x.1"], "gene_id": ["x"]})  # fmt: skip
    hits = evaluate.tss_bins(tss, windows, 1000, 100, 100)
    assert len(hits) == 0 and hits["window"].dtype == np.int64
    tracks = tracks_table(("cage", "CAGE", "liver", "+", "g"))
    assert evaluate.gene_matrix(np.zeros((1, 8, 1)), hits, tracks).empty


def test_accuracy_by_variability_needs_two_cell_types_and_tolerates_tied_cvs():
    import pandas as pd

    from seqreg import evaluate

    rng = np.random.default_rng(0)
    one_cell_type = pd.DataFrame(rng.gamma(1.0, 1.0, (30, 1)))
    assert evaluate.accuracy_by_variability(one_cell_type, one_cell_type).empty
    flat = pd.DataFrame(np.ones((30, 3)))  # every gene the same CV: nothing to bin
    assert evaluate.accuracy_by_variability(flat, flat).empty
    varied = pd.DataFrame(rng.gamma(1.0, 1.0, (40, 3)))
    table = evaluate.accuracy_by_variability(varied, varied * 2)
    assert table["quartile"].tolist() == [1, 2, 3, 4] and table["genes"].sum() == 40
    assert (table["median_r"] > 0.99).all()  # a prediction proportional to the experiment


def test_variability_trend_detects_accuracy_rising_with_cv():
    import pandas as pd

    from seqreg import evaluate

    rng = np.random.default_rng(1)
    n, cell_types = 200, 8
    sd = np.linspace(0.1, 2.0, n)[:, None]  # genes ever more variable across cell types
    logged = 4 + sd * rng.normal(size=(n, cell_types))
    experiment = pd.DataFrame(np.expm1(np.log(2) * logged))
    noisy = logged + rng.normal(scale=0.8, size=(n, cell_types))  # same noise for every gene
    rising = evaluate.variability_trend(experiment, pd.DataFrame(np.expm1(np.log(2) * noisy)))
    assert rising["genes"] == n and rising["spearman_rho"] > 0.3 and rising["p_value"] < 1e-4
    unrelated = pd.DataFrame(rng.gamma(2.0, 10.0, (n, cell_types)))
    flat = evaluate.variability_trend(experiment, unrelated)
    assert abs(flat["spearman_rho"]) < 0.2 and flat["p_value"] > 1e-3
    assert np.isnan(
        evaluate.variability_trend(experiment.iloc[:, :1], unrelated.iloc[:, :1])["p_value"]
    )


# -- classification metrics of the peak benchmark (notebook 04) ---------------------------------
def test_per_track_classification_matches_hand_values():
    from seqreg.evaluate import per_track_classification

    labels = np.array([[1, 0], [0, 1], [1, 0], [0, 0]])
    scores = {"good": np.array([[0.9, 0.1], [0.2, 0.8], [0.8, 0.3], [0.1, 0.2]]),
              "bad": np.array([[0.1, 0.9], [0.9, 0.1], [0.2, 0.7], [0.8, 0.8]])}  # fmt: skip
    table = per_track_classification(labels, scores, ["a", "b"]).set_index(["method", "track"])
    assert table.loc[("good", "a"), "auroc"] == 1.0 and table.loc[("good", "a"), "auprc"] == 1.0
    assert table.loc[("bad", "a"), "auroc"] == 0.0
    # bad, track b: the positive ranks last of four -> precision 1/4 at full recall
    assert table.loc[("bad", "b"), "auprc"] == pytest.approx(0.25)
    assert table.loc[("good", "b"), "positives"] == 0.25
    with pytest.raises(ValueError, match="shape"):
        per_track_classification(labels, {"x": np.zeros((3, 2))}, ["a", "b"])


def test_paired_comparison_counts_wins_and_tests_them():
    from seqreg.evaluate import paired_comparison

    rng = np.random.default_rng(0)
    base = rng.uniform(0.2, 0.6, 20)
    table = pd.concat([
        pd.DataFrame({"track": range(20), "method": "new", "auprc": base + 0.1}),
        pd.DataFrame({"track": range(20), "method": "old", "auprc": base}),
        pd.DataFrame({"track": range(20), "method": "same", "auprc": base + rng.normal(0, 0.01, 20)}),
    ])  # fmt: skip
    result = paired_comparison(table, "new", ["old"]).iloc[0]
    assert result["wins"] == 20 and result["wilcoxon_p"] < 1e-4
    assert result["mean_reference"] - result["mean_other"] == pytest.approx(0.1)
    assert paired_comparison(table, "old", ["same"]).iloc[0]["wilcoxon_p"] > 0.01
    with pytest.raises(KeyError, match="no method"):
        paired_comparison(table, "new", ["missing"])


def test_centre_bin_scores_sum_the_bins_of_each_centre():
    from seqreg.evaluate import centre_bin_scores

    prediction = np.arange(2 * 8 * 1, dtype=float).reshape(2, 8, 1)  # 2 windows, 8 bins of 10 bp
    subsequences = pd.DataFrame(
        {"window": [0, 1], "centre_start": [1020, 2050], "centre_end": [1040, 2080]}
    )
    # window starts 1000 and 2000, 0 bp cropped: bins 2-3 of window 0, 5-7 of window 1
    scores = centre_bin_scores(
        prediction, subsequences, np.array([1000, 2000]), crop_bp=0, pool_width=10
    )
    np.testing.assert_array_equal(scores[:, 0], [2 + 3, 13 + 14 + 15])
    with pytest.raises(ValueError, match="bin edges"):
        centre_bin_scores(
            prediction, subsequences.assign(centre_start=1025), np.array([1000, 2000]), 0, 10
        )
