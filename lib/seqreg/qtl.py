"""QTL connectivity between source variants and target regions (notebook 15).

The BLUEPRINT tables are read by :mod:`seqreg.io.blueprint` (chunked, filtered).

Connectivity (microglia QTL report, section 3.1): the genome is cut into fixed bins
(10 kb); a QTL links a source variant to a target region. For each target bin,
**connected QTLs** counts the distinct variants with a link to a target overlapping the
bin, and **binned QTLs** the distinct source bins holding such variants. A target region
that spans several bins counts, in full, for every bin it overlaps (``assignment="overlap"``);
``assignment="midpoint"`` counts it only for the bin of its midpoint.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np

from .io.blueprint import _chunks
from .project.errors import InputFileError


def target_degree(table, fdr: float = 0.05):
    """Number of significant QTL variants per target region (the target's degree)."""
    significant = table[table["fdr"] < fdr]
    return significant.groupby("phenotype").size().sort_values(ascending=False)


def read_qtl_links(path: str | Path, fdr_max: float = 0.05, max_distance: int = 1_000_000,
                   chunksize: int = 1_000_000, progress: bool = False):  # fmt: skip
    """The QTL links of a BLUEPRINT file that pass the report's filters, read in chunks.

    Filters: FDR strictly below ``fdr_max``; variant and target on the same chromosome;
    variant within ``max_distance`` of the target's midpoint. A row repeating a
    (variant, phenotype) pair counts once.

    Returns
    -------
    links, counts
        DataFrame with ``chrom``, ``pos``, ``variant`` (``chr:pos_ref_alt``),
        ``target_start``, ``target_end``, ``distance`` (variant minus target midpoint); and
        counts of ``rows``, ``fdr_pass``, ``other_chromosome``, ``too_far``, ``duplicates``,
        ``links``.

    Raises
    ------
    InputFileError
        When the file is missing or a line does not parse.
    """
    import pandas as pd

    from .project.progress import progress_bar as tqdm

    counts = dict.fromkeys(
        ("rows", "fdr_pass", "other_chromosome", "too_far", "duplicates", "links"), 0
    )
    kept = []
    path = Path(path)
    if not path.exists():
        raise InputFileError(path, "no such QTL file")
    chunks = _chunks(path, chunksize, fdr_below=fdr_max)
    for chunk, rows in tqdm(chunks, disable=not progress, unit="chunk", desc=path.name):
        counts["rows"] += rows
        counts["fdr_pass"] += len(chunk)
        same = chunk["chrom"] == chunk["target_chrom"]
        counts["other_chromosome"] += int((~same).sum())
        chunk = chunk[same]
        distance = chunk["pos"] - (chunk["target_start"] + chunk["target_end"]) // 2
        near = distance.abs() <= max_distance
        counts["too_far"] += int((~near).sum())
        kept.append(pd.DataFrame({"chrom": chunk["chrom"][near], "pos": chunk["pos"][near],
                                  "variant": chunk["snp"][near], "target_start": chunk["target_start"][near],
                                  "target_end": chunk["target_end"][near], "distance": distance[near]}))  # fmt: skip
    columns = ["chrom", "pos", "variant", "target_start", "target_end", "distance"]
    links = pd.concat(kept, ignore_index=True) if kept else pd.DataFrame(columns=columns)
    before = len(links)
    links = links.drop_duplicates(
        ["variant", "chrom", "target_start", "target_end"], ignore_index=True
    )
    counts["duplicates"] = before - len(links)
    counts["links"] = len(links)
    return links, counts


def connectivity(links, bin_size: int = 10_000,
                 assignment: Literal["overlap", "midpoint"] = "overlap"):  # fmt: skip
    """Connected and binned QTLs of every target bin that has at least one link.

    Parameters
    ----------
    links
        :func:`read_qtl_links` output (``chrom``, ``pos``, ``variant``, ``target_start``,
        ``target_end``; coordinates as the file gives them).
    assignment
        ``"overlap"``: a target counts for every bin its region overlaps (the last base
        is ``target_end - 1``); ``"midpoint"``: only for the bin of its midpoint.

    Returns
    -------
    pandas.DataFrame
        ``chrom``, ``bin`` (index; the bin covers ``bin * bin_size`` to
        ``(bin + 1) * bin_size``), ``connected_qtls``, ``binned_qtls``.

    Raises
    ------
    ValueError
        For an assignment other than overlap or midpoint.
    """
    import pandas as pd

    if not len(links):
        return pd.DataFrame({"chrom": [], "bin": [], "connected_qtls": [], "binned_qtls": []})
    if assignment == "overlap":
        first = links["target_start"].to_numpy() // bin_size
        last = (
            np.maximum(links["target_end"].to_numpy() - 1, links["target_start"].to_numpy())
            // bin_size
        )
    elif assignment == "midpoint":
        first = last = ((links["target_start"] + links["target_end"]) // 2).to_numpy() // bin_size
    else:
        raise ValueError(f"assignment must be 'overlap' or 'midpoint', not {assignment!r}")
    span = last - first + 1
    rows = np.repeat(np.arange(len(links)), span)
    target_bin = np.repeat(first, span) + (
        np.arange(span.sum()) - np.repeat(np.cumsum(span) - span, span)
    )
    expanded = pd.DataFrame({
        "chrom": links["chrom"].to_numpy()[rows], "bin": target_bin,
        "variant": links["variant"].to_numpy()[rows],
        "source_bin": links["pos"].to_numpy()[rows] // bin_size,
    })  # fmt: skip
    keys = ["chrom", "bin"]
    connected = expanded.drop_duplicates([*keys, "variant"]).groupby(keys).size()
    binned = expanded.drop_duplicates([*keys, "source_bin"]).groupby(keys).size()
    return pd.DataFrame({"connected_qtls": connected, "binned_qtls": binned}).reset_index()


def genome_bins(chrom_sizes: dict[str, int], bin_size: int = 10_000) -> int:
    """Number of ``bin_size`` bins covering the chromosomes (the last bin of each may be short)."""
    return int(sum(-(-size // bin_size) for size in chrom_sizes.values()))


def connectivity_summary(per_bin, chrom_sizes: dict[str, int], bin_size: int = 10_000,
                         column: str = "connected_qtls", hub: int = 100) -> dict:  # fmt: skip
    """One row of the report's Tables 1 (connected QTLs) and 2 (QTL bins).

    Returns
    -------
    dict
        ``total`` (the column summed over bins), ``connected_regions`` (bins with at least
        one), ``all_regions`` (every bin of the genome), ``mean_per_connected_region``,
        ``mean_per_region``, ``share_without``, ``share_over_hub`` (more than ``hub``).

    Chromosomes are matched in either spelling (``chr1``/``1``, ``chrM``/``MT``); bins on
    chromosomes that ``chrom_sizes`` lacks are left out.

    Raises
    ------
    ValueError
        When ``per_bin`` has bins but none on a chromosome of ``chrom_sizes``.
    """
    from .io.chroms import match_chrom

    names = {c: match_chrom(c, chrom_sizes) for c in per_bin["chrom"].unique()}
    if len(per_bin) and not any(names.values()):
        raise ValueError(
            f"none of the QTL chromosomes ({', '.join(map(repr, list(names)[:4]))}) is in the "
            f"chromosome sizes ({', '.join(map(repr, list(chrom_sizes)[:4]))}), in either spelling"
        )
    on_genome = per_bin[per_bin["chrom"].map(names).notna()]
    values = on_genome[column].to_numpy()
    all_regions = genome_bins(chrom_sizes, bin_size)
    connected = int((values > 0).sum())
    total = int(values.sum())
    return {"total": total, "connected_regions": connected, "all_regions": all_regions,
            "mean_per_connected_region": total / connected if connected else float("nan"),
            "mean_per_region": total / all_regions, "share_without": 1 - connected / all_regions,
            "share_over_hub": float((values > hub).sum() / all_regions)}  # fmt: skip


#: fewest positive degrees a power-law fit is attempted on
MIN_FIT_DEGREES = 10


def degree_fit(degrees: np.ndarray, discrete: bool = True) -> dict:
    """Fit a power law to a degree distribution (``powerlaw``, xmin chosen by the KS
    distance) and compare it with an exponential by a log-likelihood ratio.

    Returns
    -------
    dict
        ``alpha``, ``xmin``, ``n_tail`` (degrees >= xmin), ``loglikelihood_ratio`` (positive
        favours the power law), ``p_value`` (of the sign of the ratio), ``favoured``
        (``"power law"``, ``"exponential"`` or ``"neither"`` at p < 0.05); with fewer than
        :data:`MIN_FIT_DEGREES` positive degrees, or all equal, NaNs and ``"too few degrees"``;
        NaNs and ``"no fit (<reason>)"`` when ``powerlaw`` cannot fit (a few distinct values
        can leave no tail above the chosen xmin).
    """
    import warnings

    import powerlaw

    degrees = np.asarray(degrees)
    degrees = degrees[degrees > 0]
    if len(degrees) < MIN_FIT_DEGREES or len(np.unique(degrees)) < 2:
        return {"alpha": float("nan"), "xmin": float("nan"), "n_tail": len(degrees),
                "loglikelihood_ratio": float("nan"), "p_value": float("nan"),
                "favoured": "too few degrees"}  # fmt: skip
    with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
        warnings.simplefilter("ignore")
        try:
            fit = powerlaw.Fit(degrees, discrete=discrete, verbose=False)
            ratio, p = fit.distribution_compare("power_law", "exponential", normalized_ratio=True)
        except ValueError as err:  # e.g. the chosen xmin leaves no tail to fit (few values)
            return {"alpha": float("nan"), "xmin": float("nan"), "n_tail": len(degrees),
                    "loglikelihood_ratio": float("nan"), "p_value": float("nan"),
                    "favoured": f"no fit ({err})"}  # fmt: skip
    favoured = "neither" if p >= 0.05 else ("power law" if ratio > 0 else "exponential")
    return {"alpha": float(fit.power_law.alpha), "xmin": float(fit.power_law.xmin),
            "n_tail": int((degrees >= fit.power_law.xmin).sum()), "loglikelihood_ratio": float(ratio),
            "p_value": float(p), "favoured": favoured}  # fmt: skip
