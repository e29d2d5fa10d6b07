"""Name the motif a contribution stretch spells: TOMTOM (Gupta et al. 2007) from memelite,
a Python implementation with no MEME binary, against a JASPAR release read offline by
pyjaspar (:func:`seqreg.sequence.load_jaspar_collection`).

Contribution matrices (ISM's mean-subtracted ``delta``, gradient x input) are not
probabilities; :func:`contribution_ppm` turns one into a position probability matrix by
a softmax per position, so strongly contributing positions become informative columns
and flat ones near-uniform columns that TOMTOM's complete score barely weighs. Used by
notebook 05 (and 12 when it exists).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..sequence.motifs import Motif


def strongest_stretch(values: np.ndarray, width: int) -> int:
    """Start of the ``width``-long stretch of ``values`` with the largest sum (the whole
    array when it is shorter).

    Parameters
    ----------
    values
        ``(L,)`` per-base scores, e.g. :meth:`seqreg.interpret.ISMResult.contribution`.
    width
        Stretch length in bases.
    """
    values = np.asarray(values, dtype=np.float64)
    if width >= len(values):
        return 0
    sums = np.convolve(values, np.ones(width), mode="valid")
    return int(np.argmax(sums))


def contribution_ppm(matrix: np.ndarray, sharpness: float = 4.0,
                     scale: float | None = None) -> np.ndarray:  # fmt: skip
    """A position probability matrix from a contribution matrix.

    ``p[i, b] = softmax_b(sharpness * m[i, b] / scale)``: a position contributing
    ``scale`` gets log-odds of about ``sharpness`` nats between its best and average base,
    weaker positions proportionally less.

    Parameters
    ----------
    matrix
        ``(L, 4)`` contributions (A, C, G, T), e.g. ISM's mean-subtracted matrix.
    sharpness
        Scale of the largest column's log-odds.
    scale
        The contribution that counts as strong; default the stretch's own ``max |m|``. Pass
        the whole element's maximum so a flat stretch of a strong element stays flat.

    Returns
    -------
    numpy.ndarray
        ``(L, 4)`` rows summing to 1; uniform where ``matrix`` is all zero.
    """
    matrix = np.asarray(matrix, dtype=np.float64)
    scale = np.abs(matrix).max() if scale is None else float(scale)
    logits = sharpness * matrix / scale if scale > 0 else np.zeros_like(matrix)
    logits -= logits.max(axis=1, keepdims=True)
    weights = np.exp(logits)
    return weights / weights.sum(axis=1, keepdims=True)


def information_content(ppm: np.ndarray) -> float:
    """Total information of a ``(L, 4)`` probability matrix in bits (2 per fully
    determined position, 0 for a uniform one)."""
    ppm = np.clip(np.asarray(ppm, dtype=np.float64), 1e-12, 1.0)
    return float((2.0 + (ppm * np.log2(ppm)).sum(axis=1)).sum())


def tomtom_matches(queries: Sequence[np.ndarray], motifs: Sequence[Motif], top: int = 5,
                   min_information: float = 2.0):  # fmt: skip
    """The best matches of each query among ``motifs`` by TOMTOM (memelite), with
    Benjamini-Hochberg q-values over all targets of the query (MEME's tomtom reports the
    same kind of q-value).

    Parameters
    ----------
    queries
        ``(L, 4)`` probability matrices (A, C, G, T), e.g. :func:`contribution_ppm`.
    motifs
        The database (:func:`seqreg.sequence.load_jaspar_collection`); TOMTOM's background
        is built from the targets' columns, so pass a whole collection, not a handful.
    top
        Matches kept per query.
    min_information
        Queries with less information than this (bits, :func:`information_content`) get
        no rows: a near-uniform query (an element the prediction ignores) would otherwise
        match long, information-rich matrices such as CTCF's with tiny p-values.

    Returns
    -------
    pandas.DataFrame
        ``query`` (index into ``queries``), ``rank`` (1 = best), ``matrix_id``, ``name``,
        ``family``, ``p``, ``q``, ``offset``, ``overlap``, ``strand`` ('+' or '-'); sorted by
        query then rank; none for an uninformative query.

    Raises
    ------
    ValueError
        When there are no queries or no motifs, or a query is not ``(L, 4)``.
    """
    import pandas as pd
    from memelite import tomtom
    from statsmodels.stats.multitest import multipletests

    if not len(queries) or not len(motifs):
        raise ValueError("tomtom_matches needs at least one query and one motif")
    for i, query in enumerate(queries):
        if np.ndim(query) != 2 or np.shape(query)[1] != 4:
            raise ValueError(f"query {i} must be (length, 4), not {np.shape(query)}")
    informative = [i for i, q in enumerate(queries) if information_content(q) >= min_information]
    columns = [
        "query",
        "rank",
        "matrix_id",
        "name",
        "family",
        "p",
        "q",
        "offset",
        "overlap",
        "strand",
    ]
    if not informative:
        return pd.DataFrame(columns=columns)
    q_arrays = [
        np.ascontiguousarray(np.asarray(queries[i], dtype=np.float64).T) for i in informative
    ]
    t_arrays = [np.ascontiguousarray(m.probs.T.astype(np.float64)) for m in motifs]
    p, _, offsets, overlaps, strands = tomtom(q_arrays, t_arrays, n_jobs=1)
    p = np.clip(np.nan_to_num(np.asarray(p, dtype=np.float64), nan=1.0), 0.0, 1.0)
    rows = []
    for k, i in enumerate(informative):
        q = multipletests(p[k], method="fdr_bh")[1]
        for rank, j in enumerate(np.argsort(p[k], kind="stable")[:top], start=1):
            rows.append(
                {
                    "query": i,
                    "rank": rank,
                    "matrix_id": motifs[j].matrix_id,
                    "name": motifs[j].name,
                    "family": motifs[j].family,
                    "p": float(p[k, j]),
                    "q": float(q[j]),
                    "offset": int(offsets[k, j]),
                    "overlap": int(overlaps[k, j]),
                    "strand": "-" if strands[k, j] else "+",
                }
            )
    return pd.DataFrame(rows, columns=columns)


def same_factor_or_family(
    match_name: str, match_family: str, tf: str, motifs: Sequence[Motif]
) -> bool:
    """Whether a match names ``tf`` itself (case-insensitive, JASPAR dimers such as
    ``FOS::JUN`` counted by either part) or a factor of ``tf``'s JASPAR family.

    The families of ``tf`` are read from ``motifs`` (every matrix named ``tf``).
    """
    tf = tf.upper()
    if tf in match_name.upper().split("::"):
        return True
    families = {m.family for m in motifs if m.name.upper() == tf and m.family}
    return bool(match_family) and match_family in families
