"""Chapter 4's BLEU (its #@save code) equals sacrebleu's corpus BLEU.

We take the `bleu` function from the chapter's `#@save` cells (tools/nb.py `saved_code`), run it on
a few hundred random corpora (seeded) and compare it with `sacrebleu.corpus_bleu` on the same tokens
joined by spaces, with `tokenize="none"` (split on spaces only, so both see the same tokens) and
`smooth_method="none"`, which is the definition of Papineni et al. that the chapter implements: a
corpus with no matching n-gram of some order scores 0. sacrebleu's default smoothing ("exp") differs
only in that case, which the last test checks explicitly.
"""

from __future__ import annotations

import collections
import math
import random
import re

import pytest
from nb import saved_code

sacrebleu = pytest.importorskip("sacrebleu")
WORDS = "the a cat dog sat ran on mat red big is was here there".split()


@pytest.fixture(scope="module")
def bleu():
    """The chapter's `bleu`, from the #@save cell that defines it (it needs only math and collections)."""
    cells = re.split(r"(?m)^(?=#@save$)", saved_code("04_seq2seq"))
    (cell,) = [cell for cell in cells if "\ndef bleu(" in cell]
    namespace = {"collections": collections, "math": math}
    exec(compile(cell, "04_seq2seq #@save bleu", "exec"), namespace)
    return namespace["bleu"]


def sacre(candidates, references, smooth_method="none"):
    hypotheses = [" ".join(c) for c in candidates]
    return sacrebleu.corpus_bleu(hypotheses, [[" ".join(r) for r in references]], tokenize="none",
                                 smooth_method=smooth_method, force=True).score / 100


def noisy_copy(reference, rng):
    """A candidate that overlaps its reference: substitutions, deletions, insertions, a cut or an extension."""
    candidate = []
    for word in reference:
        roll = rng.random()
        if roll < 0.15:
            continue                                              # deletion
        candidate.append(rng.choice(WORDS) if roll < 0.3 else word)  # substitution or copy
        if rng.random() < 0.1:
            candidate.append(rng.choice(WORDS))                   # insertion
    if rng.random() < 0.3:
        candidate = candidate[:rng.randint(0, len(candidate))]   # cut short: the brevity penalty bites
    if rng.random() < 0.2:
        candidate += [rng.choice(WORDS) for _ in range(rng.randint(1, 4))]
    return candidate


def random_corpus(rng):
    references = [[rng.choice(WORDS) for _ in range(rng.randint(1, 12))] for _ in range(rng.randint(1, 8))]
    if rng.random() < 0.15:                                       # unrelated candidates: usually no 4-gram match
        candidates = [[rng.choice(WORDS) for _ in range(rng.randint(0, 10))] for _ in references]
    else:
        candidates = [noisy_copy(r, rng) for r in references]
    return candidates, references


CORPORA = [random_corpus(random.Random(seed)) for seed in range(400)]


def test_equals_sacrebleu_on_random_corpora(bleu):
    kinds = collections.Counter()
    for candidates, references in CORPORA:
        ours, theirs = bleu(candidates, references), sacre(candidates, references)
        assert ours == pytest.approx(theirs, abs=1e-9), (candidates, references)
        c, r = sum(map(len, candidates)), sum(map(len, references))
        kinds["zero"] += ours == 0
        kinds["shorter, positive"] += c < r and ours > 0
        kinds["longer or equal, positive"] += c >= r and ours > 0
    # the corpora cover the edge cases: zero scores, the brevity penalty, and plain positive scores
    assert min(kinds.values()) >= 40, kinds


@pytest.mark.parametrize(
    "candidates,references",
    [
        ([["the", "cat"]], [["the", "cat", "sat", "on", "the", "mat"]]),  # shorter than the reference, no 3-gram
        ([["the", "cat", "sat", "on"]], [["the", "cat", "sat", "on", "the", "mat"]]),  # shorter, every order matches
        ([["a", "b", "c", "d"], ["e", "f", "g", "h"]], [["a", "b", "x", "d"], ["e", "y", "g", "h"]]),  # no matching 4-gram
        ([[]], [["the", "cat"]]),                                        # an empty candidate
        ([["the"] * 7], [["the", "cat", "sat", "on", "the", "mat", "today"]]),  # repeated words: clipping
        ([["the", "cat", "sat", "on", "the", "mat", "again", "and", "again"]], [["the", "cat", "sat", "on", "the", "mat"]]),
    ],
)
def test_edge_cases(bleu, candidates, references):
    assert bleu(candidates, references) == pytest.approx(sacre(candidates, references), abs=1e-9)


def test_exp_smoothing_differs_only_when_an_order_has_no_match(bleu):
    """sacrebleu's default smoothing changes nothing unless some n-gram order has no match; then ours is 0.

    (sacrebleu still returns 0 when nothing matches at all, or when no candidate has four tokens.)"""
    for candidates, references in CORPORA:
        ours, smoothed = bleu(candidates, references), sacre(candidates, references, smooth_method="exp")
        if ours > 0:
            assert smoothed == pytest.approx(ours, abs=1e-9)
        elif any(set(c) & set(r) for c, r in zip(candidates, references, strict=True)) and max(map(len, candidates)) >= 4:
            assert smoothed > 0  # some word matches and every order has n-grams: zero counts are smoothed, not fatal
