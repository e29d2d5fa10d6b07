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
import re
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
        Attempts after the first one, for dropped connections and 5xx/429 answers. An
        attempt that carries the file past the furthest byte reached so far starts the
        count again; one that gets no further (a server that ignores ``Range`` and cuts
        every transfer at the same byte) spends it.
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
    # furthest byte of the file held so far (in this call or a partial file of an earlier
    # one): only bytes beyond it count as progress
    furthest = part.stat().st_size if part.exists() and _read_meta(part, url) else 0
    with requests.Session() as session:
        while True:
            try:
                complete = _fetch_into(session, url, part, timeout, chunk_size, progress, dest.name)
                if not complete and size is not None and part.stat().st_size < size:
                    held = part.stat().st_size
                    raise _BrokenTransfer(f"{held} of {size} bytes so far", held)
                if not complete and checksum in (None, "unknown") and size is None:
                    part.unlink(missing_ok=True)
                    raise DownloadError(
                        f"{url}: the server did not say how long the file is, and the manifest "
                        f"gives neither checksum nor size, so completeness cannot be checked; "
                        f"add 'size' or a checksum for {dest.name}"
                    )
            except _FatalHTTPError as err:
                kept = f"; the partial file {part} is kept" if part.exists() else ""
                raise DownloadError(f"{url}: {err} (nothing written to {dest}{kept})") from None
            except (requests.RequestException, _IncompleteError, OSError) as err:
                reached = getattr(err, "reached", None)
                if reached is not None and reached > furthest:
                    furthest = reached
                    failures = 0  # the transfer moves forward: drops are not failures
                failures += 1
                if failures > retries:
                    kept = (
                        f"; the partial file {part} is kept so a rerun resumes it"
                        if part.exists()
                        else ""
                    )
                    stuck = (
                        f"; no attempt got past byte {furthest}"
                        if reached is not None and furthest and failures > 1
                        else ""
                    )
                    raise DownloadError(
                        f"{url}: download of {dest} failed after {failures} attempts "
                        f"({err}){stuck}{kept}"
                    ) from err
                wait = min(
                    max(backoff * 2 ** (failures - 1), getattr(err, "retry_after", 0.0)), 60.0
                )
                log.warning("%s: %s; retrying in %.1f s (%d/%d)", url, err, wait, failures, retries)
                time.sleep(wait)
                continue
            try:
                observed = verify_file(part, checksum, size, url)
            except ChecksumMismatchError as err:
                _discard(part)
                if restarted_after_mismatch:
                    raise ChecksumMismatchError(
                        dest, url, err.expected, err.observed, removed=True
                    ) from None
                # A resumed transfer can glue bytes of two versions of a file: start over once.
                restarted_after_mismatch = True
                log.warning("%s: %s; downloading again from the start", url, err)
                continue
            part.replace(dest)
            _meta_path(part).unlink(missing_ok=True)
            return observed


class _FatalHTTPError(Exception):
    """A status that retrying will not fix (404, 403, ...)."""


class _IncompleteError(Exception):
    """The transfer stopped early or must start again; retrying helps."""

    retry_after = 0.0
    #: the byte of the file the attempt got to (None when no body was read)
    reached: int | None = None


class _BrokenTransfer(_IncompleteError):
    """The connection dropped or closed after the transfer had started."""

    def __init__(self, message: str, reached: int):
        super().__init__(message)
        self.reached = reached


def _meta_path(part: Path) -> Path:
    return part.with_name(part.name + ".json")


def _discard(part: Path) -> None:
    part.unlink(missing_ok=True)
    _meta_path(part).unlink(missing_ok=True)


def _read_meta(part: Path, url: str) -> dict:
    """What the server said about the file a partial download belongs to."""
    import json

    try:
        meta = json.loads(_meta_path(part).read_text())
    except (OSError, ValueError):
        return {}
    return meta if meta.get("url") == url else {}


def _write_meta(part: Path, url: str, response, total: int | None) -> None:
    from .files import write_json

    write_json(
        _meta_path(part),
        {
            "url": url,
            "total": total,
            "etag": response.headers.get("ETag"),
            "last_modified": response.headers.get("Last-Modified"),
        },
    )


def _fetch_into(
    session, url: str, part: Path, timeout: float, chunk_size: int, progress: bool, label: str
) -> bool:
    """One attempt: append the rest of ``url`` to ``part`` (or rewrite it from the start).

    Returns whether the server announced the total length (so completeness is known).
    A partial file is resumed only when the server still serves the same file: the
    request carries ``If-Range`` with the validator saved at the first attempt, and the
    announced total must match, otherwise the download starts again from zero.
    """
    meta = _read_meta(part, url) if part.exists() else {}
    if part.exists() and not meta:
        _discard(part)  # a partial file of unknown origin cannot be trusted
    offset = part.stat().st_size if part.exists() else 0
    # identity: the bytes on disk must be the bytes of the file, not a decoded stream
    headers = {"Accept-Encoding": "identity"}
    if offset:
        headers["Range"] = f"bytes={offset}-"
        validator = meta.get("etag") or meta.get("last_modified")
        if validator:
            headers["If-Range"] = validator
    with session.get(url, headers=headers, stream=True, timeout=timeout) as response:
        status = response.status_code
        if status == 416 and offset:
            _, total = _parse_content_range(response.headers.get("Content-Range", ""))
            if total is not None and total == offset and meta.get("total") in (None, total):
                return True  # the partial file already holds every byte
            _discard(part)
            raise _IncompleteError(f"server refused to resume at byte {offset}; starting again")
        if status in _RETRIABLE_STATUS:
            error = _IncompleteError(f"server answered HTTP {status}")
            retry_after = response.headers.get("Retry-After", "")
            error.retry_after = float(retry_after) if retry_after.isdigit() else 0.0
            raise error
        if status >= 400:
            raise _FatalHTTPError(f"server answered HTTP {status} {response.reason}")
        if status == 206:
            start, total = _parse_content_range(response.headers.get("Content-Range", ""))
            if start != offset or (meta.get("total") is not None and total != meta["total"]):
                _discard(part)
                raise _IncompleteError("server resumed a different range or file; starting again")
            mode = "ab"
        else:
            # 200: the server ignored Range, or the file changed (If-Range): start over.
            offset, mode = 0, "wb"
            length = response.headers.get("Content-Length")
            total = int(length) if length is not None else None
            _write_meta(part, url, response, total)
        written = offset
        with open(part, mode) as handle, _progress(total, offset, label, progress) as bar:
            try:
                for chunk in response.raw.stream(chunk_size, decode_content=False):
                    handle.write(chunk)
                    written += len(chunk)
                    bar.update(len(chunk))
            except Exception as err:  # urllib3 and socket errors alike: a broken transfer
                raise _BrokenTransfer(
                    f"connection broken after {written} bytes ({err})", written
                ) from err
        if total is not None and written < total:
            raise _BrokenTransfer(f"connection closed after {written} of {total} bytes", written)
        return total is not None


def _parse_content_range(value: str) -> tuple[int | None, int | None]:
    """``"bytes 100-999/1000"`` -> (100, 1000); ``"bytes */1000"`` -> (None, 1000)."""
    match = re.fullmatch(r"\s*bytes\s+(?:(\d+)-\d+|\*)/(\d+|\*)\s*", value)
    if match is None:
        raise _IncompleteError(f"unreadable Content-Range header {value!r}")
    start, total = match.groups()
    return (int(start) if start else None), (None if total == "*" else int(total))


def _progress(total: int | None, initial: int, label: str, enabled: bool):
    from .progress import progress_bar as tqdm

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
        raise ChecksumMismatchError(dest, url, err.expected, err.observed, removed=True) from None
    part.replace(dest)
    return observed
