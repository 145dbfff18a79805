"""Plausible wrong answers to the Chapter 5 exercises (each checker must reject every one of them),
and right answers written differently (each must pass)."""

import math

import numpy as np
import torch
from torch.nn import functional as F

# ---------------------------------------------------------------- check_masked_softmax


def _keep(scores, valid_lens):
    return torch.arange(scores.shape[-1]) < valid_lens.reshape(-1, *[1] * (scores.dim() - 1))


def masked_softmax_minus_1e6(scores, valid_lens):
    """Masks with −1e6, which overflows float16 (and leaves empty rows uniform)."""
    return torch.softmax(scores.masked_fill(~_keep(scores, valid_lens), -1e6), dim=-1)


def masked_softmax_minus_1e6_zeroed(scores, valid_lens):
    """Masks with −1e6 and zeroes empty rows: float16 cannot hold −1e6."""
    keep = _keep(scores, valid_lens)
    return torch.softmax(scores.masked_fill(~keep, -1e6), dim=-1) * keep


def masked_softmax_minus_1e4(scores, valid_lens):
    """Masks with −1e4, which fits in float16 but is not below every real score."""
    keep = _keep(scores, valid_lens)
    return torch.softmax(scores.masked_fill(~keep, -1e4), dim=-1) * keep


def masked_softmax_inf_nan_to_num(scores, valid_lens):
    """Right: masks with −∞ and turns the NaN of empty rows into 0 (PyTorch's softmax backward then gives 0, not NaN)."""
    return torch.softmax(scores.masked_fill(~_keep(scores, valid_lens), -math.inf), dim=-1).nan_to_num(0.0)


def masked_softmax_uniform_rows(scores, valid_lens):
    """Chapter 5's convention: an empty row gets uniform weights instead of zeros."""
    return torch.softmax(scores.masked_fill(~_keep(scores, valid_lens), torch.finfo(scores.dtype).min), dim=-1)


def masked_softmax_additive_mask(scores, valid_lens):
    """Adds finfo.min to the masked scores: a very negative score plus finfo.min overflows to −∞."""
    keep = _keep(scores, valid_lens)
    mask = torch.zeros_like(scores).masked_fill(~keep, torch.finfo(scores.dtype).min)
    return torch.softmax(scores + mask, dim=-1) * keep


def masked_softmax_float32_min(scores, valid_lens):
    """Always fills with float32's minimum, whatever the dtype."""
    keep = _keep(scores, valid_lens)
    return torch.softmax(scores.masked_fill(~keep, torch.finfo(torch.float32).min), dim=-1) * keep


def masked_softmax_returns_float32(scores, valid_lens):
    """Computes in float32 and returns float32 for float16 scores."""
    keep = _keep(scores, valid_lens)
    return torch.softmax(scores.float().masked_fill(~keep, -1e9), dim=-1) * keep


def masked_softmax_zero_after(scores, valid_lens):
    """Zeroes the padded weights after the softmax, without renormalising."""
    return torch.softmax(scores, dim=-1) * _keep(scores, valid_lens)


def masked_softmax_three_axes_only(scores, valid_lens):
    """Builds the mask for (batch, queries, keys) only: wrong with a heads axis."""
    keep = torch.arange(scores.shape[-1]) < valid_lens[:, None, None]
    return torch.softmax(scores.masked_fill(~keep, torch.finfo(scores.dtype).min), dim=-1) * keep


def masked_softmax_one_too_many(scores, valid_lens):
    """Compares with <= instead of <: one padded key too many."""
    keep = torch.arange(scores.shape[-1]) <= valid_lens.reshape(-1, *[1] * (scores.dim() - 1))
    return torch.softmax(scores.masked_fill(~keep, torch.finfo(scores.dtype).min), dim=-1) * keep


def masked_softmax_detached(scores, valid_lens):
    """Right values, but computed on detached scores: no gradient."""
    scores = scores.detach()
    keep = _keep(scores, valid_lens)
    return torch.softmax(scores.masked_fill(~keep, torch.finfo(scores.dtype).min), dim=-1) * keep


def masked_softmax_in_place(scores, valid_lens):
    """Right values, but writes the masking value into the caller's scores."""
    keep = _keep(scores, valid_lens)
    with torch.no_grad():
        scores.masked_fill_(~keep, torch.finfo(scores.dtype).min)
    return torch.softmax(scores, dim=-1) * keep


# ---------------------------------------------------------------- check_masked_attention


def _attend(Q, K, V, allowed, scale=None):
    scores = Q @ K.transpose(-2, -1) / math.sqrt(scale or Q.shape[-1])
    return torch.softmax(scores.masked_fill(~allowed, -math.inf), dim=-1).nan_to_num(0.0) @ V


def _lens(valid_lens, Q):
    return valid_lens.reshape(-1, *[1] * (Q.dim() - 1))


def masked_attention_top_left(Q, K, V, valid_lens):
    """Aligns the causal mask to the top left (query i sees keys ≤ i), as is_causal=True does."""
    n_q, n_k = Q.shape[-2], K.shape[-2]
    causal = torch.ones(n_q, n_k, dtype=torch.bool).tril()
    return _attend(Q, K, V, causal & (torch.arange(n_k) < _lens(valid_lens, Q)))


def masked_attention_is_causal(Q, K, V, valid_lens):
    """Calls F.scaled_dot_product_attention with is_causal=True and a padding mask folded into attn_mask."""
    n_k = K.shape[-2]
    return F.scaled_dot_product_attention(Q, K, V, attn_mask=torch.arange(n_k) < _lens(valid_lens, Q)) \
        if Q.shape[-2] == 1 else F.scaled_dot_product_attention(Q, K, V, is_causal=True)


def masked_attention_no_padding(Q, K, V, valid_lens):
    """Only the causal mask: the padding mask is forgotten."""
    n_q, n_k = Q.shape[-2], K.shape[-2]
    return _attend(Q, K, V, torch.arange(n_k) <= torch.arange(n_k - n_q, n_k)[:, None])


def masked_attention_no_causal(Q, K, V, valid_lens):
    """Only the padding mask: the causal mask is forgotten."""
    return _attend(Q, K, V, torch.arange(K.shape[-2]) < _lens(valid_lens, Q))


def masked_attention_or(Q, K, V, valid_lens):
    """Combines the two masks with OR instead of AND."""
    n_q, n_k = Q.shape[-2], K.shape[-2]
    causal = torch.arange(n_k) <= torch.arange(n_k - n_q, n_k)[:, None]
    return _attend(Q, K, V, causal | (torch.arange(n_k) < _lens(valid_lens, Q)))


def masked_attention_strict(Q, K, V, valid_lens):
    """Uses < in the causal mask: a token cannot see itself."""
    n_q, n_k = Q.shape[-2], K.shape[-2]
    causal = torch.arange(n_k) < torch.arange(n_k - n_q, n_k)[:, None]
    return _attend(Q, K, V, causal & (torch.arange(n_k) < _lens(valid_lens, Q)))


def masked_attention_scale_by_value_size(Q, K, V, valid_lens):
    """Scales the scores by the square root of the values' size."""
    n_q, n_k = Q.shape[-2], K.shape[-2]
    causal = torch.arange(n_k) <= torch.arange(n_k - n_q, n_k)[:, None]
    return _attend(Q, K, V, causal & (torch.arange(n_k) < _lens(valid_lens, Q)), scale=V.shape[-1])


def masked_attention_mask_after(Q, K, V, valid_lens):
    """Zeroes the disallowed weights after the softmax, without renormalising."""
    n_q, n_k = Q.shape[-2], K.shape[-2]
    allowed = (torch.arange(n_k) <= torch.arange(n_k - n_q, n_k)[:, None]) & (torch.arange(n_k) < _lens(valid_lens, Q))
    return (torch.softmax(Q @ K.transpose(-2, -1) / math.sqrt(Q.shape[-1]), -1) * allowed) @ V


def masked_attention_detached(Q, K, V, valid_lens):
    """Right values through NumPy: the gradients are lost."""
    n_q, n_k = Q.shape[-2], K.shape[-2]
    allowed = ((np.arange(n_k) <= np.arange(n_k - n_q, n_k)[:, None])
               & (np.arange(n_k) < valid_lens.numpy().reshape(-1, *[1] * (Q.dim() - 1))))
    scores = Q.detach().numpy() @ np.swapaxes(K.detach().numpy(), -1, -2) / math.sqrt(Q.shape[-1])
    scores = np.where(allowed, scores, -np.inf)
    weights = np.exp(scores - scores.max(-1, keepdims=True))
    return torch.from_numpy(weights / weights.sum(-1, keepdims=True) @ V.detach().numpy())


# ---------------------------------------------------------------- check_additive_scores


def additive_no_tanh(queries, keys, W_q, W_k, w_v):
    """Forgets the tanh: the score becomes a query term plus a key term."""
    return ((queries @ W_q.T).unsqueeze(2) + (keys @ W_k.T).unsqueeze(1)) @ w_v


def additive_tanh_after_w_v(queries, keys, W_q, W_k, w_v):
    """Applies the tanh after multiplying by w_v."""
    return torch.tanh(((queries @ W_q.T).unsqueeze(2) + (keys @ W_k.T).unsqueeze(1)) @ w_v)


def additive_keys_first(queries, keys, W_q, W_k, w_v):
    """Swaps the unsqueezes: scores of shape (batch, keys, queries)."""
    return torch.tanh((queries @ W_q.T).unsqueeze(1) + (keys @ W_k.T).unsqueeze(2)) @ w_v


def additive_not_transposed(queries, keys, W_q, W_k, w_v):
    """Multiplies by W instead of Wᵀ: right only when the matrices are symmetric."""
    return torch.tanh((queries @ W_q).unsqueeze(2) + (keys @ W_k).unsqueeze(1)) @ w_v


def additive_swapped_projections(queries, keys, W_q, W_k, w_v):
    """Projects the queries with W_k and the keys with W_q."""
    return torch.tanh((queries @ W_k.T).unsqueeze(2) + (keys @ W_q.T).unsqueeze(1)) @ w_v


def additive_loop_over_pairs(queries, keys, W_q, W_k, w_v):
    """Right values, but one (query, key) pair at a time in a comprehension."""
    return torch.stack([torch.stack([torch.tanh(queries[:, i] @ W_q.T + keys[:, j] @ W_k.T) @ w_v
                                     for j in range(keys.shape[1])], -1) for i in range(queries.shape[1])], 1)


def additive_map_over_queries(queries, keys, W_q, W_k, w_v):
    """Right values, but a map over the queries with a lambda (a loop in disguise)."""
    k = keys @ W_k.T
    return torch.stack(list(map(lambda q: torch.tanh(q[:, None] @ W_q.T + k) @ w_v, queries.unbind(1))), 1)


def additive_detached(queries, keys, W_q, W_k, w_v):
    """Right values computed in NumPy: the gradients are lost."""
    q, k = queries.detach().numpy() @ W_q.detach().numpy().T, keys.detach().numpy() @ W_k.detach().numpy().T
    return torch.from_numpy(np.tanh(q[:, :, None] + k[:, None]) @ w_v.detach().numpy())


# ---------------------------------------------------------------- check_multi_head_attention


def _mha(X, W_q, W_k, W_v, W_o, num_heads, split, merge, scale=None, project_out=True, transpose=True):
    batch, steps, d = X.shape
    size = d // num_heads
    Q, K, V = (split(X @ (W.T if transpose else W)) for W in (W_q, W_k, W_v))
    weights = torch.softmax(Q @ K.transpose(-2, -1) / math.sqrt(scale or size), dim=-1)
    merged = merge(weights @ V)
    return merged @ (W_o.T if transpose else W_o) if project_out else merged


def _split(num_heads, X):
    return lambda M: M.reshape(X.shape[0], X.shape[1], num_heads, -1).transpose(1, 2)


def _merge(X):
    return lambda H: H.transpose(1, 2).reshape(X.shape)


def mha_split_without_transpose(X, W_q, W_k, W_v, W_o, num_heads):
    """Splits the heads by a plain reshape to (batch, heads, steps, size): mixes positions and heads."""
    batch, steps, d = X.shape
    return _mha(X, W_q, W_k, W_v, W_o, num_heads, split=lambda M: M.reshape(batch, num_heads, steps, d // num_heads),
                merge=lambda H: H.reshape(batch, steps, d))


def mha_merge_without_transpose(X, W_q, W_k, W_v, W_o, num_heads):
    """Splits correctly but merges by a plain reshape, without transposing back."""
    return _mha(X, W_q, W_k, W_v, W_o, num_heads, _split(num_heads, X), merge=lambda H: H.reshape(X.shape))


def mha_scale_by_model_width(X, W_q, W_k, W_v, W_o, num_heads):
    """Scales the scores by sqrt(d) instead of sqrt(d / heads)."""
    return _mha(X, W_q, W_k, W_v, W_o, num_heads, _split(num_heads, X), _merge(X), scale=X.shape[-1])


def mha_no_output_projection(X, W_q, W_k, W_v, W_o, num_heads):
    """Forgets to multiply the merged heads by W_o."""
    return _mha(X, W_q, W_k, W_v, W_o, num_heads, _split(num_heads, X), _merge(X), project_out=False)


def mha_not_transposed(X, W_q, W_k, W_v, W_o, num_heads):
    """Computes X W instead of X Wᵀ: the exercises' old convention."""
    return _mha(X, W_q, W_k, W_v, W_o, num_heads, _split(num_heads, X), _merge(X), transpose=False)


def mha_loop_over_heads(X, W_q, W_k, W_v, W_o, num_heads):
    """Right values, but a for loop over the heads."""
    size = X.shape[-1] // num_heads
    Q, K, V = X @ W_q.T, X @ W_k.T, X @ W_v.T
    heads = []
    for i in range(num_heads):
        cols = slice(i * size, (i + 1) * size)
        heads.append(torch.softmax(Q[..., cols] @ K[..., cols].transpose(-2, -1) / math.sqrt(size), dim=-1) @ V[..., cols])
    return torch.cat(heads, dim=-1) @ W_o.T


def mha_generator_over_heads(X, W_q, W_k, W_v, W_o, num_heads):
    """Right values, but a generator over the chunks of each head (a loop in disguise)."""
    size = X.shape[-1] // num_heads
    chunks = zip(*((X @ W.T).split(size, dim=-1) for W in (W_q, W_k, W_v)), strict=True)
    return torch.cat(tuple(torch.softmax(q @ k.mT / math.sqrt(size), -1) @ v for q, k, v in chunks), -1) @ W_o.T


def mha_map_over_heads(X, W_q, W_k, W_v, W_o, num_heads):
    """Right values, but map with a lambda over the heads."""
    size = X.shape[-1] // num_heads
    Q, K, V = ((X @ W.T).split(size, dim=-1) for W in (W_q, W_k, W_v))
    head = lambda q, k, v: torch.softmax(q @ k.mT / math.sqrt(size), -1) @ v  # noqa: E731
    return torch.cat(list(map(head, Q, K, V)), -1) @ W_o.T


def mha_detached(X, W_q, W_k, W_v, W_o, num_heads):
    """Right values, but under torch.no_grad(): no gradient."""
    with torch.no_grad():
        return _mha(X, W_q, W_k, W_v, W_o, num_heads, _split(num_heads, X), _merge(X))


# ---------------------------------------------------------------- check_attention_backward


def _forward(Q, K, V, c=None):
    c = 1 / math.sqrt(Q.shape[-1]) if c is None else c
    A = torch.softmax(Q @ K.transpose(-2, -1) * c, -1)
    return A, A @ V, c


def backward_autograd(Q, K, V, G):
    """Right values, by calling autograd instead of deriving them."""
    leaves = [t.detach().clone().requires_grad_() for t in (Q, K, V)]
    with torch.enable_grad():
        return torch.autograd.grad((_forward(*leaves)[1] * G).sum(), leaves)


def backward_func_vjp(Q, K, V, G):
    """Right values, through torch.func.vjp (autograd again)."""
    _, vjp = torch.func.vjp(lambda q, k, v: _forward(q, k, v)[1], Q, K, V)
    return vjp(G)


def backward_no_scale(Q, K, V, G):
    """Forgets the factor 1/√d in dQ and dK."""
    A, out, c = _forward(Q, K, V)
    dS = A * (G @ V.transpose(-2, -1) - (G * out).sum(-1, keepdim=True))
    return dS @ K, dS.transpose(-2, -1) @ Q, A.transpose(-2, -1) @ G


def backward_diagonal_softmax(Q, K, V, G):
    """Uses only the diagonal of the softmax Jacobian: dS = α ⊙ dα."""
    A, out, c = _forward(Q, K, V)
    dS = A * (G @ V.transpose(-2, -1))
    return c * dS @ K, c * dS.transpose(-2, -1) @ Q, A.transpose(-2, -1) @ G


def backward_row_sum_over_queries(Q, K, V, G):
    """Subtracts the sum over the queries instead of over the keys."""
    A, out, c = _forward(Q, K, V)
    dA = G @ V.transpose(-2, -1)
    dS = A * (dA - (A * dA).sum(-2, keepdim=True))
    return c * dS @ K, c * dS.transpose(-2, -1) @ Q, A.transpose(-2, -1) @ G


def backward_dV_not_transposed(Q, K, V, G):
    """Computes dV with Aᵀ G's transpose mistake when n_q = n_k: G Aᵀ... as A G."""
    A, out, c = _forward(Q, K, V)
    dS = A * (G @ V.transpose(-2, -1) - (G * out).sum(-1, keepdim=True))
    dV = A @ G if A.shape[-1] == A.shape[-2] else A.transpose(-2, -1) @ G
    return c * dS @ K, c * dS.transpose(-2, -1) @ Q, dV


def backward_dK_from_dS(Q, K, V, G):
    """Computes dK with dS instead of dSᵀ when the shapes allow it."""
    A, out, c = _forward(Q, K, V)
    dS = A * (G @ V.transpose(-2, -1) - (G * out).sum(-1, keepdim=True))
    dK = c * dS @ Q if dS.shape[-1] == dS.shape[-2] else c * dS.transpose(-2, -1) @ Q
    return c * dS @ K, dK, A.transpose(-2, -1) @ G


def backward_scale_by_d(Q, K, V, G):
    """Uses 1/d instead of 1/√d in the backward pass (but √d forward)."""
    A, out, c = _forward(Q, K, V)
    dS = A * (G @ V.transpose(-2, -1) - (G * out).sum(-1, keepdim=True))
    d = Q.shape[-1]
    return dS @ K / d, dS.transpose(-2, -1) @ Q / d, A.transpose(-2, -1) @ G


# ---------------------------------------------------------------- check_luong_scores


def luong_general_transposed(s, h, W_a=None):
    """Uses W_aᵀ in the general score."""
    return s @ h.transpose(-2, -1) if W_a is None else s @ W_a.T @ h.transpose(-2, -1)


def luong_general_ignores_W(s, h, W_a=None):
    """Ignores W_a: general becomes dot."""
    return s @ h.transpose(-2, -1)


def luong_scaled_dot(s, h, W_a=None):
    """Divides both by √d (the Transformer's scale, not Luong's)."""
    scores = s @ h.transpose(-2, -1) if W_a is None else s @ W_a @ h.transpose(-2, -1)
    return scores / math.sqrt(s.shape[-1])


def luong_keys_first(s, h, W_a=None):
    """Returns (batch, keys, queries)."""
    return h @ s.transpose(-2, -1) if W_a is None else h @ W_a.T @ s.transpose(-2, -1)


def luong_detached(s, h, W_a=None):
    """Right values, but detached: no gradient reaches W_a."""
    return (s @ h.transpose(-2, -1) if W_a is None else s @ W_a @ h.transpose(-2, -1)).detach()


# ---------------------------------------------------------------- check_key_gradients


def _grad_norms(Q, K, V, G, c):
    K = K.detach().requires_grad_()
    with torch.enable_grad():
        scores = (K @ Q[:, :, None])[..., 0] * c
        out = (torch.softmax(scores, -1)[:, :, None] * V).sum(1)
        (grad,) = torch.autograd.grad((out * G).sum(), K)
    return grad.norm(dim=-1), scores.detach()


def key_gradients_by_index(Q, K, V, G, scaled):
    """Returns the norms in the order of the keys, not by score."""
    return _grad_norms(Q, K, V, G, 1 / math.sqrt(Q.shape[-1]) if scaled else 1.0)[0]


def key_gradients_ascending(Q, K, V, G, scaled):
    """Sorts by increasing score."""
    norms, scores = _grad_norms(Q, K, V, G, 1 / math.sqrt(Q.shape[-1]) if scaled else 1.0)
    return norms.gather(1, scores.argsort(-1))


def key_gradients_sorted_by_size(Q, K, V, G, scaled):
    """Sorts the gradient norms themselves, not the keys by score."""
    norms, _ = _grad_norms(Q, K, V, G, 1 / math.sqrt(Q.shape[-1]) if scaled else 1.0)
    return norms.sort(-1, descending=True).values


def key_gradients_ignore_scaled(Q, K, V, G, scaled):
    """Always scales by 1/√d, whatever `scaled` says."""
    norms, scores = _grad_norms(Q, K, V, G, 1 / math.sqrt(Q.shape[-1]))
    return norms.gather(1, scores.argsort(-1, descending=True))


def key_gradients_scale_by_d(Q, K, V, G, scaled):
    """Scales by 1/d instead of 1/√d."""
    norms, scores = _grad_norms(Q, K, V, G, 1 / Q.shape[-1] if scaled else 1.0)
    return norms.gather(1, scores.argsort(-1, descending=True))


def key_gradients_squared(Q, K, V, G, scaled):
    """Returns the squared norms."""
    norms, scores = _grad_norms(Q, K, V, G, 1 / math.sqrt(Q.shape[-1]) if scaled else 1.0)
    return (norms ** 2).gather(1, scores.argsort(-1, descending=True))


def key_gradients_of_values(Q, K, V, G, scaled):
    """Measures ∂L/∂v_j (the weights α_j ‖g‖) instead of ∂L/∂k_j."""
    c = 1 / math.sqrt(Q.shape[-1]) if scaled else 1.0
    scores = (K @ Q[:, :, None])[..., 0] * c
    norms = torch.softmax(scores, -1) * G.norm(dim=-1, keepdim=True)
    return norms.gather(1, scores.argsort(-1, descending=True))


# ---------------------------------------------------------------- near misses added last, after the checkers were written

def masked_softmax_data_fill(scores, valid_lens):
    """Fills the masked scores with scores.min() − 1e4 and zeroes empty rows: overflows when scores are near float16's limit."""
    keep = torch.arange(scores.shape[-1]) < valid_lens.reshape(-1, *[1] * (scores.dim() - 1))
    fill = (scores.min() - 1e4).item()
    return torch.softmax(scores.masked_fill(~keep, fill), dim=-1) * keep


def masked_attention_zero_padded_queries(Q, K, V, valid_lens):
    """Right masks, but also zeroes the outputs of queries at padded positions."""
    n_q, n_k = Q.shape[-2], K.shape[-2]
    pos = torch.arange(n_k - n_q, n_k)[:, None]
    lens = valid_lens.reshape(-1, *[1] * (Q.dim() - 1))
    allowed = (torch.arange(n_k) <= pos) & (torch.arange(n_k) < lens)
    out = torch.softmax((Q @ K.mT / math.sqrt(Q.shape[-1])).masked_fill(~allowed, -math.inf), -1) @ V
    return out * (pos < lens).to(out.dtype)


def mha_strided_heads(X, W_q, W_k, W_v, W_o, num_heads):
    """Splits with reshape(batch, steps, size, heads): head i gets columns i, i + h, i + 2h, …"""
    b, s, d = X.shape
    size = d // num_heads
    Q, K, V = ((X @ W.T).reshape(b, s, size, num_heads).permute(0, 3, 1, 2) for W in (W_q, W_k, W_v))
    H = torch.softmax(Q @ K.mT / math.sqrt(size), -1) @ V
    return H.permute(0, 2, 3, 1).reshape(b, s, d) @ W_o.T


def key_gradients_mean_loss(Q, K, V, G, scaled):
    """Uses the mean over the batch as the loss instead of the sum."""
    K = K.detach().requires_grad_()
    c = Q.shape[-1] ** -0.5 if scaled else 1.0
    with torch.enable_grad():
        scores = torch.einsum("bd,bnd->bn", Q, K) * c
        out = torch.einsum("bn,bnv->bv", scores.softmax(-1), V)
        (grad,) = torch.autograd.grad((out * G).sum(-1).mean(), K)
    return grad.norm(dim=-1).gather(1, scores.detach().argsort(-1, descending=True))


def additive_hardtanh(queries, keys, W_q, W_k, w_v):
    """Uses hardtanh (a clipped line) instead of tanh."""
    return F.hardtanh((queries @ W_q.T).unsqueeze(2) + (keys @ W_k.T).unsqueeze(1)) @ w_v


def backward_unscaled_forward(Q, K, V, G):
    """Recomputes the weights without the 1/√d but keeps it in the chain rule."""
    c = Q.shape[-1] ** -0.5
    A = torch.softmax(Q @ K.mT, -1)
    out = A @ V
    dS = A * (G @ V.mT - (G * out).sum(-1, keepdim=True))
    return c * dS @ K, c * dS.mT @ Q, A.mT @ G


WRONG = {
    "check_masked_softmax": [masked_softmax_minus_1e6, masked_softmax_minus_1e6_zeroed, masked_softmax_minus_1e4,
                             masked_softmax_uniform_rows, masked_softmax_additive_mask,
                             masked_softmax_float32_min, masked_softmax_returns_float32, masked_softmax_zero_after,
                             masked_softmax_three_axes_only, masked_softmax_one_too_many, masked_softmax_detached,
                             masked_softmax_in_place, masked_softmax_data_fill],
    "check_masked_attention": [masked_attention_top_left, masked_attention_is_causal, masked_attention_no_padding,
                               masked_attention_no_causal, masked_attention_or, masked_attention_strict,
                               masked_attention_scale_by_value_size, masked_attention_mask_after, masked_attention_detached,
                               masked_attention_zero_padded_queries],
    "check_additive_scores": [additive_no_tanh, additive_tanh_after_w_v, additive_keys_first, additive_not_transposed,
                              additive_swapped_projections, additive_loop_over_pairs, additive_map_over_queries,
                              additive_detached, additive_hardtanh],
    "check_multi_head_attention": [mha_split_without_transpose, mha_merge_without_transpose, mha_scale_by_model_width,
                                   mha_no_output_projection, mha_not_transposed, mha_loop_over_heads,
                                   mha_generator_over_heads, mha_map_over_heads, mha_detached, mha_strided_heads],
    "check_attention_backward": [backward_autograd, backward_func_vjp, backward_no_scale, backward_diagonal_softmax,
                                 backward_row_sum_over_queries, backward_dV_not_transposed, backward_dK_from_dS,
                                 backward_scale_by_d, backward_unscaled_forward],
    "check_luong_scores": [luong_general_transposed, luong_general_ignores_W, luong_scaled_dot, luong_keys_first,
                           luong_detached],
    "check_key_gradients": [key_gradients_by_index, key_gradients_ascending, key_gradients_sorted_by_size,
                            key_gradients_ignore_scaled, key_gradients_scale_by_d, key_gradients_squared,
                            key_gradients_of_values, key_gradients_mean_loss],
}

# ---------------------------------------------------------------- right answers written differently: must pass


def masked_softmax_masked_fill(scores, valid_lens):
    """Right: masked_fill with finfo.min, then a multiplication by the mask for the empty rows."""
    keep = _keep(scores, valid_lens)
    return torch.softmax(scores.masked_fill(~keep, torch.finfo(scores.dtype).min), dim=-1) * keep


def masked_softmax_by_hand(scores, valid_lens):
    """Right: exp(s − max) over the real keys only, by hand, in float32, cast back."""
    keep = _keep(scores, valid_lens)
    s = scores.to(torch.promote_types(scores.dtype, torch.float32)).masked_fill(~keep, -math.inf)
    top = s.amax(-1, keepdim=True).nan_to_num(0.0, neginf=0.0)
    e = torch.exp(s - top) * keep
    total = e.sum(-1, keepdim=True)
    return (e / total.clamp_min(1e-30)).to(scores.dtype)


def masked_attention_sdpa(Q, K, V, valid_lens):
    """Right: F.scaled_dot_product_attention with a boolean mask aligned bottom right."""
    n_q, n_k = Q.shape[-2], K.shape[-2]
    causal = torch.ones(n_q, n_k, dtype=torch.bool).tril(diagonal=n_k - n_q)
    return F.scaled_dot_product_attention(Q, K, V, attn_mask=causal & (torch.arange(n_k) < _lens(valid_lens, Q)))


def masked_attention_float_mask(Q, K, V, valid_lens):
    """Right: an additive float mask of −1e9 for each forbidden key, two masks added."""
    n_q, n_k = Q.shape[-2], K.shape[-2]
    future = torch.arange(n_k) > torch.arange(n_k - n_q, n_k)[:, None]
    padding = torch.arange(n_k) >= _lens(valid_lens, Q)
    bias = -1e9 * future.to(Q.dtype) + -1e9 * padding.to(Q.dtype)
    return torch.softmax(torch.einsum("...id,...jd->...ij", Q, K) / Q.shape[-1] ** 0.5 + bias, -1) @ V


def additive_one_statement_over_lines(queries, keys, W_q, W_k, w_v):
    """Right: broadcast, written as one statement over several lines."""
    return torch.tanh(
        (queries @ W_q.T).unsqueeze(2)
        + (keys @ W_k.T).unsqueeze(1)
    ) @ w_v


def additive_einsum(queries, keys, W_q, W_k, w_v):
    """Right: einsum for the projections and the final contraction, float64 inside."""
    q = torch.einsum("bid,hd->bih", queries.double(), W_q.double())
    k = torch.einsum("bjd,hd->bjh", keys.double(), W_k.double())
    return torch.einsum("bijh,h->bij", torch.tanh(q[:, :, None] + k[:, None]), w_v.double())


def additive_comprehension_over_projections(queries, keys, W_q, W_k, w_v):
    """Right: a list comprehension over the two projections (a fixed two items, not a loop over pairs)."""
    q, k = [x @ W.T for x, W in ((queries, W_q), (keys, W_k))]
    return torch.tanh(q.unsqueeze(2) + k.unsqueeze(1)) @ w_v


def mha_comprehension_over_projections(X, W_q, W_k, W_v, W_o, num_heads):
    """Right: a list comprehension over q, k, v, and F.scaled_dot_product_attention for the heads."""
    batch, steps, d = X.shape
    Q, K, V = [(X @ W.T).view(batch, steps, num_heads, -1).permute(0, 2, 1, 3) for W in (W_q, W_k, W_v)]
    heads = F.scaled_dot_product_attention(Q, K, V)
    return heads.permute(0, 2, 1, 3).reshape(batch, steps, d) @ W_o.T


def mha_einsum(X, W_q, W_k, W_v, W_o, num_heads):
    """Right: einsum with the heads as an axis of the weight matrices, float64 inside."""
    batch, steps, d = X.shape
    size = d // num_heads
    Wq, Wk, Wv = (W.double().reshape(num_heads, size, d) for W in (W_q, W_k, W_v))
    Xd = X.double()
    Q, K, V = (torch.einsum("bsd,hed->bhse", Xd, W) for W in (Wq, Wk, Wv))
    A = torch.softmax(torch.einsum("bhse,bhte->bhst", Q, K) / math.sqrt(size), -1)
    heads = torch.einsum("bhst,bhte->bshe", A, V).reshape(batch, steps, d)
    return (heads @ W_o.double().T).to(X.dtype)


def backward_einsum(Q, K, V, G):
    """Right: the same formulas with einsum and the row sum written as Σ_j α_ij dα_ij."""
    d = Q.shape[-1]
    A = torch.softmax(torch.einsum("...id,...jd->...ij", Q, K) / d ** 0.5, -1)
    dA = torch.einsum("...iv,...jv->...ij", G, V)
    dS = A * (dA - (A * dA).sum(-1, keepdim=True))
    return (torch.einsum("...ij,...jd->...id", dS, K) / d ** 0.5, torch.einsum("...ij,...id->...jd", dS, Q) / d ** 0.5,
            torch.einsum("...ij,...iv->...jv", A, G))


def backward_jacobian_matrix(Q, K, V, G):
    """Right: builds the softmax Jacobian diag(α) − ααᵀ for every row explicitly."""
    c = Q.shape[-1] ** -0.5
    A = torch.softmax(Q @ K.mT * c, -1)
    J = torch.diag_embed(A) - A.unsqueeze(-1) * A.unsqueeze(-2)          # (…, n_q, n_k, n_k)
    dA = G @ V.mT
    dS = (J @ dA.unsqueeze(-1)).squeeze(-1)
    return c * dS @ K, c * dS.mT @ Q, A.mT @ G


def luong_einsum(s, h, W_a=None):
    """Right: einsum, with the identity standing in for a missing W_a."""
    W = torch.eye(s.shape[-1], dtype=s.dtype) if W_a is None else W_a
    return torch.einsum("bid,de,bje->bij", s, W, h)


def key_gradients_closed_form(Q, K, V, G, scaled):
    """Right: the closed form c α_j |g·v_j − g·o| ‖q‖, sorted with torch.sort."""
    c = Q.shape[-1] ** -0.5 if scaled else 1.0
    scores = torch.einsum("bd,bnd->bn", Q, K) * c
    alpha = scores.softmax(-1)
    gv = torch.einsum("bnv,bv->bn", V, G)
    go = (alpha * gv).sum(-1, keepdim=True)
    norms = c * alpha * (gv - go).abs() * Q.norm(dim=-1, keepdim=True)
    return norms.gather(1, scores.sort(-1, descending=True).indices)


RIGHT = {
    "check_masked_softmax": [masked_softmax_masked_fill, masked_softmax_by_hand, masked_softmax_inf_nan_to_num],
    "check_masked_attention": [masked_attention_sdpa, masked_attention_float_mask],
    "check_additive_scores": [additive_one_statement_over_lines, additive_einsum, additive_comprehension_over_projections],
    "check_multi_head_attention": [mha_comprehension_over_projections, mha_einsum],
    "check_attention_backward": [backward_einsum, backward_jacobian_matrix],
    "check_luong_scores": [luong_einsum],
    "check_key_gradients": [key_gradients_closed_form],
}
