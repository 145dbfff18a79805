"""Notebook maintenance for the book.

    python tools/nb.py exercises          # regenerate exercises/ from solutions/
    python tools/nb.py sync               # write the standard cells into every notebook
    python tools/nb.py run NOTEBOOK...    # execute in place, top to bottom, as the tests do

A solutions notebook is the single source of an exercise set.  Its code cells mark
answers with ``### BEGIN SOLUTION`` / ``### END SOLUTION``; markdown cells that explain a
solution are tagged ``solution``.  The exercises notebook is the same notebook with each
marked region replaced by a stub that raises NotImplementedError, the ``solution`` cells
removed, every output cleared, and each stubbed cell tagged ``raises-exception``.
"""

from __future__ import annotations

import copy
import os
import re
import sys
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
SETUP_CELL = (ROOT / "tools" / "setup_cell.py").read_text(encoding="utf-8").strip()
HARNESS_CELL = (ROOT / "tools" / "harness.py").read_text(encoding="utf-8").strip()
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
STUB = "raise NotImplementedError  # 练习：在这里写你的代码 / Exercise: write your code here"
# Variables every notebook run uses, in the tests and when outputs are stored: one thread
# per kernel keeps the two pytest workers off each other's core and makes runs repeatable.
RUN_ENV = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "PYTHONHASHSEED": "0"}


def notebooks(folder: str) -> list[Path]:
    return sorted((ROOT / folder).glob("*.ipynb"))


def tags(cell) -> list[str]:
    return cell.get("metadata", {}).get("tags", [])


def stub_source(source: str) -> str:
    """Replace every BEGIN…END SOLUTION region by a stub with the marker's indentation."""
    pattern = re.compile(rf"^([ \t]*){re.escape(BEGIN)}[^\n]*\n.*?^[ \t]*{re.escape(END)}[^\n]*$", re.S | re.M)
    return pattern.sub(lambda m: m.group(1) + STUB, source)


def make_exercises(solutions: nbformat.NotebookNode) -> nbformat.NotebookNode:
    exercises = copy.deepcopy(solutions)
    cells = []
    for cell in exercises.cells:
        if "solution" in tags(cell):
            continue
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
            if BEGIN in cell.source:
                cell.source = stub_source(cell.source)
                cell.metadata["tags"] = sorted(set(tags(cell)) | {"raises-exception"})
        if cell.cell_type == "markdown":  # a label may be defined once in the book
            cell.source = re.sub(r"(:label:\s*)(\S+)", r"\1\2-todo", cell.source)
            cell.source = re.sub(r"^\(([\w-]+)\)=$", r"(\1-todo)=", cell.source, flags=re.M)
        cells.append(cell)
    title = cells[0]  # "… · 练习与参考答案 · Exercises and Solutions" → "… · 练习 · Exercises"
    title.source = title.source.replace("练习与参考答案", "练习").replace("Exercises and Solutions", "Exercises")
    exercises.cells = cells
    return exercises


def write(nb: nbformat.NotebookNode, path: Path) -> None:
    nbformat.validate(nb)
    path.write_text(nbformat.writes(nb) + "\n", encoding="utf-8")


def generate_exercises() -> None:
    for source in notebooks("solutions"):
        target = ROOT / "exercises" / source.name
        write(make_exercises(nbformat.read(source, as_version=4)), target)
        print(f"wrote {target.relative_to(ROOT)}")


def code_cells(nb):
    return [cell for cell in nb.cells if cell.cell_type == "code"]


def sync_standard_cells() -> None:
    """The first code cell is the setup cell; in exercises/solutions the second is the harness."""
    for folder in ("chapters", "solutions"):
        for path in notebooks(folder):
            nb = nbformat.read(path, as_version=4)
            cells = code_cells(nb)
            cells[0].source = SETUP_CELL
            cells[0].metadata["tags"] = sorted(set(tags(cells[0])) | {"hide-input"})  # long; folded on the site
            if folder == "solutions":
                cells[1].source = HARNESS_CELL
                cells[1].metadata["tags"] = sorted(set(tags(cells[1])) | {"hide-input"})
            write(nb, path)


def run(paths: list[str]) -> None:
    from nbclient import NotebookClient

    os.environ.update(RUN_ENV)
    for name in paths:
        path = Path(name).resolve()
        nb = nbformat.read(path, as_version=4)
        start = time.perf_counter()
        client = NotebookClient(nb, timeout=1200, kernel_name="python3", record_timing=False,
                                resources={"metadata": {"path": str(path.parent)}})
        client.execute()
        write(nb, path)
        print(f"{path.relative_to(ROOT)}: {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    command, *args = sys.argv[1:] or ["help"]
    if command == "exercises":
        generate_exercises()
    elif command == "sync":
        sync_standard_cells()
    elif command == "run":
        run(args)
    else:
        print(__doc__)
