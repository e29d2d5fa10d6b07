"""QTL tables in BLUEPRINT's published layout, and connectivity between sources and targets.

BLUEPRINT summary files (``{mono,neut,tcel}_{K27AC,K4ME1}_log2rpm_peer_10_all_summary.txt.gz``)
are space-separated without a header; their columns are, in order: the variant as
``chr:pos_ref_alt``, its rsid, the phenotype region as ``chr:start:end``, the p-value,
beta, the Bonferroni-adjusted p-value, the FDR, the ALT allele frequency and the
standard error of beta. The real files hold tens of millions of rows, so they are read
in chunks and reduced to the links that pass the filters.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from ..project.errors import InputFileError
from ._compressed import COMPRESSION_ERRORS, _read_error

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


_NUMERIC = ("pval", "beta", "bonferroni", "fdr", "alt_af", "se")


def _parse_chunk(table, path: Path, first_line: int):
    """Split the variant and phenotype fields of a chunk read with numeric statistics;
    name the first bad line (``table.index`` holds row offsets from ``first_line``)."""
    import pandas as pd

    def fail(mask, problem: str):
        row = int(table.index[np.flatnonzero(np.asarray(mask))[0]])
        raise InputFileError(path, f"line {first_line + row}: {problem}")

    table = table.astype({"snp": object, "phenotype": object})  # an empty chunk reads as float
    snp = table["snp"].str.split(r"[:_]", n=3, expand=True, regex=True).reindex(columns=range(4))
    snp = snp.astype(object)
    target = table["phenotype"].str.split(":", n=2, expand=True).reindex(columns=range(3))
    pos = pd.to_numeric(snp[1], errors="coerce")
    start, end = (pd.to_numeric(target[k], errors="coerce") for k in (1, 2))
    bad_snp = snp.isna().any(axis=1) | pos.isna() | (snp[0] == "")
    bad_snp |= ~snp[2].fillna("").str.fullmatch("[ACGTN]+") | ~snp[3].fillna("").str.fullmatch(
        "[ACGTN]+"
    )
    if bad_snp.any():
        fail(
            bad_snp, f"variant {table['snp'][bad_snp.to_numpy()].iloc[0]!r} is not chr:pos_ref_alt"
        )
    bad_target = target.isna().any(axis=1) | start.isna() | end.isna() | (target[0] == "")
    bad_target |= end.fillna(0) < start.fillna(0)
    if bad_target.any():
        fail(
            bad_target,
            f"phenotype {table['phenotype'][bad_target.to_numpy()].iloc[0]!r} is not chr:start:end",
        )
    return table.assign(chrom=snp[0], pos=pos.astype(np.int64), ref=snp[2], alt=snp[3], target_chrom=target[0],
                        target_start=start.astype(np.int64), target_end=end.astype(np.int64))  # fmt: skip


def _check_fields(table, path: Path, first_line: int) -> None:
    """Every line has exactly the nine BLUEPRINT columns (a spare tenth column is read)."""
    n_fields = table.notna().sum(axis=1).to_numpy()
    wrong = n_fields != len(BLUEPRINT_COLUMNS)
    if wrong.any():
        row = int(np.flatnonzero(wrong)[0])
        raise InputFileError(path, f"line {first_line + row} has {int(n_fields[row])} columns; "
                                   f"BLUEPRINT QTL files have {len(BLUEPRINT_COLUMNS)}")  # fmt: skip


def _reader(path: Path, chunksize: int, numeric: bool, skiprows: int = 0, nrows: int | None = None):
    import pandas as pd

    names = range(len(BLUEPRINT_COLUMNS) + 1)  # one spare column catches lines with too many fields
    dtype = {
        k: (float if numeric and BLUEPRINT_COLUMNS[k] in _NUMERIC else str) for k in range(9)
    } | {9: str}
    return pd.read_csv(path, sep=" ", header=None, names=names, dtype=dtype, chunksize=chunksize,
                       engine="c", keep_default_na=False, na_values=[""], skiprows=skiprows, nrows=nrows)  # fmt: skip


def _bad_number(path: Path, first_line: int, chunksize: int) -> InputFileError:
    """Re-read one chunk as text to find the line whose statistic is not a number."""
    import pandas as pd

    table = next(
        iter(_reader(path, chunksize, numeric=False, skiprows=first_line - 1, nrows=chunksize))
    )
    _check_fields(table, path, first_line)
    for k, column in enumerate(BLUEPRINT_COLUMNS):
        if column in _NUMERIC:
            bad = pd.to_numeric(table[k], errors="coerce").isna().to_numpy()
            if bad.any():
                row = int(np.flatnonzero(bad)[0])
                return InputFileError(
                    path, f"line {first_line + row}: column {column!r} is not a number"
                )
    return InputFileError(path, f"a statistic after line {first_line} is not a number")


def iter_blueprint_qtl(
    path: str | Path, chunksize: int = 1_000_000, fdr_below: float | None = None
) -> Iterator:
    """Parsed chunks of a BLUEPRINT QTL summary file (gzipped or not).

    Each chunk has :data:`BLUEPRINT_COLUMNS` plus ``chrom``, ``pos`` (1-based), ``ref``,
    ``alt`` of the variant and ``target_chrom``, ``target_start``, ``target_end`` of the
    phenotype. With ``fdr_below`` only rows with FDR below it are kept (and their
    coordinates parsed), which is what makes the real files fast to read. A malformed line
    (wrong number of columns, a non-numeric statistic, or, in a row that is kept, a
    variant or phenotype that does not parse) raises :class:`~seqreg.project.InputFileError`
    naming the file and the line number.
    """
    for chunk, _ in _chunks(Path(path), chunksize, fdr_below):
        yield chunk


def _chunks(path: Path, chunksize: int, fdr_below: float | None) -> Iterator:
    """(parsed chunk, rows read) pairs; see :func:`iter_blueprint_qtl`."""
    import re

    import pandas as pd

    path = Path(path)
    if not path.exists():
        raise InputFileError(path, "no such QTL file")
    first_line = 1
    try:
        for chunk in _reader(path, chunksize, numeric=True):
            chunk.index = range(len(chunk))
            _check_fields(chunk, path, first_line)
            chunk = chunk.iloc[:, : len(BLUEPRINT_COLUMNS)]
            chunk.columns = BLUEPRINT_COLUMNS
            size = len(chunk)
            if fdr_below is not None:
                chunk = chunk[chunk["fdr"].to_numpy() < fdr_below]
            yield _parse_chunk(chunk, path, first_line), size
            first_line += size
    except pd.errors.ParserError as err:
        found = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(err))
        if found:
            raise InputFileError(path, f"line {found.group(2)} has {found.group(3)} columns; BLUEPRINT "
                                       f"QTL files have {len(BLUEPRINT_COLUMNS)}") from None  # fmt: skip
        raise InputFileError(path, f"is not a readable BLUEPRINT QTL table ({err})") from None
    except ValueError as err:
        if "could not convert" in str(err) or "Unable to parse" in str(err):
            raise _bad_number(path, first_line, chunksize) from None
        raise
    except (pd.errors.EmptyDataError, OSError, UnicodeDecodeError, *COMPRESSION_ERRORS) as err:
        raise _read_error(path, err, "BLUEPRINT QTL table") from None


def read_blueprint_qtl(path: str | Path):
    """Read a whole BLUEPRINT QTL summary file (see :func:`iter_blueprint_qtl`; for the
    real, large files use :func:`read_qtl_links`, which keeps only filtered links).

    Raises
    ------
    InputFileError
        When the file is empty or a line does not parse (the error names the line).
    """
    import pandas as pd

    chunks = list(iter_blueprint_qtl(path))
    if not chunks:
        raise InputFileError(path, "is empty")
    return pd.concat(chunks, ignore_index=True)
