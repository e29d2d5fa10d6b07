"""What changes trained weights between machines: thread counts, oneDNN kernels, core count.

Trains the smoke-scale Basenji2 for a few epochs on fixed random data (one-hot sequences,
Poisson targets; same seed every time) in a fresh process per setting, and prints the
final training loss and a digest of the weights (:func:`seqreg.train.weights_digest`).
Settings that give the same digest train bitwise the same model:

- ``threads=2`` (the project's default, :func:`seqreg.project.fix_threads`), on all cores;
- ``threads=2`` on one core (``taskset -c 0``: a one-core machine with the same setting);
- TensorFlow's own default on one core (it then uses one thread, as a 1-core machine would);
- ``threads=1`` explicitly;
- ``threads=2`` with oneDNN's kernels off (``TF_ENABLE_ONEDNN_OPTS=0``).

    python benchmarks/repeatability.py [--epochs 3]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time

CHILD = r"""
import json, sys, time
import numpy as np
from seqreg import models, project, train
if {pin}:
    project.fix_threads()
import keras
keras.utils.set_random_seed(0)
spec = models.ARCHITECTURES["basenji2"]("smoke", {{"human": 8}})
model = models.build_model(spec)
rng = np.random.default_rng(0)
n = 32
x = np.eye(4, dtype="float32")[rng.integers(0, 4, (n, spec["seq_length"]))]
y = rng.poisson(2.0, (n, *model.output_shape[1:])).astype("float32")
model.compile(keras.optimizers.Adam(1e-3), "poisson")
started = time.perf_counter()
history = model.fit(x, y, batch_size=4, epochs={epochs}, shuffle=False, verbose=0)
print(json.dumps({{"loss": history.history["loss"][-1], "digest": train.weights_digest(model),
                  "seconds": time.perf_counter() - started,
                  "machine": train.machine_summary()}}))
"""


def run(name: str, env: dict, pin: bool, epochs: int, one_core: bool) -> dict:
    command = [sys.executable, "-c", CHILD.format(pin=pin, epochs=epochs)]
    if one_core:
        if not shutil.which("taskset"):
            return {"setting": name, "skipped": "no taskset on this machine"}
        command = ["taskset", "-c", "0", *command]
    environment = {k: v for k, v in os.environ.items() if not k.startswith("TF_NUM_")}
    environment.update(env, TF_CPP_MIN_LOG_LEVEL="3")
    started = time.perf_counter()
    done = subprocess.run(command, env=environment, capture_output=True, text=True, check=False)
    if done.returncode:
        return {"setting": name, "error": done.stderr.strip().splitlines()[-1:]}
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["wall_seconds"] = time.perf_counter() - started
    return {"setting": name, **result}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args()
    settings = [
        ("threads=2 (default), all cores", {}, True, False),
        ("threads=2 (default), one core", {}, True, True),
        ("TensorFlow default, one core", {}, False, True),
        ("threads=1", {"SEQREG_THREADS": "1"}, True, False),
        ("threads=2, oneDNN off", {"TF_ENABLE_ONEDNN_OPTS": "0"}, True, False),
    ]
    print(f"smoke Basenji2, {args.epochs} epochs of 8 batches on fixed random data")
    print(f"{'setting':34} {'final loss':>12} {'weights digest':>18} {'train s':>8}")
    reference = None
    for name, env, pin, one_core in settings:
        result = run(name, env, pin, args.epochs, one_core)
        if "digest" not in result:
            print(f"{name:34} {result.get('skipped') or result.get('error')}")
            continue
        reference = reference or result["digest"]
        same = "  (same)" if result["digest"] == reference else ""
        print(f"{name:34} {result['loss']:12.6f} {result['digest']:>18} "
              f"{result['seconds']:8.1f}{same}")  # fmt: skip
    print("machine:", json.dumps(result.get("machine", {})))


if __name__ == "__main__":
    main()
