"""Plausible wrong answers to the Chapter 6 exercises (each checker must reject every one of them),
and right answers written differently (each must pass)."""

import math

import numpy as np
import torch
from torch.nn import functional as F

# ---------------------------------------------------------------- check_recover_offset


def _angle(pe_p, pe_q, i):
    sp, cp, sq, cq = pe_p[..., 2 * i].double(), pe_p[..., 2 * i + 1].double(), pe_q[..., 2 * i].double(), pe_q[..., 2 * i + 1].double()
    return torch.atan2(sq * cp - cq * sp, cq * cp + sq * sp)


def _omega(d, i):
    return 10000 ** (-2 * i / d)


def offset_fastest_pair(pe_p, pe_q):
    """Uses the first pair (ω₀ = 1) only: it wraps around every 2π positions."""
    return torch.round(_angle(pe_p, pe_q, 0)).long()


def offset_arccos(pe_p, pe_q):
    """Takes arccos of the slowest pair's cosine difference: the sign of k is lost."""
    d = pe_p.shape[-1]
    cos_k = pe_q[..., -1].double() * pe_p[..., -1].double() + pe_q[..., -2].double() * pe_p[..., -2].double()
    return torch.round(torch.arccos(cos_k.clamp(-1, 1)) / _omega(d, d // 2 - 1)).long()


def offset_truncated(pe_p, pe_q):
    """Truncates the quotient instead of rounding it."""
    d = pe_p.shape[-1]
    return (_angle(pe_p, pe_q, d // 2 - 1) / _omega(d, d // 2 - 1)).long()


def offset_sign_reversed(pe_p, pe_q):
    """Computes the angle from q to p: returns −k."""
    d = pe_p.shape[-1]
    return torch.round(_angle(pe_q, pe_p, d // 2 - 1) / _omega(d, d // 2 - 1)).long()


def offset_mean_over_pairs(pe_p, pe_q):
    """Averages angle/ω over all pairs: the fast pairs have wrapped around."""
    d = pe_p.shape[-1]
    return torch.round(torch.stack([_angle(pe_p, pe_q, i) / _omega(d, i) for i in range(d // 2)]).mean(0)).long()


def offset_position_of_q(pe_p, pe_q):
    """Assumes p = 0 and decodes the position of the second code alone."""
    d = pe_p.shape[-1]
    angle = torch.atan2(pe_q[..., -2].double(), pe_q[..., -1].double())
    return torch.round(angle / _omega(d, d // 2 - 1)).long()


def offset_float(pe_p, pe_q):
    """Returns the unrounded float angle / ω."""
    d = pe_p.shape[-1]
    return _angle(pe_p, pe_q, d // 2 - 1) / _omega(d, d // 2 - 1)


def offset_exponent_i(pe_p, pe_q):
    """Uses ω = 10000^(−i/d) for the slowest pair (the exponent without the 2)."""
    d = pe_p.shape[-1]
    return torch.round(_angle(pe_p, pe_q, d // 2 - 1) / 10000 ** (-(d // 2 - 1) / d)).long()


# ---------------------------------------------------------------- check_layer_norm


def layer_norm_unbiased(X, gamma, beta, eps):
    """Divides the variance by d − 1 (torch.var's default)."""
    return gamma * (X - X.mean(-1, keepdim=True)) / torch.sqrt(X.var(-1, keepdim=True) + eps) + beta


def layer_norm_eps_outside(X, gamma, beta, eps):
    """Adds ε to the standard deviation instead of the variance."""
    centred = X - X.mean(-1, keepdim=True)
    return gamma * centred / (centred.pow(2).mean(-1, keepdim=True).sqrt() + eps) + beta


def layer_norm_no_eps(X, gamma, beta, eps):
    """Ignores ε: a constant row becomes 0/0."""
    centred = X - X.mean(-1, keepdim=True)
    return gamma * centred / centred.pow(2).mean(-1, keepdim=True).sqrt() + beta


def layer_norm_fixed_eps(X, gamma, beta, eps):
    """Always uses ε = 1e-5, whatever the argument says."""
    centred = X - X.mean(-1, keepdim=True)
    return gamma * centred / torch.sqrt(centred.pow(2).mean(-1, keepdim=True) + 1e-5) + beta


def layer_norm_one_pass(X, gamma, beta, eps):
    """Variance as E[x²] − μ²: catastrophic cancellation in float32 when the mean is large."""
    mean = X.mean(-1, keepdim=True)
    var = (X * X).mean(-1, keepdim=True) - mean * mean
    return gamma * (X - mean) / torch.sqrt(var + eps) + beta


def layer_norm_over_batch(X, gamma, beta, eps):
    """Normalises each feature over the first axis: batch normalisation."""
    centred = X - X.mean(0, keepdim=True)
    return gamma * centred / torch.sqrt(centred.pow(2).mean(0, keepdim=True) + eps) + beta


def layer_norm_gamma_beta_swapped(X, gamma, beta, eps):
    """Multiplies by beta and adds gamma."""
    centred = X - X.mean(-1, keepdim=True)
    return beta * centred / torch.sqrt(centred.pow(2).mean(-1, keepdim=True) + eps) + gamma


def layer_norm_numpy(X, gamma, beta, eps):
    """Right values through NumPy: no gradient."""
    x = X.detach().numpy()
    out = (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + eps) * gamma.detach().numpy() + beta.detach().numpy()
    return torch.from_numpy(out)


# ---------------------------------------------------------------- check_layer_norm_backward


def _parts(X, gamma, G, eps, with_eps=True):
    centred = X - X.mean(-1, keepdim=True)
    inv = 1 / torch.sqrt(centred.pow(2).mean(-1, keepdim=True) + (eps if with_eps else 0.0))
    return centred * inv, inv, G * gamma


def _rows(X):
    return tuple(range(X.dim() - 1))


def ln_backward_autograd(X, gamma, G, eps):
    """Right values, from autograd instead of by hand."""
    X, gamma = X.clone().requires_grad_(), gamma.clone().requires_grad_()
    beta = torch.zeros_like(gamma, requires_grad=True)
    with torch.enable_grad():
        return torch.autograd.grad((F.layer_norm(X, (X.shape[-1],), gamma, beta, eps) * G).sum(), [X, gamma, beta])


def ln_backward_no_projection(X, gamma, G, eps):
    """Forgets the term x̂ · mean(g x̂) that comes from the variance."""
    hat, inv, g = _parts(X, gamma, G, eps)
    return inv * (g - g.mean(-1, keepdim=True)), (G * hat).sum(_rows(X)), G.sum(_rows(X))


def ln_backward_no_mean(X, gamma, G, eps):
    """Forgets the term mean(g) that comes from the mean."""
    hat, inv, g = _parts(X, gamma, G, eps)
    return inv * (g - hat * (g * hat).mean(-1, keepdim=True)), (G * hat).sum(_rows(X)), G.sum(_rows(X))


def ln_backward_no_gamma(X, gamma, G, eps):
    """Uses G instead of G ⊙ γ as the gradient of x̂."""
    hat, inv, _ = _parts(X, gamma, G, eps)
    return inv * (G - G.mean(-1, keepdim=True) - hat * (G * hat).mean(-1, keepdim=True)), (G * hat).sum(_rows(X)), G.sum(_rows(X))


def ln_backward_no_eps(X, gamma, G, eps):
    """Divides by σ without ε in the backward pass."""
    hat, inv, g = _parts(X, gamma, G, eps, with_eps=False)
    dX = inv * (g - g.mean(-1, keepdim=True) - hat * (g * hat).mean(-1, keepdim=True))
    hat_eps = _parts(X, gamma, G, eps)[0]
    return dX, (G * hat_eps).sum(_rows(X)), G.sum(_rows(X))


def ln_backward_dgamma_first_axis(X, gamma, G, eps):
    """Sums dgamma and dbeta over the first axis only."""
    hat, inv, g = _parts(X, gamma, G, eps)
    dX = inv * (g - g.mean(-1, keepdim=True) - hat * (g * hat).mean(-1, keepdim=True))
    return dX, (G * hat).sum(0), G.sum(0)


def ln_backward_dgamma_with_gamma(X, gamma, G, eps):
    """Multiplies dgamma by γ once more."""
    hat, inv, g = _parts(X, gamma, G, eps)
    dX = inv * (g - g.mean(-1, keepdim=True) - hat * (g * hat).mean(-1, keepdim=True))
    return dX, (g * hat).sum(_rows(X)), G.sum(_rows(X))


def ln_backward_unbiased(X, gamma, G, eps):
    """Uses the unbiased variance (d − 1) in σ̂."""
    centred = X - X.mean(-1, keepdim=True)
    inv = 1 / torch.sqrt(X.var(-1, keepdim=True) + eps)
    hat, g = centred * inv, G * gamma
    dX = inv * (g - g.mean(-1, keepdim=True) - hat * (g * hat).mean(-1, keepdim=True))
    return dX, (G * hat).sum(_rows(X)), G.sum(_rows(X))


# ---------------------------------------------------------------- check_online_softmax_step


def _scores(Q, K_block):
    return Q @ K_block.T / math.sqrt(Q.shape[-1])


def online_no_rescale(state, Q, K_block, V_block):
    """Tracks the running maximum but never rescales the old sums when it rises."""
    m, c, a = state
    s = _scores(Q, K_block)
    m_new = torch.maximum(m, s.amax(-1))
    e = torch.exp(s - m_new[:, None])
    return m_new, c + e.sum(-1), a + e @ V_block


def online_rescale_c_only(state, Q, K_block, V_block):
    """Rescales c but forgets a."""
    m, c, a = state
    s = _scores(Q, K_block)
    m_new = torch.maximum(m, s.amax(-1))
    e = torch.exp(s - m_new[:, None])
    return m_new, c * torch.exp(m - m_new) + e.sum(-1), a + e @ V_block


def online_inverted_rescale(state, Q, K_block, V_block):
    """Multiplies the old sums by e^(m_new − m_old) instead of e^(m_old − m_new)."""
    m, c, a = state
    s = _scores(Q, K_block)
    m_new = torch.maximum(m, s.amax(-1))
    r = torch.exp(m_new - m).nan_to_num(0.0, posinf=0.0)
    e = torch.exp(s - m_new[:, None])
    return m_new, c * r + e.sum(-1), a * r[:, None] + e @ V_block


def online_block_max(state, Q, K_block, V_block):
    """Sets m to the block's maximum, which may fall below the old one."""
    m, c, a = state
    s = _scores(Q, K_block)
    m_new = s.amax(-1)
    r = torch.exp(m - m_new)
    e = torch.exp(s - m_new[:, None])
    return m_new, c * r + e.sum(-1), a * r[:, None] + e @ V_block


def online_global_max(state, Q, K_block, V_block):
    """One maximum shared by all queries instead of one per query."""
    m, c, a = state
    s = _scores(Q, K_block)
    m_new = torch.maximum(m, s.amax()).expand_as(m)
    r = torch.exp(m - m_new)
    e = torch.exp(s - m_new[:, None])
    return m_new, c * r + e.sum(-1), a * r[:, None] + e @ V_block


def online_naive(state, Q, K_block, V_block):
    """Keeps m at 0 and sums e^s: overflows for large scores."""
    m, c, a = state
    e = torch.exp(_scores(Q, K_block))
    return torch.zeros_like(m), c + e.sum(-1), a + e @ V_block


def online_no_scale(state, Q, K_block, V_block):
    """Forgets the 1/√d in the scores."""
    m, c, a = state
    s = Q @ K_block.T
    m_new = torch.maximum(m, s.amax(-1))
    r, e = torch.exp(m - m_new), torch.exp(s - m_new[:, None])
    return m_new, c * r + e.sum(-1), a * r[:, None] + e @ V_block


def online_old_max_for_new_terms(state, Q, K_block, V_block):
    """Exponentiates the new scores against the old maximum: overflows when the maximum rises."""
    m, c, a = state
    s = _scores(Q, K_block)
    m_new = torch.maximum(m, s.amax(-1))
    base = torch.where(torch.isinf(m), m_new, m)
    e = torch.exp(s - base[:, None]) * torch.exp(base - m_new)[:, None]
    return m_new, c * torch.exp(m - m_new) + e.sum(-1), a * torch.exp(m - m_new)[:, None] + e @ V_block


def online_in_place(state, Q, K_block, V_block):
    """Right values, but updates the caller's state tensors in place."""
    m, c, a = state
    s = _scores(Q, K_block)
    m_new = torch.maximum(m, s.amax(-1))
    r, e = torch.exp(m - m_new), torch.exp(s - m_new[:, None])
    c.mul_(r).add_(e.sum(-1))
    a.mul_(r[:, None]).add_(e @ V_block)
    m.copy_(m_new)
    return m, c, a


def online_returns_output(state, Q, K_block, V_block):
    """Stores the normalised output a / c in place of a."""
    m, c, a = state
    s = _scores(Q, K_block)
    m_new = torch.maximum(m, s.amax(-1))
    r, e = torch.exp(m - m_new), torch.exp(s - m_new[:, None])
    c_new = c * r + e.sum(-1)
    return m_new, c_new, (a * (c * r)[:, None] + e @ V_block) / c_new[:, None]


# ---------------------------------------------------------------- check_rope


def _rope(X, positions, half=False, sign=1.0, exponent=2.0, angle_positions=None):
    d = X.shape[-1]
    theta = 10000 ** (-exponent * torch.arange(d // 2, dtype=X.dtype) / d)
    angles = (positions if angle_positions is None else angle_positions).to(X.dtype)[:, None] * theta
    cos, sin = angles.cos(), sign * angles.sin()
    if half:
        x, y = X[..., : d // 2], X[..., d // 2:]
        return torch.cat([x * cos - y * sin, x * sin + y * cos], -1)
    x, y = X[..., 0::2], X[..., 1::2]
    return torch.stack([x * cos - y * sin, x * sin + y * cos], -1).flatten(-2)


def rope_rotate_half(X, positions):
    """GPT-NeoX's convention: rotates (x_i, x_{i+d/2}) instead of adjacent pairs."""
    return _rope(X, positions, half=True)


def rope_wrong_direction(X, positions):
    """Rotates by −pos·θ."""
    return _rope(X, positions, sign=-1.0)


def rope_exponent_i(X, positions):
    """Uses θ_i = 10000^(−i/d)."""
    return _rope(X, positions, exponent=1.0)


def rope_ignores_positions(X, positions):
    """Uses 0, 1, 2, … instead of the given positions."""
    return _rope(X, positions, angle_positions=torch.arange(X.shape[-2]))


def rope_adds_sinusoids(X, positions):
    """Adds the sinusoidal encoding instead of rotating."""
    d = X.shape[-1]
    angles = positions.to(X.dtype)[:, None] * 10000 ** (-torch.arange(0, d, 2, dtype=X.dtype) / d)
    return X + torch.stack([angles.sin(), angles.cos()], -1).flatten(-2)


def rope_float32(X, positions):
    """Right rotation, but always returns float32."""
    return _rope(X.float(), positions)


def rope_numpy(X, positions):
    """Right values through NumPy: no gradient."""
    return _rope(torch.from_numpy(X.detach().numpy().copy()), positions)


# ---------------------------------------------------------------- check_encoder_block


def _two(X, attention, ffn, norm1, norm2, connect):
    X = connect(X, attention, norm1)
    return connect(X, ffn, norm2)


def block_swapped(X, attention, ffn, norm1, norm2, norm_first):
    """Swaps the two forms."""
    return _two(X, attention, ffn, norm1, norm2,
                (lambda X, F_, N: N(X + F_(X))) if norm_first else (lambda X, F_, N: X + F_(N(X))))


def block_residual_of_normed(X, attention, ffn, norm1, norm2, norm_first):
    """Pre-norm adds the normalised input as the residual: LN(x) + F(LN(x))."""
    return _two(X, attention, ffn, norm1, norm2,
                (lambda X, F_, N: N(X) + F_(N(X))) if norm_first else (lambda X, F_, N: N(X + F_(X))))


def block_norm_after_sublayer(X, attention, ffn, norm1, norm2, norm_first):
    """Post-norm normalises the sublayer's output only: x + LN(F(x))."""
    return _two(X, attention, ffn, norm1, norm2,
                (lambda X, F_, N: X + F_(N(X))) if norm_first else (lambda X, F_, N: X + N(F_(X))))


def block_no_residual(X, attention, ffn, norm1, norm2, norm_first):
    """Forgets the residual in both forms."""
    return _two(X, attention, ffn, norm1, norm2,
                (lambda X, F_, N: F_(N(X))) if norm_first else (lambda X, F_, N: N(F_(X))))


def block_norm_twice(X, attention, ffn, norm1, norm2, norm_first):
    """Pre-norm that also normalises the sum: LN(x + F(LN(x)))."""
    return _two(X, attention, ffn, norm1, norm2,
                (lambda X, F_, N: N(X + F_(N(X)))) if norm_first else (lambda X, F_, N: N(X + F_(X))))


def block_ffn_first(X, attention, ffn, norm1, norm2, norm_first):
    """Applies the FFN before the attention."""
    connect = (lambda X, F_, N: X + F_(N(X))) if norm_first else (lambda X, F_, N: N(X + F_(X)))
    return connect(connect(X, ffn, norm1), attention, norm2)


def block_one_norm(X, attention, ffn, norm1, norm2, norm_first):
    """Uses norm1 for both sublayers."""
    return _two(X, attention, ffn, norm1, norm1,
                (lambda X, F_, N: X + F_(N(X))) if norm_first else (lambda X, F_, N: N(X + F_(X))))


def block_fresh_layer_norm(X, attention, ffn, norm1, norm2, norm_first):
    """Ignores the given norms and uses F.layer_norm without their learned scale and shift."""
    ln = lambda Z: F.layer_norm(Z, (Z.shape[-1],))  # noqa: E731
    return _two(X, attention, ffn, ln, ln,
                (lambda X, F_, N: X + F_(N(X))) if norm_first else (lambda X, F_, N: N(X + F_(X))))


def block_detached_residual(X, attention, ffn, norm1, norm2, norm_first):
    """Detaches the residual path: right values, but the gradient through x + … is lost."""
    return _two(X, attention, ffn, norm1, norm2,
                (lambda X, F_, N: X.detach() + F_(N(X))) if norm_first else (lambda X, F_, N: N(X.detach() + F_(X))))


def block_one_connection(X, attention, ffn, norm1, norm2, norm_first):
    """Wraps only the attention; the FFN is added without a connection."""
    Y = X + attention(norm1(X)) if norm_first else norm1(X + attention(X))
    return ffn(Y)


# ---------------------------------------------------------------- check_smoothed_cross_entropy


def _keep(targets, pad):
    return torch.ones_like(targets, dtype=torch.bool) if pad is None else targets != pad


def smoothing_over_others(logits, targets, epsilon, pad):
    """Spreads ε over the V − 1 wrong classes only."""
    log_p = torch.log_softmax(logits, -1)
    V = logits.shape[-1]
    target_lp = log_p.gather(1, targets[:, None])[:, 0]
    loss = -(1 - epsilon) * target_lp - epsilon * (log_p.sum(-1) - target_lp) / (V - 1)
    return loss[_keep(targets, pad)].mean()


def smoothing_pad_counted(logits, targets, epsilon, pad):
    """Does not ignore the pad targets."""
    return F.cross_entropy(logits, targets, label_smoothing=epsilon)


def smoothing_mean_over_all(logits, targets, epsilon, pad):
    """Zeroes the pad losses but divides by all positions."""
    log_p = torch.log_softmax(logits, -1)
    loss = -(1 - epsilon) * log_p.gather(1, targets[:, None])[:, 0] - epsilon * log_p.mean(-1)
    return (loss * _keep(targets, pad)).sum() / len(targets)


def smoothing_log_of_softmax(logits, targets, epsilon, pad):
    """log(softmax(x)): log 0 = −∞ for large logits."""
    log_p = torch.log(torch.softmax(logits, -1))
    loss = -(1 - epsilon) * log_p.gather(1, targets[:, None])[:, 0] - epsilon * log_p.mean(-1)
    return loss[_keep(targets, pad)].mean()


def smoothing_epsilon_ignored(logits, targets, epsilon, pad):
    """Always smooths with ε = 0.1."""
    return F.cross_entropy(logits, targets, label_smoothing=0.1, ignore_index=-100 if pad is None else pad)


def smoothing_sum_not_mean(logits, targets, epsilon, pad):
    """Sums the losses instead of averaging them."""
    return F.cross_entropy(logits, targets, label_smoothing=epsilon, ignore_index=-100 if pad is None else pad, reduction="sum")


def smoothing_item(logits, targets, epsilon, pad):
    """Returns a Python float: right value, nothing to backpropagate."""
    return F.cross_entropy(logits, targets, label_smoothing=epsilon, ignore_index=-100 if pad is None else pad).item()


def smoothing_weights_swapped(logits, targets, epsilon, pad):
    """Weights the target by ε and the uniform part by 1 − ε."""
    log_p = torch.log_softmax(logits, -1)
    loss = -epsilon * log_p.gather(1, targets[:, None])[:, 0] - (1 - epsilon) * log_p.mean(-1)
    return loss[_keep(targets, pad)].mean()


# ---------------------------------------------------------------- check_count_parameters


def count_tied_counted_twice(V, d, k, H, tied):
    """Counts the shared matrix twice when tied."""
    return V * d + k * d * H + H + H * d + d + V + V * d


def count_no_biases(V, d, k, H, tied):
    """Forgets every bias."""
    return V * d + k * d * H + H * d + (0 if tied else V * d)


def count_tied_drops_output_bias(V, d, k, H, tied):
    """Drops the output bias along with the output weight when tied."""
    return V * d + k * d * H + H + H * d + d + (0 if tied else V * d + V)


def count_context_once(V, d, k, H, tied):
    """Forgets that the hidden layer reads k embeddings: d·H instead of k·d·H."""
    return V * d + d * H + H + H * d + d + V + (0 if tied else V * d)


def count_embedding_per_context(V, d, k, H, tied):
    """Counts one embedding table per context position."""
    return k * V * d + k * d * H + H + H * d + d + V + (0 if tied else V * d)


def count_float(V, d, k, H, tied):
    """Returns a float with a rounding error from a ratio."""
    return (V * d + k * d * H + H + H * d + d + V + (0 if tied else V * d)) * 1.0000001


# ---------------------------------------------------------------- near misses added last, after the checkers were written

def smoothing_pad_none_as_zero(logits, targets, epsilon, pad):
    """Passes pad=None on as ignore_index=0: targets of class 0 are then ignored."""
    return F.cross_entropy(logits, targets, label_smoothing=epsilon, ignore_index=0 if pad is None else pad)


def online_sum_over_queries(state, Q, K_block, V_block):
    """Sums the new terms over the queries (dim 0) instead of over the block's keys."""
    m, c, a = state
    s = Q @ K_block.T / math.sqrt(Q.shape[-1])
    top = torch.maximum(m, s.amax(-1))
    r, e = (m - top).exp(), (s - top[:, None]).exp()
    new_c = e.sum(0) if e.shape[0] == e.shape[1] else e.sum(-1)
    return top, r * c + new_c, r[:, None] * a + e @ V_block


def rope_frequency_off_by_one(X, positions):
    """Uses θ_i = 10000^(−2(i+1)/d): every frequency shifted by one pair."""
    d = X.shape[-1]
    theta = 10000 ** (-torch.arange(2, d + 2, 2, dtype=torch.float64) / d)
    ang = positions.double()[:, None] * theta
    x, y = X.double()[..., 0::2], X.double()[..., 1::2]
    return torch.stack([x * ang.cos() - y * ang.sin(), x * ang.sin() + y * ang.cos()], -1).flatten(-2).to(X.dtype)


def layer_norm_two_axes(X, gamma, beta, eps):
    """Normalises over the last two axes (positions and features) when there are more than two."""
    dims = (-2, -1) if X.dim() > 2 else (-1,)
    centred = X - X.mean(dims, keepdim=True)
    return gamma * centred / torch.sqrt(centred.pow(2).mean(dims, keepdim=True) + eps) + beta


def recover_offset_second_slowest(pe_p, pe_q):
    """Uses the second-slowest pair, whose range is 10000^(2/d) times shorter."""
    d = pe_p.shape[-1]
    i = max(d // 2 - 2, 0)
    omega = 10000 ** (-2 * i / d)
    sp, cp, sq, cq = (t.double() for t in (pe_p[..., 2 * i], pe_p[..., 2 * i + 1], pe_q[..., 2 * i], pe_q[..., 2 * i + 1]))
    return torch.round(torch.atan2(sq * cp - cq * sp, cq * cp + sq * sp) / omega).long()


def ln_backward_dgamma_centred(X, gamma, G, eps):
    """dgamma = Σ G ⊙ (x − μ), forgetting to divide by σ̂."""
    centred = X - X.mean(-1, keepdim=True)
    inv = 1 / torch.sqrt(centred.pow(2).mean(-1, keepdim=True) + eps)
    hat, g = centred * inv, G * gamma
    rows = tuple(range(X.dim() - 1))
    dX = inv * (g - g.mean(-1, keepdim=True) - hat * (g * hat).mean(-1, keepdim=True))
    return dX, (G * centred).sum(rows), G.sum(rows)


def block_post_norm_also_input(X, attention, ffn, norm1, norm2, norm_first):
    """Post-LN that also normalises the sublayer's input: LN(x + F(LN(x)))."""
    for F_, N in ((attention, norm1), (ffn, norm2)):
        X = X + F_(N(X)) if norm_first else N(X + F_(N(X)))
    return X


def count_projection_without_bias(V, d, k, H, tied):
    """Forgets the bias of the projection back to d."""
    return V * d + k * d * H + H + H * d + V + (0 if tied else V * d)


WRONG = {
    "check_recover_offset": [offset_fastest_pair, offset_arccos, offset_truncated, offset_sign_reversed, offset_mean_over_pairs,
                             offset_position_of_q, offset_float, offset_exponent_i, recover_offset_second_slowest],
    "check_layer_norm": [layer_norm_unbiased, layer_norm_eps_outside, layer_norm_no_eps, layer_norm_fixed_eps, layer_norm_one_pass,
                         layer_norm_over_batch, layer_norm_gamma_beta_swapped, layer_norm_numpy, layer_norm_two_axes],
    "check_layer_norm_backward": [ln_backward_autograd, ln_backward_no_projection, ln_backward_no_mean, ln_backward_no_gamma,
                                  ln_backward_no_eps, ln_backward_dgamma_first_axis, ln_backward_dgamma_with_gamma,
                                  ln_backward_unbiased, ln_backward_dgamma_centred],
    "check_online_softmax_step": [online_no_rescale, online_rescale_c_only, online_inverted_rescale, online_block_max,
                                  online_global_max, online_naive, online_no_scale, online_old_max_for_new_terms, online_in_place,
                                  online_returns_output, online_sum_over_queries],
    "check_rope": [rope_rotate_half, rope_wrong_direction, rope_exponent_i, rope_ignores_positions, rope_adds_sinusoids,
                   rope_float32, rope_numpy, rope_frequency_off_by_one],
    "check_encoder_block": [block_swapped, block_residual_of_normed, block_norm_after_sublayer, block_no_residual,
                            block_norm_twice, block_ffn_first, block_one_norm, block_fresh_layer_norm, block_detached_residual,
                            block_one_connection, block_post_norm_also_input],
    "check_smoothed_cross_entropy": [smoothing_over_others, smoothing_pad_counted, smoothing_mean_over_all, smoothing_log_of_softmax,
                                     smoothing_epsilon_ignored, smoothing_sum_not_mean, smoothing_item, smoothing_weights_swapped,
                                     smoothing_pad_none_as_zero],
    "check_count_parameters": [count_tied_counted_twice, count_no_biases, count_tied_drops_output_bias, count_context_once,
                               count_embedding_per_context, count_float, count_projection_without_bias],
}

# ---------------------------------------------------------------- right answers written differently: must pass


def offset_brute_force(pe_p, pe_q):
    """Right: tries every k within half the longest wavelength, M_k PE(p) against PE(p + k), in NumPy."""
    d = pe_p.shape[-1]
    omega = 10000 ** (-np.arange(0, d, 2) / d)
    reach = int(np.pi / omega[-1])
    ks = np.arange(-reach, reach + 1)
    c, s = np.cos(ks[:, None] * omega), np.sin(ks[:, None] * omega)             # (K, d/2)
    p, q = pe_p.double().numpy().reshape(-1, d), pe_q.double().numpy().reshape(-1, d)
    sin_p, cos_p, sin_q, cos_q = p[:, 0::2], p[:, 1::2], q[:, 0::2], q[:, 1::2]
    # Σ_i sin_q·(sin_p c + cos_p s) + cos_q·(cos_p c − sin_p s): the match of M_k PE(p) with PE(p + k)
    match = (sin_q * sin_p + cos_q * cos_p) @ c.T + (sin_q * cos_p - cos_q * sin_p) @ s.T   # (n, K)
    return torch.from_numpy(ks[match.argmax(1)]).reshape(pe_p.shape[:-1])


def offset_complex_all_pairs(pe_p, pe_q):
    """Right: complex phases, coarse to fine from the slowest pair to the faster ones."""
    d = pe_p.shape[-1]
    z_q = torch.complex(pe_q[..., 1::2].double(), pe_q[..., 0::2].double())      # cos + i sin = e^{i(p+k)ω}
    z = z_q * torch.complex(pe_p[..., 1::2].double(), -pe_p[..., 0::2].double())  # × e^{−ipω}
    phase = torch.angle(z)                                                          # k ω_i mod 2π, in (−π, π]
    omega = 10000 ** (-torch.arange(0, d, 2, dtype=torch.float64) / d)
    k = phase[..., -1] / omega[-1]
    for i in range(d // 2 - 2, -1, -1):                                             # refine with faster pairs while they stay precise
        if omega[i] > 0.5:
            break
        turns = torch.round((k * omega[i] - phase[..., i]) / (2 * math.pi))
        k = (phase[..., i] + 2 * math.pi * turns) / omega[i]
    return k.round().to(torch.int32)


def layer_norm_float64_inside(X, gamma, beta, eps):
    """Right: computes in float64 with torch.var(unbiased=False) and casts back."""
    x = X.double()
    out = (x - x.mean(-1, keepdim=True)) * torch.rsqrt(x.var(-1, unbiased=False, keepdim=True) + eps)
    return (out * gamma.double() + beta.double()).to(X.dtype)


def layer_norm_var_mean(X, gamma, beta, eps):
    """Right: torch.var_mean and torch.addcmul."""
    var, mean = torch.var_mean(X, dim=-1, keepdim=True, correction=0)
    return torch.addcmul(beta, gamma, (X - mean) / (var + eps).sqrt())


def ln_backward_expanded(X, gamma, G, eps):
    """Right: the chain rule written term by term through the variance and the mean."""
    d = X.shape[-1]
    mu = X.mean(-1, keepdim=True)
    var = ((X - mu) ** 2).mean(-1, keepdim=True)
    std = (var + eps).sqrt()
    g = G * gamma
    d_var = (g * (X - mu)).sum(-1, keepdim=True) * -0.5 * std ** -3
    d_mu = -g.sum(-1, keepdim=True) / std + d_var * (-2 * (X - mu)).mean(-1, keepdim=True)
    dX = g / std + d_var * 2 * (X - mu) / d + d_mu / d
    flat = G.reshape(-1, d)
    return dX, (flat * ((X - mu) / std).reshape(-1, d)).sum(0), flat.sum(0)


def online_einsum_where(state, Q, K_block, V_block):
    """Right: einsum, and torch.where for the first block instead of relying on e^(−∞) = 0."""
    m, c, a = state
    s = torch.einsum("nd,bd->nb", Q, K_block) * Q.shape[-1] ** -0.5
    m_new = torch.fmax(m, s.max(-1).values)
    r = torch.where(torch.isinf(m), torch.zeros_like(m), torch.exp(m - m_new))
    e = (s - m_new.unsqueeze(-1)).exp()
    return m_new, torch.addcmul(e.sum(-1), c, r), r.unsqueeze(-1) * a + torch.einsum("nb,bv->nv", e, V_block)


def online_logsumexp(state, Q, K_block, V_block):
    """Right: merges the block through logsumexp of the old and the new maxima, in float64 inside."""
    m, c, a = (t.double() for t in state)
    s = Q.double() @ K_block.double().T / math.sqrt(Q.shape[-1])
    m_new = torch.stack([m, s.amax(-1)]).amax(0)
    scale_old, e = torch.exp(m - m_new), torch.exp(s - m_new[:, None])
    out = m_new, c * scale_old + e.sum(-1), a * scale_old[:, None] + e @ V_block.double()
    return tuple(t.to(Q.dtype) for t in out)


def rope_real_stack(X, positions):
    """Right: real arithmetic, the rotated pairs stacked and flattened."""
    return _rope(X, positions)


def rope_rotation_matrices(X, positions):
    """Right: a block-diagonal rotation matrix for every position, applied with einsum."""
    d = X.shape[-1]
    theta = 10000 ** (-torch.arange(0, d, 2, dtype=X.dtype) / d)
    angles = positions.to(X.dtype)[:, None] * theta                             # (T, d/2)
    R = torch.zeros(len(positions), d, d, dtype=X.dtype)
    R[:, 0::2, 0::2] = torch.diag_embed(angles.cos())
    R[:, 0::2, 1::2] = torch.diag_embed(-angles.sin())
    R[:, 1::2, 0::2] = torch.diag_embed(angles.sin())
    R[:, 1::2, 1::2] = torch.diag_embed(angles.cos())
    return torch.einsum("tij,...tj->...ti", R, X)


def block_unrolled(X, attention, ffn, norm1, norm2, norm_first):
    """Right: the two connections written out one after the other."""
    if norm_first:
        H = X + attention(norm1(X))
        return H + ffn(norm2(H))
    H = norm1(X + attention(X))
    return norm2(H + ffn(H))


def block_residual_variable(X, attention, ffn, norm1, norm2, norm_first):
    """Right: a helper that names the residual and the branch."""
    def connect(residual, sublayer, norm):
        branch = sublayer(norm(residual) if norm_first else residual)
        out = residual + branch
        return out if norm_first else norm(out)
    return connect(connect(X, attention, norm1), ffn, norm2)


def smoothing_builtin(logits, targets, epsilon, pad):
    """Right: PyTorch's own label_smoothing and ignore_index."""
    return F.cross_entropy(logits, targets, label_smoothing=epsilon, ignore_index=-100 if pad is None else pad)


def smoothing_soft_targets(logits, targets, epsilon, pad):
    """Right: an explicit smoothed target distribution, (1 − ε) one-hot + ε/V, in float64."""
    V = logits.shape[-1]
    keep = _keep(targets, pad)
    soft = (1 - epsilon) * F.one_hot(targets[keep], V).double() + epsilon / V
    return -(soft * torch.log_softmax(logits[keep].double(), -1)).sum(-1).mean()


def count_from_shapes(V, d, k, H, tied):
    """Right: sums the shapes of the parameter tensors, NumPy integers."""
    shapes = [(V, d), (H, k * d), (H,), (d, H), (d,), (V,)] + ([] if tied else [(V, d)])
    return np.int64(sum(int(np.prod(s)) for s in shapes))


RIGHT = {
    "check_recover_offset": [offset_brute_force, offset_complex_all_pairs],
    "check_layer_norm": [layer_norm_float64_inside, layer_norm_var_mean],
    "check_layer_norm_backward": [ln_backward_expanded],
    "check_online_softmax_step": [online_einsum_where, online_logsumexp],
    "check_rope": [rope_real_stack, rope_rotation_matrices],
    "check_encoder_block": [block_unrolled, block_residual_variable],
    "check_smoothed_cross_entropy": [smoothing_builtin, smoothing_soft_targets],
    "check_count_parameters": [count_from_shapes],
}
