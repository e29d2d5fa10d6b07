"""ChromDragoNN's inputs (Nair, Kim, Perricone & Kundaje 2019): binary accessibility of bins
across cell types and the TF expression of each cell type, in the layouts the authors
publish.

- Labels as a gzipped TSV ``chr start end cell1 .. cellN`` of 0/1, one row per bin, all bins
  of one width (the input of ChromDragoNN's ``make_accessibility_joblib.py``):
  :func:`read_label_tsv`, :func:`write_label_tsv`.
- Labels as the released per-chromosome ``dnase.chr*.packbit.joblib`` dictionaries
  (``features`` packed one-hot, ``labels`` packed bits, ``label_metadata``,
  ``example_metadata`` ``"chr:start-end"``, ``num_cell_types``): :func:`read_packbit_joblib`.
- TF expression as a TSV of genes (rows) by cell types (columns), or the released
  ``rna_quants_1630tf.joblib`` (``rna_quants`` cells x genes, ``genes``, ``tasks``), in
  arcsinh(TPM): :func:`read_expression`.
- :func:`align_expression` checks that every labelled cell type has expression.

Used by notebooks 11 and 12.
"""

from __future__ import annotations

import gzip
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..project.errors import InputFileError
from ..project.files import write_gzip_text

#: accepted names of the first three columns of a label TSV
COORDINATE_NAMES = (("chr", "chrom", "chromosome", "#chr", "#chrom"), ("start",), ("end", "stop"))


@dataclass
class LabelMatrix:
    """Binary accessibility of bins (rows) in cell types (columns).

    Attributes
    ----------
    bins
        ``chrom``, ``start``, ``end`` (0-based, half-open), one row per bin.
    labels
        ``(n_bins, n_cell_types)`` uint8 of 0/1.
    cell_types
        Column names of ``labels``.
    path
        The file they were read from (for messages).
    """

    bins: pd.DataFrame
    labels: np.ndarray
    cell_types: list[str]
    path: Path | None = None

    @property
    def bin_bp(self) -> int:
        """Width of the bins in bases."""
        return int(self.bins["end"].iloc[0] - self.bins["start"].iloc[0])

    def subset(self, cell_types: Sequence[str]) -> LabelMatrix:
        """The same bins, only ``cell_types`` (in that order).

        Raises
        ------
        KeyError
            Naming a cell type the matrix lacks.
        """
        index = {c: i for i, c in enumerate(self.cell_types)}
        missing = [c for c in cell_types if c not in index]
        if missing:
            raise KeyError(f"cell type {missing[0]!r} is not in the label matrix")
        columns = [index[c] for c in cell_types]
        return LabelMatrix(self.bins, self.labels[:, columns], list(cell_types), self.path)


def _check_bins(bins: pd.DataFrame, path: Path) -> None:
    widths = (bins["end"] - bins["start"]).to_numpy()
    if len(widths) == 0:
        raise InputFileError(path, "has no bins")
    if (widths <= 0).any():
        row = int(np.flatnonzero(widths <= 0)[0])
        raise InputFileError(
            path, f"bin {row + 1} ends before it starts ({bins.iloc[row].tolist()})"
        )
    if (widths != widths[0]).any():
        row = int(np.flatnonzero(widths != widths[0])[0])
        raise InputFileError(
            path,
            f"bins must all have one width (ChromDragoNN's inputs do): the first is "
            f"{int(widths[0])} bp, bin {row + 1} is {int(widths[row])} bp",
        )


def _shown(value) -> str:
    """A cell's value as the file spells it (numbers without numpy's repr)."""
    return (
        repr(value.item()) if hasattr(value, "item") and not isinstance(value, str) else repr(value)
    )


def read_label_tsv(path: str | Path) -> LabelMatrix:
    """Read a ChromDragoNN label TSV (plain or gzipped).

    Parameters
    ----------
    path
        Header ``chr start end <cell types...>``, then one row per bin of 0/1 values.

    Returns
    -------
    LabelMatrix

    Raises
    ------
    InputFileError
        Naming the file: missing, no header of coordinates and at least one cell type,
        repeated cell types, values other than 0/1 (naming the cell type and row), or bins
        of differing widths.
    """
    path = Path(path)
    if not path.exists():
        raise InputFileError(path, "no such label file")
    try:
        table = pd.read_csv(path, sep="\t", dtype={0: str}, low_memory=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, OSError,
            EOFError, gzip.BadGzipFile) as error:  # fmt: skip
        raise InputFileError(path, f"is not a readable label TSV ({error})") from None
    columns = list(table.columns)
    if len(columns) < 4 or any(
        str(c).lower() not in names for c, names in zip(columns[:3], COORDINATE_NAMES, strict=False)
    ):
        raise InputFileError(
            path,
            f"needs a header 'chr start end <cell types...>' with at least one cell type; "
            f"found {columns[:5]}",
        )
    cell_types = [str(c) for c in columns[3:]]
    repeated = sorted({c for c in cell_types if cell_types.count(c) > 1})
    if repeated:
        raise InputFileError(path, f"names cell type {repeated[0]!r} more than once")
    bins = table.iloc[:, :3].copy()
    bins.columns = ["chrom", "start", "end"]
    for column in ("start", "end"):
        values = pd.to_numeric(bins[column], errors="coerce")
        if values.isna().any():
            row = int(np.flatnonzero(values.isna().to_numpy())[0])
            raise InputFileError(
                path, f"row {row + 2}: {column} {bins[column].iloc[row]!r} is not an integer"
            )
        bins[column] = values.astype(np.int64)
    _check_bins(bins, path)
    values = table.iloc[:, 3:].apply(pd.to_numeric, errors="coerce").to_numpy()
    bad = ~np.isin(values, (0, 1))
    if bad.any():
        row, column = (int(i[0]) for i in np.nonzero(bad))
        raise InputFileError(
            path,
            f"labels must be 0 or 1; cell type {cell_types[column]!r} has "
            f"{_shown(table.iloc[row, column + 3])} at row {row + 2}",
        )
    return LabelMatrix(bins.reset_index(drop=True), values.astype(np.uint8), cell_types, path)


def write_label_tsv(path: str | Path, bins: pd.DataFrame, labels: np.ndarray,
                    cell_types: Sequence[str]) -> Path:  # fmt: skip
    """Write a gzipped label TSV atomically and byte-reproducibly (``chr start end <cell
    types...>``)."""
    labels = np.asarray(labels, dtype=np.uint8)
    frame = pd.DataFrame(labels, columns=list(cell_types))
    frame.insert(0, "end", bins["end"].to_numpy())
    frame.insert(0, "start", bins["start"].to_numpy())
    frame.insert(0, "chr", bins["chrom"].to_numpy())
    return write_gzip_text(path, frame.to_csv(sep="\t", index=False))  # no timestamp: reproducible


def read_packbit_joblib(path: str | Path, with_sequences: bool = False):
    """One chromosome of ChromDragoNN's released labels (``dnase.chrN.packbit.joblib``).

    Returns
    -------
    LabelMatrix, or (LabelMatrix, numpy.ndarray)
        With ``with_sequences``, also the ``(n_bins, length, 4)`` uint8 one-hot inputs
        unpacked from ``features`` (all-zero rows for N).

    Raises
    ------
    InputFileError
        When the file is missing, not a joblib dictionary, or lacks a key the release has.
    """
    import joblib

    path = Path(path)
    if not path.exists():
        raise InputFileError(path, "no such joblib file")
    try:
        data = joblib.load(path)
    except Exception as error:  # joblib raises many kinds for a foreign file
        raise InputFileError(
            path, f"is not a readable joblib file ({type(error).__name__}: {error})"
        ) from None
    needed = ("labels", "label_metadata", "example_metadata", "num_cell_types")
    if not isinstance(data, dict) or any(k not in data for k in needed):
        raise InputFileError(
            path, f"is not a ChromDragoNN packbit dictionary (keys {', '.join(needed)})"
        )
    n_cells = int(data["num_cell_types"])
    labels = np.unpackbits(np.asarray(data["labels"], dtype=np.uint8), axis=1)[:, :n_cells]
    coords = pd.Series([str(m) for m in data["example_metadata"]]).str.extract(
        r"^(?P<chrom>[^:]+):(?P<start>\d+)-(?P<end>\d+)$"
    )
    if coords.isna().any().any():
        raise InputFileError(path, "example_metadata must read 'chr:start-end'")
    bins = coords.astype({"start": np.int64, "end": np.int64})
    _check_bins(bins, path)
    matrix = LabelMatrix(
        bins, labels.astype(np.uint8), [str(c) for c in data["label_metadata"]], path
    )
    if not with_sequences:
        return matrix
    packed = np.asarray(data["features"], dtype=np.uint8)
    one_hot = np.unpackbits(packed, axis=-1)[..., :4]
    return matrix, one_hot


def read_expression(path: str | Path) -> pd.DataFrame:
    """TF expression per cell type: rows cell types, columns genes (arcsinh(TPM)).

    Parameters
    ----------
    path
        A TSV of genes (rows, first column their names) by cell types (columns), or a
        ``.joblib`` dictionary ``{"rna_quants": (cells, genes), "genes", "tasks"}``.

    Raises
    ------
    InputFileError
        Naming the file: missing, unreadable, repeated names, or non-finite values
        (naming the gene and cell type).
    """
    path = Path(path)
    if not path.exists():
        raise InputFileError(path, "no such expression file")
    if path.suffix == ".joblib":
        import joblib

        try:
            data = joblib.load(path)
            table = pd.DataFrame(
                np.asarray(data["rna_quants"], dtype=np.float64),
                index=[str(t) for t in data["tasks"]],
                columns=[str(g) for g in data["genes"]],
            )
        except Exception as error:
            raise InputFileError(
                path, f"is not an expression joblib with rna_quants, genes and tasks ({error})"
            ) from None
    else:
        try:
            table = pd.read_csv(path, sep="\t", index_col=0)
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
            raise InputFileError(path, f"is not a readable expression TSV ({error})") from None
        if table.shape[1] == 0:
            raise InputFileError(
                path, "needs genes as rows and cell types as columns (tab-separated)"
            )
        table = table.apply(pd.to_numeric, errors="coerce").T
        table.index = [str(c) for c in table.index]
        table.columns = [str(g) for g in table.columns]
    for axis, what in ((table.index, "cell type"), (table.columns, "gene")):
        repeated = axis[axis.duplicated()]
        if len(repeated):
            raise InputFileError(path, f"names {what} {repeated[0]!r} more than once")
    bad = ~np.isfinite(table.to_numpy())
    if bad.any():
        row, column = (int(i[0]) for i in np.nonzero(bad))
        raise InputFileError(
            path,
            f"gene {table.columns[column]!r} has no finite value in cell type {table.index[row]!r}",
        )
    return table


def align_expression(labels: LabelMatrix, expression: pd.DataFrame,
                     expression_path: str | Path) -> pd.DataFrame:  # fmt: skip
    """Expression rows in the label matrix's cell-type order (RNA-only cell types dropped).

    Raises
    ------
    InputFileError
        When a labelled cell type has no expression, naming both files and the cell types.
    """
    missing = [c for c in labels.cell_types if c not in expression.index]
    if missing:
        shown = ", ".join(missing[:5]) + (
            f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        )
        raise InputFileError(
            expression_path,
            f"has no expression for {len(missing)} cell type(s) of the label matrix "
            f"{labels.path}: {shown} (the expression table's cell types: "
            f"{', '.join(map(str, expression.index[:5]))}"
            f"{', ...' if len(expression) > 5 else ''})",
        )
    return expression.loc[labels.cell_types]


def panel_entries(manifest):
    """The manifest entries of a ChromDragoNN cell-type panel: ``(labels, expression,
    cell_types)``.

    Each is the file with id ``chromdragonn_labels`` (role ``accessibility_labels``),
    ``chromdragonn_expression`` (role ``tf_expression``) or ``chromdragonn_cell_types``
    (role ``sample_table``), or else the only file of that role; the cell-type table is
    optional (``None`` without one).

    Raises
    ------
    KeyError
        When labels or expression are missing, or several files of the role leave it
        ambiguous, naming the manifest and the ids found.
    """

    def pick(file_id: str, role: str, required: bool):
        entries = manifest.files_with_role(role)
        named = [e for e in entries if e.id == file_id]
        if named or len(entries) == 1:
            return (named or entries)[0]
        if not required and not entries:
            return None
        raise KeyError(
            f"{manifest.source}: name the file {file_id!r} (role {role}); found "
            f"{', '.join(e.id for e in entries) or 'none'}"
        )

    return (
        pick("chromdragonn_labels", "accessibility_labels", True),
        pick("chromdragonn_expression", "tf_expression", True),
        pick("chromdragonn_cell_types", "sample_table", False),
    )
