"""Numbers one chapter quotes from another agree with what that chapter printed.

Some chapters compare their models with those of earlier chapters without retraining them: a
`reported = {...}` dictionary holds the earlier models' numbers as literals, each row named with
the chapter it comes from ("… (第 4 章 Ch. 4)"). Chapter 3 quotes Chapter 2's RNN and GRU language
models, Chapter 5 the plain encoder–decoder of Chapter 4, Chapter 6 the held-out scores of Chapters
4 and 5 and the memory-task accuracies of Chapter 3's gated networks. If an earlier chapter is re-run
and its numbers change, a comparison would silently go stale; this test reads the stored outputs of
the quoted chapter and fails first.
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
QUOTING = ("03_lstm", "05_attention", "06_transformer")  # the chapters with `reported = {...}` tables


def printed(chapter: str) -> str:
    """Everything a chapter printed (its stored stream outputs), as one text."""
    nb = nbformat.read(ROOT / "chapters" / f"{chapter}.ipynb", as_version=4)
    return "\n".join(output.get("text", "") for cell in code_cells(nb) for output in cell.outputs
                     if output.output_type == "stream")


def number(pattern: str, text: str) -> float:
    found = re.findall(pattern, text)
    assert len(found) == 1, f"expected one match of {pattern!r}, found {found}"
    return float(found[0].replace(",", ""))


def row_of_numbers(name: str, text: str) -> list[float]:
    """The numbers printed after `name` at the start of a line, e.g. a row of an accuracy table."""
    found = re.findall(rf"(?m)^{re.escape(name)}((?:[ \t]+[\d.]+)+)[ \t]*$", text)
    assert len(found) == 1, f"expected one row {name!r}, found {found}"
    return [float(value) for value in found[0].split()]


def quoted_tables(chapter: str) -> list[dict]:
    """Every `reported = {...}` (or `reported_<what> = {...}`) literal in a chapter's code cells."""
    nb = nbformat.read(ROOT / "chapters" / f"{chapter}.ipynb", as_version=4)
    tables = []
    for cell in code_cells(nb):
        for node in ast.walk(ast.parse(cell.source)):
            if isinstance(node, ast.Assign) and any(getattr(t, "id", "").startswith("reported") for t in node.targets):
                tables.append(ast.literal_eval(node.value))
    return tables


@functools.cache
def source_of_truth() -> dict[tuple[str, str], float]:
    """(row name, metric) → the value the quoted chapter printed (each chapter read once)."""
    ch2, ch3, ch4, ch5 = printed("02_gru"), printed("03_lstm"), printed("04_seq2seq"), printed("05_attention")
    rnn2, gru2, kn2 = "RNN (第 2 章 Ch. 2)", "GRU (第 2 章 Ch. 2)", "Kneser–Ney 6-gram (第 2 章 Ch. 2)"
    seq4, att5 = "GRU seq2seq (第 4 章 Ch. 4)", "GRU + Bahdanau attention (第 5 章 Ch. 5)"
    lm2 = {name: re.search(rf"(?m)^{row}\s+([\d,]+)\s+([\d.]+) ± ([\d.]+)", ch2).groups()
           for name, row in ((rnn2, "RNN, 352 hiddens"), (gru2, "GRU, 192 hiddens"))}
    memory = {(f"{kind}, seed {seed} (第 3 章 Ch. 3)", "accuracy"): row_of_numbers(f"{kind}, seed {seed}", ch3)
              for kind in ("LSTM", "GRU")
              for seed in (0, 1)}
    context = {(name, "context"): row_of_numbers(row, ch2)
               for name, row in ((gru2, "GRU, 192 hiddens"), (rnn2, "RNN, 352 hiddens"), (kn2, "Kneser–Ney 6-gram"))}
    return {
        **memory,
        **context,
        **{(name, "parameters"): float(values[0].replace(",", "")) for name, values in lm2.items()},
        **{(name, "val_ppl"): float(values[1]) for name, values in lm2.items()},
        **{(name, "spread"): float(values[2]) for name, values in lm2.items()},
        (seq4, "all"): number(r"(?m)^greedy\s+([\d.]+)\s+[\d.]+", ch4),               # EM dates, greedy
        (seq4, "1 date"): number(r"1 date\(s\): \d+ examples, exact match ([\d.]+)", ch4),
        (seq4, "2 dates"): number(r"2 date\(s\): \d+ examples, exact match ([\d.]+)", ch4),
        (seq4, "3 dates"): number(r"3 date\(s\): \d+ examples, exact match ([\d.]+)", ch4),
        (seq4, "greedy"): number(r"(?m)^greedy\s+[\d.]+\s+([\d.]+)", ch4),             # BLEU fra, greedy
        (seq4, "beam"): number(r"(?m)^beam k=4, α=0\.7\s+[\d.]+\s+([\d.]+)", ch4),      # BLEU fra, beam 4
        (att5, "all"): number(r"(?m)^注意力 attention\s+([\d.]+)\s+[\d.]+\s+[\d.]+\s+[\d.]+$", ch5),     # EM: all, 1, 2, 3 dates
        (att5, "3 dates"): number(r"(?m)^注意力 attention\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+([\d.]+)$", ch5),
        (att5, "greedy"): number(r"注意力 attention\s+: BLEU greedy ([\d.]+)", ch5),
        (att5, "beam"): number(r"注意力 attention\s+: BLEU greedy [\d.]+, beam \(k = 4\) ([\d.]+)", ch5),
    }


def quotes() -> list[tuple[str, str, str, float]]:
    """(quoting chapter, row name, metric, quoted value) for every quoted number."""
    rows = []
    for chapter in QUOTING:
        for table in quoted_tables(chapter):
            for name, row in table.items():
                assert re.search(r"Ch\. \d", name), f"{chapter} quotes {name!r}: say which chapter it comes from"
                rows += [(chapter, name, metric, value) for metric, value in row.items() if metric not in ("updates", "batch")]
    return rows


def test_every_source_number_is_quoted_and_every_quote_has_a_source():
    quoted = {(name, metric) for _, name, metric, _ in quotes()}
    assert quoted == set(source_of_truth()), quoted ^ set(source_of_truth())


@pytest.mark.parametrize("chapter, name, metric, value", quotes())
def test_quoted_number_matches_the_chapter(chapter, name, metric, value):
    truth = source_of_truth()[name, metric]
    if metric in ("accuracy", "context"):                          # a row of a table, printed with two decimals
        assert truth == value, f"{chapter} quotes {name} = {value}, but that chapter printed {truth}"
        return
    digits = 0 if metric == "parameters" else 2 if metric in ("val_ppl", "spread") else 3
    assert round(truth, digits) == value, f"{chapter} quotes {name} {metric} = {value}, but that chapter printed {truth}"
