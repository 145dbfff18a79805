"""Plausible wrong answers to the Chapter 5 exercises: each checker must reject every one of them."""

import math

import torch

# ---------------------------------------------------------------- check_masked_softmax


def masked_softmax_one_too_many(scores, valid_lens):
    """Compares with <= instead of <: one padded key too many takes part."""
    keep = torch.arange(scores.shape[-1]) <= valid_lens[:, None, None]
    return torch.softmax(scores.masked_fill(~keep, -1e6), dim=-1)


def masked_softmax_one_too_few(scores, valid_lens):
    """Masks from valid_len - 1 on: the last real key is dropped."""
    keep = torch.arange(scores.shape[-1]) < (valid_lens - 1)[:, None, None]
    return torch.softmax(scores.masked_fill(~keep, -1e6), dim=-1)


def masked_softmax_fill_zero(scores, valid_lens):
    """Sets the masked scores to 0 instead of a large negative number, so padding keeps weight."""
    keep = torch.arange(scores.shape[-1]) < valid_lens[:, None, None]
    return torch.softmax(scores.masked_fill(~keep, 0.0), dim=-1)


def masked_softmax_over_queries(scores, valid_lens):
    """Normalises over the queries axis instead of the keys."""
    keep = torch.arange(scores.shape[-1]) < valid_lens[:, None, None]
    return torch.softmax(scores.masked_fill(~keep, -1e6), dim=1)


def masked_softmax_minus_inf(scores, valid_lens):
    """Masks with -inf: a row with valid length 0 becomes NaN."""
    keep = torch.arange(scores.shape[-1]) < valid_lens[:, None, None]
    return torch.softmax(scores.masked_fill(~keep, -math.inf), dim=-1)


def masked_softmax_zero_after(scores, valid_lens):
    """Zeroes the padded weights after the softmax without renormalising."""
    keep = torch.arange(scores.shape[-1]) < valid_lens[:, None, None]
    return torch.softmax(scores, dim=-1) * keep


def masked_softmax_in_place(scores, valid_lens):
    """Right values, but writes -1e6 into the caller's scores (as d2l's version does)."""
    keep = torch.arange(scores.shape[-1]) < valid_lens[:, None, None]
    scores.masked_fill_(~keep, -1e6)
    return torch.softmax(scores, dim=-1)


# ---------------------------------------------------------------- check_attention


def attention_no_scale(queries, keys, values):
    """Forgets to divide by sqrt(d)."""
    return torch.softmax(queries @ keys.transpose(-2, -1), dim=-1) @ values


def attention_divide_by_d(queries, keys, values):
    """Divides by d instead of sqrt(d), as one source article writes."""
    return torch.softmax(queries @ keys.transpose(-2, -1) / queries.shape[-1], dim=-1) @ values


def attention_scale_by_value_size(queries, keys, values):
    """Scales by the square root of the values' size instead of the keys'."""
    return torch.softmax(queries @ keys.transpose(-2, -1) / math.sqrt(values.shape[-1]), dim=-1) @ values


def attention_softmax_over_queries(queries, keys, values):
    """Takes the softmax over the queries axis."""
    scores = queries @ keys.transpose(-2, -1) / math.sqrt(queries.shape[-1])
    return torch.softmax(scores, dim=-2) @ values


def attention_transpose_1_2(queries, keys, values):
    """Transposes keys with transpose(1, 2): right for three axes only."""
    scores = queries @ keys.transpose(1, 2) / math.sqrt(queries.shape[-1])
    return torch.softmax(scores, dim=-1) @ values


# ---------------------------------------------------------------- check_additive_scores


def additive_no_tanh(queries, keys, W_q, W_k, w_v):
    """Forgets the tanh: the score becomes a query term plus a key term."""
    return ((queries @ W_q).unsqueeze(2) + (keys @ W_k).unsqueeze(1)) @ w_v


def additive_tanh_after_w_v(queries, keys, W_q, W_k, w_v):
    """Applies the tanh after multiplying by w_v."""
    return torch.tanh(((queries @ W_q).unsqueeze(2) + (keys @ W_k).unsqueeze(1)) @ w_v)


def additive_keys_first(queries, keys, W_q, W_k, w_v):
    """Swaps the unsqueezes: scores of shape (batch, keys, queries)."""
    return torch.tanh((queries @ W_q).unsqueeze(1) + (keys @ W_k).unsqueeze(2)) @ w_v


def additive_swapped_projections(queries, keys, W_q, W_k, w_v):
    """Projects the queries with W_k and the keys with W_q."""
    return torch.tanh((queries @ W_k).unsqueeze(2) + (keys @ W_q).unsqueeze(1)) @ w_v


# ---------------------------------------------------------------- check_multi_head_attention


def _mha(X, W_q, W_k, W_v, W_o, num_heads, split, merge, scale=None, project_out=True):
    batch, steps, d = X.shape
    size = d // num_heads
    Q, K, V = split(X @ W_q), split(X @ W_k), split(X @ W_v)
    weights = torch.softmax(Q @ K.transpose(-2, -1) / math.sqrt(scale or size), dim=-1)
    merged = merge(weights @ V)
    return merged @ W_o if project_out else merged


def mha_split_without_transpose(X, W_q, W_k, W_v, W_o, num_heads):
    """Splits the heads by a plain reshape to (batch, heads, steps, size): mixes positions and heads."""
    batch, steps, d = X.shape
    return _mha(X, W_q, W_k, W_v, W_o, num_heads,
                split=lambda M: M.reshape(batch, num_heads, steps, d // num_heads),
                merge=lambda H: H.reshape(batch, steps, d))


def mha_merge_without_transpose(X, W_q, W_k, W_v, W_o, num_heads):
    """Splits correctly but merges by a plain reshape, without transposing back."""
    batch, steps, d = X.shape
    return _mha(X, W_q, W_k, W_v, W_o, num_heads,
                split=lambda M: M.reshape(batch, steps, num_heads, d // num_heads).transpose(1, 2),
                merge=lambda H: H.reshape(batch, steps, d))


def mha_scale_by_model_width(X, W_q, W_k, W_v, W_o, num_heads):
    """Scales the scores by sqrt(d) instead of sqrt(d / heads)."""
    batch, steps, d = X.shape
    return _mha(X, W_q, W_k, W_v, W_o, num_heads,
                split=lambda M: M.reshape(batch, steps, num_heads, d // num_heads).transpose(1, 2),
                merge=lambda H: H.transpose(1, 2).reshape(batch, steps, d), scale=d)


def mha_no_output_projection(X, W_q, W_k, W_v, W_o, num_heads):
    """Forgets to multiply the merged heads by W_o."""
    batch, steps, d = X.shape
    return _mha(X, W_q, W_k, W_v, W_o, num_heads,
                split=lambda M: M.reshape(batch, steps, num_heads, d // num_heads).transpose(1, 2),
                merge=lambda H: H.transpose(1, 2).reshape(batch, steps, d), project_out=False)


def masked_softmax_nan_to_zero(scores, valid_lens):
    """Masks with −∞, then turns the NaN of an empty row into 0: that row's weights sum to 0, not 1."""
    keep = torch.arange(scores.shape[-1]) < valid_lens[:, None, None]
    return torch.softmax(scores.masked_fill(~keep, -math.inf), dim=-1).nan_to_num(0.0)


def attention_calls_pytorch(queries, keys, values):
    """Right values, but calls the function the exercise asks to write."""
    return torch.nn.functional.scaled_dot_product_attention(queries, keys, values)


def additive_loop_over_pairs(queries, keys, W_q, W_k, w_v):
    """Right values, but one (query, key) pair at a time: the exercise asks for broadcasting."""
    return torch.stack([torch.stack([torch.tanh(queries[:, i] @ W_q + keys[:, j] @ W_k) @ w_v for j in range(keys.shape[1])], -1)
                        for i in range(queries.shape[1])], 1)


def mha_loop_over_heads(X, W_q, W_k, W_v, W_o, num_heads):
    """Right values, but a loop over the heads: the exercise asks for reshape and transpose."""
    size = X.shape[-1] // num_heads
    Q, K, V = X @ W_q, X @ W_k, X @ W_v
    heads = []
    for i in range(num_heads):
        cols = slice(i * size, (i + 1) * size)
        weights = torch.softmax(Q[..., cols] @ K[..., cols].transpose(-2, -1) / math.sqrt(size), dim=-1)
        heads.append(weights @ V[..., cols])
    return torch.cat(heads, dim=-1) @ W_o


WRONG = {
    "check_masked_softmax": [masked_softmax_one_too_many, masked_softmax_one_too_few, masked_softmax_fill_zero,
                             masked_softmax_over_queries, masked_softmax_minus_inf, masked_softmax_zero_after,
                             masked_softmax_in_place, masked_softmax_nan_to_zero],
    "check_attention": [attention_no_scale, attention_divide_by_d, attention_scale_by_value_size,
                        attention_softmax_over_queries, attention_transpose_1_2, attention_calls_pytorch],
    "check_additive_scores": [additive_no_tanh, additive_tanh_after_w_v, additive_keys_first, additive_swapped_projections,
                              additive_loop_over_pairs],
    "check_multi_head_attention": [mha_split_without_transpose, mha_merge_without_transpose, mha_scale_by_model_width,
                                   mha_no_output_projection, mha_loop_over_heads],
}

# ---------------------------------------------------------------- right answers written differently: must pass


def additive_one_statement_over_lines(queries, keys, W_q, W_k, w_v):
    """Right, broadcast, written as one statement over several lines (each instruction runs once: no loop)."""
    return torch.tanh(
        (queries @ W_q).unsqueeze(2)
        + (keys @ W_k).unsqueeze(1)
    ) @ w_v


RIGHT = {"check_additive_scores": [additive_one_statement_over_lines]}
