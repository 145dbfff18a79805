"""The book as PDF (`make pdf`, tools/pdf.py): one file per language, readable, in that language only.

The PDFs in _build/html/pdf are checked when they are newer than everything they are made from;
otherwise this module builds its own: the site into _build/pdf-test/site (apart from
_build/html, which tests/test_site.py rebuilds at the same time), then both PDFs from it. Text is
read with pypdfium2 (PDFium, fast), the structure (outline, fonts, links) with pypdf.
"""

from __future__ import annotations

import ctypes
import json
import re
import subprocess
import sys
import time
import unicodedata
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

import pdf  # noqa: E402  (tools/pdf.py; tools/ is not a package)

HTML = ROOT / "_build" / "html"
OWN = ROOT / "_build" / "pdf-test"
CJK = re.compile(r"[\u3400-\u9fff]")
CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))
PAGES = (80, 400)  # a sane page count for one language (today: about 175 in 中文, 190 in English)


def inputs() -> list[Path]:
    """What the PDFs are made from: if any is newer than a PDF, the PDF is stale."""
    files = [ROOT / "tools" / "pdf.py", ROOT / "_config.yml", ROOT / "_toc.yml", ROOT / "references.bib"]
    files += list((ROOT / "_static").glob("*")) + list((ROOT / "_ext").glob("*.py"))
    files += list(ROOT.glob("*.md")) + list((ROOT / "glossary").glob("*.md")) + CHAPTERS
    return [f for f in files if f.is_file() and f.name not in ("README.md", "AUTHORING.md")]


@pytest.fixture(scope="module")
def pdfs() -> dict[str, Path]:
    if not pdf.CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed (.ci/run installs it)")
    newest = max(f.stat().st_mtime for f in inputs())
    for folder in (HTML / "pdf", OWN):  # `make pdf`'s, or this module's from an earlier run
        built = {lang: folder / pdf.FILENAME.format(lang=lang) for lang in pdf.LANGS}
        if all(p.exists() and p.stat().st_mtime > newest for p in built.values()):
            print(f"checking the PDFs in {folder.relative_to(ROOT)}: newer than their sources")
            return built
    start = time.perf_counter()
    site = OWN / "site"
    command = [str(Path(sys.executable).parent / "jupyter-book"), "build", "--all", "--path-output", str(site), str(ROOT)]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    print(f"site for the PDFs: {time.perf_counter() - start:.0f} s")
    start = time.perf_counter()
    written = pdf.build(site / "_build" / "html", OWN, pdf.LANGS)
    print(f"PDFs: {time.perf_counter() - start:.0f} s, " + ", ".join(
        f"{lang} {path.stat().st_size / 1e6:.1f} MB" for lang, path in written.items()))
    return written


def plain(text: str) -> str:
    """Comparable text: compatibility forms (ligatures), no whitespace (line breaks differ)."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


_texts: dict[Path, list[str]] = {}


def page_texts(path: Path) -> list[str]:
    import pypdfium2 as pdfium

    if path not in _texts:
        document = pdfium.PdfDocument(path)
        titles = "|".join(map(re.escape, pdf.BOOK_TITLE.values()))
        footer = re.compile(rf"({titles})[^\n]*?\d+\s*$")
        # without the running footer (the overlay is drawn last): a sentence may go on over the page
        _texts[path] = [footer.sub("", document[i].get_textpage().get_text_range()) for i in range(len(document))]
        document.close()
    return _texts[path]


def outline(path: Path) -> list[tuple[int, str, int]]:
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(path)
    items = [(b.level, b.get_title(), b.get_dest().get_index()) for b in document.get_toc()]
    document.close()
    return items


def cells(notebook: Path, tag: str) -> list[str]:
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    return ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown" and tag in c["metadata"].get("tags", [])]


def chapter_title(notebook: Path, lang: str) -> str:
    """'# 1. 循环神经网络 · Recurrent Neural Networks' → '1. 循环神经网络' or '1. Recurrent Neural Networks'."""
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    first = next("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    title = next(line for line in first.splitlines() if line.startswith("# "))[2:].strip()
    number, rest = title.split(" ", 1)
    zh, en = rest.split(" · ", 1)
    return f"{number} {zh if lang == 'zh' else en}"


def headings(notebook: Path, lang: str) -> list[str]:
    """The section and subsection titles (## and ###) that the chapter shows in one language."""
    return [line.lstrip("#").strip() for cell in cells(notebook, f"lang-{lang}")
            for line in cell.splitlines() if re.match(r"#{2,3} ", line)]


def prose_snippets(lang: str, per_chapter: int = 3) -> list[str]:
    """From each chapter, a plain run of words out of its longest prose paragraphs in `lang`:
    markup, maths, code and typographic quotes split a paragraph into runs; the longest is kept."""
    snippets = []
    for notebook in CHAPTERS:
        paragraphs = [p for cell in cells(notebook, f"lang-{lang}") for p in cell.split("\n\n")
                      if not re.match(r"\s*([#|>(]|[-*] |\d+\. |\$\$|```|:::)", p)]
        for paragraph in sorted(paragraphs, key=len, reverse=True)[:per_chapter]:
            runs = re.split(r"\$[^$]*\$|`[^`]*`|\{[^}]*\}|\[[^\]]*\]\([^)]*\)|[\[\]()*_\"'“”‘’—–…<>]|--|\.\.\.",
                            paragraph.replace("\n", " "))
            run = max(runs, key=len).strip(" ,.;:，。；：、")
            snippets.append(run[:40] if lang == "zh" else run[:80])
    return snippets


@pytest.mark.parametrize("lang", pdf.LANGS)
def test_pdf_exists_with_a_sane_page_count(pdfs, lang):
    from pypdf import PdfReader

    pages = len(PdfReader(pdfs[lang]).pages)
    print(f"{pdfs[lang].name}: {pages} pages, {pdfs[lang].stat().st_size / 1e6:.1f} MB")
    assert PAGES[0] <= pages <= PAGES[1], f"{pdfs[lang].name} has {pages} pages"
    assert pdfs[lang].stat().st_size < 40e6


@pytest.mark.parametrize("lang", pdf.LANGS)
def test_outline_has_each_chapter_and_its_sections_in_that_language(pdfs, lang):
    items = outline(pdfs[lang])
    texts = page_texts(pdfs[lang])
    for notebook in CHAPTERS:
        title = chapter_title(notebook, lang)
        found = [i for i, (level, text, _) in enumerate(items) if level == 0 and text == title]
        assert found, f"no bookmark {title!r} in {pdfs[lang].name}"
        start = found[0]
        page = items[start][2]
        assert plain(title) in plain(texts[page]), f"{title!r} is not on the page its bookmark opens ({page + 1})"
        end = next((i for i in range(start + 1, len(items)) if items[i][0] == 0), len(items))
        sections = [text for level, text, _ in items[start + 1:end]]
        expected = headings(notebook, lang)
        assert len(sections) == len(expected), f"{title}: bookmarks {sections} for sections {expected}"
        for bookmark, heading in zip(sections, expected, strict=True):  # "5.3.2 Why divide by √d" for "... $\sqrt{d}$"
            assert key(bookmark).startswith(key(re.sub(r"\$[^$]*\$", "", heading))), f"bookmark {bookmark!r} for {heading!r}"


def key(title: str) -> str:
    return re.sub(r"[^\w\u3400-\u9fff]", "", plain(title))


@pytest.mark.parametrize("lang", pdf.LANGS)
def test_chapter_titles_in_that_language_are_in_the_text(pdfs, lang):
    text = plain("".join(page_texts(pdfs[lang])))
    for notebook in CHAPTERS:
        title = chapter_title(notebook, lang).split(" ", 1)[1]
        assert plain(title) in text, f"{title!r} not in {pdfs[lang].name}"


@pytest.mark.parametrize("lang", pdf.LANGS)
def test_only_that_languages_prose(pdfs, lang):
    """Long paragraphs of the other language are absent; the same paragraphs of this language are
    there (so the check can see a paragraph at all)."""
    text = plain("".join(page_texts(pdfs[lang])))
    other = "en" if lang == "zh" else "zh"
    own, foreign = prose_snippets(lang), prose_snippets(other)
    assert len(own) >= 2 * len(CHAPTERS) and all(len(s) >= 12 for s in own + foreign), (own, foreign)
    missing = [s for s in own if plain(s) not in text]
    assert not missing, f"{pdfs[lang].name} lacks its own prose: {missing}"
    leaked = [s for s in foreign if plain(s) in text]
    assert not leaked, f"{pdfs[lang].name} shows {other} prose: {leaked}"


@pytest.mark.parametrize("lang", pdf.LANGS)
def test_every_chinese_character_has_its_glyph(pdfs, lang):
    """Tofu-free: no U+FFFD, and each CJK character is drawn with the CJK font from the mplfonts
    wheel (embedded as a TrueType subset, NotoSansCJKsc-Regular) or its synthetic bold (a nameless
    Type 3 font), never by a font without Chinese glyphs (a missing glyph: a box)."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as raw

    document = pdfium.PdfDocument(pdfs[lang])
    name, flags = ctypes.create_string_buffer(256), ctypes.c_int()
    fonts: dict[str, int] = {}
    wrong: dict[str, list[int]] = {}
    for number in range(len(document)):
        textpage = document[number].get_textpage()
        assert "\ufffd" not in textpage.get_text_range(), f"U+FFFD on page {number + 1}"
        for k in range(textpage.count_chars()):
            if CJK.match(chr(raw.FPDFText_GetUnicode(textpage, k))):
                raw.FPDFText_GetFontInfo(textpage, k, name, 256, ctypes.byref(flags))
                font = name.value.decode("latin-1").split("+")[-1]
                fonts[font] = fonts.get(font, 0) + 1
                if font and "CJK" not in font:
                    wrong.setdefault(font, []).append(number + 1)
    document.close()
    print(f"{pdfs[lang].name}: CJK characters by font {fonts}")
    assert not wrong, "Chinese drawn without a CJK font (boxes): " + ", ".join(
        f"{font} on pages {sorted(set(pages))[:10]}" for font, pages in wrong.items())
    total = sum(fonts.values())
    assert fonts.get("NotoSansCJKsc-Regular", 0) >= 0.8 * total, fonts
    assert total > (20_000 if lang == "zh" else 100), f"only {total} Chinese characters"


@pytest.mark.parametrize("lang", pdf.LANGS)
def test_fonts_are_embedded(pdfs, lang):
    from pypdf import PdfReader

    reader = PdfReader(pdfs[lang])
    missing, cjk = set(), set()
    for number, page in enumerate(reader.pages):
        for font in (page["/Resources"].get("/Font") or {}).values():
            font = font.get_object()
            if font["/Subtype"] == "/Type3":
                continue
            descriptor = (font["/DescendantFonts"][0].get_object() if font["/Subtype"] == "/Type0" else font).get("/FontDescriptor")
            descriptor = descriptor.get_object() if descriptor else {}
            if not any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")):
                missing.add((str(font.get("/BaseFont")), number + 1))
            if "NotoSansCJKsc" in str(font.get("/BaseFont")) and "/FontFile2" in descriptor:
                cjk.add(str(font["/BaseFont"]))
    assert not missing, f"fonts not embedded: {sorted(missing)[:10]}"
    assert cjk, "the CJK font (a TrueType subset of NotoSansCJKsc-Regular) is not embedded"


@pytest.mark.parametrize("lang", pdf.LANGS)
def test_maths_is_typeset_and_links_work_offline(pdfs, lang):
    """MathJax ran (mathematical symbols, no TeX source left) and no link points at the print server."""
    from pypdf import PdfReader

    text = "".join(page_texts(pdfs[lang]))
    assert len(re.findall("[∈⊤⊙∑∂√≈]", text)) > 100, "few mathematical symbols: was MathJax run?"
    assert not re.search(r"\\(frac|mathbb|mathbf|sqrt|text)\{", text), "TeX source in the text: maths not typeset"
    inside = outside = 0
    for page in PdfReader(pdfs[lang]).pages:
        for annot in page.get("/Annots") or []:
            annot = annot.get_object()
            if "/Dest" in annot:
                inside += 1
            elif "/A" in annot and "/URI" in annot["/A"]:
                uri = str(annot["/A"]["/URI"])
                assert not re.match(r"https?://(127\.0\.0\.1|localhost)", uri), f"a link to the print server: {uri}"
                outside += 1
    assert inside > 100, f"only {inside} links inside the PDF (glossary terms, citations, sections)"


def test_the_site_links_the_pdfs():
    """The landing page links both PDFs in both languages' containers; the sidebar's icon links
    point at the published site of repository.url."""
    index = (ROOT / "index.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```\{container\} lang-(en|zh)\n(.*?)\n```", index, re.S)
    for lang in ("en", "zh"):
        for name in (pdf.FILENAME.format(lang=other) for other in pdf.LANGS):
            assert any(f'href="pdf/{name}"' in text for block_lang, text in blocks if block_lang == lang), (
                f"index.md: no {lang} container links pdf/{name}")
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    urls = [link["url"] for link in config["sphinx"]["config"]["html_theme_options"]["icon_links"]]
    for lang in pdf.LANGS:
        assert f"{pdf.site_url()}pdf/{pdf.FILENAME.format(lang=lang)}" in urls, (
            f"_config.yml: the sidebar's PDF links {urls} do not match repository.url ({pdf.site_url()})")
