"""Shared test setup: lone copies of the notebooks, one thread per kernel, a time table at the end."""

from __future__ import annotations

import os
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

import alone  # noqa: E402
from nb import RUN_ENV  # noqa: E402  (tools/ is not a package)

# Kernels started by nbval inherit these: two pytest workers share two cores, and the stored
# outputs were produced with the same settings (tools/nb.py run), so numbers match exactly.
os.environ.update(RUN_ENV)

# Budgets in seconds (DESIGN.md), per notebook folder.
BUDGETS = {"chapters": 240, "solutions": 120, "exercises": 30}
_seconds: dict[str, float] = defaultdict(float)


def pytest_configure(config):
    """Before collection, on the controller only: copy every notebook alone (tests/alone.py).
    nbval collects chapters and solutions from there (pytest.ini's testpaths)."""
    if not hasattr(config, "workerinput"):
        alone.stage()


def notebook_of(report) -> str | None:
    """The notebook a report ran: nbval's cells, and tests/test_exercises.py's runs."""
    path = report.nodeid.split("::")[0]
    if path.endswith(".ipynb"):
        return alone.original(path) if "/alone/" in path else path
    if path.endswith("test_exercises.py") and "[" in report.nodeid:  # ...::test_x[exercises/01_rnn.ipynb]
        return report.nodeid.split("[", 1)[1].rstrip("]")
    return None


def pytest_runtest_logreport(report):
    notebook = notebook_of(report)
    if notebook:
        _seconds[notebook] += report.duration


def _far_over_budget() -> list[str]:
    return [nb for nb, seconds in _seconds.items() if seconds > 2 * BUDGETS.get(nb.split("/")[0], float("inf"))]


def pytest_sessionfinish(session, exitstatus):
    """Slow creep must be visible: a notebook at more than twice its budget fails the run."""
    if _far_over_budget() and exitstatus == 0:
        session.exitstatus = 1


def pytest_terminal_summary(terminalreporter):
    if not _seconds:
        return
    write = terminalreporter.write_line
    terminalreporter.section("time per notebook · 每个笔记本的用时")
    write(f"{'notebook':<34}{'seconds':>9}{'budget':>8}")
    for notebook in sorted(_seconds):
        budget = BUDGETS.get(notebook.split("/")[0], 0)
        flag = "  OVER BUDGET" if budget and _seconds[notebook] > budget else ""
        flag = "  MORE THAN TWICE THE BUDGET: FAIL" if notebook in _far_over_budget() else flag
        write(f"{notebook:<34}{_seconds[notebook]:>9.1f}{budget:>8}{flag}")
    write(f"{'total':<34}{sum(_seconds.values()):>9.1f}")
