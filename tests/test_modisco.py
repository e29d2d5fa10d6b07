"""TF-MoDISco glue: patterns from a planted motif, TOMTOM names, trimming, save/load."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from seqreg import interpret
from seqreg.interpret.modisco import Pattern
from seqreg.sequence import load_jaspar, load_jaspar_collection

CTCF = "MA0139.2"


def planted(n: int = 300, length: int = 250, seed: int = 0, noise: float = 0.05):
    """Random sequences, half carrying a CTCF site (either strand) whose hypothetical
    contributions are the matrix's centred log-odds at every base; small noise elsewhere."""
    motif = load_jaspar([CTCF])["CTCF"]
    rng = np.random.default_rng(seed)
    bases = rng.integers(0, 4, (n, length))
    hypothetical = rng.normal(0, noise, (n, length, 4))
    log_odds = np.log2(motif.probs / 0.25)
    log_odds -= log_odds.mean(axis=1, keepdims=True)
    sites = {}
    for i in np.flatnonzero(rng.random(n) < 0.5):
        start = int(rng.integers(40, length - 40 - motif.length))
        reverse = bool(rng.random() < 0.5)
        probs, scores = motif.probs, log_odds
        if reverse:
            probs, scores = probs[::-1, ::-1], scores[::-1, ::-1]
        stop = start + motif.length
        bases[i, start:stop] = (rng.random((motif.length, 1)) > probs.cumsum(axis=1)).sum(1)
        hypothetical[i, start:stop] = scores
        sites[int(i)] = (start, stop)
    one_hot = np.eye(4, dtype=np.float32)[np.minimum(bases, 3)]
    return one_hot, hypothetical.astype(np.float32), sites


@pytest.fixture(scope="module")
def toy():
    one_hot, hypothetical, sites = planted()
    patterns = interpret.run_modisco(one_hot, hypothetical, n_leiden_runs=2, n_neighbors=150)
    return one_hot, hypothetical, sites, patterns


def test_modisco_finds_the_planted_motif_and_tomtom_names_it(toy):
    one_hot, _, sites, patterns = toy
    positive = [p for p in patterns if p.sign == 1]
    assert positive and positive[0].name == "pos_pattern_0"
    best = positive[0]
    assert best.n_seqlets >= 0.6 * len(sites)
    width = best.width
    assert best.cwm.shape == best.ppm.shape == best.hypothetical_cwm.shape == (width, 4)
    np.testing.assert_allclose(best.ppm.sum(axis=1), 1.0, atol=1e-6)
    table = best.seqlets
    assert list(table.columns) == ["example_idx", "start", "end", "is_revcomp"]
    assert ((table["end"] - table["start"]) == width).all()
    assert (table["start"] >= 0).all() and (table["end"] <= one_hot.shape[1]).all()
    # the seqlets are the planted sites: nearly all in carrying sequences, overlapping them
    hits = [
        i in sites and s < sites[i][1] and sites[i][0] < e
        for i, s, e in table[["example_idx", "start", "end"]].itertuples(index=False)
    ]
    assert np.mean(hits) > 0.95
    # the seqlets' sequences reproduce the stored PPM
    rows = []
    for i, s, e, rc in table.itertuples(index=False):
        window = one_hot[i, s:e]
        rows.append(window[::-1, ::-1] if rc else window)
    np.testing.assert_allclose(np.mean(rows, axis=0), best.ppm, atol=1e-6)

    trimmed = interpret.trim_pattern(best)
    assert 10 <= trimmed.width <= 20  # CTCF MA0139.2 is 15 bp
    matches = interpret.match_patterns(patterns, load_jaspar_collection("JASPAR2024"))
    top = matches[(matches["pattern"] == best.name) & (matches["rank"] == 1)].iloc[0]
    assert top["matrix_id"] == CTCF and top["name"] == "CTCF"
    assert top["q"] < 0.05 and top["n_seqlets"] == best.n_seqlets and top["sign"] == 1
    assert (matches["q"] <= 0.05).all()


def test_modisco_is_reproducible_whatever_the_global_seed(toy):
    one_hot, hypothetical, _, patterns = toy
    np.random.seed(12345)  # noqa: NPY002 - the global generator modiscolite could use
    again = interpret.run_modisco(one_hot, hypothetical, n_leiden_runs=2, n_neighbors=150)
    assert [p.name for p in again] == [p.name for p in patterns]
    for a, b in zip(again, patterns, strict=True):
        np.testing.assert_array_equal(a.cwm, b.cwm)
        pd.testing.assert_frame_equal(a.seqlets, b.seqlets)


def test_save_and_load_round_trip(toy, tmp_path):
    patterns = toy[3]
    path = interpret.save_patterns(tmp_path / "cell" / "patterns.npz", patterns)
    loaded = interpret.load_patterns(path)
    assert [(p.name, p.sign, p.n_seqlets) for p in loaded] == [
        (p.name, p.sign, p.n_seqlets) for p in patterns
    ]
    for a, b in zip(loaded, patterns, strict=True):
        for field in ("cwm", "ppm", "hypothetical_cwm"):
            np.testing.assert_array_equal(getattr(a, field), getattr(b, field))
        pd.testing.assert_frame_equal(a.seqlets, b.seqlets)
    assert list(tmp_path.joinpath("cell").iterdir()) == [path]  # no temporary left behind
    interpret.save_patterns(path, [])
    assert interpret.load_patterns(path) == []
    np.savez(tmp_path / "other.npz", x=np.zeros(3))
    with pytest.raises(ValueError, match="not a pattern file"):
        interpret.load_patterns(tmp_path / "other.npz")


def test_run_modisco_rejects_bad_inputs_and_returns_nothing_without_signal():
    one_hot, hypothetical, _ = planted(n=20, length=100)
    with pytest.raises(ValueError, match=r"\(20, 99, 4\).*\(20, 100, 4\)"):
        interpret.run_modisco(one_hot, hypothetical[:, :99])
    with pytest.raises(ValueError, match=r"\(20, 100\)"):
        interpret.run_modisco(one_hot[..., 0], hypothetical[..., 0])
    bad = hypothetical.copy()
    bad[3, 5, 1] = np.nan
    with pytest.raises(ValueError, match="non-finite"):
        interpret.run_modisco(one_hot, bad)
    with pytest.raises(ValueError, match="shorter than a seqlet"):
        interpret.run_modisco(one_hot[:, :30], hypothetical[:, :30])
    with pytest.raises(ValueError, match="flank_size"):
        interpret.run_modisco(one_hot, hypothetical, flank_size=0)
    # no contribution at all, of one sign only, or almost all exact zeros: modiscolite
    # cannot set a seqlet threshold (and would raise from deep inside); no patterns
    rng = np.random.default_rng(1)
    sparse = np.where(rng.random(hypothetical.shape) < 0.001, hypothetical, 0)
    for degenerate in (np.zeros_like(hypothetical), np.abs(hypothetical), sparse):
        with pytest.warns(RuntimeWarning, match="seqlet threshold"):
            assert interpret.run_modisco(one_hot, degenerate) == []
    # too few seqlets to cluster: no patterns, no warning
    assert interpret.run_modisco(one_hot, hypothetical) == []


def test_trim_pattern_and_an_unmatchable_pattern():
    cwm = np.zeros((12, 4))
    cwm[3, 0], cwm[5, 2], cwm[8, 1], cwm[10, 3] = 0.2, 1.0, -0.5, 0.29
    ppm = np.full((12, 4), 0.25)
    table = pd.DataFrame({"example_idx": [0], "start": [0], "end": [12], "is_revcomp": [False]})
    pattern = Pattern("pos_pattern_0", 1, cwm, ppm, cwm.copy(), table)
    trimmed = interpret.trim_pattern(pattern)
    assert trimmed.width == 4 and trimmed.cwm[0, 2] == 1.0 and trimmed.cwm[3, 1] == -0.5
    assert interpret.trim_pattern(pattern, threshold=0.1).width == 8
    with pytest.raises(ValueError, match="threshold"):
        interpret.trim_pattern(pattern, threshold=1.5)
    empty = Pattern("neg_pattern_0", -1, np.zeros((5, 4)), ppm[:5], np.zeros((5, 4)), table)
    with pytest.raises(ValueError, match="all-zero"):
        interpret.trim_pattern(empty)
    # uniform PPMs carry no information: no matches rather than spurious ones
    database = list(load_jaspar([CTCF, "MA0080.7"]).values())
    matches = interpret.match_patterns([pattern, empty], database, q_threshold=None)
    assert matches.empty and "matrix_id" in matches.columns
    with pytest.raises(ValueError, match="motif"):
        interpret.match_patterns([pattern], [])


def _matches(rows):
    return pd.DataFrame(rows, columns=["cell_type", "pattern", "sign", "name", "q"])


def test_motif_activity_counts_positive_significant_matches_of_each_cell_type():
    matches = _matches([
        ("a", "p0", 1, "HNF4A", 0.001),
        ("a", "p0", 1, "HNF4G", 0.01),  # a paralog the same pattern matches
        ("b", "p0", 1, "HNF4A", 0.2),  # not significant
        ("b", "p1", -1, "GATA1", 0.001),  # a negative pattern
        ("c", "p0", 1, "GATA1", 0.01),
        ("c", "p1", 1, "GATA1", 0.02),  # twice in one cell type is still 1
    ])  # fmt: skip
    activity = interpret.motif_activity(matches, ["a", "b", "c", "d"])
    assert list(activity.columns) == ["a", "b", "c", "d"]
    assert activity.to_dict("index") == {
        "GATA1": {"a": 0, "b": 0, "c": 1, "d": 0},
        "HNF4A": {"a": 1, "b": 0, "c": 0, "d": 0},
        "HNF4G": {"a": 1, "b": 0, "c": 0, "d": 0},
    }
    assert interpret.motif_activity(matches.iloc[:0], ["a"]).empty
    with pytest.raises(ValueError, match="lack columns"):
        interpret.motif_activity(matches.drop(columns="sign"), ["a"])


def test_motif_binding_tfs_splits_dimers_and_ignores_case():
    genes = ["FOS", "JUN", "Hnf4a", "GATA1"]
    assert interpret.motif_binding_tfs("FOS::JUN", genes) == ["FOS", "JUN"]
    assert interpret.motif_binding_tfs("HNF4A", genes) == ["Hnf4a"]
    assert interpret.motif_binding_tfs("Gata1", genes) == ["GATA1"]
    assert interpret.motif_binding_tfs("CTCF", genes) == []


def test_motif_regulators_correlates_each_motif_with_the_tfs_that_bind_it():
    rng = np.random.default_rng(0)
    cells = [f"c{i}" for i in range(10)]
    active = np.array([1, 1, 1, 0, 0, 0, 0, 0, 1, 0])
    expression = pd.DataFrame(
        {
            "HNF4A": active * 5.0 + rng.normal(0, 0.3, 10),  # drives the motif
            "HNF4G": rng.normal(3, 1, 10),  # a paralog: same motif, unrelated expression
            "DECOY": active * 5.0 + rng.normal(0, 0.3, 10),  # correlated but binds nothing
            "FLAT": np.ones(10),
        },
        index=cells,
    )
    activity = pd.DataFrame(
        [active, np.ones(10, int), np.zeros(10, int)],
        index=["HNF4A", "CTCF", "FLAT"],
        columns=cells,
    )
    # HNF4G's matrix is matched by the same patterns as HNF4A's
    activity.loc["HNF4G"] = active
    table = interpret.motif_regulators(activity, expression)
    assert set(table["motif"]) == {"HNF4A", "HNF4G"}  # CTCF everywhere, FLAT nowhere
    assert list(table["tf"]) == ["HNF4A", "HNF4G"]  # each motif with its own TF only
    top = table.iloc[0]
    expected = np.corrcoef(active, expression["HNF4A"])[0, 1]
    assert top["r"] == pytest.approx(expected)
    from scipy.stats import pearsonr

    assert table["p"].tolist() == pytest.approx(
        [pearsonr(active, expression[tf]).pvalue for tf in ("HNF4A", "HNF4G")]
    )
    assert top["q"] < 0.001 < table.iloc[1]["q"]
    assert top["n_active"] == 4 and top["n_cell_types"] == 10
    # the unrestricted scan: every TF for every motif; the non-binding DECOY now ranks
    scan = interpret.motif_regulators(
        activity, expression, binding={m: list(expression.columns) for m in activity.index}
    )
    assert "DECOY" in set(scan.head(4)["tf"]) and "FLAT" not in set(scan["tf"])
    with pytest.raises(ValueError, match="no row for cell types"):
        interpret.motif_regulators(activity, expression.iloc[:5])
