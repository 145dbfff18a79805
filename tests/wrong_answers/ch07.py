"""Plausible wrong answers to the Chapter 7 exercises: each checker must reject every one of them."""

import torch

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


# ---------------------------------------------------------------- check_attention_bias


def bias_inverted(mask):
    """Inverted polarity: 0 for [PAD] and a large negative number for the real tokens."""
    return mask.float()[:, None, None, :] * -1e9


def bias_too_small(mask):
    """Subtracts 1 instead of a large number: padding still gets attention."""
    return (1.0 - mask.float())[:, None, None, :] * -1.0


def bias_on_queries(mask):
    """Right values, but broadcast over the queries axis instead of the keys."""
    return ((1.0 - mask.float()) * -1e9)[:, None, :, None]


def bias_multiplicative(mask):
    """Returns the 0/1 mask itself, meant to be multiplied, not added."""
    return mask.float()[:, None, None, :]


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


# ---------------------------------------------------------------- check_wordpiece


def wordpiece_shortest_first(word, vocab, unk="[UNK]"):
    """Greedy shortest-match-first: takes the shortest matching piece at each step."""
    pieces, start = [], 0
    while start < len(word):
        end = start + 1
        while end <= len(word):
            piece = word[start:end] if start == 0 else "##" + word[start:end]
            if piece in vocab:
                break
            end += 1
        if end > len(word):
            return [unk]
        pieces.append(piece)
        start = end
    return pieces


def wordpiece_no_prefix(word, vocab, unk="[UNK]"):
    """Forgets the ## prefix: looks up inner pieces without it."""
    pieces, start = [], 0
    while start < len(word):
        end = len(word)
        while end > start and word[start:end] not in vocab:
            end -= 1
        if end == start:
            return [unk]
        pieces.append(word[start:end])
        start = end
    return pieces


def wordpiece_partial_unk(word, vocab, unk="[UNK]"):
    """Keeps the pieces found so far and adds [UNK] for the rest, instead of one [UNK] for the whole word."""
    pieces, start = [], 0
    while start < len(word):
        end = len(word)
        while end > start:
            piece = word[start:end] if start == 0 else "##" + word[start:end]
            if piece in vocab:
                break
            end -= 1
        if end == start:
            return [*pieces, unk]
        pieces.append(piece)
        start = end
    return pieces


def wordpiece_longest_from_end(word, vocab, unk="[UNK]"):
    """Matches the longest piece at the end of the word first (right to left)."""
    pieces, end = [], len(word)
    while end > 0:
        start = 0
        while start < end:
            piece = word[start:end] if start == 0 else "##" + word[start:end]
            if piece in vocab:
                break
            start += 1
        if start == end:
            return [unk]
        pieces.insert(0, piece)
        end = start
    return pieces


# ---------------------------------------------------------------- check_mask_tokens


def _mask_with_split(ids, generator, vocab_size, mask_id, num_special, to_mask, to_random, p=0.15):
    chosen = (torch.rand(ids.shape, generator=generator) < p) & (ids >= num_special)
    action = torch.rand(ids.shape, generator=generator)
    random_ids = torch.randint(num_special, vocab_size, ids.shape, generator=generator)
    inputs = torch.where(chosen & (action < to_mask), mask_id, ids)
    inputs = torch.where(chosen & (action >= to_mask) & (action < to_mask + to_random), random_ids, inputs)
    return inputs, torch.where(chosen, ids, -100)


def mask_split_swapped(ids, generator, vocab_size, mask_id, num_special, p=0.15):
    """Wrong 80/10/10 split: 10% [MASK], 10% random, 80% unchanged."""
    return _mask_with_split(ids, generator, vocab_size, mask_id, num_special, 0.1, 0.1, p)


def mask_split_no_unchanged(ids, generator, vocab_size, mask_id, num_special, p=0.15):
    """Wrong split: 80% [MASK] and 20% random, none left unchanged."""
    return _mask_with_split(ids, generator, vocab_size, mask_id, num_special, 0.8, 0.2, p)


def mask_all(ids, generator, vocab_size, mask_id, num_special, p=0.15):
    """Replaces every chosen token by [MASK] (100/0/0)."""
    return _mask_with_split(ids, generator, vocab_size, mask_id, num_special, 1.0, 0.0, p)


def mask_labels_everywhere(ids, generator, vocab_size, mask_id, num_special, p=0.15):
    """Right corruption, but the labels keep every original id instead of -100 where nothing is predicted."""
    inputs, _ = _mask_with_split(ids, generator, vocab_size, mask_id, num_special, 0.8, 0.1, p)
    return inputs, ids.clone()


def mask_chooses_specials(ids, generator, vocab_size, mask_id, num_special, p=0.15):
    """Right split, but [CLS], [SEP] and [PAD] can be chosen too."""
    chosen = torch.rand(ids.shape, generator=generator) < p
    action = torch.rand(ids.shape, generator=generator)
    random_ids = torch.randint(num_special, vocab_size, ids.shape, generator=generator)
    inputs = torch.where(chosen & (action < 0.8), mask_id, ids)
    inputs = torch.where(chosen & (action >= 0.8) & (action < 0.9), random_ids, inputs)
    return inputs, torch.where(chosen, ids, -100)


def mask_random_from_whole_vocab(ids, generator, vocab_size, mask_id, num_special, p=0.15):
    """Right split, but random replacements may be special tokens ([MASK], [PAD], ...)."""
    chosen = (torch.rand(ids.shape, generator=generator) < p) & (ids >= num_special)
    action = torch.rand(ids.shape, generator=generator)
    random_ids = torch.randint(0, vocab_size, ids.shape, generator=generator)
    inputs = torch.where(chosen & (action < 0.8), mask_id, ids)
    inputs = torch.where(chosen & (action >= 0.8) & (action < 0.9), random_ids, inputs)
    return inputs, torch.where(chosen, ids, -100)


def mask_global_rng(ids, generator, vocab_size, mask_id, num_special, p=0.15):
    """Right rule, but draws from the global random generator instead of `generator`."""
    chosen = (torch.rand(ids.shape) < p) & (ids >= num_special)
    action = torch.rand(ids.shape)
    random_ids = torch.randint(num_special, vocab_size, ids.shape)
    inputs = torch.where(chosen & (action < 0.8), mask_id, ids)
    inputs = torch.where(chosen & (action >= 0.8) & (action < 0.9), random_ids, inputs)
    return inputs, torch.where(chosen, ids, -100)


def mask_random_skips_first_ordinary(ids, generator, vocab_size, mask_id, num_special, p=0.15):
    """Right split, but random replacements start one id too late: the first ordinary token is never drawn."""
    chosen = (torch.rand(ids.shape, generator=generator) < p) & (ids >= num_special)
    action = torch.rand(ids.shape, generator=generator)
    random_ids = torch.randint(num_special + 1, vocab_size, ids.shape, generator=generator)
    inputs = torch.where(chosen & (action < 0.8), mask_id, ids)
    inputs = torch.where(chosen & (action >= 0.8) & (action < 0.9), random_ids, inputs)
    return inputs, torch.where(chosen, ids, -100)


def mask_in_place(ids, generator, vocab_size, mask_id, num_special, p=0.15):
    """Right rule, but corrupts the caller's ids in place and returns them."""
    labels = ids.clone()
    inputs, labels = _mask_with_split(labels, generator, vocab_size, mask_id, num_special, 0.8, 0.1, p)
    ids.copy_(inputs)
    return ids, labels


WRONG = {
    "check_segment_ids": [segments_switch_at_sep, segments_last_sep_in_a, segments_padding_in_b, segments_count_seps],
    "check_attention_bias": [bias_inverted, bias_too_small, bias_on_queries, bias_multiplicative],
    "check_position_ids": [positions_ignore_padding, positions_from_one, positions_pads_keep_count, positions_roberta_offset],
    "check_wordpiece": [wordpiece_shortest_first, wordpiece_no_prefix, wordpiece_partial_unk, wordpiece_longest_from_end],
    "check_mask_tokens": [mask_split_swapped, mask_split_no_unchanged, mask_all, mask_labels_everywhere, mask_chooses_specials,
                          mask_random_from_whole_vocab, mask_global_rng, mask_in_place, mask_random_skips_first_ordinary],
}
