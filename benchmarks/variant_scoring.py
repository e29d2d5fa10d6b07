"""Variant scoring speed and memory: the shared-reference engine against the naive way.

Scores random SNVs on a random genome (one variant per ~275 bp, as in the demo synthetic
genotypes) with a model of the chosen scale and architecture (random weights: speed does
not depend on them), averaging the reverse complement as notebook 06 does. Three ways,
each in its own process so peak memory is its own:

- ``engine``: :func:`seqreg.variants.score.score_variants` (one reference pass per window, and
  only the local layers recomputed around each variant), streaming to HDF5;
- ``full``: the same, but the whole model is run on every edited window;
- ``naive``: two full forward passes per variant per ensemble member (reference window
  and edited window, each variant centred in its own window), as scoring tools do.

Then the engine again with four times the variants, to show memory stays flat.

    python benchmarks/variant_scoring.py                # demo Basenji2, 1,000 / 4,000 variants
    python benchmarks/variant_scoring.py --scale smoke --variants 500
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def make_inputs(directory: Path, n_variants: int, seq_length: int, seed: int = 0):
    import pandas as pd

    from seqreg.io import write_fasta

    rng = np.random.default_rng(seed)
    length = max(275 * n_variants // 2, 4 * seq_length)
    sequences = {
        c: rng.choice(np.frombuffer(b"ACGT", np.uint8), length).tobytes() for c in ("chr1", "chr2")
    }
    fasta = write_fasta(directory / "genome.fa", sequences)
    rows = []
    for chrom, seq in sequences.items():
        for pos in np.sort(rng.choice(np.arange(1, length + 1), n_variants // 2, replace=False)):
            ref = chr(seq[pos - 1])
            rows.append(
                (chrom, int(pos), f"{chrom}_{pos}", ref, "ACGT"[("ACGT".index(ref) + 1) % 4])
            )
    return fasta, pd.DataFrame(rows, columns=["chrom", "pos", "variant_id", "ref", "alt"])


def worker(way: str, scale: str, architecture: str, n_variants: int, batch_size: int) -> dict:
    import pysam

    from seqreg import models, predict, variants

    spec = models.ARCHITECTURES[architecture](scale, {"human": 76})
    model = models.build_model(spec)
    seq_length = spec["seq_length"]
    tracks = [{"id": f"t{i}"} for i in range(76)]
    with tempfile.TemporaryDirectory() as tmp:
        fasta, variants = make_inputs(Path(tmp), n_variants, seq_length)
        started = time.perf_counter()
        if way in ("engine", "full"):
            variants.score_variants(model, variants, fasta, Path(tmp) / "scores.h5", tracks=tracks, pool_width=128,
                             stride=seq_length // 8, batch_size=batch_size, method="local" if way == "engine" else "full",
                             progress=False)  # fmt: skip
        else:
            windows = variants.assign(start=variants["pos"] - 1 - seq_length // 2)
            with pysam.FastaFile(str(fasta)) as genome:
                for lo in range(0, len(windows), 64):
                    chunk = windows.iloc[lo : lo + 64]
                    reference = variants.window_sequences(genome, chunk, seq_length)
                    edited = reference.copy()
                    rows = np.arange(len(chunk))
                    edited[rows, seq_length // 2] = 0
                    edited[rows, seq_length // 2, ["ACGT".index(a) for a in chunk["alt"]]] = 1
                    both = np.concatenate([reference, edited])
                    predictions = predict.predict(
                        model, both, reverse_complement=True, batch_size=batch_size
                    )
                    _ = (predictions[len(chunk) :] - predictions[: len(chunk)]).sum(axis=1)
        seconds = time.perf_counter() - started
    return {"way": way, "variants": n_variants, "seconds": seconds, "variants_per_s": n_variants / seconds,
            "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="demo", choices=["smoke", "demo", "paper"])
    parser.add_argument("--architecture", default="basenji2")
    parser.add_argument("--variants", type=int, default=1000)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(
            json.dumps(
                worker(args.worker, args.scale, args.architecture, args.variants, args.batch_size)
            )
        )
        return
    results = []
    for way, n in (("engine", args.variants), ("full", args.variants), ("naive", args.variants),
                   ("engine", 4 * args.variants)):  # fmt: skip
        command = [sys.executable, __file__, "--worker", way, "--scale", args.scale, "--architecture",
                   args.architecture, "--variants", str(n), "--batch-size", str(args.batch_size)]  # fmt: skip
        done = subprocess.run(command, capture_output=True, text=True, check=True)
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
        r = results[-1]
        print(f"{r['way']:>7} {r['variants']:>6} variants: {r['seconds']:7.1f} s, {r['variants_per_s']:7.1f} variants/s, "
              f"peak RSS {r['peak_rss_mib']:6.0f} MiB", flush=True)  # fmt: skip
    engine, full, naive, larger = results
    print(f"{args.scale} {args.architecture}, reverse complement averaged, batch {args.batch_size}")
    print(
        f"engine vs naive: {engine['variants_per_s'] / naive['variants_per_s']:.1f}x faster; "
        f"shared reference alone: {full['variants_per_s'] / naive['variants_per_s']:.1f}x"
    )
    print(
        f"peak RSS with {larger['variants']} variants: {larger['peak_rss_mib']:.0f} MiB vs "
        f"{engine['peak_rss_mib']:.0f} MiB with {engine['variants']}"
    )


if __name__ == "__main__":
    main()
