"""The notebook runner: a notebook reaches its final path only when every cell succeeded."""

from __future__ import annotations

import json

import nbformat
import pytest

from seqreg.project.run import NotebookFailed, main, run_notebook


@pytest.fixture
def probe_notebook(tmp_path):
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell(
        'dataset = "synthetic"\nscale = "demo"\nseed = 0\noutput_dir = ""\ndata_root = ""\nfail = False'
    )
    params.metadata["tags"] = ["parameters"]
    body = nbformat.v4.new_code_cell(
        "import json, pathlib\n"
        "pathlib.Path(output_dir, 'metrics', '99_probe.json').write_text(json.dumps("
        "{'dataset': dataset, 'scale': scale, 'seed': seed, 'data_root': data_root}))\n"
        "if fail:\n    raise ValueError('asked to fail')"
    )
    # markdown cells put the failing cell's position in the notebook (4th) apart from its
    # execution count (In [3], which counts papermill's injected parameters)
    notes = [nbformat.v4.new_markdown_cell("A probe."), nbformat.v4.new_markdown_cell("It writes.")]
    nb.cells = [params, *notes, body]
    nb.metadata["kernelspec"] = {"name": "seqreg", "display_name": "seqreg", "language": "python"}
    path = tmp_path / "99_probe.ipynb"
    nbformat.write(nb, path)
    return path


def test_success_moves_the_executed_notebook_into_place(probe_notebook, tmp_path):
    out = tmp_path / "out"
    final = run_notebook(probe_notebook, "synthetic", "smoke", seed=7, output_dir=out,
                         data_root=tmp_path / "d", progress=False)  # fmt: skip
    assert final == out / "notebooks" / "99_probe.ipynb"
    executed = nbformat.read(final, as_version=4)
    assert any("injected-parameters" in c.metadata.get("tags", []) for c in executed.cells)
    params = json.loads((out / "metrics" / "99_probe.json").read_text())
    assert params == {
        "dataset": "synthetic",
        "scale": "smoke",
        "seed": 7,
        "data_root": str(tmp_path / "d"),
    }
    assert [p.name for p in (out / "notebooks").iterdir()] == [
        "99_probe.ipynb"
    ]  # no temporary left


def test_failure_keeps_nothing_at_the_final_path(probe_notebook, tmp_path):
    out = tmp_path / "out"
    run_notebook(probe_notebook, "synthetic", "smoke", output_dir=out, progress=False)
    with pytest.raises(
        NotebookFailed, match=r"failed in cell 4 \(In \[3\]\) with ValueError: asked to fail"
    ) as caught:
        run_notebook(probe_notebook, "synthetic", "smoke", output_dir=out,
                     parameters={"fail": True}, progress=False)  # fmt: skip
    assert not (out / "notebooks" / "99_probe.ipynb").exists()  # the earlier success is stale now
    failed = out / "notebooks" / "99_probe.failed.ipynb"
    assert failed.exists() and str(failed) in str(caught.value)
    assert "asked to fail" in failed.read_text()
    run_notebook(probe_notebook, "synthetic", "smoke", output_dir=out, progress=False)
    assert not failed.exists()


def test_cli_rejects_bad_dataset_and_scale(probe_notebook, capsys):
    assert main([str(probe_notebook), "--dataset", "nonexistent", "--no-progress"]) == 1
    assert "no such dataset manifest" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main([str(probe_notebook), "--scale", "huge"])


def test_cli_passes_extra_parameters(probe_notebook, tmp_path):
    out = tmp_path / "out"
    code = main(
        [
            str(probe_notebook),
            "--scale",
            "smoke",
            "--output-dir",
            str(out),
            "-p",
            "fail=true",
            "--no-progress",
        ]
    )
    assert code == 1
    assert (out / "notebooks" / "99_probe.failed.ipynb").exists()


def test_manifest_given_as_a_relative_path_reaches_the_notebook(
    probe_notebook, tmp_path, project_root
):
    out = tmp_path / "out"
    run_notebook(
        probe_notebook, "data_manifest/synthetic.yaml", "smoke", output_dir=out, progress=False
    )
    params = json.loads((out / "metrics" / "99_probe.json").read_text())
    assert params["dataset"] == str(project_root / "data_manifest" / "synthetic.yaml")
