"""BLUEPRINT QTL reading, filters and connectivity per target bin on hand-built tables."""

from __future__ import annotations

import gzip

import numpy as np
import pytest

from seqreg import qtl
from seqreg.project import InputFileError


def line(snp: str, phenotype: str, fdr: float, rsid: str = "rs1") -> str:
    return f"{snp} {rsid} {phenotype} 1e-06 0.5 0.01 {fdr} 0.3 0.1"


def write(path, lines, gz: bool = True):
    text = "\n".join(lines) + "\n"
    if gz:
        with gzip.open(path, "wt") as handle:
            handle.write(text)
    else:
        path.write_text(text)
    return path


HAND_BUILT = [
    line("chr1:5000_A_G", "chr1:12000:14000", 0.01),  # target in bin 1; source bin 0
    line("chr1:6000_C_T", "chr1:12000:14000", 0.01),  # same target, same source bin
    line("chr1:25000_G_A", "chr1:12000:14000", 0.04),  # same target, source bin 2
    line("chr1:5000_A_G", "chr1:12000:14000", 0.01),  # duplicate row: counts once
    line("chr1:7000_A_C", "chr1:19000:21000", 0.02),  # target across the 20 kb edge: bins 1 and 2
    line("chr1:8000_T_C", "chr1:30000:32000", 0.05),  # FDR exactly 0.05: dropped
    line("chr1:9000_T_C", "chr2:30000:32000", 0.001),  # other chromosome: dropped
    line("chr1:1500000_T_C", "chr1:30000:32000", 0.001),  # 1.47 Mb away: dropped
    line("chr2:1000_A_G", "chr2:10000:11000", 0.001),  # chr2 bin 1
]


def test_filters_and_counts(tmp_path):
    links, counts = qtl.read_qtl_links(write(tmp_path / "q.txt.gz", HAND_BUILT), chunksize=4)
    assert counts == {"rows": 9, "fdr_pass": 8, "other_chromosome": 1, "too_far": 1,
                      "duplicates": 1, "links": 5}  # fmt: skip
    assert sorted(links["variant"]) == ["chr1:25000_G_A", "chr1:5000_A_G", "chr1:6000_C_T",
                                        "chr1:7000_A_C", "chr2:1000_A_G"]  # fmt: skip


def test_connectivity_per_target_bin_by_hand(tmp_path):
    links, _ = qtl.read_qtl_links(write(tmp_path / "q.txt.gz", HAND_BUILT))
    per_bin = qtl.connectivity(links, 10_000).set_index(["chrom", "bin"])
    # chr1 bin 1: variants 5000, 6000, 25000 (target 12-14 kb) and 7000 (target 19-21 kb)
    assert per_bin.loc[("chr1", 1)].tolist() == [4, 2]  # source bins 0 and 2
    # chr1 bin 2: only the target across the edge reaches it
    assert per_bin.loc[("chr1", 2)].tolist() == [1, 1]
    assert per_bin.loc[("chr2", 1)].tolist() == [1, 1]
    assert len(per_bin) == 3
    midpoint = qtl.connectivity(links, 10_000, "midpoint").set_index(["chrom", "bin"])
    # the 19-21 kb target's midpoint (20 kb) lies in bin 2 only
    assert midpoint.loc[("chr1", 1)].tolist() == [3, 2]
    assert midpoint.loc[("chr1", 2)].tolist() == [1, 1]


def test_summary_tables_by_hand(tmp_path):
    links, _ = qtl.read_qtl_links(write(tmp_path / "q.txt.gz", HAND_BUILT))
    per_bin = qtl.connectivity(links, 10_000)
    sizes = {"chr1": 100_000, "chr2": 45_000}  # 10 + 5 bins
    table1 = qtl.connectivity_summary(per_bin, sizes, 10_000, "connected_qtls", hub=3)
    assert table1 == {"total": 6, "connected_regions": 3, "all_regions": 15,
                      "mean_per_connected_region": 2.0, "mean_per_region": 6 / 15,
                      "share_without": 12 / 15, "share_over_hub": 1 / 15}  # fmt: skip
    table2 = qtl.connectivity_summary(per_bin, sizes, 10_000, "binned_qtls")
    assert table2["total"] == 4 and table2["share_over_hub"] == 0
    # chromosome sizes spelled the Ensembl way count the same bins
    ensembl = qtl.connectivity_summary(per_bin, {"1": 100_000, "2": 45_000}, 10_000,
                                       "connected_qtls", hub=3)  # fmt: skip
    assert ensembl == table1
    with pytest.raises(ValueError, match="none of the QTL chromosomes"):
        qtl.connectivity_summary(per_bin, {"scaffold_1": 100_000}, 10_000)


def test_malformed_lines_are_named_with_their_number(tmp_path):
    good = [line(f"chr1:{1000 + i}_A_G", "chr1:5000:7000", 0.01) for i in range(30)]
    cases = {
        "too many columns": ([*good[:20], good[20] + " extra", *good[21:]], "line 21 has 10 columns"),
        "too few columns": ([*good[:7], "chr1:1_A_G rs1 chr1:1:2 0.1", *good[8:]], "line 8 has 4 columns"),
        "bad coordinate": ([*good[:25], line("chr1:1_A_G", "chr1:x:2", 0.01), *good[26:]],
                           "line 26: phenotype 'chr1:x:2' is not chr:start:end"),
        "bad variant": ([*good[:12], line("chr1-1-A-G", "chr1:1:2", 0.01), *good[13:]], "line 13: variant"),
        "bad number": ([*good[:3], line("chr1:1_A_G", "chr1:1:2", 0.01).replace("0.3", "high"), *good[4:]],
                       "line 4: column 'alt_af' is not a number"),
    }  # fmt: skip
    for name, (lines, message) in cases.items():
        path = write(tmp_path / f"{name.replace(' ', '_')}.txt.gz", lines)
        with pytest.raises(InputFileError, match=f"{path.name}: {message}"):
            qtl.read_qtl_links(path, chunksize=8)


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(InputFileError, match="no such QTL file"):
        qtl.read_qtl_links(tmp_path / "absent.txt.gz")


def test_degree_fit_tells_a_power_law_from_an_exponential():
    rng = np.random.default_rng(0)
    power = qtl.degree_fit(rng.zipf(2.0, 3000))
    assert power["favoured"] == "power law" and abs(power["alpha"] - 2.0) < 0.2
    exponential = qtl.degree_fit(np.ceil(rng.exponential(20, 3000)).astype(int))
    assert exponential["favoured"] == "exponential"


def test_a_file_without_significant_qtls_gives_no_links_and_no_fit(tmp_path):
    # a small dataset can have no QTL at FDR < 0.05 in a cell type: nothing to fit, no crash
    lines = [line(f"chr1:{5000 + i}_A_G", "chr1:12000:14000", 0.2) for i in range(5)]
    links, counts = qtl.read_qtl_links(write(tmp_path / "q.txt.gz", lines))
    assert len(links) == 0 and counts["rows"] == 5 and counts["fdr_pass"] == 0
    per_bin = qtl.connectivity(links, 10_000)
    summary = qtl.connectivity_summary(per_bin, {"chr1": 50_000}, 10_000)
    assert summary["share_without"] == 1.0 and summary["total"] == 0
    fit = qtl.degree_fit(np.array([3, 1, 2]))
    assert fit["favoured"] == "too few degrees" and np.isnan(fit["alpha"]) and fit["n_tail"] == 3
    assert qtl.degree_fit(np.full(50, 4))["favoured"] == "too few degrees"  # all equal
    # three values, most at the smallest: powerlaw's xmin leaves nothing to fit (a smoke
    # genome's QTL counts did this); a reason instead of a crash
    few = qtl.degree_fit(np.repeat([1, 2, 3], [12, 11, 12]))
    assert few["favoured"].startswith("no fit (") and np.isnan(few["alpha"])
