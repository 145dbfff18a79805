"""Exercise notebooks run top to bottom; the only errors are their stubs' NotImplementedError.

nbval's `raises-exception` tag also passes when nothing is raised, so here we execute each
exercises notebook ourselves and require every stubbed cell to really raise."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from alone import staged_path
from nb import tags
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
EXERCISES = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "exercises").glob("*.ipynb"))


@pytest.mark.parametrize("notebook", EXERCISES)
def test_exercise_stubs_raise_and_nothing_else_fails(notebook):
    path = staged_path(notebook)  # a lone copy, as on Colab (tests/alone.py)
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        errors = [out for out in cell.outputs if out.output_type == "error"]
        if "raises-exception" in tags(cell):
            assert [e.ename for e in errors] == ["NotImplementedError"], (
                f"{notebook} cell {i}: the stub should raise NotImplementedError, got {[e.ename for e in errors]}")
            printed = "".join(out.get("text", "") for out in cell.outputs if out.output_type == "stream")
            assert "✗" in printed, f"{notebook} cell {i}: the checker should say the exercise is not done"
        else:
            assert not errors, f"{notebook} cell {i} raised {errors[0].ename}: {errors[0].evalue}"
