"""Run a case script of tests/cases/byod (repro.py), written against the module paths
the library had before it was reshaped, with those paths mapped onto today's ones."""

import runpy
import subprocess
import sys
import types
from pathlib import Path

repro = Path(sys.argv[1]).resolve()
sys.path.insert(0, str(repro.parent.parent))
import _common  # noqa: E402

import seqreg  # noqa: E402
from seqreg import data, io, project, variants  # noqa: E402
from seqreg.project import errors, manifest  # noqa: E402


def module(name, **attrs):
    m = types.ModuleType(f"seqreg.{name}")
    m.__dict__.update(attrs)
    sys.modules[f"seqreg.{name}"] = m
    setattr(seqreg, name, m)


module(
    "genome",
    read_tss=io.read_tss,
    read_bed=io.read_bed,
    read_gtf=io.read_gtf,
    read_chrom_sizes=io.read_chrom_sizes,
)
module(
    "dataset",
    WindowSpec=data.WindowSpec,
    build_store=data.build_store,
    plan_windows=data.plan_windows,
    read_window_targets=data.read_window_targets,
)
module("scales", preset=project.preset)
module(
    "tracks", coverage_qc=io.coverage_qc, read_values=io.read_values, sample_values=io.sample_values
)
module("popgen", read_dosages=io.read_dosages)
for name in ("read_vcf", "read_gtex_eqtl"):
    setattr(variants, name, getattr(io, name))
sys.modules["seqreg.errors"] = errors
sys.modules["seqreg.manifest"] = manifest


def prepare(case, manifest_name="dataset.yaml"):
    args = [
        "-m",
        "seqreg.project.datasets",
        "prepare",
        "--dataset",
        _common.rel(case / manifest_name),
        "--scale",
        "smoke",
        "--data-root",
        _common.rel(case),
        "--no-progress",
    ]
    print("$ python", " ".join(args))
    proc = subprocess.run([sys.executable, *args], capture_output=True, text=True)
    for line in (proc.stdout + proc.stderr).strip().splitlines()[-8:]:
        print("   |", line)
    print(f"   exit status {proc.returncode}")
    return proc


_common.prepare = prepare
sys.argv = [str(repro)]
runpy.run_path(str(repro), run_name="__main__")
