"""GWAS feature extraction speed: the shared-reference edit engine against two full
forward passes per SNP (Basenji 2018, Supp. Fig. S9 features; notebook 07).

Each SNP gets its own window centred on it, so, unlike variant scoring (many variants per
window), the reference pass cannot be shared; what the engine saves is the alternative
pass: only the local layers around the SNP are recomputed on a short slice, then the rest
of the model. Random SNPs on a random genome, a model of the chosen scale with random
weights (speed does not depend on them), the penultimate layer as output, the reverse
complement averaged as notebook 07 does. Each way runs twice; the second (warm) run is
reported, so graph tracing is not counted.

    python benchmarks/gwas_features.py                  # demo Basenji2, 300 SNPs
    python benchmarks/gwas_features.py --scale smoke --snps 100
"""

from __future__ import annotations

import argparse
import platform
import tempfile
import time
from pathlib import Path

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="demo")
    parser.add_argument("--snps", type=int, default=300)
    args = parser.parse_args()

    import keras
    import pandas as pd

    from seqreg import models, variants
    from seqreg.io import write_fasta

    rng = np.random.default_rng(0)
    spec = models.basenji2_spec(args.scale, {"human": 76})
    model = models.build_model(spec)
    length = max(4 * spec["seq_length"], 200 * args.snps)
    genome = rng.choice(np.frombuffer(b"ACGT", np.uint8), length).tobytes()
    positions = np.sort(rng.choice(np.arange(1, length + 1), args.snps, replace=False))
    refs = [chr(genome[p - 1]) for p in positions]
    snps = pd.DataFrame({"chrom": "chr1", "pos": positions, "ref": refs,
                         "alt": ["ACGT"[("ACGT".index(r) + 1) % 4] for r in refs]})  # fmt: skip
    with tempfile.TemporaryDirectory() as directory:
        fasta = write_fasta(Path(directory) / "genome.fa", {"chr1": genome})
        seconds, features = {}, {}
        for method in ("full", "local", "full", "local"):
            started = time.perf_counter()
            features[method] = variants.penultimate_features(model, snps, fasta, method=method)
            seconds[method] = time.perf_counter() - started
    difference = float(np.abs(features["local"] - features["full"]).max())
    print(f"machine: {platform.processor() or platform.machine()}, Keras {keras.__version__} "
          f"({keras.backend.backend()}); scale {args.scale}, {args.snps} SNPs, "
          f"{spec['seq_length']:,}-bp windows, reverse complement averaged")  # fmt: skip
    for method in ("full", "local"):
        print(
            f"  {method:5s}: {seconds[method]:7.2f} s  ({1000 * seconds[method] / args.snps:6.1f} ms per SNP)"
        )
    print(f"  speed-up of the edit engine: {seconds['full'] / seconds['local']:.2f}x; "
          f"largest feature difference {difference:.2e}")  # fmt: skip


if __name__ == "__main__":
    main()
