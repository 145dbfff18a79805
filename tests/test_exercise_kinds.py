"""Exercises that teach (DESIGN.md, "Exercises and solutions"): in every solutions notebook
≥6 exercises graded ★ to ★★★, ≥2 of them experiments (title `实验 · Experiment`), each with a
bilingual hint folded in a dropdown before its solution, and no reference solution copied from
the chapter's code."""

from __future__ import annotations

import difflib
import io
import re
import textwrap
import tokenize
from pathlib import Path

import nbformat
import pytest
from nb import BEGIN, END, code_cells, tags

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "solutions").glob("*.ipynb"))
EXERCISE_START = re.compile(r"^```\{exercise-start\}\s*(.*)$", re.M)
EXPERIMENT = "实验 · Experiment"


def read(path: str) -> nbformat.NotebookNode:
    return nbformat.read(ROOT / path, as_version=4)


def exercises(notebook: str) -> list[tuple[str, list]]:
    """(title, the cells from its exercise-start up to the next exercise-start) per exercise."""
    found, cells = [], read(notebook).cells
    for i, cell in enumerate(cells):
        match = cell.cell_type == "markdown" and EXERCISE_START.search(cell.source)
        if match:
            found.append((match.group(1).strip(), i))
    bounds = [i for _, i in found] + [len(cells)]
    return [(title, cells[start:end]) for (title, start), end in zip(found, bounds[1:], strict=True)]


@pytest.mark.parametrize("notebook", SOLUTIONS)
def test_at_least_six_exercises_graded_by_stars(notebook):
    titles = [title for title, _ in exercises(notebook)]
    assert len(titles) >= 6, f"{notebook}: {len(titles)} exercises, at least 6 are needed"
    for title in titles:
        assert re.search(r"(?<!★)★{1,3}(?!★)", title), f"{notebook}: {title!r} has no grade ★ … ★★★"
    grades = {len(re.search(r"★+", title).group(0)) for title in titles}
    assert len(grades) >= 2, f"{notebook}: every exercise has the same grade {grades}"


@pytest.mark.parametrize("notebook", SOLUTIONS)
def test_at_least_two_experiments(notebook):
    experiments = [title for title, _ in exercises(notebook) if EXPERIMENT in title]
    assert len(experiments) >= 2, f"{notebook}: {len(experiments)} exercises marked {EXPERIMENT!r}, at least 2"


def is_hint(cell, language: str) -> bool:
    word = {"lang-en": "Hint", "lang-zh": "提示"}[language]
    return (cell.cell_type == "markdown" and language in tags(cell) and "solution" not in tags(cell)
            and re.search(rf"^```\{{admonition\}}\s*{word}", cell.source, re.M) is not None
            and re.search(r"^:class:\s*dropdown\s*$", cell.source, re.M) is not None)


@pytest.mark.parametrize("notebook", SOLUTIONS)
def test_every_exercise_has_a_folded_bilingual_hint_before_its_solution(notebook):
    for title, cells in exercises(notebook):
        first_solution = next((i for i, cell in enumerate(cells) if "solution" in tags(cell)), len(cells))
        before = cells[:first_solution]
        english = [i for i, cell in enumerate(before) if is_hint(cell, "lang-en")]
        assert english, f"{notebook}: {title!r} has no hint (a lang-en ```{{admonition}} Hint with :class: dropdown)"
        assert all(i + 1 < len(before) and is_hint(before[i + 1], "lang-zh") for i in english), (
            f"{notebook}: {title!r}: the hint's Chinese partner (```{{admonition}} 提示, :class: dropdown) must follow it")


def code_tokens(source: str) -> list[str]:
    """The source's Python tokens without comments, line breaks and indentation."""
    skip = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER}
    try:
        return [t.string for t in tokenize.generate_tokens(io.StringIO(source).readline) if t.type not in skip]
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return source.split()


def solution_regions(notebook: str) -> list[str]:
    pattern = re.compile(rf"{re.escape(BEGIN)}[^\n]*\n(.*?)^[ \t]*{re.escape(END)}", re.S | re.M)
    return [textwrap.dedent(region) for cell in code_cells(read(notebook)) for region in pattern.findall(cell.source)]


def shared_share(tokens: list[str], other: list[str]) -> float:
    """The share of `tokens` found in `other` in common runs of at least four tokens."""
    blocks = difflib.SequenceMatcher(None, tokens, other, autojunk=False).get_matching_blocks()
    return sum(block.size for block in blocks if block.size >= 4) / max(1, len(tokens))


@pytest.mark.parametrize("notebook", SOLUTIONS)
def test_reference_solutions_are_not_copies_of_the_chapter(notebook):
    """A solution that repeats a chapter cell (renamed or not) teaches nothing new: at most half of
    its tokens may come from runs it shares with one chapter cell (solutions of a few tokens are exempt)."""
    chapter = [code_tokens(cell.source) for cell in code_cells(read(notebook.replace("solutions/", "chapters/")))]
    for region in solution_regions(notebook):
        tokens = code_tokens(region)
        share = max((shared_share(tokens, other) for other in chapter), default=0.0)
        assert len(tokens) < 20 or share < 0.5, (
            f"{notebook}: {share:.0%} of this solution repeats a chapter cell; vary the task:\n{region}")
