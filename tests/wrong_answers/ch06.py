"""Plausible wrong answers to the Chapter 6 exercises: each checker must reject every one of them."""

import math

import torch

# ---------------------------------------------------------------- check_positional_encoding


def _omega(d, dtype=torch.float32):
    return 10000 ** (-torch.arange(0, d, 2, dtype=dtype) / d)


def pe_sin_cos_swapped(max_len, d):
    """Puts cos in the even columns and sin in the odd ones."""
    pos = torch.arange(max_len, dtype=torch.float32)[:, None]
    P = torch.zeros(max_len, d)
    P[:, 0::2], P[:, 1::2] = torch.cos(pos * _omega(d)), torch.sin(pos * _omega(d))
    return P


def pe_exponent_i(max_len, d):
    """Uses 10000^(-i/d) for pair i instead of 10000^(-2i/d)."""
    pos = torch.arange(max_len, dtype=torch.float32)[:, None]
    omega = 10000 ** (-torch.arange(d // 2, dtype=torch.float32) / d)
    P = torch.zeros(max_len, d)
    P[:, 0::2], P[:, 1::2] = torch.sin(pos * omega), torch.cos(pos * omega)
    return P


def pe_halves(max_len, d):
    """All sines first, then all cosines, instead of alternating columns."""
    pos = torch.arange(max_len, dtype=torch.float32)[:, None]
    return torch.cat([torch.sin(pos * _omega(d)), torch.cos(pos * _omega(d))], dim=1)


def pe_positions_from_one(max_len, d):
    """Counts positions from 1 instead of 0."""
    pos = torch.arange(1, max_len + 1, dtype=torch.float32)[:, None]
    P = torch.zeros(max_len, d)
    P[:, 0::2], P[:, 1::2] = torch.sin(pos * _omega(d)), torch.cos(pos * _omega(d))
    return P


# ---------------------------------------------------------------- check_causal_softmax


def causal_sees_next(scores):
    """Lets position t see t + 1 (the mask starts one diagonal too high)."""
    T = scores.shape[-1]
    future = torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=2)
    return torch.softmax(scores.masked_fill(future, -math.inf), dim=-1)


def causal_mask_after_softmax(scores):
    """Zeroes the future weights after the softmax, so rows no longer sum to 1."""
    T = scores.shape[-1]
    return torch.softmax(scores, dim=-1) * torch.tril(torch.ones(T, T))


def causal_sees_only_future(scores):
    """Masks the past instead of the future (the transposed mask)."""
    T = scores.shape[-1]
    past = torch.tril(torch.ones(T, T, dtype=torch.bool), diagonal=-1)
    return torch.softmax(scores.masked_fill(past, -math.inf), dim=-1)


def causal_in_place(scores):
    """Right values, but writes −∞ into the caller's scores."""
    T = scores.shape[-1]
    scores.masked_fill_(torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1), -math.inf)
    return torch.softmax(scores, dim=-1)


# ---------------------------------------------------------------- check_position_wise_ffn


def ffn_no_nonlinearity(X, W1, b1, W2, b2):
    """Forgets the ReLU: two linear layers in a row."""
    return (X @ W1 + b1) @ W2 + b2


def ffn_relu_after_output(X, W1, b1, W2, b2):
    """Applies ReLU after the second layer as well."""
    return torch.relu(torch.relu(X @ W1 + b1) @ W2 + b2)


def ffn_relu_before_bias(X, W1, b1, W2, b2):
    """Adds the first bias after the ReLU."""
    return (torch.relu(X @ W1) + b1) @ W2 + b2


# ---------------------------------------------------------------- check_add_norm


def _layer_norm(Y, gamma, beta, eps=1e-5, unbiased=False):
    mean = Y.mean(dim=-1, keepdim=True)
    var = Y.var(dim=-1, keepdim=True, unbiased=unbiased)
    return (Y - mean) / torch.sqrt(var + eps) * gamma + beta


def add_norm_pre_norm(X, sublayer, gamma, beta):
    """Pre-norm, x + F(LN(x)), where post-norm was asked for."""
    return X + sublayer(_layer_norm(X, gamma, beta))


def add_norm_unbiased_variance(X, sublayer, gamma, beta):
    """Divides the variance by d - 1 (torch.var's default)."""
    return _layer_norm(X + sublayer(X), gamma, beta, unbiased=True)


def add_norm_over_batch(X, sublayer, gamma, beta):
    """Normalises each feature over the batch and the positions: batch normalisation."""
    Y = X + sublayer(X)
    return (Y - Y.mean(dim=(0, 1))) / torch.sqrt(Y.var(dim=(0, 1), unbiased=False) + 1e-5) * gamma + beta


def add_norm_residual_after_norm(X, sublayer, gamma, beta):
    """Normalises the sublayer's output and adds the residual afterwards: LN(F(x)) + x."""
    return _layer_norm(sublayer(X), gamma, beta) + X


# ---------------------------------------------------------------- check_shift_matrix


def shift_transposed(k, d):
    """Rotates the wrong way: its blocks are [[cos, -sin], [sin, cos]], which is M_{-k}."""
    omega = _omega(d, torch.float64)
    M = torch.zeros(d, d, dtype=torch.float64)
    cos, sin = torch.cos(k * omega), torch.sin(k * omega)
    M[0::2, 0::2], M[0::2, 1::2], M[1::2, 0::2], M[1::2, 1::2] = torch.diag(cos), torch.diag(-sin), torch.diag(sin), torch.diag(cos)
    return M


def shift_angle_k(k, d):
    """Rotates every pair by the angle k instead of k·ω_i."""
    M = torch.zeros(d, d, dtype=torch.float64)
    c, s = math.cos(k), math.sin(k)
    for i in range(0, d, 2):
        M[i, i], M[i, i + 1], M[i + 1, i], M[i + 1, i + 1] = c, s, -s, c
    return M


def shift_identity_times_k(k, d):
    """Confuses a shift of the position with a shift of the code: returns the identity plus k."""
    return torch.eye(d, dtype=torch.float64) + k


# ---------------------------------------------------------------- check_online_attention


def online_no_rescale(q, K, V):
    """Tracks the running maximum but never rescales the old sums when it grows."""
    m, c, a, outputs = -math.inf, 0.0, torch.zeros(V.shape[1], dtype=V.dtype), []
    for k_t, v_t in zip(K, V, strict=True):
        s = q @ k_t / math.sqrt(len(q))
        m = max(m, s.item())
        c = c + math.exp(s.item() - m)
        a = a + math.exp(s.item() - m) * v_t
        outputs.append(a / c)
    return torch.stack(outputs)


def online_naive_exp(q, K, V):
    """Running sums of e^s without any maximum: overflows for large scores."""
    c, a, outputs = torch.zeros((), dtype=V.dtype), torch.zeros(V.shape[1], dtype=V.dtype), []
    for k_t, v_t in zip(K, V, strict=True):
        w = torch.exp(q @ k_t / math.sqrt(len(q)))
        c, a = c + w, a + w * v_t
        outputs.append(a / c)
    return torch.stack(outputs)


def online_not_causal(q, K, V):
    """Every row attends to all tokens, the future included."""
    weights = torch.softmax(K @ q / math.sqrt(len(q)), dim=0)
    return (weights @ V).expand(len(K), -1).clone()


def online_scale_by_d(q, K, V):
    """Divides the scores by d instead of √d."""
    T = len(K)
    scores = (K @ q / len(q)).expand(T, T)
    future = torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1)
    return torch.softmax(scores.masked_fill(future, -math.inf), dim=-1) @ V


WRONG = {
    "check_positional_encoding": [pe_sin_cos_swapped, pe_exponent_i, pe_halves, pe_positions_from_one],
    "check_causal_softmax": [causal_sees_next, causal_mask_after_softmax, causal_sees_only_future, causal_in_place],
    "check_position_wise_ffn": [ffn_no_nonlinearity, ffn_relu_after_output, ffn_relu_before_bias],
    "check_add_norm": [add_norm_pre_norm, add_norm_unbiased_variance, add_norm_over_batch, add_norm_residual_after_norm],
    "check_shift_matrix": [shift_transposed, shift_angle_k, shift_identity_times_k],
    "check_online_attention": [online_no_rescale, online_naive_exp, online_not_causal, online_scale_by_d],
}
