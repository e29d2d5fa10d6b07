"""Verified, resumable downloads.

:func:`download` fetches one URL to one path. It resumes an interrupted transfer with an
HTTP ``Range`` request, restarts from zero when the server ignores ``Range``, retries
dropped connections and server errors with exponential backoff, shows a progress bar,
and checks size and checksum before the file appears at its final path. A partial
transfer lives beside the destination as ``<name>.part`` until it is verified, so the
final path never holds a partial or corrupt file.
"""

from __future__ import annotations

import hashlib
import logging
import time
from pathlib import Path

from .errors import ChecksumMismatchError, DownloadError

log = logging.getLogger(__name__)

_RETRIABLE_STATUS = {408, 425, 429, 500, 502, 503, 504}


def file_checksum(path: str | Path, algorithm: str = "sha256", chunk_size: int = 1 << 22) -> str:
    """Checksum of a file as ``"<algorithm>:<hex>"`` (``sha256`` or ``md5``)."""
    digest = hashlib.new(algorithm)
    with open(path, "rb") as handle:
        while chunk := handle.read(chunk_size):
            digest.update(chunk)
    return f"{algorithm}:{digest.hexdigest()}"


def verify_file(
    path: str | Path, checksum: str | None, size: int | None = None, url: str | None = None
) -> str:
    """Check ``path`` against an expected size and ``"<algorithm>:<hex>"`` checksum.

    Parameters
    ----------
    path
        File to check.
    checksum
        Expected checksum; ``None`` or ``"unknown"`` computes a sha256 without comparing.
    size
        Expected size in bytes, or ``None``.
    url
        Source of the file, named in the error message.

    Returns
    -------
    str
        The observed checksum, in the algorithm of ``checksum`` (sha256 when unknown).

    Raises
    ------
    ChecksumMismatchError
        When size or checksum differ. The file is left in place; callers decide.
    """
    path = Path(path)
    if size is not None and path.stat().st_size != size:
        raise ChecksumMismatchError(path, url, f"{size} bytes", f"{path.stat().st_size} bytes")
    known = checksum not in (None, "unknown")
    algorithm = checksum.split(":", 1)[0] if known else "sha256"
    observed = file_checksum(path, algorithm)
    if known and observed != checksum:
        raise ChecksumMismatchError(path, url, checksum, observed)
    return observed


def download(
    url: str,
    dest: str | Path,
    checksum: str | None = None,
    size: int | None = None,
    *,
    retries: int = 5,
    backoff: float = 2.0,
    timeout: float = 60.0,
    chunk_size: int = 1 << 20,
    progress: bool = True,
) -> str:
    """Download ``url`` to ``dest``, resuming and verifying; return the file's checksum.

    Parameters
    ----------
    url
        ``http(s)://`` or ``file://`` address.
    dest
        Final path. Written only once the whole file has passed the checks.
    checksum
        ``"sha256:<hex>"`` or ``"md5:<hex>"``; ``None``/``"unknown"`` skips the comparison
        and returns the sha256 so the caller can record it.
    size
        Expected size in bytes (also checked), or ``None``.
    retries
        Attempts after the first one, for dropped connections and 5xx/429 answers.
    backoff
        Seconds before the first retry; doubled after each (capped at 60 s).
    timeout
        Seconds to wait for the server to connect or send more bytes.
    progress
        Show a tqdm progress bar.

    Raises
    ------
    ChecksumMismatchError
        When the complete file still does not match after one fresh restart; no file is
        left at ``dest`` or at the partial path.
    DownloadError
        When the server refuses (4xx) or every attempt fails.
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    if url.startswith("file://"):
        return _copy_local(url, dest, part, checksum, size)

    import requests

    restarted_after_mismatch = False
    failures = 0
    with requests.Session() as session:
        while True:
            try:
                _fetch_into(session, url, part, timeout, chunk_size, progress, dest.name)
            except _FatalHTTPError as err:
                part.unlink(missing_ok=True)
                raise DownloadError(f"{url}: {err} (nothing written to {dest})") from None
            except (requests.RequestException, _IncompleteError, OSError) as err:
                failures += 1
                if failures > retries:
                    raise DownloadError(
                        f"{url}: download failed after {failures} attempts ({err}); the "
                        f"partial file {part} is kept so a rerun resumes it"
                    ) from err
                wait = min(backoff * 2 ** (failures - 1), 60.0)
                log.warning("%s: %s; retrying in %.1f s (%d/%d)", url, err, wait, failures, retries)
                time.sleep(wait)
                continue
            try:
                observed = verify_file(part, checksum, size, url)
            except ChecksumMismatchError as err:
                part.unlink(missing_ok=True)
                if restarted_after_mismatch:
                    raise ChecksumMismatchError(dest, url, err.expected, err.observed) from None
                # A resumed transfer can glue bytes of two versions of a file: start over once.
                restarted_after_mismatch = True
                log.warning("%s: %s; downloading again from the start", url, err)
                continue
            part.replace(dest)
            return observed


class _FatalHTTPError(Exception):
    """A status that retrying will not fix (404, 403, ...)."""


class _IncompleteError(Exception):
    """The connection closed before the announced number of bytes arrived."""


def _fetch_into(
    session, url: str, part: Path, timeout: float, chunk_size: int, progress: bool, label: str
) -> None:
    """One attempt: append the rest of ``url`` to ``part`` (or rewrite it from the start)."""
    offset = part.stat().st_size if part.exists() else 0
    headers = {"Range": f"bytes={offset}-"} if offset else {}
    with session.get(url, headers=headers, stream=True, timeout=timeout) as response:
        status = response.status_code
        if status == 416 and offset:
            # The partial file already holds every byte (or more): let the checks decide.
            return
        if status in _RETRIABLE_STATUS:
            raise _IncompleteError(f"server answered HTTP {status}")
        if status >= 400:
            raise _FatalHTTPError(f"server answered HTTP {status} {response.reason}")
        if status == 206:
            start, total = _parse_content_range(response.headers.get("Content-Range", ""))
            if start != offset:
                raise _IncompleteError(f"server resumed at byte {start}, asked for {offset}")
            mode = "ab"
        else:
            # 200: the server ignored Range (or there was nothing to resume): start over.
            offset, mode = 0, "wb"
            length = response.headers.get("Content-Length")
            total = int(length) if length is not None else None
        written = offset
        with open(part, mode) as handle, _progress(total, offset, label, progress) as bar:
            for chunk in response.iter_content(chunk_size=chunk_size):
                handle.write(chunk)
                written += len(chunk)
                bar.update(len(chunk))
        if total is not None and written < total:
            raise _IncompleteError(f"connection closed after {written} of {total} bytes")


def _parse_content_range(value: str) -> tuple[int, int | None]:
    # "bytes 100-999/1000" or "bytes 100-999/*"
    try:
        _unit, rest = value.split(" ", 1)
        span, total = rest.split("/")
        start = int(span.split("-")[0])
        return start, (None if total == "*" else int(total))
    except ValueError:
        raise _IncompleteError(f"unreadable Content-Range header {value!r}") from None


def _progress(total: int | None, initial: int, label: str, enabled: bool):
    from tqdm.auto import tqdm

    return tqdm(
        total=total, initial=initial, unit="B", unit_scale=True, unit_divisor=1024,
        desc=label, disable=not enabled, leave=False,
    )  # fmt: skip


def _copy_local(url: str, dest: Path, part: Path, checksum: str | None, size: int | None) -> str:
    import shutil
    from urllib.parse import unquote, urlparse

    source = Path(unquote(urlparse(url).path))
    if not source.is_file():
        raise DownloadError(f"{url}: no such file")
    shutil.copyfile(source, part)
    try:
        observed = verify_file(part, checksum, size, url)
    except ChecksumMismatchError as err:
        part.unlink(missing_ok=True)
        raise ChecksumMismatchError(dest, url, err.expected, err.observed) from None
    part.replace(dest)
    return observed
