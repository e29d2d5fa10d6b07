"""The cases' own scripts (tests/cases/byod/<case>/repro.py) end with NOT
REPRODUCED: each runs its entry points and says whether the old fault persists. They
import the module paths of the library before it was reshaped; tests/support/byod_repro.py
maps those onto today's (seqreg.genome -> seqreg.io, seqreg.dataset -> seqreg.data, ...)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]
BYOD_CASES = PROJECT_ROOT / "tests" / "cases" / "byod"

CASES = sorted(p.parent.name for p in BYOD_CASES.glob("*/repro.py"))


def test_the_cases_are_there():
    assert len(CASES) >= 14, f"{BYOD_CASES}: expected the 14 case scripts"


@pytest.mark.parametrize("case", CASES)
def test_case_script_no_longer_reproduces_its_fault(case):
    runner = Path(__file__).parent / "support" / "byod_repro.py"
    proc = subprocess.run([sys.executable, str(runner), str(BYOD_CASES / case / "repro.py")],
                          cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300)  # fmt: skip
    last = proc.stdout.strip().splitlines()[-1:]
    assert last and last[0].startswith("NOT REPRODUCED"), (proc.stdout + proc.stderr)[-3000:]
