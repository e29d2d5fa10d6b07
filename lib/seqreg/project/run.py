"""Execute notebooks with papermill so that a failed run is never mistaken for a done one.

``python -m seqreg.project.run notebooks/00_data_qc.ipynb --dataset synthetic --scale demo``

The executed notebook is written to a hidden temporary file beside its destination
``outputs/<dataset>/<scale>/notebooks/<name>.ipynb`` and renamed onto it only when every
cell succeeded. A failed notebook is kept as ``<name>.failed.ipynb`` for reading, and
the destination is removed before the run starts, so Make (and people) can trust that
a notebook at its final path is complete and current.

Before a kernel starts, the runner checks two things. A notebook declares in its
metadata the manifest roles it needs (``"seqreg": {"requires": ["genome_fasta", "track",
"tss|gene_annotation"]}``: ``a|b`` is either role, ``track`` at least one coverage
track); when the dataset lacks one, the notebook is *skipped*: a small notebook saying
why is written at its final path (metadata ``"seqreg": {"skipped": reason}``), so Make
moves on and does not retry it until the dataset or the parameters change. And the
extra parameters (``-p name=value``) must be names the notebook's ``parameters`` cell
declares; each value is converted to the type declared there (``1e4`` for an ``int``
is 10000, ``5e-2`` for a ``float`` is 0.05).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

from .scales import SCALES

KERNEL_NAME = "seqreg"


KERNEL_DISPLAY_NAME = "Python 3 (seqreg)"


#: the requirement that stands for "at least one coverage track" (tracks have no role)
TRACK_REQUIREMENT = "track"

#: requirement met by a training store: the dataset's tracks (notebook 01 builds the store
#: from them) or a store already at ``<output_dir>/data/store.h5`` (for instance one
#: converted from a Basenji data directory)
STORE_REQUIREMENT = "store"


class NotebookFailed(RuntimeError):
    """A notebook raised in one of its cells; the executed copy shows where."""


class ParameterError(ValueError):
    """A parameter the notebook does not declare, or a value that does not fit its type."""


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
        Further parameters for the notebook's ``parameters`` cell; each must be declared
        there and is converted to its declared type (:func:`convert_parameters`).
    kernel
        Jupyter kernel to run (default: the project's ``seqreg`` kernel).
    progress, log_output
        Show a cell progress bar; echo cell output to the terminal.

    Returns
    -------
    Path
        The notebook at its final path: the executed copy, or, when the dataset lacks a
        file the notebook requires, a notebook that says it was skipped and why
        (:func:`skipped_reason` tells them apart).

    Raises
    ------
    NotebookFailed
        When a cell raised. The executed copy is at ``<name>.failed.ipynb``.
    FileNotFoundError
        When ``notebook`` or the dataset's manifest does not exist.
    ParameterError
        For a parameter the notebook does not declare or a value that does not fit the
        declared type (before any kernel starts).
    InputFileError
        When the notebook's ``seqreg.requires`` metadata is malformed or names an
        unknown role.
    RuntimeError
        When the Jupyter kernel is not installed.
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
    requirements = notebook_requirements(notebook)
    extra = convert_parameters(notebook, parameters or {})
    manifest = load_manifest(dataset, scale, data_root)  # fail fast on a bad manifest
    dirs = output_dirs(manifest.name, scale, output_dir)
    final = dirs["notebooks"] / notebook.name
    failed = final.with_suffix(".failed.ipynb")
    missing = missing_requirements(manifest, requirements, dirs["data"] / "store.h5")
    if not missing and not kernel_available(kernel):
        raise RuntimeError(
            f"Jupyter kernel {kernel!r} is not installed; run `make env` "
            f"(or `python -m seqreg.project.run --install-kernel`)"
        )
    final.unlink(missing_ok=True)
    failed.unlink(missing_ok=True)
    for leftover in dirs["notebooks"].glob(f".{notebook.stem}.*{notebook.suffix}"):
        leftover.unlink()  # temporary copy of a run that was killed outright
    if missing:
        wanted = ", ".join(r.replace("|", " or ") for r in requirements)
        absent = ", no ".join(
            f"tracks to build a training store from, nor a store at {dirs['data'] / 'store.h5'}"
            if r == STORE_REQUIREMENT
            else r.replace("|", " or ") + " file(s)"
            for r in missing
        )
        reason = f"dataset '{manifest.name}' has no {absent} (needs {wanted})"
        _write_skipped(notebook, final, reason, manifest, scale)
        print(f"{notebook.name}: skipped: {reason}", file=sys.stderr)
        return final
    # A manifest given as a path reaches the notebook as an absolute path (it runs elsewhere).
    by_name = str(dataset) == manifest.name
    values = {
        "dataset": manifest.name if by_name else str(manifest.source),
        "scale": scale,
        "seed": int(seed),
        "output_dir": str(dirs["base"].resolve()),
        "data_root": str(Path(data_root).resolve()) if data_root else "",
        **extra,
    }
    started = time.monotonic()
    # TensorFlow's C++ start-up lines (oneDNN, CPU features) would fill the first cell's
    # output; its warnings and errors still show. A value the user set is kept.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "1")
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


def _parse_parameter(text: str) -> tuple[str, str]:
    """``name=value`` -> (name, value as written); run_notebook converts the value to the
    type the notebook declares."""
    if "=" not in text:
        raise argparse.ArgumentTypeError(f"{text!r}: parameters are written name=value")
    name, value = text.split("=", 1)
    return name.strip(), value


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
                        metavar="NAME=VALUE", help="extra notebook parameter, converted to the type its parameters cell declares; "
                             "repeatable")  # fmt: skip
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


# -- declared inputs ----------------------------------------------------------------------
def notebook_requirements(notebook: str | Path) -> list[str]:
    """The manifest roles ``notebook`` declares it needs, from its metadata.

    The notebook's metadata holds ``"seqreg": {"requires": [...]}``: each entry is a role
    of :data:`~seqreg.project.ROLES`, ``track`` (at least one coverage track),
    ``track:<assay>`` (at least one track of that assay, e.g. ``track:DNase``), ``store``
    (a training store, built by notebook 01 or converted, see :data:`STORE_REQUIREMENT`), or
    alternatives joined by ``|`` (``tss|gene_annotation``: either will do). A notebook
    that declares nothing requires nothing.

    Returns
    -------
    list of str
        The entries as written, in order.

    Raises
    ------
    InputFileError
        When ``requires`` is not a list of strings, or names a role that does not exist
        (the message suggests the closest one), so that a typo cannot skip a notebook.
    """
    import difflib

    import nbformat

    from .errors import InputFileError
    from .manifest import ROLES

    notebook = Path(notebook)
    metadata = nbformat.read(notebook, as_version=4).metadata.get("seqreg", {})
    requires = metadata.get("requires", []) if isinstance(metadata, dict) else None
    if not isinstance(requires, list) or not all(isinstance(r, str) for r in requires):
        raise InputFileError(
            notebook, f"metadata 'seqreg.requires' must be a list of role names, not {requires!r}"
        )
    known = [*ROLES, TRACK_REQUIREMENT, STORE_REQUIREMENT]
    for requirement in requires:
        for role in requirement.split("|"):
            if (
                role.strip().startswith(f"{TRACK_REQUIREMENT}:")
                and role.strip()[len(TRACK_REQUIREMENT) + 1 :]
            ):
                continue
            if role.strip() not in known:
                close = difflib.get_close_matches(role.strip(), known, n=1)
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                raise InputFileError(
                    notebook,
                    f"metadata 'seqreg.requires' names the unknown role {role.strip()!r}{hint}; "
                    f"roles: {', '.join(known)}",
                )
    return list(requires)


def missing_requirements(
    manifest, requirements: list[str], store: str | Path | None = None
) -> list[str]:
    """The entries of ``requirements`` that ``manifest`` does not satisfy.

    Parameters
    ----------
    manifest
        A :class:`~seqreg.project.Manifest`.
    requirements
        Entries as :func:`notebook_requirements` returns them: a role, ``track``,
        ``track:<assay>``, ``store``, or roles joined by ``|`` of which any one will do.
    store
        Where the training store would be; ``store`` is met when the dataset has tracks
        (notebook 01 builds the store from them) or a file exists there.

    Returns
    -------
    list of str
        The unmet entries, in order (empty when the dataset has everything).
    """

    def has(role: str) -> bool:
        role = role.strip()
        if role == TRACK_REQUIREMENT:
            return bool(manifest.tracks)
        if role.startswith(f"{TRACK_REQUIREMENT}:"):
            assay = role[len(TRACK_REQUIREMENT) + 1 :]
            return any(t.assay == assay for t in manifest.tracks)
        if role == STORE_REQUIREMENT:
            return bool(manifest.tracks) or (store is not None and Path(store).is_file())
        return manifest.has(role)

    return [r for r in requirements if not any(has(role) for role in r.split("|"))]


def skipped_reason(path: str | Path) -> str | None:
    """Why the notebook at ``path`` was skipped, or None when it was run.

    The runner writes a skipped notebook's reason in its metadata
    (``"seqreg": {"skipped": reason}``); an executed notebook has none.
    """
    import nbformat

    metadata = nbformat.read(Path(path), as_version=4).metadata.get("seqreg", {})
    reason = metadata.get("skipped") if isinstance(metadata, dict) else None
    return str(reason) if reason else None


def _write_skipped(notebook: Path, final: Path, reason: str, manifest, scale: str) -> None:
    """A small valid notebook at ``final`` that says ``notebook`` was skipped and why."""
    import nbformat

    from .files import write_text

    source = nbformat.read(notebook, as_version=4)
    skipped = nbformat.v4.new_notebook()
    skipped.metadata.update({k: v for k, v in source.metadata.items() if k != "seqreg"})
    skipped.metadata["seqreg"] = {
        **source.metadata.get("seqreg", {}),
        "skipped": reason,
        "dataset": manifest.name,
        "manifest": str(manifest.source),
        "scale": scale,
    }
    skipped.cells = [
        nbformat.v4.new_markdown_cell(
            f"# {notebook.stem}: skipped\n\n"
            f"This notebook was not run: {reason}.\n\n"
            f"Add the missing file(s) to the dataset's manifest (`{manifest.source}`) to run it."
        )
    ]
    write_text(final, nbformat.writes(skipped))


# -- typed parameters ---------------------------------------------------------------------
def notebook_parameters(notebook: str | Path) -> dict[str, str | None]:
    """The parameters ``notebook`` declares and their types.

    Read from the cell tagged ``parameters``: an annotated assignment
    (``fdr_max: float = 0.05``) gives its annotation; a plain one gives the type of its
    default when that is a literal (``fail = False`` is ``bool``), else None.

    Returns
    -------
    dict
        Parameter name -> type as written (``"int"``, ``"float"``, ``"dict"``,
        ``"int | None"``, ...) or None when undeclared, in the cell's order; empty when
        the notebook has no parameters cell.

    Raises
    ------
    ParameterError
        When the parameters cell is not valid Python.
    """
    import ast

    import nbformat

    notebook = Path(notebook)
    cells = nbformat.read(notebook, as_version=4).cells
    tagged = [c for c in cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    if not tagged:
        return {}
    try:
        tree = ast.parse(tagged[0].source)
    except SyntaxError as err:
        raise ParameterError(
            f"{notebook}: the parameters cell is not valid Python (line {err.lineno}: {err.msg})"
        ) from None
    declared: dict[str, str | None] = {}
    for node in tree.body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            declared[node.target.id] = ast.unparse(node.annotation)
        elif isinstance(node, ast.Assign):
            try:
                kind: str | None = type(ast.literal_eval(node.value)).__name__
            except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
                kind = None
            for target in node.targets:
                if isinstance(target, ast.Name):
                    declared[target.id] = None if kind == "NoneType" else kind
    return declared


def convert_parameters(notebook: str | Path, parameters: dict[str, Any]) -> dict[str, Any]:
    """Check ``parameters`` against the ones ``notebook`` declares and convert their values.

    Each value becomes the type its parameter declares (:func:`notebook_parameters`),
    whether given as text (from the command line) or as a Python value:

    - ``int``: whole numbers, also written ``1e4`` or ``10_000`` (``1.5`` is refused);
    - ``float``: any number (``5e-2`` -> 0.05);
    - ``bool``: ``true``/``false``, ``yes``/``no``, ``on``/``off``, ``1``/``0``;
    - ``str``: text as it is;
    - ``dict``, ``list``: YAML or JSON text, or such a value;
    - ``X | None`` / ``Optional[X]``: ``none``, ``null`` or ``~`` for None, else as ``X``.

    A parameter whose type is undeclared, or of another type, is passed on unchanged.

    Returns
    -------
    dict
        The parameters with converted values.

    Raises
    ------
    ParameterError
        For a name the notebook does not declare (the closest declared name is suggested)
        or a value that cannot be converted to the declared type (the message names the
        parameter, the value and the type).
    """
    import difflib

    if not parameters:
        return {}
    notebook = Path(notebook)
    declared = notebook_parameters(notebook)
    converted = {}
    for name, value in parameters.items():
        if name not in declared:
            close = difflib.get_close_matches(name, list(declared), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            known = (
                f"its parameters: {', '.join(declared)}"
                if declared
                else "it has no cell tagged 'parameters'"
            )
            raise ParameterError(f"{notebook}: unknown parameter {name!r}{hint}; {known}")
        converted[name] = _convert_value(notebook, name, value, declared[name])
    return converted


_TRUE = ("true", "yes", "on", "1")


_FALSE = ("false", "no", "off", "0")


def _convert_value(notebook: Path, name: str, value: Any, declared: str | None) -> Any:
    """``value`` as the type ``declared`` (a type as written in the parameters cell)."""
    import re

    if declared is None:
        return value
    text = declared.replace(" ", "")
    optional = re.fullmatch(r"Optional\[(.+)\]", text)
    parts = [optional.group(1), "None"] if optional else text.split("|")
    nullable = "None" in parts
    parts = [p for p in parts if p != "None"]
    if nullable and (value is None or (isinstance(value, str) and value.strip().lower()
                                       in ("none", "null", "~"))):  # fmt: skip
        return None
    kind = parts[0].split("[", 1)[0] if len(parts) == 1 else None
    converters = {"int": _to_int, "float": _to_float, "bool": _to_bool, "str": _to_str,
                  "dict": _to_container, "list": _to_container}  # fmt: skip
    if kind not in converters:
        return value  # a type the runner does not convert (a union, a class): as given
    try:
        return converters[kind](value, kind)
    except (TypeError, ValueError, OverflowError) as err:
        detail = f" ({err})" if str(err) else ""
        raise ParameterError(
            f"{notebook}: parameter {name!r} is declared {declared}, and the value {value!r} "
            f"cannot be converted to {kind}{detail}"
        ) from None


def _to_int(value: Any, kind: str) -> int:
    if isinstance(value, bool):
        raise TypeError("got bool")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        number = value
    elif isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            number = _parse_number(value)  # 1e4, 1.0e+4
    else:
        raise TypeError(f"got {type(value).__name__}")
    if not number.is_integer():
        raise ValueError("not a whole number")
    return int(number)


def _to_float(value: Any, kind: str) -> float:
    if isinstance(value, bool):
        raise TypeError("got bool")
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        return _parse_number(value)
    raise TypeError(f"got {type(value).__name__}")


def _parse_number(text: str) -> float:
    try:
        return float(text.strip())
    except ValueError:
        raise ValueError("not a number") from None


def _to_bool(value: Any, kind: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE + _FALSE:
        return value.strip().lower() in _TRUE
    raise ValueError(f"write one of {', '.join(_TRUE)} or {', '.join(_FALSE)}")


def _to_str(value: Any, kind: str) -> str:
    if isinstance(value, str):
        return value
    raise TypeError(f"got {type(value).__name__}")


def _to_container(value: Any, kind: str) -> Any:
    import yaml

    if isinstance(value, str):
        try:
            value = yaml.safe_load(value)
        except yaml.YAMLError as err:
            raise ValueError(f"not YAML or JSON: {str(err).splitlines()[0]}") from None
    if isinstance(value, tuple) and kind == "list":
        value = list(value)
    if not isinstance(value, dict if kind == "dict" else list):
        raise TypeError(f"got {type(value).__name__}")
    return value


if __name__ == "__main__":
    sys.exit(main())
