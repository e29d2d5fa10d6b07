"""Motifs from contribution scores: TF-MoDISco (Shrikumar et al. 2018, arXiv:1811.00416)
through modiscolite (the PyPI package ``modisco``), and TOMTOM names for its patterns.

TF-MoDISco cuts high-contribution windows ("seqlets") out of every sequence, clusters them
and aggregates each cluster into a pattern: a contribution-weighted matrix (CWM), the
seqlets' base frequencies (PPM) and the mean hypothetical contributions. Nair et al. 2019
(ChromDragoNN) Fig 2B runs it per cell type on gradient x input and names the patterns by
TOMTOM against JASPAR; notebook 12 does the same with :func:`run_modisco`,
:func:`match_patterns` (TOMTOM via :func:`seqreg.interpret.tomtom_matches`) and
:func:`save_patterns` / :func:`load_patterns` to resume finished cell types.

modiscolite 2.5 draws no number from NumPy's global generator: its null distribution,
subsamples and Leiden runs use fixed seeds (1234, and 100, 200, ... for the ``n_leiden_runs``
clusterings), so the same inputs and settings give the same patterns in every run and
there is no seed to set.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..sequence.motifs import Motif

if TYPE_CHECKING:
    import pandas as pd

#: columns of :attr:`Pattern.seqlets`
SEQLET_COLUMNS = ["example_idx", "start", "end", "is_revcomp"]
_FORMAT = "seqreg-modisco-patterns/1"


@dataclass(frozen=True, eq=False)
class Pattern:
    """One TF-MoDISco pattern (a cluster of aligned seqlets).

    Matrices are ``(width, 4)`` in A, C, G, T order and read along the pattern's own
    orientation; seqlets found on the reverse strand are reverse-complemented into it.
    """

    #: ``"pos_pattern_0"``, ``"neg_pattern_2"``...: sign, then rank by seqlet count
    name: str
    #: +1 for patterns of positive contribution (the sequence raises the output), -1 negative
    sign: int
    #: contribution-weighted matrix: mean over seqlets of one-hot x hypothetical
    #: contribution, in the units of the contributions (e.g. gradient x input)
    cwm: np.ndarray
    #: base frequencies of the seqlets' sequences; rows sum to 1
    ppm: np.ndarray
    #: mean hypothetical contributions (every base, not only the observed one)
    hypothetical_cwm: np.ndarray
    #: one row per seqlet, columns :data:`SEQLET_COLUMNS`: the sequence's index in the
    #: inputs, the 0-based half-open window ``[start, end)`` on the forward strand, and
    #: whether the seqlet enters the pattern reverse-complemented
    seqlets: pd.DataFrame

    @property
    def n_seqlets(self) -> int:
        """Number of seqlets aggregated into the pattern."""
        return len(self.seqlets)

    @property
    def width(self) -> int:
        """Pattern length in bases."""
        return int(self.cwm.shape[0])


def _check_inputs(one_hot, hypothetical, sliding_window_size: int, flank_size: int):
    one_hot = np.asarray(one_hot)
    hypothetical = np.asarray(hypothetical)
    if one_hot.ndim != 3 or one_hot.shape[2] != 4:
        raise ValueError(f"one_hot must be (sequences, length, 4), not {one_hot.shape}")
    if hypothetical.shape != one_hot.shape:
        raise ValueError(
            f"hypothetical contributions {hypothetical.shape} must have the shape of "
            f"one_hot {one_hot.shape}"
        )
    if sliding_window_size < 1 or flank_size < 1:
        # modiscolite masks the last ``flank_size`` windows with ``[:, -flank:]``, which
        # masks every window when the flank is 0
        raise ValueError(
            f"sliding_window_size ({sliding_window_size}) and flank_size ({flank_size}) "
            "must be at least 1"
        )
    if one_hot.shape[1] < sliding_window_size + 2 * flank_size:
        raise ValueError(
            f"sequences of {one_hot.shape[1]} bp are shorter than a seqlet "
            f"(sliding_window_size + 2 * flank_size = {sliding_window_size + 2 * flank_size})"
        )
    one_hot = np.ascontiguousarray(one_hot, dtype=np.float32)
    hypothetical = np.ascontiguousarray(hypothetical, dtype=np.float32)
    for label, array in (("one_hot", one_hot), ("hypothetical", hypothetical)):
        if not np.isfinite(array).all():
            raise ValueError(f"{label} has non-finite values (NaN or inf)")
    return one_hot, hypothetical


def _seqlet_threshold_fails(contributions: np.ndarray, window: int, flank: int,
                            fdr: float) -> str | None:  # fmt: skip
    """Why modiscolite cannot set its seqlet thresholds on these contributions, or None.

    Runs modiscolite's own seqlet extraction (a fraction of a second per 1000 sequences,
    against minutes of clustering): with no contribution, contributions of one sign, or
    mostly exact zeros its Laplace null or isotonic fit is empty and it raises IndexError,
    ValueError or ZeroDivisionError from deep inside.
    """
    from modiscolite.extract_seqlets import extract_seqlets

    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore", RuntimeWarning)
            extract_seqlets(
                attribution_scores=contributions.sum(axis=2),
                window_size=window,
                flank=flank,
                suppress=int(0.5 * window) + flank,
                target_fdr=fdr,
                min_passing_windows_frac=0.03,
                max_passing_windows_frac=0.2,
                weak_threshold_for_counting_sign=0.8,
            )
    except (IndexError, ValueError, ZeroDivisionError, FloatingPointError) as error:
        return f"{type(error).__name__}: {error}"
    return None


def _pattern(seqlet_set, name: str, sign: int) -> Pattern:
    import pandas as pd

    sequence = np.asarray(seqlet_set.sequence, dtype=np.float64)
    totals = sequence.sum(axis=1, keepdims=True)
    ppm = np.where(totals > 0, sequence / np.where(totals > 0, totals, 1.0), 0.25)
    seqlets = pd.DataFrame(
        {
            "example_idx": np.array([s.example_idx for s in seqlet_set.seqlets], dtype=np.int64),
            "start": np.array([s.start for s in seqlet_set.seqlets], dtype=np.int64),
            "end": np.array([s.end for s in seqlet_set.seqlets], dtype=np.int64),
            "is_revcomp": np.array([bool(s.is_revcomp) for s in seqlet_set.seqlets], dtype=bool),
        },
        columns=SEQLET_COLUMNS,
    )
    return Pattern(
        name=name,
        sign=sign,
        cwm=np.asarray(seqlet_set.contrib_scores, dtype=np.float64),
        ppm=ppm,
        hypothetical_cwm=np.asarray(seqlet_set.hypothetical_contribs, dtype=np.float64),
        seqlets=seqlets,
    )


def run_modisco(
    one_hot: np.ndarray,
    hypothetical: np.ndarray,
    *,
    max_seqlets: int = 2000,
    sliding_window_size: int = 21,
    flank_size: int = 10,
    target_seqlet_fdr: float = 0.2,
    n_leiden_runs: int = 2,
    min_metacluster_size: int = 100,
    final_min_cluster_size: int = 20,
    trim_to_window_size: int = 30,
    n_neighbors: int = 500,
    verbose: bool = False,
) -> list[Pattern]:
    """TF-MoDISco patterns of positive and negative contribution.

    Calls ``modiscolite.tfmodisco.TFMoDISco``, which takes the contributions as
    ``one_hot * hypothetical`` (for gradient x input, pass the gradient as
    ``hypothetical``). The result is reproducible: modiscolite seeds everything itself.

    Parameters
    ----------
    one_hot
        ``(N, L, 4)`` one-hot sequences (A, C, G, T); an all-zero row is an N.
    hypothetical
        ``(N, L, 4)`` hypothetical contributions of every base at every position, in any
        units (e.g. the gradient of a logit, or DeepLIFT/SHAP hypothetical scores).
    max_seqlets
        Most seqlets clustered per sign (modiscolite's ``max_seqlets_per_metacluster``);
        the strongest are kept. Run time grows with about ``seqlets * min(n_neighbors,
        seqlets)`` plus an all-pairs gapped k-mer similarity.
    sliding_window_size, flank_size
        Seqlet core and the flank added on each side, in bases; a seqlet spans
        ``sliding_window_size + 2 * flank_size`` bases.
    target_seqlet_fdr
        False discovery rate of the seqlet threshold against modiscolite's Laplace null.
    n_leiden_runs
        Leiden clusterings per step (seeds 100, 200, ...); the best by modularity is kept.
        modiscolite's own default is 50, its command line's 2.
    min_metacluster_size
        A sign with this many seqlets or fewer is not clustered (no patterns of that sign).
    final_min_cluster_size
        Patterns supported by fewer seqlets are dropped.
    trim_to_window_size
        Width the patterns are trimmed to while clustering, in bases.
    n_neighbors
        Nearest neighbours by coarse (gapped k-mer) similarity for which each seqlet's
        fine similarity is computed (modiscolite's ``nearest_neighbors_to_compute``); the
        fine similarities dominate the run time, which is about proportional to
        ``min(n_neighbors, seqlets) * seqlets``.
    verbose
        Let modiscolite print its progress.

    Returns
    -------
    list of Pattern
        Positive patterns, then negative ones, each by decreasing seqlet count. Empty when
        no sign has more than ``min_metacluster_size`` seqlets or no cluster keeps
        ``final_min_cluster_size``; empty too, with a RuntimeWarning rather than an error,
        when modiscolite cannot set its seqlet threshold (contributions all zero, of one
        sign only, or mostly exact zeros).

    Raises
    ------
    ValueError
        When ``one_hot`` is not ``(N, L, 4)``, ``hypothetical`` differs in shape, either
        has NaN or inf, the sequences are shorter than one seqlet, or the flank or window
        is below 1 base.

    References
    ----------
    Shrikumar et al. 2018, TF-MoDISco v0.5.6.5, arXiv:1811.00416; Nair et al. 2019,
    Bioinformatics 35:i108 (ChromDragoNN), Fig 2B.
    """
    from modiscolite.tfmodisco import TFMoDISco

    one_hot, hypothetical = _check_inputs(one_hot, hypothetical, sliding_window_size, flank_size)
    failure = _seqlet_threshold_fails(
        one_hot * hypothetical, sliding_window_size, flank_size, target_seqlet_fdr
    )
    if failure is not None:
        warnings.warn(
            "TF-MoDISco cannot set a seqlet threshold on these contributions (all zero, "
            f"of one sign, or mostly exact zeros: {failure}); no patterns",
            RuntimeWarning,
            stacklevel=2,
        )
        return []
    pos, neg = TFMoDISco(
        one_hot=one_hot,
        hypothetical_contribs=hypothetical,
        sliding_window_size=sliding_window_size,
        flank_size=flank_size,
        target_seqlet_fdr=target_seqlet_fdr,
        max_seqlets_per_metacluster=max_seqlets,
        n_leiden_runs=n_leiden_runs,
        min_metacluster_size=min_metacluster_size,
        final_min_cluster_size=final_min_cluster_size,
        trim_to_window_size=trim_to_window_size,
        nearest_neighbors_to_compute=n_neighbors,
        verbose=verbose,
    )
    patterns = []
    for prefix, sign, found in (("pos", 1, pos), ("neg", -1, neg)):
        for i, seqlet_set in enumerate(found or []):
            if seqlet_set is not None and len(seqlet_set.seqlets):
                patterns.append(_pattern(seqlet_set, f"{prefix}_pattern_{i}", sign))
    return patterns


def trim_bounds(cwm: np.ndarray, threshold: float = 0.3) -> tuple[int, int]:
    """``[start, end)`` of the span from the first to the last position whose summed
    ``|cwm|`` is at least ``threshold`` times the largest (the trimming of modiscolite's
    reports); ``(0, 0)`` for an all-zero matrix."""
    score = np.abs(np.asarray(cwm, dtype=np.float64)).sum(axis=1)
    if not score.size or score.max() <= 0:
        return 0, 0
    passing = np.flatnonzero(score >= threshold * score.max())
    return int(passing[0]), int(passing[-1]) + 1


def trim_pattern(pattern: Pattern, threshold: float = 0.3) -> Pattern:
    """The pattern cut to its core, without flanks.

    Keeps the span from the first to the last position whose summed ``|cwm|`` reaches
    ``threshold`` times the largest position's, as modiscolite's reports trim their logos
    and TOMTOM queries. The seqlet table is kept as it is (it still gives the untrimmed
    windows).

    Parameters
    ----------
    pattern
        From :func:`run_modisco`.
    threshold
        Fraction of the strongest position, in ``[0, 1]``.

    Raises
    ------
    ValueError
        When ``threshold`` is outside ``[0, 1]`` or the CWM is all zero.
    """
    if not 0.0 <= threshold <= 1.0:
        raise ValueError(f"threshold must be in [0, 1], not {threshold}")
    start, end = trim_bounds(pattern.cwm, threshold)
    if end <= start:
        raise ValueError(f"{pattern.name} has an all-zero CWM; nothing to trim to")
    return Pattern(
        name=pattern.name,
        sign=pattern.sign,
        cwm=pattern.cwm[start:end],
        ppm=pattern.ppm[start:end],
        hypothetical_cwm=pattern.hypothetical_cwm[start:end],
        seqlets=pattern.seqlets,
    )


def match_patterns(
    patterns: Sequence[Pattern],
    motifs: Sequence[Motif],
    q_threshold: float | None = 0.05,
    top: int = 3,
    trim_threshold: float = 0.3,
    min_information: float = 2.0,
):
    """TOMTOM matches of each pattern's trimmed PPM among ``motifs``.

    Each pattern is trimmed (:func:`trim_pattern`) and its sequence PPM compared with every
    motif by :func:`seqreg.interpret.tomtom_matches` (memelite); q-values are
    Benjamini-Hochberg over all motifs for the pattern, so pass a whole collection
    (:func:`seqreg.sequence.load_jaspar_collection`), not a shortlist.

    Parameters
    ----------
    patterns
        From :func:`run_modisco` (untrimmed; trimmed here).
    motifs
        The motif database.
    q_threshold
        Matches with a larger q-value are dropped; ``None`` keeps the ``top`` regardless.
    top
        Matches kept per pattern, best first.
    trim_threshold
        Passed to :func:`trim_pattern`.
    min_information
        Patterns whose trimmed PPM holds fewer bits get no matches (see
        :func:`seqreg.interpret.tomtom_matches`).

    Returns
    -------
    pandas.DataFrame
        ``pattern`` (name), ``sign``, ``n_seqlets``, ``rank`` (1 = best), ``matrix_id``,
        ``name`` (TF), ``family``, ``p``, ``q``, ``offset``, ``overlap``, ``strand``;
        patterns in the given order, each with its matches by rank. A pattern without a
        match passing ``q_threshold`` has no rows.

    Raises
    ------
    ValueError
        When ``motifs`` is empty.
    """
    import pandas as pd

    from .tomtom import tomtom_matches

    columns = ["pattern", "sign", "n_seqlets", "rank", "matrix_id", "name", "family",
               "p", "q", "offset", "overlap", "strand"]  # fmt: skip
    if not len(motifs):
        raise ValueError("match_patterns needs at least one motif")
    usable = [p for p in patterns if trim_bounds(p.cwm)[1] > 0]
    if not usable:
        return pd.DataFrame(columns=columns)
    queries = [trim_pattern(p, trim_threshold).ppm for p in usable]
    matches = tomtom_matches(queries, motifs, top=top, min_information=min_information)
    if q_threshold is not None:
        matches = matches[matches["q"] <= q_threshold]
    matches = matches.assign(
        pattern=[usable[i].name for i in matches["query"]],
        sign=[usable[i].sign for i in matches["query"]],
        n_seqlets=[usable[i].n_seqlets for i in matches["query"]],
    )
    return matches[columns].reset_index(drop=True)


def save_patterns(path: str | Path, patterns: Sequence[Pattern]) -> Path:
    """Write patterns to one ``.npz`` file, atomically (an empty list too, so a finished
    run with no patterns is recorded).

    Raises
    ------
    ValueError
        When two patterns share a name.
    """
    from ..project.files import atomic_path

    names = [p.name for p in patterns]
    if len(set(names)) != len(names):
        raise ValueError(f"pattern names must be unique, got {names}")
    arrays: dict[str, np.ndarray] = {}
    for i, p in enumerate(patterns):
        arrays[f"cwm_{i}"] = np.asarray(p.cwm, dtype=np.float64)
        arrays[f"ppm_{i}"] = np.asarray(p.ppm, dtype=np.float64)
        arrays[f"hypothetical_cwm_{i}"] = np.asarray(p.hypothetical_cwm, dtype=np.float64)
        arrays[f"seqlets_{i}"] = p.seqlets[SEQLET_COLUMNS].to_numpy(dtype=np.int64)
    meta = {
        "format": _FORMAT,
        "patterns": [{"name": p.name, "sign": int(p.sign)} for p in patterns],
    }
    arrays["meta"] = np.array(json.dumps(meta))
    with atomic_path(path) as tmp, open(tmp, "wb") as handle:
        np.savez_compressed(handle, **arrays)
    return Path(path)


def load_patterns(path: str | Path) -> list[Pattern]:
    """Read the patterns :func:`save_patterns` wrote.

    Raises
    ------
    ValueError
        When the file is not a pattern file of this format.
    """
    import pandas as pd

    with np.load(path, allow_pickle=False) as data:
        if "meta" not in data.files:
            raise ValueError(f"{path} is not a pattern file (no metadata)")
        meta = json.loads(str(data["meta"]))
        if meta.get("format") != _FORMAT:
            raise ValueError(f"{path} has format {meta.get('format')!r}, expected {_FORMAT!r}")
        patterns = []
        for i, entry in enumerate(meta["patterns"]):
            table = data[f"seqlets_{i}"].reshape(-1, len(SEQLET_COLUMNS))
            seqlets = pd.DataFrame(table, columns=SEQLET_COLUMNS)
            seqlets["is_revcomp"] = seqlets["is_revcomp"].astype(bool)
            patterns.append(
                Pattern(
                    name=entry["name"],
                    sign=int(entry["sign"]),
                    cwm=data[f"cwm_{i}"],
                    ppm=data[f"ppm_{i}"],
                    hypothetical_cwm=data[f"hypothetical_cwm_{i}"],
                    seqlets=seqlets,
                )
            )
    return patterns


def motif_activity(matches: pd.DataFrame, cell_types: Sequence[str],
                   q_threshold: float = 0.05, sign: int = 1) -> pd.DataFrame:  # fmt: skip
    """Binary motif activity across cell types (Nair et al. 2019, Fig. 3A).

    A JASPAR motif is active in a cell type when one of the cell type's TF-MoDISco patterns
    of the given ``sign`` matches it at ``q <= q_threshold`` (any of the matches
    :func:`match_patterns` kept per pattern, so paralogs whose matrices the same pattern
    matches are active together).

    Parameters
    ----------
    matches
        :func:`match_patterns` tables of several cell types, concatenated, with a
        ``cell_type`` column.
    cell_types
        The cell types analysed (columns of the result, in this order; a cell type without
        matches is all zero).

    Returns
    -------
    pandas.DataFrame
        Motif name (JASPAR's TF name, index ``motif``) x cell type, 0/1 integers; motifs
        in name order. Empty (no rows) when nothing matches.

    Raises
    ------
    ValueError
        When ``matches`` lacks a column it needs.
    """
    import pandas as pd

    columns = pd.Index(list(cell_types), name="cell_type")
    need = {"cell_type", "name", "q", "sign"}
    if len(matches.columns) and not need <= set(matches.columns):
        raise ValueError(f"matches lack columns {sorted(need - set(matches.columns))}")
    if not len(matches):
        return pd.DataFrame(index=pd.Index([], name="motif"), columns=columns, dtype=int)
    kept = matches[(matches["q"] <= q_threshold) & (matches["sign"] == sign)]
    table = pd.crosstab(kept["name"], kept["cell_type"]).clip(upper=1)
    table = table.reindex(columns=columns, fill_value=0).sort_index()
    table.index.name = "motif"
    return table.astype(int)


def motif_binding_tfs(motif: str, genes: Sequence[str]) -> list[str]:
    """The TFs of ``genes`` that bind a JASPAR motif: its name, heterodimers (``FOS::JUN``)
    split into both partners, matched case-insensitively (JASPAR's mouse matrices are in
    lower case). Returns the names as ``genes`` spells them."""
    by_upper = {str(g).upper(): g for g in genes}
    partners = [part.strip().upper() for part in str(motif).split("::")]
    return [by_upper[p] for p in partners if p in by_upper]


def motif_regulators(activity: pd.DataFrame, expression: pd.DataFrame,
                     binding: dict[str, Sequence[str]] | None = None) -> pd.DataFrame:  # fmt: skip
    """Pearson correlation of each motif's activity with the expression of the TFs that
    bind it, across cell types (Nair et al. 2019, Fig. 3A: trans-regulators of motifs).

    Motifs active in every analysed cell type or in none are left out (no variation).
    p-values are two-sided (Student's t with n - 2 degrees of freedom), q-values
    Benjamini-Hochberg over every pair tested, so asking about more TFs per motif costs
    significance.

    Parameters
    ----------
    activity
        Motif x cell type 0/1 (:func:`motif_activity`).
    expression
        Cell type x TF expression (e.g. arcsinh TPM); must hold every cell type of
        ``activity``.
    binding
        Motif -> the TFs to correlate with it. Default: the TFs that bind the motif
        (:func:`motif_binding_tfs`); pass every TF to each motif for the unrestricted scan.

    Returns
    -------
    pandas.DataFrame
        ``motif``, ``tf``, ``r``, ``p``, ``q``, ``n_active`` (cell types where the motif is
        active), ``n_cell_types``; sorted by ``r``, largest first. TFs whose expression does
        not vary across the cell types are left out.

    Raises
    ------
    ValueError
        When ``expression`` lacks cell types of ``activity``.
    """
    import pandas as pd
    from scipy import stats as st

    from ..stats import bh_fdr

    columns = ["motif", "tf", "r", "p", "q", "n_active", "n_cell_types"]
    missing = [c for c in activity.columns if c not in expression.index]
    if missing:
        raise ValueError(f"expression has no row for cell types {missing}")
    expr = expression.loc[list(activity.columns)].astype(float)
    n = expr.shape[0]
    centred = expr - expr.mean()
    norms = np.sqrt((centred**2).sum())
    rows = []
    for motif, values in activity.iterrows():
        a = values.to_numpy(float)
        if n < 3 or a.min() == a.max():
            continue
        tfs = (
            list(binding[motif]) if binding is not None else motif_binding_tfs(motif, expr.columns)
        )
        tfs = [tf for tf in dict.fromkeys(tfs) if tf in expr.columns and norms[tf] > 0]
        if not tfs:
            continue
        da = a - a.mean()
        r = (centred[tfs].mul(da, axis=0)).sum() / (norms[tfs] * np.sqrt((da**2).sum()))
        r = r.clip(-1.0, 1.0)
        t = r * np.sqrt((n - 2) / np.maximum(1.0 - r**2, 1e-12))
        p = pd.Series(2.0 * st.t.sf(np.abs(t.to_numpy()), n - 2), index=t.index)
        for tf in tfs:
            rows.append((motif, tf, float(r[tf]), float(p[tf]), int(a.sum()), n))
    if not rows:
        return pd.DataFrame(columns=columns)
    table = pd.DataFrame(rows, columns=["motif", "tf", "r", "p", "n_active", "n_cell_types"])
    table["q"] = bh_fdr(table["p"].to_numpy())
    return table[columns].sort_values("r", ascending=False, kind="stable").reset_index(drop=True)
