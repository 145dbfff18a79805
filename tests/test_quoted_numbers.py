"""Numbers one chapter quotes from another agree with what that chapter printed.

Chapter 6 compares its Transformer with the models of Chapters 4 and 5 without retraining them: its
`reported = {...}` dictionaries hold their held-out scores as literals. If Chapter 4 or 5 is re-run
and its numbers change, the comparison table would silently go stale; this test reads the stored
outputs of those chapters and fails first.
"""

from __future__ import annotations

import ast
import functools
import re
from pathlib import Path

import nbformat
import pytest
from nb import code_cells

ROOT = Path(__file__).resolve().parent.parent
CH4, CH5 = "Ch. 4", "Ch. 5"


def printed(chapter: str) -> str:
    """Everything a chapter printed (its stored stream outputs), as one text."""
    nb = nbformat.read(ROOT / "chapters" / f"{chapter}.ipynb", as_version=4)
    return "\n".join(output.get("text", "") for cell in code_cells(nb) for output in cell.outputs
                     if output.output_type == "stream")


def number(pattern: str, text: str) -> float:
    found = re.findall(pattern, text)
    assert len(found) == 1, f"expected one match of {pattern!r}, found {found}"
    return float(found[0])


def quoted_tables() -> list[dict]:
    """Every `reported = {...}` literal in Chapter 6's code cells."""
    nb = nbformat.read(ROOT / "chapters" / "06_transformer.ipynb", as_version=4)
    tables = []
    for cell in code_cells(nb):
        for node in ast.walk(ast.parse(cell.source)):
            if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "reported" for t in node.targets):
                tables.append(ast.literal_eval(node.value))
    return tables


@functools.cache
def source_of_truth() -> dict[tuple[str, str], float]:
    """(chapter, metric) → the value that chapter printed (read once, not once per quoted number)."""
    ch4, ch5 = printed("04_seq2seq"), printed("05_attention")
    return {
        (CH4, "all"): number(r"(?m)^greedy\s+([\d.]+)\s+[\d.]+", ch4),               # EM dates, greedy
        (CH4, "3 dates"): number(r"3 date\(s\): \d+ examples, exact match ([\d.]+)", ch4),
        (CH4, "greedy"): number(r"(?m)^greedy\s+[\d.]+\s+([\d.]+)", ch4),             # BLEU fra, greedy
        (CH4, "beam"): number(r"(?m)^beam k=4, α=0\.7\s+[\d.]+\s+([\d.]+)", ch4),      # BLEU fra, beam 4
        (CH5, "all"): number(r"注意力 attention\s+: 精确匹配 exact match ([\d.]+)", ch5),
        (CH5, "3 dates"): number(r"长输入 long inputs .*注意力 attention ([\d.]+)", ch5),
        (CH5, "greedy"): number(r"注意力 attention\s+: BLEU greedy ([\d.]+)", ch5),
        (CH5, "beam"): number(r"注意力 attention\s+: BLEU greedy [\d.]+, beam \(k = 4\) ([\d.]+)", ch5),
    }


def quotes() -> list[tuple[str, str, float]]:
    rows = []
    for table in quoted_tables():
        for name, row in table.items():
            chapter = CH4 if CH4 in name else CH5 if CH5 in name else None
            assert chapter, f"Chapter 6 quotes {name!r}: say which chapter it comes from"
            rows += [(chapter, metric, value) for metric, value in row.items() if metric != "updates"]
    return rows


def test_chapter_6_quotes_both_tables():
    metrics = {(chapter, metric) for chapter, metric, _ in quotes()}
    assert metrics == set(source_of_truth()), metrics ^ set(source_of_truth())


@pytest.mark.parametrize("chapter, metric, value", quotes())
def test_quoted_number_matches_the_chapter(chapter, metric, value):
    truth = source_of_truth()[chapter, metric]
    assert round(truth, 3) == value, f"Chapter 6 quotes {chapter} {metric} = {value}, but {chapter} printed {truth}"
