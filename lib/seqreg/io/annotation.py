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


#: the nine tab-separated columns of a GTF
GTF_COLUMNS = [
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
        When the file is missing or not a readable GTF, or a line has fewer than 9 columns
        or a non-numeric start or end (the error gives its number).
    """
    import pandas as pd

    path = Path(path)
    if not path.exists():
        raise InputFileError(path, "no such GTF file")
    try:
        table = pd.read_csv(
            path, sep="\t", comment="#", header=None, names=GTF_COLUMNS, dtype={"chrom": str}
        )
    except (pd.errors.ParserError, ValueError) as err:
        raise InputFileError(path, f"is not a readable GTF ({err})") from None
    check_gtf_records(path, table)
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


def check_gtf_records(path: str | Path, table) -> None:
    """Refuse a GTF whose records lack columns or have non-numeric coordinates.

    Parameters
    ----------
    path
        The GTF, for the message.
    table
        Its records as read by pandas with the nine GTF columns named ``chrom``, ``source``,
        ``feature``, ``start``, ``end``, ``score``, ``strand``, ``frame``, ``attributes``
        (at least ``start``, ``end`` and ``attributes``), comment lines skipped.

    Raises
    ------
    InputFileError
        Naming the first line with fewer than 9 tab-separated columns, or whose start or
        end is not a whole number.
    """
    import pandas as pd

    path = Path(path)
    short = table["attributes"].isna().to_numpy()
    if short.any():
        raise InputFileError(path, f"{_gtf_line(path, int(short.argmax()))} has fewer than the 9 "
                                   "tab-separated columns of a GTF")  # fmt: skip
    for column in ("start", "end"):
        bad = pd.to_numeric(table[column], errors="coerce").isna().to_numpy()
        if bad.any():
            raise InputFileError(path, f"{_gtf_line(path, int(bad.argmax()))}: its {column} is not a "
                                       "whole number")  # fmt: skip


def _gtf_line(path: Path, row: int) -> str:
    """``line N: '...'`` of the ``row``-th record of a GTF (comment lines skipped)."""
    from ._compressed import _open_text

    with _open_text(path) as handle:
        seen = -1
        for number, line in enumerate(handle, start=1):
            if line.startswith("#") or not line.strip():
                continue
            seen += 1
            if seen == row:
                return f"line {number} ({line.strip()[:60]!r})"
    return f"record {row + 1}"


def _bed_lines(path: Path) -> tuple[str, list[int]]:
    """The data lines of a BED-like file (plain or gzipped) and their line numbers; UCSC
    ``track`` and ``browser`` lines, ``#`` comments and blank lines are left out."""
    from ._compressed import COMPRESSION_ERRORS, _open_text, _read_error

    kept, numbers = [], []
    try:
        with _open_text(path) as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip() or line.startswith(("#", "track", "browser")):
                    continue
                kept.append(line)
                numbers.append(number)
    except (OSError, UnicodeDecodeError, *COMPRESSION_ERRORS) as err:
        raise _read_error(path, err, "BED file") from None
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
        When the file is missing or unreadable, a line's start or end is not an integer, or
        an interval starts below 0 or ends before it starts (the error gives the line
        number and content).
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
    table = table.astype({"start": "int64", "end": "int64"})
    wrong = (table["start"].to_numpy() < 0) | (table["end"].to_numpy() < table["start"].to_numpy())
    if wrong.any():
        row = int(wrong.argmax())
        raise InputFileError(
            path,
            "an interval must have 0 <= start <= end (0-based, half-open); "
            f"line {numbers[row]}: {text.splitlines()[row].strip()[:80]!r}",
        )
    return table


#: columns of a TSS table, as :func:`read_tss` and :func:`tss_from_gtf` return it
TSS_COLUMNS = ["chrom", "position", "end", "transcript_id", "score", "strand", "gene_id"]


def read_tss(path: str | Path):
    """Read a TSS BED: BED6 (``chrom``, 0-based start, end, name = gene id, score, strand) or
    this project's BED7 (the 4th column a transcript id, the 7th the gene id).

    UCSC ``track`` and ``browser`` lines and ``#`` comments are skipped. In a BED6 every line
    is one TSS of the gene in its name column, so a gene's alternative TSSs are separate
    lines; each gets the TSS id ``<gene>@<chrom>:<position>``.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`TSS_COLUMNS`: ``chrom``, ``position`` (0-based), ``end``,
        ``transcript_id`` (one id per TSS), ``score``, ``strand`` (``+``/``-``), ``gene_id``.

    Raises
    ------
    InputFileError
        When the file is missing or unreadable, has fewer than 6 columns, a start that is
        not an integer or a strand other than ``+``/``-`` (the line is named).
    """
    import io

    import pandas as pd

    path = Path(path)
    if not path.exists():
        raise InputFileError(path, "no such TSS BED file")
    text, numbers = _bed_lines(path)
    if not text:
        raise InputFileError(path, "holds no TSS lines")
    try:
        raw = pd.read_csv(io.StringIO(text), sep="\t", header=None, dtype=str)
    except (ValueError, pd.errors.ParserError) as err:
        raise InputFileError(path, f"is not a readable TSS BED ({err})") from None
    if raw.shape[1] < 6 or raw.iloc[:, :6].isna().any().any():
        row = int(raw.iloc[:, : min(6, raw.shape[1])].isna().any(axis=1).to_numpy().argmax())
        raise InputFileError(
            path,
            "a TSS BED needs 6 columns (chrom, start, end, gene id, score, strand) or 7 "
            f"(chrom, start, end, transcript id, score, strand, gene id); line {numbers[row]} "
            f"has {int(raw.iloc[row].notna().sum())}",
        )
    table = raw.iloc[:, :6].copy()
    table.columns = TSS_COLUMNS[:6]
    bad = _first_non_integer(table, ["position", "end"], numbers, text)
    if bad:
        raise InputFileError(path, f"columns 2 and 3 (start, end) must be integers; {bad}")
    table = table.astype({"position": "int64", "end": "int64"})
    wrong_strand = ~table["strand"].isin(["+", "-"])
    if wrong_strand.any():
        row = int(wrong_strand.to_numpy().argmax())
        raise InputFileError(
            path,
            f"column 6 (strand) must be + or -; line {numbers[row]} has {table['strand'].iloc[row]!r}",
        )
    seven = raw.shape[1] >= 7 and raw.iloc[:, 6].notna().all()
    if seven:
        table["gene_id"] = raw.iloc[:, 6].to_numpy()
    else:
        table["gene_id"] = table["transcript_id"]
        table["transcript_id"] = (
            table["gene_id"] + "@" + table["chrom"] + ":" + table["position"].astype(str)
        )
    table["score"] = pd.to_numeric(table["score"], errors="coerce").fillna(0)
    return table[TSS_COLUMNS].reset_index(drop=True)


def tss_from_gtf(path: str | Path):
    """Transcription start sites of a GTF's transcripts, one row per distinct TSS of a gene.

    The TSS of a transcript is its first base: ``start`` on the + strand, ``end - 1`` on the
    - strand (0-based). Transcripts of a gene that start at the same base share one row (the
    first transcript's id), so a gene keeps one row per alternative TSS, as the Basenji
    gene-level analyses use them (Kelley et al. 2018, Methods "Gene expression"). A GTF
    without ``transcript`` records (only ``gene`` or only ``exon`` records) gives one TSS
    per gene or per exon-assembled transcript.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`TSS_COLUMNS` (as :func:`read_tss`), sorted by chrom and position.

    Raises
    ------
    InputFileError
        When the GTF is unreadable or has neither transcript, gene nor exon records with a
        ``gene_id`` attribute.
    """
    import pandas as pd

    path = Path(path)
    records = read_gtf(path, features=["transcript", "gene", "exon"])
    if not len(records):
        raise InputFileError(path, "has no transcript, gene or exon records to take TSSs from")
    if "gene_id" not in records.columns or records["gene_id"].isna().all():
        raise InputFileError(path, "has no records with a gene_id attribute to take TSSs from")
    records = records[records["gene_id"].notna() & records["strand"].isin(["+", "-"])]
    if (records["feature"] == "transcript").any():
        units = records[records["feature"] == "transcript"]
        units = units.assign(transcript_id=units.get("transcript_id", units["gene_id"]))
    elif (records["feature"] == "exon").any() and "transcript_id" in records.columns:
        exons = records[records["feature"] == "exon"]
        units = exons.groupby("transcript_id", as_index=False).agg(
            chrom=("chrom", "first"), start=("start", "min"), end=("end", "max"),
            strand=("strand", "first"), gene_id=("gene_id", "first"),
        )  # fmt: skip
    elif (records["feature"] == "gene").any():
        units = records[records["feature"] == "gene"]
        units = units.assign(transcript_id=units["gene_id"])
    else:
        raise InputFileError(path, "has no transcript, gene or exon records to take TSSs from")
    position = units["start"].where(units["strand"] == "+", units["end"] - 1).astype("int64")
    tss = pd.DataFrame({
        "chrom": units["chrom"].astype(str).to_numpy(), "position": position.to_numpy(),
        "end": position.to_numpy() + 1, "transcript_id": units["transcript_id"].astype(str).to_numpy(),
        "score": 0, "strand": units["strand"].to_numpy(), "gene_id": units["gene_id"].astype(str).to_numpy(),
    })  # fmt: skip
    tss = tss.drop_duplicates(["gene_id", "chrom", "position", "strand"])
    return tss.sort_values(["chrom", "position", "gene_id"], kind="stable").reset_index(drop=True)
