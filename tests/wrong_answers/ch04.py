"""Plausible wrong answers to the Chapter 4 exercises: each checker must reject every one of them.
`RIGHT` holds right answers written differently from the solutions: each must pass."""

import collections
import math

import numpy as np
import torch
import torch.nn.functional as F

# ---------------------------------------------------------------- check_eos_mask


def mask_not_eos(Y, eos):
    """Marks the tokens that are not <eos>: drops the <eos> and keeps what follows it."""
    return Y != eos


def mask_excludes_eos(Y, eos):
    """Stops before the first <eos> instead of including it."""
    return (Y == eos).long().cumsum(dim=1) == 0


def mask_argmax_length(Y, eos):
    """Valid length from argmax of Y == eos: a row without <eos> gets length 1."""
    lengths = (Y == eos).int().argmax(dim=1) + 1
    return torch.arange(Y.shape[1])[None, :] < lengths[:, None]


def mask_last_eos(Y, eos):
    """Cuts at the last <eos> of the row instead of the first."""
    is_eos = (Y == eos).long()
    at_or_after = is_eos.flip(1).cumsum(dim=1).flip(1)  # number of <eos> at or after each position
    return (at_or_after > 0) | (is_eos.sum(dim=1, keepdim=True) == 0)


def mask_eos_is_two(Y, eos):
    """Uses the chapter's <eos> index 2 instead of the argument."""
    is_eos = (Y == 2).long()
    return (is_eos.cumsum(dim=1) - is_eos) == 0


def mask_as_int(Y, eos):
    """Right positions, but returns 0/1 integers instead of a bool tensor."""
    is_eos = (Y == eos).long()
    return ((is_eos.cumsum(dim=1) - is_eos) == 0).long()


def mask_cumprod(Y, eos):
    """A running product of Y != eos, shifted by one step, that forgets rows starting with <eos>."""
    keep = (Y != eos).long().cumprod(dim=1)
    shifted = torch.cat([torch.ones_like(keep[:, :1]), keep[:, :-1]], dim=1)
    return (shifted == 1) & (Y[:, :1] != eos)


# ---------------------------------------------------------------- check_smoothed_cross_entropy


def _smooth(logits, labels, pad, eps, spread="non-pad", denominator="real", stable=True, include_pad_rows=False):
    vocab = logits.shape[-1]
    log_p = F.log_softmax(logits, dim=-1) if stable else torch.log(torch.exp(logits) / torch.exp(logits).sum(-1, keepdim=True))
    one_hot = F.one_hot(labels, vocab).to(log_p.dtype)
    if spread == "non-pad":
        q = torch.full_like(log_p, eps / (vocab - 1))
        q[..., pad] = 0.0
        q = q + (1 - eps) * one_hot
    elif spread == "all":                                # PyTorch's label_smoothing: ε/V on every token, <pad> too
        q = eps / vocab + (1 - eps) * one_hot
    elif spread == "others":                             # fairseq: ε/(V − 1) on every token but the target
        q = (eps / (vocab - 1)) * (1 - one_hot) + (1 - eps) * one_hot
    elif spread == "annotated":                          # ε/(V − 2) on the tokens that are neither target nor <pad>
        q = (eps / (vocab - 2)) * (1 - one_hot)
        q[..., pad] = 0.0
        q = q + (1 - eps) * one_hot
    elif spread == "divide-by-V":
        q = torch.full_like(log_p, eps / vocab)
        q[..., pad] = 0.0
        q = q + (1 - eps) * one_hot
    elif spread == "no-one-minus":
        q = torch.full_like(log_p, eps / (vocab - 1))
        q[..., pad] = 0.0
        q = q + one_hot
    per = -(q * log_p).sum(-1)
    real = (labels != pad).to(per.dtype)
    if denominator == "real":
        return (per * real).sum() / real.sum()
    if denominator == "all":
        return (per * real).mean()
    if denominator == "batch":
        return (per * real).sum() / labels.shape[0]
    return per.mean()


def smooth_like_pytorch(logits, labels, pad, eps):
    """PyTorch's label_smoothing with ignore_index: ε/V on every token, <pad> included."""
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1), ignore_index=pad,
                           label_smoothing=eps)


def smooth_all_but_target(logits, labels, pad, eps):
    """Spreads ε over every token but the target (fairseq's convention), <pad> included."""
    return _smooth(logits, labels, pad, eps, spread="others")


def smooth_annotated_transformer(logits, labels, pad, eps):
    """The Annotated Transformer's convention: 1 − ε on the target, ε/(V − 2) on the other non-pad tokens."""
    return _smooth(logits, labels, pad, eps, spread="annotated")


def smooth_divides_by_vocab(logits, labels, pad, eps):
    """Gives every non-pad token ε/V, so the target distribution sums to less than 1."""
    return _smooth(logits, labels, pad, eps, spread="divide-by-V")


def smooth_keeps_full_target(logits, labels, pad, eps):
    """Puts 1 (not 1 − ε) on the target and adds the smoothing on top."""
    return _smooth(logits, labels, pad, eps, spread="no-one-minus")


def smooth_mean_over_positions(logits, labels, pad, eps):
    """Zeroes the padded losses, then averages over every position."""
    return _smooth(logits, labels, pad, eps, denominator="all")


def smooth_counts_padding(logits, labels, pad, eps):
    """Averages over every position without a mask: the padding's own loss counts too."""
    return _smooth(logits, labels, pad, eps, denominator="unmasked")


def smooth_unstable_log(logits, labels, pad, eps):
    """log(softmax) by hand: exp overflows for large logits and the log of 0 is −inf."""
    return _smooth(logits, labels, pad, eps, stable=False)


def smooth_pad_is_zero(logits, labels, pad, eps):
    """Assumes the padding index is 0."""
    return _smooth(logits, labels, 0, eps)


def smooth_ignores_eps(logits, labels, pad, eps):
    """The plain masked cross-entropy: forgets the smoothing."""
    return _smooth(logits, labels, pad, 0.0)


def smooth_detached_uniform_part(logits, labels, pad, eps):
    """Right value, but the smoothing term is computed from detached logits: its gradient is lost."""
    plain = _smooth(logits, labels, pad, 0.0)
    full = _smooth(logits.detach(), labels, pad, eps) - _smooth(logits.detach(), labels, pad, 0.0)
    return plain * (1 - eps) + full + eps * plain.detach()


def smooth_item(logits, labels, pad, eps):
    """Right value, returned as a Python float."""
    return _smooth(logits, labels, pad, eps).item()


# ---------------------------------------------------------------- check_smoothed_cross_entropy_grad


def _target(logits, labels, pad, eps):
    vocab = logits.shape[-1]
    q = torch.full_like(logits, eps / (vocab - 1))
    q[..., pad] = 0.0
    return q + (1 - eps) * F.one_hot(labels, vocab).to(logits.dtype)


def grad_wrong_sign(logits, labels, pad, eps):
    """Returns q − p: the direction that increases the loss."""
    real = (labels != pad).to(logits.dtype)[..., None]
    return (_target(logits, labels, pad, eps) - torch.softmax(logits, -1)) * real / real.sum()


def grad_no_mask(logits, labels, pad, eps):
    """Forgets the mask: the padded positions get a gradient too."""
    real = (labels != pad).to(logits.dtype)[..., None]
    return (torch.softmax(logits, -1) - _target(logits, labels, pad, eps)) / real.sum()


def grad_not_averaged(logits, labels, pad, eps):
    """Forgets to divide by the number of real tokens."""
    real = (labels != pad).to(logits.dtype)[..., None]
    return (torch.softmax(logits, -1) - _target(logits, labels, pad, eps)) * real


def grad_divides_by_positions(logits, labels, pad, eps):
    """Divides by all positions instead of the real tokens."""
    real = (labels != pad).to(logits.dtype)[..., None]
    return (torch.softmax(logits, -1) - _target(logits, labels, pad, eps)) * real / labels.numel()


def grad_one_hot_target(logits, labels, pad, eps):
    """Uses the one-hot target, as without smoothing."""
    return grad_no_mask(logits, labels, pad, 0.0) * (labels != pad).to(logits.dtype)[..., None]


def grad_pad_gets_mass(logits, labels, pad, eps):
    """Spreads ε over all V tokens, <pad> included, as PyTorch's label_smoothing does."""
    real = (labels != pad).to(logits.dtype)[..., None]
    q = eps / logits.shape[-1] + (1 - eps) * F.one_hot(labels, logits.shape[-1]).to(logits.dtype)
    return (torch.softmax(logits, -1) - q) * real / real.sum()


def grad_unstable_softmax(logits, labels, pad, eps):
    """Softmax by hand without subtracting the maximum: NaN once exp overflows."""
    real = (labels != pad).to(logits.dtype)[..., None]
    p = torch.exp(logits) / torch.exp(logits).sum(-1, keepdim=True)
    return (p - _target(logits, labels, pad, eps)) * real / real.sum()


def grad_log_softmax(logits, labels, pad, eps):
    """Uses log p instead of p in p − q."""
    real = (labels != pad).to(logits.dtype)[..., None]
    return (torch.log_softmax(logits, -1) - _target(logits, labels, pad, eps)) * real / real.sum()


# ---------------------------------------------------------------- check_beam_step


def step_ignores_scores(scores, log_probs, k):
    """Ranks the extensions by the next token's log-probability alone."""
    vocab = log_probs.shape[1]
    _, flat = log_probs.reshape(-1).topk(k)
    parents, tokens = flat // vocab, flat % vocab
    return scores[parents] + log_probs[parents, tokens], parents, tokens


def step_best_per_hypothesis(scores, log_probs, k):
    """Extends each hypothesis by its own best token, then keeps the k best of those."""
    best_lp, best_token = log_probs.max(dim=1)
    new_scores, parents = (scores + best_lp).topk(min(k, len(scores)))
    return new_scores, parents, best_token[parents]


def step_wrong_unravel(scores, log_probs, k):
    """Divides the flat index by the beam size instead of the vocabulary size."""
    beam = log_probs.shape[0]
    new_scores, flat = (scores[:, None] + log_probs).reshape(-1).topk(k)
    return new_scores, flat % beam, flat // beam


def step_unsorted(scores, log_probs, k):
    """Takes the k best but returns them in index order, not best first."""
    vocab = log_probs.shape[1]
    _, flat = (scores[:, None] + log_probs).reshape(-1).topk(k)
    flat = flat.sort().values
    parents, tokens = flat // vocab, flat % vocab
    return scores[parents] + log_probs[parents, tokens], parents, tokens


def step_column_major(scores, log_probs, k):
    """Flattens the transposed table but unravels it as if it were row-major."""
    vocab = log_probs.shape[1]
    new_scores, flat = (scores[:, None] + log_probs).T.reshape(-1).topk(k)
    return new_scores, flat // vocab, flat % vocab


def step_k_per_parent_first(scores, log_probs, k):
    """Takes the top k tokens of each hypothesis, then the k best of those: misses nothing, but breaks
    when k is larger than the vocabulary."""
    beam, vocab = log_probs.shape
    top_lp, top_token = log_probs.topk(min(k, vocab) if k <= vocab else k, dim=1)
    totals = (scores[:, None] + top_lp).reshape(-1)
    new_scores, flat = totals.topk(k)
    width = top_lp.shape[1]
    return new_scores, flat // width, top_token.reshape(-1)[flat]


def step_ascending(scores, log_probs, k):
    """Sorts ascending and takes the first k: the k worst extensions."""
    vocab = log_probs.shape[1]
    order = (scores[:, None] + log_probs).reshape(-1).argsort()[:k]
    return (scores[:, None] + log_probs).reshape(-1)[order], order // vocab, order % vocab


# ---------------------------------------------------------------- check_corpus_bleu (several references)


def _grams(tokens, n):
    return collections.Counter(tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1))


def _bleu(candidates, references, clip="max", length="closest", corpus=True, brevity="standard"):
    if not corpus:
        scores = [_bleu([c], [r], clip, length) for c, r in zip(candidates, references, strict=True)]
        return sum(scores) / len(scores)
    matches, totals, c, r = [0] * 4, [0] * 4, 0, 0
    for cand, refs in zip(candidates, references, strict=True):
        c += len(cand)
        lengths = [len(ref) for ref in refs]
        r += {"closest": min(lengths, key=lambda m: (abs(m - len(cand)), m)),
              "closest-longer": min(lengths, key=lambda m: (abs(m - len(cand)), -m)),
              "shortest": min(lengths), "longest": max(lengths), "first": lengths[0],
              "mean": sum(lengths) / len(lengths)}[length]
        for n in range(1, 5):
            counts = _grams(cand, n)
            if clip == "max":
                best = collections.Counter()
                for ref in refs:
                    best |= _grams(ref, n)
            elif clip == "sum":
                best = sum((_grams(ref, n) for ref in refs), collections.Counter())
            elif clip == "first":
                best = _grams(refs[0], n)
            if clip == "none":
                pool = set().union(*(_grams(ref, n) for ref in refs))
                matches[n - 1] += sum(count for g, count in counts.items() if g in pool)
            else:
                matches[n - 1] += sum(min(count, best[g]) for g, count in counts.items())
            totals[n - 1] += max(len(cand) - n + 1, 0)
    if c == 0 or min(matches) == 0:
        return 0.0
    log_bp = {"standard": min(0.0, 1 - r / c), "none": 0.0, "inverted": min(0.0, 1 - c / r)}[brevity]
    return math.exp(sum(math.log(m / t) for m, t in zip(matches, totals, strict=True)) / 4 + log_bp)


def bleu_clip_by_sum(candidates, references):
    """Clips by the total count over all references instead of the largest count in one of them."""
    return _bleu(candidates, references, clip="sum")


def bleu_first_reference_only(candidates, references):
    """Uses only the first reference of each sentence."""
    return _bleu(candidates, references, clip="first", length="first")


def bleu_no_clipping(candidates, references):
    """Counts every candidate n-gram found in some reference, however often it repeats."""
    return _bleu(candidates, references, clip="none")


def bleu_shortest_reference(candidates, references):
    """Takes the shortest reference length for the brevity penalty."""
    return _bleu(candidates, references, length="shortest")


def bleu_longest_reference(candidates, references):
    """Takes the longest reference length for the brevity penalty."""
    return _bleu(candidates, references, length="longest")


def bleu_mean_reference_length(candidates, references):
    """Takes the mean reference length for the brevity penalty."""
    return _bleu(candidates, references, length="mean")


def bleu_tie_to_longer(candidates, references):
    """Takes the closest reference length, but the longer one on a tie."""
    return _bleu(candidates, references, length="closest-longer")


def bleu_sentence_average(candidates, references):
    """Averages sentence-level BLEU instead of pooling the counts over the corpus."""
    return _bleu(candidates, references, corpus=False)


def bleu_no_brevity_penalty(candidates, references):
    """Forgets the brevity penalty."""
    return _bleu(candidates, references, brevity="none")


def bleu_brevity_inverted(candidates, references):
    """Brevity penalty exp(1 − c/r) instead of exp(1 − r/c)."""
    return _bleu(candidates, references, brevity="inverted")


# ---------------------------------------------------------------- check_beam_search


def _lp(length, alpha):
    return ((5 + length) / 6) ** alpha


def _beam(step_log_probs, bos, eos, k, max_steps, alpha, eos_counts=True, live_compete=True, width=2, finish_rank=None,
          live_normalised=True, penalty=_lp, stop_at_k=True):
    alive, finished = [(0.0, [])], []
    finish_rank = k if finish_rank is None else finish_rank
    for step in range(1, max_steps + 1):
        extensions = sorted(((s + lp, ids, t) for s, ids in alive for t, lp in enumerate(step_log_probs([bos] + ids).tolist())),
                            key=lambda e: -e[0])
        alive = []
        for rank, (s, ids, t) in enumerate(extensions[:width * k]):
            if t == eos:
                if rank < finish_rank and len(finished) < k and s > -math.inf:
                    finished.append((s / penalty(step if eos_counts else step - 1, alpha), ids))
            elif len(alive) < k:
                alive.append((s, ids + [t]))
        if stop_at_k and len(finished) >= k:
            break
        if not alive:
            break
    if len(finished) < k and (live_compete or not finished):
        finished += [(s / (penalty(len(ids), alpha) if live_normalised else 1.0), ids) for s, ids in alive]
    return max(finished, key=lambda f: f[0])[1]


def beam_no_normalisation(step_log_probs, bos, eos, beam_size, max_steps, alpha):
    """Compares raw log-probabilities, ignoring alpha."""
    return _beam(step_log_probs, bos, eos, beam_size, max_steps, 0.0)


def beam_keeps_finished(step_log_probs, bos, eos, beam_size, max_steps, alpha):
    """Finished hypotheses stay in the beam and keep their slots until every slot is finished."""
    beam = [(0.0, [], False)]
    for _ in range(max_steps):
        candidates = []
        for score, ids, done in beam:
            if done:
                candidates.append((score, ids, True))
                continue
            for token, lp in enumerate(step_log_probs([bos] + ids).tolist()):
                candidates.append((score + lp, ids + [token], token == eos))
        candidates.sort(key=lambda c: -c[0] / _lp(len(c[1]), alpha))
        beam = candidates[:beam_size]
        if all(done for _, _, done in beam):
            break
    score, ids, done = max(beam, key=lambda c: c[0] / _lp(len(c[1]), alpha))
    return ids[:-1] if done else ids


def beam_greedy(step_log_probs, bos, eos, beam_size, max_steps, alpha):
    """Ignores the beam: always takes the most probable next token."""
    ids = []
    for _ in range(max_steps):
        token = int(step_log_probs([bos] + ids).argmax())
        if token == eos:
            break
        ids.append(token)
    return ids


def beam_length_without_eos(step_log_probs, bos, eos, beam_size, max_steps, alpha):
    """Normalises a finished hypothesis by its length without the <eos>."""
    return _beam(step_log_probs, bos, eos, beam_size, max_steps, alpha, eos_counts=False)


def beam_drops_live_at_limit(step_log_probs, bos, eos, beam_size, max_steps, alpha):
    """At the step limit, picks among the finished hypotheses only (the live ones only if none finished)."""
    return _beam(step_log_probs, bos, eos, beam_size, max_steps, alpha, live_compete=False)


def beam_returns_eos(step_log_probs, bos, eos, beam_size, max_steps, alpha):
    """Right search, but returns the <eos> token as part of the output."""
    return _beam(step_log_probs, bos, eos, beam_size, max_steps, alpha) + [eos]


def beam_top_k_only(step_log_probs, bos, eos, beam_size, max_steps, alpha):
    """Looks at the k best extensions instead of 2k: an <eos> among them leaves the beam short."""
    return _beam(step_log_probs, bos, eos, beam_size, max_steps, alpha, width=1)


def beam_any_eos_finishes(step_log_probs, bos, eos, beam_size, max_steps, alpha):
    """Lets every <eos> among the 2k best finish, also those ranked below k."""
    return _beam(step_log_probs, bos, eos, beam_size, max_steps, alpha, finish_rank=2 * beam_size)


def beam_live_unnormalised(step_log_probs, bos, eos, beam_size, max_steps, alpha):
    """At the step limit, lets the live hypotheses compete with their raw log-probability."""
    return _beam(step_log_probs, bos, eos, beam_size, max_steps, alpha, live_normalised=False)


def beam_power_penalty(step_log_probs, bos, eos, beam_size, max_steps, alpha):
    """Divides by L ** alpha instead of GNMT's ((5 + L) / 6) ** alpha."""
    return _beam(step_log_probs, bos, eos, beam_size, max_steps, alpha, penalty=lambda L, a: max(L, 1) ** a)


def beam_runs_to_limit(step_log_probs, bos, eos, beam_size, max_steps, alpha):
    """Does not stop once k hypotheses have finished, so later ones never join (the list is full), but
    the live ones still compete at the limit."""
    alive, finished = [(0.0, [])], []
    for step in range(1, max_steps + 1):
        ext = sorted(((s + lp, ids, t) for s, ids in alive for t, lp in enumerate(step_log_probs([bos] + ids).tolist())),
                     key=lambda e: -e[0])
        alive = []
        for rank, (s, ids, t) in enumerate(ext[:2 * beam_size]):
            if t == eos:
                if rank < beam_size and len(finished) < beam_size and s > -math.inf:
                    finished.append((s / _lp(step, alpha), ids))
            elif len(alive) < beam_size:
                alive.append((s, ids + [t]))
    return max(finished + [(s / _lp(len(ids), alpha), ids) for s, ids in alive], key=lambda f: f[0])[1]


def beam_bos_counts_in_length(step_log_probs, bos, eos, beam_size, max_steps, alpha):
    """Counts <bos> in the length L of every hypothesis."""
    return _beam(step_log_probs, bos, eos, beam_size, max_steps, alpha, penalty=lambda L, a: _lp(L + 1, a))


# ---------------------------------------------------------------- check_reverse_source


def reverse_whole_row(src, valid_len):
    """Flips the whole row: the padding and <eos> come first."""
    return src.flip(1)


def reverse_including_eos(src, valid_len):
    """Reverses the first valid_len tokens, so that <eos> comes first."""
    position = torch.arange(src.shape[1])[None]
    last = valid_len[:, None] - 1
    return src.gather(1, torch.where(position <= last, last - position, position))


def reverse_up_to_longest(src, valid_len):
    """Reverses the tokens before the last column's <eos> as if every row were as long as the longest."""
    n = int(valid_len.max()) - 1
    return torch.cat([src[:, :n].flip(1), src[:, n:]], dim=1)


def reverse_roll(src, valid_len):
    """Rolls every row by one instead of reversing it."""
    out = src.clone()
    for i, n in enumerate(valid_len.tolist()):
        if n > 1:
            out[i, : n - 1] = src[i, : n - 1].roll(1)
    return out


def reverse_in_place(src, valid_len):
    """Right rows, written into the caller's tensor."""
    for i, n in enumerate(valid_len.tolist()):
        src[i, : n - 1] = src[i, : n - 1].flip(0)
    return src


def reverse_as_float(src, valid_len):
    """Right values, but returns a float tensor (an embedding needs integer ids)."""
    position = torch.arange(src.shape[1])[None]
    last = valid_len[:, None] - 2
    return src.gather(1, torch.where(position <= last, last - position, position)).float()


def reverse_off_by_one(src, valid_len):
    """Leaves the first token in place and reverses the rest before <eos>."""
    out = src.clone()
    for i, n in enumerate(valid_len.tolist()):
        if n > 2:
            out[i, 1 : n - 1] = src[i, 1 : n - 1].flip(0)
    return out


# ---------------------------------------------------------------- check_free_running_loss


def _run(decoder, state, labels, bos, pad, feed="prediction", keep_state=True, mask=True, shift=False):
    token = torch.full((labels.shape[0], 1), bos, dtype=torch.long)
    start = state
    losses = []
    for t in range(labels.shape[1]):
        logits, new_state = decoder(token, state)
        state = new_state if keep_state else start
        losses.append(F.cross_entropy(logits[:, 0], labels[:, t], reduction="none"))
        if feed == "prediction":
            token = logits.argmax(dim=-1)
        elif feed == "label":
            token = labels[:, t:t + 1]
        elif feed == "sample":
            token = torch.multinomial(torch.softmax(logits[:, 0], -1), 1, generator=torch.Generator().manual_seed(t))
    losses = torch.stack(losses, 1)
    if shift:
        losses = torch.cat([losses[:, 1:], losses[:, :1]], dim=1)
    real = labels != pad
    return losses[real].mean() if mask else losses.mean()


def free_running_teacher_forced(decoder, state, labels, bos, pad):
    """Feeds the labels (teacher forcing) instead of the decoder's own predictions."""
    return _run(decoder, state, labels, bos, pad, feed="label")


def free_running_fresh_state(decoder, state, labels, bos, pad):
    """Feeds its predictions but restarts every step from the encoder's state."""
    return _run(decoder, state, labels, bos, pad, keep_state=False)


def free_running_no_mask(decoder, state, labels, bos, pad):
    """Averages over every position, padding included."""
    return _run(decoder, state, labels, bos, pad, mask=False)


def free_running_samples(decoder, state, labels, bos, pad):
    """Feeds a sampled token instead of the most probable one."""
    return _run(decoder, state, labels, bos, pad, feed="sample")


def free_running_starts_with_label(decoder, state, labels, bos, pad):
    """Starts from the first label instead of <bos>."""
    token = labels[:, :1]
    losses = []
    for t in range(labels.shape[1]):
        logits, state = decoder(token, state)
        losses.append(F.cross_entropy(logits[:, 0], labels[:, t], reduction="none"))
        token = logits.argmax(dim=-1)
    real = labels != pad
    return torch.stack(losses, 1)[real].mean()


def free_running_scores_prediction(decoder, state, labels, bos, pad):
    """Scores the model's own prediction instead of the reference token: −log max p."""
    token = torch.full((labels.shape[0], 1), bos, dtype=torch.long)
    losses = []
    for _ in range(labels.shape[1]):
        logits, state = decoder(token, state)
        token = logits.argmax(dim=-1)
        losses.append(F.cross_entropy(logits[:, 0], token[:, 0], reduction="none"))
    real = labels != pad
    return torch.stack(losses, 1)[real].mean()


# ---------------------------------------------------------------- five more, tried after the checkers were done


def mask_cumsum_over_batch(Y, eos):
    """Counts the <eos> before each position along the batch dimension instead of the steps."""
    is_eos = (Y == eos).long()
    return (is_eos.cumsum(dim=0) - is_eos) == 0


def smooth_per_sentence_mean(logits, labels, pad, eps):
    """Averages the smoothed loss within each sentence, then over the sentences."""
    vocab = logits.shape[-1]
    log_p = F.log_softmax(logits, -1)
    q = torch.full_like(log_p, eps / (vocab - 1))
    q[..., pad] = 0.0
    q = q + (1 - eps) * F.one_hot(labels, vocab).to(q.dtype)
    per = -(q * log_p).sum(-1)
    real = (labels != pad).to(per.dtype)
    return ((per * real).sum(1) / real.sum(1)).mean()


def step_float_parents(scores, log_probs, k):
    """Unravels with true division and floor, so parents and tokens come back as floats."""
    vocab = log_probs.shape[1]
    new_scores, flat = (scores[:, None] + log_probs).reshape(-1).topk(k)
    return new_scores, torch.floor(flat / vocab), flat - torch.floor(flat / vocab) * vocab


def bleu_closest_reference_stream(candidates, references):
    """Chooses, for the whole corpus, the j-th references whose total length is closest to c."""
    c = sum(len(cand) for cand in candidates)
    streams = max(len(refs) for refs in references)
    totals = [sum(len(refs[min(j, len(refs) - 1)]) for refs in references) for j in range(streams)]
    r = min(totals, key=lambda t: (abs(t - c), t))
    matches, counts = [0] * 4, [0] * 4
    for cand, refs in zip(candidates, references, strict=True):
        for n in range(1, 5):
            best = collections.Counter()
            for ref in refs:
                best |= _grams(ref, n)
            matches[n - 1] += sum(min(v, best[g]) for g, v in _grams(cand, n).items())
            counts[n - 1] += max(len(cand) - n + 1, 0)
    if c == 0 or min(matches) == 0:
        return 0.0
    return math.exp(sum(math.log(m / t) for m, t in zip(matches, counts, strict=True)) / 4 + min(0.0, 1 - r / c))


def beam_one_step_short(step_log_probs, bos, eos, beam_size, max_steps, alpha):
    """Counts <bos> as a step, so the search stops one step before max_steps."""
    if max_steps <= 1:
        return _beam(step_log_probs, bos, eos, beam_size, 1, alpha)
    return _beam(step_log_probs, bos, eos, beam_size, max_steps - 1, alpha)


def reverse_with_first_length(src, valid_len):
    """Reverses every row by the first row's valid length."""
    n = int(valid_len[0]) - 1
    out = src.clone()
    out[:, :n] = src[:, :n].flip(1)
    return out


def free_running_stops_at_predicted_eos(decoder, state, labels, bos, pad):
    """Stops scoring a sentence once the model has produced an <eos> of its own (the label at the
    reference's end is assumed to be <eos>, so the model's <eos> is taken as labels[i, -1] for full rows)."""
    token = torch.full((labels.shape[0], 1), bos, dtype=torch.long)
    alive = torch.ones(labels.shape[0], dtype=torch.bool)
    total, count = 0.0, 0
    eos = labels[:, -1].max()
    for t in range(labels.shape[1]):
        logits, state = decoder(token, state)
        keep = (labels[:, t] != pad) & alive
        nll = F.cross_entropy(logits[:, 0], labels[:, t], reduction="none")
        total, count = total + nll[keep].sum(), count + keep.sum()
        token = logits.argmax(-1)
        alive = alive & (token[:, 0] != eos)
    return total / count


WRONG = {
    "check_eos_mask": [mask_not_eos, mask_excludes_eos, mask_argmax_length, mask_last_eos, mask_eos_is_two, mask_as_int,
                       mask_cumprod, mask_cumsum_over_batch],
    "check_smoothed_cross_entropy": [smooth_like_pytorch, smooth_all_but_target, smooth_annotated_transformer,
                                     smooth_divides_by_vocab, smooth_keeps_full_target, smooth_mean_over_positions,
                                     smooth_counts_padding, smooth_unstable_log, smooth_pad_is_zero, smooth_ignores_eps,
                                     smooth_detached_uniform_part, smooth_item, smooth_per_sentence_mean],
    "check_smoothed_cross_entropy_grad": [grad_wrong_sign, grad_no_mask, grad_not_averaged, grad_divides_by_positions,
                                          grad_one_hot_target, grad_pad_gets_mass, grad_unstable_softmax,
                                          grad_log_softmax],
    "check_beam_step": [step_ignores_scores, step_best_per_hypothesis, step_wrong_unravel, step_unsorted,
                        step_column_major, step_k_per_parent_first, step_ascending, step_float_parents],
    "check_corpus_bleu": [bleu_clip_by_sum, bleu_first_reference_only, bleu_no_clipping, bleu_shortest_reference,
                          bleu_longest_reference, bleu_mean_reference_length, bleu_tie_to_longer, bleu_sentence_average,
                          bleu_no_brevity_penalty, bleu_brevity_inverted, bleu_closest_reference_stream],
    "check_beam_search": [beam_no_normalisation, beam_keeps_finished, beam_greedy, beam_returns_eos, beam_length_without_eos,
                          beam_drops_live_at_limit, beam_top_k_only, beam_any_eos_finishes, beam_live_unnormalised,
                          beam_power_penalty, beam_runs_to_limit, beam_bos_counts_in_length, beam_one_step_short],
    "check_reverse_source": [reverse_whole_row, reverse_including_eos, reverse_up_to_longest, reverse_roll,
                             reverse_in_place, reverse_as_float, reverse_off_by_one, reverse_with_first_length],
    "check_free_running_loss": [free_running_teacher_forced, free_running_fresh_state, free_running_no_mask,
                                free_running_samples, free_running_starts_with_label, free_running_scores_prediction,
                                free_running_stops_at_predicted_eos],
}

# ---------------------------------------------------------------- right answers written differently: must pass


def mask_by_first_index(Y, eos):
    """A right mask from the index of the first <eos> (steps when there is none)."""
    steps = Y.shape[1]
    position = torch.arange(steps).expand_as(Y)
    first = torch.where(Y == eos, position, steps).min(dim=1).values
    return position <= first[:, None]


def smooth_numpy_float64(logits, labels, pad, eps):
    """A right loss from the decomposition (1 − ε)·NLL + ε·(mean −log p over non-pad tokens), in float64."""
    log_p = torch.log_softmax(logits.double(), -1)
    keep = torch.arange(logits.shape[-1]) != pad
    nll = -log_p.gather(-1, labels[..., None])[..., 0]
    uniform = -log_p[..., keep].mean(-1)
    real = labels != pad
    return ((1 - eps) * nll + eps * uniform)[real].mean()


def grad_by_autograd(logits, labels, pad, eps):
    """A right gradient obtained from autograd of a right loss."""
    leaf = logits.detach().clone().requires_grad_()
    return torch.autograd.grad(smooth_numpy_float64(leaf, labels, pad, eps), leaf)[0]


def step_in_float64(scores, log_probs, k):
    """A right beam step that computes in float64 and unravels with divmod."""
    totals = scores.double()[:, None] + log_probs.double()
    new_scores, flat = totals.reshape(-1).topk(k)
    parents, tokens = np.divmod(flat.numpy(), log_probs.shape[1])
    return new_scores, torch.from_numpy(parents), torch.from_numpy(tokens)


def bleu_as_numpy_float32(candidates, references):
    """A right BLEU returned as a NumPy float32."""
    return np.float32(_bleu(candidates, references))


def beam_returns_tensor_ids(step_log_probs, bos, eos, beam_size, max_steps, alpha):
    """A right search that returns a list of one-element tensors and calls the model with a tensor prefix."""
    def model(prefix):
        return step_log_probs(torch.tensor(prefix))
    return [torch.tensor(i) for i in _beam(model, bos, eos, beam_size, max_steps, alpha)]


def reverse_by_loop(src, valid_len):
    """A right reversal, row by row."""
    out = src.clone()
    for i, n in enumerate(valid_len.tolist()):
        out[i, : n - 1] = src[i, : n - 1].flip(0)
    return out


def free_running_float64_numpy(decoder, state, labels, bos, pad):
    """A right loss, accumulated position by position as NumPy float64 log-probabilities."""
    token = torch.full((labels.shape[0], 1), bos, dtype=torch.long)
    nll = []
    for t in range(labels.shape[1]):
        logits, state = decoder(token, state)
        log_p = torch.log_softmax(logits[:, 0].double(), -1).numpy()
        nll.append(-log_p[np.arange(len(log_p)), labels[:, t].numpy()])
        token = logits.argmax(dim=-1)
    nll = np.stack(nll, 1)
    return float(nll[(labels != pad).numpy()].mean())


def step_via_argsort(scores, log_probs, k):
    """A right beam step by a descending argsort of the flattened table."""
    totals = (scores[:, None] + log_probs).reshape(-1)
    order = totals.argsort(descending=True)[:k]
    return totals[order], torch.div(order, log_probs.shape[1], rounding_mode="floor"), order.remainder(log_probs.shape[1])


def smooth_via_scatter(logits, labels, pad, eps):
    """A right loss with the target built by scatter_ and the mean taken by boolean indexing."""
    vocab = logits.shape[-1]
    q = torch.full_like(logits, eps / (vocab - 1)).index_fill(-1, torch.tensor([pad]), 0.0)
    q = q.scatter_add(-1, labels[..., None], torch.full_like(logits[..., :1], 1 - eps))
    per = -(q * torch.log_softmax(logits, -1)).sum(-1)
    return per[labels != pad].mean()


def reverse_by_flip_cat(src, valid_len):
    """A right reversal: each row rebuilt from a flipped head and the untouched tail."""
    return torch.stack([torch.cat([row[: n - 1].flip(0), row[n - 1:]]) for row, n in zip(src, valid_len.tolist(), strict=True)])



RIGHT = {
    "check_eos_mask": [mask_by_first_index],
    "check_smoothed_cross_entropy": [smooth_numpy_float64, smooth_via_scatter],
    "check_smoothed_cross_entropy_grad": [grad_by_autograd],
    "check_beam_step": [step_in_float64, step_via_argsort],
    "check_corpus_bleu": [bleu_as_numpy_float32],
    "check_beam_search": [beam_returns_tensor_ids],
    "check_reverse_source": [reverse_by_loop, reverse_by_flip_cat],
    "check_free_running_loss": [free_running_float64_numpy],
}
