"""Binary peak labels called from DNase/ATAC coverage (Basenji 2018, Supp. Fig. S1).

Kelley et al. (2018) compared Basenji with peak-classification models (Basset, DeepSEA) on
binary labels derived from the same coverage: each test sequence was divided into 1,024-bp
subsequences, and a subsequence was labelled a peak in a track when the coverage summed over
its centre 256 bp was significant under a Poisson test against the track's background, at a
Benjamini-Hochberg false discovery rate of 0.01. Basenji's released ``basenji_test.py``
estimates the background as one genome-wide rate per track. This module implements that
(``*_global`` columns) and also a MACS2-style local background (``*_local``): the maximum of
the genome-wide rate and the rates in windows of 1, 5 and 10 kb around the centre (Zhang et
al. 2008), which does not call a subsequence merely because it sits in a broadly elevated
region. The project's Supp. Fig. S1 benchmark uses the local rate.

- :func:`subsequence_table` tiles the target region of each window with subsequences;
- :func:`poisson_pvalues` is the upper-tail Poisson test;
- :func:`call_peaks` calls one track (counts, background rates, p- and q-values, peaks);
- :func:`peak_labels` calls every track and returns the label matrix.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..project.errors import InputFileError

#: the rates :func:`peak_labels` can label with
RATES = ("global", "local")


def subsequence_table(windows, seq_length: int, crop_bp: int, length: int = 1024,
                      centre: int = 256):  # fmt: skip
    """Consecutive ``length``-bp subsequences tiling the target region of each window.

    The target region of a window is ``[start + crop_bp, end - crop_bp)`` (the part a model
    predicts). It is tiled from its start by non-overlapping subsequences of ``length`` bp; a
    remainder shorter than ``length`` is dropped. Each subsequence's centre is its middle
    ``centre`` bp, where :func:`call_peaks` counts coverage.

    Parameters
    ----------
    windows : pandas.DataFrame
        ``chrom``, ``start``, ``end`` (0-based, half-open) and optionally ``split`` and
        ``row`` (as :func:`~seqreg.data.load_split` returns them).
    seq_length
        Length of every window, bp.
    crop_bp
        Bases cropped from each end of a window to give its target region.
    length
        Subsequence length, bp (Basenji 2018: 1,024).
    centre
        Length of each subsequence's centre, bp (Basenji 2018: 256).

    Returns
    -------
    pandas.DataFrame
        One row per subsequence, windows in order and subsequences in genome order within
        each: ``window`` (0-based position of the window in ``windows``), ``chrom``,
        ``start``, ``end`` (genome coordinates, 0-based half-open), ``offset`` (``start``
        minus the window's start, bp), ``centre_start``, ``centre_end`` and, when
        ``windows`` has them, ``split`` and ``row``.
        ``len(windows) * ((seq_length - 2 * crop_bp) // length)`` rows.

    Raises
    ------
    ValueError
        When ``length`` or ``centre`` is not positive, ``centre > length``, ``length`` is
        longer than the target region, or a window's ``end - start`` is not ``seq_length``.
    """
    import pandas as pd

    seq_length, crop_bp, length, centre = int(seq_length), int(crop_bp), int(length), int(centre)
    target = seq_length - 2 * crop_bp
    if length <= 0 or centre <= 0:
        raise ValueError(f"length ({length}) and centre ({centre}) must be positive")
    if centre > length:
        raise ValueError(f"centre ({centre} bp) is longer than the subsequence ({length} bp)")
    if length > target:
        raise ValueError(
            f"subsequences of {length} bp do not fit the target region of {target} bp "
            f"(seq_length {seq_length} - 2 x crop_bp {crop_bp})"
        )
    starts = np.asarray(windows["start"], dtype=np.int64)
    ends = np.asarray(windows["end"], dtype=np.int64)
    wrong = np.flatnonzero(ends - starts != seq_length)
    if len(wrong):
        k = int(wrong[0])
        raise ValueError(
            f"{len(wrong)} window(s) are not seq_length = {seq_length} bp long; window {k} "
            f"({windows['chrom'].iloc[k]}:{starts[k]}-{ends[k]}) is {ends[k] - starts[k]} bp"
        )
    per_window = target // length
    offsets = crop_bp + length * np.arange(per_window, dtype=np.int64)
    window = np.repeat(np.arange(len(windows), dtype=np.int64), per_window)
    offset = np.tile(offsets, len(windows))
    start = starts[window] + offset
    centre_start = start + (length - centre) // 2
    table = pd.DataFrame(
        {
            "window": window,
            "chrom": np.asarray(windows["chrom"], dtype=object)[window],
            "start": start,
            "end": start + length,
            "offset": offset,
            "centre_start": centre_start,
            "centre_end": centre_start + centre,
        }
    )
    for column in ("split", "row"):
        if column in windows:
            table[column] = np.asarray(windows[column])[window]
    return table


def poisson_pvalues(counts, rate) -> np.ndarray:
    """Upper-tail Poisson p-values ``P(X >= k)`` for ``X ~ Poisson(rate)``.

    Parameters
    ----------
    counts : array_like
        Observed counts ``k``; rounded to the nearest integer.
    rate : array_like
        Expected counts (Poisson means, >= 0); broadcast against ``counts``.

    Returns
    -------
    np.ndarray
        float64 p-values in [0, 1] of the broadcast shape (``scipy.stats.poisson.sf(k - 1,
        rate)``; 1 for ``k <= 0``).

    Raises
    ------
    ValueError
        When a rate is negative or NaN.
    """
    from scipy.stats import poisson

    k = np.rint(np.asarray(counts, dtype=np.float64))
    rate = np.asarray(rate, dtype=np.float64)
    if np.any(~(rate >= 0)):
        raise ValueError("Poisson rates must be non-negative numbers")
    return np.asarray(poisson.sf(k - 1, rate), dtype=np.float64)


def call_peaks(bigwig_path: str | Path, subsequences, *, centre: int = 256,
               local_windows: Sequence[int] = (1000, 5000, 10000), fdr: float = 0.01,
               bases_per_count: float = 1.0):  # fmt: skip
    """Poisson peak calls of one coverage track in the centres of ``subsequences``.

    Each chromosome's base-level values are read once; NaN (no data) counts as 0 and as
    not covered. Window sums come from cumulative sums of the values taken at the window
    boundaries. For a subsequence with centre ``C`` (``centre`` bp):

    - ``count`` = sum of values over ``C`` / ``bases_per_count``;
    - ``lambda_global`` = genome-wide rate x ``centre`` / ``bases_per_count``, the
      genome-wide rate being the sum of values over all chromosomes of the bigWig divided
      by its covered bases (Basenji's ``basenji_test.py``);
    - ``lambda_local`` = the maximum of ``lambda_global`` and, for each ``w`` in
      ``local_windows``, the rate of the ``w``-bp window centred on ``C`` (clipped to the
      chromosome; sum / covered bases, skipped when nothing is covered) x ``centre`` /
      ``bases_per_count`` (MACS2's local lambda);
    - ``p_*`` = ``P(X >= count)`` under Poisson(``lambda_*``), ``q_*`` their
      Benjamini-Hochberg q-values over all subsequences given, ``peak_* = q_* < fdr``.

    Parameters
    ----------
    bigwig_path
        The track (bigWig, values >= 0).
    subsequences : pandas.DataFrame
        ``chrom``, ``start``, ``end`` (from :func:`subsequence_table`; chromosomes may be
        spelled ``chr1`` or ``1`` whatever the bigWig uses). When ``centre_start`` and
        ``centre_end`` are present they must be the middle ``centre`` bp.
    centre
        Length of the centre counted, bp (Basenji 2018: 256).
    local_windows
        Lengths of the local background windows, bp (MACS2: 1, 5 and 10 kb).
    fdr
        Benjamini-Hochberg false discovery rate of a call.
    bases_per_count
        Sum of base-level values that one read (one count) contributes: 1 for a track of
        read starts per base; the read (fragment) length for a track of base coverage; the
        bin width for a track storing each bin's reads at every base of the bin (the
        synthetic tracks: 32). The Poisson test needs counts, not summed coverage.

    Returns
    -------
    pandas.DataFrame
        One row per subsequence in input order, with the index of ``subsequences``:
        ``chrom``, ``centre_start``, ``centre_end``, ``covered`` (covered bases of the
        centre), ``count`` (reads), ``lambda_global``, ``lambda_local`` (expected reads in
        the centre), ``p_global``, ``p_local``, ``q_global``, ``q_local`` (float64) and
        ``peak_global``, ``peak_local`` (bool).

    Raises
    ------
    InputFileError
        When the bigWig is missing or unreadable, lacks a chromosome of ``subsequences``
        (under any spelling), holds a negative value, or holds no finite value at all.
    ValueError
        When a subsequence is shorter than ``centre``, its centre columns disagree with
        ``centre``, or ``bases_per_count``, ``fdr`` or a local window is not positive.
    """
    import pandas as pd
    from statsmodels.stats.multitest import multipletests

    from ..io.bigwig import open_bigwig
    from ..io.chroms import resolve_chrom

    centre = int(centre)
    local_windows = [int(w) for w in local_windows]
    if (
        bases_per_count <= 0
        or not 0 < fdr <= 1
        or centre <= 0
        or min(local_windows, default=1) <= 0
    ):
        raise ValueError(
            "centre, bases_per_count and local windows must be positive and fdr in (0, 1]"
        )
    chroms = np.asarray(subsequences["chrom"], dtype=object)
    starts = np.asarray(subsequences["start"], dtype=np.int64)
    ends = np.asarray(subsequences["end"], dtype=np.int64)
    if np.any(ends - starts < centre):
        raise ValueError(f"every subsequence must be at least centre = {centre} bp long")
    centre_start = starts + (ends - starts - centre) // 2
    for column, expected in (("centre_start", centre_start), ("centre_end", centre_start + centre)):
        if column in subsequences and not np.array_equal(
            np.asarray(subsequences[column], dtype=np.int64), expected
        ):
            raise ValueError(
                f"subsequences' {column} is not the middle {centre} bp; pass the centre "
                "that subsequence_table was given"
            )

    n = len(chroms)
    counts = np.zeros(n)
    covered = np.zeros(n, dtype=np.int64)
    local_rates = np.full((n, len(local_windows)), np.nan)
    total_sum, total_covered = 0.0, 0
    handle = open_bigwig(bigwig_path)
    try:
        sizes = dict(handle.chroms())
        names = {c: resolve_chrom(c, sizes, bigwig_path) for c in pd.unique(chroms)}
        rows_of = {name: [] for name in sizes}
        for chrom, name in names.items():
            rows_of[name].append(np.flatnonzero(chroms == chrom))
        for name, size in sizes.items():
            values = np.asarray(handle.values(name, 0, size, numpy=True), dtype=np.float32)
            if np.any(values < 0):
                raise InputFileError(
                    bigwig_path,
                    f"holds negative values on {name}; peaks need counts (values >= 0)",
                )
            rows = np.concatenate(rows_of[name]) if rows_of[name] else np.zeros(0, np.int64)
            lo = centre_start[rows]
            spans = [(lo, lo + centre)]
            for w in local_windows:
                w_lo = lo - (w - centre) // 2
                spans.append((w_lo, w_lo + w))
            sums, cov, chrom_sum, chrom_covered = _span_sums(values, spans)
            total_sum += chrom_sum
            total_covered += chrom_covered
            counts[rows] = sums[0]
            covered[rows] = cov[0]
            for j in range(len(local_windows)):
                with np.errstate(invalid="ignore", divide="ignore"):
                    local_rates[rows, j] = np.where(
                        cov[j + 1] > 0, sums[j + 1] / cov[j + 1], np.nan
                    )
    finally:
        handle.close()
    if total_covered == 0:
        raise InputFileError(bigwig_path, "holds no finite value; no background rate")

    scale = centre / bases_per_count
    lambda_global = total_sum / total_covered * scale
    local = np.nan_to_num(local_rates * scale, nan=-np.inf)
    lambda_local = np.maximum(lambda_global, local.max(axis=1, initial=-np.inf))
    counts = counts / bases_per_count
    out = pd.DataFrame(
        {
            "chrom": chroms,
            "centre_start": centre_start,
            "centre_end": centre_start + centre,
            "covered": covered,
            "count": counts,
            "lambda_global": np.full(n, lambda_global),
            "lambda_local": lambda_local,
        },
        index=subsequences.index,
    )
    for rate in RATES:
        p = poisson_pvalues(counts, out[f"lambda_{rate}"].to_numpy())
        q = multipletests(p, method="fdr_bh")[1] if n else p
        out[f"p_{rate}"] = p
        out[f"q_{rate}"] = q
    for rate in RATES:
        out[f"peak_{rate}"] = out[f"q_{rate}"].to_numpy() < fdr
    return out


def _span_sums(values: np.ndarray, spans):
    """Sums and covered bases of ``values`` over half-open spans (clipped to the array),
    and over the whole array. NaN values count as 0 and not covered (``values`` is
    overwritten with 0 there).

    Cumulative sums of the values (NaN as 0) and of the covered mask are taken only at the
    span boundaries (``np.add.reduceat`` over the segments between them), so the memory
    beyond ``values`` is proportional to the number of spans, not the chromosome length.
    """
    size = len(values)
    finite = np.isfinite(values)
    values[~finite] = 0  # in place: the caller's array is read once and not kept
    filled = values
    clipped = [(np.clip(a, 0, size), np.clip(b, 0, size)) for a, b in spans]
    points = np.unique(np.concatenate([[0, size], *[np.concatenate(s) for s in clipped]]))
    if size:
        sum_at = np.concatenate(
            [[0.0], np.cumsum(np.add.reduceat(filled, points[:-1], dtype=np.float64))]
        )
        cov_at = np.concatenate(
            [[0], np.cumsum(np.add.reduceat(finite, points[:-1], dtype=np.int64))]
        )
    else:
        sum_at, cov_at = np.zeros(1), np.zeros(1, dtype=np.int64)
    sums, covered = [], []
    for a, b in clipped:
        ia, ib = np.searchsorted(points, a), np.searchsorted(points, b)
        sums.append(sum_at[ib] - sum_at[ia])
        covered.append(cov_at[ib] - cov_at[ia])
    return sums, covered, float(sum_at[-1]), int(cov_at[-1])


def peak_labels(tracks, subsequences, *, rate: str = "local", progress: bool = True,
                **call_peaks_kwargs):  # fmt: skip
    """Binary peak labels of every track (:func:`call_peaks` per track).

    Parameters
    ----------
    tracks : sequence of seqreg.project.Track
        Coverage tracks; each is read from ``track.local_path``.
    subsequences : pandas.DataFrame
        From :func:`subsequence_table`.
    rate
        Which background labels: ``"local"`` (MACS2-style, the benchmark's) or
        ``"global"`` (Basenji's ``basenji_test.py``).
    progress
        Show a progress bar over tracks.
    **call_peaks_kwargs
        ``centre``, ``local_windows``, ``fdr``, ``bases_per_count`` of :func:`call_peaks`.

    Returns
    -------
    labels : np.ndarray
        ``(n_subsequences, n_tracks)`` uint8, 1 where the track has a peak under ``rate``.
    summary : pandas.DataFrame
        Indexed by track id: ``positives_global``, ``positives_local`` (fractions of
        subsequences called under each rate) and ``lambda_global`` (expected reads in a
        centre under the genome-wide rate).

    Raises
    ------
    ValueError
        For a ``rate`` other than ``"local"`` or ``"global"``.
    InputFileError
        As :func:`call_peaks`, naming the track's bigWig.
    """
    import pandas as pd

    from ..project.progress import progress_bar

    if rate not in RATES:
        raise ValueError(f"rate must be one of {RATES}, not {rate!r}")
    tracks = list(tracks)
    labels = np.zeros((len(subsequences), len(tracks)), dtype=np.uint8)
    rows = []
    for k, track in enumerate(
        progress_bar(tracks, desc="peaks", unit="track", disable=not progress)
    ):
        calls = call_peaks(track.local_path, subsequences, **call_peaks_kwargs)
        labels[:, k] = calls[f"peak_{rate}"].to_numpy()
        rows.append(
            {
                "track": track.id,
                "positives_global": float(calls["peak_global"].mean()) if len(calls) else np.nan,
                "positives_local": float(calls["peak_local"].mean()) if len(calls) else np.nan,
                "lambda_global": float(calls["lambda_global"].iloc[0]) if len(calls) else np.nan,
            }
        )
    columns = ["track", "positives_global", "positives_local", "lambda_global"]
    return labels, pd.DataFrame(rows, columns=columns).set_index("track")
