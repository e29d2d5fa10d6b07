"""How long `import seqreg` takes in a fresh interpreter (target: under 2 s)."""

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


if __name__ == "__main__":
    main()
