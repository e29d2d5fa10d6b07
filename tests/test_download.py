"""The downloader against real HTTP servers on 127.0.0.1 that misbehave on purpose."""

from __future__ import annotations

import hashlib
import http.server
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from seqreg.download import download, file_checksum
from seqreg.errors import ChecksumMismatchError, DownloadError

PAYLOAD = bytes(range(256)) * 4096  # 1 MiB, every byte value
SHA256 = "sha256:" + hashlib.sha256(PAYLOAD).hexdigest()
MD5 = "md5:" + hashlib.md5(PAYLOAD).hexdigest()
FAST = {"backoff": 0.01, "progress": False, "chunk_size": 64 * 1024}


class Server:
    """Serves PAYLOAD at /file and records each request's Range header and bytes sent.

    mode:
      normal   honours Range with 206 answers
      drop     the first answer stops after half the bytes and closes the connection
      wrong    serves other bytes of the same length
      norange  ignores Range (always 200 with the whole file); first answer dropped
      flaky    answers 503 twice, then normally
      missing  answers 404
    """

    def __init__(self, mode: str):
        self.mode = mode
        self.ranges: list[str | None] = []
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
                if mode == "missing":
                    return self._status(404)
                if mode == "flaky" and attempt <= 2:
                    return self._status(503)
                body = PAYLOAD if mode != "wrong" else bytes(reversed(PAYLOAD))
                start = 0
                match = re.match(r"bytes=(\d+)-$", self.headers.get("Range") or "")
                if match and mode != "norange":
                    start = int(match.group(1))
                    if start >= len(body):
                        return self._status(416)
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
                    server.statuses.append(206)
                else:
                    self.send_response(200)
                    server.statuses.append(200)
                self.send_header("Content-Length", str(len(body) - start))
                self.send_header("Accept-Ranges", "none" if mode == "norange" else "bytes")
                self.end_headers()
                payload = body[start:]
                if mode in ("drop", "norange") and attempt == 1:
                    payload = payload[: len(payload) // 2]
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
    third = len(PAYLOAD) // 3
    (tmp_path / "file.bin.part").write_bytes(PAYLOAD[:third])
    with serve("normal") as (url, server):
        download(url, dest, SHA256, **FAST)
    assert dest.read_bytes() == PAYLOAD
    assert server.ranges == [f"bytes={third}-"]
    assert server.bytes_sent == len(PAYLOAD) - third


def test_complete_partial_file_is_verified_without_refetching(tmp_path):
    (tmp_path / "file.bin.part").write_bytes(PAYLOAD)
    with serve("normal") as (url, server):
        download(url, tmp_path / "file.bin", SHA256, **FAST)
    assert server.statuses == [416]
    assert server.bytes_sent == 0


def test_server_errors_are_retried_with_backoff(tmp_path):
    with serve("flaky") as (url, server):
        download(url, tmp_path / "f", SHA256, **FAST)
    assert server.statuses == [503, 503, 200]


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
