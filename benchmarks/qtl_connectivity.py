"""Reading and binning a BLUEPRINT-size QTL file: rows per second and peak memory.

Writes a gzipped file in the published layout (space-separated, no header:
``chr:pos_ref_alt rsid chr:start:end p beta bonferroni fdr alt_af se``) with ``--rows``
rows on 22 chromosomes, FDR uniform on [0, 1] (about 5% pass, as in an all-pairs summary),
then times :func:`seqreg.qtl.read_qtl_links` plus :func:`seqreg.qtl.connectivity` in a
fresh process so the peak memory is that of reading and binning alone.

    python benchmarks/qtl_connectivity.py                 # 10 million rows
    python benchmarks/qtl_connectivity.py --rows 1000000
"""

from __future__ import annotations

import argparse
import gzip
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def write_file(path: Path, rows: int, seed: int = 0, chunk: int = 1_000_000) -> None:
    import pandas as pd

    rng = np.random.default_rng(seed)
    bases = np.array(list("ACGT"))
    with gzip.open(path, "wt", compresslevel=1) as handle:
        for start in range(0, rows, chunk):
            n = min(chunk, rows - start)
            chrom = np.char.add("chr", rng.integers(1, 23, n).astype(str))
            target = rng.integers(10_000, 240_000_000, n)
            pos = np.maximum(target + rng.integers(-1_000_000, 1_000_000, n), 1)
            ref, alt = bases[rng.integers(0, 4, n)], bases[rng.integers(0, 4, n)]
            p = rng.uniform(0, 1, n)
            table = pd.DataFrame({
                "snp": pd.Series(chrom) + ":" + pd.Series(pos.astype(str)) + "_" + ref + "_" + alt,
                "rsid": "rs" + pd.Series(np.arange(start, start + n).astype(str)),
                "phenotype": pd.Series(chrom) + ":" + pd.Series(target.astype(str)) + ":"
                + pd.Series((target + 2000).astype(str)),
                "p": p, "beta": rng.normal(0, 0.3, n), "bonferroni": np.minimum(p * 1e6, 1),
                "fdr": rng.uniform(0, 1, n), "alt_af": rng.uniform(0.05, 0.95, n).round(3),
                "se": rng.uniform(0.05, 0.2, n),
            })  # fmt: skip
            table.to_csv(handle, sep=" ", header=False, index=False, float_format="%.6g")


def worker(path: str) -> dict:
    from seqreg import qtl

    started = time.perf_counter()
    links, counts = qtl.read_qtl_links(path)
    read_seconds = time.perf_counter() - started
    per_bin = qtl.connectivity(links, 10_000)
    seconds = time.perf_counter() - started
    return {"rows": counts["rows"], "links": counts["links"], "bins": len(per_bin),
            "read_seconds": read_seconds, "seconds": seconds,
            "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench_K27AC_log2rpm_peer_10_all_summary.txt.gz"
        started = time.perf_counter()
        write_file(path, args.rows)
        print(f"wrote {args.rows:,} rows ({path.stat().st_size / 2**20:.0f} MiB gzipped) in "
              f"{time.perf_counter() - started:.0f} s", flush=True)  # fmt: skip
        done = subprocess.run([sys.executable, __file__, "--worker", str(path)], capture_output=True,
                              text=True, check=True)  # fmt: skip
        r = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"read + filter: {r['read_seconds']:.1f} s; with binning: {r['seconds']:.1f} s "
          f"({r['rows'] / r['seconds']:,.0f} rows/s); {r['links']:,} links in {r['bins']:,} target bins; "
          f"peak RSS {r['peak_rss_mib']:.0f} MiB")  # fmt: skip


if __name__ == "__main__":
    main()
