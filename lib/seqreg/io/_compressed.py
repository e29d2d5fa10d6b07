"""Opening files that may be gzipped (plain gzip or BGZF), and one wording for the ways a
compressed file goes wrong: cut short by an interrupted copy or download, or corrupt.

Readers recognise compression by the file's first bytes, not its name, so ``calls.vcf``
that is really gzipped and ``table.txt.gz`` that was already unpacked both read.
"""

from __future__ import annotations

import zipfile
import zlib
from pathlib import Path

from ..project.errors import InputFileError

_GZIP_MAGIC = b"\x1f\x8b"


def _is_gzip(path: Path) -> bool:
    """Whether ``path`` starts with the gzip magic bytes (plain gzip or BGZF)."""
    with open(path, "rb") as handle:
        return handle.read(2) == _GZIP_MAGIC


def _is_bgzf(path: Path) -> bool:
    """Whether ``path`` is BGZF (blocked gzip, as ``bgzip`` writes and tabix indexes): a
    gzip member whose extra field holds the ``BC`` subfield."""
    with open(path, "rb") as handle:
        head = handle.read(18)
    return (
        len(head) == 18
        and head[:3] == b"\x1f\x8b\x08"
        and bool(head[3] & 4)
        and head[12:14] == b"BC"
    )


def _open_text(path: Path):
    """``path`` opened for reading text, decompressed when it is gzipped (either kind).

    Undecodable bytes are replaced rather than raised, so that a stray Latin-1 character
    in a header does not stop a reader; the data a reader checks is ASCII anyway.
    """
    import gzip

    if _is_gzip(path):
        return gzip.open(path, "rt", encoding="utf-8", errors="replace")
    return open(path, encoding="utf-8", errors="replace")


def _pandas_compression(path: Path) -> str | None:
    """The ``compression`` argument for pandas: gzip by content, else by suffix."""
    if _is_gzip(path):
        return "gzip"
    return None if path.suffix in (".gz", ".bgz") else "infer"


#: errors a compressed file raises when it is cut short or damaged
COMPRESSION_ERRORS = (EOFError, zlib.error, zipfile.BadZipFile)


def _read_error(path: str | Path, err: BaseException, what: str) -> InputFileError:
    """The error to raise when reading ``path`` failed with ``err``: a truncated or corrupt
    compressed file is said to be so (with what to do about it); anything else is
    ``is not a readable {what} (...)``."""
    import gzip

    text = str(err)
    if isinstance(err, EOFError):
        return InputFileError(path, "is truncated: its compressed data ends before the end-of-stream "
                                    "marker, as when a copy or download is interrupted; copy or "
                                    "download it again")  # fmt: skip
    if isinstance(err, zipfile.BadZipFile):
        return InputFileError(path, f"is not a complete zip (xlsx) file ({text}); it may be truncated "
                                    "or damaged: copy or download it again")  # fmt: skip
    if isinstance(err, zlib.error) or (
        isinstance(err, gzip.BadGzipFile) and not text.startswith("Not a gzipped file")
    ):
        return InputFileError(path, f"is corrupt: its compressed data does not decompress ({text}); "
                                    "copy or download it again")  # fmt: skip
    return InputFileError(path, f"is not a readable {what} ({text})")
