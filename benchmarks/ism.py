"""In-silico saturation mutagenesis speed: the shared-reference edit engine against full
forward passes, and saliency throughput.

ISM of a 200-bp region (600 edits) in the middle of one random window, with a model of the
chosen scale and architecture (random weights: speed does not depend on them), reverse
complement averaged as notebook 05 does. Three ways, each timed after a warm-up call:

- ``engine``: :func:`seqreg.interpret.saturation_mutagenesis` (one reference pass, and for
  each edit only the local layers recomputed on a short slice around it);
- ``full``: the same call with ``method="full"`` (the whole model per edited window; the
  reference pass shared);
- ``naive``: 600 edited windows and the reference through :func:`seqreg.predict.predict`,
  the way ISM is usually written.

All three give the same changes (checked here to 1e-5 of the summed prediction). Then the
saliency of 64 windows, in windows per second.

    python benchmarks/ism.py                  # demo Basenji2, 200 bp
    python benchmarks/ism.py --scale smoke --bases 100
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="demo", choices=["smoke", "demo", "paper"])
    parser.add_argument("--architecture", default="basenji2")
    parser.add_argument("--bases", type=int, default=200)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()

    from seqreg import interpret, models, predict

    n_tracks = 76
    spec = models.ARCHITECTURES[args.architecture](args.scale, {"human": n_tracks})
    model = models.build_model(spec)
    seq_length = spec["seq_length"]
    rng = np.random.default_rng(0)
    onehot = np.eye(4, dtype="float32")[rng.integers(0, 4, seq_length)]
    start = seq_length // 2 - args.bases // 2
    end = start + args.bases
    n_bins = int(model.outputs[0].shape[1])
    target_bins = [n_bins // 2]
    swap = np.arange(n_tracks)
    kwargs = {"tracks": [0], "bins": target_bins, "swap": swap, "batch_size": args.batch_size}

    def engine():
        return interpret.saturation_mutagenesis(model, onehot, start, end, **kwargs).delta

    def full():
        return interpret.saturation_mutagenesis(
            model, onehot, start, end, method="full", **kwargs
        ).delta

    def naive():
        positions, codes = interpret.ism_edits(onehot, start, end)
        edited = np.repeat(onehot[None], len(positions) + 1, axis=0)
        rows = np.arange(1, len(positions) + 1)
        edited[rows, positions] = 0
        edited[rows, positions, codes] = 1
        y = predict.predict(
            model, edited, swap, reverse_complement=True, batch_size=args.batch_size
        )
        target = y[:, target_bins, 0].astype(np.float64).sum(axis=1)
        delta = np.zeros((args.bases, 4))
        delta[positions - start, codes] = target[1:] - target[0]
        return delta

    results, seconds = {}, {}
    for name, fn in (("engine", engine), ("full", full), ("naive", naive)):
        fn()  # warm-up: compile and build the split
        times = []
        for _ in range(args.repeats):
            started = time.perf_counter()
            results[name] = fn()
            times.append(time.perf_counter() - started)
        seconds[name] = min(times)
    edits = 3 * args.bases
    scale = float(
        np.abs(
            predict.predict(model, onehot[None], swap, reverse_complement=True)[0, target_bins, 0]
        ).sum()
    )
    for name in ("full", "naive"):
        gap = np.abs(results[name] - results["engine"]).max()
        assert gap <= 1e-5 * max(scale, 1e-6), f"{name} differs from the engine by {gap}"
    print(f"{args.scale} {args.architecture}: ISM of {args.bases} bp ({edits} edits), reverse complement "
          f"averaged, batch {args.batch_size}, best of {args.repeats}")  # fmt: skip
    for name, s in seconds.items():
        print(f"{name:>7}: {s:6.2f} s  ({edits / s:6.0f} edits/s)")
    print(f"engine vs naive: {seconds['naive'] / seconds['engine']:.1f}x faster; "
          f"vs full passes sharing the reference: {seconds['full'] / seconds['engine']:.1f}x")  # fmt: skip

    windows = np.eye(4, dtype="float32")[rng.integers(0, 4, (64, seq_length))]
    interpret.saliency(model, windows[: args.batch_size], tracks=[0, 1], batch_size=args.batch_size)
    started = time.perf_counter()
    interpret.saliency(model, windows, tracks=[0, 1], batch_size=args.batch_size)
    took = time.perf_counter() - started
    print(f"saliency: {len(windows) / took:.1f} windows/s ({len(windows)} windows in {took:.1f} s)")
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
