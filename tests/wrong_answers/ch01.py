"""Plausible wrong answers to the Chapter 1 exercises: each checker must reject every one of them."""

import torch

# ---------------------------------------------------------------- check_rnn_step


def rnn_step_relu(x, h, W_xh, W_hh, b_h):
    """Uses ReLU instead of tanh."""
    return torch.relu(x @ W_xh + h @ W_hh + b_h)


def rnn_step_no_bias(x, h, W_xh, W_hh, b_h):
    """Forgets the bias."""
    return torch.tanh(x @ W_xh + h @ W_hh)


def rnn_step_transposed_hh(x, h, W_xh, W_hh, b_h):
    """Multiplies by the transpose of W_hh (nn.RNNCell's layout)."""
    return torch.tanh(x @ W_xh + h @ W_hh.T + b_h)


def rnn_step_in_place(x, h, W_xh, W_hh, b_h):
    """Right values, but overwrites the caller's h in place."""
    h.copy_(torch.tanh(x @ W_xh + h @ W_hh + b_h))
    return h


# ---------------------------------------------------------------- check_perplexity


def perplexity_no_exp(logits, targets):
    """Returns the mean cross-entropy, forgetting the exponential."""
    return torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1)).item()


def perplexity_mean_of_sequences(logits, targets):
    """Averages the per-sequence perplexities instead of exponentiating the overall mean."""
    losses = torch.nn.functional.cross_entropy(logits.transpose(1, 2), targets, reduction="none")  # (batch, steps)
    return losses.mean(dim=1).exp().mean().item()


def perplexity_softmax_over_steps(logits, targets):
    """Normalises over the steps dimension instead of the vocabulary."""
    log_probs = torch.log_softmax(logits, dim=1)
    return torch.exp(-log_probs.gather(2, targets[..., None]).mean()).item()


def perplexity_base_two(logits, targets):
    """Uses 2 ** cross-entropy although the cross-entropy is in nats."""
    loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))
    return (2**loss).item()


# ---------------------------------------------------------------- check_clip_gradients


def clip_per_tensor(params, max_norm):
    """Clips each gradient by its own norm instead of the global norm."""
    grads = [p.grad for p in params if p.grad is not None]
    norm = torch.sqrt(sum((g**2).sum() for g in grads))
    for g in grads:
        g_norm = g.norm()
        if g_norm > max_norm:
            g.mul_(max_norm / g_norm)
    return norm.item()


def clip_by_value(params, max_norm):
    """Clamps every entry to [-max_norm, max_norm] instead of rescaling."""
    grads = [p.grad for p in params if p.grad is not None]
    norm = torch.sqrt(sum((g**2).sum() for g in grads))
    for g in grads:
        g.clamp_(-max_norm, max_norm)
    return norm.item()


def clip_no_return(params, max_norm):
    """Clips correctly but forgets to return the norm."""
    grads = [p.grad for p in params if p.grad is not None]
    norm = torch.sqrt(sum((g**2).sum() for g in grads))
    if norm > max_norm:
        for g in grads:
            g.mul_(max_norm / norm)


def clip_always_rescale(params, max_norm):
    """Rescales to max_norm even when the norm is already below it."""
    grads = [p.grad for p in params if p.grad is not None]
    norm = torch.sqrt(sum((g**2).sum() for g in grads))
    for g in grads:
        g.mul_(max_norm / norm)
    return norm.item()


def clip_returns_norm_after(params, max_norm):
    """Clips correctly but returns the norm after clipping."""
    grads = [p.grad for p in params if p.grad is not None]
    norm = torch.sqrt(sum((g**2).sum() for g in grads))
    if norm > max_norm:
        for g in grads:
            g.mul_(max_norm / norm)
    return min(norm.item(), max_norm)


def clip_ignores_none(params, max_norm):
    """Assumes every parameter has a gradient (crashes on grad None)."""
    norm = torch.sqrt(sum((p.grad**2).sum() for p in params))
    if norm > max_norm:
        for p in params:
            p.grad.mul_(max_norm / norm)
    return norm.item()


# ---------------------------------------------------------------- check_sample_with_temperature


def sample_times_temperature(logits, temperature, generator):
    """Multiplies the logits by T instead of dividing."""
    probs = torch.softmax(logits * temperature, dim=-1)
    return torch.multinomial(probs, 1, generator=generator).item()


def sample_ignores_temperature(logits, temperature, generator):
    """Forgets the temperature."""
    probs = torch.softmax(logits, dim=-1)
    return torch.multinomial(probs, 1, generator=generator).item()


def sample_greedy(logits, temperature, generator):
    """Always returns the argmax (greedy decoding)."""
    return logits.argmax().item()


def sample_global_rng(logits, temperature, generator):
    """Right distribution, but draws from the global RNG instead of the generator."""
    probs = torch.softmax(logits / temperature, dim=-1)
    return torch.multinomial(probs, 1).item()


def sample_naive_exp(logits, temperature, generator):
    """Normalises exp(z / T) by hand, which overflows for a tiny T."""
    weights = torch.exp(logits / temperature)
    return torch.multinomial(weights / weights.sum(), 1, generator=generator).item()


def sample_in_place(logits, temperature, generator):
    """Divides the caller's logits by T in place."""
    logits /= temperature
    return torch.multinomial(torch.softmax(logits, dim=-1), 1, generator=generator).item()


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


WRONG = {
    "check_rnn_step": [rnn_step_relu, rnn_step_no_bias, rnn_step_transposed_hh, rnn_step_in_place],
    "check_perplexity": [perplexity_no_exp, perplexity_mean_of_sequences, perplexity_softmax_over_steps, perplexity_base_two],
    "check_clip_gradients": [clip_per_tensor, clip_by_value, clip_no_return, clip_always_rescale, clip_returns_norm_after,
                             clip_ignores_none],
    "check_sample_with_temperature": [sample_times_temperature, sample_ignores_temperature, sample_greedy, sample_global_rng,
                                      sample_naive_exp, sample_in_place],
    "check_truncated_bptt": [tbptt_never_detach, tbptt_one_step_late, tbptt_one_step_early, tbptt_detach_stored_state,
                             tbptt_every_step, tbptt_detach_once],
}
