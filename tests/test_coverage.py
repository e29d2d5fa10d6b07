"""BAM to coverage: EM for multi-mapping reads and GC correction, on hand-made inputs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from seqreg import data, sequence


def toy_alignments() -> pd.DataFrame:
    rows = [(f"u{i}", "chr1", 1000 + i, True, 50) for i in range(20)]  # unique reads at 1 kb
    for i in range(20):  # reads from a duplicated segment: equally good at 1 kb and 5 kb
        rows.append((f"m{i}", "chr1", 1010, i % 2 == 0, 50))
        rows.append((f"m{i}", "chr1", 5010, i % 2 == 1, 50))
    return pd.DataFrame(rows, columns=["read", "chrom", "position", "primary", "length"])


def test_em_moves_multi_mapping_reads_to_the_supported_copy():
    alignments = toy_alignments()
    sizes = {"chr1": 8000}
    raw = data.coverage_from_alignments(alignments, sizes, bin_size=32, em_iterations=0)["chr1"]
    em = data.coverage_from_alignments(alignments, sizes, bin_size=32, em_iterations=10)["chr1"]
    near_1kb, near_5kb = (
        slice(1000 // 32 - 2, 1000 // 32 + 3),
        slice(5010 // 32 - 2, 5010 // 32 + 3),
    )
    assert raw[near_5kb].sum() == 10 * 50  # primary alignments: half of the multi reads there
    assert em[near_5kb].sum() < 0.05 * raw[near_5kb].sum()
    assert em.sum() == pytest.approx(raw.sum())  # every read still counts once
    assert em[near_1kb].sum() == pytest.approx(40 * 50, rel=0.01)


def test_read_alignments_keeps_only_a_read_s_best_alignments(tmp_path):
    """A read reported at a perfect and a worse place came from the perfect one; a read
    equally good at two places stays multi-mapping (bowtie2 -k reports both kinds)."""
    import pysam

    header = {"HD": {"VN": "1.6"}, "SQ": [{"SN": "chr1", "LN": 10_000}]}
    path = tmp_path / "reads.sam"
    with pysam.AlignmentFile(str(path), "w", header=header) as out:
        for name, start, secondary, score in [
            ("best_once", 100, False, 0), ("best_once", 4000, True, -12),
            ("tied", 2000, False, -6), ("tied", 6000, True, -6),
        ]:  # fmt: skip
            aln = pysam.AlignedSegment()
            aln.query_name, aln.reference_id, aln.reference_start = name, 0, start
            aln.cigarstring, aln.query_sequence = "50M", "A" * 50
            aln.flag = 256 if secondary else 0
            aln.set_tag("AS", score)
            out.write(aln)
    table = data.read_alignments(path)
    assert table.groupby("read").size().to_dict() == {"best_once": 1, "tied": 2}
    assert table.loc[table["read"] == "best_once", "position"].tolist() == [100]
    assert table["primary"].sum() == 2 and (table["length"] == 50).all()


def test_gc_correction_removes_a_gc_trend():
    rng = np.random.default_rng(0)
    gc = {"chr1": rng.uniform(0.3, 0.6, 20_000)}
    trend = np.exp2(-20 * (gc["chr1"] - 0.5) ** 2 + 2 * gc["chr1"])
    observed = {"chr1": 100 * trend}
    corrected, coefficients = data.gc_correct(observed, gc)
    assert np.std(np.log2(corrected["chr1"])) < 0.1 * np.std(np.log2(observed["chr1"]))
    assert len(coefficients) == 3  # a quadratic of log2 coverage on GC (the default degree)


def test_gc_correction_recovers_a_gc_independent_signal():
    """Peaks on a flat background, multiplied by a GC trend: the correction must give the
    signal back up to one factor (a constant output, which would also flatten the trend,
    fails) and keep the overall level."""
    rng = np.random.default_rng(0)
    gc = {"chr1": rng.uniform(0.3, 0.6, 20_000)}
    trend = np.exp2(-20 * (gc["chr1"] - 0.5) ** 2 + 2 * gc["chr1"])
    peaks = rng.random(20_000) < 0.05  # a twentieth of bins, of log-normal heights
    signal = 100 + np.where(peaks, rng.lognormal(6, 1, 20_000), 0)
    observed = {"chr1": signal * trend}
    assert np.corrcoef(observed["chr1"], signal)[0, 1] < 0.98  # the trend does blur it
    corrected, _ = data.gc_correct(observed, gc)
    assert np.corrcoef(corrected["chr1"], signal)[0, 1] > 0.999
    # proportional to the signal everywhere, peaks included (the fit follows the medians)
    assert np.std(np.log2(corrected["chr1"] / signal)) < 0.01
    # the trend is divided out around its average, so the total stays close (0.96 seen)
    assert 0.9 < corrected["chr1"].sum() / observed["chr1"].sum() < 1.1


def test_smoothed_gc_is_gaussian_weighted_and_skips_n():
    codes = sequence.sequence_codes(b"A" * 200 + b"G" * 200 + b"N" * 200)
    gc = sequence.smoothed_gc(codes, bin_size=100, sigma=8)
    assert gc[0] == pytest.approx(0.0, abs=1e-6) and gc[3] == pytest.approx(1.0, abs=1e-6)
    assert np.isnan(gc[5])
    # centred on the first G (base 200), the Gaussian weighs both sides almost equally
    assert 0.5 < sequence.smoothed_gc(codes, bin_size=400, sigma=8)[0] < 0.55


def test_gc_per_bin_counts_or_skips_n_as_asked():
    codes = sequence.sequence_codes(b"GCAT" + b"GGNN" + b"NNNN" + b"CC")
    assert sequence.gc_per_bin(codes, 4).tolist()[:2] == [0.5, 1.0]
    assert np.isnan(sequence.gc_per_bin(codes, 4)[2])
    assert sequence.gc_per_bin(codes, 4, empty=0.41)[2] == 0.41
    assert sequence.gc_per_bin(codes, 4, n_counts=True).tolist() == [0.5, 0.5, 0.0, 0.5]
    # a last partial bin is padded with N: two C of two known bases
    assert sequence.gc_per_bin(codes, 4)[3] == 1.0


def test_missing_program_is_explained(monkeypatch):
    monkeypatch.setattr(data.coverage.shutil, "which", lambda name: None)
    with pytest.raises(FileNotFoundError, match=r"bowtie2.*not on PATH.*make env"):
        data.require_program("bowtie2")


def test_em_and_gc_correction_each_bring_demo_coverage_closer_to_the_truth(demo):
    # Kelley et al. 2018 Methods (bam_cov): on the demo genome, reads from the planted
    # DNase read source with its library GC bias, aligned with bowtie2 (about 150 s here).
    # Observed (20-Mb demo genome, 4M reads): genome-wide raw 0.9561 < EM 0.9562 < EM + GC
    # 0.9838; in segmental duplications 0.9325 < 0.9462 < 0.9845. Before the reader kept
    # only each read's best-scoring alignments, the EM spread reads onto worse alignments
    # and gained nothing genome-wide (0.9561 -> 0.9560).
    from seqreg import project, truth

    comparison, _, n_reads, _ = truth.bam_coverage_check(
        demo, project.preset("coverage", "demo")["n_reads"], seed=0
    )
    assert n_reads > 3_000_000
    for region in ("genome-wide", "duplicated segments"):
        raw, em, em_gc = (comparison.loc[m, region] for m in ("raw", "em", "em_gc"))
        assert raw < em < em_gc, comparison
    # GC correction removes at least 40% of what raw coverage misses of the truth
    # (1 - r: 0.044 raw, 0.016 after EM + GC on the 20-Mb demo genome)
    missed = 1 - comparison.loc[["raw", "em_gc"], "genome-wide"]
    assert missed["em_gc"] < 0.6 * missed["raw"], comparison
    # and the EM at least 5% of it in segmental duplications (0.068 raw, 0.054 after EM)
    missed = 1 - comparison.loc[["raw", "em"], "duplicated segments"]
    assert missed["em"] < 0.95 * missed["raw"], comparison
