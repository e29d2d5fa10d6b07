"""The downloader against real HTTP servers on 127.0.0.1 that misbehave on purpose."""

from __future__ import annotations

import gzip
import hashlib
import http.server
import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from seqreg.project import ChecksumMismatchError, DownloadError, download, file_checksum

PAYLOAD = bytes(range(256)) * 4096  # 1 MiB, every byte value
SHA256 = "sha256:" + hashlib.sha256(PAYLOAD).hexdigest()
MD5 = "md5:" + hashlib.md5(PAYLOAD).hexdigest()
CHANGED = bytes(reversed(PAYLOAD))  # a new release of the file, same length
GZIPPED = gzip.compress(PAYLOAD, mtime=0)
FAST = {"backoff": 0.01, "progress": False, "chunk_size": 64 * 1024}
MAX_STUCK = 30  # requests the "stuck" server answers before it says 404


class Server:
    """Serves PAYLOAD at /file and records each request's Range header and bytes sent.

    mode:
      normal   honours Range with 206 answers
      drop     the first answer stops after half the bytes and closes the connection
      wrong    serves other bytes of the same length
      norange  ignores Range (always 200 with the whole file); first answer dropped
      flaky    answers 503 twice, then normally
      missing  answers 404
      changed  sends an ETag; after the first (dropped) answer the file changes
      badstart the first resume answers 206 from the wrong byte
      gzip     sends the bytes with Content-Encoding: gzip (they must be saved as sent)
      nolength no Content-Length; the first answer stops halfway
      stuck    ignores Range and cuts every answer at the same byte (half the file); after
               MAX_STUCK requests it answers 404, so a downloader that never gives up ends
      trickle  honours Range, but every answer stops after an eighth of the file
    """

    def __init__(self, mode: str):
        self.mode = mode
        self.ranges: list[str | None] = []
        self.if_range: list[str | None] = []
        self.statuses: list[int] = []
        self.bytes_sent = 0
        self.lock = threading.Lock()

    def handler(self):
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # keep test output quiet
                pass

            def do_GET(self):
                with server.lock:
                    server.ranges.append(self.headers.get("Range"))
                    attempt = len(server.ranges)
                mode = server.mode
                if mode == "missing" or (mode == "stuck" and attempt > MAX_STUCK):
                    return self._status(404)
                if mode == "flaky" and attempt <= 2:
                    return self._status(503)
                body = PAYLOAD if mode != "wrong" else bytes(reversed(PAYLOAD))
                etag = None
                if mode == "changed":
                    etag = '"v1"' if attempt == 1 else '"v2"'
                    body = PAYLOAD if attempt == 1 else CHANGED
                server.if_range.append(self.headers.get("If-Range"))
                start = 0
                match = re.match(r"bytes=(\d+)-$", self.headers.get("Range") or "")
                fresh = etag is not None and self.headers.get("If-Range") not in (None, etag)
                if match and mode not in ("norange", "nolength", "stuck") and not fresh:
                    start = int(match.group(1))
                    if start >= len(body):
                        self.send_response(416)
                        self.send_header("Content-Range", f"bytes */{len(body)}")
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        server.statuses.append(416)
                        return
                    served_from = start - 10 if mode == "badstart" and attempt == 2 else start
                    self.send_response(206)
                    self.send_header(
                        "Content-Range", f"bytes {served_from}-{len(body) - 1}/{len(body)}"
                    )
                    server.statuses.append(206)
                    start = served_from
                else:
                    self.send_response(200)
                    server.statuses.append(200)
                if etag:
                    self.send_header("ETag", etag)
                if mode == "gzip":
                    self.send_header("Content-Encoding", "gzip")
                    body = GZIPPED
                if mode == "nolength":
                    self.close_connection = True
                else:
                    self.send_header("Content-Length", str(len(body) - start))
                ranges = "none" if mode in ("norange", "stuck") else "bytes"
                self.send_header("Accept-Ranges", ranges)
                self.end_headers()
                payload = body[start:]
                cut = None
                if mode in ("drop", "norange", "changed", "badstart", "nolength") and attempt == 1:
                    cut = len(payload) // 2
                elif mode == "stuck":
                    cut = len(body) // 2
                elif mode == "trickle" and len(payload) > len(body) // 8:
                    cut = len(body) // 8
                if cut is not None:
                    payload = payload[:cut]
                    self._send(payload)
                    self.close_connection = True
                    self.connection.shutdown(2)  # the peer sees a truncated body
                    return
                self._send(payload)

            def _send(self, payload: bytes):
                self.wfile.write(payload)
                self.wfile.flush()
                with server.lock:
                    server.bytes_sent += len(payload)

            def _status(self, code: int):
                server.statuses.append(code)
                self.send_response(code)
                self.send_header("Content-Length", "0")
                self.end_headers()

        return Handler


@contextmanager
def serve(mode: str) -> Iterator[tuple[str, Server]]:
    state = Server(mode)
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), state.handler())
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/file", state
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_normal_download_verifies_and_returns_checksum(tmp_path):
    dest = tmp_path / "sub" / "file.bin"
    with serve("normal") as (url, server):
        observed = download(url, dest, SHA256, size=len(PAYLOAD), **FAST)
    assert dest.read_bytes() == PAYLOAD
    assert observed == SHA256
    assert server.ranges == [None]
    assert not (tmp_path / "sub" / "file.bin.part").exists()


def test_md5_checksums_are_accepted(tmp_path):
    with serve("normal") as (url, _):
        assert download(url, tmp_path / "f", MD5, **FAST) == MD5


def test_dropped_connection_resumes_with_range(tmp_path):
    dest = tmp_path / "file.bin"
    with serve("drop") as (url, server):
        download(url, dest, SHA256, **FAST)
    assert dest.read_bytes() == PAYLOAD
    assert server.ranges[0] is None
    # the retry asked only for the missing second half, and got it as a 206
    assert server.ranges[1] == f"bytes={len(PAYLOAD) // 2}-"
    assert server.statuses[-1] == 206
    assert server.bytes_sent == len(PAYLOAD)


def test_server_ignoring_range_restarts_from_zero(tmp_path):
    dest = tmp_path / "file.bin"
    with serve("norange") as (url, server):
        download(url, dest, SHA256, **FAST)
    assert dest.read_bytes() == PAYLOAD  # not the first half followed by the whole file
    assert server.ranges[1] == f"bytes={len(PAYLOAD) // 2}-"
    assert server.statuses == [200, 200]


def test_wrong_bytes_raise_and_leave_nothing(tmp_path):
    dest = tmp_path / "file.bin"
    with serve("wrong") as (url, server), pytest.raises(ChecksumMismatchError) as caught:
        download(url, dest, SHA256, **FAST)
    assert not dest.exists()
    assert not (tmp_path / "file.bin.part").exists()
    assert str(dest) in str(caught.value) and url in str(caught.value)
    assert caught.value.expected == SHA256
    assert len(server.ranges) == 2  # one fresh restart, then give up


def test_wrong_size_is_a_mismatch(tmp_path):
    with serve("normal") as (url, _), pytest.raises(ChecksumMismatchError, match="bytes"):
        download(url, tmp_path / "f", SHA256, size=len(PAYLOAD) + 1, **FAST)
    assert not (tmp_path / "f").exists()


def test_partial_file_from_an_earlier_run_is_resumed(tmp_path):
    dest = tmp_path / "file.bin"
    with serve("drop") as (url, server):
        with pytest.raises(DownloadError, match="kept so a rerun resumes it"):
            download(url, dest, SHA256, retries=0, **FAST)  # the first run gives up
        assert (tmp_path / "file.bin.part").stat().st_size == len(PAYLOAD) // 2
        download(url, dest, SHA256, **FAST)  # a later run
    assert dest.read_bytes() == PAYLOAD
    assert server.ranges == [None, f"bytes={len(PAYLOAD) // 2}-"]
    assert server.bytes_sent == len(PAYLOAD)


def test_partial_file_of_unknown_origin_is_not_trusted(tmp_path):
    (tmp_path / "file.bin.part").write_bytes(b"x" * (len(PAYLOAD) + 400))  # too long, no record
    with serve("normal") as (url, server):
        download(url, tmp_path / "file.bin", "unknown", **FAST)
    assert (tmp_path / "file.bin").read_bytes() == PAYLOAD
    assert server.ranges == [None]


def test_complete_partial_file_is_verified_without_refetching(tmp_path):
    dest = tmp_path / "file.bin"
    with serve("normal") as (url, server):
        (tmp_path / "file.bin.part").write_bytes(PAYLOAD)  # killed between transfer and rename
        (tmp_path / "file.bin.part.json").write_text(
            json.dumps({"url": url, "total": len(PAYLOAD)})
        )
        download(url, dest, "unknown", **FAST)
    assert server.statuses == [416]
    assert server.bytes_sent == 0
    assert dest.read_bytes() == PAYLOAD
    assert not (tmp_path / "file.bin.part.json").exists()


def test_changed_source_is_not_glued_onto_an_old_partial(tmp_path):
    dest = tmp_path / "file.bin"
    with serve("changed") as (url, server):
        download(url, dest, "unknown", **FAST)
    assert dest.read_bytes() == CHANGED  # the new release, whole
    assert server.if_range[1] == '"v1"'  # the resume was conditional on the old version
    assert server.statuses == [200, 200]


def test_resume_from_the_wrong_byte_starts_over(tmp_path):
    dest = tmp_path / "file.bin"
    with serve("badstart") as (url, server):
        download(url, dest, SHA256, **FAST)
    assert dest.read_bytes() == PAYLOAD
    assert server.ranges[2] is None  # after the bad 206, a fresh request from byte 0


def test_content_encoding_is_not_decoded(tmp_path):
    dest = tmp_path / "file.gz"
    gz_sha = "sha256:" + hashlib.sha256(GZIPPED).hexdigest()
    with serve("gzip") as (url, _):
        download(url, dest, gz_sha, **FAST)
    assert dest.read_bytes() == GZIPPED


def test_no_length_and_nothing_to_verify_against_is_refused(tmp_path):
    with serve("nolength") as (url, _), pytest.raises(DownloadError, match="did not say how long"):
        download(url, tmp_path / "f", "unknown", **FAST)
    assert not (tmp_path / "f").exists() and not (tmp_path / "f.part").exists()


def test_no_length_truncation_is_caught_by_the_checksum(tmp_path):
    with serve("nolength") as (url, server):
        download(url, tmp_path / "f", SHA256, **FAST)  # the first answer stops halfway
    assert (tmp_path / "f").read_bytes() == PAYLOAD
    assert server.ranges == [None, None]  # no length, so no resume: the whole file again


def test_server_errors_are_retried_with_backoff(tmp_path, monkeypatch):
    import seqreg.project.downloads

    waits = []
    monkeypatch.setattr(seqreg.project.downloads.time, "sleep", waits.append)
    with serve("flaky") as (url, server):
        download(url, tmp_path / "f", SHA256, backoff=1.5, progress=False)
    assert server.statuses == [503, 503, 200]
    assert waits == [1.5, 3.0]


def test_retries_run_out_with_a_clear_error(tmp_path):
    with serve("flaky") as (url, _), pytest.raises(DownloadError, match="after 2 attempts"):
        download(url, tmp_path / "f", SHA256, retries=1, **FAST)
    assert not (tmp_path / "f").exists()


def test_not_found_fails_at_once(tmp_path):
    with serve("missing") as (url, server), pytest.raises(DownloadError, match="404"):
        download(url, tmp_path / "f", SHA256, **FAST)
    assert len(server.ranges) == 1
    assert not (tmp_path / "f").exists()


def test_unknown_checksum_returns_sha256_to_record(tmp_path):
    with serve("normal") as (url, _):
        assert download(url, tmp_path / "f", "unknown", **FAST) == SHA256
    assert file_checksum(tmp_path / "f") == SHA256


def test_server_that_cuts_every_transfer_at_the_same_byte_spends_the_retries(tmp_path):
    # It ignores Range, so each attempt starts again from byte 0 and stops where the last
    # one did: no attempt gets further, and the retry budget must run out.
    import time

    dest = tmp_path / "file.bin"
    started = time.monotonic()
    with serve("stuck") as (url, server), pytest.raises(DownloadError) as caught:
        download(url, dest, SHA256, retries=3, **FAST)
    assert time.monotonic() - started < 10
    assert server.statuses == [200] * 4  # the first attempt and 3 retries, no 404 reached
    message = str(caught.value)
    assert url in message and str(dest) in message
    assert "after 4 attempts" in message
    assert f"no attempt got past byte {len(PAYLOAD) // 2}" in message
    assert not dest.exists()


def test_every_attempt_that_gets_further_renews_the_retries(tmp_path):
    dest = tmp_path / "file.bin"
    with serve("trickle") as (url, server):
        download(url, dest, SHA256, retries=1, **FAST)  # 8 attempts, each an eighth further
    assert dest.read_bytes() == PAYLOAD
    assert server.statuses == [200] + [206] * 7
    assert server.bytes_sent == len(PAYLOAD)
