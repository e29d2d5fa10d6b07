"""Genotype dosages, LD, LD scores, pruning, signed LD profiles and the regressions on them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from seqreg import io, stats, variants


def genotype_panel(n_variants: int = 60, n_samples: int = 200, seed: int = 0):
    """Dosages with LD: haplotypes copied from a few founders with mutation noise."""
    rng = np.random.default_rng(seed)
    founders = rng.random((n_variants, 6)) < 0.4
    pick = rng.integers(0, 6, (2, n_samples))
    haplotypes = [founders[:, p] ^ (rng.random((n_variants, n_samples)) < 0.05) for p in pick]
    dosage = (haplotypes[0].astype(int) + haplotypes[1]).astype(np.float32)
    chrom = np.array(["chr1"] * (n_variants // 2) + ["chr2"] * (n_variants - n_variants // 2))
    positions = np.concatenate([np.sort(rng.choice(100_000, n_variants // 2, replace=False))] * 2)[
        :n_variants
    ]
    return dosage, chrom, positions


def direct_r(dosage):
    return np.corrcoef(dosage)


def test_standardize_and_ld_match_numpy():
    dosage, _, _ = genotype_panel()
    std = variants.standardize(dosage)
    np.testing.assert_allclose(std.mean(axis=1), 0, atol=1e-5)
    np.testing.assert_allclose((std**2).mean(axis=1), 1, rtol=1e-4)
    np.testing.assert_allclose(std @ std.T / dosage.shape[1], direct_r(dosage), atol=1e-5)
    with_missing = dosage.copy()
    with_missing[0, :5] = np.nan
    assert np.isfinite(variants.standardize(with_missing)).all()
    assert not variants.standardize(np.ones((1, 10))).any()  # monomorphic: no LD


def test_ld_scores_match_a_direct_computation():
    dosage, chrom, positions = genotype_panel()
    n = dosage.shape[1]
    std = variants.standardize(dosage)
    window = 20_000
    annotations = np.random.default_rng(1).random((len(chrom), 2))
    r = direct_r(dosage)
    r2 = r**2 - (1 - r**2) / (n - 2)
    near = (np.abs(positions[:, None] - positions[None, :]) <= window) & (
        chrom[:, None] == chrom[None, :]
    )
    expected = (r2 * near).sum(axis=1)
    for block in (7, 512):  # blocks smaller than a chromosome exercise the neighbourhoods
        np.testing.assert_allclose(
            variants.ld_scores(std, chrom, positions, window, block=block), expected, atol=1e-4
        )
        np.testing.assert_allclose(variants.ld_scores(std, chrom, positions, window, annotations, block=block),
                                   (r2 * near) @ annotations, atol=1e-4)  # fmt: skip
    profile = variants.signed_ld_profile(std, chrom, positions, annotations[:, 0], window, block=7)
    np.testing.assert_allclose(profile, (r * near) @ annotations[:, 0], atol=1e-4)


def test_unsorted_variants_are_refused():
    dosage, chrom, positions = genotype_panel()
    std = variants.standardize(dosage)
    with pytest.raises(ValueError, match="sorted"):
        variants.ld_scores(std, chrom, positions[::-1], 1000)


def test_pruning_leaves_no_close_pair_in_ld_and_covers_every_dropped_variant():
    dosage, chrom, positions = genotype_panel(seed=2)
    std = variants.standardize(dosage)
    window = 50_000
    order = np.random.default_rng(0).permutation(len(chrom))
    kept = variants.ld_prune(std, chrom, positions, window, 0.5, order)
    r2 = direct_r(dosage) ** 2
    near = (np.abs(positions[:, None] - positions[None, :]) <= window) & (
        chrom[:, None] == chrom[None, :]
    )
    k = np.flatnonzero(kept)
    among = r2[np.ix_(k, k)] * near[np.ix_(k, k)]
    np.fill_diagonal(among, 0)
    assert among.max() <= 0.5 + 1e-6
    for dropped in np.flatnonzero(~kept):
        assert np.max(r2[dropped, k] * near[dropped, k]) > 0.5 - 1e-6
    assert 0 < kept.sum() < len(kept)


def test_read_dosages_from_vcf_fast_and_general_paths(tmp_path):
    lines = ["##fileformat=VCFv4.2", '##FORMAT=<ID=GT,Number=1,Type=String,Description="GT">',
             "##contig=<ID=1>", "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tA\tB\tC",
             "1\t10\ta\tA\tG\t.\tPASS\t.\tGT\t0|0\t0|1\t1|1",
             "1\t20\tb\tC\tT,G\t.\tPASS\t.\tGT:DP\t0/2:3\t1/2:5\t./.:0",
             "1\t30\tc\tG\tA\t.\tPASS\t.\tGT\t1\t0\t1"]  # fmt: skip
    (tmp_path / "g.vcf").write_text("\n".join(lines) + "\n")
    variants = pd.DataFrame({"chrom": ["chr1"] * 4, "pos": [10, 20, 20, 30], "ref": ["A", "C", "C", "G"],
                             "alt": ["G", "T", "G", "A"]})  # fmt: skip
    dosage, samples = io.read_dosages(tmp_path / "g.vcf", variants)
    assert samples == ["A", "B", "C"]
    expected = np.array([[0, 1, 2], [0, 1, np.nan], [1, 1, np.nan], [1, 0, 1]], dtype=np.float32)
    np.testing.assert_array_equal(dosage, expected)
    from seqreg.project import InputFileError

    with pytest.raises(InputFileError, match=r"g\.vcf: has no genotypes for 1 of 1 variants"):
        io.read_dosages(tmp_path / "g.vcf", variants.iloc[:1].assign(pos=11))


def test_tss_distance_classes_follow_the_edges():
    classes = variants.tss_distance_classes(np.array([0, -499, 500, 1999, -2000, 31_999, 32_000]))
    assert classes.argmax(axis=1).tolist()[:6] == [0, 0, 1, 1, 2, 3]
    assert classes[6].sum() == 0 and classes[:6].sum(axis=1).tolist() == [1] * 6


def test_gene_ld_features_match_a_direct_computation():
    dosage, chrom, positions = genotype_panel(n_variants=40)
    n = dosage.shape[1]
    std = variants.standardize(dosage)
    on1 = np.flatnonzero(chrom == "chr1")
    tss = int(positions[on1[10]]) + 5
    members = on1[np.abs(positions[on1] - tss) < 30_000]
    scores = np.random.default_rng(3).normal(size=len(members))
    pairs = pd.DataFrame({"variant": members, "gene_id": "G", "score": scores})
    table = variants.gene_ld_features(
        std, chrom, positions, pairs, {"G": tss}, edges=(0, 5_000, 40_000)
    )
    r = direct_r(dosage)
    np.testing.assert_allclose(table["score_ld"], r[np.ix_(members, members)] @ scores, atol=1e-4)
    r2 = r**2 - (1 - r**2) / (n - 2)
    distance = np.abs(positions - tss)
    for name, lo, hi in (("tss_ld_0_5000", 0, 5_000), ("tss_ld_5000_40000", 5_000, 40_000)):
        indicator = (chrom == "chr1") & (distance >= lo) & (distance < hi)
        np.testing.assert_allclose(table[name], r2[members] @ indicator, atol=1e-4)


def test_ols_recovers_a_known_coefficient():
    rng = np.random.default_rng(0)
    table = pd.DataFrame({"ld_score": rng.gamma(2, 5, 5000), "annotation": rng.random(5000)})
    table["chi2"] = 1 + 0.3 * table["ld_score"] + 4.0 * table["annotation"] + rng.normal(0, 2, 5000)
    coefficients, fit = stats.ols(table, "chi2", ["ld_score", "annotation"])
    row = coefficients.set_index("term")
    assert fit.nobs == 5000 and 0 < fit.rsquared < 1
    assert abs(row.at["annotation", "coef"] - 4.0) < 3 * row.at["annotation", "se"]
    assert abs(row.at["ld_score", "coef"] - 0.3) < 3 * row.at["ld_score", "se"]
    assert row.at["annotation", "p"] < 1e-10
    null = table.assign(chi2=1 + 0.3 * table["ld_score"] + rng.normal(0, 2, 5000))
    assert (
        stats.ols(null, "chi2", ["ld_score", "annotation"])[0]
        .set_index("term")
        .at["annotation", "p"]
        > 1e-3
    )


def test_quantile_enrichment_by_hand():
    score = np.arange(10.0)
    hit = np.array([0, 0, 1, 0, 0, 0, 1, 0, 1, 1], dtype=bool)
    table = stats.quantile_enrichment(score, hit, n_quantiles=5)
    assert table["hits"].tolist() == [0, 1, 0, 1, 2]
    assert table["proportion"].tolist() == [0, 0.5, 0, 0.5, 1.0]
    assert table["enrichment"].iloc[-1] == pytest.approx(1.0 / (0.5 / 3))


def test_ld_panel_chains_dosages_ld_scores_and_pruning(tmp_path):
    dosage, chrom, positions = genotype_panel(n_variants=40, n_samples=60, seed=3)
    genotype = {0: "0|0", 1: "0|1", 2: "1|1"}
    lines = ["##fileformat=VCFv4.2", '##FORMAT=<ID=GT,Number=1,Type=String,Description="GT">',
             "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\t"
             + "\t".join(f"s{i}" for i in range(dosage.shape[1]))]  # fmt: skip
    order = np.lexsort((positions, chrom))
    for i in order:
        calls = "\t".join(genotype[int(d)] for d in dosage[i])
        lines.append(f"{chrom[i]}\t{positions[i]}\tv{i}\tA\tG\t.\tPASS\t.\tGT\t{calls}")
    (tmp_path / "g.vcf").write_text("\n".join(lines) + "\n")
    table = pd.DataFrame({"chrom": chrom[order], "pos": positions[order], "ref": "A", "alt": "G"})
    panel = variants.ld_panel(tmp_path / "g.vcf", table, window=20_000, r2_max=0.3, seed=7)
    std = variants.standardize(dosage[order])
    np.testing.assert_allclose(panel.std, std, atol=1e-6)
    np.testing.assert_allclose(panel.ld_score, variants.ld_scores(std, chrom[order], positions[order], 20_000),
                               atol=1e-5)  # fmt: skip
    permutation = np.random.default_rng(7).permutation(len(table))
    expected = variants.ld_prune(std, chrom[order], positions[order], 20_000, 0.3, permutation)
    np.testing.assert_array_equal(panel.kept, expected)
    assert 0 < panel.kept.sum() < len(table) and len(panel.samples) == 60
