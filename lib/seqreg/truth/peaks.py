"""Synthetic-only check of peak labels (:func:`seqreg.data.peak_labels`) against the planted
elements: how many called subsequences sit on an element active in the track's cell type
(precision) and how many such subsequences are called (recall). Never runs on real data.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..data.windows import _quiet_pandas_deprecations
from ..project.manifest import Track

#: activity (0..1) from which a planted element counts as active; see :func:`peak_recovery`
ACTIVE_THRESHOLD = 0.5


def _centre_activity(subsequences, elements, activity, cell_types: Sequence[str]) -> np.ndarray:
    """``(n_subsequences, n_cell_types)``: the highest activity of an element overlapping each
    subsequence's centre (0 where none does)."""
    import bioframe
    import pandas as pd

    centres = pd.DataFrame(
        {
            "chrom": np.asarray(subsequences["chrom"], dtype=object),
            "start": np.asarray(subsequences["centre_start"], dtype=np.int64),
            "end": np.asarray(subsequences["centre_end"], dtype=np.int64),
        }
    )
    spans = pd.DataFrame(
        {
            "chrom": np.asarray(elements["chrom"], dtype=object),
            "start": np.asarray(elements["start"], dtype=np.int64),
            "end": np.asarray(elements["end"], dtype=np.int64),
        }
    )
    with _quiet_pandas_deprecations():
        pairs = bioframe.overlap(centres, spans, how="inner", return_index=True, return_input=False)
    table = activity.set_index("element_id") if "element_id" in activity.columns else activity
    per_element = table.reindex(np.asarray(elements["element_id"]))[list(cell_types)]
    values = per_element.to_numpy(dtype=np.float64)
    out = np.zeros((len(centres), len(cell_types)))
    if len(pairs):
        rows = pairs["index"].to_numpy(dtype=np.int64)
        hits = np.nan_to_num(values[pairs["index_"].to_numpy(dtype=np.int64)], nan=0.0)
        np.maximum.at(out, rows, hits)
    return out


def peak_recovery(labels: np.ndarray, subsequences, tracks: Sequence[Track], elements, activity,
                  active_threshold: float = ACTIVE_THRESHOLD):  # fmt: skip
    """Precision and recall of peak labels against the planted active elements, per track.

    A subsequence is truly active in a cell type when its centre (``centre_start`` to
    ``centre_end``) overlaps a planted element whose activity in that cell type is at least
    ``active_threshold``.

    The default threshold, 0.5, splits the planted activity distribution where the
    synthetic grammar does. Activity is a logistic function of an element's TF drive
    (:mod:`seqreg.simulate.grammar`). On the demo data half of all (element, cell type)
    values sit at the baseline of undriven elements (about 0.02-0.06), a third at or above
    0.5 (CTCF sites about 0.65-0.7, driven promoters mostly 0.5-0.7, tissue enhancers
    0.85-1) and 17% on a shoulder of weakly driven promoters and enhancers (0.1-0.5), least
    dense at 0.3-0.4. 0.5 is the logistic midpoint (drive equal to the element's
    threshold), lies above that shoulder and below the CTCF and promoter modes, and is the
    rule the simulator itself uses to choose the elements it annotates as active
    (``activity > 0.5`` in :mod:`seqreg.simulate`). Accessibility grows with activity, so
    weakly driven elements are still called in part (30-70% of them on the demo data):
    against 0.5 they count as false positives. Pass ``active_threshold=0.1`` (just above
    the baseline) to ask whether any planted accessibility is recovered instead.

    Parameters
    ----------
    labels
        ``(n_subsequences, n_tracks)`` 0/1 peak calls (:func:`seqreg.data.peak_labels`).
    subsequences : pandas.DataFrame
        ``chrom``, ``centre_start``, ``centre_end`` per subsequence, in the rows of
        ``labels`` (:func:`seqreg.data.subsequence_table`).
    tracks
        The tracks of the columns of ``labels``; each track's ``cell_type`` must be a
        column of ``activity``.
    elements : pandas.DataFrame
        Planted elements: ``element_id``, ``chrom``, ``start``, ``end`` (the synthetic
        dataset's ``truth/elements.tsv``).
    activity : pandas.DataFrame
        ``element_id`` (column or index), then one column per cell type with the element's
        activity in 0..1 (``truth/element_activity.tsv``).
    active_threshold
        Activity from which an element counts as active.

    Returns
    -------
    pandas.DataFrame
        One row per track: ``track``, ``cell_type``, ``called`` and ``active`` (numbers of
        subsequences called and truly active), ``true_positives``, ``precision`` (share of
        called subsequences truly active; NaN when none is called) and ``recall`` (share of
        truly active subsequences called; NaN when none is active).

    Raises
    ------
    ValueError
        When ``labels`` is not ``(len(subsequences), len(tracks))``, or a track's cell type
        has no activity column.
    """
    import pandas as pd

    labels = np.asarray(labels)
    tracks = list(tracks)
    if labels.shape != (len(subsequences), len(tracks)):
        raise ValueError(
            f"labels are {labels.shape}, expected (subsequences, tracks) = "
            f"({len(subsequences)}, {len(tracks)})"
        )
    cell_types = list(dict.fromkeys(t.cell_type for t in tracks))
    missing = [c for c in cell_types if c not in activity.columns]
    if missing:
        raise ValueError(f"activity has no column for cell type(s) {missing}")
    active = _centre_activity(subsequences, elements, activity, cell_types) >= active_threshold
    rows = []
    for k, track in enumerate(tracks):
        called = labels[:, k].astype(bool)
        truth = active[:, cell_types.index(track.cell_type)]
        hits = int((called & truth).sum())
        rows.append(
            {
                "track": track.id,
                "cell_type": track.cell_type,
                "called": int(called.sum()),
                "active": int(truth.sum()),
                "true_positives": hits,
                "precision": hits / called.sum() if called.any() else np.nan,
                "recall": hits / truth.sum() if truth.any() else np.nan,
            }
        )
    return pd.DataFrame(rows)


def peak_recovery_by_cell_type(recovery):
    """:func:`peak_recovery` averaged over the tracks of each cell type.

    Parameters
    ----------
    recovery : pandas.DataFrame
        The per-track table of :func:`peak_recovery`.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``cell_type`` (in order of first appearance): ``tracks`` (their number)
        and the means over them of ``called``, ``active``, ``precision`` and ``recall``.
    """
    grouped = recovery.groupby("cell_type", sort=False)
    out = grouped[["called", "active", "precision", "recall"]].mean()
    out.insert(0, "tracks", grouped.size())
    return out
