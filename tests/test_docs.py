"""The library documents itself: every public function has a docstring, and one that raises
says what it raises and when (a ``Raises`` section)."""

from __future__ import annotations

import ast
from pathlib import Path

LIB = Path(__file__).resolve().parents[1] / "lib" / "seqreg"


def public_functions():
    """``(path, function node)`` of module-level public functions and public methods."""
    for path in sorted(LIB.rglob("*.py")):
        tree = ast.parse(path.read_text())
        for node in tree.body:
            members = (
                node.body
                if isinstance(node, ast.ClassDef) and not node.name.startswith("_")
                else [node]
            )
            for member in members:
                if isinstance(member, ast.FunctionDef) and not member.name.startswith("_"):
                    yield path, member


def raises_directly(function: ast.FunctionDef) -> bool:
    """Whether ``function`` has a raise statement outside nested functions."""
    pending = list(function.body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.Raise) and node.exc is not None:
            return True
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef):
            pending.extend(ast.iter_child_nodes(node))
    return False


def is_framework_hook(name: str) -> bool:
    """Keras methods a class overrides (documented by Keras)."""
    return name in ("call", "get_config", "build") or name.startswith("on_")


def test_every_public_function_has_a_docstring():
    missing = [f"{p.relative_to(LIB)}:{f.lineno} {f.name}" for p, f in public_functions()
               if not ast.get_docstring(f) and not is_framework_hook(f.name)]  # fmt: skip
    assert not missing, missing


def test_every_public_function_that_raises_has_a_raises_section():
    missing = [f"{p.relative_to(LIB)}:{f.lineno} {f.name}" for p, f in public_functions()
               if raises_directly(f) and "Raises" not in (ast.get_docstring(f) or "")]  # fmt: skip
    assert not missing, missing
