"""Variant-level inputs in the layouts their sources publish: GTEx eQTLs, de novo variants,
GWAS-catalog-like SNP sets. Readers check columns up front and name the file at fault."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..project.errors import InputFileError
from ._compressed import COMPRESSION_ERRORS, _pandas_compression, _read_error

#: GTEx v8 single-tissue cis-eQTL columns (all pairs); significant pairs add more
GTEX_EQTL_COLUMNS: dict[str, type] = {
    "gene_id": str, "variant_id": str, "tss_distance": int, "ma_samples": int, "ma_count": int,
    "maf": float, "pval_nominal": float, "slope": float, "slope_se": float,
}  # fmt: skip


#: An et al. 2018 (Science) Table S2 columns this project uses
DE_NOVO_COLUMNS: dict[str, type] = {
    "SampleID": str, "Chr": str, "Pos": int, "Ref": str, "Alt": str, "Type": str, "Fam": str, "Pheno": str,
}  # fmt: skip


GWAS_COLUMNS: dict[str, type] = {
    "variant_id": str, "chrom": str, "pos": int, "ref": str, "alt": str, "maf": float, "label": int, "fold": int,
}  # fmt: skip


def _read_table(path: str | Path, columns: dict[str, type], what: str, **kwargs):
    """``path`` read as a table with ``columns`` (checked; numeric ones converted). A
    gzipped file is recognised by its content; a truncated or corrupt one (gzip, or xlsx,
    which is a zip) is an error saying so."""
    import pandas as pd

    path = Path(path)
    if not path.exists():
        raise InputFileError(path, f"no such {what} file")
    try:
        if path.suffix == ".xlsx":
            # published supplementary sheets often carry a title row above the header:
            # the header is the first of the first ten rows that names every column
            top = pd.read_excel(path, header=None, nrows=10, **kwargs)
            header = next(
                (i for i, row in top.iterrows() if set(columns) <= {str(v).strip() for v in row}),
                0,
            )
            table = pd.read_excel(
                path, header=header, dtype={c: t for c, t in columns.items() if t is str}, **kwargs
            )
        else:
            table = pd.read_csv(path, sep=kwargs.pop("sep", "\t"), dtype={c: t for c, t in columns.items() if t is str},
                                compression=_pandas_compression(path), **kwargs)  # fmt: skip
    except (
        pd.errors.ParserError,
        ValueError,
        UnicodeDecodeError,
        OSError,
        *COMPRESSION_ERRORS,
    ) as err:
        raise _read_error(path, err, f"{what} table") from None
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise InputFileError(
            path, f"lacks the {what} column(s) {missing}; it has {list(table.columns)[:12]}"
        )
    for column, kind in columns.items():
        if kind is not str:
            try:
                table[column] = table[column].astype(kind)
            except (TypeError, ValueError):
                raise InputFileError(
                    path, f"column {column!r} is not all {kind.__name__}"
                ) from None
    return table


def parse_gtex_variant_ids(variant_ids):
    """Split GTEx ids ``chr1_12345_A_G_b38`` into ``chrom``, ``pos`` (1-based), ``ref``, ``alt``."""
    parts = variant_ids.str.split("_", expand=True)
    return parts[0], parts[1].astype(int), parts[2], parts[3]


def gtex_variant_ids(variants, build: str = "b38"):
    """GTEx ids ``chr1_12345_A_G_b38`` of variant rows, the inverse of
    :func:`parse_gtex_variant_ids`.

    Parameters
    ----------
    variants
        DataFrame with ``chrom``, ``pos`` (1-based), ``ref`` and ``alt``.
    build
        The genome build suffix.

    Returns
    -------
    numpy.ndarray
        ``(len(variants),)`` object array of ids.
    """
    return (
        variants["chrom"].astype(str) + "_" + variants["pos"].astype(str) + "_"
        + variants["ref"] + "_" + variants["alt"] + f"_{build}"
    ).to_numpy()  # fmt: skip


def read_gtex_eqtl(path: str | Path):
    """Read a GTEx v8 single-tissue eQTL table (all pairs or significant pairs, gzipped or not).

    Returns the columns of :data:`GTEX_EQTL_COLUMNS` (and any others) plus ``chrom``,
    ``pos`` (1-based), ``ref``, ``alt`` parsed from ``variant_id``.

    Raises
    ------
    InputFileError
        When the file is missing, unreadable, truncated or corrupt (an interrupted copy
        or download of the gzipped table), a column is missing, or variant ids are not
        GTEx ids.
    """
    import pandas as pd

    table = _read_table(path, GTEX_EQTL_COLUMNS, "GTEx eQTL")
    if table.empty:
        return table.assign(chrom=pd.Series(dtype=str), pos=pd.Series(dtype=int), ref=pd.Series(dtype=str),
                            alt=pd.Series(dtype=str))  # fmt: skip
    try:
        table["chrom"], table["pos"], table["ref"], table["alt"] = parse_gtex_variant_ids(
            table["variant_id"]
        )
    except (ValueError, KeyError, TypeError):
        raise InputFileError(
            path, "variant_id values are not of the form chr_pos_ref_alt_build"
        ) from None
    return table


def read_de_novo(path: str | Path):
    """Read de novo variants in the columns of An et al. 2018 Table S2 (TSV, or the xlsx as
    published, whose sheet has a title row above the header).

    Columns ``SampleID``, ``Chr``, ``Pos`` (1-based), ``Ref``, ``Alt``, ``Type``, ``Fam``,
    ``Pheno`` (``case`` or ``control``) and any others.

    Raises
    ------
    InputFileError
        When the file is missing, unreadable, truncated or corrupt (gzip or xlsx), a
        column is missing (the error names it), or ``Pheno`` is not case or control.
    """
    table = _read_table(path, DE_NOVO_COLUMNS, "de novo variant")
    bad = sorted(set(table["Pheno"]) - {"case", "control"})
    if bad:
        raise InputFileError(path, f"Pheno must be 'case' or 'control', found {bad[:3]}")
    return table


def read_gwas_set(path: str | Path):
    """Read a labelled SNP set (trait SNPs = 1, matched negatives = 0) with CV folds.

    Raises
    ------
    InputFileError
        When the file is missing, unreadable, truncated or corrupt (gzip), a column is
        missing, or a label is not 0 or 1.
    """
    table = _read_table(path, GWAS_COLUMNS, "GWAS SNP set")
    if not set(table["label"]) <= {0, 1}:
        raise InputFileError(path, "label must be 0 or 1")
    return table


#: what :func:`de_novo_snvs` counts
DE_NOVO_COUNTS = ("rows", "not_snv", "non_acgt", "other_contig", "ref_mismatch", "kept")


def de_novo_snvs(table, fasta: str | Path):
    """The single-nucleotide de novo variants of :func:`read_de_novo`'s table whose REF
    matches the genome, one row per child and variant (a recurrent de novo stays in each
    child), with ``chrom`` (the FASTA's spelling), ``pos`` (1-based), ``ref``, ``alt``.

    Returns
    -------
    snvs : pandas.DataFrame
        The kept rows, every column of ``table`` plus those four.
    counts : dict
        :data:`DE_NOVO_COUNTS`: rows read, left out as not SNVs (``Type`` other than SNV,
        or alleles longer than one base), with bases other than A/C/G/T, on contigs the
        FASTA lacks, with a REF that differs from the FASTA, and kept.

    Raises
    ------
    InputFileError
        When the FASTA is missing or unreadable.
    """
    import pysam

    from .chroms import match_chrom

    fasta = Path(fasta)
    if not fasta.exists():
        raise InputFileError(fasta, "no such FASTA file")
    counts = dict.fromkeys(DE_NOVO_COUNTS, 0)
    counts["rows"] = len(table)
    ref = table["Ref"].astype(str).str.upper().str.strip()
    alt = table["Alt"].astype(str).str.upper().str.strip()
    snv = (
        (table["Type"].astype(str).str.upper() == "SNV")
        & (ref.str.len() == 1)
        & (alt.str.len() == 1)
    )
    counts["not_snv"] = int((~snv).sum())
    acgt = ref.isin(list("ACGT")) & alt.isin(list("ACGT")) & (ref != alt)
    counts["non_acgt"] = int((snv & ~acgt).sum())
    keep = (snv & acgt).to_numpy().copy()
    try:
        genome = pysam.FastaFile(str(fasta))
    except (OSError, ValueError) as err:
        raise InputFileError(fasta, f"is not a readable FASTA ({err})") from None
    with genome:
        names = {c: match_chrom(str(c), set(genome.references)) for c in table["Chr"].unique()}
        chrom = table["Chr"].map(names)
        on_contig = chrom.notna().to_numpy()
        counts["other_contig"] = int((keep & ~on_contig).sum())
        keep &= on_contig
        pos = table["Pos"].to_numpy(dtype=np.int64)
        bases = np.array(
            [
                genome.fetch(c, p - 1, p).upper() if k and p >= 1 else ""
                for c, p, k in zip(chrom, pos, keep, strict=True)
            ]
        )
    matches = bases == ref.to_numpy(dtype=str)
    counts["ref_mismatch"] = int((keep & ~matches).sum())
    keep &= matches
    counts["kept"] = int(keep.sum())
    snvs = table[keep].assign(
        chrom=chrom[keep].to_numpy(dtype=object),
        pos=pos[keep],
        ref=ref[keep].to_numpy(),
        alt=alt[keep].to_numpy(),
    )
    return snvs.reset_index(drop=True), counts
