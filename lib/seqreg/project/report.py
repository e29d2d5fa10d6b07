"""An HTML report of executed notebooks: ``python -m seqreg.project.report --dataset D --scale S``.

Writes ``outputs/<dataset>/<scale>/report/``: one HTML page per executed notebook
(nbconvert) and ``index.html`` showing every figure, grouped by notebook, with each
notebook's metrics. A notebook the runner skipped (the dataset lacks a file it needs)
is listed with the reason instead.
"""

from __future__ import annotations

import argparse
import html
import json
import sys
from pathlib import Path

from .files import write_text
from .run import skipped_reason


def build_report(output_base: str | Path, title: str = "seqreg report") -> Path:
    """Render the executed notebooks under ``output_base`` and return the index path.

    Notebooks the runner skipped (:func:`~seqreg.project.run.skipped_reason`) are listed
    as skipped, with their reason, and not rendered: figures or metrics an earlier run
    of them left behind are not shown as results.

    Raises
    ------
    FileNotFoundError
        When no executed notebooks exist yet.
    """
    from nbconvert import HTMLExporter

    base = Path(output_base)
    report = base / "report"
    notebooks = sorted(
        p
        for p in (base / "notebooks").glob("[0-9][0-9]_*.ipynb")
        if not p.name.endswith(".failed.ipynb")
    )
    if not notebooks:
        raise FileNotFoundError(
            f"{base / 'notebooks'}: no executed notebooks; run `make all` first"
        )
    exporter = HTMLExporter(template_name="lab")
    sections = []
    for notebook in notebooks:
        reason = skipped_reason(notebook)
        if reason is not None:
            (report / f"{notebook.stem}.html").unlink(missing_ok=True)  # a page of an old run
            sections.append(_skipped_section(notebook.stem, reason))
            continue
        body, _ = exporter.from_filename(str(notebook))
        page = write_text(report / f"{notebook.stem}.html", body)
        prefix = notebook.stem.split("_", 1)[0]
        figures = sorted(
            f
            for f in (base / "figures").glob(f"{prefix}_*")
            if f.suffix in (".png", ".svg") and not f.name.startswith(".")
        )
        metrics_path = base / "metrics" / f"{notebook.stem}.json"
        metrics = json.loads(metrics_path.read_text()) if metrics_path.exists() else {}
        sections.append(_section(notebook.stem, page.name, figures, metrics))
    index = f"""<!doctype html>
<html><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }}
figure {{ display: inline-block; margin: 0.5em; vertical-align: top; }}
figure img {{ max-width: 520px; border: 1px solid #ddd; }}
figcaption {{ font-size: 0.8em; color: #555; }}
table {{ border-collapse: collapse; font-size: 0.85em; }}
td {{ border-top: 1px solid #eee; padding: 2px 10px 2px 0; }}
</style></head><body>
<h1>{html.escape(title)}</h1>
<p>Executed notebooks and every figure they saved, from <code>{html.escape(str(base))}</code>.</p>
{"".join(sections)}
</body></html>
"""
    return write_text(report / "index.html", index)


def _section(stem: str, page: str, figures: list[Path], metrics: dict) -> str:
    rows = "".join(
        f"<tr><td>{html.escape(str(k))}</td><td>{html.escape(_fmt(v))}</td></tr>"
        for k, v in metrics.items()
    )
    figs = "".join(
        f'<figure><a href="../figures/{html.escape(f.name)}"><img src="../figures/{html.escape(f.name)}" '
        f'alt="{html.escape(f.stem)}"></a><figcaption>{html.escape(f.name)}</figcaption></figure>'
        for f in figures
    )
    return (
        f'<h2><a href="{html.escape(page)}">{html.escape(stem)}</a></h2>'
        f"{figs or '<p>(no figures)</p>'}"
        f"{f'<details><summary>metrics</summary><table>{rows}</table></details>' if rows else ''}"
    )


def _skipped_section(stem: str, reason: str) -> str:
    return (
        f'<h2 class="skipped">{html.escape(stem)} (skipped)</h2>'
        f"<p>Not run: {html.escape(reason)}.</p>"
    )


def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return json.dumps(value) if isinstance(value, dict | list) else str(value)


def main(argv: list[str] | None = None) -> int:
    """Command line: ``python -m seqreg.project.report``; returns the exit status."""
    from .paths import project_root

    parser = argparse.ArgumentParser(
        prog="python -m seqreg.project.report", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--dataset", default="synthetic")
    parser.add_argument("--scale", default="demo")
    parser.add_argument("--output-dir", default=None, help="default: outputs/<dataset>/<scale>")
    args = parser.parse_args(argv)
    name = Path(args.dataset).stem
    base = (
        Path(args.output_dir) if args.output_dir else project_root() / "outputs" / name / args.scale
    )
    try:
        index = build_report(base, title=f"seqreg: {name} at scale {args.scale}")
    except FileNotFoundError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(f"report: {index}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
