"""Training and inference throughput of the Basenji architectures on the current device.

For each scale and architecture: sequences per second for training steps (forward,
backward, optimizer update) and for inference, peak memory, and the achieved FLOP/s,
from the FLOPs per sequence computed from the layer shapes (a training step counted as
three forward passes). With ``--peak-tflops`` (or a recognised GPU) it reports the
fraction of the device's peak reached.

    python benchmarks/train_throughput.py                          # smoke and demo, this CPU
    KERAS_BACKEND=jax python benchmarks/train_throughput.py --scales paper \\
        --precision mixed_bfloat16 --batch-size 8                  # a GPU

Inputs are random one-hot sequences and Poisson targets, so the figures measure the
model and framework alone (data loading is measured by benchmarks/store_build.py).
"""

from __future__ import annotations

import argparse
import os
import resource
import time

import numpy as np

#: dense bf16 peak of known accelerators, TFLOP/s (vendor figures, without sparsity)
PEAK_TFLOPS = {"H100": 989.0, "H200": 989.0, "A100": 312.0}


def device_description() -> tuple[str, float | None]:
    import keras

    backend = keras.backend.backend()
    if backend == "jax":
        import jax

        device = jax.devices()[0]
        name = getattr(device, "device_kind", str(device))
    else:
        import tensorflow as tf

        gpus = tf.config.list_physical_devices("GPU")
        name = gpus[0].name if gpus else "CPU"
    if name == "CPU" or name.lower() == "cpu":
        name = f"CPU ({os.cpu_count()} cores)"
    peak = next((tflops for key, tflops in PEAK_TFLOPS.items() if key in name), None)
    return f"{name}, Keras backend {backend}", peak


def peak_memory_mib() -> float:
    """Device peak memory for JAX on a GPU, else the process's peak resident set."""
    import keras

    if keras.backend.backend() == "jax":
        import jax

        stats = jax.devices()[0].memory_stats() or {}
        if "peak_bytes_in_use" in stats:
            return stats["peak_bytes_in_use"] / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(scale: str, architecture: str, batch_size: int, steps: int, precision: str,
            n_tracks: int, jit_compile: bool = True) -> dict:  # fmt: skip
    import keras

    from seqreg import models, train

    keras.config.set_dtype_policy(precision)
    spec = models.ARCHITECTURES[architecture](scale, {"human": n_tracks})
    model = models.build_model(spec)
    keras.config.set_dtype_policy("float32")
    config = train.TrainConfig(batch_size=batch_size, precision=precision)
    model.compile(optimizer=train.make_optimizer(config), loss=train.poisson_loss,
                  jit_compile=jit_compile)  # fmt: skip
    rng = np.random.default_rng(0)
    x = np.eye(4, dtype="float32")[rng.integers(0, 4, (batch_size, spec["seq_length"]))]
    y = rng.poisson(1.0, (batch_size, *model.output_shape[1:])).astype("float32")

    model.train_on_batch(x, y)  # compile
    started = time.perf_counter()
    for _ in range(steps):
        loss = model.train_on_batch(x, y)
    float(np.asarray(loss))  # wait for the device
    train_seconds = time.perf_counter() - started

    model.predict_on_batch(x)
    started = time.perf_counter()
    for _ in range(steps):
        out = model.predict_on_batch(x)
    np.asarray(out)
    infer_seconds = time.perf_counter() - started

    flops = models.flops_per_sequence(model)
    train_rate = steps * batch_size / train_seconds
    infer_rate = steps * batch_size / infer_seconds
    return {
        "scale": scale,
        "architecture": architecture,
        "parameters": model.count_params(),
        "gflops_per_sequence": flops / 1e9,
        "batch": batch_size,
        "train_seq_per_s": train_rate,
        "infer_seq_per_s": infer_rate,
        "train_tflops": 3 * flops * train_rate / 1e12,
        "infer_tflops": flops * infer_rate / 1e12,
        "peak_memory_mib": peak_memory_mib(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scales", default="smoke,demo")
    parser.add_argument("--architectures", default="basenji2,basenji2018")
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--precision", default="float32",
                        help="float32, mixed_bfloat16 or mixed_float16")  # fmt: skip
    parser.add_argument("--tracks", type=int, default=76, help="output tracks (paper: 5313)")
    parser.add_argument("--no-jit", action="store_true", help="run without XLA compilation")
    parser.add_argument("--peak-tflops", type=float, default=None,
                        help="device peak for the fraction-of-peak column")  # fmt: skip
    args = parser.parse_args()

    description, peak = device_description()
    peak = args.peak_tflops or peak
    print(f"device: {description}; precision {args.precision}; batch {args.batch_size}; "
          f"{args.steps} timed steps; XLA {'off' if args.no_jit else 'on'}")  # fmt: skip
    header = (f"{'scale':6} {'architecture':12} {'params':>11} {'GFLOP/seq':>10} "
              f"{'train seq/s':>12} {'infer seq/s':>12} {'train TFLOP/s':>14} "
              f"{'infer TFLOP/s':>14} {'peak MiB':>9}")  # fmt: skip
    if peak:
        header += f" {'train % peak':>13}"
    print(header)
    for scale in args.scales.split(","):
        for architecture in args.architectures.split(","):
            r = measure(scale, architecture, args.batch_size, args.steps, args.precision,
                        args.tracks, not args.no_jit)  # fmt: skip
            line = (f"{r['scale']:6} {r['architecture']:12} {r['parameters']:>11,} "
                    f"{r['gflops_per_sequence']:>10.2f} {r['train_seq_per_s']:>12.2f} "
                    f"{r['infer_seq_per_s']:>12.2f} {r['train_tflops']:>14.4f} "
                    f"{r['infer_tflops']:>14.4f} {r['peak_memory_mib']:>9.0f}")  # fmt: skip
            if peak:
                line += f" {100 * r['train_tflops'] / peak:>12.1f}%"
            print(line, flush=True)


if __name__ == "__main__":
    main()
