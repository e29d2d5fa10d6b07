"""The notebook runner: a notebook reaches its final path only when every cell succeeded."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from seqreg.project.run import (
    NotebookFailed,
    ParameterError,
    convert_parameters,
    main,
    notebook_parameters,
    run_notebook,
    skipped_reason,
)


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


# -- helpers for the declared-input and typed-parameter tests ---------------------------------
STANDARD = 'dataset = "synthetic"\nscale = "demo"\nseed = 0\noutput_dir = ""\ndata_root = ""\n'


def write_notebook(path, parameters: str, body: str, requires=None):
    """A notebook whose cell tagged ``parameters`` holds ``parameters`` and then ``body``."""
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell(parameters)
    params.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_markdown_cell("A test notebook."), params]
    nb.cells.append(nbformat.v4.new_code_cell(body))
    nb.metadata["kernelspec"] = {"name": "seqreg", "display_name": "seqreg", "language": "python"}
    if requires is not None:
        nb.metadata["seqreg"] = {"requires": requires}
    nbformat.write(nb, path)
    return path


#: body that records that it ran, in metrics/<stem>.json
RAN = (
    "import json, pathlib\n"
    "pathlib.Path(output_dir, 'metrics', '{stem}.json').write_text(json.dumps({{'ran': True}}))"
)


_FORMATS = {"genome_fasta": ("fasta", "genome.fa"), "gene_annotation": ("gtf", "genes.gtf"),
            "tss": ("bed", "tss.bed"), "chrom_sizes": ("chrom_sizes", "genome.sizes"),
            "qtl_summary": ("txt_gz", "qtl.txt.gz")}  # fmt: skip


def write_manifest(folder, roles, tracks: bool = False, name: str = "tiny", note: str = ""):
    """A manifest of local files (``root: <name>`` under the data root) with one file of each
    role in ``roles`` and, when ``tracks``, one bigWig track."""
    lines = [
        "schema_version: 1",
        f"name: {name}",
        f"description: a tiny dataset for the runner's tests{note}",
        f"root: {name}",
        "genomes:",
        "  - {id: g, species: test, assembly: t1}",
        "files:" if roles else "files: []",
    ]
    for role in roles:
        fmt, filename = _FORMATS[role]
        lines.append(f"  - {{id: {role}, role: {role}, format: {fmt}, path: {filename}}}")
    if tracks:
        lines += [
            "tracks:",
            "  - {id: t1, path: t1.bw, format: bigwig, assay: DNase, cell_type: c1}",
        ]
    path = folder / f"{name}.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


# -- declared inputs: a notebook the dataset cannot feed is skipped, not failed ---------------
def test_notebook_lacking_a_required_role_is_skipped_without_a_kernel(tmp_path, capsys):
    notebook = write_notebook(tmp_path / "98_needs.ipynb", STANDARD, RAN.format(stem="98_needs"),
                              requires=["genome_fasta", "tss|gene_annotation", "track"])  # fmt: skip
    manifest = write_manifest(tmp_path, ["genome_fasta"])
    out = tmp_path / "out"
    (out / "notebooks").mkdir(parents=True)
    (out / "notebooks" / "98_needs.failed.ipynb").write_text("{}")  # of an earlier run
    # a kernel that does not exist: a skip must not need one
    final = run_notebook(notebook, str(manifest), "smoke", output_dir=out, data_root=tmp_path,
                         kernel="no-such-kernel", progress=False)  # fmt: skip
    reason = (
        "dataset 'tiny' has no tss or gene_annotation file(s), no track file(s) "
        "(needs genome_fasta, tss or gene_annotation, track)"
    )
    assert final == out / "notebooks" / "98_needs.ipynb"
    assert capsys.readouterr().err.splitlines() == [f"98_needs.ipynb: skipped: {reason}"]
    assert skipped_reason(final) == reason
    written = nbformat.read(final, as_version=4)
    nbformat.validate(written)
    assert written.metadata["seqreg"]["skipped"] == reason
    assert written.metadata["kernelspec"]["name"] == "seqreg"
    assert [c.cell_type for c in written.cells] == ["markdown"]
    assert reason in written.cells[0].source
    assert not (out / "metrics" / "98_needs.json").exists()  # no cell ran
    assert not (out / "notebooks" / "98_needs.failed.ipynb").exists()
    assert sorted(p.name for p in (out / "notebooks").iterdir()) == ["98_needs.ipynb"]


def test_either_role_of_an_alternative_satisfies_it_and_the_notebook_runs(tmp_path):
    notebook = write_notebook(tmp_path / "98_needs.ipynb", STANDARD, RAN.format(stem="98_needs"),
                              requires=["genome_fasta", "tss|gene_annotation", "track"])  # fmt: skip
    manifest = write_manifest(tmp_path, ["genome_fasta", "gene_annotation"], tracks=True)
    out = tmp_path / "out"
    final = run_notebook(notebook, str(manifest), "smoke", output_dir=out, data_root=tmp_path,
                         progress=False)  # fmt: skip
    assert skipped_reason(final) is None
    assert json.loads((out / "metrics" / "98_needs.json").read_text()) == {"ran": True}


def test_a_store_is_met_by_tracks_or_by_a_store_file(tmp_path):
    from seqreg.project import load_manifest
    from seqreg.project.run import missing_requirements

    without = load_manifest(write_manifest(tmp_path, ["genome_fasta"]), "smoke", tmp_path)
    store = tmp_path / "out" / "data" / "store.h5"
    assert missing_requirements(without, ["store", "genome_fasta"], store) == ["store"]
    store.parent.mkdir(parents=True)
    store.write_bytes(b"converted")
    assert missing_requirements(without, ["store", "genome_fasta"], store) == []
    (tmp_path / "with").mkdir()
    with_tracks = write_manifest(tmp_path / "with", ["genome_fasta"], tracks=True)
    assert missing_requirements(load_manifest(with_tracks, "smoke", tmp_path), ["store"]) == []


def test_requirements_of_the_project_notebooks_name_known_roles():
    from seqreg.project import ROLES
    from seqreg.project.run import notebook_requirements

    notebooks = sorted(
        (Path(__file__).resolve().parents[1] / "notebooks").glob("[0-9][0-9]_*.ipynb")
    )
    declared = {nb.stem: notebook_requirements(nb) for nb in notebooks}
    for stem, requirements in declared.items():
        # 02, 05 and 14 read sequences from the store, 15 reads QTL tables only
        assert "genome_fasta" in requirements or stem[:2] in ("02", "05", "14", "15"), stem
        for requirement in requirements:
            known = (*ROLES, "track", "store")
            assert all(
                r in known or (r.startswith("track:") and len(r) > len("track:"))
                for r in requirement.split("|")
            ), requirement
    assert declared["13_leopard_conditioning"] == [
        "genome_fasta",
        "track:H3K27ac|track:H3K4me1",
        "track:DNase|track:ATAC",
    ]
    assert declared["02_train_basenji"] == ["store"]  # a converted Basenji store will do
    assert "tss|gene_annotation" in declared["03_evaluate_basenji"]
    assert "tss|gene_annotation" in declared["06_variant_scores_eqtl"]
    assert "qtl_summary" in declared["15_qtl_connectivity"]
    # the peak benchmark and the GWAS classifier's baseline need accessibility tracks
    for stem in ("04_benchmark_basset_deepsea", "07_gwas_classification"):
        assert "track:DNase|track:ATAC" in declared[stem]
    assert "gwas_snps" in declared["07_gwas_classification"]
    assert set(declared["10_autism_de_novo"]) == {
        "store",
        "genome_fasta",
        "de_novo_variants",
        "track:CAGE",
    }
    # saliency and ISM: the store's windows, annotation BEDs, TSSs for the locus, CAGE heads
    assert set(declared["05_saliency_ism"]) == {
        "store",
        "annotation",
        "tss|gene_annotation",
        "track:CAGE",
    }


def test_a_track_of_an_assay_is_met_only_by_a_track_of_that_assay(tmp_path):
    from seqreg.project import load_manifest
    from seqreg.project.run import missing_requirements, notebook_requirements

    manifest = load_manifest(
        write_manifest(tmp_path, ["genome_fasta"], tracks=True), "smoke", tmp_path
    )
    assays = {t.assay for t in manifest.tracks}
    present, absent = sorted(assays)[0], "ATAC" if "ATAC" not in assays else "CAGE"
    assert absent not in assays
    assert missing_requirements(manifest, [f"track:{present}"]) == []
    assert missing_requirements(manifest, [f"track:{absent}"]) == [f"track:{absent}"]
    assert missing_requirements(manifest, [f"track:{absent}|track:{present}"]) == []
    notebook = write_notebook(
        tmp_path / "98_x.ipynb", STANDARD, RAN.format(stem="98_x"), requires=["track:"]
    )
    from seqreg.project import InputFileError

    with pytest.raises(InputFileError, match="unknown role"):
        notebook_requirements(notebook)


def test_unknown_role_in_the_requirements_is_an_error_not_a_skip(tmp_path, capsys):
    from seqreg.project import InputFileError

    notebook = write_notebook(tmp_path / "98_typo.ipynb", STANDARD, "raise SystemExit",
                              requires=["genome_fasta", "tsss|gene_annotation"])  # fmt: skip
    manifest = write_manifest(tmp_path, ["genome_fasta"])
    out = tmp_path / "out"
    with pytest.raises(InputFileError, match=r"unknown role 'tsss' \(did you mean 'tss'\?\)"):
        run_notebook(notebook, str(manifest), "smoke", output_dir=out, data_root=tmp_path,
                     kernel="no-such-kernel")  # fmt: skip
    assert not (out / "notebooks" / "98_typo.ipynb").exists()
    code = main([str(notebook), "--dataset", str(manifest), "--scale", "smoke",
                 "--output-dir", str(out), "--data-root", str(tmp_path)])  # fmt: skip
    assert code == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: {notebook}: metadata 'seqreg.requires' names the unknown role")


def test_cli_goes_on_after_a_skipped_notebook_and_exits_0(tmp_path, capsys):
    skipped = write_notebook(tmp_path / "97_qtl.ipynb", STANDARD, RAN.format(stem="97_qtl"),
                             requires=["qtl_summary"])  # fmt: skip
    runs = write_notebook(tmp_path / "98_fasta.ipynb", STANDARD, RAN.format(stem="98_fasta"),
                          requires=["genome_fasta"])  # fmt: skip
    manifest = write_manifest(tmp_path, ["genome_fasta"])
    out = tmp_path / "out"
    code = main([str(skipped), str(runs), "--dataset", str(manifest), "--scale", "smoke",
                 "--output-dir", str(out), "--data-root", str(tmp_path), "--no-progress"])  # fmt: skip
    assert code == 0
    err = capsys.readouterr().err
    assert (
        "97_qtl.ipynb: skipped: dataset 'tiny' has no qtl_summary file(s) (needs qtl_summary)"
        in err.splitlines()
    )
    assert skipped_reason(out / "notebooks" / "97_qtl.ipynb") is not None
    assert skipped_reason(out / "notebooks" / "98_fasta.ipynb") is None
    assert not (out / "metrics" / "97_qtl.json").exists()
    assert (out / "metrics" / "98_fasta.json").exists()


def test_a_crash_is_still_a_failure_when_requirements_are_met(tmp_path):
    notebook = write_notebook(tmp_path / "98_crash.ipynb", STANDARD, "1 / 0",
                              requires=["genome_fasta"])  # fmt: skip
    manifest = write_manifest(tmp_path, ["genome_fasta"])
    code = main([str(notebook), "--dataset", str(manifest), "--scale", "smoke",
                 "--output-dir", str(tmp_path / "out"), "--no-progress"])  # fmt: skip
    assert code == 1
    assert not (tmp_path / "out" / "notebooks" / "98_crash.ipynb").exists()


def test_report_lists_a_skipped_notebook_with_its_reason(tmp_path):
    from seqreg.project import build_report

    out = tmp_path / "out"
    done = nbformat.v4.new_notebook()
    done.cells = [nbformat.v4.new_markdown_cell("Results of 01.")]
    (out / "notebooks").mkdir(parents=True)
    nbformat.write(done, out / "notebooks" / "01_done.ipynb")
    notebook = write_notebook(tmp_path / "15_qtl.ipynb", STANDARD, "raise SystemExit",
                              requires=["qtl_summary"])  # fmt: skip
    manifest = write_manifest(tmp_path, ["genome_fasta"])
    (out / "figures").mkdir()
    (out / "figures" / "15_old_result.png").write_bytes(b"\x89PNG")  # left by an earlier run
    run_notebook(notebook, str(manifest), "smoke", output_dir=out, data_root=tmp_path)
    index = build_report(out).read_text()
    assert "15_qtl (skipped)" in index
    assert "Not run: dataset &#x27;tiny&#x27; has no qtl_summary file(s)" in index
    assert "15_old_result.png" not in index
    assert not (out / "report" / "15_qtl.html").exists()
    assert (out / "report" / "01_done.html").exists() and 'href="01_done.html"' in index


@pytest.mark.skipif(
    not (Path(__file__).resolve().parents[1] / ".venv" / ".seqreg-env").exists(),
    reason="needs the environment built by `make env`",
)
def test_make_moves_past_a_skipped_notebook_and_does_not_retry_it(tmp_path, project_root):
    import os
    import subprocess

    data = tmp_path / "data"
    (data / "tiny").mkdir(parents=True)
    (data / "tiny" / "genome.fa").write_text(">chr1\n" + "ACGT" * 50 + "\n")
    manifest = write_manifest(tmp_path, ["genome_fasta"])
    # 03 needs tracks or a store (and TSSs), 15 QTL summaries: the dataset has neither
    notebooks = ["notebooks/03_evaluate_basenji.ipynb", "notebooks/15_qtl_connectivity.ipynb"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAKE")}

    def make():
        args = ["make", "--no-print-directory", "-C", str(project_root), "all", "SCALE=smoke",
                f"DATASET={manifest}", f"DATA_ROOT={data}", f"OUTPUT_ROOT={tmp_path / 'outputs'}",
                "NOTEBOOKS=" + " ".join(notebooks)]  # fmt: skip
        result = subprocess.run(args, env=env, capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, result.stdout + result.stderr
        return result

    executed = [tmp_path / "outputs" / "tiny" / "smoke" / nb for nb in notebooks]
    first = make()
    assert all(f"seqreg.project.run {nb}" in first.stdout for nb in notebooks)  # 15 after 03
    assert (
        "03_evaluate_basenji.ipynb: skipped: dataset 'tiny' has no tracks to build a training store from"
        in first.stderr
    )
    assert "15_qtl_connectivity.ipynb: skipped: dataset 'tiny' has no" in first.stderr
    assert all(skipped_reason(p) for p in executed)
    mtimes = [p.stat().st_mtime_ns for p in executed]

    again = make()  # nothing changed: neither is tried again
    assert "seqreg.project.run" not in again.stdout
    assert [p.stat().st_mtime_ns for p in executed] == mtimes

    write_manifest(tmp_path, ["genome_fasta"], note=" (edited)")  # the dataset changed
    changed = make()
    assert "seqreg.project.datasets prepare" in changed.stdout
    assert all(f"seqreg.project.run {nb}" in changed.stdout for nb in notebooks)


# -- typed parameters ---------------------------------------------------------------------------
TYPED = STANDARD + (
    "fdr_max: float = 0.05  # FDR threshold\n"
    "bin_size: int = 10_000  # bp\n"
    "flag: bool = False  # a switch\n"
    'label: str = "x"  # free text\n'
    'groups: dict = {"a": 1}  # a mapping\n'
    "limit: int | None = None  # optional\n"
    "plain = 3  # no annotation: the default's type\n"
)
RECORD_TYPES = (
    "import json, pathlib\n"
    "pathlib.Path(output_dir, 'metrics', '98_typed.json').write_text(json.dumps("
    "{n: [type(v).__name__, v] for n, v in dict(fdr_max=fdr_max, bin_size=bin_size, flag=flag, "
    "label=label, groups=groups, limit=limit, plain=plain).items()}))"
)


@pytest.fixture
def typed_notebook(tmp_path):
    return write_notebook(tmp_path / "98_typed.ipynb", TYPED, RECORD_TYPES)


def test_declared_parameter_types_are_read_from_the_parameters_cell(typed_notebook):
    assert notebook_parameters(typed_notebook) == {
        "dataset": "str", "scale": "str", "seed": "int", "output_dir": "str", "data_root": "str",
        "fdr_max": "float", "bin_size": "int", "flag": "bool", "label": "str", "groups": "dict",
        "limit": "int | None", "plain": "int",
    }  # fmt: skip


@pytest.mark.parametrize(
    "name, given, expected",
    [
        ("fdr_max", "5e-2", 0.05),
        ("fdr_max", "1", 1.0),
        ("fdr_max", 1, 1.0),
        ("bin_size", "1e4", 10000),
        ("bin_size", "10_000", 10000),
        ("bin_size", "2.0E3", 2000),
        ("bin_size", 5000.0, 5000),
        ("flag", "true", True),
        ("flag", "No", False),
        ("flag", "1", True),
        ("flag", 0, False),
        ("label", "007", "007"),
        ("label", "1e4", "1e4"),
        ("groups", "{b: 2}", {"b": 2}),
        ("groups", '{"b": [1, 2]}', {"b": [1, 2]}),
        ("limit", "none", None),
        ("limit", "1e3", 1000),
        ("plain", "4", 4),
    ],
)
def test_values_are_converted_to_the_declared_type(typed_notebook, name, given, expected):
    converted = convert_parameters(typed_notebook, {name: given})[name]
    assert converted == expected and type(converted) is type(expected)


@pytest.mark.parametrize(
    "name, given, problem",
    [
        ("bin_size", "1.5e3x", "int (not a number)"),
        ("bin_size", "12.5", "int (not a whole number)"),
        ("bin_size", True, "int (got bool)"),
        ("fdr_max", "five percent", "float (not a number)"),
        ("flag", "maybe", "bool (write one of true, yes, on, 1 or false, no, off, 0)"),
        ("label", 3, "str (got int)"),
        ("groups", "[1, 2]", "dict (got list)"),
    ],
)
def test_a_value_that_does_not_fit_names_parameter_value_and_type(
    typed_notebook, name, given, problem
):
    with pytest.raises(ParameterError) as caught:
        convert_parameters(typed_notebook, {name: given})
    declared = notebook_parameters(typed_notebook)[name]
    assert str(caught.value) == (
        f"{typed_notebook}: parameter {name!r} is declared {declared}, and the value "
        f"{given!r} cannot be converted to {problem}"
    )


def test_unknown_parameter_is_refused_with_a_suggestion(typed_notebook):
    with pytest.raises(
        ParameterError, match=r"unknown parameter 'fdr_maximum' \(did you mean 'fdr_max'\?\)"
    ):
        convert_parameters(typed_notebook, {"fdr_maximum": "0.0001"})


def test_cli_parameters_arrive_as_the_declared_types(typed_notebook, tmp_path):
    out = tmp_path / "out"
    code = main([str(typed_notebook), "--scale", "smoke", "--output-dir", str(out), "--no-progress",
                 "-p", "fdr_max=5e-2", "-p", "bin_size=1e4", "-p", "flag=yes", "-p", "label=007",
                 "-p", "groups={b: 2}", "-p", "limit=1e2", "-p", "plain=5"])  # fmt: skip
    assert code == 0
    assert json.loads((out / "metrics" / "98_typed.json").read_text()) == {
        "fdr_max": ["float", 0.05], "bin_size": ["int", 10000], "flag": ["bool", True],
        "label": ["str", "007"], "groups": ["dict", {"b": 2}], "limit": ["int", 100],
        "plain": ["int", 5],
    }  # fmt: skip


@pytest.mark.parametrize(
    "parameter, message",
    [
        ("fdr_maximum=0.0001", "unknown parameter 'fdr_maximum' (did you mean 'fdr_max'?)"),
        ("bin_size=12.5", "parameter 'bin_size' is declared int, and the value '12.5' cannot"),
    ],
)
def test_cli_refuses_bad_parameters_before_any_kernel_starts(
    typed_notebook, tmp_path, capsys, parameter, message
):
    out = tmp_path / "out"
    # a kernel that does not exist: the parameters are checked first
    code = main([str(typed_notebook), "--scale", "smoke", "--output-dir", str(out),
                 "--kernel", "no-such-kernel", "-p", parameter])  # fmt: skip
    assert code == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: {typed_notebook}: ") and message in err
    assert len(err.strip().splitlines()) == 1
    assert not (out / "notebooks").exists() or not list((out / "notebooks").iterdir())


def test_run_notebook_refuses_an_unknown_parameter(typed_notebook, tmp_path):
    with pytest.raises(ParameterError, match="did you mean 'bin_size'"):
        run_notebook(typed_notebook, "synthetic", "smoke", output_dir=tmp_path / "out",
                     parameters={"bin_sise": 5}, kernel="no-such-kernel")  # fmt: skip


def test_cli_as_a_module_names_the_failing_cell(probe_notebook, tmp_path):
    # `python -m seqreg.project.run`: the module's code runs in the order it is written
    result = subprocess.run(
        [sys.executable, "-m", "seqreg.project.run", str(probe_notebook), "--scale", "smoke",
         "--output-dir", str(tmp_path / "out"), "--no-progress", "-p", "fail=true"],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 1, result.stderr
    assert "NameError" not in result.stderr
    assert (
        "error: 99_probe.ipynb failed in cell 4 (In [3]) with ValueError: asked to fail"
        in result.stderr
    )
    assert (tmp_path / "out" / "notebooks" / "99_probe.failed.ipynb").exists()


def test_metrics_are_strict_json_with_null_for_missing_values(tmp_path):
    """NaN is not JSON: a metrics file read by jq or R must parse, with null in its place."""
    import math

    import numpy as np

    from seqreg.project.files import write_json

    values = {"r": float("nan"), "n": np.int64(3), "inf": np.float32("inf")}
    values |= {"x": [np.float64(0.5), math.nan], "ok": np.bool_(True)}
    path = write_json(tmp_path / "m.json", values)
    text = path.read_text()
    assert "NaN" not in text and "Infinity" not in text
    parsed = json.loads(text, parse_constant=lambda token: pytest.fail(f"non-JSON token {token}"))
    assert parsed == {"r": None, "n": 3, "inf": None, "x": [0.5, None], "ok": True}


def test_progress_bars_are_text_without_ipywidgets(monkeypatch):
    """tqdm.auto warns (TqdmWarning) in a kernel without ipywidgets; the text bar does not."""
    import importlib.util
    import warnings

    import tqdm.std

    from seqreg.project import progress_bar

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "ipywidgets" else real(name, *a),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        bar = progress_bar(range(3), disable=True)
        assert type(bar) is tqdm.std.tqdm
        assert list(bar) == [0, 1, 2]
