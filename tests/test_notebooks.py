"""Smoke runs: every notebook in notebooks/ executes at scale=smoke and writes its metrics."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from seqreg.run import run_notebook

NOTEBOOK_DIR = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"))


def test_there_are_notebooks():
    assert NOTEBOOKS, f"no notebooks in {NOTEBOOK_DIR}"


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_is_committed_clean_with_a_parameters_cell(notebook):
    nb = nbformat.read(notebook, as_version=4)
    assert nb.cells[0].cell_type == "markdown" and "Reproduces" in nb.cells[0].source
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    for name in ("dataset", "scale", "seed", "output_dir", "data_root"):
        assert f"\n{name}: " in "\n" + tagged[0].source, name
    assert all(
        not c.get("outputs") and not c.get("execution_count")
        for c in nb.cells
        if c.cell_type == "code"
    )


@pytest.mark.notebook
@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_at_smoke_scale(notebook, smoke_data_root, tmp_path_factory):
    out = tmp_path_factory.mktemp("outputs")
    final = run_notebook(
        notebook, "synthetic", "smoke", output_dir=out, data_root=smoke_data_root, progress=False
    )
    assert final.exists()
    metrics = json.loads((out / "metrics" / f"{notebook.stem}.json").read_text())
    assert metrics["dataset"] == "synthetic" and metrics["scale"] == "smoke"
