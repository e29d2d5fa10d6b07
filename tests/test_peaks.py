"""Peak labels from coverage (Basenji 2018 Supp. Fig. S1): subsequence tiling, the Poisson
test, global and MACS2-style local background rates, and recovery of planted elements."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import poisson
from statsmodels.stats.multitest import multipletests

from seqreg.data.peaks import call_peaks, peak_labels, poisson_pvalues, subsequence_table
from seqreg.project.errors import InputFileError
from seqreg.project.manifest import Track
from seqreg.truth.peaks import peak_recovery, peak_recovery_by_cell_type

CHROM_LENGTH = 40_960
BACKGROUND = 0.0625  # per base: 16 reads in a 256-bp centre
NO_DATA = (0, 2048)  # chr2 bases without data (NaN)
STRONG = ("chr1", 5 * 1024)  # subsequence whose centre holds a strong block
BROAD = (14_336, 30_720)  # chr2 region at 0.5 per base (128 reads per centre)
INNER = ("chr2", 20 * 1024)  # subsequence whose centre holds a block at 0.625 in BROAD


def coverage() -> dict[str, np.ndarray]:
    """Per-base values of the toy track (NaN: no data)."""
    chr1 = np.full(CHROM_LENGTH, BACKGROUND)
    chr1[STRONG[1] + 384 : STRONG[1] + 640] = 1.0
    chr2 = np.full(CHROM_LENGTH, BACKGROUND)
    chr2[slice(*NO_DATA)] = np.nan
    chr2[slice(*BROAD)] = 0.5
    chr2[INNER[1] + 384 : INNER[1] + 640] = 0.625
    return {"chr1": chr1, "chr2": chr2}


def write_track(path: Path, values: dict[str, np.ndarray]) -> Path:
    """A bigWig with one entry per run of equal values (NaN runs left out)."""
    import pyBigWig

    handle = pyBigWig.open(str(path), "w")
    handle.addHeader([(chrom, len(v)) for chrom, v in values.items()])
    for chrom, v in values.items():
        change = np.flatnonzero(~((v[1:] == v[:-1]) | (np.isnan(v[1:]) & np.isnan(v[:-1])))) + 1
        starts = np.concatenate([[0], change])
        ends = np.concatenate([change, [len(v)]])
        keep = ~np.isnan(v[starts])
        handle.addEntries([chrom] * int(keep.sum()), starts[keep].tolist(),
                          ends=ends[keep].tolist(), values=v[starts][keep].tolist())  # fmt: skip
    handle.close()
    return path


def toy_windows() -> pd.DataFrame:
    """Windows of 4,096 bp tiling both chromosomes (four 1,024-bp subsequences each)."""
    starts = np.arange(0, CHROM_LENGTH, 4096)
    return pd.DataFrame(
        {
            "chrom": ["chr1"] * len(starts) + ["chr2"] * len(starts),
            "start": np.concatenate([starts, starts]),
            "end": np.concatenate([starts, starts]) + 4096,
        }
    )


@pytest.fixture
def toy(tmp_path):
    path = write_track(tmp_path / "toy.bw", coverage())
    subsequences = subsequence_table(toy_windows(), seq_length=4096, crop_bp=0)
    return path, subsequences


def row_of(subsequences, chrom: str, start: int) -> int:
    hit = np.flatnonzero((subsequences["chrom"] == chrom) & (subsequences["start"] == start))
    assert len(hit) == 1
    return int(hit[0])


# -- Poisson p-values ----------------------------------------------------------------------------
def test_poisson_pvalue_by_hand():
    # P(X >= 3 | Poisson(1)) = 1 - e^-1 (1 + 1 + 1/2)
    assert poisson_pvalues(3, 1.0) == pytest.approx(1 - math.exp(-1) * 2.5, rel=1e-12)
    # P(X >= 0) = 1 whatever the rate; counts are rounded (2.6 -> 3)
    assert poisson_pvalues(0, 5.0) == pytest.approx(1.0)
    assert poisson_pvalues(2.6, 1.0) == pytest.approx(1 - math.exp(-1) * 2.5, rel=1e-12)


def test_poisson_pvalues_match_scipy_on_a_grid():
    counts = np.arange(0, 40)[:, None]
    rates = np.array([0.1, 1.0, 3.7, 12.0, 30.0])[None, :]
    p = poisson_pvalues(counts, rates)
    assert p.shape == (40, 5)
    expected = 1 - poisson.cdf(counts - 1, rates)
    np.testing.assert_allclose(p, expected, rtol=1e-9, atol=1e-15)
    with pytest.raises(ValueError, match="non-negative"):
        poisson_pvalues([1, 2], [-1.0, 1.0])


# -- subsequences --------------------------------------------------------------------------------
def test_subsequence_table_tiles_the_target_region():
    windows = pd.DataFrame(
        {
            "chrom": ["chr1", "chr3"],
            "start": [100, 50_000],
            "end": [16_484, 66_384],
            "split": ["test", "valid"],
            "row": [7, 9],
        }
    )
    table = subsequence_table(windows, seq_length=16_384, crop_bp=1024)
    assert len(table) == 2 * 14  # (16384 - 2 x 1024) / 1024
    first = table[table["window"] == 0]
    np.testing.assert_array_equal(first["offset"], 1024 + 1024 * np.arange(14))
    np.testing.assert_array_equal(first["start"], 100 + 1024 + 1024 * np.arange(14))
    np.testing.assert_array_equal(first["end"] - first["start"], 1024)
    np.testing.assert_array_equal(first["centre_start"], first["start"] + 384)
    np.testing.assert_array_equal(first["centre_end"], first["start"] + 640)
    assert first["end"].iloc[-1] == 16_484 - 1024  # the target region exactly
    second = table[table["window"] == 1]
    assert set(second["chrom"]) == {"chr3"} and set(second["split"]) == {"valid"}
    assert set(second["row"]) == {9} and second["start"].iloc[0] == 51_024
    # a remainder shorter than a subsequence is dropped; other centres
    short = subsequence_table(windows.assign(end=windows["start"] + 5000), 5000, 0, 1024, 128)
    assert len(short) == 2 * 4
    np.testing.assert_array_equal(short["centre_end"] - short["centre_start"], 128)
    np.testing.assert_array_equal(short["centre_start"] - short["start"], 448)
    assert "split" not in subsequence_table(windows[["chrom", "start", "end"]], 16_384, 1024)


def test_subsequence_table_rejects_bad_arguments():
    windows = pd.DataFrame({"chrom": ["chr1"], "start": [0], "end": [4096]})
    with pytest.raises(ValueError, match="centre"):
        subsequence_table(windows, 4096, 0, length=256, centre=512)
    with pytest.raises(ValueError, match="target region"):
        subsequence_table(windows, 4096, 1600, length=1024)
    with pytest.raises(ValueError, match="seq_length"):
        subsequence_table(windows, 8192, 0)


# -- peak calls ----------------------------------------------------------------------------------
def test_strong_block_is_called_under_both_rates_and_a_block_in_a_broad_region_only_globally(toy):
    path, subsequences = toy
    calls = call_peaks(path, subsequences)
    strong, inner = row_of(subsequences, *STRONG), row_of(subsequences, *INNER)
    assert calls["count"].iloc[strong] == 256 and calls["count"].iloc[inner] == 160
    assert calls["peak_global"].iloc[strong] and calls["peak_local"].iloc[strong]
    assert calls["peak_global"].iloc[inner] and not calls["peak_local"].iloc[inner]
    # the flat background is called under neither rate
    background = row_of(subsequences, "chr1", 30 * 1024)
    assert not calls["peak_global"].iloc[background] and not calls["peak_local"].iloc[background]
    assert calls.index.equals(subsequences.index)


def test_lambdas_are_the_genome_wide_rate_and_the_maximum_of_the_local_windows(toy):
    path, subsequences = toy
    calls = call_peaks(path, subsequences)
    values = coverage()
    rate = sum(np.nansum(v) for v in values.values()) / sum(
        np.isfinite(v).sum() for v in values.values()
    )
    assert calls["lambda_global"].to_numpy() == pytest.approx(rate * 256)

    def local_rate(v, mid, w):
        lo = max(mid - w // 2, 0)
        part = v[lo : min(mid + w // 2, len(v))]
        return np.nansum(part) / np.isfinite(part).sum() if np.isfinite(part).any() else -np.inf

    inner = row_of(subsequences, *INNER)
    mid = INNER[1] + 512
    rates = [local_rate(values["chr2"], mid, w) for w in (1000, 5000, 10_000)]
    assert rates[0] == pytest.approx((256 * 0.625 + 744 * 0.5) / 1000)  # the 1-kb window
    assert calls["lambda_local"].iloc[inner] == pytest.approx(256 * max(rate, *rates))
    assert calls["lambda_local"].iloc[inner] > 1.05 * 256 * max(rate, *rates[1:])
    # 512 bp before the broad region: the windows are centred, so only the wider ones reach it
    before = row_of(subsequences, "chr2", 13 * 1024)
    mid = 13 * 1024 + 512
    rates = [local_rate(values["chr2"], mid, w) for w in (1000, 5000, 10_000)]
    assert rates[0] == pytest.approx(BACKGROUND) and rates[2] > rates[1] > rate
    assert calls["lambda_local"].iloc[before] == pytest.approx(256 * rates[2])
    # next to the region without data: the 1-kb window holds no data and is skipped, the
    # others are clipped at the chromosome start and divided by their covered bases only
    edge = row_of(subsequences, "chr2", 1024)
    assert calls["covered"].iloc[edge] == 0 and calls["count"].iloc[edge] == 0
    edge_rates = [local_rate(values["chr2"], 1024 + 512, w) for w in (1000, 5000, 10_000)]
    assert edge_rates[0] == -np.inf
    assert calls["lambda_local"].iloc[edge] == pytest.approx(256 * max(rate, *edge_rates))


def test_q_values_are_benjamini_hochberg_of_the_poisson_p_values(toy):
    path, subsequences = toy
    calls = call_peaks(path, subsequences, fdr=0.05)
    for rate in ("global", "local"):
        p = poisson.sf(np.rint(calls["count"]) - 1, calls[f"lambda_{rate}"])
        np.testing.assert_allclose(calls[f"p_{rate}"], p, rtol=1e-12)
        q = multipletests(p, method="fdr_bh")[1]
        np.testing.assert_allclose(calls[f"q_{rate}"], q, rtol=1e-12)
        np.testing.assert_array_equal(calls[f"peak_{rate}"], q < 0.05)


def test_bases_per_count_divides_counts_and_rates(toy):
    path, subsequences = toy
    one, eight = call_peaks(path, subsequences), call_peaks(path, subsequences, bases_per_count=8)
    np.testing.assert_allclose(eight["count"], one["count"] / 8)
    np.testing.assert_allclose(eight["lambda_local"], one["lambda_local"] / 8)
    # fewer reads for the same coverage: weaker evidence
    assert (
        eight["p_global"].iloc[row_of(subsequences, *INNER)]
        > one["p_global"].iloc[row_of(subsequences, *INNER)]
    )


def test_chromosome_aliases_resolve(toy):
    path, subsequences = toy
    renamed = subsequences.assign(chrom=subsequences["chrom"].str.replace("chr", "", regex=False))
    pd.testing.assert_series_equal(
        call_peaks(path, renamed)["lambda_local"], call_peaks(path, subsequences)["lambda_local"]
    )


def test_peak_labels_stack_tracks(toy, tmp_path):
    path, subsequences = toy
    flat = write_track(
        tmp_path / "flat.bw", {c: np.full(CHROM_LENGTH, 2.0) for c in ("chr1", "chr2")}
    )
    tracks = [
        Track(id="toy", role="track", format="bigwig", path=path, cell_type="a"),
        Track(id="flat", role="track", format="bigwig", path=flat, cell_type="b"),
    ]
    labels, summary = peak_labels(tracks, subsequences, rate="global", progress=False)
    assert labels.shape == (len(subsequences), 2) and labels.dtype == np.uint8
    np.testing.assert_array_equal(labels[:, 0], call_peaks(path, subsequences)["peak_global"])
    assert labels[:, 1].sum() == 0
    assert list(summary.index) == ["toy", "flat"]
    assert summary.loc["toy", "positives_global"] == pytest.approx(labels[:, 0].mean())
    assert summary.loc["toy", "positives_local"] < summary.loc["toy", "positives_global"]
    assert summary.loc["flat", "lambda_global"] == pytest.approx(2.0 * 256)
    local, _ = peak_labels(tracks, subsequences, progress=False)
    assert local[:, 0].sum() < labels[:, 0].sum()
    with pytest.raises(ValueError, match="rate"):
        peak_labels(tracks, subsequences, rate="lambda", progress=False)


# -- errors --------------------------------------------------------------------------------------
def test_missing_bigwig_names_the_file(toy, tmp_path):
    _, subsequences = toy
    missing = tmp_path / "nowhere.bw"
    with pytest.raises(InputFileError, match=re.escape("nowhere.bw")) as raised:
        call_peaks(missing, subsequences)
    assert raised.value.path == str(missing)
    not_bigwig = tmp_path / "text.bw"
    not_bigwig.write_text("not a bigWig\n")
    with pytest.raises(InputFileError, match=re.escape("text.bw")):
        call_peaks(not_bigwig, subsequences)


def test_chromosome_absent_from_the_bigwig_names_file_and_chromosome(toy):
    path, subsequences = toy
    other = subsequences.assign(
        chrom=np.where(subsequences["window"] == 3, "chr7", subsequences["chrom"])
    )
    with pytest.raises(InputFileError, match="chr7") as raised:
        call_peaks(path, other)
    assert raised.value.path == str(path)


def test_negative_values_are_rejected(toy, tmp_path):
    _, subsequences = toy
    values = coverage()
    values["chr2"][30_000:30_010] = -1.0
    path = write_track(tmp_path / "negative.bw", values)
    with pytest.raises(InputFileError, match="negative"):
        call_peaks(path, subsequences)


# -- recovery of planted elements ----------------------------------------------------------------
def test_peak_recovery_by_hand():
    elements = pd.DataFrame(
        {
            "element_id": ["E1", "E2"],
            "kind": ["enhancer", "promoter"],
            "chrom": ["chr1", "chr1"],
            "start": [1000, 5000],
            "end": [1100, 5300],
        }
    )
    activity = pd.DataFrame({"element_id": ["E1", "E2"], "ct_a": [0.9, 0.6], "ct_b": [0.1, 0.7]})
    # centres: S0 on E1, S1 on nothing, S2 on E2, S3 touching E1's end (half-open: no overlap)
    centre_start = np.array([950, 2000, 4800, 1100])
    subsequences = pd.DataFrame(
        {"chrom": ["chr1"] * 4, "centre_start": centre_start, "centre_end": centre_start + 256}
    )
    tracks = [
        Track(id="t1", role="track", format="bigwig", path=Path("t1.bw"), cell_type="ct_a"),
        Track(id="t2", role="track", format="bigwig", path=Path("t2.bw"), cell_type="ct_b"),
    ]
    labels = np.array([[1, 1], [1, 0], [0, 1], [0, 1]], dtype=np.uint8)
    table = peak_recovery(labels, subsequences, tracks, elements, activity).set_index("track")
    # ct_a: S0 and S2 active; t1 calls S0, S1 -> precision 1/2, recall 1/2
    assert table.loc["t1", ["called", "active", "true_positives"]].tolist() == [2, 2, 1]
    assert table.loc["t1", "precision"] == pytest.approx(0.5)
    assert table.loc["t1", "recall"] == pytest.approx(0.5)
    # ct_b: only S2 active (E1 at 0.1); t2 calls S0, S2, S3 -> precision 1/3, recall 1
    assert table.loc["t2", ["called", "active", "true_positives"]].tolist() == [3, 1, 1]
    assert table.loc["t2", "precision"] == pytest.approx(1 / 3)
    assert table.loc["t2", "recall"] == pytest.approx(1.0)
    low = peak_recovery(labels, subsequences, tracks, elements, activity, active_threshold=0.05)
    assert low.set_index("track").loc["t2", "precision"] == pytest.approx(2 / 3)
    by = peak_recovery_by_cell_type(pd.concat([table.reset_index(), table.reset_index()]))
    assert by.loc["ct_a", "tracks"] == 2 and by.loc["ct_b", "precision"] == pytest.approx(1 / 3)
    with pytest.raises(ValueError, match="ct_c"):
        peak_recovery(labels, subsequences, [tracks[0], Track(id="t3", role="track",
                      format="bigwig", path=Path("t3.bw"), cell_type="ct_c")], elements, activity)  # fmt: skip
    with pytest.raises(ValueError, match="labels"):
        peak_recovery(labels[:3], subsequences, tracks, elements, activity)
