"""Saliency against regulatory annotations (Basenji, Kelley et al. 2018, Fig 4B and Methods
"Saliency maps"): do promoters, enhancers and CTCF sites carry more saliency than the
same intervals placed at random in the scored sequence, and which bins stand out?

Saliency per bin (:func:`seqreg.interpret.saliency`) is laid out on the genome with
:func:`bin_table`; each annotation element takes the maximum over the bins it overlaps
(:func:`element_max`); the background is the same elements shuffled within the scored
windows, dropped where they overlap any true element (:func:`shuffle_within`); a
two-sample Kolmogorov-Smirnov test compares each class with its background
(:func:`annotation_test`). Saliency peaks are bins whose two-sided p-value under a normal
fitted to background bins passes Benjamini-Hochberg (:func:`saliency_peaks`).

Interval tables are pandas DataFrames with ``chrom``, ``start``, ``end`` (0-based,
half-open). Used by notebook 05.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np

from ..data.windows import _quiet_pandas_deprecations


def _frame(chrom, start, end, **columns):
    import pandas as pd

    return pd.DataFrame(
        {
            "chrom": np.asarray(chrom, dtype=object),
            "start": np.asarray(start, dtype=np.int64),
            "end": np.asarray(end, dtype=np.int64),
            **columns,
        }
    )


def bin_table(windows, scores: np.ndarray):
    """Saliency of every bin of every window as genome intervals.

    Parameters
    ----------
    windows : pandas.DataFrame
        ``chrom``, ``start``, ``end`` of each scored window (rows of ``scores``).
    scores
        ``(W, positions)`` saliency (:func:`seqreg.interpret.saliency`); bin width is the
        window length over ``positions``.

    Returns
    -------
    pandas.DataFrame
        ``chrom``, ``start``, ``end``, ``saliency``, ``window`` (row of ``windows``),
        ``position`` (bin in the window); one row per bin, ``W * positions`` rows.

    Raises
    ------
    ValueError
        When ``scores`` has another number of rows than ``windows``, or a window's length
        is not a multiple of the number of positions.
    """
    scores = np.asarray(scores)
    if scores.ndim != 2 or len(scores) != len(windows):
        raise ValueError(f"scores {scores.shape} do not match {len(windows)} windows")
    start = np.asarray(windows["start"], dtype=np.int64)
    length = np.asarray(windows["end"], dtype=np.int64) - start
    positions = scores.shape[1]
    if np.any(length % positions):
        raise ValueError(f"window lengths must be multiples of {positions} bins")
    width = length // positions
    position = np.tile(np.arange(positions), len(windows))
    row = np.repeat(np.arange(len(windows)), positions)
    bin_start = start[row] + position * width[row]
    return _frame(
        np.asarray(windows["chrom"], dtype=object)[row],
        bin_start,
        bin_start + width[row],
        saliency=scores.reshape(-1).astype("float64"),
        window=row,
        position=position,
    )


def _overlap_pairs(left, right) -> tuple[np.ndarray, np.ndarray]:
    """Row indices of every overlapping (left, right) pair (bioframe)."""
    import bioframe

    if not len(left) or not len(right):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    with _quiet_pandas_deprecations():
        pairs = bioframe.overlap(
            _frame(left["chrom"], left["start"], left["end"]),
            _frame(right["chrom"], right["start"], right["end"]),
            how="inner",
            return_index=True,
            return_input=False,
        )
    return (
        pairs["index"].to_numpy(dtype=np.int64),
        pairs["index_"].to_numpy(dtype=np.int64),
    )


def element_max(elements, bins) -> np.ndarray:
    """The largest saliency over the bins each element overlaps.

    Parameters
    ----------
    elements : pandas.DataFrame
        ``chrom``, ``start``, ``end``.
    bins : pandas.DataFrame
        :func:`bin_table`'s output.

    Returns
    -------
    numpy.ndarray
        ``(len(elements),)`` float64; NaN for an element no scored bin overlaps.
    """
    out = np.full(len(elements), -np.inf)
    rows, hits = _overlap_pairs(elements, bins)
    np.maximum.at(out, rows, bins["saliency"].to_numpy(dtype=np.float64)[hits])
    out[np.isneginf(out)] = np.nan
    return out


def element_windows(elements, windows, margin: int = 0):
    """The elements lying wholly inside a window, each with the first such window.

    Parameters
    ----------
    elements, windows : pandas.DataFrame
        ``chrom``, ``start``, ``end``.
    margin
        Bases at each end of a window that do not count as inside (e.g. the model's crop,
        so an element lies in the predicted region).

    Returns
    -------
    pandas.DataFrame
        The rows of ``elements`` inside a window (index reset) with ``window``, the row of
        ``windows``.
    """
    inner = _frame(
        windows["chrom"],
        np.asarray(windows["start"], dtype=np.int64) + margin,
        np.asarray(windows["end"], dtype=np.int64) - margin,
    )
    rows, hits = _overlap_pairs(elements, inner)
    start = np.asarray(elements["start"], dtype=np.int64)[rows]
    end = np.asarray(elements["end"], dtype=np.int64)[rows]
    inside = (start >= inner["start"].to_numpy()[hits]) & (end <= inner["end"].to_numpy()[hits])
    rows, hits = rows[inside], hits[inside]
    order = np.lexsort((hits, rows))
    rows, hits = rows[order], hits[order]
    first = np.r_[True, rows[1:] != rows[:-1]] if len(rows) else np.zeros(0, bool)
    found = elements.iloc[rows[first]].reset_index(drop=True)
    return found.assign(window=hits[first])


def scored_elements(elements, windows):
    """The elements lying wholly inside one scored window (so every bin they touch is
    scored and a shuffled copy can be placed in the same window); ``chrom``, ``start``,
    ``end`` as given, index reset."""
    return element_windows(elements, windows).drop(columns="window")


def read_annotation_classes(paths: Mapping[str, str | Path], chroms=None) -> dict:
    """Read annotation BEDs and make the classes exclusive, in the order given: each class
    loses the elements that overlap an element of an earlier class as annotated (the
    paper's enhancers minus promoters, CTCF sites minus both).

    Parameters
    ----------
    paths
        ``{class name: BED path}`` in priority order, e.g. promoters, enhancers, CTCF.
    chroms
        The chromosome names of the scored windows: BED names spelled otherwise (``1`` for
        ``chr1``) are renamed to them (:func:`seqreg.io.match_chrom`); elements on
        chromosomes with neither spelling are dropped.

    Returns
    -------
    dict
        ``{class: DataFrame(chrom, start, end)}``, each sorted.

    Raises
    ------
    InputFileError
        For a missing or malformed BED (from :func:`seqreg.io.read_bed`: not integers,
        start below 0, end before start), or one with an empty interval.
    """
    from ..io.annotation import read_bed
    from ..io.chroms import match_chrom
    from ..project.errors import InputFileError

    classes: dict = {}
    taken = None
    for name, path in paths.items():
        table = read_bed(path)
        bad = np.flatnonzero(table["end"].to_numpy() == table["start"].to_numpy())
        if len(bad):  # read_bed refuses end < start; an empty element has no bins either
            row = table.iloc[bad[0]]
            raise InputFileError(
                path, f"interval {row['chrom']}:{row['start']}-{row['end']} is empty (end = start)"
            )
        if chroms is not None:
            available = set(chroms)
            spelled = {c: match_chrom(str(c), available) for c in table["chrom"].unique()}
            table = table.assign(chrom=table["chrom"].map(spelled))
            table = table[table["chrom"].notna()]
        table = table.sort_values(["chrom", "start"], kind="stable").reset_index(drop=True)
        original = table  # later classes lose what overlaps this class as annotated
        if taken is not None and len(taken):
            rows, _ = _overlap_pairs(table, taken)
            table = table.drop(index=np.unique(rows)).reset_index(drop=True)
        classes[name] = table[["chrom", "start", "end"]]
        taken = original if taken is None else _concat(taken, original)
    return classes


def _concat(*tables):
    import pandas as pd

    return pd.concat([t[["chrom", "start", "end"]] for t in tables], ignore_index=True)


def shuffle_within(elements, windows, exclude, rng: np.random.Generator, copies: int = 1):
    """The elements placed at random positions in the scored windows, keeping their
    lengths; copies that overlap an interval of ``exclude`` are dropped.

    Each copy goes to a window chosen uniformly at random among those long enough, at a
    uniform start inside it.

    Parameters
    ----------
    elements, windows, exclude : pandas.DataFrame
        ``chrom``, ``start``, ``end``; ``exclude`` is every true element of every class.
    rng
        The source of randomness (seeded by the caller).
    copies
        Shuffled copies of each element (a larger background).

    Returns
    -------
    pandas.DataFrame
        ``chrom``, ``start``, ``end``, ``source`` (row of ``elements``).
    """
    length = np.asarray(elements["end"], dtype=np.int64) - np.asarray(
        elements["start"], dtype=np.int64
    )
    length = np.tile(length, copies)
    source = np.tile(np.arange(len(elements)), copies)
    w_start = np.asarray(windows["start"], dtype=np.int64)
    w_length = np.asarray(windows["end"], dtype=np.int64) - w_start
    chosen = np.empty(len(length), dtype=np.int64)
    fits = (
        w_length[None, :] >= length[:, None] if len(length) else np.zeros((0, len(w_start)), bool)
    )
    for i, ok in enumerate(fits):
        candidates = np.flatnonzero(ok)
        chosen[i] = rng.choice(candidates) if len(candidates) else -1
    keep = chosen >= 0
    chosen, length, source = chosen[keep], length[keep], source[keep]
    start = w_start[chosen] + (rng.random(len(chosen)) * (w_length[chosen] - length + 1)).astype(
        np.int64
    )
    placed = _frame(
        np.asarray(windows["chrom"], dtype=object)[chosen], start, start + length, source=source
    )
    rows, _ = _overlap_pairs(placed, exclude)
    return placed.drop(index=np.unique(rows)).reset_index(drop=True)


def annotation_test(classes: Mapping, bins, windows, rng: np.random.Generator, copies: int = 3):
    """Maximum saliency of each annotation class against its shuffled background, with a
    two-sample Kolmogorov-Smirnov test (scipy) per class (Basenji 2018, Fig 4B).

    Parameters
    ----------
    classes
        ``{class: DataFrame(chrom, start, end)}`` (:func:`read_annotation_classes`).
    bins
        :func:`bin_table`'s output for ``windows``.
    windows : pandas.DataFrame
        The scored windows, ``chrom``, ``start``, ``end``.
    rng
        Seeded generator for the shuffles.
    copies
        Shuffled copies per element.

    Returns
    -------
    summary : pandas.DataFrame
        One row per class: ``elements`` (scored), ``background``, ``median``,
        ``background_median``, ``ks_statistic``, ``p``.
    values : dict
        ``{class: (element maxima, background maxima)}`` for plotting.
    """
    import pandas as pd
    from scipy.stats import ks_2samp

    every = _concat(*classes.values()) if classes else _frame([], [], [])
    rows, values = [], {}
    for name, table in classes.items():
        inside = scored_elements(table, windows)
        observed = element_max(inside, bins)
        observed = observed[np.isfinite(observed)]
        shuffled = shuffle_within(inside, windows, every, rng, copies)
        background = element_max(shuffled, bins)
        background = background[np.isfinite(background)]
        values[name] = (observed, background)
        if len(observed) and len(background):
            test = ks_2samp(observed, background)
            statistic, p = float(test.statistic), float(test.pvalue)
        else:
            statistic = p = np.nan
        rows.append(
            {
                "class": name,
                "elements": len(observed),
                "background": len(background),
                "median": float(np.median(observed)) if len(observed) else np.nan,
                "background_median": float(np.median(background)) if len(background) else np.nan,
                "ks_statistic": statistic,
                "p": p,
            }
        )
    return pd.DataFrame(rows).set_index("class"), values


def saliency_peaks(scores: np.ndarray, background: np.ndarray, alpha: float = 0.05):
    """Bins whose saliency is extreme under a normal fitted to background bins, two-sided,
    Benjamini-Hochberg across all bins (statsmodels).

    Parameters
    ----------
    scores
        Saliency of the bins to test, any shape.
    background
        Saliency of bins taken as background (e.g. bins overlapping no annotation); the
        normal's mean and standard deviation are theirs.
    alpha
        False discovery rate.

    Returns
    -------
    p, q, peak : numpy.ndarray
        Each the shape of ``scores``: p-values, BH-adjusted q-values, and whether a bin is
        a peak (``q < alpha``); a peak's sign is its saliency's.

    Raises
    ------
    ValueError
        When the background holds fewer than two finite values or has no spread.
    """
    from scipy.stats import norm
    from statsmodels.stats.multitest import multipletests

    background = np.asarray(background, dtype=np.float64)
    background = background[np.isfinite(background)]
    if len(background) < 2 or not np.std(background) > 0:
        raise ValueError("the background needs at least two distinct finite saliency values")
    mean, sd = norm.fit(background)
    scores = np.asarray(scores, dtype=np.float64)
    p = 2 * norm.sf(np.abs(scores - mean) / sd)
    flat = p.reshape(-1)
    q = np.ones_like(flat)
    finite = np.isfinite(flat)
    if finite.any():
        q[finite] = multipletests(flat[finite], alpha=alpha, method="fdr_bh")[1]
    q = q.reshape(p.shape)
    return p, q, q < alpha


def bins_overlapping(bins, intervals) -> np.ndarray:
    """Whether each bin of :func:`bin_table` overlaps any of ``intervals``, ``(n_bins,)`` bool."""
    out = np.zeros(len(bins), dtype=bool)
    rows, _ = _overlap_pairs(bins, intervals)
    out[rows] = True
    return out


#: words that name each annotation class in a file's id or name (case-insensitive)
CLASS_KEYWORDS = {"promoters": "promoter", "enhancers": "enhancer", "ctcf": "ctcf"}


def find_annotation_files(entries, keywords: Mapping[str, str] | None = None) -> dict:
    """Annotation files by class, found by a keyword in each file's id or file name.

    Parameters
    ----------
    entries
        Manifest file entries (``id`` and ``path``), e.g.
        ``manifest.files_with_role("annotation")``.
    keywords
        ``{class: word}`` in priority order (default :data:`CLASS_KEYWORDS`: promoters,
        enhancers, CTCF sites).

    Returns
    -------
    dict
        ``{class: entry}`` for the classes found (the first matching entry of each).
    """
    found = {}
    for name, word in (keywords or CLASS_KEYWORDS).items():
        for entry in entries:
            if word.lower() in f"{entry.id} {Path(str(entry.path)).name}".lower():
                found[name] = entry
                break
    return found


def annotation_cell_type(entries, cell_types) -> str | None:
    """The cell type that the annotation files' ids or names mention (the longest such
    name, so ``t_cell`` wins over ``cell``), or None."""
    text = " ".join(f"{e.id} {Path(str(e.path)).name}" for e in entries).lower()
    named = [c for c in cell_types if c and c.lower() in text]
    return max(named, key=len) if named else None
