"""Plausible wrong answers to the Chapter 7 exercises (each checker must reject every one of them), and
right answers written differently from the reference solutions (each must pass)."""

import math
import re

import numpy as np
import torch
import torch.nn.functional as F

# ---------------------------------------------------------------- check_segment_ids


def segments_switch_at_sep(ids, sep_id, pad_id):
    """Off by one at [SEP]: the first [SEP] already gets segment 1."""
    return ((ids == sep_id).long().cumsum(dim=1) >= 1).long() * (ids != pad_id).long()


def segments_last_sep_in_a(ids, sep_id, pad_id):
    """Off by one the other way: B's closing [SEP] is put in segment 0."""
    before = (ids == sep_id).long().cumsum(dim=1) - (ids == sep_id).long()
    return ((before == 1) & (ids != sep_id)).long()


def segments_padding_in_b(ids, sep_id, pad_id):
    """Right at [SEP], but the padding after B gets segment 1."""
    before = (ids == sep_id).long().cumsum(dim=1) - (ids == sep_id).long()
    return (before >= 1).long()


def segments_count_seps(ids, sep_id, pad_id):
    """Uses the number of earlier [SEP]s as the segment id (the padding after B gets 2)."""
    return (ids == sep_id).long().cumsum(dim=1) - (ids == sep_id).long()


def segments_chapter_ids(ids, sep_id, pad_id):
    """Ignores the arguments: the chapter's [SEP] 3 and [PAD] 0 are hard-coded."""
    is_sep = (ids == 3).long()
    return ((is_sep.cumsum(dim=1) - is_sep >= 1) & (ids != 0)).long()


def segments_parity(ids, sep_id, pad_id):
    """Counts [SEP]s modulo 2: the padding comes out 0, but B's closing [SEP] too."""
    return ((ids == sep_id).long().cumsum(dim=1) % 2) * (ids != pad_id).long()


def segments_first_row_boundary(ids, sep_id, pad_id):
    """Takes the position of the first [SEP] from row 0 for every row."""
    boundary = (ids[0] == sep_id).nonzero()[0, 0]
    return ((torch.arange(ids.shape[1]) > boundary) & (ids != pad_id)).long()


def segments_pad_is_zero(ids, sep_id, pad_id):
    """Uses the sep_id argument but assumes [PAD] is id 0."""
    is_sep = (ids == sep_id).long()
    return ((is_sep.cumsum(dim=1) - is_sep >= 1) & (ids != 0)).long()


def segments_loop(ids, sep_id, pad_id):
    """Right: a loop over rows and positions, counting the [SEP]s seen so far."""
    out = torch.zeros_like(ids)
    for r in range(ids.shape[0]):
        seen = 0
        for t in range(ids.shape[1]):
            token = ids[r, t].item()
            if token == pad_id:
                continue
            out[r, t] = 1 if seen >= 1 else 0
            seen += token == sep_id
    return out


def segments_numpy_first_sep(ids, sep_id, pad_id):
    """Right: NumPy, from the position of each row's first [SEP]."""
    a = ids.numpy()
    first = np.argmax(a == sep_id, axis=1)
    return torch.from_numpy(((np.arange(a.shape[1]) > first[:, None]) & (a != pad_id)).astype(np.int32))


# ---------------------------------------------------------------- check_attention_bias


def bias_inverted(mask):
    """Inverted polarity: 0 for [PAD] and a large negative number for the real tokens."""
    return mask.float()[:, None, None, :] * -1e9


def bias_too_small(mask):
    """Subtracts 1 instead of a large number: padding still gets attention."""
    return (1.0 - mask.float())[:, None, None, :] * -1.0


def bias_ten(mask):
    """Subtracts 10: enough for unit-scale scores, not for saturated ones."""
    return (1.0 - mask.float())[:, None, None, :] * -10.0


def bias_on_queries(mask):
    """Right values, but broadcast over the queries axis instead of the keys."""
    return ((1.0 - mask.float()) * -1e9)[:, None, :, None]


def bias_multiplicative(mask):
    """Returns the 0/1 mask itself, meant to be multiplied, not added."""
    return mask.float()[:, None, None, :]


def bias_minus_inf(mask):
    """-inf at [PAD]: a row without real tokens turns into NaN."""
    return torch.zeros(mask.shape).masked_fill(~mask.bool(), float("-inf"))[:, None, None, :]


def bias_half(mask):
    """-1e9 in float16, which overflows to -inf."""
    return ((~mask.bool()).half() * -1e9)[:, None, None, :]


def bias_integer(mask):
    """An integer tensor: (mask - 1) · 10⁹ in int64."""
    return ((mask.long() - 1) * 10**9)[:, None, None, :]


def bias_where_needs_bool(mask):
    """torch.where(mask, …) works for a bool mask only; an integer mask raises."""
    return torch.where(mask, 0.0, -1e9)[:, None, None, :]


def bias_from_lengths(mask):
    """Builds the bias from the row lengths, as if the padding were always on the right."""
    blocked = torch.arange(mask.shape[1]) >= mask.long().sum(1, keepdim=True)
    return (blocked.float() * -1e9)[:, None, None, :]


def bias_finfo_min(mask):
    """Right: transformers' choice, the smallest float32, with masked_fill."""
    return torch.zeros(mask.shape).masked_fill(mask == 0, torch.finfo(torch.float32).min).view(mask.shape[0], 1, 1, -1)


def bias_float64(mask):
    """Right: float64, built with NumPy."""
    m = mask.numpy().astype(bool)
    return torch.from_numpy(np.where(m, 0.0, -1e12))[:, None, None, :]


# ---------------------------------------------------------------- check_position_ids


def positions_ignore_padding(ids, pad_id):
    """Numbers every position 0, 1, 2, … as if there were no padding."""
    return torch.arange(ids.shape[1]).expand(ids.shape[0], -1).clone()


def positions_from_one(ids, pad_id):
    """Counts the real tokens but starts at 1."""
    real = (ids != pad_id).long()
    return real.cumsum(dim=1) * real


def positions_pads_keep_count(ids, pad_id):
    """Right for the real tokens, but [PAD] positions keep the running count instead of 0."""
    return ((ids != pad_id).long().cumsum(dim=1) - 1).clamp(min=0)


def positions_roberta_offset(ids, pad_id):
    """RoBERTa's convention: real tokens numbered from pad_id + 1, pads get pad_id."""
    real = (ids != pad_id).long()
    return real.cumsum(dim=1) * real + pad_id


def positions_left_shift(ids, pad_id):
    """Subtracts the number of leading pads: right for left or right padding, wrong for pads inside a row."""
    real = ids != pad_id
    leading = (real.long().cumsum(dim=1) == 0).sum(dim=1, keepdim=True)
    return (torch.arange(ids.shape[1]) - leading).clamp(min=0) * real


def positions_pad_is_zero(ids, pad_id):
    """Ignores pad_id and treats id 0 as [PAD]."""
    real = (ids != 0).long()
    return (real.cumsum(dim=1) - 1) * real


def positions_absolute(ids, pad_id):
    """The absolute index at real tokens, 0 at [PAD]: left padding shifts the sentence."""
    return torch.arange(ids.shape[1]) * (ids != pad_id)


def positions_pad_smallest(ids, pad_id):
    """Treats every id above pad_id as real (assumes [PAD] is the smallest id)."""
    real = (ids > pad_id).long()
    return (real.cumsum(dim=1) - 1) * real


def positions_loop(ids, pad_id):
    """Right: Python loops with a counter per row."""
    rows = []
    for row in ids.tolist():
        count, out = 0, []
        for token in row:
            out.append(count if token != pad_id else 0)
            count += token != pad_id
        rows.append(out)
    return torch.tensor(rows, dtype=torch.int32).reshape(ids.shape)


def positions_numpy(ids, pad_id):
    """Right: NumPy cumsum with np.where."""
    real = ids.numpy() != pad_id
    return torch.from_numpy(np.where(real, np.cumsum(real, axis=1) - 1, 0))


# ---------------------------------------------------------------- check_join_pieces


def _join(tokens, specials, strip, new_word=lambda t: not t.startswith("##"), special=None):
    special = special or (lambda t: t in specials)
    words, word_ids = [], []
    for token in tokens:
        if special(token):
            word_ids.append(None)
        elif new_word(token) or not words:
            words.append(strip(token))
            word_ids.append(len(words) - 1)
        else:
            words[-1] += strip(token)
            word_ids.append(len(words) - 1)
    return words, word_ids


def join_lstrip(tokens, specials):
    """Strips every leading # (lstrip): the piece ### of 'c#' loses its '#'."""
    return _join(tokens, specials, lambda t: t.lstrip("#") if t.startswith("##") else t)


def join_replace_all(tokens, specials):
    """Removes every '##' in the token, not only the prefix."""
    return _join(tokens, specials, lambda t: t.replace("##", ""))


def join_contains(tokens, specials):
    """Treats a token that contains '##' anywhere as a continuation."""
    return _join(tokens, specials, lambda t: t[2:] if t.startswith("##") else t, new_word=lambda t: "##" not in t)


def join_minus_one(tokens, specials):
    """Gives special tokens the word id -1 instead of None."""
    words, ids = _join(tokens, specials, lambda t: t[2:] if t.startswith("##") else t)
    return words, [-1 if i is None else i for i in ids]


def join_brackets_special(tokens, specials):
    """Treats every bracketed token as special, so [UNK] is dropped instead of being a word."""
    return _join(tokens, specials, lambda t: t[2:] if t.startswith("##") else t,
                 special=lambda t: t in specials or (t.startswith("[") and t.endswith("]")))


def join_ids_per_piece(tokens, specials):
    """Right words, but every piece gets its own word id."""
    words, _ = _join(tokens, specials, lambda t: t[2:] if t.startswith("##") else t)
    ids, count = [], 0
    for token in tokens:
        ids.append(None if token in specials else count)
        count += token not in specials
    return words, ids


def join_ids_from_one(tokens, specials):
    """Numbers the words from 1."""
    words, ids = _join(tokens, specials, lambda t: t[2:] if t.startswith("##") else t)
    return words, [None if i is None else i + 1 for i in ids]


def join_specials_are_words(tokens, specials):
    """Keeps the special tokens as words."""
    return _join(tokens, set(), lambda t: t[2:] if t.startswith("##") else t)


def join_specials_only_at_ends(tokens, specials):
    """Drops special tokens only at the start and the end: a [SEP] between the sentences becomes a word."""
    start, end = 0, len(tokens)
    while start < end and tokens[start] in specials:
        start += 1
    while end > start and tokens[end - 1] in specials:
        end -= 1
    words, ids = _join(tokens[start:end], set(), lambda t: t[2:] if t.startswith("##") else t)
    return words, [None] * start + ids + [None] * (len(tokens) - end)


def join_removeprefix(tokens, specials):
    """Right: str.removeprefix, and the word ids from a running count."""
    words, word_ids = [], []
    for token in tokens:
        if token in specials:
            word_ids.append(None)
            continue
        if token.startswith("##"):
            words[-1] = words[-1] + token.removeprefix("##")
        else:
            words.append(token)
        word_ids.append(len(words) - 1)
    return words, word_ids


def join_regex(tokens, specials):
    """Right: a regular expression on the joined text (no token holds a space)."""
    kept = [t for t in tokens if t not in specials]
    text = re.sub(r" ##", "", " ".join(kept))
    words = text.split(" ") if kept else []
    word_ids, index = [], -1
    for token in tokens:
        if token in specials:
            word_ids.append(None)
        else:
            index += not token.startswith("##")
            word_ids.append(np.int64(index))
    return tuple(words), tuple(word_ids)


# ---------------------------------------------------------------- check_bert_masking


def _bert_reference(ids, generator, vocab_size, special, p, max_predictions, *, count=None, candidate=None,
                    order=None, decide=None, random_ids=None, labels_fill=-100):
    """The solution, with hooks that each wrong answer below changes."""
    real = ids != special["pad"]
    if candidate is None:
        candidate = real & (ids != special["cls"]) & (ids != special["sep"])
    if count is None:
        count = torch.tensor([min(max_predictions, c, max(1, round(p * n)))
                              for n, c in zip(real.sum(1).tolist(), candidate.sum(1).tolist(), strict=True)])
    scores = torch.rand(ids.shape, generator=generator) if order is None else order(ids)
    scores = scores.masked_fill(~candidate, 2.0)
    chosen = scores.argsort(dim=1, stable=True).argsort(dim=1) < count[:, None]
    action = torch.rand(ids.shape, generator=generator) if decide is None else decide(scores)
    if random_ids is None:
        random_ids = torch.randint(vocab_size, ids.shape, generator=generator)
    inputs = torch.where(chosen & (action < 0.8), special["mask"], ids)
    inputs = torch.where(chosen & (action >= 0.9), random_ids, inputs)
    return inputs, torch.where(chosen, ids, labels_fill)


def _counts(ids, special, p, max_predictions, n_of, rounding=round, at_least_one=True, cap=True):
    real = ids != special["pad"]
    candidate = real & (ids != special["cls"]) & (ids != special["sep"])
    out = []
    for n, c in zip(n_of(ids, real, candidate).tolist(), candidate.sum(1).tolist(), strict=True):
        k = int(rounding(p * n))
        k = max(1, k) if at_least_one else k
        out.append(min(max_predictions if cap else 10**9, c, k))
    return torch.tensor(out)


def bert_mask_bernoulli(ids, generator, vocab_size, special, p, max_predictions):
    """The chapter's rule: each candidate chosen independently with probability p, not exactly round(p·n)."""
    candidate = (ids != special["pad"]) & (ids != special["cls"]) & (ids != special["sep"])
    chosen = (torch.rand(ids.shape, generator=generator) < p) & candidate
    action = torch.rand(ids.shape, generator=generator)
    inputs = torch.where(chosen & (action < 0.8), special["mask"], ids)
    inputs = torch.where(chosen & (action >= 0.9), torch.randint(vocab_size, ids.shape, generator=generator), inputs)
    return inputs, torch.where(chosen, ids, -100)


def bert_mask_n_is_candidates(ids, generator, vocab_size, special, p, max_predictions):
    """n counts only the candidates, without [CLS] and [SEP]."""
    count = _counts(ids, special, p, max_predictions, lambda ids, real, cand: cand.sum(1))
    return _bert_reference(ids, generator, vocab_size, special, p, max_predictions, count=count)


def bert_mask_n_with_padding(ids, generator, vocab_size, special, p, max_predictions):
    """n is the padded length of the row."""
    count = _counts(ids, special, p, max_predictions, lambda ids, real, cand: torch.full((len(ids),), ids.shape[1]))
    return _bert_reference(ids, generator, vocab_size, special, p, max_predictions, count=count)


def bert_mask_no_minimum(ids, generator, vocab_size, special, p, max_predictions):
    """Forgets max(1, …): a short row can get no prediction at all."""
    count = _counts(ids, special, p, max_predictions, lambda ids, real, cand: real.sum(1), at_least_one=False)
    return _bert_reference(ids, generator, vocab_size, special, p, max_predictions, count=count)


def bert_mask_no_cap(ids, generator, vocab_size, special, p, max_predictions):
    """Ignores max_predictions."""
    count = _counts(ids, special, p, max_predictions, lambda ids, real, cand: real.sum(1), cap=False)
    return _bert_reference(ids, generator, vocab_size, special, p, max_predictions, count=count)


def bert_mask_floor(ids, generator, vocab_size, special, p, max_predictions):
    """int(p·n), which rounds down, instead of round(p·n)."""
    count = _counts(ids, special, p, max_predictions, lambda ids, real, cand: real.sum(1), rounding=math.floor)
    return _bert_reference(ids, generator, vocab_size, special, p, max_predictions, count=count)


def bert_mask_ceil(ids, generator, vocab_size, special, p, max_predictions):
    """math.ceil(p·n) instead of round(p·n)."""
    count = _counts(ids, special, p, max_predictions, lambda ids, real, cand: real.sum(1), rounding=math.ceil)
    return _bert_reference(ids, generator, vocab_size, special, p, max_predictions, count=count)


def bert_mask_first_candidates(ids, generator, vocab_size, special, p, max_predictions):
    """Takes the first candidates of each row instead of a random choice."""
    return _bert_reference(ids, generator, vocab_size, special, p, max_predictions,
                           order=lambda ids: torch.arange(ids.shape[1], dtype=torch.float).expand(ids.shape) / ids.shape[1])


def bert_mask_same_positions(ids, generator, vocab_size, special, p, max_predictions):
    """One random order shared by every row of the batch."""
    return _bert_reference(ids, generator, vocab_size, special, p, max_predictions,
                           order=lambda ids: torch.rand(1, ids.shape[1], generator=generator).expand(ids.shape).clone())


def bert_mask_ordinary_random(ids, generator, vocab_size, special, p, max_predictions):
    """Draws random replacements from the ordinary tokens only (the chapter's variant), not the whole vocabulary."""
    allowed = torch.tensor([i for i in range(vocab_size) if i not in special.values()])
    random_ids = allowed[torch.randint(len(allowed), ids.shape, generator=generator)]
    return _bert_reference(ids, generator, vocab_size, special, p, max_predictions, random_ids=random_ids)


def bert_mask_random_skips_last(ids, generator, vocab_size, special, p, max_predictions):
    """randint(0, vocab_size - 1): the last id of the vocabulary is never drawn."""
    random_ids = torch.randint(vocab_size - 1, ids.shape, generator=generator)
    return _bert_reference(ids, generator, vocab_size, special, p, max_predictions, random_ids=random_ids)


def bert_mask_split_80_20(ids, generator, vocab_size, special, p, max_predictions):
    """80% [MASK] and 20% random, none left unchanged."""
    inputs, labels = _bert_reference(ids, generator, vocab_size, special, p, max_predictions)
    chosen = labels != -100
    redo = chosen & (inputs != special["mask"]) & (inputs == ids)
    return torch.where(redo, torch.randint(vocab_size, ids.shape, generator=generator), inputs), labels


def bert_mask_reuses_order(ids, generator, vocab_size, special, p, max_predictions):
    """Reuses the random numbers that ranked the positions for the 80/10/10 decision: the chosen ones are small."""
    return _bert_reference(ids, generator, vocab_size, special, p, max_predictions, decide=lambda scores: scores)


def bert_mask_global_rng(ids, generator, vocab_size, special, p, max_predictions):
    """Right rule, but draws from torch's global random generator."""
    return _bert_reference(ids, None, vocab_size, special, p, max_predictions)


def bert_mask_chooses_cls_sep(ids, generator, vocab_size, special, p, max_predictions):
    """[CLS] and [SEP] are candidates too."""
    return _bert_reference(ids, generator, vocab_size, special, p, max_predictions, candidate=ids != special["pad"])


def bert_mask_labels_minus_one(ids, generator, vocab_size, special, p, max_predictions):
    """Fills the labels with -1 instead of -100."""
    return _bert_reference(ids, generator, vocab_size, special, p, max_predictions, labels_fill=-1)


def bert_mask_chapter_ids(ids, generator, vocab_size, special, p, max_predictions):
    """Ignores `special` and uses the chapter's ids: [PAD] 0, [CLS] 2, [SEP] 3, [MASK] 4."""
    return _bert_reference(ids, generator, vocab_size, {"pad": 0, "cls": 2, "sep": 3, "mask": 4}, p, max_predictions)


def bert_mask_in_place(ids, generator, vocab_size, special, p, max_predictions):
    """Right rule, but writes the corruption into the caller's ids."""
    inputs, labels = _bert_reference(ids, generator, vocab_size, special, p, max_predictions)
    ids.copy_(inputs)
    return ids, labels


def bert_mask_batch_mean_length(ids, generator, vocab_size, special, p, max_predictions):
    """n is the mean number of real tokens over the batch, not each row's own."""
    real = ids != special["pad"]
    candidate = real & (ids != special["cls"]) & (ids != special["sep"])
    n = real.sum(1).float().mean().item()
    count = torch.tensor([min(max_predictions, c, max(1, round(p * n))) for c in candidate.sum(1).tolist()])
    return _bert_reference(ids, generator, vocab_size, special, p, max_predictions, count=count)


def bert_mask_random_not_original(ids, generator, vocab_size, special, p, max_predictions):
    """The random replacement is never the original token (drawn among the other vocab_size - 1 ids)."""
    shift = torch.randint(1, vocab_size, ids.shape, generator=generator)
    return _bert_reference(ids, generator, vocab_size, special, p, max_predictions, random_ids=(ids + shift) % vocab_size)


def bert_mask_loop_like_bert(ids, generator, vocab_size, special, p, max_predictions):
    """Right: create_pretraining_data.py's loop, row by row, with torch.randperm for the shuffle."""
    inputs, labels = ids.clone(), torch.full_like(ids, -100)
    for r, row in enumerate(ids.tolist()):
        tokens = [t for t in row if t != special["pad"]]
        candidates = [i for i, t in enumerate(row) if t not in (special["pad"], special["cls"], special["sep"])]
        order = torch.randperm(len(candidates), generator=generator).tolist()
        num_to_predict = min(max_predictions, max(1, int(round(len(tokens) * p))))
        for j in order[:num_to_predict]:
            i = candidates[j]
            if torch.rand(1, generator=generator).item() < 0.8:
                inputs[r, i] = special["mask"]
            elif torch.rand(1, generator=generator).item() < 0.5:
                pass                                                   # 10% of the time, keep the original
            else:
                inputs[r, i] = torch.randint(vocab_size, (1,), generator=generator).item()
            labels[r, i] = row[i]
    return inputs, labels


def bert_mask_multinomial(ids, generator, vocab_size, special, p, max_predictions):
    """Right: torch.multinomial without replacement per row, and the HF collator's two-stage 80/10/10."""
    pad, cls, sep = special["pad"], special["cls"], special["sep"]
    candidate = (ids != pad) & (ids != cls) & (ids != sep)
    n = (ids != pad).sum(1)
    k = torch.minimum(torch.round(p * n.double()).long().clamp(min=1), candidate.sum(1)).clamp(max=max_predictions)
    chosen = torch.zeros_like(candidate)
    for r in range(len(ids)):
        if k[r] > 0:
            picked = torch.multinomial(candidate[r].float(), int(k[r]), replacement=False, generator=generator)
            chosen[r, picked] = True
    to_mask = torch.bernoulli(torch.full(ids.shape, 0.8), generator=generator).bool() & chosen
    to_random = torch.bernoulli(torch.full(ids.shape, 0.5), generator=generator).bool() & chosen & ~to_mask
    inputs = torch.where(to_mask, special["mask"], ids)
    inputs = torch.where(to_random, torch.randint(vocab_size, ids.shape, generator=generator), inputs)
    return inputs.int(), torch.where(chosen, ids, -100)


# ---------------------------------------------------------------- check_bert_parameters


def _params(V, d, L, f, P, S, tied, *, ln=2, per_layer_ln=2, pooler=True, mlm_bias=True, transform=True,
            ffn=None, seg=None, pos=None, attn_bias=True, nsp=True, untied_extra=None):
    f = f if ffn is None else ffn(d)
    S = S if seg is None else seg
    P = P if pos is None else pos
    lin = (lambda i, o: o * i + o) if attn_bias else (lambda i, o: o * i)
    total = (V + P + S) * d + ln * d
    total += L * (4 * lin(d, d) + (d * f + f) + (f * d + d) + per_layer_ln * ln * d)
    total += (d * d + d) if pooler else 0
    total += ((d * d + d) + ln * d) if transform else 0
    total += V if mlm_bias else 0
    total += (2 * d + 2) if nsp else 0
    extra = (not tied) if untied_extra is None else untied_extra
    return total + (V * d if extra else 0)


def params_no_layernorm(V, d, L, f, P, S, tied=True):
    """Forgets the LayerNorms' γ and β."""
    return _params(V, d, L, f, P, S, tied, ln=0)


def params_tied_twice(V, d, L, f, P, S, tied=True):
    """Counts the output matrix even when it is the tied input embedding."""
    return _params(V, d, L, f, P, S, tied, untied_extra=True)


def params_never_untied(V, d, L, f, P, S, tied=True):
    """Ignores `tied`: never counts an untied output matrix."""
    return _params(V, d, L, f, P, S, tied, untied_extra=False)


def params_no_pooler(V, d, L, f, P, S, tied=True):
    """Forgets the pooler (dense + tanh on [CLS])."""
    return _params(V, d, L, f, P, S, tied, pooler=False)


def params_no_mlm_bias(V, d, L, f, P, S, tied=True):
    """Forgets the MLM head's per-token output bias."""
    return _params(V, d, L, f, P, S, tied, mlm_bias=False)


def params_no_transform(V, d, L, f, P, S, tied=True):
    """Forgets the MLM head's dense layer and LayerNorm."""
    return _params(V, d, L, f, P, S, tied, transform=False)


def params_ffn_4d(V, d, L, f, P, S, tied=True):
    """Assumes the FFN width is 4d instead of using `ffn`."""
    return _params(V, d, L, f, P, S, tied, ffn=lambda d: 4 * d)


def params_two_segments(V, d, L, f, P, S, tied=True):
    """Assumes two segments whatever `segments` says."""
    return _params(V, d, L, f, P, S, tied, seg=2)


def params_512_positions(V, d, L, f, P, S, tied=True):
    """Assumes 512 positions whatever `max_positions` says."""
    return _params(V, d, L, f, P, S, tied, pos=512)


def params_no_biases(V, d, L, f, P, S, tied=True):
    """Counts the attention projections without their biases."""
    return _params(V, d, L, f, P, S, tied, attn_bias=False)


def params_one_layernorm_per_block(V, d, L, f, P, S, tied=True):
    """One LayerNorm per block instead of two."""
    return _params(V, d, L, f, P, S, tied, per_layer_ln=1)


def params_no_nsp(V, d, L, f, P, S, tied=True):
    """Forgets the NSP classifier."""
    return _params(V, d, L, f, P, S, tied, nsp=False)


def params_float32(V, d, L, f, P, S, tied=True):
    """The right formula computed in float32, which rounds counts above 2**24."""
    V, d, L, f, P, S = (np.float32(x) for x in (V, d, L, f, P, S))
    return np.float32(_params(V, d, L, f, P, S, tied))


def params_expanded(V, d, L, f, P, S, tied=True):
    """Right: the same count multiplied out as a polynomial in d."""
    return d * ((1 if tied else 2) * V + P + S + 8 + 9 * L) + L * (4 * d * d + 2 * d * f + f) + 2 * d * d + V + 2


def params_numpy(V, d, L, f, P, S, tied=True):
    """Right: NumPy int64 arrays of the parts, summed."""
    parts = np.array([V * d, P * d, S * d, 2 * d, L * (4 * d * d + 4 * d + 2 * d * f + f + d + 4 * d),
                      d * d + d, d * d + d, 2 * d, V, 2 * d + 2, 0 if tied else V * d], dtype=np.int64)
    return parts.sum()


# ---------------------------------------------------------------- check_replace_chosen


def _replace(ids, chosen, generator, mask_id, vocab_size, split, *, high=None, everywhere=False, order=(0, 1)):
    shares = [split[0], split[1], split[2]]
    first, second = shares[order[0]], shares[order[1]]
    action = torch.rand(ids.shape, generator=generator)
    random_ids = torch.randint(vocab_size if high is None else high, ids.shape, generator=generator)
    where = torch.ones_like(chosen) if everywhere else chosen
    inputs = torch.where(where & (action < first), mask_id, ids)
    return torch.where(where & (action >= first) & (action < first + second), random_ids, inputs)


def replace_keep_as_random(ids, chosen, generator, mask_id, vocab_size, split):
    """Reads split as (mask, keep, random): the last two shares swapped."""
    return _replace(ids, chosen, generator, mask_id, vocab_size, split, order=(0, 2))


def replace_ignores_split(ids, chosen, generator, mask_id, vocab_size, split):
    """Ignores `split` and always applies 80/10/10."""
    return _replace(ids, chosen, generator, mask_id, vocab_size, (0.8, 0.1, 0.1))


def replace_skips_last(ids, chosen, generator, mask_id, vocab_size, split):
    """randint(0, vocab_size - 1): the last id is never drawn."""
    return _replace(ids, chosen, generator, mask_id, vocab_size, split, high=vocab_size - 1)


def replace_never_original(ids, chosen, generator, mask_id, vocab_size, split):
    """The random token is drawn among the other tokens, never the original one."""
    shift = torch.randint(1, vocab_size, ids.shape, generator=generator)
    action = torch.rand(ids.shape, generator=generator)
    inputs = torch.where(chosen & (action < split[0]), mask_id, ids)
    is_random = chosen & (action >= split[0]) & (action < split[0] + split[1])
    return torch.where(is_random, (ids + shift) % vocab_size, inputs)


def replace_everywhere(ids, chosen, generator, mask_id, vocab_size, split):
    """Applies the rule to every position, not only the chosen ones."""
    return _replace(ids, chosen, generator, mask_id, vocab_size, split, everywhere=True)


def replace_global_rng(ids, chosen, generator, mask_id, vocab_size, split):
    """Right rule, but torch's global random generator."""
    return _replace(ids, chosen, None, mask_id, vocab_size, split)


def replace_with_mask_id(ids, chosen, generator, mask_id, vocab_size, split):
    """Random ids drawn from [0, vocab_size + 1): the mask id (or one past the vocabulary) can come up."""
    return _replace(ids, chosen, generator, mask_id, vocab_size, split, high=vocab_size + 1)


def replace_float(ids, chosen, generator, mask_id, vocab_size, split):
    """Right values, but a float tensor."""
    return _replace(ids, chosen, generator, mask_id, vocab_size, split).float()


def replace_random_from_one(ids, chosen, generator, mask_id, vocab_size, split):
    """Random ids drawn from [1, vocab_size), keeping id 0 for padding: id 0 is never drawn."""
    action = torch.rand(ids.shape, generator=generator)
    random_ids = torch.randint(1, vocab_size, ids.shape, generator=generator)
    inputs = torch.where(chosen & (action < split[0]), mask_id, ids)
    return torch.where(chosen & (action >= split[0]) & (action < split[0] + split[1]), random_ids, inputs)


def replace_two_stage(ids, chosen, generator, mask_id, vocab_size, split):
    """Right: the HF collator's two stages, [MASK] with probability to_mask, then random among the rest."""
    to_mask, to_random, _ = split
    masked = torch.bernoulli(torch.full(ids.shape, float(to_mask)), generator=generator).bool() & chosen
    rest = 1.0 - to_mask
    q = to_random / rest if rest > 0 else 0.0
    randomised = torch.bernoulli(torch.full(ids.shape, min(1.0, q)), generator=generator).bool() & chosen & ~masked
    inputs = ids.masked_fill(masked, mask_id)
    return torch.where(randomised, torch.randint(0, vocab_size, ids.shape, generator=generator), inputs)


def replace_nested_where(ids, chosen, generator, mask_id, vocab_size, split):
    """Right: two nested torch.where on one uniform draw, with the random ids drawn first."""
    random_ids = torch.randint(vocab_size, ids.shape, generator=generator)
    u = torch.rand(ids.shape, generator=generator).double()
    out = torch.where(u < split[0], mask_id, torch.where(u < split[0] + split[1], random_ids, ids))
    return torch.where(chosen, out, ids).int()


# ---------------------------------------------------------------- check_mlm_loss


def loss_sees_originals(model, ids, chosen, mask_id):
    """Forgets to hide the chosen tokens: the model sees the answers."""
    return F.cross_entropy(model(ids)[chosen], ids[chosen])


def loss_all_positions(model, ids, chosen, mask_id):
    """Averages the cross-entropy over every position."""
    logits = model(torch.where(chosen, mask_id, ids))
    return F.cross_entropy(logits.flatten(0, 1), ids.flatten())


def loss_sum(model, ids, chosen, mask_id):
    """Sums over the chosen positions instead of averaging."""
    logits = model(torch.where(chosen, mask_id, ids))
    return F.cross_entropy(logits[chosen], ids[chosen], reduction="sum")


def loss_detached(model, ids, chosen, mask_id):
    """Re-wraps the value: torch.tensor(loss.item()) has no gradient."""
    logits = model(torch.where(chosen, mask_id, ids))
    return torch.tensor(F.cross_entropy(logits[chosen], ids[chosen]).item())


def loss_item(model, ids, chosen, mask_id):
    """Returns a Python float."""
    logits = model(torch.where(chosen, mask_id, ids))
    return F.cross_entropy(logits[chosen], ids[chosen]).item()


def loss_row_means(model, ids, chosen, mask_id):
    """The mean of per-row means: rows with few chosen tokens weigh as much as rows with many."""
    logits = model(torch.where(chosen, mask_id, ids))
    losses = F.cross_entropy(logits.transpose(1, 2), ids, reduction="none")
    per_row = (losses * chosen).sum(1) / chosen.sum(1).clamp(min=1)
    return per_row[chosen.any(1)].mean()


def loss_mask_zero(model, ids, chosen, mask_id):
    """Hides the chosen tokens with id 0 instead of mask_id."""
    logits = model(torch.where(chosen, 0, ids))
    return F.cross_entropy(logits[chosen], ids[chosen])


def loss_in_place(model, ids, chosen, mask_id):
    """Writes [MASK] into the caller's ids, then uses the hidden ids as labels."""
    labels = ids.clone()
    ids[chosen] = mask_id
    return F.cross_entropy(model(ids)[chosen], labels[chosen])


def loss_zeroes_then_mean(model, ids, chosen, mask_id):
    """Zeroes the loss off the chosen positions, then averages over every position."""
    logits = model(torch.where(chosen, mask_id, ids))
    losses = F.cross_entropy(logits.transpose(1, 2), ids, reduction="none")
    return (losses * chosen).mean()


def loss_ignore_index(model, ids, chosen, mask_id):
    """Right: labels -100 where nothing is predicted, cross_entropy over the class axis."""
    logits = model(ids.masked_fill(chosen, mask_id))
    return F.cross_entropy(logits.permute(0, 2, 1), ids.masked_fill(~chosen, -100))


def loss_float64(model, ids, chosen, mask_id):
    """Right: log_softmax in float64 and gather."""
    logits = model(torch.where(chosen, mask_id, ids)).double()
    picked = logits.log_softmax(-1).gather(-1, ids.unsqueeze(-1)).squeeze(-1)
    return -(picked * chosen).sum() / chosen.sum()


WRONG = {
    "check_segment_ids": [segments_switch_at_sep, segments_last_sep_in_a, segments_padding_in_b, segments_count_seps,
                          segments_chapter_ids, segments_parity, segments_first_row_boundary, segments_pad_is_zero],
    "check_attention_bias": [bias_inverted, bias_too_small, bias_ten, bias_on_queries, bias_multiplicative, bias_minus_inf,
                             bias_half, bias_integer, bias_where_needs_bool, bias_from_lengths],
    "check_position_ids": [positions_ignore_padding, positions_from_one, positions_pads_keep_count, positions_roberta_offset,
                           positions_left_shift, positions_pad_is_zero, positions_absolute, positions_pad_smallest],
    "check_join_pieces": [join_lstrip, join_replace_all, join_contains, join_minus_one, join_brackets_special,
                          join_ids_per_piece, join_ids_from_one, join_specials_are_words, join_specials_only_at_ends],
    "check_bert_masking": [bert_mask_bernoulli, bert_mask_n_is_candidates, bert_mask_n_with_padding, bert_mask_no_minimum,
                           bert_mask_no_cap, bert_mask_floor, bert_mask_ceil, bert_mask_first_candidates,
                           bert_mask_same_positions, bert_mask_ordinary_random, bert_mask_random_skips_last,
                           bert_mask_split_80_20, bert_mask_reuses_order, bert_mask_global_rng, bert_mask_chooses_cls_sep,
                           bert_mask_labels_minus_one, bert_mask_chapter_ids, bert_mask_in_place,
                           bert_mask_batch_mean_length, bert_mask_random_not_original],
    "check_bert_parameters": [params_no_layernorm, params_tied_twice, params_never_untied, params_no_pooler,
                              params_no_mlm_bias, params_no_transform, params_ffn_4d, params_two_segments,
                              params_512_positions, params_no_biases, params_one_layernorm_per_block, params_no_nsp,
                              params_float32],
    "check_replace_chosen": [replace_keep_as_random, replace_ignores_split, replace_skips_last, replace_never_original,
                             replace_everywhere, replace_global_rng, replace_with_mask_id, replace_float,
                             replace_random_from_one],
    "check_mlm_loss": [loss_sees_originals, loss_all_positions, loss_sum, loss_detached, loss_item, loss_row_means,
                       loss_mask_zero, loss_in_place, loss_zeroes_then_mean],
}

RIGHT = {
    "check_segment_ids": [segments_loop, segments_numpy_first_sep],
    "check_attention_bias": [bias_finfo_min, bias_float64],
    "check_position_ids": [positions_loop, positions_numpy],
    "check_join_pieces": [join_removeprefix, join_regex],
    "check_bert_masking": [bert_mask_loop_like_bert, bert_mask_multinomial],
    "check_bert_parameters": [params_expanded, params_numpy],
    "check_replace_chosen": [replace_two_stage, replace_nested_where],
    "check_mlm_loss": [loss_ignore_index, loss_float64],
}
