"""QTL tables in BLUEPRINT's published layout, and connectivity between sources and targets.

BLUEPRINT summary files (``{mono,neut,tcel}_{K27AC,K4ME1}_log2rpm_peer_10_all_summary.txt.gz``)
are space-separated without a header; their columns are, in order: the variant as
``chr:pos_ref_alt``, its rsid, the phenotype region as ``chr:start:end``, the p-value,
beta, the Bonferroni-adjusted p-value, the FDR, the ALT allele frequency and the
standard error of beta.
"""

from __future__ import annotations

from pathlib import Path

from .errors import InputFileError

BLUEPRINT_COLUMNS = [
    "snp",
    "rsid",
    "phenotype",
    "pval",
    "beta",
    "bonferroni",
    "fdr",
    "alt_af",
    "se",
]


def read_blueprint_qtl(path: str | Path):
    """Read a BLUEPRINT QTL summary file.

    Returns
    -------
    pandas.DataFrame
        :data:`BLUEPRINT_COLUMNS` plus ``chrom``, ``pos`` (1-based), ``ref``, ``alt`` of
        the variant and ``target_chrom``, ``target_start``, ``target_end`` of the phenotype.
    """
    import pandas as pd

    path = Path(path)
    if not path.exists():
        raise InputFileError(path, "no such QTL file")
    try:
        table = pd.read_csv(path, sep=r"\s+", header=None, dtype={0: str, 1: str, 2: str})
    except (pd.errors.ParserError, pd.errors.EmptyDataError, OSError, UnicodeDecodeError) as err:
        raise InputFileError(path, f"is not a readable BLUEPRINT QTL table ({err})") from None
    if table.shape[1] != len(BLUEPRINT_COLUMNS):
        raise InputFileError(
            path, f"has {table.shape[1]} columns; BLUEPRINT QTL files have {len(BLUEPRINT_COLUMNS)}"
        )
    table.columns = BLUEPRINT_COLUMNS
    snp = table["snp"].str.extract(
        r"^(?P<chrom>[^:]+):(?P<pos>\d+)_(?P<ref>[ACGTN]+)_(?P<alt>[ACGTN]+)$"
    )
    target = table["phenotype"].str.extract(
        r"^(?P<target_chrom>[^:]+):(?P<target_start>\d+):(?P<target_end>\d+)$"
    )
    if snp.isna().any().any() or target.isna().any().any():
        raise InputFileError(
            path, "variants must read chr:pos_ref_alt and phenotypes chr:start:end"
        )
    for column in ("pval", "beta", "bonferroni", "fdr", "alt_af", "se"):
        table[column] = pd.to_numeric(table[column], errors="coerce")
        if table[column].isna().any():
            raise InputFileError(path, f"column {column!r} has non-numeric values")
    snp["pos"] = snp["pos"].astype(int)
    target[["target_start", "target_end"]] = target[["target_start", "target_end"]].astype(int)
    return pd.concat([table, snp, target], axis=1)


def target_degree(table, fdr: float = 0.05):
    """Number of significant QTL variants per target region (the target's degree)."""
    significant = table[table["fdr"] <= fdr]
    return significant.groupby("phenotype").size().sort_values(ascending=False)
