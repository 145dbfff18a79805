"""The book as two PDFs, 中文 and English, printed from the built site by Chromium.

    python tools/pdf.py [--html _build/html] [--out _build/html/pdf] [--lang en zh] [--site-url URL]

`make pdf` runs it after `make book`. Each page of the book (the landing page, how to use it, the
seven chapters, the glossary and the bibliography; the exercise and solution notebooks are meant
to be run, so the PDFs link to them on the website) is served from 127.0.0.1 and opened in
Debian's /usr/bin/chromium (driven by Playwright, as in tests/test_site.py; never a downloaded
browser) with the site's own language switch set to one language. `_static/print.css` hides the
site's chrome; this script adds what only the PDFs need:

- the CJK font from the mplfonts wheel (the one the figures use), so no system font is needed.
  Chromium embeds an OpenType font with CFF outlines as nameless Type 3 glyph procedures, so the
  script first subsets the file to the characters of the book and converts its outlines to
  TrueType (fontTools): the PDF then embeds a named CID font subset, NotoSansCJKsc-Regular;
- MathJax (served with the site) waits for that font before it typesets, and typesets Chinese
  inside formulas (\\text{重置门 reset gate}) with it;
- folded cells (the standard setup, code reused from earlier chapters, code that draws a diagram)
  stay folded and leave a one-line note; everything else shows. Shared bilingual headings
  ("1. 循环神经网络 · Recurrent Neural Networks") print in the PDF's language only;
- code and output lines that would not fit are set smaller (down to 6 pt on paper), then wrapped;
- the pages are merged with pypdf into one file with a table of contents, an outline (one
  bookmark per page of the book and per section), page numbers, and links that stay inside the
  PDF where their target is in it (the website's other pages are linked on the website).
"""

from __future__ import annotations

import argparse
import functools
import html
import http.server
import importlib.util
import io
import json
import os
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import yaml

ROOT = Path(__file__).resolve().parent.parent
HTML = ROOT / "_build" / "html"
CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))  # Debian's; never a downloaded one
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
LANGS = ("zh", "en")
FILENAME = "rnn-to-bert-{lang}.pdf"  # stable names: the landing page and the navbar link to them
BOOK_TITLE = {"zh": "从 RNN 到 BERT", "en": "From RNN to BERT"}
CONTENTS = {"zh": "目录", "en": "Contents"}
FOLDED = {"zh": "代码已折叠（{n} 行，见笔记本）", "en": "Code folded ({n} lines; see the notebook)"}
FONT_FAMILY = "RNN2BERT CJK"  # the @font-face name; the PDF names the font by its own PostScript name

# A4 portrait, in millimetres; SCALE shrinks the site's 16 px type to about 10 pt on paper.
PAGE_MM = (210, 297)
MARGIN_MM = {"top": 15, "bottom": 18, "left": 16, "right": 16}
SCALE = 0.85
MM = 96 / 25.4  # CSS px per mm
CONTENT_PX = round((PAGE_MM[0] - MARGIN_MM["left"] - MARGIN_MM["right"]) * MM / SCALE)


def book_pages(root: Path = ROOT) -> list[str]:
    """The pages of the PDF in the order of _toc.yml, without the exercise and solution notebooks."""
    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    pages = [toc["root"]]
    for part in toc.get("parts", []):
        pages += [entry["file"] for entry in part["chapters"]
                  if not entry["file"].startswith(("exercises/", "solutions/"))]
    return pages


def font_file() -> Path:
    """NotoSansCJKsc-Regular.otf from the mplfonts wheel (found, never imported, as in the setup cell)."""
    spec = importlib.util.find_spec("mplfonts")
    if spec is None or spec.origin is None:
        sys.exit("pdf: the mplfonts package is missing: pip install --no-deps mplfonts==0.0.11")
    path = Path(spec.origin).parent / "fonts" / "NotoSansCJKsc-Regular.otf"
    if not path.exists():
        sys.exit(f"pdf: {path} is missing: reinstall mplfonts")
    return path


def site_url(root: Path = ROOT) -> str:
    """Where the website is published: GitHub Pages of `repository.url` in _config.yml."""
    config = yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8"))
    owner, repo = urlparse(config["repository"]["url"]).path.strip("/").split("/")[:2]
    return f"https://{owner}.github.io/{repo}/"


# --------------------------------------------------------------------------- the CJK font

def book_characters(html_dir: Path, pages: list[str]) -> set[str]:
    """Every character the printed pages can show: their HTML, the site's own scripts (lang.js
    writes labels) and this file (notes, footers, the table of contents)."""
    texts = [(html_dir / f"{page}.html").read_text(encoding="utf-8") for page in pages]
    texts += [path.read_text(encoding="utf-8") for path in (html_dir / "_static").glob("*.js")]
    texts.append(Path(__file__).read_text(encoding="utf-8"))
    return set(html.unescape("".join(texts))) | {chr(c) for c in range(0x20, 0x7F)}


def truetype_subset(source: Path, characters: set[str]) -> bytes:
    """The font subset to `characters`, its CFF outlines converted to TrueType quadratics."""
    from fontTools import subset
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    from fontTools.ttLib import TTFont, newTable

    font = TTFont(source)
    options = subset.Options()
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=[ord(c) for c in characters])
    subsetter.subset(font)

    order = font.getGlyphOrder()
    glyphs = font.getGlyphSet()
    glyf = newTable("glyf")
    glyf.glyphOrder, glyf.glyphs = order, {}
    for name in order:
        pen = TTGlyphPen(glyphs)
        glyphs[name].draw(Cu2QuPen(pen, max_err=1.0, reverse_direction=True))
        glyf[name] = pen.glyph()
    font["glyf"], font["loca"] = glyf, newTable("loca")
    maxp = font["maxp"] = newTable("maxp")
    maxp.tableVersion, maxp.maxZones = 0x00010000, 1
    for key in ("maxTwilightPoints", "maxStorage", "maxFunctionDefs", "maxInstructionDefs",
                "maxStackElements", "maxSizeOfInstructions", "maxComponentElements"):
        setattr(maxp, key, 0)
    font["head"].glyphDataFormat = 0
    post = font["post"]
    post.formatType, post.extraNames, post.mapping = 2.0, [], {}
    for table in ("CFF ", "VORG"):
        if table in font:
            del font[table]
    font.sfntVersion = "\x00\x01\x00\x00"
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


# --------------------------------------------------------------------------- the browser

PRINT_CSS = f"""
html:root:root {{  /* above the theme's own :root, which comes later in the page */
  --pst-font-family-base: var(--pst-font-family-base-system), "{FONT_FAMILY}";
  --pst-font-family-heading: var(--pst-font-family-base);
  --pst-font-family-monospace: var(--pst-font-family-monospace-system), "{FONT_FAMILY}";
}}
mjx-utext {{ font-family: "{FONT_FAMILY}", serif !important; }}
a.pdf-dest {{ position: absolute; display: block; width: 1px; height: 1px; overflow: hidden; }}
"""

# Runs in every page before its own scripts: light mode; the CJK font face, loading before any text
# is laid out (text shaped before its font face existed kept the boxes of a fallback font); and a
# function that adds PRINT_CSS at the end of <head> (the document has no element yet when this
# runs), called by the MathJax prelude, or when the page is parsed.
INIT_SCRIPT = """
(() => {
  try { localStorage.setItem('mode', 'light'); localStorage.setItem('theme', 'light'); } catch (e) {}
  const face = new FontFace(@FAMILY@, 'url("/__pdf__/cjk.ttf") format("truetype")');
  document.fonts.add(face);
  face.load().catch(() => null);
  window.pdfStyle = () => {
    if (document.getElementById('pdf-style')) return;
    const style = document.createElement('style');
    style.id = 'pdf-style';
    style.textContent = @CSS@;
    (document.head || document.documentElement).appendChild(style);
  };
  document.addEventListener('DOMContentLoaded', window.pdfStyle);
})();
""".replace("@CSS@", json.dumps(PRINT_CSS)).replace("@FAMILY@", json.dumps(FONT_FAMILY))

# Put before the site's MathJax (tex-chtml.js), a deferred script: typeset once the CJK font is
# there, and use it for characters MathJax's own fonts lack (Chinese in \\text{}).
MATHJAX_PRELUDE = """
(() => {
  window.pdfStyle();
  const M = window.MathJax = window.MathJax || {};
  M.chtml = Object.assign({}, M.chtml, {unknownFamily: '"@FONT@", serif'});
  M.startup = Object.assign({}, M.startup, {
    pageReady: () => document.fonts.load('16px "@FONT@"', '中').catch(() => null).then(() => MathJax.startup.defaultPageReady()),
  });
})();
""".replace("@FONT@", FONT_FAMILY)

# Wait for MathJax, the fonts and the images; true when the CJK font is loaded.
WAIT_JS = """async () => {
  window.pdfStyle();
  if (document.querySelector('script[src*="mathjax"]')) {
    for (let i = 0; i < 600 && !(window.MathJax && MathJax.startup && MathJax.startup.promise); i++) {
      await new Promise(r => setTimeout(r, 50));
    }
    await MathJax.startup.promise;
  }
  const cjk = await document.fonts.load('16px "@FONT@"', '中').catch(() => []);
  await document.fonts.ready;
  const pending = Array.from(document.images).filter(i => !i.complete);
  await Promise.all(pending.map(i => new Promise(r => { i.onload = i.onerror = r; })));
  return cjk.length > 0;
}""".replace("@FONT@", FONT_FAMILY)

# Once per page (language-independent): notes for folded cells, both languages of shared
# headings, anchors for every id (Chromium writes a PDF destination for each link target), and
# no break inside a short code cell.
PREPARE_JS = """(folded) => {
  const article = document.querySelector('article.bd-article') || document.body;
  const cjk = /[\\u3400-\\u9fff]/;
  const el = (tag, cls, text) => { const e = document.createElement(tag); e.className = cls; e.textContent = text; return e; };

  // open every fold, except the code of a hide-input cell, which leaves a note
  for (const d of article.querySelectorAll('details')) {
    if (d.matches('details.hide.above-input')) {
      const lines = (d.querySelector('pre') || d).textContent.replace(/\\n+$/, '').split('\\n').length;
      const note = document.createElement('div');
      note.className = 'pdf-folded-note';
      for (const lang of ['en', 'zh']) note.appendChild(el('span', 'tag_lang-' + lang, folded[lang].replace('{n}', lines)));
      d.parentNode.insertBefore(note, d);
    } else {
      d.open = true;
    }
  }

  // "1. 循环神经网络 · Recurrent Neural Networks" (a shared heading, a cell of the landing page's
  // table): each language gets its own half
  for (const e of article.querySelectorAll('h1, h2, h3, h4, th, td')) {
    if (e.matches('.tag_lang-en, .tag_lang-zh') || e.closest('.tag_lang-en, .tag_lang-zh, .lang-en, .lang-zh')) continue;
    const walker = document.createTreeWalker(e, NodeFilter.SHOW_TEXT);
    const texts = [];
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      if (n.textContent.trim() && !n.parentElement.closest('.headerlink')) texts.push(n);
    }
    if (texts.length !== 1) continue;
    const parts = texts[0].textContent.trim().split(' · ');
    if (parts.length !== 2 || !cjk.test(parts[0]) || cjk.test(parts[1])) continue;
    const number = (parts[0].match(/^\\d+\\.\\s+/) || [''])[0];
    const en = parts[1].startsWith(number) ? parts[1] : number + parts[1];
    const both = document.createDocumentFragment();
    both.append(el('span', 'tag_lang-zh', parts[0]), el('span', 'tag_lang-en', en));
    texts[0].replaceWith(both);
  }

  // a destination for every id in the article
  for (const target of article.querySelectorAll('[id]')) {
    const a = document.createElement('a');
    a.className = 'pdf-dest';
    a.href = '#' + target.id;
    a.textContent = '\\u200b';
    if (/^(IMG|SVG|BR|HR|INPUT|TABLE|TBODY|TR|UL|OL|DL)$/i.test(target.tagName)) target.parentNode.insertBefore(a, target);
    else target.insertBefore(a, target.firstChild);
  }

  for (const cell of article.querySelectorAll('div.cell_input')) {
    if (cell.textContent.split('\\n').length <= 30) cell.style.breakInside = 'avoid';
  }
}"""

# Shape all text anew once the CJK font is loaded: a paragraph that Chromium had shaped while the
# font was loading could keep a fallback font's boxes (seen in the glossary opened in English, and
# in the table of contents), even printed twice.
RESHAPE_JS = """() => {
  const reshape = document.createElement('style');
  reshape.textContent = '* { font-kerning: none !important; }';
  (document.head || document.documentElement).appendChild(reshape);
  document.body.offsetHeight;
  reshape.remove();
  document.body.offsetHeight;
}"""

# Per language, in the print layout: shrink what does not fit (down to 6 pt), list the headings.
LAYOUT_JS = """(lang) => {
  const GREEK = @GREEK@;
  const texToText = (tex) => tex.replace(/\\\\sqrt\\{([^{}]*)\\}/g, (_, x) => '√' + (x.length > 1 ? '(' + x + ')' : x))
    .replace(/\\\\([a-zA-Z]+)/g, (_, name) => GREEK[name] || name).replace(/[{}]/g, '');
  const button = document.querySelector('.lang-switcher button[data-mode="' + lang + '"]');
  if (button) button.click(); else document.documentElement.setAttribute('data-lang', lang);
  (@RESHAPE@)();
  const article = document.querySelector('article.bd-article') || document.body;
  for (const pre of article.querySelectorAll('pre')) {
    pre.style.fontSize = '';
    pre.style.setProperty('white-space', 'pre', 'important');
    if (pre.offsetParent !== null) {
      // 4% to spare: glyph advances on screen are rounded to pixels, in print they are not
      const range = document.createRange();
      range.selectNodeContents(pre);
      const style = getComputedStyle(pre);
      const room = 0.96 * (pre.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight));
      const width = range.getBoundingClientRect().width, size = parseFloat(style.fontSize);
      if (width > room) pre.style.fontSize = Math.max(9.4, Math.floor(size * room / width * 10) / 10) + 'px';  // 6 pt on paper
    }
    pre.style.removeProperty('white-space');  // print.css wraps what still does not fit
  }
  for (const table of article.querySelectorAll('table')) {  // a wide table (a DataFrame) is set smaller too
    table.style.fontSize = '';
    const room = table.parentElement.clientWidth;
    for (let i = 0; i < 8 && table.offsetParent !== null && table.scrollWidth > room; i++) {
      const size = parseFloat(getComputedStyle(table).fontSize);
      if (size <= 9.4) break;
      table.style.fontSize = Math.max(9.4, size * 0.9) + 'px';
    }
  }
  const headings = [];
  for (const h of article.querySelectorAll('h1, h2, h3')) {
    if (!h.getClientRects().length) continue;
    const section = h.closest('section');
    const copy = h.cloneNode(true);  // a formula in a bookmark: its TeX, made plain (\\sqrt{d} → √d)
    const items = window.MathJax && MathJax.startup && MathJax.startup.document
      ? MathJax.startup.document.getMathItemsWithin(h) : [];
    copy.querySelectorAll('mjx-container').forEach((math, i) => math.replaceWith(items[i] ? texToText(items[i].math) : math.textContent));
    for (const hidden of copy.querySelectorAll('.headerlink, .pdf-dest')) hidden.remove();
    for (const other of copy.querySelectorAll(lang === 'en' ? '.tag_lang-zh' : '.tag_lang-en')) other.remove();
    const title = copy.textContent.replace(/[#\\u200b]/g, '').replace(/\\s+/g, ' ').trim();
    if (title) headings.push({level: Number(h.tagName[1]), title, id: (section && section.id) || h.id || ''});
  }
  return headings;
}""".replace("@RESHAPE@", RESHAPE_JS).replace("@GREEK@", json.dumps({name: chr(0x3B1 + i) for i, name in enumerate(
    "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho varsigma sigma tau "
    "upsilon phi chi psi omega".split())}))



@dataclass
class Printed:
    """One page of the book, printed in one language: the PDF and the headings it shows."""
    page: str
    pdf: bytes
    headings: list[dict] = field(default_factory=list)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def pdf_options(margin_mm: dict | None = None, scale: float = SCALE) -> dict:
    margin = {side: f"{mm}mm" for side, mm in (MARGIN_MM if margin_mm is None else margin_mm).items()}
    return dict(width=f"{PAGE_MM[0]}mm", height=f"{PAGE_MM[1]}mm", margin=margin, scale=scale, print_background=True)


class Printer:
    """The built site served on 127.0.0.1 and one Chromium that prints its pages."""

    def __init__(self, html_dir: Path, font: bytes):
        self.html_dir, self.font = html_dir, font
        handler = functools.partial(_QuietHandler, directory=str(html_dir))
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.documents: dict[str, str] = {}
        self._mathjax: dict[str, str] = {}

    def __enter__(self):
        from playwright.sync_api import sync_playwright

        if not CHROMIUM.exists():
            sys.exit(f"pdf: no browser at {CHROMIUM}: install Debian's chromium (apt-get install chromium) or set "
                     "CHROMIUM_PATH to a Chromium or Chrome; this script never downloads one")
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self._playwright = sync_playwright().start()
        self.browser = self._playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        self.context = self.browser.new_context(viewport={"width": CONTENT_PX, "height": 1000},
                                                color_scheme="light", locale="en-US")
        self.context.add_init_script(INIT_SCRIPT)
        self.context.route("**/__pdf__/cjk.ttf", lambda route: route.fulfill(body=self.font, content_type="font/ttf"))
        self.context.route("**/__pdf__/doc/*", self._document)
        self.context.route("**/_static/mathjax/tex-chtml.js", self._mathjax_with_prelude)
        self.page = self.context.new_page()
        self.page.set_default_timeout(180_000)
        return self

    def __exit__(self, *exc):
        self.browser.close()
        self._playwright.stop()
        self.server.shutdown()
        self.server.server_close()

    def _document(self, route):
        route.fulfill(body=self.documents[urlparse(route.request.url).path.rsplit("/", 1)[1]], content_type="text/html")

    def _mathjax_with_prelude(self, route):
        path = urlparse(route.request.url).path
        if path not in self._mathjax:
            self._mathjax[path] = MATHJAX_PRELUDE + (self.html_dir / path.lstrip("/")).read_text(encoding="utf-8")
        route.fulfill(body=self._mathjax[path], content_type="application/javascript")

    def book_page(self, name: str, langs: list[str]) -> dict[str, Printed]:
        """One page of the site, printed once per language (one load: the switch is the site's own)."""
        self.page.emulate_media(media="screen")
        self.page.goto(f"{self.base}/{name}.html?lang={langs[0]}", wait_until="load")
        self.page.emulate_media(media="print")
        if not self.page.evaluate(WAIT_JS):
            raise RuntimeError(f"pdf: the CJK font did not load on {name}")
        self.page.evaluate(PREPARE_JS, FOLDED)
        printed = {}
        for lang in langs:
            headings = self.page.evaluate(LAYOUT_JS, lang)
            printed[lang] = Printed(name, self.page.pdf(**pdf_options()), headings)
        return printed

    def document(self, name: str, markup: str, **options) -> bytes:
        """Print a page of our own (the table of contents, the page numbers)."""
        self.documents[name] = markup
        self.page.emulate_media(media="print")
        self.page.goto(f"{self.base}/__pdf__/doc/{name}", wait_until="load")
        if not self.page.evaluate(WAIT_JS):
            raise RuntimeError(f"pdf: the CJK font did not load for {name}")
        self.page.evaluate(RESHAPE_JS)
        return self.page.pdf(**options)


# --------------------------------------------------------------------------- one PDF

DOCUMENT_CSS = f"""
body {{ margin: 0; font-family: "DejaVu Sans", "{FONT_FAMILY}", sans-serif; color: #222; }}
html[lang="zh"] body {{ font-family: "{FONT_FAMILY}", "DejaVu Sans", sans-serif; }}
"""


def contents_markup(lang: str, entries: list[tuple[int, str, int, str]]) -> str:
    """The table of contents: (level, title, page number, link) per entry."""
    rows = []
    for level, title, number, href in entries:
        rows.append(f'<li class="l{level}"><a href="{html.escape(href)}"><span class="t">{html.escape(title)}</span>'
                    f'<span class="n">{number}</span></a></li>')
    return f"""<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8"><style>{DOCUMENT_CSS}
h1 {{ font-size: 22pt; font-weight: normal; margin: 0 0 8mm; }}
ul {{ list-style: none; padding: 0; margin: 0; font-size: 10.5pt; }}
li {{ break-inside: avoid; }}
li a {{ display: flex; color: inherit; text-decoration: none; align-items: baseline; }}
li .t {{ flex: 0 1 auto; }}
li a::after {{ content: ""; flex: 1 1 auto; order: 1; border-bottom: 1px dotted #999; margin: 0 0.4em; }}
li .n {{ order: 2; }}
li.l1 {{ font-weight: bold; margin-top: 3.5mm; }}
li.l2 {{ padding-left: 7mm; margin-top: 1mm; }}
</style></head><body><h1>{CONTENTS[lang]}</h1><ul>{''.join(rows)}</ul></body></html>"""


def footers_markup(lang: str, footers: list[tuple[str, int]]) -> str:
    """One A4 page per page of the book, blank but for its footer: (running title, number)."""
    pages = "".join(f'<div class="p"><div class="f"><span>{html.escape(title)}</span><span>{number}</span></div></div>'
                    for title, number in footers)
    return f"""<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8"><style>{DOCUMENT_CSS}
@page {{ size: {PAGE_MM[0]}mm {PAGE_MM[1]}mm; margin: 0; }}
.p {{ position: relative; width: {PAGE_MM[0]}mm; height: {PAGE_MM[1]}mm; break-after: page; overflow: hidden; }}
.f {{ position: absolute; left: {MARGIN_MM["left"]}mm; right: {MARGIN_MM["right"]}mm; bottom: 8mm;
      display: flex; justify-content: space-between; font-size: 8pt; color: #666;
      border-top: 0.5pt solid #bbb; padding-top: 1.5mm; }}
</style></head><body>{pages}</body></html>"""


def _short_title(headings: list[dict]) -> str:
    return next((h["title"] for h in headings if h["level"] == 1), "")


def assemble(lang: str, printed: list[Printed], printer: Printer, site: str) -> bytes:
    """Merge the printed pages: contents after the landing page, outline, links, page numbers."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import ArrayObject, DictionaryObject, Fit, FloatObject, NameObject, NumberObject, TextStringObject

    readers = [PdfReader(io.BytesIO(p.pdf)) for p in printed]
    index = {p.page: d for d, p in enumerate(printed)}
    dests = []  # per document: id -> (page in document, left, top)
    for reader in readers:
        found = {}
        for name, dest in reader.named_destinations.items():
            found[str(name).lstrip("/")] = (reader.get_destination_page_number(dest), float(dest.left or 0),
                                            float(dest.top or 0))
        dests.append(found)

    def target(d: int, anchor: str, offset: int) -> tuple[int, float, float]:
        start = sum(len(r.pages) for r in readers[:d]) + (offset if d > 0 else 0)
        page, left, top = dests[d].get(anchor, (0, 0.0, PAGE_MM[1] * 72 / 25.4))
        return start + page, left, top

    # the table of contents: its length moves every page number after it, so print until it holds
    toc_pages, toc = 1, b""
    for _ in range(4):
        entries = []
        for d, p in enumerate(printed):
            for h in p.headings:
                if h["level"] <= 2:
                    page, _, _ = target(d, h["id"], toc_pages)
                    entries.append((h["level"], h["title"], page + 1, f"{printer.base}/{p.page}.html#{h['id']}"))
        toc = printer.document(f"contents-{lang}.html", contents_markup(lang, entries), **pdf_options(scale=1))
        if len(PdfReader(io.BytesIO(toc)).pages) == toc_pages:
            break
        toc_pages = len(PdfReader(io.BytesIO(toc)).pages)
    toc_reader = PdfReader(io.BytesIO(toc))

    writer = PdfWriter()
    owner = []  # per page of the result: (document index or -1 for the contents, running title)
    for d, reader in enumerate(readers):
        for page in reader.pages:
            writer.add_page(page)
            owner.append((d, _short_title(printed[d].headings)))
        if d == 0:
            for page in toc_reader.pages:
                writer.add_page(page)
                owner.append((-1, CONTENTS[lang]))

    def destination(page: int, left: float, top: float) -> ArrayObject:
        return ArrayObject([writer.pages[page].indirect_reference, NameObject("/XYZ"), FloatObject(left),
                            FloatObject(top), NumberObject(0)])

    # links: inside the PDF where the target is in it, else to the website in this language
    base = urlparse(printer.base)
    for number, page in enumerate(writer.pages):
        if "/Annots" not in page:
            continue
        d = owner[number][0]
        kept = ArrayObject()
        for ref in page["/Annots"]:
            annot = ref.get_object()
            x0, y0, x1, y1 = (float(v) for v in annot.get("/Rect", [0, 0, 0, 0]))
            if annot.get("/Subtype") != "/Link":
                kept.append(ref)
                continue
            if abs(x1 - x0) * abs(y1 - y0) < 4:  # an anchor of PREPARE_JS: only there to make a destination
                continue
            if "/Dest" in annot and d >= 0:
                annot[NameObject("/Dest")] = destination(*target(d, str(annot["/Dest"]).lstrip("/"), toc_pages))
            elif "/A" in annot and annot["/A"].get_object().get("/S") == "/URI":
                url = urlparse(str(annot["/A"].get_object()["/URI"]))
                if url.netloc == base.netloc:
                    name = url.path.lstrip("/").removesuffix(".html")
                    if name in index:
                        del annot[NameObject("/A")]
                        annot[NameObject("/Dest")] = destination(*target(index[name], url.fragment, toc_pages))
                    else:
                        fragment = f"#{url.fragment}" if url.fragment else ""
                        annot["/A"].get_object()[NameObject("/URI")] = TextStringObject(
                            f"{site}{url.path.lstrip('/')}?lang={lang}{fragment}")
            kept.append(ref)
        page[NameObject("/Annots")] = kept

    # the outline: one bookmark per page of the book, one per section and subsection
    parents: dict[int, object] = {}
    for d, p in enumerate(printed):
        if d == 1:
            writer.add_outline_item(title=CONTENTS[lang], page_number=len(readers[0].pages))
        for h in p.headings:
            page, left, top = target(d, h["id"], toc_pages)
            parent = next((parents[level] for level in range(h["level"] - 1, 0, -1) if level in parents), None)
            parents[h["level"]] = writer.add_outline_item(title=h["title"], page_number=page, parent=parent,
                                                          fit=Fit.xyz(left, top, 0))
            for deeper in [level for level in parents if level > h["level"]]:
                del parents[deeper]

    # page numbers and running titles, drawn by Chromium on blank pages and laid over
    book = BOOK_TITLE[lang]
    footers = [(book if title in ("", book) or d == 0 else f"{book} · {title}", n + 1)
               for n, (d, title) in enumerate(owner)]
    overlay = PdfReader(io.BytesIO(printer.document(f"footers-{lang}.html", footers_markup(lang, footers),
                                                    **pdf_options(margin_mm={k: 0 for k in MARGIN_MM}, scale=1))))
    for page, over in zip(writer.pages, overlay.pages, strict=True):
        page.merge_page(over)
        page.compress_content_streams(level=9)  # merging leaves the stream uncompressed

    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    writer.add_metadata({"/Title": f"{book} · {'中文版' if lang == 'zh' else 'English edition'}",
                         "/Author": str(config.get("author", "")), "/Creator": "tools/pdf.py: Chromium and pypdf"})
    writer._root_object[NameObject("/Lang")] = TextStringObject("zh-CN" if lang == "zh" else "en")
    writer.page_mode = "/UseOutlines"
    writer._root_object[NameObject("/ViewerPreferences")] = DictionaryObject(
        {NameObject("/DisplayDocTitle"): NameObject("/true")})
    writer.compress_identical_objects()
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# --------------------------------------------------------------------------- main

def build(html_dir: Path = HTML, out_dir: Path | None = None, langs: list[str] | tuple[str, ...] = LANGS,
          site: str | None = None, log=print) -> dict[str, Path]:
    """Print the book into out_dir (default: html_dir/pdf); returns {lang: path}."""
    out_dir = out_dir or html_dir / "pdf"
    site = site or site_url()
    if not site.endswith("/"):
        site += "/"
    pages = [page for page in book_pages() if (html_dir / f"{page}.html").exists()]
    if not pages or pages[0] != book_pages()[0]:
        sys.exit(f"pdf: {html_dir} has no built book: run `make book` first")
    start = time.perf_counter()
    font = truetype_subset(font_file(), book_characters(html_dir, pages))
    log(f"CJK font: {len(font) / 1e6:.2f} MB TrueType subset of {font_file().name} ({time.perf_counter() - start:.1f} s)")
    printed: dict[str, list[Printed]] = {lang: [] for lang in langs}
    written = {}
    with Printer(html_dir, font) as printer:
        for name in pages:
            started = time.perf_counter()
            for lang, result in printer.book_page(name, list(langs)).items():
                printed[lang].append(result)
            log(f"  printed {name} ({time.perf_counter() - started:.1f} s)")
        out_dir.mkdir(parents=True, exist_ok=True)
        for lang in langs:
            data = assemble(lang, printed[lang], printer, site)
            path = out_dir / FILENAME.format(lang=lang)
            path.write_bytes(data)
            written[lang] = path
            log(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}: {len(data) / 1e6:.1f} MB")
    log(f"PDFs built in {time.perf_counter() - start:.0f} s")
    return written


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--html", type=Path, default=HTML, help="the built site (default: _build/html)")
    parser.add_argument("--out", type=Path, default=None, help="where the PDFs go (default: HTML/pdf)")
    parser.add_argument("--lang", nargs="+", choices=LANGS, default=list(LANGS))
    parser.add_argument("--site-url", default=os.environ.get("SITE_URL") or None,
                        help="the published website, for links to pages not in the PDF "
                             "(default: GitHub Pages of repository.url in _config.yml)")
    args = parser.parse_args(argv)
    build(args.html.resolve(), args.out.resolve() if args.out else None, args.lang, args.site_url)


if __name__ == "__main__":
    main()
