"""Gene annotation and interval files: GTF records, BED intervals, TSS tables, BED writing."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from ..project.errors import InputFileError


def write_bed(path: str | Path, intervals: Iterable[tuple], header: str | None = None) -> Path:
    """Write intervals (tuples whose first three fields are chrom, start, end) as BED."""
    from ..project.files import write_text

    lines = [f"#{header}\n"] if header else []
    lines += ["\t".join(str(v) for v in row) + "\n" for row in intervals]
    return write_text(path, "".join(lines))


def read_gtf(path: str | Path, features: Iterable[str] | None = None):
    """Read a GTF (plain or gzipped) into a DataFrame with 0-based half-open coordinates.

    Returns
    -------
    pandas.DataFrame
        Columns ``chrom``, ``source``, ``feature``, ``start``, ``end``, ``strand`` and one
        column per attribute (``gene_id``, ``transcript_id``, ...).

    Raises
    ------
    InputFileError
        When the file is missing or not a readable GTF.
    """
    import pandas as pd

    path = Path(path)
    if not path.exists():
        raise InputFileError(path, "no such GTF file")
    columns = [
        "chrom",
        "source",
        "feature",
        "start",
        "end",
        "score",
        "strand",
        "frame",
        "attributes",
    ]
    try:
        table = pd.read_csv(
            path, sep="\t", comment="#", header=None, names=columns, dtype={"chrom": str}
        )
    except (pd.errors.ParserError, ValueError) as err:
        raise InputFileError(path, f"is not a readable GTF ({err})") from None
    if features is not None:
        table = table[table["feature"].isin(list(features))]
    table["start"] = table["start"] - 1  # GTF is 1-based inclusive
    attributes = table.pop("attributes").str.extractall(r'(?P<key>\w+) "(?P<value>[^"]*)"')
    if len(attributes):
        wide = attributes.reset_index().pivot_table(
            index="level_0", columns="key", values="value", aggfunc="first"
        )
        wide.columns.name = None
        table = table.join(wide)
    return table.drop(columns=["score", "frame"]).reset_index(drop=True)


def read_bed(path: str | Path):
    """The first three columns of a BED file (plain or gzipped) as ``chrom``, ``start``, ``end``.

    Raises
    ------
    InputFileError
        When the file is missing, unreadable, or its start and end columns are not
        integers.
    """
    import pandas as pd

    path = Path(path)
    if not path.exists():
        raise InputFileError(path, "no such BED file")
    try:
        table = pd.read_csv(
            path, sep="\t", header=None, usecols=[0, 1, 2], comment="#", dtype={0: str}
        )
    except pd.errors.EmptyDataError:
        return pd.DataFrame(
            {
                "chrom": pd.Series(dtype=str),
                "start": pd.Series(dtype=int),
                "end": pd.Series(dtype=int),
            }
        )
    except (pd.errors.ParserError, ValueError) as err:
        raise InputFileError(path, f"is not a readable BED file ({err})") from None
    table.columns = ["chrom", "start", "end"]
    if not (
        pd.api.types.is_integer_dtype(table["start"])
        and pd.api.types.is_integer_dtype(table["end"])
    ):
        raise InputFileError(path, "columns 2 and 3 (start, end) must be integers")
    return table


def read_tss(path: str | Path):
    """Read a TSS BED (``chrom``, 0-based ``position``, end, ``transcript_id``, score,
    ``strand``, ``gene_id``), as the manifest's ``tss`` role holds it.

    Raises
    ------
    InputFileError
        When the file is unreadable or lacks the seven columns.
    """
    import pandas as pd

    from ..project.errors import InputFileError

    names = ["chrom", "position", "end", "transcript_id", "score", "strand", "gene_id"]
    try:
        table = pd.read_csv(path, sep="\t", header=None, names=names, comment="#",
                            dtype={"chrom": str, "transcript_id": str, "gene_id": str})  # fmt: skip
    except (OSError, ValueError, pd.errors.ParserError) as err:
        raise InputFileError(path, f"is not a readable TSS BED ({err})") from None
    if table[["position", "strand", "gene_id"]].isna().any().any():
        raise InputFileError(
            path, "needs 7 columns: chrom, start, end, transcript id, score, strand, gene id"
        )
    return table
