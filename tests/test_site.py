"""The website: a warning-free build, then a real browser on the built pages.

The build runs once for this module (pytest-xdist's loadfile keeps the module on one worker).
The browser is Debian's /usr/bin/chromium driven by Playwright; we never download a browser.
Screenshots land in tests/_artifacts/ for a person to look at.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
HTML = ROOT / "_build" / "html"
ARTIFACTS = ROOT / "tests" / "_artifacts"
CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))  # Debian's; never a downloaded one
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
CHAPTER = "chapters/01_rnn"


def toc_pages() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    pages = [toc["root"]]
    for part in toc["parts"]:
        pages += [entry["file"] for entry in part["chapters"]]
    return pages


def repository_url() -> str:
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    return config["repository"]["url"].rstrip("/")


@pytest.fixture(scope="module")
def build():
    """`jupyter-book build --all -n -W --keep-going`: every warning fails, all are listed."""
    command = [str(Path(sys.executable).parent / "jupyter-book"), "build", "--all", "-n", "-W", "--keep-going", str(ROOT)]
    start = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    print(f"site build: {seconds:.1f} s")
    return result, seconds


def test_build_has_no_warnings(build):
    result, _ = build
    log = result.stdout + result.stderr
    warnings = [line for line in log.splitlines() if re.search(r"WARNING|ERROR", line)]
    assert result.returncode == 0 and not warnings, "\n".join(warnings[:30]) or log[-3000:]


def test_build_is_fast(build):
    _, seconds = build
    assert seconds <= 90, f"the site should build from stored outputs in ≤ 90 s, took {seconds:.0f} s"


@pytest.mark.parametrize("page", toc_pages())
def test_every_page_is_built(build, page):
    assert (HTML / f"{page}.html").exists(), f"{page}.html was not built"


def test_language_script_runs_before_first_paint(build):
    """lang.js must be a plain (blocking) script in <head>, so data-lang is set before paint."""
    head = (HTML / f"{CHAPTER}.html").read_text(encoding="utf-8").split("</head>")[0]
    tag = re.search(r"<script[^>]*lang\.js[^>]*>", head)
    assert tag, "lang.js is not in <head>"
    assert "defer" not in tag.group(0) and "async" not in tag.group(0)


# --------------------------------------------------------------------------- browser

@pytest.fixture(scope="module")
def server(build):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1",
                                "--directory", str(HTML)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed (.ci/run installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


class Page:
    """A browser page that records our own console errors and failed requests."""

    def __init__(self, browser, base, width=1280, height=900):
        self.base = base
        self.context = browser.new_context(viewport={"width": width, "height": height}, locale="en-US")
        self.page = self.context.new_page()
        self.page.set_default_timeout(120_000)  # generous: CI may share its two cores with nbval
        self.errors: list[str] = []
        self.external: list[str] = []  # requests to any other server: the site must load nothing from one
        self.page.on("request", self._request)
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.errors.append(f"page error: {error}"))
        self.page.on("requestfailed", self._request_failed)
        self.page.on("response", self._response)

    def _ours(self, url: str) -> bool:
        return urlparse(url).netloc == urlparse(self.base).netloc

    def _request(self, request):
        if urlparse(request.url).scheme in ("http", "https", "ws", "wss") and not self._ours(request.url):
            self.external.append(request.url)

    def _console(self, message):
        if message.type == "error" and self._ours(message.location.get("url", "")):
            # a blocked external resource (MathJax's CDN, offline) is reported at our page's URL too
            if "Failed to load resource" in message.text or "ERR_" in message.text:
                return
            self.errors.append(f"console: {message.text}")

    def _request_failed(self, request):
        if self._ours(request.url):
            self.errors.append(f"failed request: {request.url}")

    def _response(self, response):
        # Chromium asks every site for /favicon.ico by itself; the book has none
        if self._ours(response.url) and response.status >= 400 and not response.url.endswith("/favicon.ico"):
            self.errors.append(f"HTTP {response.status}: {response.url}")

    def open(self, path: str):
        self.page.goto(f"{self.base}/{path}", wait_until="load")
        return self.page

    def visible(self, selector: str) -> list[bool]:
        return self.page.eval_on_selector_all(selector, "els => els.map(e => e.offsetParent !== null)")

    def displayed(self, selector: str) -> list[bool]:
        """Not hidden by CSS on the element itself (the theme folds nested TOC levels)."""
        return self.page.eval_on_selector_all(selector, "els => els.map(e => getComputedStyle(e).display !== 'none')")

    def broken_images(self) -> list[str]:
        return self.page.eval_on_selector_all(
            "img", "imgs => imgs.filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src)")

    def close(self):
        self.context.close()


@pytest.fixture
def page(browser, server):
    opened = Page(browser, server)
    yield opened
    opened.close()


def shoot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=False)


def test_switcher_hides_and_shows_each_language(page):
    page.open(f"{CHAPTER}.html?lang=en")
    assert page.page.locator(".lang-switcher button").count() == 3
    assert all(page.visible("p.tag_lang-en")) and not any(page.visible("p.tag_lang-zh"))
    shoot(page, "chapter-en")

    page.page.click(".lang-switcher button[data-mode='zh']")
    assert page.page.get_attribute("html", "data-lang") == "zh"
    assert all(page.visible("p.tag_lang-zh")) and not any(page.visible("p.tag_lang-en"))
    assert "lang=" not in page.page.url, "a stale ?lang= would override the reader's new choice"
    shoot(page, "chapter-zh")

    page.page.click(".lang-switcher button[data-mode='both']")
    assert all(page.visible("p.tag_lang-zh")) and all(page.visible("p.tag_lang-en"))
    shoot(page, "chapter-both")
    assert not page.errors, page.errors


def test_markdown_pages_switch_too(page):
    """.md pages use ```{container} lang-xx``` blocks (docutils would mangle tag_lang-xx)."""
    page.open("index.html?lang=en")
    assert all(page.visible("div.lang-en")) and not any(page.visible("div.lang-zh"))
    page.page.click(".lang-switcher button[data-mode='zh']")
    assert all(page.visible("div.lang-zh")) and not any(page.visible("div.lang-en"))


def test_choice_persists_across_pages(page):
    page.open(f"{CHAPTER}.html?lang=zh")
    page.open("index.html")
    assert page.page.get_attribute("html", "data-lang") == "zh"
    assert page.page.get_attribute(".lang-switcher button[data-mode='zh']", "aria-pressed") == "true"
    page.page.click(".lang-switcher button[data-mode='en']")
    page.open(f"{CHAPTER}.html")
    assert page.page.get_attribute("html", "data-lang") == "en"
    assert not any(page.visible("p.tag_lang-zh"))


def test_theme_labels_are_bilingual(page):
    page.open(f"{CHAPTER}.html?lang=zh")
    assert "目录 · Contents" in page.page.inner_text(".page-toc.tocsection")
    folded = page.page.locator("details.hide summary .collapsed").first
    assert folded.inner_text().strip() == "显示代码 · Show code cell source"
    assert page.page.locator(".search-button__default-text").first.inner_text().strip() == "搜索 · Search"
    placeholders = page.page.eval_on_selector_all("input[placeholder]", "fields => fields.map(f => f.placeholder)")
    assert "搜索本书… · Search this book..." in placeholders and "Search this book..." not in placeholders


def test_hidden_headings_leave_on_this_page(page):
    page.open(f"{CHAPTER}.html?lang=en")
    toc = "#pst-page-toc-nav .toc-entry > a.nav-link"
    zh_entries = page.page.locator(f"{toc}.tag_lang-zh")
    en_entries = page.page.locator(f"{toc}.tag_lang-en")
    assert zh_entries.count() > 0 and en_entries.count() == zh_entries.count()
    assert not any(page.displayed(f"{toc}.tag_lang-zh")) and all(page.displayed(f"{toc}.tag_lang-en"))
    page.page.click(".lang-switcher button[data-mode='zh']")
    assert not any(page.displayed(f"{toc}.tag_lang-en")) and all(page.displayed(f"{toc}.tag_lang-zh"))


def test_subsections_stay_in_on_this_page_while_scrolling(page):
    """Scrolled to 6.6.3, the English contents still list 6.6.1 and 6.6.2 (they vanished when a
    section and its first subsection shared a cell: test_structure checks the cells)."""
    page.open("chapters/06_transformer.html?lang=en")
    page.page.evaluate("document.getElementById('tf-fra-en').scrollIntoView()")
    page.page.wait_for_timeout(500)  # the theme's scroll spy marks the visible section
    toc = "#pst-page-toc-nav .toc-entry > a.nav-link.tag_lang-en"
    shown = [link.inner_text().strip() for link in page.page.locator(toc).all() if link.is_visible()]
    expected = ["6.6.1 The warm-up schedule", "6.6.2 Dates", "6.6.3 English → French"]
    assert all(title in shown for title in expected), f"on this page shows {shown}"


def test_colab_link_points_at_the_notebook(page):
    page.open(f"{CHAPTER}.html")
    links = page.page.eval_on_selector_all("a[href*='colab.research.google.com']", "as => as.map(a => a.href)")
    owner_repo = urlparse(repository_url()).path.strip("/")
    expected = f"https://colab.research.google.com/github/{owner_repo}/blob/main/{CHAPTER}.ipynb"
    assert expected in links, f"expected {expected}, found {links}"


@pytest.mark.parametrize("path", toc_pages())
def test_every_page_loads_cleanly_and_switches_language(page, path):
    page.open(f"{path}.html?lang=en")
    page.page.wait_for_load_state("networkidle")
    assert not page.broken_images(), page.broken_images()
    english, chinese = ".tag_lang-en, .lang-en", ".tag_lang-zh, .lang-zh"
    if page.page.locator(chinese).count():  # a page with prose in both languages
        assert not any(page.displayed(chinese)) and all(page.displayed(english))
        page.page.click(".lang-switcher button[data-mode='zh']")
        assert not any(page.displayed(english)) and all(page.displayed(chinese))
    else:
        assert path == "bibliography", f"{path} has no Chinese prose"
    assert not page.errors, page.errors
    assert not page.external, f"{path} loads from other servers: {page.external}"


EXTERNAL_REFERENCE = re.compile(
    r"""<(?:script|link|img|iframe|source|video|audio)\b[^>]*\b(?:src|href)=["'](?:https?:)?//[^"']+["']"""
    r"""|@import\s+(?:url\()?["']?(?:https?:)?//|url\(\s*["']?(?:https?:)?//""", re.I)


def test_built_pages_reference_no_external_script_style_or_font(build):
    """Readers without access to a CDN (or offline) get the whole site: every script, stylesheet,
    font and image is served with it. Links (<a href>) to other sites are fine; what a page loads is
    not. The browser test above also records every request a page makes."""
    found = []
    for path in sorted(HTML.rglob("*")):
        if path.suffix in (".html", ".css"):
            text = path.read_text(encoding="utf-8", errors="replace")
            tags = [match.group(0) for match in EXTERNAL_REFERENCE.finditer(text)]
            tags = [tag for tag in tags if not re.search(r"""<link\b[^>]*\brel=["'](?:canonical|alternate)""", tag)]
            found += [f"{path.relative_to(HTML)}: {tag[:120]}" for tag in tags]
    assert not found, "\n".join(found[:20])


SEARCHES = {  # a query in each language → the page it must find
    "循环神经网络": "chapters/01_rnn.html",
    "recurrent": "chapters/01_rnn.html",
    "困惑度": "chapters/01_rnn.html",
    "注意力": "chapters/05_attention.html",
    "attention": "chapters/05_attention.html",
}


@pytest.mark.parametrize("query", SEARCHES)
def test_search_finds_chapters_in_both_languages(page, query):
    expected = SEARCHES[query]
    if not (HTML / expected).exists():
        pytest.skip(f"{expected} is not written yet")
    page.open("index.html")
    box = page.page.locator("form.bd-search input[name='q']").first
    if not box.is_visible():  # the theme hides the box behind a button on narrow screens
        page.page.keyboard.press("Control+k")
    box.fill(query)
    box.press("Enter")
    page.page.wait_for_selector("#search-results p.search-summary", timeout=20000)
    found = page.page.eval_on_selector_all("#search-results li a", "as => as.map(a => a.getAttribute('href'))")
    assert any(link.split("#")[0].endswith(expected) for link in found[:5]), f"{query!r} → {found[:5]}"


CONTRAST_JS = """
(selector) => {
  const rgb = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
  const luminance = ([r, g, b]) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const background = (el) => {
    for (; el; el = el.parentElement) {
      const c = rgb(getComputedStyle(el).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] > 0.5)) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  return Array.from(document.querySelectorAll(selector)).slice(0, 20).map((el) => {
    const a = luminance(rgb(getComputedStyle(el).color)), b = luminance(background(el));
    return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
  });
}
"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_switcher_and_code_are_readable(browser, server, scheme):
    """WCAG contrast ≥ 4.5 for the switcher's buttons and for code, in light and dark mode."""
    opened = Page(browser, server)
    try:
        opened.context.add_init_script(f"localStorage.setItem('mode', '{scheme}')")
        opened.open(f"{CHAPTER}.html?lang=en")
        assert opened.page.get_attribute("html", "data-theme") == scheme
        for selector in (".lang-switcher button", "div.cell_input pre", "div.cell_output pre"):
            ratios = opened.page.evaluate(CONTRAST_JS, selector)
            assert ratios and min(ratios) >= 4.5, f"{scheme}: {selector} contrast {min(ratios):.1f}"
        opened.page.evaluate("window.scrollTo(0, 1500)")
        shoot(opened, f"chapter-{scheme}")
    finally:
        opened.close()


def test_switcher_is_reachable_on_a_phone(browser, server):
    phone = Page(browser, server, width=390, height=844)
    try:
        phone.open(f"{CHAPTER}.html?lang=zh")
        box = phone.page.locator(".lang-switcher").bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390, f"switcher off screen: {box}"
        phone.page.click(".lang-switcher button[data-mode='en']")
        assert phone.page.get_attribute("html", "data-lang") == "en"
        shoot(phone, "chapter-phone")
    finally:
        phone.close()
