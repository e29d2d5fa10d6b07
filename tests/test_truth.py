"""Synthetic-only recovery checks: planted effects per pair, causal-pair ranking and the
response at planted binding sites, against hand-computed answers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from seqreg import truth
from seqreg.project import Track


def test_planted_log2fc_looks_up_pairs_of_one_tissue():
    effects = pd.DataFrame({
        "tissue": ["Liver", "Liver", "Brain"], "variant_id": ["v1", "v2", "v1"],
        "gene_id": ["g1", "g1", "g1"], "log2_fold_change": [0.8, -0.4, 2.0],
    })  # fmt: skip
    found = truth.planted_log2fc(
        effects, "Liver", ["v1", "v1", "v2", "v3"], ["g1", "g2", "g1", "g1"]
    )
    assert found.tolist() == [0.8, 0.0, -0.4, 0.0]


def test_causal_pair_recovery_by_hand():
    from sklearn.metrics import roc_auc_score

    log2fc = np.array([1.0, -0.8, 0.0, 0.05, 0.0, 0.6])
    predicted = np.array([0.9, -0.1, 0.2, 0.01, -0.05, -0.3])
    near = np.array([True, True, True, False, False, False])
    found = truth.causal_pair_recovery(predicted, log2fc, near, causal_log2fc=0.5)
    causal = np.array([1, 1, 0, 0, 0, 1], bool)
    assert found["causal_pairs"] == 3 and found["scored_pairs"] == 6
    assert found["auroc_abs_score"] == pytest.approx(roc_auc_score(causal, np.abs(predicted)))
    # near the TSS: causal |scores| 0.9 and 0.1 against 0.2 -> one of two pairs ranked right
    assert found["auroc_within_500bp"] == pytest.approx(0.5)
    # ranks of |score| (1-6) of the causal pairs: 6, 3 and 5, out of 6
    assert found["causal_median_percentile"] == pytest.approx(5 / 6)
    assert found["sign_agreement"] == pytest.approx(2 / 3)  # the third has the wrong sign
    assert truth.causal_pair_recovery(predicted, np.zeros(6), near, 0.5) is None


def test_planted_site_response_averages_active_cell_types_per_tf():
    class Scores:
        variants = pd.DataFrame({"variant_id": ["a", "b", "c"]})
        sad = np.array([[-1.0, -3.0, 9.0], [2.0, 4.0, 9.0], [-0.5, 0.5, 9.0]])

    tracks = [Track.from_record({"id": i, "assay": assay, "cell_type": cell})
              for i, assay, cell in (("d1", "DNase", "x"), ("d2", "DNase", "y"), ("k", "CAGE", "x"))]  # fmt: skip
    sites = pd.DataFrame({"variant_id": ["a", "b", "c"], "element_id": ["e1", "e2", "e1"],
                          "tf": ["CTCF", "CTCF", "GATA1"], "delta_score": [-4.0, -2.0, -6.0]})  # fmt: skip
    elements = pd.DataFrame({"kind": ["enhancer", "promoter"]}, index=["e1", "e2"])
    activity = pd.DataFrame({"x": [0.9, 0.9], "y": [0.9, 0.1]}, index=["e1", "e2"])
    table = truth.planted_site_response(Scores, sites, elements, activity, tracks)
    # CTCF: site a in x and y (mean of -1 and -3), site b only in x (2)
    assert table.loc["CTCF", "sites"] == 2
    assert table.loc["CTCF", "mean_sad_dnase"] == pytest.approx((-2.0 + 2.0) / 2)
    assert table.loc["CTCF", "fraction_negative"] == 0.5
    assert table.loc["GATA1", "mean_sad_dnase"] == pytest.approx(0.0)  # mean of -0.5 and 0.5
    assert list(table.index) == ["CTCF", "GATA1"]  # most sites first
