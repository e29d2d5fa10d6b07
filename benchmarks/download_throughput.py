"""Downloader throughput and memory on a local HTTP server, whole and resumed.

Prints MB/s for a plain download, for one resumed after a dropped connection, and
the peak resident memory of the process (the transfer streams in chunks, so memory
should not grow with file size).
"""

from __future__ import annotations

import http.server
import os
import re
import resource
import tempfile
import threading
import time
from pathlib import Path

from seqreg.project import download, file_checksum

SIZE_MB = 256


def serve(path: Path, drop_first: bool):
    size = path.stat().st_size
    state = {"requests": 0}

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def do_GET(self):
            state["requests"] += 1
            match = re.match(r"bytes=(\d+)-$", self.headers.get("Range") or "")
            start = int(match.group(1)) if match else 0
            self.send_response(206 if start else 200)
            if start:
                self.send_header("Content-Range", f"bytes {start}-{size - 1}/{size}")
            self.send_header("Content-Length", str(size - start))
            self.end_headers()
            limit = size // 2 if drop_first and state["requests"] == 1 else size
            with open(path, "rb") as handle:
                handle.seek(start)
                sent = start
                while sent < limit and (chunk := handle.read(min(1 << 20, limit - sent))):
                    self.wfile.write(chunk)
                    sent += len(chunk)
            if limit < size:
                self.connection.shutdown(2)

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, f"http://127.0.0.1:{httpd.server_address[1]}/blob"


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "blob"
        with open(source, "wb") as handle:
            for _ in range(SIZE_MB):
                handle.write(os.urandom(1 << 20))
        checksum = file_checksum(source)
        for label, drop in (("plain", False), ("resumed after a drop at 50%", True)):
            httpd, url = serve(source, drop)
            dest = Path(tmp) / f"copy-{drop}"
            start = time.perf_counter()
            download(url, dest, checksum, backoff=0.01, progress=False)
            elapsed = time.perf_counter() - start
            httpd.shutdown()
            print(f"{label}: {SIZE_MB} MiB in {elapsed:.2f} s = {SIZE_MB / elapsed:.0f} MiB/s "
                  "(transfer + sha256 verification, loopback)")  # fmt: skip
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"peak resident memory of this process: {peak:.0f} MiB for a {SIZE_MB} MiB file (streamed)"
    )


if __name__ == "__main__":
    main()
