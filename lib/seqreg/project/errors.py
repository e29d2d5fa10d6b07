"""Exceptions raised at the boundary between the project and its input files.

Every error names the file it is about and says what is wrong, in one message, so a
user who points a notebook at their own data knows which file to fix.
"""

from __future__ import annotations

from pathlib import Path


class SeqregError(Exception):
    """Base class of the project's errors."""


class InputFileError(SeqregError):
    """An input file is missing, malformed, or disagrees with another input file."""

    def __init__(self, path: str | Path, problem: str):
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


class ManifestError(InputFileError):
    """A dataset manifest does not follow the schema (see data_manifest/README.md)."""

    def __init__(self, path: str | Path, field: str | None, problem: str):
        self.field = field
        where = f"field '{field}': " if field else ""
        super().__init__(path, where + problem)


class DownloadError(SeqregError):
    """A file could not be downloaded after all retries."""


class ChecksumMismatchError(DownloadError):
    """A downloaded or existing file does not have the checksum its manifest states."""

    def __init__(
        self, path: str | Path, url: str | None, expected: str, observed: str, removed: bool = False
    ):
        self.path = str(path)
        self.url = url
        self.expected = expected
        self.observed = observed
        source = f" (downloaded from {url})" if url else ""
        fate = "; the corrupt copy was removed" if removed else ""
        super().__init__(
            f"{self.path}{source}: checksum mismatch, expected {expected} but the file has "
            f"{observed}{fate}"
        )
