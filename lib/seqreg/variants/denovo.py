"""De novo variants of quartet families (cross-species Basenji2, Kelley 2020, Fig 5c): a
per-family risk score from a model's predicted effects, and whether probands' scores are
more damaging than their unaffected siblings'. Used by notebook 10.
"""

from __future__ import annotations

import numpy as np


def family_risk_scores(scores: np.ndarray, families, is_case):
    """Per family, the sum of the negative predicted effects of the proband's de novo
    variants and of the sibling's (a child with no de novo variant scores 0).

    Parameters
    ----------
    scores
        ``(n,)`` one dataset's predicted effect per de novo variant (e.g. SAD).
    families
        ``(n,)`` family ids (An et al. 2018 ``Fam``).
    is_case
        ``(n,)`` bool, the proband's variants (``Pheno == "case"``).

    Returns
    -------
    pandas.DataFrame
        Index ``family``; columns ``proband`` and ``sibling`` (sums of ``min(score, 0)``,
        <= 0), ``proband_variants``, ``sibling_variants``.
    """
    import pandas as pd

    frame = pd.DataFrame(
        {
            "family": np.asarray(families).astype(str),
            "child": np.where(np.asarray(is_case, dtype=bool), "proband", "sibling"),
            "negative": np.minimum(np.asarray(scores, dtype=np.float64), 0.0),
        }
    )
    sums = frame.pivot_table(
        index="family", columns="child", values="negative", aggfunc="sum", fill_value=0.0
    )
    counts = frame.pivot_table(
        index="family", columns="child", values="negative", aggfunc="size", fill_value=0
    )
    out = pd.DataFrame(index=sums.index)
    for child in ("proband", "sibling"):
        out[child] = sums.get(child, 0.0)
        out[f"{child}_variants"] = counts[child].astype(int) if child in counts else 0
    out.index.name = "family"
    return out


def risk_score_test(risk) -> dict[str, float]:
    """Share of families whose proband's risk score is more damaging (more negative) than
    the sibling's, with a one-sided exact binomial test against one half (scipy); families
    whose two scores are equal (e.g. neither child has a scored variant) are left out.

    Parameters
    ----------
    risk : pandas.DataFrame
        :func:`family_risk_scores`' output.

    Returns
    -------
    dict
        ``families`` (compared), ``ties``, ``proband_more_damaging``, ``share``, ``p``.
    """
    from scipy.stats import binomtest

    proband = risk["proband"].to_numpy(dtype=np.float64)
    sibling = risk["sibling"].to_numpy(dtype=np.float64)
    tied = np.isclose(proband, sibling, rtol=0, atol=1e-12)
    worse = int((proband[~tied] < sibling[~tied]).sum())
    n = int((~tied).sum())
    p = float(binomtest(worse, n, 0.5, alternative="greater").pvalue) if n else float("nan")
    return {"families": n, "ties": int(tied.sum()), "proband_more_damaging": worse,
            "share": worse / n if n else float("nan"), "p": p}  # fmt: skip
