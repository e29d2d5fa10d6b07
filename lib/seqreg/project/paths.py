"""Where the project lives and where each dataset's outputs go."""

from __future__ import annotations

from pathlib import Path

OUTPUT_KINDS = ("notebooks", "figures", "tables", "metrics", "models", "data")


def project_root(start: str | Path | None = None) -> Path:
    """Return the project root: the nearest directory holding ``data_manifest/``.

    Searches upward from ``start`` (default: the working directory, so a notebook
    opened from ``notebooks/`` finds the root), then from the installed package
    (an editable install lives in ``<root>/lib/seqreg``).

    Raises
    ------
    FileNotFoundError
        When no folder above ``start`` holds data_manifest/ and pyproject.toml.
    """
    candidates = [Path(start or Path.cwd()).resolve()]
    candidates.append(Path(__file__).resolve().parent)
    for base in candidates:
        for directory in (base, *base.parents):
            if (directory / "data_manifest").is_dir() and (directory / "pyproject.toml").is_file():
                return directory
    raise FileNotFoundError(
        "could not find the project root (a directory with data_manifest/ and pyproject.toml) "
        f"above {candidates[0]}; run from inside the project or pass explicit paths"
    )


def output_dirs(
    dataset: str, scale: str, output_dir: str | Path | None = None, root: Path | None = None
) -> dict[str, Path]:
    """Create and return ``outputs/<dataset>/<scale>/{notebooks,figures,...}``.

    Parameters
    ----------
    dataset, scale
        Dataset name (manifest name) and scale.
    output_dir
        Base directory overriding ``<root>/outputs/<dataset>/<scale>``.
    root
        Project root (found with :func:`project_root` when omitted).

    Returns
    -------
    dict
        ``{"base": ..., "notebooks": ..., "figures": ..., "tables": ..., "metrics": ...,
        "models": ..., "data": ...}`` (``data``: derived data such as the training store),
        every directory created.
    """
    if output_dir:
        base = Path(output_dir)
    else:
        base = (root or project_root()) / "outputs" / dataset / scale
    dirs = {"base": base, **{kind: base / kind for kind in OUTPUT_KINDS}}
    for directory in dirs.values():
        directory.mkdir(parents=True, exist_ok=True)
    return dirs
