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
    code = "import seqreg, sys; seqreg.project.manifest; print('seqreg.project.manifest' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"


SUBPACKAGES = ("data", "evaluate", "interpret", "io", "models", "plots", "predict", "project", "qtl",
               "sequence", "simulate", "stats", "train", "truth", "variants")  # fmt: skip


def test_every_subpackage_and_every_exported_name_is_reachable():
    import seqreg

    assert set(SUBPACKAGES) <= set(dir(seqreg))
    missing = []
    for name in SUBPACKAGES:
        package = getattr(seqreg, name)  # attribute access alone must load it
        for exported in getattr(package, "__all__", ()):
            if not hasattr(package, exported):
                missing.append(f"seqreg.{name}.{exported}")
    assert not missing, missing


def test_subpackages_import_cheaply():
    # importing the library layers a notebook starts with loads no deep-learning framework
    code = (
        "import sys, seqreg.project, seqreg.io, seqreg.sequence, seqreg.data, seqreg.variants; "
        "print(','.join(m for m in ('tensorflow', 'keras', 'jax') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
