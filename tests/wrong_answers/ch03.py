"""Plausible wrong answers to the Chapter 3 exercises: each checker must reject every one of them.
`RIGHT` holds right answers written differently from the solutions: each must pass."""

import numpy as np
import torch
from torch import nn

# ---------------------------------------------------------------- check_lstm_step (W_x: (4h, d), x @ W_x.T)


def _parts(x, h, W_x, W_h, b, order="ifgo"):
    a = dict(zip(order, (x @ W_x.T + h @ W_h.T + b).chunk(4, dim=-1), strict=True))
    return a["i"], a["f"], a["g"], a["o"]


def lstm_step_no_tanh_on_cell(x, h, c, W_x, W_h, b):
    """Shows the cell without squashing it: h = o * c."""
    a_i, a_f, a_g, a_o = _parts(x, h, W_x, W_h, b)
    c_new = torch.sigmoid(a_f) * c + torch.sigmoid(a_i) * torch.tanh(a_g)
    return torch.sigmoid(a_o) * c_new, c_new


def lstm_step_forget_on_candidate(x, h, c, W_x, W_h, b):
    """Swaps the roles of the gates: the forget gate scales the candidate, the input gate the old cell."""
    a_i, a_f, a_g, a_o = _parts(x, h, W_x, W_h, b)
    c_new = torch.sigmoid(a_i) * c + torch.sigmoid(a_f) * torch.tanh(a_g)
    return torch.sigmoid(a_o) * torch.tanh(c_new), c_new


def lstm_step_output_gate_inside_tanh(x, h, c, W_x, W_h, b):
    """Applies the output gate to the cell before the tanh: h = tanh(o * c)."""
    a_i, a_f, a_g, a_o = _parts(x, h, W_x, W_h, b)
    c_new = torch.sigmoid(a_f) * c + torch.sigmoid(a_i) * torch.tanh(a_g)
    return torch.tanh(torch.sigmoid(a_o) * c_new), c_new


def lstm_step_order_ifog(x, h, c, W_x, W_h, b):
    """Reads the stacked parts in the order i, f, o, g instead of PyTorch's i, f, g, o."""
    a_i, a_f, a_g, a_o = _parts(x, h, W_x, W_h, b, order="ifog")
    c_new = torch.sigmoid(a_f) * c + torch.sigmoid(a_i) * torch.tanh(a_g)
    return torch.sigmoid(a_o) * torch.tanh(c_new), c_new


def lstm_step_returns_c_first(x, h, c, W_x, W_h, b):
    """Right values, but returns (c, h) instead of (h, c)."""
    a_i, a_f, a_g, a_o = _parts(x, h, W_x, W_h, b)
    c_new = torch.sigmoid(a_f) * c + torch.sigmoid(a_i) * torch.tanh(a_g)
    return c_new, torch.sigmoid(a_o) * torch.tanh(c_new)


def lstm_step_in_place(x, h, c, W_x, W_h, b):
    """Right values, but overwrites the caller's cell in place."""
    a_i, a_f, a_g, a_o = _parts(x, h, W_x, W_h, b)
    c.mul_(torch.sigmoid(a_f)).add_(torch.sigmoid(a_i) * torch.tanh(a_g))
    return torch.sigmoid(a_o) * torch.tanh(c), c


def lstm_step_old_layout(x, h, c, W_x, W_h, b):
    """Multiplies from the right without the transpose, x @ W_x, as for a (d, 4h) matrix."""
    a_i, a_f, a_g, a_o = (x @ W_x + h @ W_h + b).chunk(4, dim=-1)
    c_new = torch.sigmoid(a_f) * c + torch.sigmoid(a_i) * torch.tanh(a_g)
    return torch.sigmoid(a_o) * torch.tanh(c_new), c_new


def lstm_step_handmade_tanh(x, h, c, W_x, W_h, b):
    """tanh written as (e^{2a} − 1)/(e^{2a} + 1): inf/inf = NaN once the pre-activation is large."""
    def tanh(a):
        return (torch.exp(2 * a) - 1) / (torch.exp(2 * a) + 1)
    a_i, a_f, a_g, a_o = _parts(x, h, W_x, W_h, b)
    c_new = torch.sigmoid(a_f) * c + torch.sigmoid(a_i) * tanh(a_g)
    return torch.sigmoid(a_o) * tanh(c_new), c_new


def lstm_step_sigmoid_candidate(x, h, c, W_x, W_h, b):
    """Squashes the candidate with a sigmoid like the gates, so it can never be negative."""
    a_i, a_f, a_g, a_o = _parts(x, h, W_x, W_h, b)
    c_new = torch.sigmoid(a_f) * c + torch.sigmoid(a_i) * torch.sigmoid(a_g)
    return torch.sigmoid(a_o) * torch.tanh(c_new), c_new


def lstm_step_shows_old_cell(x, h, c, W_x, W_h, b):
    """Computes the new cell but shows the old one: h = o * tanh(c_{t-1})."""
    a_i, a_f, a_g, a_o = _parts(x, h, W_x, W_h, b)
    c_new = torch.sigmoid(a_f) * c + torch.sigmoid(a_i) * torch.tanh(a_g)
    return torch.sigmoid(a_o) * torch.tanh(c), c_new


# ---------------------------------------------------------------- check_lstm_parameter_count


def _count(input_size, hidden_size, num_layers, bidirectional, proj_size, bias, blocks=4, biases=2,
           upper_reads=None, directions_counted=None, hh_width=None, with_hr=True):
    directions = 2 if bidirectional else 1
    width = proj_size or hidden_size
    hh = width if hh_width is None else hh_width(hidden_size, proj_size)

    def one(inputs):
        n = blocks * hidden_size * (inputs + hh) + (biases * blocks * hidden_size if bias else 0)
        return n + (proj_size * hidden_size if with_hr else 0)
    upper = directions * width if upper_reads is None else upper_reads(directions, hidden_size, width)
    d = directions if directions_counted is None else directions_counted
    return d * (one(input_size) + (num_layers - 1) * one(upper))


def count_one_bias(input_size, hidden_size, num_layers=1, bidirectional=False, proj_size=0, bias=True):
    """One bias per gate, as in the equations (PyTorch keeps two)."""
    return _count(input_size, hidden_size, num_layers, bidirectional, proj_size, bias, biases=1)


def count_upper_layers_read_h(input_size, hidden_size, num_layers=1, bidirectional=False, proj_size=0, bias=True):
    """Lets the upper layers of a bidirectional LSTM read one direction's width instead of both."""
    return _count(input_size, hidden_size, num_layers, bidirectional, proj_size, bias,
                  upper_reads=lambda d, h, w: w)


def count_one_direction(input_size, hidden_size, num_layers=1, bidirectional=False, proj_size=0, bias=True):
    """Forgets the second direction's parameters (but widens the upper layers' input)."""
    return _count(input_size, hidden_size, num_layers, bidirectional, proj_size, bias, directions_counted=1)


def count_three_blocks(input_size, hidden_size, num_layers=1, bidirectional=False, proj_size=0, bias=True):
    """Counts three blocks per layer, as in a GRU."""
    return _count(input_size, hidden_size, num_layers, bidirectional, proj_size, bias, blocks=3)


def count_ignores_projection(input_size, hidden_size, num_layers=1, bidirectional=False, proj_size=0, bias=True):
    """Ignores proj_size altogether."""
    return _count(input_size, hidden_size, num_layers, bidirectional, 0, bias)


def count_forgets_weight_hr(input_size, hidden_size, num_layers=1, bidirectional=False, proj_size=0, bias=True):
    """Shrinks W_hh and the upper inputs to the projection but forgets the projection matrix W_hr itself."""
    return _count(input_size, hidden_size, num_layers, bidirectional, proj_size, bias, with_hr=False)


def count_hh_stays_square(input_size, hidden_size, num_layers=1, bidirectional=False, proj_size=0, bias=True):
    """Keeps W_hh at (4h, h) although with a projection it reads the projected state, (4h, proj_size)."""
    return _count(input_size, hidden_size, num_layers, bidirectional, proj_size, bias, hh_width=lambda h, p: h)


def count_upper_read_unprojected(input_size, hidden_size, num_layers=1, bidirectional=False, proj_size=0, bias=True):
    """Lets the upper layers read D·h inputs although a projection makes the outputs D·proj_size wide."""
    return _count(input_size, hidden_size, num_layers, bidirectional, proj_size, bias,
                  upper_reads=lambda d, h, w: d * h)


def count_ignores_bias_flag(input_size, hidden_size, num_layers=1, bidirectional=False, proj_size=0, bias=True):
    """Always counts the two biases, also for bias=False."""
    return _count(input_size, hidden_size, num_layers, bidirectional, proj_size, True)


def count_in_int32(input_size, hidden_size, num_layers=1, bidirectional=False, proj_size=0, bias=True):
    """The right formula in NumPy int32, which overflows past 2**31 parameters."""
    with np.errstate(over="ignore"):
        v = [np.int32(n) for n in (input_size, hidden_size, num_layers, 2 if bidirectional else 1, proj_size)]
        d_in, h, layers, directions, p = v
        width = p if p else h
        one_first = np.int32(4) * h * (d_in + width) + (np.int32(8) * h if bias else 0) + p * h
        one_upper = np.int32(4) * h * (directions * width + width) + (np.int32(8) * h if bias else 0) + p * h
        return int(directions * (one_first + (layers - 1) * one_upper))


# ---------------------------------------------------------------- check_peephole_lstm_step


def peephole_output_sees_old_cell(x, h, c, W_x, W_h, b, p_i, p_f, p_o):
    """Lets the output gate peek at the old cell C_{t-1} instead of the new one."""
    a_i, a_f, a_g, a_o = _parts(x, h, W_x, W_h, b)
    i, f, o = torch.sigmoid(a_i + p_i * c), torch.sigmoid(a_f + p_f * c), torch.sigmoid(a_o + p_o * c)
    c_new = f * c + i * torch.tanh(a_g)
    return o * torch.tanh(c_new), c_new


def peephole_after_sigmoid(x, h, c, W_x, W_h, b, p_i, p_f, p_o):
    """Adds the peephole terms after the sigmoid instead of before it."""
    a_i, a_f, a_g, a_o = _parts(x, h, W_x, W_h, b)
    i, f = torch.sigmoid(a_i) + p_i * c, torch.sigmoid(a_f) + p_f * c
    c_new = f * c + i * torch.tanh(a_g)
    o = torch.sigmoid(a_o) + p_o * c_new
    return o * torch.tanh(c_new), c_new


def peephole_forget_gate_blind(x, h, c, W_x, W_h, b, p_i, p_f, p_o):
    """Forgets the peephole of the forget gate."""
    a_i, a_f, a_g, a_o = _parts(x, h, W_x, W_h, b)
    i, f = torch.sigmoid(a_i + p_i * c), torch.sigmoid(a_f)
    c_new = f * c + i * torch.tanh(a_g)
    o = torch.sigmoid(a_o + p_o * c_new)
    return o * torch.tanh(c_new), c_new


def peephole_input_gate_blind(x, h, c, W_x, W_h, b, p_i, p_f, p_o):
    """Forgets the peephole of the input gate."""
    a_i, a_f, a_g, a_o = _parts(x, h, W_x, W_h, b)
    i, f = torch.sigmoid(a_i), torch.sigmoid(a_f + p_f * c)
    c_new = f * c + i * torch.tanh(a_g)
    o = torch.sigmoid(a_o + p_o * c_new)
    return o * torch.tanh(c_new), c_new


def peephole_on_hidden_state(x, h, c, W_x, W_h, b, p_i, p_f, p_o):
    """Lets the gates peek at the hidden state h instead of the cell."""
    a_i, a_f, a_g, a_o = _parts(x, h, W_x, W_h, b)
    i, f = torch.sigmoid(a_i + p_i * h), torch.sigmoid(a_f + p_f * h)
    c_new = f * c + i * torch.tanh(a_g)
    o = torch.sigmoid(a_o + p_o * h)
    return o * torch.tanh(c_new), c_new


def peephole_candidate_peeks_too(x, h, c, W_x, W_h, b, p_i, p_f, p_o):
    """Also adds a peephole (the input gate's) to the candidate."""
    a_i, a_f, a_g, a_o = _parts(x, h, W_x, W_h, b)
    i, f = torch.sigmoid(a_i + p_i * c), torch.sigmoid(a_f + p_f * c)
    c_new = f * c + i * torch.tanh(a_g + p_i * c)
    o = torch.sigmoid(a_o + p_o * c_new)
    return o * torch.tanh(c_new), c_new


def peephole_weights_swapped(x, h, c, W_x, W_h, b, p_i, p_f, p_o):
    """Gives the input gate the forget gate's peephole weights and the reverse."""
    a_i, a_f, a_g, a_o = _parts(x, h, W_x, W_h, b)
    i, f = torch.sigmoid(a_i + p_f * c), torch.sigmoid(a_f + p_i * c)
    c_new = f * c + i * torch.tanh(a_g)
    o = torch.sigmoid(a_o + p_o * c_new)
    return o * torch.tanh(c_new), c_new


# ---------------------------------------------------------------- check_lstm_step_backward


def _backward(x, h, c, W_x, W_h, b, gh, gc, use_gc=True, tanh_prime=True, sigmoid_prime="right",
              through_f=True, new_cell_in_tanh=True, order="ifgo", candidate_prime="right", sum_b=True,
              grad_h_straight=False):
    a_i, a_f, a_g, a_o = (x @ W_x.T + h @ W_h.T + b).chunk(4, dim=-1)
    i, f, o, g = torch.sigmoid(a_i), torch.sigmoid(a_f), torch.sigmoid(a_o), torch.tanh(a_g)
    c_new = f * c + i * g
    t = torch.tanh(c_new if new_cell_in_tanh else c)
    grad_o = gh * t
    grad_cell = (gc if use_gc else 0) + gh * o * ((1 - t ** 2) if tanh_prime else 1)

    def ds(s):
        return {"right": s * (1 - s), "sigma": s, "one_minus": 1 - s}[sigmoid_prime]
    dg = {"right": 1 - g ** 2, "linear": 1 - g}[candidate_prime]
    parts = {"i": grad_cell * g * ds(i), "f": grad_cell * c * ds(f), "g": grad_cell * i * dg, "o": grad_o * ds(o)}
    grad_a = torch.cat([parts[k] for k in order], dim=-1)
    grad_b = grad_a.sum(dim=0) if sum_b else grad_a.mean(dim=0)
    grad_h = gh if grad_h_straight else grad_a @ W_h
    return grad_a @ W_x, grad_h, grad_cell * (f if through_f else 1), grad_a.T @ x, grad_a.T @ h, grad_b


def backward_ignores_grad_c(x, h, c, W_x, W_h, b, grad_h_new, grad_c_new):
    """Forgets the gradient that reaches C_t from the next step (grad_c_new)."""
    return _backward(x, h, c, W_x, W_h, b, grad_h_new, grad_c_new, use_gc=False)


def backward_no_tanh_prime(x, h, c, W_x, W_h, b, grad_h_new, grad_c_new):
    """Passes ∂L/∂H_t into the cell as grad_h * o, forgetting the factor 1 − tanh²(C_t)."""
    return _backward(x, h, c, W_x, W_h, b, grad_h_new, grad_c_new, tanh_prime=False)


def backward_sigmoid_prime_is_sigmoid(x, h, c, W_x, W_h, b, grad_h_new, grad_c_new):
    """Takes σ' = σ instead of σ(1 − σ)."""
    return _backward(x, h, c, W_x, W_h, b, grad_h_new, grad_c_new, sigmoid_prime="sigma")


def backward_cell_skips_forget_gate(x, h, c, W_x, W_h, b, grad_h_new, grad_c_new):
    """Passes ∂L/∂C_t to C_{t-1} unchanged, without the factor F_t."""
    return _backward(x, h, c, W_x, W_h, b, grad_h_new, grad_c_new, through_f=False)


def backward_old_cell_in_tanh(x, h, c, W_x, W_h, b, grad_h_new, grad_c_new):
    """Differentiates tanh at the old cell C_{t-1} instead of the new one."""
    return _backward(x, h, c, W_x, W_h, b, grad_h_new, grad_c_new, new_cell_in_tanh=False)


def backward_order_ifog(x, h, c, W_x, W_h, b, grad_h_new, grad_c_new):
    """Stacks the pre-activation gradients in the order i, f, o, g."""
    return _backward(x, h, c, W_x, W_h, b, grad_h_new, grad_c_new, order="ifog")


def backward_candidate_prime_linear(x, h, c, W_x, W_h, b, grad_h_new, grad_c_new):
    """Takes tanh'(a) = 1 − tanh(a) instead of 1 − tanh²(a) for the candidate."""
    return _backward(x, h, c, W_x, W_h, b, grad_h_new, grad_c_new, candidate_prime="linear")


def backward_bias_mean(x, h, c, W_x, W_h, b, grad_h_new, grad_c_new):
    """Averages the bias gradient over the batch instead of summing it."""
    return _backward(x, h, c, W_x, W_h, b, grad_h_new, grad_c_new, sum_b=False)


def backward_bias_not_reduced(x, h, c, W_x, W_h, b, grad_h_new, grad_c_new):
    """Returns the bias gradient per example, (batch, 4h), instead of summing over the batch."""
    result = list(_backward(x, h, c, W_x, W_h, b, grad_h_new, grad_c_new))
    a = x @ W_x.T
    result[5] = result[5].expand_as(a) / a.shape[0]
    return tuple(result)


def backward_hidden_passes_straight(x, h, c, W_x, W_h, b, grad_h_new, grad_c_new):
    """Passes ∂L/∂H_t back to H_{t-1} unchanged instead of through the gates, grad_a @ W_h."""
    return _backward(x, h, c, W_x, W_h, b, grad_h_new, grad_c_new, grad_h_straight=True)


def backward_weights_transposed(x, h, c, W_x, W_h, b, grad_h_new, grad_c_new):
    """Returns ∂L/∂W in the (d, 4h) layout, xᵀ grad_a, instead of W's own (4h, d)."""
    result = list(_backward(x, h, c, W_x, W_h, b, grad_h_new, grad_c_new))
    result[3], result[4] = result[3].T, result[4].T
    return tuple(result)


# ---------------------------------------------------------------- check_init_forget_bias


def forget_bias_first_layer_only(lstm, value):
    """The chapter's one-layer version: sets layer 0, forward direction, only."""
    h = lstm.hidden_size
    with torch.no_grad():
        lstm.bias_ih_l0[h : 2 * h] = value
        lstm.bias_hh_l0[h : 2 * h] = 0.0


def forget_bias_both_biases(lstm, value):
    """Sets both biases to value, so that the gate sees twice the value."""
    h = lstm.hidden_size
    with torch.no_grad():
        for name, param in lstm.named_parameters():
            if name.startswith("bias"):
                param[h : 2 * h] = value


def forget_bias_input_gate_rows(lstm, value):
    """Writes to rows 0..h, which belong to the input gate."""
    h = lstm.hidden_size
    with torch.no_grad():
        for name, param in lstm.named_parameters():
            if name.startswith("bias_ih"):
                param[:h] = value
            elif name.startswith("bias_hh"):
                param[:h] = 0.0


def forget_bias_forward_only(lstm, value):
    """Sets every layer, but forgets the reverse direction."""
    h = lstm.hidden_size
    with torch.no_grad():
        for k in range(lstm.num_layers):
            getattr(lstm, f"bias_ih_l{k}")[h : 2 * h] = value
            getattr(lstm, f"bias_hh_l{k}")[h : 2 * h] = 0.0


def forget_bias_whole_vector(lstm, value):
    """Fills the whole bias_ih with value and zeroes bias_hh, changing the other gates too."""
    with torch.no_grad():
        for name, param in lstm.named_parameters():
            if name.startswith("bias_ih"):
                param.fill_(value)
            elif name.startswith("bias_hh"):
                param.zero_()


def forget_bias_keeps_hh(lstm, value):
    """Sets b_if to value but leaves b_hf as it was, so the sum is value plus a random number."""
    h = lstm.hidden_size
    with torch.no_grad():
        for name, param in lstm.named_parameters():
            if name.startswith("bias_ih"):
                param[h : 2 * h] = value


def forget_bias_projected_width(lstm, value):
    """Cuts the forget block by the output width (proj_size when there is one) instead of hidden_size."""
    h = lstm.proj_size or lstm.hidden_size
    with torch.no_grad():
        for name, param in lstm.named_parameters():
            if name.startswith("bias_ih"):
                param[h : 2 * h] = value
            elif name.startswith("bias_hh"):
                param[h : 2 * h] = 0.0


def forget_bias_new_parameters(lstm, value):
    """Builds new bias tensors and assigns them: the parameters the optimiser holds are left behind."""
    h = lstm.hidden_size
    for name, param in list(lstm.named_parameters()):
        if name.startswith(("bias_ih", "bias_hh")):
            new = param.detach().clone()
            new[h : 2 * h] = value if name.startswith("bias_ih") else 0.0
            setattr(lstm, name, nn.Parameter(new))


def forget_bias_layer_zero_both_directions(lstm, value):
    """Handles both directions, but of the first layer only."""
    h = lstm.hidden_size
    with torch.no_grad():
        for name, param in lstm.named_parameters():
            if name.startswith("bias_ih_l0"):
                param[h : 2 * h] = value
            elif name.startswith("bias_hh_l0"):
                param[h : 2 * h] = 0.0


# ---------------------------------------------------------------- check_bidirectional_features


def features_without_packing(lstm, X, lengths):
    """Runs the LSTM over the padded batch and takes its final states, which have read the padding."""
    _, (h_n, _) = lstm(X)
    return torch.cat([h_n[-2], h_n[-1]], dim=-1)


def features_at_last_real_step(lstm, X, lengths):
    """Exercise 2.5's trick for both halves: right for a one-layer forward direction only."""
    outputs, _ = lstm(X)
    return outputs[lengths - 1, torch.arange(X.shape[1])]


def features_first_layer(lstm, X, lengths):
    """Packs correctly but takes the first layer's final states, h_n[0] and h_n[1]."""
    packed = torch.nn.utils.rnn.pack_padded_sequence(X, lengths, enforce_sorted=False)
    _, (h_n, _) = lstm(packed)
    return torch.cat([h_n[0], h_n[1]], dim=-1)


def features_backward_first(lstm, X, lengths):
    """Packs correctly but puts the backward direction first."""
    packed = torch.nn.utils.rnn.pack_padded_sequence(X, lengths, enforce_sorted=False)
    _, (h_n, _) = lstm(packed)
    return torch.cat([h_n[-1], h_n[-2]], dim=-1)


def features_forward_from_padded_outputs(lstm, X, lengths):
    """Backward half from the packed run; forward half from the padded run's outputs at lengths − 1.
    Right for one layer, wrong for two: layer 2's forward direction reads layer 1's backward
    outputs, which have read the padding."""
    half = lstm.proj_size or lstm.hidden_size
    outputs, _ = lstm(X)
    forward = outputs[lengths - 1, torch.arange(X.shape[1]), :half]
    _, (h_n, _) = lstm(torch.nn.utils.rnn.pack_padded_sequence(X, lengths, enforce_sorted=False))
    return torch.cat([forward, h_n[-1]], dim=-1)


def features_detached(lstm, X, lengths):
    """Right values computed under torch.no_grad(): no gradient reaches the LSTM."""
    with torch.no_grad():
        packed = torch.nn.utils.rnn.pack_padded_sequence(X, lengths, enforce_sorted=False)
        _, (h_n, _) = lstm(packed)
        return torch.cat([h_n[-2], h_n[-1]], dim=-1)


def features_sorted_packing(lstm, X, lengths):
    """Packs with enforce_sorted=True, which requires lengths in decreasing order."""
    packed = torch.nn.utils.rnn.pack_padded_sequence(X, lengths)
    _, (h_n, _) = lstm(packed)
    return torch.cat([h_n[-2], h_n[-1]], dim=-1)


def features_mean_of_outputs(lstm, X, lengths):
    """Averages the packed outputs over the real steps instead of taking the final states."""
    packed = torch.nn.utils.rnn.pack_padded_sequence(X, lengths, enforce_sorted=False)
    outputs, _ = torch.nn.utils.rnn.pad_packed_sequence(lstm(packed)[0])
    return outputs.sum(dim=0) / lengths[:, None]


# ---------------------------------------------------------------- five more, tried after the checkers were done


def lstm_step_bias_twice(x, h, c, W_x, W_h, b):
    """Adds the bias to both products, as if b were b_ih and also b_hh."""
    a_i, a_f, a_g, a_o = (x @ W_x.T + b + h @ W_h.T + b).chunk(4, dim=-1)
    c_new = torch.sigmoid(a_f) * c + torch.sigmoid(a_i) * torch.tanh(a_g)
    return torch.sigmoid(a_o) * torch.tanh(c_new), c_new


def count_projection_once_per_layer(input_size, hidden_size, num_layers=1, bidirectional=False, proj_size=0, bias=True):
    """Counts the projection matrix W_hr once per layer instead of once per layer and direction."""
    directions = 2 if bidirectional else 1
    full = _count(input_size, hidden_size, num_layers, bidirectional, proj_size, bias)
    return full - (directions - 1) * num_layers * proj_size * hidden_size


def peephole_output_sees_squashed_cell(x, h, c, W_x, W_h, b, p_i, p_f, p_o):
    """Lets the output gate peek at tanh(C_t) instead of C_t."""
    a_i, a_f, a_g, a_o = _parts(x, h, W_x, W_h, b)
    i, f = torch.sigmoid(a_i + p_i * c), torch.sigmoid(a_f + p_f * c)
    c_new = f * c + i * torch.tanh(a_g)
    o = torch.sigmoid(a_o + p_o * torch.tanh(c_new))
    return o * torch.tanh(c_new), c_new


def backward_forget_uses_new_cell(x, h, c, W_x, W_h, b, grad_h_new, grad_c_new):
    """Multiplies the forget gate's gradient by the new cell C_t instead of C_{t-1}."""
    a_i, a_f, a_g, a_o = (x @ W_x.T + h @ W_h.T + b).chunk(4, dim=-1)
    i, f, o, g = torch.sigmoid(a_i), torch.sigmoid(a_f), torch.sigmoid(a_o), torch.tanh(a_g)
    c_new = f * c + i * g
    t = torch.tanh(c_new)
    dc = grad_c_new + grad_h_new * o * (1 - t ** 2)
    da = torch.cat([dc * g * i * (1 - i), dc * c_new * f * (1 - f), dc * i * (1 - g ** 2),
                    grad_h_new * t * o * (1 - o)], -1)
    return da @ W_x, da @ W_h, dc * f, da.T @ x, da.T @ h, da.sum(0)


def features_lengths_off_by_one(lstm, X, lengths):
    """Packs with lengths − 1 (as if the lengths counted an end marker), at least 1."""
    packed = torch.nn.utils.rnn.pack_padded_sequence(X, (lengths - 1).clamp(min=1), enforce_sorted=False)
    _, (h_n, _) = lstm(packed)
    return torch.cat([h_n[-2], h_n[-1]], dim=-1)


def forget_bias_chunks_of_all_parameters(lstm, value):
    """Takes chunk 1 of 4 of every one-dimensional parameter, but of the weights' rows as well."""
    with torch.no_grad():
        for name, param in lstm.named_parameters():
            if name.startswith("bias_ih") or name.startswith("weight_ih"):
                param.chunk(4, dim=0)[1].fill_(value if name.startswith("bias") else 0.0)
            elif name.startswith("bias_hh"):
                param.chunk(4, dim=0)[1].zero_()


WRONG = {
    "check_lstm_step": [lstm_step_no_tanh_on_cell, lstm_step_forget_on_candidate, lstm_step_output_gate_inside_tanh,
                        lstm_step_order_ifog, lstm_step_returns_c_first, lstm_step_in_place, lstm_step_old_layout,
                        lstm_step_handmade_tanh, lstm_step_sigmoid_candidate, lstm_step_shows_old_cell, lstm_step_bias_twice],
    "check_lstm_parameter_count": [count_one_bias, count_upper_layers_read_h, count_one_direction, count_three_blocks,
                                   count_ignores_projection, count_forgets_weight_hr, count_hh_stays_square,
                                   count_upper_read_unprojected, count_ignores_bias_flag, count_in_int32, count_projection_once_per_layer],
    "check_peephole_lstm_step": [peephole_output_sees_old_cell, peephole_after_sigmoid, peephole_forget_gate_blind,
                                 peephole_input_gate_blind, peephole_on_hidden_state, peephole_candidate_peeks_too,
                                 peephole_weights_swapped, peephole_output_sees_squashed_cell],
    "check_lstm_step_backward": [backward_ignores_grad_c, backward_no_tanh_prime, backward_sigmoid_prime_is_sigmoid,
                                 backward_cell_skips_forget_gate, backward_old_cell_in_tanh, backward_order_ifog,
                                 backward_candidate_prime_linear, backward_bias_mean, backward_bias_not_reduced,
                                 backward_hidden_passes_straight, backward_weights_transposed, backward_forget_uses_new_cell],
    "check_init_forget_bias": [forget_bias_first_layer_only, forget_bias_both_biases, forget_bias_input_gate_rows,
                               forget_bias_forward_only, forget_bias_whole_vector, forget_bias_keeps_hh,
                               forget_bias_projected_width, forget_bias_new_parameters,
                               forget_bias_layer_zero_both_directions, forget_bias_chunks_of_all_parameters],
    "check_bidirectional_features": [features_without_packing, features_at_last_real_step, features_first_layer,
                                     features_backward_first, features_forward_from_padded_outputs, features_detached,
                                     features_sorted_packing, features_mean_of_outputs, features_lengths_off_by_one],
}

# ---------------------------------------------------------------- right answers written differently: must pass


def lstm_step_float64_loop(x, h, c, W_x, W_h, b):
    """A right step computed gate by gate in float64 from row blocks of the weights."""
    n = c.shape[-1]
    blocks = [x.double() @ W_x[k * n:(k + 1) * n].double().T + h.double() @ W_h[k * n:(k + 1) * n].double().T
              + b[k * n:(k + 1) * n].double() for k in range(4)]
    i, f, o = (torch.sigmoid(blocks[k]) for k in (0, 1, 3))
    c_new = f * c.double() + i * torch.tanh(blocks[2])
    return o * torch.tanh(c_new), c_new


def lstm_step_through_lstmcell(x, h, c, W_x, W_h, b):
    """A right step that loads the weights into nn.LSTMCell (whose layout is the same)."""
    cell = nn.LSTMCell(W_x.shape[1], W_h.shape[1])
    with torch.no_grad():
        cell.weight_ih.copy_(W_x)
        cell.weight_hh.copy_(W_h)
        cell.bias_ih.copy_(b)
        cell.bias_hh.zero_()
        return cell(x, (h, c))


def count_by_summing_shapes(input_size, hidden_size, num_layers=1, bidirectional=False, proj_size=0, bias=True):
    """A right count that lists every tensor's shape, as named_parameters() would, and multiplies them out."""
    shapes = []
    width = proj_size or hidden_size
    for layer in range(num_layers):
        inputs = input_size if layer == 0 else (2 if bidirectional else 1) * width
        for _ in range(2 if bidirectional else 1):
            shapes += [(4 * hidden_size, inputs), (4 * hidden_size, width)]
            shapes += [(4 * hidden_size,)] * (2 if bias else 0)
            shapes += [(proj_size, hidden_size)] if proj_size else []
    return sum(int(np.prod(shape)) for shape in shapes)


def count_as_numpy_int64(input_size, hidden_size, num_layers=1, bidirectional=False, proj_size=0, bias=True):
    """A right count returned as a NumPy int64."""
    return np.int64(count_by_summing_shapes(input_size, hidden_size, num_layers, bidirectional, proj_size, bias))


def peephole_float64(x, h, c, W_x, W_h, b, p_i, p_f, p_o):
    """A right peephole step in float64 with the peepholes as diagonal matrices."""
    x, h, c, W_x, W_h, b, p_i, p_f, p_o = (t.double() for t in (x, h, c, W_x, W_h, b, p_i, p_f, p_o))
    a_i, a_f, a_g, a_o = (x @ W_x.T + h @ W_h.T + b).chunk(4, dim=-1)
    i, f = torch.sigmoid(a_i + c @ torch.diag(p_i)), torch.sigmoid(a_f + c @ torch.diag(p_f))
    c_new = f * c + i * torch.tanh(a_g)
    return torch.sigmoid(a_o + c_new @ torch.diag(p_o)) * torch.tanh(c_new), c_new


def backward_with_autograd(x, h, c, W_x, W_h, b, grad_h_new, grad_c_new):
    """Right gradients from autograd: a vector-Jacobian product of the forward step."""
    leaves = [t.detach().clone().requires_grad_() for t in (x, h, c, W_x, W_h, b)]
    lx, lh, lc, lW_x, lW_h, lb = leaves
    a_i, a_f, a_g, a_o = (lx @ lW_x.T + lh @ lW_h.T + lb).chunk(4, dim=-1)
    c_new = torch.sigmoid(a_f) * lc + torch.sigmoid(a_i) * torch.tanh(a_g)
    h_new = torch.sigmoid(a_o) * torch.tanh(c_new)
    return torch.autograd.grad((h_new, c_new), leaves, grad_outputs=(grad_h_new, grad_c_new))


def backward_list_in_float32(x, h, c, W_x, W_h, b, grad_h_new, grad_c_new):
    """Right gradients computed with einsum, returned as a list."""
    a_i, a_f, a_g, a_o = (torch.einsum("bd,kd->bk", x, W_x) + torch.einsum("bh,kh->bk", h, W_h) + b).chunk(4, -1)
    i, f, o, g = torch.sigmoid(a_i), torch.sigmoid(a_f), torch.sigmoid(a_o), torch.tanh(a_g)
    t = torch.tanh(f * c + i * g)
    dc = grad_c_new + grad_h_new * o * (1 - t * t)
    da = torch.cat([dc * g * i * (1 - i), dc * c * f * (1 - f), dc * i * (1 - g * g), grad_h_new * t * o * (1 - o)], -1)
    return [torch.einsum("bk,kd->bd", da, W_x), torch.einsum("bk,kh->bh", da, W_h), dc * f,
            torch.einsum("bk,bd->kd", da, x), torch.einsum("bk,bh->kh", da, h), da.sum(0)]


def forget_bias_split_in_halves(lstm, value):
    """A right initialisation that splits the value equally between the two biases, through .data."""
    h = lstm.hidden_size
    for name, param in lstm.named_parameters():
        if name.startswith(("bias_ih", "bias_hh")):
            param.data[h : 2 * h] = value / 2


def forget_bias_by_names(lstm, value):
    """A right initialisation that builds the names layer by layer and direction by direction."""
    h = lstm.hidden_size
    suffixes = ["", "_reverse"] if lstm.bidirectional else [""]
    with torch.no_grad():
        for k in range(lstm.num_layers):
            for suffix in suffixes:
                getattr(lstm, f"bias_ih_l{k}{suffix}")[h : 2 * h].fill_(value)
                getattr(lstm, f"bias_hh_l{k}{suffix}")[h : 2 * h].zero_()


def features_in_float64(lstm, X, lengths):
    """Right features (packed, last layer, forward then backward), returned in float64."""
    packed = torch.nn.utils.rnn.pack_padded_sequence(X, lengths, enforce_sorted=False)
    _, (h_n, _) = lstm(packed)
    return torch.cat([h_n[-2], h_n[-1]], dim=-1).double()


def features_from_packed_outputs(lstm, X, lengths):
    """Right features from the packed run's outputs: forward at lengths − 1, backward at position 0."""
    packed = torch.nn.utils.rnn.pack_padded_sequence(X, lengths, enforce_sorted=False)
    outputs, _ = torch.nn.utils.rnn.pad_packed_sequence(lstm(packed)[0])
    half = outputs.shape[-1] // 2
    return torch.cat([outputs[lengths - 1, torch.arange(X.shape[1]), :half], outputs[0, :, half:]], dim=-1)


RIGHT = {
    "check_lstm_step": [lstm_step_float64_loop, lstm_step_through_lstmcell],
    "check_lstm_parameter_count": [count_by_summing_shapes, count_as_numpy_int64],
    "check_peephole_lstm_step": [peephole_float64],
    "check_lstm_step_backward": [backward_with_autograd, backward_list_in_float32],
    "check_init_forget_bias": [forget_bias_split_in_halves, forget_bias_by_names],
    "check_bidirectional_features": [features_in_float64, features_from_packed_outputs],
}
