"""Plausible wrong answers to the Chapter 4 exercises: each checker must reject every one of them."""

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


# ---------------------------------------------------------------- check_masked_cross_entropy


def ce_counts_padding(logits, labels, pad):
    """Averages over every position, padding included (the d2l package's Seq2Seq loss)."""
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1))


def ce_divides_by_batch(logits, labels, pad):
    """Sums the real tokens' losses but divides by the batch size."""
    losses = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1), reduction="none")
    mask = (labels.reshape(-1) != pad).float()
    return (losses * mask).sum() / labels.shape[0]


def ce_mean_after_masking(logits, labels, pad):
    """Zeroes the padded losses, then takes the mean over all positions."""
    losses = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1), reduction="none")
    return (losses * (labels.reshape(-1) != pad).float()).mean()


def ce_pad_is_zero(logits, labels, pad):
    """Assumes the padding index is always 0."""
    losses = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1), reduction="none")
    mask = (labels.reshape(-1) != 0).float()
    return (losses * mask).sum() / mask.sum()


def ce_item(logits, labels, pad):
    """Right value, but returns a Python float that cannot be backpropagated."""
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1), ignore_index=pad).item()


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


# ---------------------------------------------------------------- check_corpus_bleu


def _bleu(candidates, references, clip=True, brevity="standard", corpus=True):
    if not corpus:
        scores = [_bleu([c], [r], clip, brevity) for c, r in zip(candidates, references, strict=True)]
        return sum(scores) / len(scores)
    matches, totals, c, r = [0] * 4, [0] * 4, 0, 0
    for cand, ref in zip(candidates, references, strict=True):
        c, r = c + len(cand), r + len(ref)
        for n in range(1, 5):
            cand_counts = collections.Counter(tuple(cand[i:i + n]) for i in range(len(cand) - n + 1))
            ref_counts = collections.Counter(tuple(ref[i:i + n]) for i in range(len(ref) - n + 1))
            if clip:
                matches[n - 1] += sum(min(count, ref_counts[g]) for g, count in cand_counts.items())
            else:
                matches[n - 1] += sum(count for g, count in cand_counts.items() if g in ref_counts)
            totals[n - 1] += max(len(cand) - n + 1, 0)
    if min(matches) == 0:
        return 0.0
    log_bp = {"standard": min(0.0, 1 - r / c), "none": 0.0, "inverted": min(0.0, 1 - c / r), "always": 1 - r / c}[brevity]
    return math.exp(sum(math.log(m / t) for m, t in zip(matches, totals, strict=True)) / 4 + log_bp)


def bleu_no_clipping(candidates, references):
    """Counts every candidate n-gram found in the reference, however often it repeats."""
    return _bleu(candidates, references, clip=False)


def bleu_no_brevity_penalty(candidates, references):
    """Forgets the brevity penalty: short candidates are not punished."""
    return _bleu(candidates, references, brevity="none")


def bleu_sentence_average(candidates, references):
    """Averages sentence-level BLEU instead of pooling the counts over the corpus."""
    return _bleu(candidates, references, corpus=False)


def bleu_brevity_inverted(candidates, references):
    """Brevity penalty exp(1 - c/r) instead of exp(1 - r/c)."""
    return _bleu(candidates, references, brevity="inverted")


def bleu_brevity_always(candidates, references):
    """Applies exp(1 - r/c) even when the candidates are longer, rewarding them."""
    return _bleu(candidates, references, brevity="always")


# ---------------------------------------------------------------- check_beam_search


def _lp(length, alpha):
    return ((5 + length) / 6) ** alpha


def _beam(step_log_probs, bos, eos, k, max_steps, alpha, eos_counts=True, live_compete=True):
    alive, finished = [(0.0, [])], []
    for step in range(1, max_steps + 1):
        extensions = sorted(((s + lp, ids, t) for s, ids in alive for t, lp in enumerate(step_log_probs([bos] + ids).tolist())),
                            key=lambda e: -e[0])
        alive = []
        for rank, (s, ids, t) in enumerate(extensions[:2 * k]):
            if t == eos:
                if rank < k and len(finished) < k and s > -math.inf:
                    finished.append((s / _lp(step if eos_counts else step - 1, alpha), ids))
            elif len(alive) < k:
                alive.append((s, ids + [t]))
        if len(finished) >= k:
            break
    if len(finished) < k and (live_compete or not finished):
        finished += [(s / _lp(len(ids), alpha), ids) for s, ids in alive]
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


WRONG = {
    "check_eos_mask": [mask_not_eos, mask_excludes_eos, mask_argmax_length, mask_last_eos],
    "check_masked_cross_entropy": [ce_counts_padding, ce_divides_by_batch, ce_mean_after_masking, ce_pad_is_zero, ce_item],
    "check_beam_step": [step_ignores_scores, step_best_per_hypothesis, step_wrong_unravel, step_unsorted],
    "check_corpus_bleu": [bleu_no_clipping, bleu_no_brevity_penalty, bleu_sentence_average, bleu_brevity_inverted,
                          bleu_brevity_always],
    "check_beam_search": [beam_no_normalisation, beam_keeps_finished, beam_greedy, beam_returns_eos, beam_length_without_eos,
                          beam_drops_live_at_limit],
}

# ---------------------------------------------------------------- right answers written differently: must pass


def step_in_float64(scores, log_probs, k):
    """A right beam step that computes in float64."""
    totals = scores.double()[:, None] + log_probs.double()
    new_scores, flat = totals.reshape(-1).topk(k)
    return new_scores, flat // log_probs.shape[1], flat % log_probs.shape[1]


def bleu_as_numpy_float32(candidates, references):
    """A right BLEU returned as a NumPy float32."""
    return np.float32(_bleu(candidates, references))


def beam_returns_tensor_ids(step_log_probs, bos, eos, beam_size, max_steps, alpha):
    """A right search that returns a list of one-element tensors and calls the model with a tensor prefix."""
    def model(prefix):
        return step_log_probs(torch.tensor(prefix))
    return [torch.tensor(i) for i in _beam(model, bos, eos, beam_size, max_steps, alpha)]


RIGHT = {
    "check_beam_step": [step_in_float64],
    "check_corpus_bleu": [bleu_as_numpy_float32],
    "check_beam_search": [beam_returns_tensor_ids],
}
