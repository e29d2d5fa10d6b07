"""Atomic writes: an output is complete at its final path, or absent and the old one kept."""

from __future__ import annotations

import os
import stat

import pytest

from seqreg.project import atomic_path


def test_a_finished_write_replaces_the_file_and_leaves_no_temporary(tmp_path):
    final = tmp_path / "new_dir" / "figure.png"  # a missing parent is created
    with atomic_path(final) as tmp:
        # hidden beside the target, with its suffix (writers infer the format from it)
        assert tmp.parent == final.parent and tmp.name.startswith(".figure.")
        assert tmp.suffix == ".png" and not final.exists()
        tmp.write_bytes(b"complete")
    assert final.read_bytes() == b"complete"
    assert [p.name for p in final.parent.iterdir()] == ["figure.png"]
    # the usual mode of a new file, not mkstemp's 0600
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(final.stat().st_mode) == 0o666 & ~umask


@pytest.mark.parametrize("error", [ValueError, KeyboardInterrupt])
def test_a_failed_write_keeps_the_old_file_and_removes_the_temporary(tmp_path, error):
    final = tmp_path / "table.tsv"
    final.write_text("old\n")
    with pytest.raises(error), atomic_path(final) as tmp:
        tmp.write_text("half")
        raise error
    assert final.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["table.tsv"]


def test_a_failed_first_write_leaves_nothing(tmp_path):
    with pytest.raises(RuntimeError), atomic_path(tmp_path / "out.json", suffix=".partial") as tmp:
        assert tmp.suffix == ".partial"
        tmp.write_text("{")
        raise RuntimeError
    assert not list(tmp_path.iterdir())
