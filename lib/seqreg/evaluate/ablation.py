"""The receptive-field ablation of Basenji 2018 (Supp. Fig. S4): the same architecture
trained with fewer densely connected dilated layers sees less sequence, and its CAGE
accuracy shows how much distal sequence the model uses."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from ..project.manifest import Track


def receptive_field_ablation(store: str | Path, run_root: str | Path, scale: str,
                             dilated_layers: Iterable[int], config, test_onehot: np.ndarray,
                             test_targets: np.ndarray, tracks: Sequence[Track], genome: str,
                             swap: np.ndarray | None = None, assay: str = "CAGE"):  # fmt: skip
    """Train Basenji 2018 with each number of dilated layers and score it on test windows.

    Parameters
    ----------
    store
        Training store (:func:`seqreg.data.build_store`).
    run_root
        Folder for the runs, one ``rf_ablation_<layers>`` each (a rerun resumes or skips
        finished runs; changed settings restart them).
    scale
        Scale of the spec (:func:`seqreg.models.basenji2018_spec`).
    dilated_layers
        Numbers of dilated layers to train, e.g. ``(0, 2, 4, 6)``.
    config
        :class:`seqreg.train.TrainConfig` for every run.
    test_onehot, test_targets
        ``(W, seq_length, 4)`` test windows and their ``(W, bins, tracks)`` targets.
    tracks
        The store's tracks; ``genome`` names the head.
    swap
        Strand swap order for reverse-complement averaging
        (:func:`seqreg.data.strand_swap_order`).
    assay
        The assay whose mean Pearson r is reported beside all tracks' (the paper: CAGE).

    Returns
    -------
    pandas.DataFrame
        One row per run: ``dilated_layers``, ``receptive_field_bp``,
        ``<assay>_pearson_r`` (as ``cage_pearson_r`` for CAGE), ``all_tracks_pearson_r``,
        ``epochs``.

    Raises
    ------
    ValueError
        When no track is of ``assay``.
    """
    import pandas as pd

    from ..models import basenji2018_spec, receptive_field
    from ..predict import predict
    from ..project.progress import progress_bar as tqdm
    from ..train import fit
    from .tracks import track_accuracy

    chosen = [i for i, t in enumerate(tracks) if t.assay == assay]
    if not chosen:
        raise ValueError(f"no {assay} track among the {len(tracks)} tracks")
    rows = []
    for layers in tqdm(list(dilated_layers), desc="receptive-field ablation", unit="model"):
        spec = basenji2018_spec(scale, {genome: len(tracks)}, dilated_layers=layers)
        spec["name"] = f"basenji2018_{scale}_dilated{layers}"
        model, state = fit(spec, store, Path(run_root) / f"rf_ablation_{layers}", config,
                           progress=False, on_change="restart")  # fmt: skip
        predicted = predict(model, test_onehot, swap, reverse_complement=True)
        scores = track_accuracy(predicted, test_targets, tracks)
        rows.append({
            "dilated_layers": int(layers),
            "receptive_field_bp": receptive_field(spec),
            f"{assay.lower()}_pearson_r": float(scores.iloc[chosen]["pearson_r"].mean()),
            "all_tracks_pearson_r": float(scores["pearson_r"].mean()),
            "epochs": state["epoch"],
        })  # fmt: skip
    return pd.DataFrame(rows)
