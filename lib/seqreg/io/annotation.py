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


def _bed_lines(path: Path) -> tuple[str, list[int]]:
    """The data lines of a BED-like file (plain or gzipped) and their line numbers; UCSC
    ``track`` and ``browser`` lines, ``#`` comments and blank lines are left out."""
    import gzip

    opener = gzip.open if path.suffix == ".gz" else open
    kept, numbers = [], []
    try:
        with opener(path, "rt") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip() or line.startswith(("#", "track", "browser")):
                    continue
                kept.append(line)
                numbers.append(number)
    except (OSError, UnicodeDecodeError, EOFError) as err:
        raise InputFileError(path, f"is not a readable BED file ({err})") from None
    return "".join(kept), numbers


def _first_non_integer(table, columns, numbers: list[int], text: str) -> str | None:
    """``line N: '...'`` of the first row whose ``columns`` are not integers, or None."""
    import pandas as pd

    bad = None
    for column in columns:
        wrong = pd.to_numeric(table[column], errors="coerce").isna() | (
            pd.to_numeric(table[column], errors="coerce") % 1 != 0
        )
        if wrong.any():
            row = int(wrong.to_numpy().argmax())
            bad = row if bad is None else min(bad, row)
    if bad is None:
        return None
    return f"line {numbers[bad]}: {text.splitlines()[bad].strip()[:80]!r}"


def read_bed(path: str | Path):
    """The first three columns of a BED file (plain or gzipped) as ``chrom``, ``start``, ``end``.

    UCSC ``track`` and ``browser`` lines and ``#`` comments are skipped.

    Raises
    ------
    InputFileError
        When the file is missing or unreadable, or a line's start or end is not an integer
        (the error gives the line number and content).
    """
    import io

    import pandas as pd

    path = Path(path)
    if not path.exists():
        raise InputFileError(path, "no such BED file")
    text, numbers = _bed_lines(path)
    if not text:
        return pd.DataFrame({"chrom": pd.Series(dtype=str), "start": pd.Series(dtype=int),
                             "end": pd.Series(dtype=int)})  # fmt: skip
    try:
        table = pd.read_csv(
            io.StringIO(text), sep="\t", header=None, usecols=[0, 1, 2], dtype={0: str}
        )
    except (pd.errors.ParserError, ValueError) as err:
        raise InputFileError(path, f"is not a readable BED file ({err})") from None
    table.columns = ["chrom", "start", "end"]
    bad = _first_non_integer(table, ["start", "end"], numbers, text)
    if bad:
        raise InputFileError(path, f"columns 2 and 3 (start, end) must be integers; {bad}")
    return table.astype({"start": "int64", "end": "int64"})


def read_tss(path: str | Path):
    """Read a TSS BED (``chrom``, 0-based ``position``, end, ``transcript_id``, score,
    ``strand``, ``gene_id``), as the manifest's ``tss`` role holds it (UCSC ``track`` and
    ``browser`` lines and ``#`` comments skipped).

    Raises
    ------
    InputFileError
        When the file is unreadable or lacks the seven columns.
    """
    import io

    import pandas as pd

    from ..project.errors import InputFileError

    names = ["chrom", "position", "end", "transcript_id", "score", "strand", "gene_id"]
    text, _ = _bed_lines(Path(path))
    try:
        table = pd.read_csv(io.StringIO(text), sep="\t", header=None, names=names,
                            dtype={"chrom": str, "transcript_id": str, "gene_id": str})  # fmt: skip
    except (OSError, ValueError, pd.errors.ParserError) as err:
        raise InputFileError(path, f"is not a readable TSS BED ({err})") from None
    if table[["position", "strand", "gene_id"]].isna().any().any():
        raise InputFileError(
            path, "needs 7 columns: chrom, start, end, transcript id, score, strand, gene id"
        )
    return table
