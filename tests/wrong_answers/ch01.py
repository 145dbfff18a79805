"""Plausible wrong answers to the Chapter 1 exercises (each checker must reject every one of them),
and right answers written differently from the reference solutions (each must pass)."""

import collections
import math

import numpy as np
import torch
import torch.nn.functional as F

# ---------------------------------------------------------------- check_rnn_step


def rnn_step_swapped_order(x, h, W, b):
    """Concatenates [h, x] although the first columns of W belong to x."""
    return torch.tanh(torch.cat([h, x], dim=1) @ W.T + b)


def rnn_step_no_transpose(x, h, W, b):
    """Multiplies by W instead of Wᵀ (the exercises' old d × h convention)."""
    return torch.tanh(torch.cat([x, h], dim=1) @ W + b)


def rnn_step_split_at_hiddens(x, h, W, b):
    """Splits W into its blocks at column `hiddens` instead of column `inputs`."""
    hiddens = h.shape[1]
    return torch.tanh(x @ W[:, hiddens:].T + h @ W[:, :hiddens].T + b)


def rnn_step_relu(x, h, W, b):
    """Uses ReLU instead of tanh."""
    return torch.relu(torch.cat([x, h], dim=1) @ W.T + b)


def rnn_step_no_bias(x, h, W, b):
    """Forgets the bias."""
    return torch.tanh(torch.cat([x, h], dim=1) @ W.T)


def rnn_step_in_place(x, h, W, b):
    """Right values, but overwrites the caller's h in place."""
    h.copy_(torch.tanh(torch.cat([x, h], dim=1) @ W.T + b))
    return h


def rnn_step_sigmoid(x, h, W, b):
    """Squashes with a sigmoid, which is right only near zero... and not even there."""
    return torch.sigmoid(torch.cat([x, h], dim=1) @ W.T + b)


# ---------------------------------------------------------------- check_perplexity


def _token_losses(logits, targets):
    return F.cross_entropy(logits.transpose(1, 2), targets, reduction="none")  # (batch, steps)


def perplexity_ignores_mask(logits, targets, mask):
    """Averages over every position, padding included."""
    return _token_losses(logits, targets).mean().exp().item()


def perplexity_mean_of_sequences(logits, targets, mask):
    """Averages the per-sequence mean losses instead of all real tokens together."""
    losses = _token_losses(logits, targets) * mask
    return (losses.sum(dim=1) / mask.sum(dim=1)).mean().exp().item()


def perplexity_divides_by_all_positions(logits, targets, mask):
    """Zeroes the padding but divides by batch × steps instead of the number of real tokens."""
    return ((_token_losses(logits, targets) * mask).sum() / mask.numel()).exp().item()


def perplexity_naive_softmax(logits, targets, mask):
    """Normalises exp(logits) by hand, which overflows for large logits."""
    probs = logits.exp() / logits.exp().sum(dim=-1, keepdim=True)
    true = probs.gather(-1, targets[..., None])[..., 0]
    return torch.exp(-true.log()[mask].mean()).item()


def perplexity_base_two(logits, targets, mask):
    """Uses 2 ** cross-entropy although the cross-entropy is in nats."""
    return (2 ** _token_losses(logits, targets)[mask].mean()).item()


def perplexity_no_exp(logits, targets, mask):
    """Returns the mean cross-entropy, forgetting the exponential."""
    return _token_losses(logits, targets)[mask].mean().item()


def perplexity_inverted_mask(logits, targets, mask):
    """Reads True as padding."""
    losses = _token_losses(logits, targets)
    return (losses[~mask] if (~mask).any() else losses).mean().exp().item()


def perplexity_prefix_lengths(logits, targets, mask):
    """Turns the mask into lengths and keeps a prefix of each row: wrong when the mask has holes."""
    lengths = mask.sum(dim=1)
    keep = torch.arange(mask.shape[1])[None, :] < lengths[:, None]
    return _token_losses(logits, targets)[keep].mean().exp().item()


def perplexity_mean_probability(logits, targets, mask):
    """Inverts the mean probability of the true tokens instead of exponentiating the mean loss."""
    probs = torch.softmax(logits, dim=-1).gather(-1, targets[..., None])[..., 0]
    return (1 / probs[mask].mean()).item()


# ---------------------------------------------------------------- check_clip_by_value


def _grads(params):
    return [p.grad for p in params if p.grad is not None]


def _cosine64(before, after):
    return (before @ after / (before.norm() * after.norm())).item()


def clip_value_before_is_a_reference(params, limit):
    """Keeps references to the gradients as 'before', so after clamp_ the cosine compares the clipped gradient with itself."""
    before = _grads(params)
    for g in before:
        g.clamp_(-limit, limit)
    flat_before = torch.cat([g.flatten() for g in before]).double()
    flat_after = torch.cat([g.flatten() for g in _grads(params)]).double()
    return _cosine64(flat_before, flat_after)


def clip_value_only_above(params, limit):
    """Clamps only the large positive entries, clamp_(max=limit)."""
    before = torch.cat([g.flatten() for g in _grads(params)]).double()
    for g in _grads(params):
        g.clamp_(max=limit)
    return _cosine64(before, torch.cat([g.flatten() for g in _grads(params)]).double())


def clip_value_by_norm(params, limit):
    """Rescales the global norm to `limit` (clipping by norm), not each entry."""
    grads = _grads(params)
    before = torch.cat([g.flatten() for g in grads]).double()
    norm = before.norm().item()
    if norm > limit:
        for g in grads:
            g.mul_(limit / norm)
    return _cosine64(before, torch.cat([g.flatten() for g in grads]).double())


def clip_value_float32_cosine(params, limit):
    """Right clipping, but the cosine in float32: the squares of an exploded gradient overflow (and tiny ones underflow)."""
    grads = _grads(params)
    before = torch.cat([g.flatten() for g in grads])
    for g in grads:
        g.clamp_(-limit, limit)
    after = torch.cat([g.flatten() for g in grads])
    return (before @ after / (before.norm() * after.norm())).item()


def clip_value_cosine_similarity(params, limit):
    """Uses F.cosine_similarity in float32, which returns 0 for an exploded gradient of 1e20."""
    grads = _grads(params)
    before = torch.cat([g.flatten() for g in grads])
    for g in grads:
        g.clamp_(-limit, limit)
    return F.cosine_similarity(before, torch.cat([g.flatten() for g in grads]), dim=0).item()


def clip_value_per_tensor_mean(params, limit):
    """Averages the cosines of the tensors instead of the cosine of the joint gradient."""
    cosines = []
    for g in _grads(params):
        before = g.double().flatten()
        g.clamp_(-limit, limit)
        cosines.append(_cosine64(before, g.double().flatten()))
    return sum(cosines) / len(cosines)


def clip_value_not_in_place(params, limit):
    """Computes the clipped gradients but never writes them back."""
    before = torch.cat([g.flatten() for g in _grads(params)]).double()
    return _cosine64(before, before.clamp(-limit, limit))


def clip_value_returns_angle(params, limit):
    """Returns the angle in radians instead of its cosine."""
    before = torch.cat([g.flatten() for g in _grads(params)]).double()
    for g in _grads(params):
        g.clamp_(-limit, limit)
    cosine = _cosine64(before, torch.cat([g.flatten() for g in _grads(params)]).double())
    return math.acos(min(1.0, cosine))


def clip_value_ignores_none(params, limit):
    """Assumes every parameter has a gradient (crashes on grad None)."""
    before = torch.cat([p.grad.flatten() for p in params]).double()
    for p in params:
        p.grad.clamp_(-limit, limit)
    return _cosine64(before, torch.cat([p.grad.flatten() for p in params]).double())


# ---------------------------------------------------------------- check_sample_top_k


def _top_k_probs(logits, k, temperature, fill=-math.inf, keep=None):
    z = logits / temperature
    kth = z.topk(keep or k, dim=-1).values[:, -1:]
    return torch.softmax(z.masked_fill(z < kth, fill), dim=-1)


def top_k_one_too_many(logits, k, temperature, generator):
    """Keeps the k + 1 largest logits."""
    keep = min(k + 1, logits.shape[-1])
    return torch.multinomial(_top_k_probs(logits, k, temperature, keep=keep), 1, generator=generator)[:, 0]


def top_k_masks_with_zero(logits, k, temperature, generator):
    """Sets the other logits to 0 instead of −∞, so they keep some probability (a lot, when the logits are negative)."""
    return torch.multinomial(_top_k_probs(logits, k, temperature, fill=0.0), 1, generator=generator)[:, 0]


def top_k_returns_rank(logits, k, temperature, generator):
    """Samples among the top k but returns the position within the top k, not the token's index."""
    values, _ = (logits / temperature).topk(k, dim=-1)
    return torch.multinomial(torch.softmax(values, dim=-1), 1, generator=generator)[:, 0]


def top_k_times_temperature(logits, k, temperature, generator):
    """Multiplies the logits by T instead of dividing."""
    return torch.multinomial(_top_k_probs(logits, k, 1 / temperature), 1, generator=generator)[:, 0]


def top_k_ignores_k(logits, k, temperature, generator):
    """Plain temperature sampling: forgets the top-k restriction."""
    return torch.multinomial(torch.softmax(logits / temperature, dim=-1), 1, generator=generator)[:, 0]


def top_k_global_rng(logits, k, temperature, generator):
    """Right distribution, but draws from the global RNG instead of the generator."""
    return torch.multinomial(_top_k_probs(logits, k, temperature), 1)[:, 0]


def top_k_one_draw_for_all(logits, k, temperature, generator):
    """Draws one token from the first row and returns it for every row."""
    index = torch.multinomial(_top_k_probs(logits[:1], k, temperature), 1, generator=generator)[0, 0]
    return index.repeat(logits.shape[0])


def top_k_over_batch(logits, k, temperature, generator):
    """Finds the top k along the batch dimension instead of the vocabulary."""
    z = logits / temperature
    kth = z.topk(min(k, z.shape[0]), dim=0).values[-1:]
    return torch.multinomial(torch.softmax(z.masked_fill(z < kth, -math.inf), dim=-1), 1, generator=generator)[:, 0]


def top_k_in_place(logits, k, temperature, generator):
    """Divides the caller's logits by T and masks them in place."""
    logits /= temperature
    kth = logits.topk(k, dim=-1).values[:, -1:]
    logits.masked_fill_(logits < kth, -math.inf)
    return torch.multinomial(torch.softmax(logits, dim=-1), 1, generator=generator)[:, 0]


def top_k_power_of_probs(logits, k, temperature, generator):
    """Raises the probabilities to the power 1/T by hand: right in exact arithmetic, but p ** 1000 underflows to 0."""
    probs = torch.softmax(logits, dim=-1)
    kth = probs.topk(k, dim=-1).values[:, -1:]
    weights = probs.masked_fill(probs < kth, 0.0) ** (1 / temperature)
    return torch.multinomial(weights / weights.sum(dim=-1, keepdim=True), 1, generator=generator)[:, 0]


def top_k_returns_list(logits, k, temperature, generator):
    """Returns a Python list instead of a tensor."""
    return torch.multinomial(_top_k_probs(logits, k, temperature), 1, generator=generator)[:, 0].tolist()


# ---------------------------------------------------------------- check_truncated_bptt


def tbptt_never_detach(cell, xs, h0, k):
    """Never detaches: this is full BPTT."""
    h, states = h0, []
    for x in xs:
        h = cell(x, h)
        states.append(h)
    return torch.stack(states)


def tbptt_one_step_late(cell, xs, h0, k):
    """Detaches one step late, before steps k + 1, 2k + 1, ..."""
    h, states = h0, []
    for t, x in enumerate(xs):
        if t > k and t % k == 1:
            h = h.detach()
        h = cell(x, h)
        states.append(h)
    return torch.stack(states)


def tbptt_one_step_early(cell, xs, h0, k):
    """Detaches one step early, before steps k - 1, 2k - 1, ..."""
    h, states = h0, []
    for t, x in enumerate(xs):
        if t % k == k - 1:
            h = h.detach()
        h = cell(x, h)
        states.append(h)
    return torch.stack(states)


def tbptt_detach_stored_state(cell, xs, h0, k):
    """Detaches after step k - 1 but stores the detached state as that step's output."""
    h, states = h0, []
    for t, x in enumerate(xs):
        h = cell(x, h)
        if (t + 1) % k == 0:
            h = h.detach()
        states.append(h)
    return torch.stack(states)


def tbptt_every_step(cell, xs, h0, k):
    """Detaches before every step, ignoring k."""
    h, states = h0, []
    for x in xs:
        h = cell(x, h.detach())
        states.append(h)
    return torch.stack(states)


def tbptt_detach_once(cell, xs, h0, k):
    """Detaches only at step k, not at 2k, 3k, ..."""
    h, states = h0, []
    for t, x in enumerate(xs):
        if t == k:
            h = h.detach()
        h = cell(x, h)
        states.append(h)
    return torch.stack(states)


def tbptt_no_grad_at_boundary(cell, xs, h0, k):
    """Runs the first step of each chunk under torch.no_grad(), which also cuts that step's own gradients."""
    h, states = h0, []
    for t, x in enumerate(xs):
        if t > 0 and t % k == 0:
            with torch.no_grad():
                h = cell(x, h)
        else:
            h = cell(x, h)
        states.append(h)
    return torch.stack(states)


def tbptt_detaches_input(cell, xs, h0, k):
    """Detaches the input of steps k, 2k, ... instead of the hidden state."""
    h, states = h0, []
    for t, x in enumerate(xs):
        h = cell(x.detach() if t > 0 and t % k == 0 else x, h)
        states.append(h)
    return torch.stack(states)


def tbptt_chunks_of_k_plus_one(cell, xs, h0, k):
    """Cuts every k + 1 steps."""
    h, states = h0, []
    for t, x in enumerate(xs):
        if t > 0 and t % (k + 1) == 0:
            h = h.detach()
        h = cell(x, h)
        states.append(h)
    return torch.stack(states)


# ---------------------------------------------------------------- check_state_gradients


def _backward(H, W_hh, C, step_term=True, transpose=False, derivative=lambda H: 1 - H**2, shift=1):
    steps = C.shape[0]
    W = W_hh.T if transpose else W_hh
    G = [None] * (steps + 1)
    G[steps] = C[steps - 1]
    for t in range(steps - 1, -1, -1):
        back = (G[t + 1] * derivative(H[min(t + shift, steps)])) @ W
        G[t] = back + C[t - 1] if t > 0 and step_term else back
    return torch.stack(G)


def grads_transposed(H, W_hh, C):
    """Multiplies by W_hhᵀ: in the row convention ∂L/∂H_{t-1} = (∂L/∂A_t) W_hh, without the transpose."""
    return _backward(H, W_hh, C, transpose=True)


def grads_no_step_term(H, W_hh, C):
    """Backpropagates only the loss on the last state, forgetting the terms C_t of the earlier steps."""
    return _backward(H, W_hh, C, step_term=False)


def grads_wrong_derivative(H, W_hh, C):
    """Uses 1 − H as the derivative of tanh instead of 1 − H²."""
    return _backward(H, W_hh, C, derivative=lambda H: 1 - H)


def grads_derivative_of_wrong_step(H, W_hh, C):
    """Uses the derivative at H_t instead of H_{t+1}, the state that the matrix W_hh fed."""
    return _backward(H, W_hh, C, shift=0)


def grads_no_derivative(H, W_hh, C):
    """Forgets the tanh: multiplies by W_hh alone, as for a linear RNN."""
    return _backward(H, W_hh, C, derivative=lambda H: torch.ones_like(H))


def grads_pre_activation(H, W_hh, C):
    """Returns ∂L/∂A_t, the gradient of the pre-activations, instead of ∂L/∂H_t."""
    G = _backward(H, W_hh, C)
    return torch.cat([G[:1], G[1:] * (1 - H[1:] ** 2)])


def grads_without_h0(H, W_hh, C):
    """Returns the gradients of H_1 ... H_T only, not of the initial state H_0."""
    return _backward(H, W_hh, C)[1:]


def grads_float16(H, W_hh, C):
    """Right recursion on inputs rounded to float16 to save memory: far too imprecise."""
    return _backward(H.half().float(), W_hh.half().float(), C.half().float()).double()


# ---------------------------------------------------------------- check_sgd_clipping


def _norm(params):
    return math.sqrt(sum((p.grad.double() ** 2).sum().item() for p in params if p.grad is not None))


def sgd_per_tensor_clip(params, lr, theta):
    """Clips each gradient by its own norm instead of the global norm."""
    norm = _norm(params)
    with torch.no_grad():
        for p in params:
            if p.grad is not None:
                g_norm = p.grad.norm().item()
                factor = 1.0 if theta is None or g_norm <= theta else theta / g_norm
                p -= lr * factor * p.grad
    return norm


def sgd_always_rescale(params, lr, theta):
    """Rescales the gradient to norm θ even when it is shorter."""
    norm = _norm(params)
    with torch.no_grad():
        for p in params:
            if p.grad is not None:
                p -= lr * (1.0 if theta is None else theta / norm) * p.grad
    return norm


def sgd_returns_norm_after(params, lr, theta):
    """Right update, but returns the norm after clipping."""
    norm = _norm(params)
    factor = 1.0 if theta is None or norm <= theta else theta / norm
    with torch.no_grad():
        for p in params:
            if p.grad is not None:
                p -= lr * factor * p.grad
    return norm * factor


def sgd_rebinds(params, lr, theta):
    """Computes p - lr * g into a new tensor and rebinds the loop variable: the parameters never change."""
    norm = _norm(params)
    factor = 1.0 if theta is None or norm <= theta else theta / norm
    for p in params:
        if p.grad is not None:
            p = p - lr * factor * p.grad
    return norm


def sgd_clips_by_value(params, lr, theta):
    """Clamps every gradient entry to [−θ, θ] instead of clipping the norm."""
    norm = _norm(params)
    with torch.no_grad():
        for p in params:
            if p.grad is not None:
                p -= lr * (p.grad if theta is None else p.grad.clamp(-theta, theta))
    return norm


def sgd_ignores_theta_none(params, lr, theta):
    """Treats θ = None as θ = 1."""
    return _sgd_right(params, lr, 1.0 if theta is None else theta)


def _sgd_right(params, lr, theta):
    norm = _norm(params)
    factor = 1.0 if theta is None or norm <= theta else theta / norm
    with torch.no_grad():
        for p in params:
            if p.grad is not None:
                p -= lr * factor * p.grad
    return norm


def sgd_wrong_sign(params, lr, theta):
    """Adds the gradient: gradient ascent."""
    norm = _norm(params)
    factor = 1.0 if theta is None or norm <= theta else theta / norm
    with torch.no_grad():
        for p in params:
            if p.grad is not None:
                p += lr * factor * p.grad
    return norm


def sgd_squared_norm(params, lr, theta):
    """Compares the squared norm with θ (forgets the square root)."""
    squared = _norm(params) ** 2
    factor = 1.0 if theta is None or squared <= theta else theta / squared
    with torch.no_grad():
        for p in params:
            if p.grad is not None:
                p -= lr * factor * p.grad
    return math.sqrt(squared)


def sgd_lr_inside_clip(params, lr, theta):
    """Clips the step lr·g to norm θ instead of the gradient g."""
    norm = _norm(params)
    step_norm = lr * norm
    factor = 1.0 if theta is None or step_norm <= theta else theta / step_norm
    with torch.no_grad():
        for p in params:
            if p.grad is not None:
                p -= lr * factor * p.grad
    return norm


# ---------------------------------------------------------------- check_add_k_perplexity


def _counts(train, n):
    grams = collections.Counter(tuple(train[i : i + n]) for i in range(len(train) - n + 1))
    return grams


def _add_k(train, heldout, n, k, vocab_size, context_count, denominator_v=None, start=None, log=math.log):
    grams = _counts(train, n)
    nll = 0.0
    first = n - 1 if start is None else start
    for t in range(first, len(heldout)):
        context = tuple(heldout[max(0, t - n + 1) : t])
        gram = tuple(heldout[max(0, t - n + 1) : t + 1])
        V = vocab_size if denominator_v is None else denominator_v
        nll -= log((grams[gram] + k) / (context_count(context) + k * V))
    return math.exp(nll / (len(heldout) - first))


def add_k_counts_every_context_occurrence(train, heldout, n, k, vocab_size):
    """Counts a context wherever it occurs in the training text, also at its very end where no token follows it."""
    contexts = _counts(train, n - 1)
    return _add_k(train, heldout, n, k, vocab_size, lambda c: contexts[c] if n > 1 else len(train))


def _contexts_of(train, n):
    contexts = collections.Counter()
    for gram, count in _counts(train, n).items():
        contexts[gram[:-1]] += count
    return contexts


def add_k_without_kv(train, heldout, n, k, vocab_size):
    """Adds k to the denominator instead of k·|V|: the probabilities no longer sum to 1."""
    contexts = _contexts_of(train, n)
    return _add_k(train, heldout, n, k, vocab_size, lambda c: contexts[c], denominator_v=1)


def add_k_seen_vocabulary(train, heldout, n, k, vocab_size):
    """Uses the number of distinct tokens in the training text instead of vocab_size."""
    contexts = _contexts_of(train, n)
    return _add_k(train, heldout, n, k, vocab_size, lambda c: contexts[c], denominator_v=len(set(train)))


def add_k_shorter_contexts_at_start(train, heldout, n, k, vocab_size):
    """Also predicts the first n − 1 held-out tokens, from truncated contexts."""
    contexts = _contexts_of(train, n)
    return _add_k(train, heldout, n, k, vocab_size, lambda c: contexts[c], start=0)


def add_k_log_base_two(train, heldout, n, k, vocab_size):
    """Sums log2 probabilities but exponentiates with e."""
    contexts = _contexts_of(train, n)
    return _add_k(train, heldout, n, k, vocab_size, lambda c: contexts[c], log=math.log2)


def add_k_product_of_probabilities(train, heldout, n, k, vocab_size):
    """Multiplies the probabilities, which underflows to 0 on a long held-out text."""
    grams, contexts = _counts(train, n), _contexts_of(train, n)
    product, count = 1.0, 0
    for t in range(n - 1, len(heldout)):
        product *= (grams[tuple(heldout[t - n + 1 : t + 1])] + k) / (contexts[tuple(heldout[t - n + 1 : t])] + k * vocab_size)
        count += 1
    return product ** (-1 / count)


def add_k_counts_heldout_too(train, heldout, n, k, vocab_size):
    """Counts the n-grams of the training and the held-out text: the model has seen the test."""
    return RIGHT_add_k_numpy(train + heldout, heldout, n, k, vocab_size)


def add_k_context_of_n_tokens(train, heldout, n, k, vocab_size):
    """Conditions on n tokens instead of n − 1 (an (n + 1)-gram model on the tokens from position n − 1)."""
    contexts = _contexts_of(train, n + 1)
    grams = _counts(train, n + 1)
    nll, count = 0.0, 0
    for t in range(n - 1, len(heldout)):
        context = tuple(heldout[max(0, t - n) : t])
        nll -= math.log((grams[context + (heldout[t],)] + k) / (contexts[context] + k * vocab_size))
        count += 1
    return math.exp(nll / count)


def add_k_mean_probability(train, heldout, n, k, vocab_size):
    """Returns 1 / (mean probability) instead of exp(mean negative log-probability)."""
    grams, contexts = _counts(train, n), _contexts_of(train, n)
    probs = [(grams[tuple(heldout[t - n + 1 : t + 1])] + k) / (contexts[tuple(heldout[t - n + 1 : t])] + k * vocab_size)
             for t in range(n - 1, len(heldout))]
    return len(probs) / sum(probs)


# ---------------------------------------------------------------- found last: five near misses tried after the checkers were done


def perplexity_log_of_softmax(logits, targets, mask):
    """Takes log(softmax(·)) instead of log_softmax: −inf when the true token's probability underflows."""
    probs = torch.softmax(logits, dim=-1)
    true = probs.gather(-1, targets[..., None])[..., 0].log()
    return torch.exp(-true[mask].mean()).item()


def top_k_one_threshold_for_batch(logits, k, temperature, generator):
    """Uses one threshold for the whole batch, the smallest of all rows' top-k values."""
    z = logits / temperature
    kth = z.topk(k, dim=-1).values.min()
    return torch.multinomial(torch.softmax(z.masked_fill(z < kth, -math.inf), dim=-1), 1, generator=generator)[:, 0]


def tbptt_detach_in_place(cell, xs, h0, k):
    """Cuts with h.detach_(), which also detaches the state already stored as the previous step's output."""
    h, states = h0, []
    for t, x in enumerate(xs):
        if t > 0 and t % k == 0:
            h.detach_()
        h = cell(x, h)
        states.append(h)
    return torch.stack(states)


def tbptt_chunks_from_the_end(cell, xs, h0, k):
    """Aligns the chunks with the end of the sequence: cuts before steps T − k, T − 2k, ..."""
    h, states, T = h0, [], len(xs)
    for t, x in enumerate(xs):
        if t > 0 and (T - t) % k == 0:
            h = h.detach()
        h = cell(x, h)
        states.append(h)
    return torch.stack(states)


_CACHE = {}


def add_k_cached_counts(train, heldout, n, k, vocab_size):
    """Caches the counts by n, so a second training text of the same n reuses the first one's counts."""
    if n not in _CACHE:
        grams = collections.Counter(tuple(train[i : i + n]) for i in range(len(train) - n + 1))
        contexts = collections.Counter()
        for g, c in grams.items():
            contexts[g[:-1]] += c
        _CACHE[n] = (grams, contexts)
    grams, contexts = _CACHE[n]
    lp = sum(math.log((grams[tuple(heldout[t - n + 1 : t + 1])] + k) / (contexts[tuple(heldout[t - n + 1 : t])] + k * vocab_size))
             for t in range(n - 1, len(heldout)))
    return math.exp(-lp / (len(heldout) - n + 1))


WRONG = {
    "check_rnn_step": [rnn_step_swapped_order, rnn_step_no_transpose, rnn_step_split_at_hiddens, rnn_step_relu, rnn_step_no_bias,
                       rnn_step_in_place, rnn_step_sigmoid],
    "check_perplexity": [perplexity_ignores_mask, perplexity_mean_of_sequences, perplexity_divides_by_all_positions,
                         perplexity_naive_softmax, perplexity_base_two, perplexity_no_exp, perplexity_inverted_mask,
                         perplexity_prefix_lengths, perplexity_mean_probability, perplexity_log_of_softmax],
    "check_clip_by_value": [clip_value_before_is_a_reference, clip_value_only_above, clip_value_by_norm, clip_value_float32_cosine,
                            clip_value_cosine_similarity, clip_value_per_tensor_mean, clip_value_not_in_place, clip_value_returns_angle,
                            clip_value_ignores_none],
    "check_sample_top_k": [top_k_one_too_many, top_k_masks_with_zero, top_k_returns_rank, top_k_times_temperature, top_k_ignores_k,
                           top_k_global_rng, top_k_one_draw_for_all, top_k_over_batch, top_k_in_place, top_k_power_of_probs,
                           top_k_returns_list, top_k_one_threshold_for_batch],
    "check_truncated_bptt": [tbptt_never_detach, tbptt_one_step_late, tbptt_one_step_early, tbptt_detach_stored_state,
                             tbptt_every_step, tbptt_detach_once, tbptt_no_grad_at_boundary, tbptt_detaches_input,
                             tbptt_chunks_of_k_plus_one, tbptt_detach_in_place, tbptt_chunks_from_the_end],
    "check_state_gradients": [grads_transposed, grads_no_step_term, grads_wrong_derivative, grads_derivative_of_wrong_step,
                              grads_no_derivative, grads_pre_activation, grads_without_h0, grads_float16],
    "check_sgd_clipping": [sgd_per_tensor_clip, sgd_always_rescale, sgd_returns_norm_after, sgd_rebinds, sgd_clips_by_value,
                           sgd_ignores_theta_none, sgd_wrong_sign, sgd_squared_norm, sgd_lr_inside_clip],
    "check_add_k_perplexity": [add_k_counts_every_context_occurrence, add_k_without_kv, add_k_seen_vocabulary,
                               add_k_shorter_contexts_at_start, add_k_log_base_two, add_k_product_of_probabilities,
                               add_k_counts_heldout_too, add_k_context_of_n_tokens, add_k_mean_probability, add_k_cached_counts],
}

# ---------------------------------------------------------------- right answers written differently: must pass


def RIGHT_rnn_two_blocks(x, h, W, b):
    """Splits W into W_xh and W_hh and adds the two products, in float64."""
    inputs = x.shape[1]
    W_xh, W_hh = W[:, :inputs].double(), W[:, inputs:].double()
    return torch.tanh(x.double() @ W_xh.T + h.double() @ W_hh.T + b.double()).float()


def RIGHT_rnn_einsum(x, h, W, b):
    """Column vectors through einsum."""
    return torch.tanh(torch.einsum("hk,bk->bh", W, torch.cat((x, h), 1)) + b)


def RIGHT_perplexity_weighted(logits, targets, mask):
    """Zeroes the padding losses with the mask and divides by the number of real tokens, in float64 NumPy."""
    losses = F.cross_entropy(logits.double().transpose(1, 2), targets, reduction="none").numpy()
    weights = mask.numpy().astype(np.float64)
    return float(np.exp((losses * weights).sum() / weights.sum()))


def RIGHT_perplexity_logsumexp(logits, targets, mask):
    """log p = z_y − logsumexp(z), selected with the mask; returns a 0-dimensional tensor."""
    z = logits[mask]                     # (N, vocab)
    y = targets[mask]                    # (N,)
    log_p = z.gather(1, y[:, None])[:, 0] - torch.logsumexp(z, dim=1)
    return torch.exp(-log_p.mean())


def RIGHT_clip_value_where(params, limit):
    """Clips with torch.where, normalises before the dot product (safe in float32), returns a tensor."""
    grads = [p.grad for p in params if p.grad is not None]
    before = torch.cat([g.flatten() for g in grads])
    for g in grads:
        g.copy_(torch.where(g.abs() > limit, limit * g.sign(), g))
    after = torch.cat([g.flatten() for g in grads])
    u, v = before / before.abs().max(), after / after.abs().max()
    return (u @ v) / (u.norm() * v.norm())


def RIGHT_clip_value_numpy(params, limit):
    """The cosine in NumPy float64, the clipping through torch.nn.utils.clip_grad_value_."""
    before = np.concatenate([p.grad.numpy().ravel().astype(np.float64) for p in params if p.grad is not None])
    torch.nn.utils.clip_grad_value_(params, limit)
    after = np.concatenate([p.grad.numpy().ravel().astype(np.float64) for p in params if p.grad is not None])
    return float(before @ after / (np.linalg.norm(before) * np.linalg.norm(after)))


def RIGHT_top_k_gumbel(logits, k, temperature, generator):
    """The Gumbel-max trick: the argmax of z / T + Gumbel noise over the top k samples from softmax."""
    z = logits.double() / temperature
    kth = z.topk(k, dim=-1).values[:, -1:]
    u = torch.rand(z.shape, generator=generator, dtype=torch.float64).clamp_min(1e-300)
    noisy = z - torch.log(-torch.log(u))
    return noisy.masked_fill(z < kth, -math.inf).argmax(dim=-1)


def RIGHT_top_k_scatter(logits, k, temperature, generator):
    """Samples a rank among the top k, then maps it back to the token with gather."""
    values, indices = logits.topk(k, dim=-1)
    ranks = torch.multinomial(torch.softmax(values / temperature, dim=-1), 1, generator=generator)
    return indices.gather(1, ranks)[:, 0].to(torch.int32)


def RIGHT_tbptt_data(cell, xs, h0, k):
    """Cuts with .data at t = 0 as well (harmless: h0 needs no gradient), and collects with a comprehension."""
    h, states = h0, []
    for t in range(len(xs)):
        if t % k == 0:
            h = h.data
        h = cell(xs[t], h)
        states.append(h)
    return torch.stack(states)


def RIGHT_tbptt_chunks(cell, xs, h0, k):
    """Runs chunk by chunk, detaching the carried state between chunks."""
    h, chunks = h0, []
    for start in range(0, len(xs), k):
        h = h if start == 0 else h.detach()
        for x in xs[start : start + k]:
            h = cell(x, h)
            chunks.append(h)
    return torch.stack(chunks)


def RIGHT_grads_jacobians(H, W_hh, C):
    """Builds each step's Jacobian J_t = diag(1 − H_t²) W_hh explicitly, example by example."""
    steps, batch, hiddens = C.shape
    G = torch.zeros(steps + 1, batch, hiddens, dtype=H.dtype)
    for i in range(batch):
        g = C[-1, i]
        G[steps, i] = g
        for t in range(steps, 0, -1):
            J = torch.diag(1 - H[t, i] ** 2) @ W_hh        # ∂H_t / ∂H_{t-1}, column convention
            g = J.T @ g + (C[t - 2, i] if t >= 2 else 0)
            G[t - 1, i] = g
    return G


def RIGHT_grads_numpy(H, W_hh, C):
    """The same recursion in NumPy."""
    H, W, C = H.numpy(), W_hh.numpy(), C.numpy()
    steps = C.shape[0]
    G = np.zeros_like(H)
    G[steps] = C[-1]
    for t in range(steps - 1, -1, -1):
        G[t] = (G[t + 1] * (1 - H[t + 1] ** 2)) @ W + (C[t - 1] if t > 0 else 0)
    return torch.from_numpy(G)


def RIGHT_sgd_torch(params, lr, theta):
    """torch.nn.utils.clip_grad_norm_ and torch.optim.SGD."""
    with_grad = [p for p in params if p.grad is not None]
    if theta is None:
        norm = torch.nn.utils.clip_grad_norm_(with_grad, math.inf)
    else:
        norm = torch.nn.utils.clip_grad_norm_(with_grad, theta)
    torch.optim.SGD(with_grad, lr=lr).step()
    return norm


def RIGHT_sgd_data(params, lr, theta):
    """Updates p.data with add_ and returns a 0-dimensional tensor."""
    grads = [p.grad for p in params if p.grad is not None]
    norm = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g.double()) for g in grads]))
    factor = 1.0 if theta is None else min(1.0, theta / norm.item())
    for p in params:
        if p.grad is not None:
            p.data.add_(p.grad, alpha=-lr * factor)
    return norm


def RIGHT_add_k_numpy(train, heldout, n, k, vocab_size):
    """Counts with a dictionary of contexts, sums log-probabilities with NumPy."""
    table = collections.defaultdict(collections.Counter)
    for i in range(len(train) - n + 1):
        table[tuple(train[i : i + n - 1])][train[i + n - 1]] += 1
    probs = []
    for t in range(n - 1, len(heldout)):
        successors = table.get(tuple(heldout[t - n + 1 : t]), collections.Counter())
        probs.append((successors[heldout[t]] + k) / (sum(successors.values()) + k * vocab_size))
    return float(np.exp(-np.log(np.array(probs)).mean()))


def RIGHT_add_k_tensor(train, heldout, n, k, vocab_size):
    """Encodes each n-gram as one integer and counts with torch.unique; returns a tensor."""
    def codes(tokens, m):
        t = torch.tensor(tokens, dtype=torch.long)
        if len(t) < m:
            return torch.zeros(0, dtype=torch.long)
        windows = t.unfold(0, m, 1) if m > 0 else torch.zeros(len(t) + 1, 0, dtype=torch.long)
        powers = vocab_size ** torch.arange(m - 1, -1, -1)
        return (windows * powers).sum(dim=1)

    def count(table_codes, query):
        values, counts = torch.unique(table_codes, return_counts=True)
        position = torch.searchsorted(values, query).clamp(max=max(len(values) - 1, 0))
        found = (values[position] == query) if len(values) else torch.zeros_like(query, dtype=torch.bool)
        return torch.where(found, counts[position] if len(values) else 0, 0).double()

    gram_codes = codes(train, n)
    context_codes = gram_codes // vocab_size                      # drop the last token
    held_grams = codes(heldout, n)
    p = (count(gram_codes, held_grams) + k) / (count(context_codes, held_grams // vocab_size) + k * vocab_size)
    return torch.exp(-torch.log(p).mean())


def RIGHT_grads_atanh(H, W_hh, C):
    """Recovers tanh'(A_t) from the pre-activation atanh(H_t) (exact saturation gives 1/cosh(∞)² = 0, as it should)."""
    steps = C.shape[0]
    G = [C[-1]]
    for t in range(steps - 1, -1, -1):
        derivative = 1 / torch.cosh(torch.atanh(H[t + 1])) ** 2
        G.insert(0, (G[0] * derivative) @ W_hh + (C[t - 1] if t > 0 else 0))
    return torch.stack(G)


def RIGHT_top_k_softmax_first(logits, k, temperature, generator):
    """Takes the softmax over the whole vocabulary first and keeps the top k probabilities unnormalised (multinomial normalises)."""
    probs = torch.softmax(logits / temperature, dim=-1)
    values, indices = probs.topk(k, dim=-1)
    return indices.gather(1, torch.multinomial(values, 1, generator=generator))[:, 0]


RIGHT = {
    "check_rnn_step": [RIGHT_rnn_two_blocks, RIGHT_rnn_einsum],
    "check_perplexity": [RIGHT_perplexity_weighted, RIGHT_perplexity_logsumexp],
    "check_clip_by_value": [RIGHT_clip_value_where, RIGHT_clip_value_numpy],
    "check_sample_top_k": [RIGHT_top_k_gumbel, RIGHT_top_k_scatter, RIGHT_top_k_softmax_first],
    "check_truncated_bptt": [RIGHT_tbptt_data, RIGHT_tbptt_chunks],
    "check_state_gradients": [RIGHT_grads_jacobians, RIGHT_grads_numpy, RIGHT_grads_atanh],
    "check_sgd_clipping": [RIGHT_sgd_torch, RIGHT_sgd_data],
    "check_add_k_perplexity": [RIGHT_add_k_numpy, RIGHT_add_k_tensor],
}
