"""Checker honesty: every `check_*` passes the solution and rejects the stub and wrong answers.

For each solutions notebook we execute, in-process, its setup cell, the checking toolkit and
the checker cell, then feed every checker:
- the solution (its exercise cell as written): must print ✓;
- the generated stub: must raise NotImplementedError after printing ✗;
- generic bad answers (None, a string, NaN, a wrong shape, an int tensor, an exception);
- the chapter's plausible wrong answers from tests/wrong_answers/chNN.py (`WRONG`);
- right answers written differently from the solution (float64, NumPy numbers...): `RIGHT` there,
  which must print ✓.
A rejection is a printed ✗ (and no ✓) with no exception: never a traceback, never a pass.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import os
import re
from pathlib import Path

import nbformat
import pytest
import torch
from nb import code_cells, stub_source, tags

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "solutions").glob("*.ipynb"))


def exercise_cells(notebook: str) -> list[str]:
    nb = nbformat.read(ROOT / notebook, as_version=4)
    return [cell.source for cell in code_cells(nb) if "### BEGIN SOLUTION" in cell.source]


def checker_namespace(notebook: str) -> dict:
    nb = nbformat.read(ROOT / notebook, as_version=4)
    setup, harness, checker = code_cells(nb)[:3]
    assert "checker" in tags(checker)
    namespace: dict = {}
    cwd = os.getcwd()
    os.chdir(ROOT / "solutions")
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            for cell in (setup, harness, checker):
                exec(compile(cell.source, f"{notebook}:{tags(cell)}", "exec"), namespace)
    finally:
        os.chdir(cwd)
    return namespace


def run(source: str, namespace: dict) -> str:
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        exec(compile(source, "<exercise>", "exec"), namespace)
    return buffer.getvalue()


def answer_set(notebook: str, kind: str) -> dict:
    """`WRONG` or `RIGHT` of tests/wrong_answers/chNN.py: {checker name: [functions]}."""
    number = Path(notebook).name.split("_")[0]
    return getattr(importlib.import_module(f"wrong_answers.ch{number}"), kind, {})


def checkers(namespace: dict) -> dict:
    return {name: fn for name, fn in namespace.items() if name.startswith("check_") and callable(fn)}


def returns_none(*args, **kwargs):
    return None


def returns_string(*args, **kwargs):
    return "42"


def returns_nan(*args, **kwargs):
    return torch.tensor(float("nan"))


def returns_wrong_shape(*args, **kwargs):
    return torch.zeros(1, 2, 3)


def returns_int_tensor(*args, **kwargs):
    return torch.zeros(3, dtype=torch.long)


def raises_error(*args, **kwargs):
    raise ValueError("a bug in the reader's code")


def subtracts_bool_mask(*args, **kwargs):
    """PyTorch raises NotImplementedError, with a message, for `1 - mask` on a bool tensor: a bug, not the stub."""
    return 1 - torch.tensor([True, False])


GENERIC_BAD = [returns_none, returns_string, returns_nan, returns_wrong_shape, returns_int_tensor, raises_error,
               subtracts_bool_mask]


@pytest.fixture(scope="module", params=SOLUTIONS)
def chapter(request):
    return request.param, checker_namespace(request.param)


def called_checker(source: str) -> str:
    return re.search(r"^(check_\w+)\(", source, re.M).group(1)


def test_solutions_pass(chapter):
    notebook, namespace = chapter
    for source in exercise_cells(notebook):
        printed = run(source, dict(namespace))
        assert "✓" in printed and "✗" not in printed, f"{notebook}: solution for {called_checker(source)} fails: {printed}"


def test_stubs_raise_not_implemented(chapter):
    notebook, namespace = chapter
    for source in exercise_cells(notebook):
        buffer = io.StringIO()
        with pytest.raises(NotImplementedError), contextlib.redirect_stdout(buffer):
            exec(compile(stub_source(source), "<stub>", "exec"), dict(namespace))
        assert "✗" in buffer.getvalue(), f"{notebook}: {called_checker(source)} says nothing about the stub"


def test_every_checker_is_exercised(chapter):
    notebook, namespace = chapter
    used = {called_checker(source) for source in exercise_cells(notebook)}
    assert used == set(checkers(namespace)), f"{notebook}: checkers without exercise or the reverse"


def verdict(check, answer) -> str:
    """What check(answer) prints."""
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        check(answer)
    return buffer.getvalue()


def assert_rejected(check, answer, label):
    printed = verdict(check, answer)
    assert "✗" in printed and "✓" not in printed, f"{label}: not rejected; printed {printed!r}"


def test_generic_bad_answers_are_rejected(chapter):
    notebook, namespace = chapter
    for name, check in checkers(namespace).items():
        for answer in GENERIC_BAD:
            assert_rejected(check, answer, f"{notebook} {name} ← {answer.__name__}")


def test_plausible_wrong_answers_are_rejected(chapter):
    notebook, namespace = chapter
    wrong = answer_set(notebook, "WRONG")
    assert set(wrong) == set(checkers(namespace)), f"{notebook}: wrong answers must cover every checker"
    for name, answers in wrong.items():
        assert len(answers) >= 2, f"{notebook} {name}: at least two plausible wrong answers"
        for answer in answers:
            assert_rejected(namespace[name], answer, f"{notebook} {name} ← {answer.__name__}")


def test_right_answers_written_differently_pass(chapter):
    notebook, namespace = chapter
    for name, right in answer_set(notebook, "RIGHT").items():
        for answer in right:
            printed = verdict(namespace[name], answer)
            assert "✓" in printed and "✗" not in printed, f"{notebook} {name} ← {answer.__name__}: a right answer fails: {printed!r}"
