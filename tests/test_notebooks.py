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


@pytest.fixture(scope="session")
def smoke_outputs(tmp_path_factory):
    """One output directory for the whole chain: later notebooks read earlier outputs
    (02 trains on the store of 01, 03 evaluates the model of 02), as under `make all`."""
    return tmp_path_factory.mktemp("outputs")


@pytest.mark.notebook
@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_at_smoke_scale(notebook, smoke_data_root, smoke_outputs):
    out = smoke_outputs
    final = run_notebook(
        notebook, "synthetic", "smoke", output_dir=out, data_root=smoke_data_root, progress=False
    )
    assert final.exists()
    metrics = json.loads((out / "metrics" / f"{notebook.stem}.json").read_text())
    assert metrics["dataset"] == "synthetic" and metrics["scale"] == "smoke"
    for check in EXPECTATIONS.get(notebook.stem, []):
        assert check(metrics), (notebook.stem, metrics)


#: what each notebook's metrics must show on the synthetic data (scored against planted truth)
EXPECTATIONS = {
    "00_data_qc": [
        lambda m: m["n_fraction_max_abs_error"] < 1e-9,
        lambda m: (
            m["nan_fraction_max_abs_error"] < 1e-9 and m["zero_fraction_max_abs_error"] < 1e-9
        ),
    ],
    "01_preprocess": [
        lambda m: (
            m["cross_split_overlaps"] == 0
            and min(m[f"windows_{s}"] for s in ("train", "valid", "test")) > 0
        ),
        # EM and GC correction each beat raw coverage against the noise-free truth
        lambda m: m["coverage_r_genome_wide_em"] > m["coverage_r_genome_wide_raw"],
        lambda m: m["coverage_r_genome_wide_em_gc"] > m["coverage_r_genome_wide_raw"],
        lambda m: m["coverage_r_duplicated_segments_em"] > m["coverage_r_duplicated_segments_raw"],
        lambda m: (
            m["coverage_r_duplicated_segments_em_gc"] > m["coverage_r_duplicated_segments_raw"]
        ),
    ],
    "02_train_basenji": [
        # three epochs lower the validation loss, and the best epoch is the recorded one
        lambda m: m["epochs_trained"] == 3 and m["best_val_loss"] < m["first_val_loss"],
        lambda m: m["parameters"] > 0 and m["receptive_field_bp"] > 1000,
    ],
    "03_evaluate_basenji": [
        # the truth is cut exactly like the targets: experiments track their noise-free
        # signal (a misaligned cut gives r near 0)
        lambda m: (
            min(m["truth_r_by_assay"]["experiment_truth_r"][a] for a in ("DNase", "H3K27ac")) > 0.5
        ),
        # replicate experiments agree; GC and k-mer content explain some CAGE, the mean
        # profile none
        lambda m: m["replicates"]["pairs"] > 0 and m["replicates"]["median_replicate_r"] > 0.3,
        lambda m: (
            m["baseline_pearson_r_by_assay"]["GC + k-mer ridge"]["CAGE"]
            > m["baseline_pearson_r_by_assay"]["mean profile"]["CAGE"] + 0.05
        ),
        lambda m: len(m["rf_ablation"]) == 2 and m["genes"] > 0,
    ],
    "06_variant_scores_eqtl": [
        # every synthetic REF allele matches the genome; pairs near TSSs were scored
        lambda m: m["vcf_counts"]["kept"] == m["vcf_counts"]["snvs"] > 0 and m["pairs_scored"] > 0,
        lambda m: m["scoring_method"] == "local",
        # |SED| ranks the planted causal pairs above the others (misplaced edits give ~0.5)
        lambda m: min(r["auroc_abs_score"] for r in m["recovery"].values()) > 0.6,
        # the regression finds the planted effects when they are the score
        lambda m: (
            len(m["truth_as_score"]) == 4
            and min(r["coef"] for r in m["truth_as_score"].values()) > 0
        ),
    ],
}
