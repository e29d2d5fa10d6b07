"""De novo variants: the Table S2 readers, the SNV filter, the per-dataset Mann-Whitney tests,
the brain-vs-other and PC1 tests, and the family risk score (notebook 10)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from seqreg import io, stats, variants
from seqreg.io import write_fasta
from seqreg.project import InputFileError

ROWS = [
    ("11001.p1", "chr1", 11, "C", "G", "SNV", "11001", "case"),
    ("11001.s1", "chr1", 21, "A", "T", "SNV", "11001", "control"),
    ("11002.p1", "chr1", 11, "C", "G", "SNV", "11002", "case"),  # recurrent in another family
    ("11002.p1", "chr1", 30, "AT", "A", "indel", "11002", "case"),
    ("11002.s1", "chr2", 5, "G", "A", "SNV", "11002", "control"),
    ("11003.p1", "chrUn", 5, "G", "A", "SNV", "11003", "case"),  # a contig the FASTA lacks
    ("11003.s1", "chr1", 12, "T", "G", "SNV", "11003", "control"),  # REF differs from the FASTA
    ("11003.s1", "chr1", 13, "N", "G", "SNV", "11003", "control"),
]
COLUMNS = ["SampleID", "Chr", "Pos", "Ref", "Alt", "Type", "Fam", "Pheno"]


def write_table(path, rows=ROWS, columns=COLUMNS):
    pd.DataFrame(rows, columns=columns).assign(Sex="F", Study="T").to_csv(
        path, sep="\t", index=False
    )
    return path


def test_xlsx_with_a_title_row_and_tsv_give_the_same_table(tmp_path):
    tsv = io.read_de_novo(write_table(tmp_path / "s2.tsv"))
    xlsx = tmp_path / "s2.xlsx"
    with pd.ExcelWriter(xlsx) as writer:
        pd.DataFrame([["Table S2. De novo variants in 1,902 quartet families"]]).to_excel(
            writer, header=False, index=False
        )
        pd.DataFrame(ROWS, columns=COLUMNS).assign(Sex="F", Study="T").to_excel(
            writer, startrow=1, index=False
        )
    from_xlsx = io.read_de_novo(xlsx)
    pd.testing.assert_frame_equal(from_xlsx[COLUMNS], tsv[COLUMNS], check_dtype=False)
    assert from_xlsx["Pos"].tolist() == [11, 21, 11, 30, 5, 5, 12, 13]


@pytest.mark.parametrize("column", ["Pheno", "Fam"])
def test_a_table_missing_pheno_or_fam_names_the_file_and_column(tmp_path, column):
    rows = [tuple(v for c, v in zip(COLUMNS, row, strict=True) if c != column) for row in ROWS]
    path = write_table(tmp_path / "bad.tsv", rows, [c for c in COLUMNS if c != column])
    with pytest.raises(
        InputFileError, match=rf"bad\.tsv: lacks the de novo variant column\(s\) \['{column}'\]"
    ):
        io.read_de_novo(path)


def test_snvs_are_checked_against_the_genome_and_recurrent_ones_kept_per_child(tmp_path):
    fasta = write_fasta(
        tmp_path / "g.fa", {"chr1": "ACGTACGTACCAGTACGTACATGTACGTACGTAC", "chr2": "AAAAGAAAAA"}
    )
    snvs, counts = io.de_novo_snvs(io.read_de_novo(write_table(tmp_path / "s2.tsv")), fasta)
    assert counts == {
        "rows": 8,
        "not_snv": 1,
        "non_acgt": 1,
        "other_contig": 1,
        "ref_mismatch": 1,
        "kept": 4,
    }
    assert snvs["SampleID"].tolist() == ["11001.p1", "11001.s1", "11002.p1", "11002.s1"]
    assert snvs[["chrom", "pos", "ref", "alt"]].iloc[2].tolist() == ["chr1", 11, "C", "G"]
    # chromosome names spelled without chr are matched to the FASTA's
    other = io.read_de_novo(
        write_table(tmp_path / "ens.tsv", [("1.p1", "1", 11, "C", "G", "SNV", "1", "case")])
    )
    assert io.de_novo_snvs(other, fasta)[0]["chrom"].tolist() == ["chr1"]


def test_mann_whitney_and_bh_per_column_match_scipy_and_statsmodels():
    from scipy.stats import mannwhitneyu
    from statsmodels.stats.multitest import multipletests

    values = np.array([[-3.0, 1.0, 0.5], [-2.0, 0.0, 0.1], [-4.0, 2.0, 0.2], [0.0, 1.5, 0.3],
                       [1.0, 0.5, 0.9], [0.5, 1.0, 0.4], [2.0, -1.0, 0.6]])  # fmt: skip
    is_case = np.array([1, 1, 1, 1, 0, 0, 0], dtype=bool)
    table = stats.mann_whitney_by_column(
        values, is_case, names=["a", "b", "c"], groups=["brain", "brain", "liver"]
    )
    for j in range(3):
        expected = mannwhitneyu(values[is_case, j], values[~is_case, j], alternative="two-sided")
        assert table["U"][j] == pytest.approx(expected.statistic)
        assert table["p"][j] == pytest.approx(expected.pvalue)
    np.testing.assert_allclose(table["q"], multipletests(table["p"], method="fdr_bh")[1])
    np.testing.assert_allclose(
        table["q_group"][:2], multipletests(table["p"][:2], method="fdr_bh")[1]
    )
    assert table["q_group"][2] == pytest.approx(table["p"][2])  # a group of one
    # the effect by hand: mean asinh of cases minus mean asinh of controls
    by_hand = np.mean(np.arcsinh([-3, -2, -4, 0])) - np.mean(np.arcsinh([1, 0.5, 2]))
    assert table["effect"][0] == pytest.approx(by_hand)
    assert stats.asinh_effect(np.array([0.0]), np.array([np.sinh(1.0)])) == pytest.approx(-1.0)
    with pytest.raises(ValueError, match="both case and control"):
        stats.mann_whitney_by_column(values, np.ones(7, bool))


def test_group_and_first_component_tests_find_a_planted_difference():
    group = stats.group_pvalue_test(np.array([1e-6, 1e-5, 0.3, 0.5, 0.7, 0.2, 0.9]),
                                    np.array([1, 1, 0, 0, 0, 0, 0], bool))  # fmt: skip
    assert group["p"] < 0.05 and group["n_group"] == 2
    null = stats.group_pvalue_test(
        np.array([0.3, 0.5, 0.3, 0.5, 0.7, 0.2, 0.9]), np.array([1, 1, 0, 0, 0, 0, 0], bool)
    )
    assert null["p"] > 0.2
    rng = np.random.default_rng(0)
    shared = rng.normal(0, 1, 400)
    is_case = np.arange(400) < 200
    shared[is_case] -= 1.0  # cases lower on every dataset
    values = shared[:, None] * rng.uniform(0.5, 1.5, 6) + rng.normal(0, 0.3, (400, 6))
    pc1 = stats.first_component_test(values, is_case)
    assert pc1["variance_explained"] > 0.7 and pc1["p"] < 1e-6 and pc1["effect"] < 0


def test_family_risk_score_on_three_families_by_hand():
    scores = np.array([-2.0, 0.5, -1.0, -0.5, 3.0, -0.1, -0.2, 1.0])
    families = ["A", "A", "A", "B", "B", "C", "C", "C"]
    is_case = np.array([1, 1, 0, 1, 0, 1, 0, 0], bool)
    risk = variants.family_risk_scores(scores, families, is_case)
    # A: proband -2 (0.5 is not negative), sibling -1; B: proband -0.5, sibling 0 (3 > 0);
    # C: proband -0.1, sibling -0.2
    assert risk.loc["A", "proband"] == -2.0 and risk.loc["A", "sibling"] == -1.0
    assert risk.loc["B", "proband"] == -0.5 and risk.loc["B", "sibling"] == 0.0
    assert risk.loc["C", "proband"] == pytest.approx(-0.1) and risk.loc[
        "C", "sibling"
    ] == pytest.approx(-0.2)
    assert risk.loc["A", "proband_variants"] == 2 and risk.loc["C", "sibling_variants"] == 2
    test = variants.risk_score_test(risk)
    assert test["families"] == 3 and test["proband_more_damaging"] == 2 and test["ties"] == 0
    assert test["p"] == pytest.approx(0.5)  # P(X >= 2), X ~ Binomial(3, 1/2)
    # a family whose children score the same is left out
    tied = variants.family_risk_scores(np.array([1.0, 2.0]), ["D", "D"], np.array([1, 0], bool))
    assert variants.risk_score_test(pd.concat([risk, tied]))["ties"] == 1
