"""Notebook maintenance for the book.

    python tools/nb.py exercises          # regenerate exercises/ from solutions/
    python tools/nb.py sync [NOTEBOOK...] # write the standard and the reuse cells (into every notebook)
    python tools/nb.py run NOTEBOOK...    # execute in place, top to bottom, as the tests do
    python tools/nb.py robust NOTEBOOK... # re-run on two other paths (below): do the asserts hold?

A solutions notebook is the single source of an exercise set.  Its code cells mark
answers with ``### BEGIN SOLUTION`` / ``### END SOLUTION``; markdown cells that explain a
solution are tagged ``solution``.  The exercises notebook is the same notebook with each
marked region replaced by a stub that raises NotImplementedError, the ``solution`` cells
removed, every output cleared, and each stubbed cell tagged ``raises-exception``.

Reuse across chapters works as in d2l: a chapter marks a code cell whose definitions later
chapters need with a first line ``#@save``. A later notebook has one cell tagged ``reuse`` whose
first line names its sources, ``# 复用 · Reused from: 01_rnn``; ``sync`` fills it with the
``#@save`` cells of those chapters, so a notebook still runs alone (on Colab) while the code has
one source. A test fails when a reuse cell differs from what ``sync`` would write.
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
# The stored outputs are compared digit for digit (strict nbval), so the floating-point code
# paths are pinned too. Left alone, PyTorch picks kernels by the CPU it finds: ATen's vectorised
# ops and oneDNN (which nn.LSTM uses on the CPU) take AVX-512 where the CPU has it, and MKL picks
# its own branch. Each gives different last bits, and a model trained for hundreds of updates
# amplifies them into different results: a machine with AVX-512 failed every chapter's stored
# outputs of an AVX2 machine (2026-12-01). Pinned to AVX2, which every x86-64 CI machine has,
# the same code runs everywhere; MKL's CBWR makes its results the same on Intel and AMD.
RUN_ENV = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "PYTHONHASHSEED": "0",
           "ATEN_CPU_CAPABILITY": "avx2", "ONEDNN_MAX_CPU_ISA": "AVX2", "MKL_CBWR": "AVX2"}
# Another floating-point path for `nb.py robust`: the claims a chapter asserts must not depend
# on the last bits of one machine's kernels (readers run the notebooks on other machines, Colab).
OTHER_FLOAT_PATH = {"ATEN_CPU_CAPABILITY": "default", "ONEDNN_MAX_CPU_ISA": "SSE41", "MKL_CBWR": "COMPATIBLE"}
# The paths `nb.py robust` runs: each is (variables to set, variables to unset). "other" is the pinned
# run on another floating-point path; "readers" is how a reader runs a notebook (Colab, a laptop):
# none of RUN_ENV, so PyTorch's default thread count (intra-op parallel sums in another order) and the
# kernels it picks for the CPU it finds.
ROBUST_PATHS = {
    "other": ({**RUN_ENV, **OTHER_FLOAT_PATH}, ()),
    "readers": ({"PYTHONHASHSEED": "0"}, tuple(key for key in RUN_ENV if key != "PYTHONHASHSEED")),
}


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


SAVE = "#@save"
REUSE_HEADER = re.compile(r"^# 复用 · Reused from: ([\w, ]+)$", re.M)


def saved_code(chapter: str) -> str:
    """The ``#@save`` cells of chapters/<chapter>.ipynb, in order."""
    nb = nbformat.read(ROOT / "chapters" / f"{chapter}.ipynb", as_version=4)
    return "\n\n\n".join(cell.source.strip() for cell in code_cells(nb) if cell.source.startswith(SAVE))


def reuse_source(source: str) -> str:
    """What a ``reuse`` cell should contain, from the sources named on its first line."""
    chapters = [name.strip() for name in REUSE_HEADER.match(source).group(1).split(",")]
    header = (f"# 复用 · Reused from: {', '.join(chapters)}\n"
              "# 由 tools/nb.py sync 从前面章节的 #@save 单元格生成，请勿手改 · "
              "generated by tools/nb.py sync from the #@save cells of earlier chapters: do not edit")
    return "\n\n\n".join([header] + [saved_code(chapter) for chapter in chapters])


def sync_standard_cells(only: list[str] | None = None) -> None:
    """The first code cell is the setup cell; in exercises/solutions the second is the harness."""
    for folder in ("chapters", "solutions"):
        for path in notebooks(folder):
            if only and path.resolve() not in {Path(name).resolve() for name in only}:
                continue
            nb = nbformat.read(path, as_version=4)
            cells = code_cells(nb)
            cells[0].source = SETUP_CELL
            cells[0].metadata["tags"] = sorted(set(tags(cells[0])) | {"hide-input"})  # long; folded on the site
            if folder == "solutions":
                cells[1].source = HARNESS_CELL
                cells[1].metadata["tags"] = sorted(set(tags(cells[1])) | {"hide-input"})
            for cell in cells:
                if "reuse" in tags(cell):
                    cell.source = reuse_source(cell.source)
            write(nb, path)


def robust(paths: list[str], names: tuple[str, ...] = tuple(ROBUST_PATHS)) -> int:
    """Run each notebook on the paths of ROBUST_PATHS, in a scratch copy next to the data, and report
    every cell that raised: an assert that fails there states a claim that holds only on one machine's
    rounding, or only with one thread. The stored outputs are not touched; outputs that merely differ
    are counted, not reported (they are expected to)."""
    import shutil
    import tempfile

    from nbclient import NotebookClient

    failures = 0
    for name in paths:
        path = Path(name).resolve()
        for path_name in names:
            env, unset = ROBUST_PATHS[path_name]
            nb = nbformat.read(path, as_version=4)
            stored = [copy.deepcopy(cell.outputs) for cell in code_cells(nb)]
            with tempfile.TemporaryDirectory() as scratch:
                (Path(scratch) / "notebook").mkdir()
                shutil.copytree(ROOT / "data", Path(scratch) / "data")
                saved = {key: os.environ.get(key) for key in (*env, *unset)}
                os.environ.update(env)
                for key in unset:
                    os.environ.pop(key, None)
                start = time.perf_counter()
                try:
                    NotebookClient(nb, timeout=1200, kernel_name="python3", allow_errors=True,
                                   resources={"metadata": {"path": str(Path(scratch) / "notebook")}}).execute()
                finally:
                    for key, value in saved.items():
                        os.environ.pop(key, None) if value is None else os.environ.__setitem__(key, value)
            kept = ROOT / "_build" / "robust" / path_name / f"{path.parent.name}__{path.name}"  # its numbers
            kept.parent.mkdir(parents=True, exist_ok=True)
            write(nb, kept)
            errors = [(i, out) for i, cell in enumerate(nb.cells) if cell.cell_type == "code"
                      for out in cell.outputs if out.output_type == "error"]
            changed = sum(1 for cell, old in zip(code_cells(nb), stored, strict=True) if cell.outputs != old)
            print(f"{path.relative_to(ROOT)} [{path_name}: set {env}, unset {list(unset)}]: "
                  f"{time.perf_counter() - start:.0f} s; {changed} cells print something else, {len(errors)} raised")
            for index, out in errors:
                where = [re.sub(r"\x1b\[[0-9;]*m", "", line) for line in out.traceback if "---->" in line]
                print(f"  cell {index} ({nb.cells[index].source.splitlines()[0][:60]}): {out.ename}: {out.evalue}")
                print("    " + (where[-1].strip().splitlines()[0] if where else "(no line)"))
            failures += len(errors)
    return failures


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
        sync_standard_cells(args)
    elif command == "run":
        run(args)
    elif command == "robust":  # robust [--path other|readers] NOTEBOOK...
        names = tuple(ROBUST_PATHS)
        if args[:1] == ["--path"]:
            names, args = (args[1],), args[2:]
        sys.exit(1 if robust(args, names) else 0)
    else:
        print(__doc__)
