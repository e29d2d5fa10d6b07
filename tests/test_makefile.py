"""`make all`: incremental, and a killed notebook is never treated as done.

Runs the real Makefile at scale=smoke with data and outputs in a temporary directory.
Needs the environment that `make test` builds first (.venv).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# the first two notebooks: enough to test the chaining, and the later ones (training) are
# exercised by test_notebooks.py
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))[:2]

pytestmark = [
    pytest.mark.notebook,
    pytest.mark.xdist_group("makefile"),  # minutes of make runs: apart from the notebook chain
    pytest.mark.skipif(
        not (ROOT / ".venv" / ".seqreg-env").exists(),
        reason="needs the environment built by `make env`",
    ),
]


def make(tmp_path: Path, *targets: str, **popen) -> subprocess.CompletedProcess | subprocess.Popen:
    args = ["make", "--no-print-directory", "-C", str(ROOT), *targets, "SCALE=smoke",
            f"DATA_ROOT={tmp_path / 'data'}", f"OUTPUT_ROOT={tmp_path / 'outputs'}",
            "NOTEBOOKS=" + " ".join(str(nb.relative_to(ROOT)) for nb in NOTEBOOKS)]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAKE")}
    if popen:  # background run, to be killed
        return subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True, **popen)  # fmt: skip
    return subprocess.run(args, env=env, capture_output=True, text=True, timeout=900)


def executed(tmp_path: Path) -> list[Path]:
    return [
        tmp_path / "outputs" / "synthetic" / "smoke" / "notebooks" / nb.name for nb in NOTEBOOKS
    ]


def _cells_executed(directory: Path, stem: str) -> bool:
    """Whether the kernel has run a cell of the notebook being written to a temporary copy."""
    for temporary in directory.glob(f".{stem}.*"):
        try:
            cells = json.loads(temporary.read_text())["cells"]
        except (OSError, ValueError, KeyError):
            continue  # being written
        if any(c.get("execution_count") for c in cells):
            return True
    return False


def notebooks_run(output: str) -> list[str]:
    """The notebooks whose run commands a make output shows."""
    return [nb.name for nb in NOTEBOOKS if f"seqreg.project.run {nb.relative_to(ROOT)}" in output]


def test_killed_notebook_is_rerun_and_second_run_does_no_work(tmp_path):
    first, second = executed(tmp_path)
    # Start `make all` and kill the whole process group while the second notebook runs.
    proc = make(tmp_path, "all", start_new_session=True)
    deadline = time.monotonic() + 300
    while not _cells_executed(second.parent, second.stem):
        assert proc.poll() is None, proc.stdout.read()
        assert time.monotonic() < deadline, "the notebook never started"
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not second.exists(), "a killed notebook was left at its final path"
    assert first.exists()
    first_done = first.stat().st_mtime_ns

    # make picks up at the notebook it was in: the finished one is not run again
    rerun = make(tmp_path, "all")
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert notebooks_run(rerun.stdout) == [second.name]
    assert all(p.exists() for p in executed(tmp_path))
    assert first.stat().st_mtime_ns == first_done
    assert not list(first.parent.glob(".*.ipynb")), "temporary copies were left behind"
    mtimes = [p.stat().st_mtime_ns for p in executed(tmp_path)]

    again = make(tmp_path, "all")  # prepare checks the data again; nothing changed, nothing runs
    assert again.returncode == 0, again.stdout + again.stderr
    assert "seqreg.project.run" not in again.stdout
    assert [p.stat().st_mtime_ns for p in executed(tmp_path)] == mtimes

    # What a change reruns, asked of make as a dry run with the file taken as new (-W), so
    # no source file is touched: a notebook reruns with the ones after it, a library
    # change reruns every notebook. (The parameters file and the data stamp, rewritten only
    # when a parameter or the data changes, are held as unchanged: a dry run cannot know
    # that their recipes leave them alone.)
    def would_run(changed: str) -> list[str]:
        parameters = first.parents[1] / ".parameters"
        stamp = tmp_path / "data" / ".stamps" / "synthetic-smoke.ok"
        dry = make(tmp_path, "-n", f"--what-if={changed}", f"--assume-old={parameters}",
                   f"--assume-old={stamp}", "all")  # fmt: skip
        assert dry.returncode == 0, dry.stdout + dry.stderr
        return notebooks_run(dry.stdout)

    assert would_run(str(NOTEBOOKS[1].relative_to(ROOT))) == [second.name]
    assert would_run(str(NOTEBOOKS[0].relative_to(ROOT))) == [first.name, second.name]
    library = next(iter(sorted((ROOT / "lib" / "seqreg").rglob("*.py"))))
    assert would_run(str(library.relative_to(ROOT))) == [first.name, second.name]
    assert [p.stat().st_mtime_ns for p in executed(tmp_path)] == mtimes  # dry runs ran nothing

    # A data file that changed on disk (the manifest did not) is checked again and reruns
    # every notebook.
    track = next((tmp_path / "data").rglob("*.bw"))
    os.utime(track, ns=(track.stat().st_atime_ns, track.stat().st_mtime_ns + 10**9))
    touched = make(tmp_path, "all")
    assert touched.returncode == 0, touched.stdout + touched.stderr
    assert notebooks_run(touched.stdout) == [first.name, second.name]
    mtimes = [p.stat().st_mtime_ns for p in executed(tmp_path)]

    # A changed parameter reruns every notebook.
    reseeded = make(tmp_path, "all", "SEED=1")
    assert reseeded.returncode == 0, reseeded.stdout + reseeded.stderr
    assert notebooks_run(reseeded.stdout) == [first.name, second.name]
    assert all(
        p.stat().st_mtime_ns != before for p, before in zip(executed(tmp_path), mtimes, strict=True)
    )
