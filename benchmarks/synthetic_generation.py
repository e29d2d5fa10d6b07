"""Time and peak memory of generating the synthetic dataset, tracks and variant data
together (targets on a 2-core machine: smoke <= 20 s; demo <= 3 min and 4 GB for the
genome and tracks, <= 5 min with the variant data).

Each scale is generated from scratch in a fresh process in a temporary directory.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time

CODE = (
    "import resource, sys, time; from seqreg.data import prepare; t = time.perf_counter(); "
    "m = prepare('synthetic', sys.argv[1], sys.argv[2], progress=False); "
    "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "
    "len(m.tracks))"
)
TARGETS = {"smoke": (20, 4096), "demo": (300, 4096)}


def main() -> None:
    for scale, (seconds, megabytes) in TARGETS.items():
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            out = subprocess.run(
                [sys.executable, "-c", CODE, scale, tmp], capture_output=True, text=True, check=True
            )
            wall = time.perf_counter() - start
            elapsed, peak_mb, n_tracks = out.stdout.split()
            print(
                f"{scale}: generated in {float(elapsed):.1f} s ({wall:.1f} s with interpreter start), "
                f"peak memory {float(peak_mb):.0f} MiB, {n_tracks} tracks; "
                f"target <= {seconds} s and <= {megabytes} MiB"
            )


if __name__ == "__main__":
    main()
