"""Shared fixtures: the synthetic dataset at smoke scale, generated once per test session.

Under pytest-xdist each worker is a session of its own, so every session fixture is built
once per worker that uses it; tests that use the demo dataset are therefore kept on one
worker (``xdist_group``), as are tests that must run in order.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]

if os.environ.get("PYTEST_XDIST_WORKER"):
    # Workers share the machine's cores: one thread each for the numerical libraries
    # (set before NumPy, TensorFlow or JAX is imported; notebook kernels inherit it), so
    # two workers do not oversubscribe the cores. An explicit setting wins.
    _threads = str(max(1, (os.cpu_count() or 1) // int(os.environ["PYTEST_XDIST_WORKER_COUNT"])))
    for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                  "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS"):  # fmt: skip
        os.environ.setdefault(_name, _threads)


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups from the markers
def pytest_collection_modifyitems(items):
    """Put every test of the demo dataset on one worker: it takes minutes to generate."""
    for item in items:
        if "demo" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.xdist_group("demo"))


@pytest.fixture(scope="session")
def project_root() -> Path:
    return PROJECT_ROOT


@pytest.fixture(scope="session")
def smoke_data_root(tmp_path_factory) -> Path:
    """A data root holding the synthetic dataset at smoke scale (generated, not copied)."""
    from seqreg.project import prepare

    root = tmp_path_factory.mktemp("data")
    prepare("synthetic", "smoke", root, progress=False)
    return root


@pytest.fixture(scope="session")
def smoke_manifest(smoke_data_root):
    from seqreg.project import load_manifest

    return load_manifest("synthetic", "smoke", smoke_data_root)


@pytest.fixture(scope="session")
def demo(tmp_path_factory):
    """The synthetic dataset at demo scale (statistics need its size)."""
    from seqreg.project import prepare

    root = tmp_path_factory.mktemp("demo_data")
    return prepare("synthetic", "demo", root, progress=False)


@pytest.fixture(scope="session")
def smoke_store(smoke_manifest, tmp_path_factory) -> Path:
    """A training store of the smoke dataset (windows and splits as notebook 01 plans them)."""
    from seqreg import data
    from seqreg.project import preset

    spec = data.WindowSpec(**preset("preprocess", "smoke"))
    windows, _ = data.plan_windows(smoke_manifest, spec, seed=0)
    path = tmp_path_factory.mktemp("training_store") / "store.h5"
    data.build_store(smoke_manifest, path, spec, windows, progress=False)
    return path


#: Small inputs that real users' data resembles (README.md there lists each case); tests
#: work on copies, so the folder stays as committed.
BYOD_CASES = PROJECT_ROOT / "tests" / "cases" / "byod"


@pytest.fixture
def byod_case(tmp_path):
    """``byod_case(name)`` -> a writable copy of the case folder ``tests/cases/byod/<name>``."""
    import shutil

    def copy(name: str) -> Path:
        source = BYOD_CASES / name
        if not source.is_dir():
            pytest.fail(f"{source}: case folder missing")
        target = tmp_path / name
        shutil.copytree(source, target, ignore=shutil.ignore_patterns("repro.py", "__pycache__"))
        for path in [target, *target.rglob("*")]:
            path.chmod(path.stat().st_mode | 0o200)
        return target

    return copy
