"""A panel of many cell types in ChromDragoNN's layouts (Nair et al. 2019, Fig. 1).

ChromDragoNN predicts whether a 200-bp bin is accessible in a cell type it never saw from
the bin's sequence, the cell type's TF expression and the bin's mean accessibility across
the training cell types. The synthetic panel gives it the same inputs, generated from the
dataset's planted grammar (:mod:`seqreg.simulate.grammar`), so that what drives
accessibility is known:

- **Cell types**: ``n`` labelled cell types and ``m`` RNA-only ones (expression without
  labels, for imputation), cycling through the tissues of :data:`grammar.PROGRAMS` and named
  ``<tissue>_<k>``. Each draws its own TF activities: its tissue's program with one program
  TF weakened and the others varied (:func:`grammar.tf_activity`).
- **TF expression**: arcsinh(TPM), the unit of ChromDragoNN's ``rna_quants_1630tf``, of the
  planted TFs (TPM a noisy monotone function of activity) and of many decoy TFs whose
  expression varies between cell types independently of tissue and of accessibility. Decoys
  carry the names of real JASPAR 2024 TFs that were not planted, paralogs of the planted
  TFs first (:func:`decoy_names`): their matrices match the planted motifs, so a motif's
  binding TFs include decoys, as a real motif's family does, and only expression can tell
  the planted TF from its paralogs (Fig. 3A).
- **Reproducible peaks**: an element's activity (the planted logistic of its binding sites'
  drive) becomes a latent ``logit(activity) + N(0, 0.4)`` per cell type; each of two
  replicates calls a peak where the latent plus its own ``N(0, 0.4)`` noise is positive,
  and peaks called in both replicates are kept (reproducible). A peak spans its element
  widened by 0-100 bp on each side. A few reproducible peaks per cell type fall outside
  any element (2% of its element peaks), as sequence-independent noise.
- **Labels**: 200-bp bins every 50 bp, positive when more than half of the bin overlaps a
  reproducible peak (:func:`seqreg.data.chromdragonn.labels_from_peaks`); bins whose
  1-kb input window leaves the chromosome or touches an N are left out.

The panel draws from its own random generator (seed, scale, ``"cell_type_panel"``), so the
rest of the dataset does not change when the panel's size does.
"""

from __future__ import annotations

import functools
import zlib
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import grammar

#: generator tag of the panel (see :func:`panel_generator`)
PANEL_TAG = "cell_type_panel"
#: bins, stride and input window of ChromDragoNN (200-bp bins every 50 bp, 1-kb input)
BIN_BP, STRIDE_BP, INPUT_BP = 200, 50, 1000
#: latent noise shared by a cell type's replicates, and each replicate's own
BIOLOGICAL_SD, REPLICATE_SD = 0.4, 0.4
#: reproducible peaks outside elements, as a share of a cell type's element peaks
NOISE_PEAK_SHARE = 0.02


@dataclass
class Panel:
    """The generated panel.

    Attributes
    ----------
    cell_types
        ``cell_type``, ``tissue``, ``labelled`` (False: RNA-only).
    tf_activity
        TF x cell type planted activity in [0, 1] (the planted TFs only).
    expression
        TF x cell type arcsinh(TPM), planted TFs then decoys (:func:`decoy_names`).
    element_activity
        element x labelled cell type activity in [0, 1].
    peaks
        One row per reproducible peak: ``chrom``, ``start``, ``end``, ``cell_type``,
        ``element_id`` (empty for noise peaks).
    """

    cell_types: pd.DataFrame
    tf_activity: pd.DataFrame
    expression: pd.DataFrame
    element_activity: pd.DataFrame
    peaks: pd.DataFrame


def panel_generator(seed: int, scale_index: int) -> np.random.Generator:
    """The panel's own random generator."""
    return np.random.default_rng([int(seed), int(scale_index), zlib.crc32(PANEL_TAG.encode())])


def panel_cell_types(n_labelled: int, n_rna_only: int) -> pd.DataFrame:
    """``cell_type``, ``tissue``, ``labelled``: tissues cycle through the programs."""
    tissues = list(grammar.PROGRAMS)
    counts = dict.fromkeys(tissues, 0)
    rows = []
    for i in range(int(n_labelled) + int(n_rna_only)):
        tissue = tissues[i % len(tissues)]
        counts[tissue] += 1
        rows.append((f"{tissue}_{counts[tissue]:02d}", tissue, i < n_labelled))
    return pd.DataFrame(rows, columns=["cell_type", "tissue", "labelled"])


def decoy_names(n_decoys: int, release: str = "JASPAR2024") -> list[str]:
    """Names for ``n_decoys`` decoy TFs: real JASPAR TFs that the grammar did not plant.

    First the paralogs of the planted TFs (JASPAR CORE vertebrate TFs of a planted TF's
    family), dealt out family by family so that every planted family gets decoys; then the
    other JASPAR TFs in name order; past those, ``TFDECOY####``. Heterodimers (``A::B``),
    fusions and the TATA-box TBP are left out. Deterministic (no random draw), so the
    expression values do not depend on the names.

    Raises
    ------
    ValueError
        When ``n_decoys`` is negative.
    """
    if n_decoys < 0:
        raise ValueError(f"n_decoys must be at least 0, not {n_decoys}")
    return list(_decoy_order(release)[:n_decoys]) + [
        f"TFDECOY{i:04d}" for i in range(1, max(0, n_decoys - len(_decoy_order(release))) + 1)
    ]


@functools.lru_cache(maxsize=4)
def _decoy_order(release: str) -> tuple[str, ...]:
    """Unplanted JASPAR TF names, paralogs of the planted TFs first (see :func:`decoy_names`)."""
    from ..sequence.motifs import load_jaspar_collection

    planted = set(grammar.MOTIF_IDS) | {grammar.CORE_PROMOTER_MOTIF[0]}
    families: dict[str, set[str]] = {}
    for motif in load_jaspar_collection(release):
        if "::" in motif.name or "-" in motif.name:
            continue
        parts = {f.strip() for f in motif.family.split(";") if f.strip()}
        families.setdefault(motif.name, set()).update(parts)
    free = sorted(name for name in families if name not in planted)
    queues = []
    for tf in grammar.MOTIF_IDS:  # the planted TFs' families, in the grammar's order
        for family in sorted(families.get(tf, ())):
            queues.append([name for name in free if family in families[name]])
    order: list[str] = []
    taken: set[str] = set()
    while any(queues):
        for queue in queues:
            while queue and queue[0] in taken:
                queue.pop(0)
            if queue:
                order.append(queue.pop(0))
                taken.add(order[-1])
    order += [name for name in free if name not in taken]
    return tuple(order)


def panel_expression(tf_act: pd.DataFrame, n_decoys: int, rng: np.random.Generator) -> pd.DataFrame:
    """arcsinh(TPM) of the planted TFs and ``n_decoys`` decoys (rows) per cell type.

    Planted TFs: ``log2(TPM + 1) = 1 + 7 * activity + N(0, 0.4)``; decoys
    (:func:`decoy_names`): ``log2(TPM + 1) ~ Gamma(2, 1.5)`` drawn per cell type, unrelated
    to tissue and to accessibility.
    """
    log2_planted = 1.0 + 7.0 * tf_act.to_numpy() + rng.normal(0.0, 0.4, size=tf_act.shape)
    log2_decoys = rng.gamma(2.0, 1.5, size=(int(n_decoys), tf_act.shape[1]))
    log2_tpm = np.clip(np.vstack([log2_planted, log2_decoys]), 0.0, None)
    names = list(tf_act.index) + decoy_names(int(n_decoys))
    table = pd.DataFrame(np.arcsinh(2.0**log2_tpm - 1.0), index=names, columns=tf_act.columns)
    table.index.name = "tf"
    return table


def simulate_panel(elements: pd.DataFrame, sites: pd.DataFrame, params: grammar.GrammarParams,
                   sizes: dict[str, int], n_labelled: int, n_rna_only: int, n_decoys: int,
                   rng: np.random.Generator) -> Panel:  # fmt: skip
    """Cell types, TF activity and expression, element activity and reproducible peaks.

    Parameters
    ----------
    elements, sites, params
        The planted grammar (:func:`grammar.plant_grammar`, :class:`grammar.GrammarParams`).
    sizes
        Chromosome lengths (noise peaks are placed uniformly over them).
    n_labelled, n_rna_only, n_decoys
        Cell types with labels, cell types with expression only, decoy TFs.
    """
    table = panel_cell_types(n_labelled, n_rna_only)
    tf_act = grammar.tf_activity(dict(zip(table["cell_type"], table["tissue"], strict=True)), rng)
    expression = panel_expression(tf_act, n_decoys, rng)
    labelled = table.loc[table["labelled"], "cell_type"].tolist()
    activity = grammar.element_activity(elements, sites, tf_act[labelled], params)
    act = np.clip(activity.to_numpy(), 1e-6, 1 - 1e-6)
    latent = np.log(act / (1 - act)) + rng.normal(0.0, BIOLOGICAL_SD, size=act.shape)
    called = np.ones(act.shape, dtype=bool)
    for _ in range(2):
        called &= latent + rng.normal(0.0, REPLICATE_SD, size=act.shape) > 0
    info = elements.set_index("element_id").loc[activity.index]
    starts, ends = info["start"].to_numpy(), info["end"].to_numpy()
    frames = []
    chrom_names = list(sizes)
    weights = np.array([sizes[c] for c in chrom_names], dtype=float)
    for j, cell_type in enumerate(labelled):
        rows = np.flatnonzero(called[:, j])
        left = rng.integers(0, 101, size=len(rows))
        right = rng.integers(0, 101, size=len(rows))
        frames.append(pd.DataFrame({
            "chrom": info["chrom"].to_numpy()[rows],
            "start": np.maximum(starts[rows] - left, 0),
            "end": ends[rows] + right,
            "cell_type": cell_type,
            "element_id": activity.index.to_numpy()[rows],
        }))  # fmt: skip
        n_noise = rng.binomial(max(len(rows), 1), NOISE_PEAK_SHARE)
        chroms = rng.choice(len(chrom_names), size=n_noise, p=weights / weights.sum())
        widths = rng.integers(150, 401, size=n_noise)
        lengths = np.array([sizes[chrom_names[c]] for c in chroms], dtype=np.int64)
        noise_starts = (rng.random(n_noise) * np.maximum(lengths - widths, 1)).astype(np.int64)
        frames.append(pd.DataFrame({
            "chrom": [chrom_names[c] for c in chroms], "start": noise_starts,
            "end": noise_starts + widths, "cell_type": cell_type, "element_id": "",
        }))  # fmt: skip
    peaks = pd.concat(frames, ignore_index=True)
    ends_clipped = [
        min(int(e), sizes[c]) for c, e in zip(peaks["chrom"], peaks["end"], strict=True)
    ]
    peaks["end"] = ends_clipped
    peaks = peaks.sort_values(["cell_type", "chrom", "start"], kind="stable").reset_index(drop=True)
    return Panel(table, tf_act, expression, activity, peaks)
