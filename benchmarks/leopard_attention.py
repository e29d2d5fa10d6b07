"""Speed of the models of notebooks 13 and 14: Leopard's U-Net (models A and C of the
microglia report's Table 3) and the Enformer-like attention model beside Basenji2.

With random weights (speed does not depend on them), each timed after a warm-up call:

- U-Net: one training step on a batch of random windows with per-base labels (masked
  binary cross-entropy, Adam), in windows per second, and tiled prediction throughput in
  megabases per second (windows at offsets 0 and half a window, as notebook 13 predicts);
- attention model and Basenji2 at the store's window: one training step on a batch of 4
  (Poisson loss), seconds per step;
- the gradient receptive field of one output (notebook 14's probe), seconds.

Peak resident memory is printed last.

    python benchmarks/leopard_attention.py               # demo
    python benchmarks/leopard_attention.py --scale smoke
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np


def _timed(fn, *args, repeats: int) -> float:
    fn(*args)  # warm-up (graph tracing)
    started = time.perf_counter()
    for _ in range(repeats):
        fn(*args)
    return (time.perf_counter() - started) / repeats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="demo", choices=["smoke", "demo", "paper"])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    import keras

    from seqreg import interpret, models, train
    from seqreg.project import preset

    rng = np.random.default_rng(0)
    leopard = preset("leopard", args.scale)
    length, batch = leopard["seq_length"], leopard["batch_size"]
    print(f"scale {args.scale}, backend {keras.backend.backend()}")
    for name, channels in (("U-Net A (sequence)", 0), ("U-Net C (+ 4 accessibility channels)", 4)):
        spec = models.leopard_unet_spec(args.scale, 6, channels)
        model = models.build_model(spec)
        model.compile(optimizer=keras.optimizers.Adam(1e-3), loss=train.make_loss("masked_bce"))
        x = np.eye(4, dtype="float32")[rng.integers(0, 4, (batch, length))]
        if channels:
            x = {
                "sequence": x,
                "accessibility": rng.random((batch, length, channels)).astype("float32"),
            }
        y = (rng.random((batch, length, 6)) > 0.9).astype("float32")
        step = _timed(model.train_on_batch, x, y, repeats=args.repeats)
        predict = _timed(model.predict_on_batch, x, repeats=args.repeats)
        megabases = batch * length / 2 / 1e6 / predict  # two offsets per base
        print(f"{name}: {model.count_params():,} parameters; training {batch / step:.0f} windows/s "
              f"({step:.2f} s per batch of {batch} x {length:,} bp); tiled prediction "
              f"{megabases:.2f} Mb/s")  # fmt: skip
        if channels == 0:
            started = time.perf_counter()
            interpret.measured_field(model, length, length // 2, period=2 ** leopard["levels"],
                                     repeats=8)  # fmt: skip
            print(f"  gradient field over its {2 ** leopard['levels']}-base pooling grid "
                  f"(8 random sequences each): {time.perf_counter() - started:.1f} s")  # fmt: skip
    for name, spec_of in (("attention", models.attention_spec), ("Basenji2", models.basenji2_spec)):
        spec = spec_of(args.scale, {"human": 82})
        model = models.build_model(spec)
        model.compile(optimizer=keras.optimizers.Adam(1e-3), loss=train.make_loss("poisson"))
        seq = spec["seq_length"]
        x = np.eye(4, dtype="float32")[rng.integers(0, 4, (4, seq))]
        y = rng.poisson(1.0, (4, *model.output_shape[1:])).astype("float32")
        step = _timed(model.train_on_batch, x, y, repeats=args.repeats)
        print(f"{name}: {model.count_params():,} parameters, receptive field "
              f"{models.receptive_field(spec):,} bp; {step:.2f} s per training step of 4 x "
              f"{seq:,} bp")  # fmt: skip
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(f"peak resident memory {peak:.2f} GiB")


if __name__ == "__main__":
    main()
