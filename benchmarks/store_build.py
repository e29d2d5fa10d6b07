"""Throughput and peak memory of building the training store (target: demo <= 2 min).

Builds the demo-scale store of the synthetic dataset and prints megabases x tracks per
second and peak memory; then, on the same windows, the throughput of a naive loop that
calls pyBigWig once per window and track. Memory is measured in fresh processes for a
quarter, half and all of the windows to show that it does not grow with them (the
build streams chunks of windows).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile

BUILD = """
import resource, sys, time
import pandas as pd
from seqreg import data, project
from seqreg.project import load_manifest
manifest = load_manifest("synthetic", "demo", sys.argv[1])
spec = data.WindowSpec(**project.preset("preprocess", "demo"))
windows, _ = data.plan_windows(manifest, spec, valid_fraction=0.1, test_fraction=0.1)
windows = windows.iloc[: int(len(windows) * float(sys.argv[2]))]
start = time.perf_counter()
data.build_store(manifest, sys.argv[1] + "/store.h5", spec, windows, progress=False)
seconds = time.perf_counter() - start
megabases = len(windows) * spec.seq_length / 1e6
naive = None
if sys.argv[3] == "naive":
    from seqreg.io import open_bigwig
    subset = windows.head(100)
    start = time.perf_counter()
    for track in manifest.tracks:
        handle = open_bigwig(track.local_path)
        for row in subset.itertuples():
            handle.values(row.chrom, int(row.start), int(row.end))
        handle.close()
    naive = len(subset) * spec.seq_length / 1e6 * len(manifest.tracks) / (time.perf_counter() - start)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(len(windows), len(manifest.tracks), seconds, megabases * len(manifest.tracks) / seconds, peak, naive)
"""


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        prepare = "from seqreg.data import prepare; import sys; prepare('synthetic', 'demo', sys.argv[1], progress=False)"
        subprocess.run(
            [sys.executable, "-c", prepare, tmp], check=True
        )  # data first, in its own process
        for fraction, naive in ((1.0, "naive"), (0.5, "-"), (0.25, "-")):
            out = subprocess.run([sys.executable, "-c", BUILD, tmp, str(fraction), naive],
                                 capture_output=True, text=True, check=True)  # fmt: skip
            windows, tracks, seconds, rate, peak, naive_rate = out.stdout.split()
            line = (f"{int(windows)} windows x {tracks} tracks: store built in {float(seconds):.1f} s, "
                    f"{float(rate):.0f} Mb x tracks / s, peak memory {float(peak):.0f} MiB")  # fmt: skip
            if naive_rate != "None":
                line += f"; naive per-window pyBigWig loop (values() as lists): {float(naive_rate):.0f} Mb x tracks / s"
            print(line)


if __name__ == "__main__":
    main()
