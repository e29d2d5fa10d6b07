"""Speed of the data layer: synthetic generation and the QC scans of notebook 00.

Generates the synthetic dataset at smoke and demo scale in a temporary directory and
times generation, the N scan of the FASTA and the NaN/zero scan of every bigWig, with
rates per megabase to extrapolate to a 3.1 Gb genome.
"""

from __future__ import annotations

import tempfile
import time

from seqreg.io import coverage_qc, n_fraction_by_chrom
from seqreg.project import prepare

HG38_MB = 3_100


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for scale in ("smoke", "demo"):
            start = time.perf_counter()
            manifest = prepare("synthetic", scale, tmp, progress=False)
            generated = time.perf_counter() - start
            fasta = manifest.path_of("genome_fasta", "human")
            start = time.perf_counter()
            table = n_fraction_by_chrom(fasta)
            n_scan = time.perf_counter() - start
            mb = table["length"].sum() / 1e6
            start = time.perf_counter()
            for track in manifest.tracks:
                coverage_qc(track.local_path)
            track_scan = (time.perf_counter() - start) / len(manifest.tracks)
            print(f"{scale}: {mb:.0f} Mb genome, {len(manifest.tracks)} tracks; generate {generated:.1f} s; "
                  f"N scan {n_scan:.2f} s ({n_scan / mb * 1000:.1f} ms/Mb, ~{n_scan / mb * HG38_MB:.0f} s for hg38); "
                  f"NaN/zero scan {track_scan:.3f} s per 32-bp track ({track_scan / mb * 1000:.1f} ms/Mb, "
                  f"~{track_scan / mb * HG38_MB:.0f} s per hg38 track)")  # fmt: skip


if __name__ == "__main__":
    main()
