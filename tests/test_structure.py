"""Structure and parity: the book's conventions (AUTHORING.md), checked on every notebook."""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest
import yaml
from nb import HARNESS_CELL, SETUP_CELL, code_cells, make_exercises, reuse_source, tags

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = ("chapters", "exercises", "solutions")
NOTEBOOKS = sorted(p.relative_to(ROOT).as_posix() for f in FOLDERS for p in (ROOT / f).glob("*.ipynb"))
EXECUTED = [nb for nb in NOTEBOOKS if not nb.startswith("exercises/")]
CJK = re.compile(r"[\u4e00-\u9fff]")
HEADING = re.compile(r"^(#{1,6})\s", re.M)


def read(path: str) -> nbformat.NotebookNode:
    return nbformat.read(ROOT / path, as_version=4)


def toc_files() -> set[str]:
    def walk(node):
        if isinstance(node, dict):
            if "file" in node:
                yield node["file"]
            for value in node.values():
                yield from walk(value)
        elif isinstance(node, list):
            for item in node:
                yield from walk(item)

    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    return {toc["root"], *walk(toc)}


def test_there_are_notebooks():
    assert any(nb.startswith("chapters/") for nb in NOTEBOOKS)


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_toc_lists_every_notebook(notebook):
    assert notebook.removesuffix(".ipynb") in toc_files(), f"{notebook} is missing from _toc.yml"


def test_toc_entries_exist():
    for entry in toc_files():
        assert any((ROOT / f"{entry}{ext}").exists() for ext in (".ipynb", ".md")), f"_toc.yml lists missing {entry}"


@pytest.mark.parametrize("chapter", [nb for nb in NOTEBOOKS if nb.startswith("chapters/")])
def test_each_chapter_has_exercises_and_solutions(chapter):
    name = Path(chapter).name
    for folder in ("exercises", "solutions"):
        assert (ROOT / folder / name).exists(), f"{chapter} has no {folder}/{name}"


def test_no_exercises_or_solutions_without_chapter():
    chapters = {Path(nb).name for nb in NOTEBOOKS if nb.startswith("chapters/")}
    for nb in NOTEBOOKS:
        assert Path(nb).name in chapters, f"{nb} has no chapter"


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_setup_cell_is_the_standard_one(notebook):
    first = code_cells(read(notebook))[0]
    assert first.source.strip() == SETUP_CELL, f"{notebook}: the first code cell differs from tools/setup_cell.py (tools/nb.py sync)"
    assert "hide-input" in tags(first), f"{notebook}: tag the setup cell hide-input (tools/nb.py sync)"


@pytest.mark.parametrize("notebook", [nb for nb in NOTEBOOKS if not nb.startswith("chapters/")])
def test_harness_and_checker_cells(notebook):
    cells = code_cells(read(notebook))
    assert cells[1].source.strip() == HARNESS_CELL, f"{notebook}: the second code cell differs from tools/harness.py"
    assert "hide-input" in tags(cells[1])
    checker = cells[2]
    assert "checker" in tags(checker) and "hide-input" in tags(checker), f"{notebook}: third code cell must be the checkers"
    assert "def check_" in checker.source


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_language_cells_come_in_pairs(notebook):
    cells = read(notebook).cells
    for i, cell in enumerate(cells):
        where = f"{notebook} cell {i}"
        if "lang-en" in tags(cell):
            assert i + 1 < len(cells) and "lang-zh" in tags(cells[i + 1]), f"{where}: English cell without Chinese partner"
            partner = cells[i + 1]
            assert ("solution" in tags(cell)) == ("solution" in tags(partner)), f"{where}: pair tagged differently"
            assert HEADING.findall(cell.source) == HEADING.findall(partner.source), f"{where}: headings differ"
            assert cell.source.count("$$") == partner.source.count("$$"), f"{where}: display math differs"
        if "lang-zh" in tags(cell):
            assert i > 0 and "lang-en" in tags(cells[i - 1]), f"{where}: Chinese cell without English partner"


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_a_language_cell_starts_at_most_one_section(notebook):
    """A section and its first subsection in one cell put the other language's section heading
    between the subsections, so the page's contents nest 'x.y.2' under the hidden 'x.y' of the
    other language and lose 'x.y.1' from view when the reader scrolls past it."""
    for i, cell in enumerate(read(notebook).cells):
        if {"lang-en", "lang-zh"} & set(tags(cell)):
            headings = [line for line in cell.source.splitlines() if HEADING.match(line)]
            assert len(headings) <= 1, f"{notebook} cell {i}: split {headings} into one cell (pair) each"


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_each_language_cell_is_in_its_language(notebook):
    for i, cell in enumerate(read(notebook).cells):
        text = re.sub(r"^```.*$", "", cell.source, flags=re.M)  # a directive's fence lines (a hint's admonition)
        text = re.sub(r"`[^`]*`|\$[^$]*\$|\([^)]*\)=", "", text)  # code, math and labels are neutral
        han = len(CJK.findall(text))
        latin = len(re.findall(r"[A-Za-z]", text))
        if "lang-zh" in tags(cell):
            assert han >= 2, f"{notebook} cell {i}: a lang-zh cell with no Chinese"
        if "lang-en" in tags(cell):
            assert han <= 0.05 * latin + 6, f"{notebook} cell {i}: a lang-en cell that is mostly Chinese"


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_untagged_markdown_is_not_prose(notebook):
    """Prose belongs in a language pair; shared cells hold the title, math or a directive."""
    for i, cell in enumerate(read(notebook).cells):
        if cell.cell_type != "markdown" or {"lang-en", "lang-zh"} & set(tags(cell)):
            continue
        source = cell.source.strip()
        is_title = source.startswith("# ") and "\n" not in source and CJK.search(source) and re.search("[A-Za-z]", source)
        is_math = source.startswith("$$") and source.endswith("$$")
        is_directive = source.startswith(("```{", ":::{", "````{"))
        is_figure = source.startswith("![") or source.startswith("```{figure")
        assert is_title or is_math or is_directive or is_figure, f"{notebook} cell {i}: untagged prose: {source[:60]!r}"


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_chinese_headings_have_labels(notebook):
    for i, cell in enumerate(read(notebook).cells):
        if "lang-zh" not in tags(cell):
            continue
        lines = cell.source.splitlines()
        for n, line in enumerate(lines):
            if HEADING.match(line):
                assert n > 0 and re.fullmatch(r"\([\w-]+\)=", lines[n - 1].strip()), (
                    f"{notebook} cell {i}: Chinese heading {line!r} needs a (label)= line before it")


@pytest.mark.parametrize("notebook", EXECUTED)
def test_every_code_cell_was_executed_in_order(notebook):
    counts = [cell.execution_count for cell in code_cells(read(notebook))]
    assert counts == list(range(1, len(counts) + 1)), f"{notebook}: run it top to bottom (tools/nb.py run): {counts}"


@pytest.mark.parametrize("notebook", EXECUTED)
def test_no_errors_or_stray_warnings_in_outputs(notebook):
    for i, cell in enumerate(code_cells(read(notebook))):
        for output in cell.get("outputs", []):
            assert output.output_type != "error", f"{notebook} code cell {i}: stored error {output.get('ename')}"
            if output.output_type == "stream" and output.name == "stderr":
                raise AssertionError(f"{notebook} code cell {i}: stderr output: {output.text[:200]!r}")
            text = json.dumps(output)
            assert "Glyph" not in text or "missing" not in text, f"{notebook} code cell {i}: missing glyph warning"


@pytest.mark.parametrize("notebook", [nb for nb in NOTEBOOKS if nb.startswith("exercises/")])
def test_exercises_equal_the_generators_output(notebook):
    generated = make_exercises(read(notebook.replace("exercises/", "solutions/")))
    assert nbformat.writes(generated) == nbformat.writes(read(notebook)), (
        f"{notebook} differs from what tools/nb.py exercises generates from solutions/: regenerate it")


@pytest.mark.parametrize("notebook", [nb for nb in NOTEBOOKS if nb.startswith("exercises/")])
def test_exercises_have_stubs_and_no_solutions(notebook):
    nb = read(notebook)
    assert "答案" not in nb.cells[0].source and "Solution" not in nb.cells[0].source, "the title still says solutions"
    stubbed = [cell for cell in code_cells(nb) if "raises-exception" in tags(cell)]
    assert stubbed, f"{notebook} has no exercise"
    for cell in nb.cells:
        assert "### BEGIN SOLUTION" not in cell.source and "solution" not in tags(cell)
    for cell in stubbed:
        assert "raise NotImplementedError" in cell.source


@pytest.mark.parametrize("notebook", [nb for nb in NOTEBOOKS if nb.startswith("solutions/")])
def test_each_exercise_cell_checks_itself(notebook):
    exercises = [c for c in code_cells(read(notebook)) if "### BEGIN SOLUTION" in c.source]
    assert len(exercises) >= 4, f"{notebook}: at least four exercises"
    for cell in exercises:
        calls = re.findall(r"^check_\w+\(", cell.source, re.M)
        assert len(calls) == 1, f"{notebook}: an exercise cell must end with exactly one check_*(...) call"


MARKDOWN_PAGES = sorted(p.name for p in ROOT.glob("*.md") if p.name not in {"README.md", "AUTHORING.md"})


@pytest.mark.parametrize("page", MARKDOWN_PAGES)
def test_markdown_pages_pair_their_languages(page):
    """In .md pages prose sits in ```{container} lang-en``` blocks, each followed by its Chinese twin."""
    blocks = re.findall(r"```\{container\} lang-(en|zh)\n(.*?)\n```", (ROOT / page).read_text(encoding="utf-8"), re.S)
    languages = [language for language, _ in blocks]
    assert languages == ["en", "zh"] * (len(languages) // 2), f"{page}: containers must alternate en, zh: {languages}"
    for language, text in blocks:
        if language == "zh":
            assert CJK.search(text), f"{page}: a zh container without Chinese"


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_reused_code_equals_its_source(notebook):
    """Code reused from an earlier chapter is generated from its #@save cells, never pasted."""
    for cell in code_cells(read(notebook)):
        if "reuse" in tags(cell):
            assert cell.source == reuse_source(cell.source), f"{notebook}: reuse cell is stale (run tools/nb.py sync)"
            assert "hide-input" in tags(cell)
