"""Shared fixtures: the synthetic dataset at smoke scale, generated once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def project_root() -> Path:
    return PROJECT_ROOT


@pytest.fixture(scope="session")
def smoke_data_root(tmp_path_factory) -> Path:
    """A data root holding the synthetic dataset at smoke scale (generated, not copied)."""
    from seqreg.data import prepare

    root = tmp_path_factory.mktemp("data")
    prepare("synthetic", "smoke", root, progress=False)
    return root


@pytest.fixture(scope="session")
def smoke_manifest(smoke_data_root):
    from seqreg.manifest import load_manifest

    return load_manifest("synthetic", "smoke", smoke_data_root)


@pytest.fixture(scope="session")
def demo(tmp_path_factory):
    """The synthetic dataset at demo scale (statistics need its size)."""
    from seqreg.data import prepare

    root = tmp_path_factory.mktemp("demo_data")
    return prepare("synthetic", "demo", root, progress=False)


@pytest.fixture(scope="session")
def smoke_store(smoke_manifest, tmp_path_factory) -> Path:
    """A training store of the smoke dataset (windows and splits as notebook 01 plans them)."""
    from seqreg import dataset
    from seqreg.scales import preset

    spec = dataset.WindowSpec(**preset("preprocess", "smoke"))
    windows, _ = dataset.plan_windows(smoke_manifest, spec, seed=0)
    path = tmp_path_factory.mktemp("training_store") / "store.h5"
    dataset.build_store(smoke_manifest, path, spec, windows, progress=False)
    return path
