"""Execute notebooks with papermill so that a failed run is never mistaken for a done one.

``python -m seqreg.project.run notebooks/00_data_qc.ipynb --dataset synthetic --scale demo``

The executed notebook is written to a hidden temporary file beside its destination
``outputs/<dataset>/<scale>/notebooks/<name>.ipynb`` and renamed onto it only when every
cell succeeded. A failed notebook is kept as ``<name>.failed.ipynb`` for reading, and
the destination is removed before the run starts, so Make (and people) can trust that
a notebook at its final path is complete and current.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from .scales import SCALES

KERNEL_NAME = "seqreg"


KERNEL_DISPLAY_NAME = "Python 3 (seqreg)"


class NotebookFailed(RuntimeError):
    """A notebook raised in one of its cells; the executed copy shows where."""


def install_kernel(user: bool = False) -> str:
    """Register this interpreter as the Jupyter kernel ``seqreg``.

    Installed into the environment itself (``sys.prefix``) unless ``user`` is true,
    so each checkout's environment carries its own kernel. Returns the kernelspec path.
    """
    from ipykernel.kernelspec import install

    return install(
        kernel_name=KERNEL_NAME,
        display_name=KERNEL_DISPLAY_NAME,
        user=user,
        prefix=None if user else sys.prefix,
    )


def kernel_available(name: str = KERNEL_NAME) -> bool:
    """Whether Jupyter can find the kernelspec ``name``."""
    from jupyter_client.kernelspec import KernelSpecManager

    return name in KernelSpecManager().find_kernel_specs()


def run_notebook(
    notebook: str | Path,
    dataset: str = "synthetic",
    scale: str = "demo",
    seed: int = 0,
    output_dir: str | Path | None = None,
    data_root: str | Path | None = None,
    parameters: dict[str, Any] | None = None,
    kernel: str = KERNEL_NAME,
    progress: bool = True,
    log_output: bool = False,
) -> Path:
    """Execute ``notebook`` with papermill and return the path of the executed copy.

    Parameters
    ----------
    notebook
        Source notebook (``notebooks/NN_topic.ipynb``).
    dataset, scale, seed
        Passed to the notebook's ``parameters`` cell.
    output_dir
        Base output directory (default ``outputs/<dataset>/<scale>``); passed to the
        notebook, and the executed copy goes to its ``notebooks/`` folder.
    data_root
        Directory of datasets (default ``<project>/data``); passed to the notebook.
    parameters
        Further parameters for the notebook's ``parameters`` cell.
    kernel
        Jupyter kernel to run (default: the project's ``seqreg`` kernel).
    progress, log_output
        Show a cell progress bar; echo cell output to the terminal.

    Raises
    ------
    NotebookFailed
        When a cell raised. The executed copy is at ``<name>.failed.ipynb``.
    """
    import papermill

    from .files import atomic_path
    from .manifest import load_manifest
    from .paths import output_dirs
    from .scales import check_scale

    notebook = Path(notebook).resolve()
    if not notebook.is_file():
        raise FileNotFoundError(f"{notebook}: no such notebook")
    check_scale(scale)
    manifest = load_manifest(dataset, scale, data_root)  # fail fast on a bad manifest
    if not kernel_available(kernel):
        raise RuntimeError(
            f"Jupyter kernel {kernel!r} is not installed; run `make env` "
            f"(or `python -m seqreg.project.run --install-kernel`)"
        )
    dirs = output_dirs(manifest.name, scale, output_dir)
    final = dirs["notebooks"] / notebook.name
    failed = final.with_suffix(".failed.ipynb")
    final.unlink(missing_ok=True)
    failed.unlink(missing_ok=True)
    for leftover in dirs["notebooks"].glob(f".{notebook.stem}.*{notebook.suffix}"):
        leftover.unlink()  # temporary copy of a run that was killed outright
    # A manifest given as a path reaches the notebook as an absolute path (it runs elsewhere).
    by_name = str(dataset) == manifest.name
    values = {
        "dataset": manifest.name if by_name else str(manifest.source),
        "scale": scale,
        "seed": int(seed),
        "output_dir": str(dirs["base"].resolve()),
        "data_root": str(Path(data_root).resolve()) if data_root else "",
        **(parameters or {}),
    }
    started = time.monotonic()
    with atomic_path(final) as tmp:
        try:
            papermill.execute_notebook(
                str(notebook),
                str(tmp),
                parameters=values,
                kernel_name=kernel,
                cwd=str(notebook.parent),
                progress_bar=progress,
                log_output=log_output,
                report_mode=False,
            )
        except papermill.PapermillExecutionError as err:
            tmp.replace(failed)
            raise NotebookFailed(
                f"{notebook.name} failed in {_failed_cell(failed, err.exec_count)} with {err.ename}: "
                f"{err.evalue}\n"
                f"the executed notebook, error included, is at {failed}"
            ) from None
    print(
        f"{notebook.name}: done in {time.monotonic() - started:.0f} s -> {final}", file=sys.stderr
    )
    return final


def _parse_parameter(text: str) -> tuple[str, Any]:
    import yaml

    if "=" not in text:
        raise argparse.ArgumentTypeError(f"{text!r}: parameters are written name=value")
    name, value = text.split("=", 1)
    return name, yaml.safe_load(value)


def main(argv: list[str] | None = None) -> int:
    """Command line: ``python -m seqreg.project.run``; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m seqreg.project.run",
        description="Execute notebooks with papermill, atomically.",
    )
    parser.add_argument("notebooks", nargs="*", type=Path, help="notebooks to execute, in order")
    parser.add_argument(
        "--dataset", default="synthetic", help="manifest name or path (default: synthetic)"
    )
    parser.add_argument("--scale", default="demo", choices=SCALES)
    parser.add_argument("--seed", type=int, default=0, help="random seed passed to each notebook")
    parser.add_argument("--output-dir", default=None, help="default: outputs/<dataset>/<scale>")
    parser.add_argument(
        "--data-root", default=None, help="directory of datasets (default: <project>/data)"
    )
    parser.add_argument("-p", "--parameter", action="append", default=[], type=_parse_parameter,
                        metavar="NAME=VALUE", help="extra notebook parameter (YAML value); repeatable")  # fmt: skip
    parser.add_argument(
        "--kernel", default=KERNEL_NAME, help=f"Jupyter kernel (default: {KERNEL_NAME})"
    )
    parser.add_argument("--no-progress", action="store_true", help="hide the cell progress bar")
    parser.add_argument("--log-output", action="store_true", help="echo cell output")
    parser.add_argument("--install-kernel", action="store_true",
                        help=f"register this interpreter as the '{KERNEL_NAME}' kernel and exit")  # fmt: skip
    args = parser.parse_args(argv)
    if args.install_kernel:
        print(f"installed kernel {KERNEL_NAME!r} in {install_kernel()}")
        return 0
    if not args.notebooks:
        parser.error("give at least one notebook")
    from .errors import SeqregError

    for notebook in args.notebooks:
        try:
            run_notebook(
                notebook, args.dataset, args.scale, args.seed, args.output_dir, args.data_root,
                dict(args.parameter), args.kernel, not args.no_progress, args.log_output,
            )  # fmt: skip
        except (NotebookFailed, SeqregError, FileNotFoundError, RuntimeError, ValueError) as err:
            print(f"error: {err}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())


def _failed_cell(executed: Path, execution_count: int | None) -> str:
    """``cell N (In [k])``: the failing cell's position in the source notebook (cells papermill
    added left out) and its execution count."""
    try:
        import nbformat

        cells = nbformat.read(executed, as_version=4).cells
    except (OSError, ValueError):
        return f"In [{execution_count}]"
    added = {"injected-parameters", "papermill-error-cell-tag"}  # cells papermill inserts
    index = 0
    for cell in cells:
        if added & set(cell.get("metadata", {}).get("tags", [])):
            continue
        index += 1
        if cell.get("cell_type") == "code" and cell.get("execution_count") == execution_count:
            return f"cell {index} (In [{execution_count}])"
    return f"In [{execution_count}]"
