"""Synthetic-only checks of variant scores against the planted effects (notebook 06;
later 07, 09 and 10): do the scores rank the planted causal variant-gene pairs first, and
does the model lower accessibility when a variant breaks a planted binding site?"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..project.manifest import Track


def planted_log2fc(effects, tissue: str, variant_ids, gene_ids) -> np.ndarray:
    """Planted log2 fold change of each (variant, gene) pair in ``tissue`` (0 when none).

    Parameters
    ----------
    effects
        The truth table ``truth/eqtl_effects.tsv`` (``tissue``, ``variant_id`` as GTEx ids,
        ``gene_id``, ``log2_fold_change``).
    variant_ids, gene_ids
        ``(pairs,)`` GTEx ids (:func:`seqreg.io.gtex_variant_ids`) and genes.

    Returns
    -------
    numpy.ndarray
        ``(pairs,)`` float64.
    """
    planted = effects[effects["tissue"] == tissue].set_index(["variant_id", "gene_id"])[
        "log2_fold_change"
    ]
    keys = list(zip(variant_ids, gene_ids, strict=True))
    return planted.reindex(keys).fillna(0).to_numpy(dtype=float)


def causal_pair_recovery(predicted: np.ndarray, log2fc: np.ndarray, near_tss: np.ndarray,
                         causal_log2fc: float) -> dict | None:  # fmt: skip
    """How well ``|predicted|`` ranks the causal pairs (``|log2fc| >= causal_log2fc``) first.

    Parameters
    ----------
    predicted
        ``(pairs,)`` scores (e.g. strand-matched SED).
    log2fc
        ``(pairs,)`` planted effects (:func:`planted_log2fc`).
    near_tss
        ``(pairs,)`` bool, pairs whose variant lies close to the gene's TSS: there a score
        must tell the variants that matter from their neighbours, not only point at the
        promoter.
    causal_log2fc
        Smallest planted |log2 fold change| that makes a pair causal.

    Returns
    -------
    dict or None
        ``causal_pairs``, ``scored_pairs``, ``auroc_abs_score``, ``auroc_within_500bp`` (NaN
        when the near pairs are all or none causal), ``causal_median_percentile`` and
        ``sign_agreement``; None when all or no pairs are causal.
    """
    import pandas as pd
    from sklearn.metrics import roc_auc_score

    predicted, log2fc, near_tss = (np.asarray(a) for a in (predicted, log2fc, near_tss))
    causal = np.abs(log2fc) >= causal_log2fc
    if not causal.any() or causal.all():
        return None
    near_ok = 0 < causal[near_tss].sum() < near_tss.sum()
    percentile = pd.Series(np.abs(predicted)).rank(pct=True).to_numpy()[causal]
    return {
        "causal_pairs": int(causal.sum()),
        "scored_pairs": len(causal),
        "auroc_abs_score": roc_auc_score(causal, np.abs(predicted)),
        "auroc_within_500bp": (
            roc_auc_score(causal[near_tss], np.abs(predicted[near_tss])) if near_ok else np.nan
        ),
        "causal_median_percentile": float(np.median(percentile)),
        "sign_agreement": float(np.mean(np.sign(predicted[causal]) == np.sign(log2fc[causal]))),
    }


def planted_site_response(site_scores, planted_sites, elements, activity,
                          tracks: Sequence[Track], assay: str = "DNase"):  # fmt: skip
    """Predicted accessibility change at variants in planted binding sites, per TF.

    A variant that breaks a site of an active element should lower the predicted signal of
    that element's cell types; the share of negative SADs per TF says which motifs the
    model has learned.

    Parameters
    ----------
    site_scores
        :class:`seqreg.variants.VariantScores` of the site variants (ids as in
        ``planted_sites``).
    planted_sites
        Truth table of site variants (``variant_id``, ``element_id``, ``tf``,
        ``delta_score``).
    elements, activity
        Truth tables: element kinds indexed by ``element_id``; activity per element (rows)
        and cell type (columns).
    tracks
        The model's tracks; the first ``assay`` track of each cell type is used.

    Returns
    -------
    pandas.DataFrame
        Per TF (index ``tf``): ``sites``, ``mean_delta_score``, ``mean_sad_<assay>``
        (lower case), ``fraction_negative``, sorted by ``sites``; empty when no site lies in an active
        element of a cell type with an ``assay`` track.
    """
    import pandas as pd

    row_of = pd.Series(range(len(site_scores.variants)), index=site_scores.variants["variant_id"])
    first: dict[str, int] = {}
    for index, track in enumerate(tracks):
        if track.assay == assay:
            first.setdefault(track.cell_type, index)
    rows = []
    for site in planted_sites.itertuples():
        active = [
            c for c in first if c in activity.columns and activity.at[site.element_id, c] > 0.5
        ]
        if active and site.variant_id in row_of.index:
            sad = site_scores.sad[row_of[site.variant_id], [first[c] for c in active]].mean()
            rows.append({"tf": site.tf, "kind": elements.at[site.element_id, "kind"],
                         "delta_score": site.delta_score, "sad": sad})  # fmt: skip
    mean_sad = f"mean_sad_{assay.lower()}"
    if not rows:
        return pd.DataFrame(columns=["sites", "mean_delta_score", mean_sad, "fraction_negative"])
    per_site = pd.DataFrame(rows)
    return (
        per_site.groupby("tf")
        .agg(
            sites=("sad", "size"),
            mean_delta_score=("delta_score", "mean"),
            **{mean_sad: ("sad", "mean")},
            fraction_negative=("sad", lambda x: float((x < 0).mean())),
        )
        .sort_values("sites", ascending=False)
    )
