"""How long `import seqreg` takes in a fresh interpreter (target: under 2 s), and how long
each subpackage takes to load on first attribute access (its modules and their libraries)."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

RUNS = 7


def main() -> None:
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import seqreg"], check=True)
        times.append(time.perf_counter() - start)
    baseline = []
    for _ in range(RUNS):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        baseline.append(time.perf_counter() - start)
    print(f"import seqreg: median {statistics.median(times):.3f} s over {RUNS} fresh interpreters "
          f"(bare interpreter start {statistics.median(baseline):.3f} s); target < 2 s")  # fmt: skip
    for name in (
        "project",
        "io",
        "sequence",
        "data",
        "variants",
        "evaluate",
        "plots",
        "models",
        "train",
    ):
        code = (
            "import time, seqreg; start = time.perf_counter(); "
            f"package = seqreg.{name}; [getattr(package, n) for n in package.__all__]; "
            "print(time.perf_counter() - start)"
        )
        seconds = [float(subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                                        text=True).stdout.split()[-1]) for _ in range(3)]  # fmt: skip
        print(f"  seqreg.{name} and all its names: median {statistics.median(seconds):.2f} s")


if __name__ == "__main__":
    main()
