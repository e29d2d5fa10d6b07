"""`import seqreg` stays cheap: heavy libraries load only when a submodule needs them."""

from __future__ import annotations

import subprocess
import sys

HEAVY = (
    "tensorflow",
    "keras",
    "jax",
    "torch",
    "matplotlib",
    "pandas",
    "pyBigWig",
    "papermill",
    "scipy",
)


def test_import_seqreg_loads_no_heavy_library():
    code = f"import sys, seqreg; print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_submodules_load_on_attribute_access():
    code = "import seqreg, sys; seqreg.manifest; print('seqreg.manifest' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"
