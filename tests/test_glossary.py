"""The glossary is the book's terminology: every term defined is used, every term used is defined.

Terms are defined in glossary/NN_name.md (one Sphinx glossary per chapter, included by
glossary.md). Each entry names the term in English and in Chinese and defines it in one line in
each language. Chapters link a term with {term}`hidden state` or {term}`隐状态`.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
CJK = re.compile(r"[\u4e00-\u9fff]")
ROLE = re.compile(r"\{term\}`([^`]+)`")


def entries() -> list[tuple[list[str], list[str]]]:
    """(terms, definition lines) for every glossary entry."""
    found = []
    for path in sorted((ROOT / "glossary").glob("*.md")):
        bodies = re.findall(r"```\{glossary\}\n(.*?)\n```", path.read_text(encoding="utf-8"), re.S)
        assert bodies, f"{path.name} has no glossary"
        for block in (b for body in bodies for b in re.split(r"\n\s*\n(?=\S)", body.strip())):
            lines = [line for line in block.splitlines() if line.strip()]
            terms = [line.strip() for line in lines if not line.startswith(" ")]
            definition = [line.strip() for line in lines if line.startswith(" ")]
            found.append((terms, definition))
    return found


def used_terms() -> dict[str, set[str]]:
    """term (lowercased) → the pages that link it."""
    sources: dict[str, str] = {}
    for folder in ("chapters", "solutions"):
        for path in sorted((ROOT / folder).glob("*.ipynb")):
            nb = nbformat.read(path, as_version=4)
            sources[path.relative_to(ROOT).as_posix()] = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    for path in ROOT.glob("*.md"):
        sources[path.name] = path.read_text(encoding="utf-8")
    used: dict[str, set[str]] = {}
    for page, text in sources.items():
        for role in ROLE.findall(text):
            role = re.sub(r"\s+", " ", role)  # a role may wrap across lines, as Sphinx allows
            target = re.search(r"<([^>]+)>$", role)
            used.setdefault((target.group(1) if target else role).strip().lower(), set()).add(page)
    return used


def test_glossary_files_are_all_included():
    included = set(re.findall(r"```\{include\} (glossary/\S+\.md)", (ROOT / "glossary.md").read_text(encoding="utf-8")))
    present = {p.relative_to(ROOT).as_posix() for p in (ROOT / "glossary").glob("*.md")}
    assert included == present


@pytest.mark.parametrize("terms,definition", entries(), ids=lambda value: value[0] if isinstance(value, list) else "")
def test_each_entry_is_bilingual(terms, definition):
    assert any(not CJK.search(t) for t in terms) and any(CJK.search(t) for t in terms), f"{terms}: need an English and a Chinese term"
    assert len(definition) == 2, f"{terms}: one definition line in each language"
    english, chinese = definition
    assert not CJK.search(english) and CJK.search(chinese), f"{terms}: English line first, then Chinese"


def test_every_term_defined_is_used():
    used = used_terms()
    unused = [terms for terms, _ in entries() if not any(t.lower() in used for t in terms)]
    assert not unused, f"defined but never linked from a chapter: {unused}"


def test_every_term_used_is_defined():
    defined = {t.lower() for terms, _ in entries() for t in terms}
    undefined = {term: pages for term, pages in used_terms().items() if term not in defined}
    assert not undefined, f"linked but not in the glossary: {undefined}"


def test_no_term_is_defined_twice():
    all_terms = [t.lower() for terms, _ in entries() for t in terms]
    assert len(all_terms) == len(set(all_terms)), sorted({t for t in all_terms if all_terms.count(t) > 1})
