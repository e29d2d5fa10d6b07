"""Atomic outputs and run fingerprints.

Files and directories appear complete at their final path or not at all
(:func:`atomic_path`, :func:`replace_dir`); :func:`fingerprint` identifies the inputs of a
run (settings, weights, tables, source files) so that a rerun can tell whether its
earlier output is still current.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

_UMASK = os.umask(0)  # read the process umask (the only way), then put it back
os.umask(_UMASK)


@contextlib.contextmanager
def atomic_path(path: str | Path, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` on success.

    On an exception the temporary file is removed and ``path`` is left untouched.

    Parameters
    ----------
    path
        Final destination.
    suffix
        Suffix of the temporary file. Defaults to the final suffix, so writers that
        infer the format from the extension (matplotlib) still work; the leading dot
        keeps the temporary file hidden from globs of finished outputs.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(
        prefix=f".{path.stem}.", suffix=path.suffix if suffix is None else suffix, dir=path.parent
    )
    os.close(fd)
    tmp = Path(tmp_name)
    os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp creates 0600; finished files get the usual mode
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_text(path: str | Path, text: str) -> Path:
    """Write ``text`` to ``path`` atomically and return the path."""
    with atomic_path(path) as tmp:
        tmp.write_text(text)
    return Path(path)


def write_gzip_text(path: str | Path, text: str) -> Path:
    """Write ``text`` gzip-compressed to ``path`` atomically, reproducibly (no timestamp)."""
    import gzip

    with (
        atomic_path(path) as tmp,
        open(tmp, "wb") as raw,
        gzip.GzipFile(filename="", fileobj=raw, mode="wb", mtime=0, compresslevel=6) as handle,
    ):
        handle.write(text.encode())
    return Path(path)


def write_json(path: str | Path, obj: Any) -> Path:
    """Write ``obj`` as indented, strict JSON atomically (NumPy scalars and arrays allowed).

    NaN and infinite floats become ``null``: Python's ``NaN`` token is not JSON, and strict
    parsers (``jq``, JavaScript, R's jsonlite) reject a file holding it.
    """
    text = json.dumps(_finite(obj), indent=2, sort_keys=True, allow_nan=False)
    return write_text(path, text + "\n")


def _finite(value: Any) -> Any:
    """``value`` with NumPy converted and non-finite floats replaced by ``None``."""
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(item) for item in value]
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, (str, int, bool)) or value is None:
        return value
    return _finite(_json_default(value))


def _json_default(value: Any) -> Any:
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def replace_dir(staging: str | Path, final: str | Path, old: str | Path | None = None) -> Path:
    """Swap the complete directory ``staging`` in at ``final`` by renames.

    The previous ``final`` is renamed to ``old`` (default ``<final>.old``) first and removed
    last, so a kill at any moment leaves ``final`` or ``old`` complete; readers that find
    no ``final`` may fall back on ``old``.

    Returns
    -------
    Path
        ``final``.
    """
    import shutil

    staging, final = Path(staging), Path(final)
    old = Path(old) if old is not None else final.with_name(f"{final.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    if final.exists():
        final.rename(old)
    staging.rename(final)
    shutil.rmtree(old, ignore_errors=True)
    return final


def fingerprint(*parts: Any) -> str:
    """SHA-256 hex digest identifying ``parts``, in order.

    ``bytes`` are hashed as they are, a ``Path`` by its name and contents, anything else
    as canonical JSON (sorted keys; NumPy and paths as in :func:`write_json`), so equal
    settings give equal fingerprints across runs and machines.
    """
    import hashlib

    digest = hashlib.sha256()
    for part in parts:
        if isinstance(part, bytes):
            data = part
        elif isinstance(part, Path):
            data = part.name.encode() + b"\0" + part.read_bytes()
        else:
            data = json.dumps(part, sort_keys=True, default=_json_default).encode()
        digest.update(len(data).to_bytes(8, "little"))
        digest.update(data)
    return digest.hexdigest()
