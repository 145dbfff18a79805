"""Plausible wrong answers to the Chapter 2 exercises (each checker must reject every one of them),
and right answers written differently from the reference solutions (each must pass)."""

import numpy as np
import torch
import torch.nn.functional as F

# ---------------------------------------------------------------- check_to_chung


def chung_negates_bias_only(params):
    """Negates b_z but keeps the update gate's weights."""
    return {**params, "b_z": -params["b_z"]}


def chung_negates_weights_only(params):
    """Negates the update gate's weights but not its bias."""
    return {**params, "W_xz": -params["W_xz"], "W_hz": -params["W_hz"]}


def chung_one_minus(params):
    """Replaces the update gate's parameters by 1 − p, as if 1 − σ(a) were σ(1 − a)."""
    return {**params, **{name: 1 - params[name] for name in ("W_xz", "W_hz", "b_z")}}


def chung_unchanged(params):
    """Returns the parameters unchanged, as if the two conventions were the same function."""
    return dict(params)


def chung_swaps_gates(params):
    """Swaps the reset and update gates' parameters."""
    swapped = dict(params)
    for x, y in (("W_xr", "W_xz"), ("W_hr", "W_hz"), ("b_r", "b_z")):
        swapped[x], swapped[y] = params[y], params[x]
    return swapped


def chung_negates_both_gates(params):
    """Negates the reset gate's parameters as well."""
    return {**params, **{name: -params[name] for name in ("W_xz", "W_hz", "b_z", "W_xr", "W_hr", "b_r")}}


def chung_in_place(params):
    """Right parameters, but negates the caller's tensors in place."""
    for name in ("W_xz", "W_hz", "b_z"):
        params[name].neg_()
    return params


def chung_transposes(params):
    """Negates the right tensors but also transposes the weight matrices, as if the layout were (in, out)."""
    result = {**params, **{name: -params[name] for name in ("W_xz", "W_hz", "b_z")}}
    return {name: value.T if value.dim() == 2 and value.shape[0] == value.shape[1] else value for name, value in result.items()}


def chung_returns_list(params):
    """Returns the tensors as a list, in the order of the dict."""
    return [(-value if name in ("W_xz", "W_hz", "b_z") else value) for name, value in params.items()]


# ---------------------------------------------------------------- check_gru_parameter_count


def _dirs(bidirectional):
    return 2 if bidirectional else 1


def count_one_bias(input_size, hidden_size, num_layers=1, bidirectional=False, bias=True):
    """Counts one bias per gate block, as in the paper's equations; nn.GRU has two (bias_ih and bias_hh)."""
    d, b = _dirs(bidirectional), 1 if bias else 0
    return d * (3 * hidden_size * (input_size + hidden_size + b) + (num_layers - 1) * 3 * hidden_size * (d * hidden_size + hidden_size + b))


def count_four_blocks(input_size, hidden_size, num_layers=1, bidirectional=False, bias=True):
    """Counts four blocks per layer, as for an LSTM, instead of three (r, z, n)."""
    d, b = _dirs(bidirectional), 2 if bias else 0
    return d * (4 * hidden_size * (input_size + hidden_size + b) + (num_layers - 1) * 4 * hidden_size * (d * hidden_size + hidden_size + b))


def count_same_input_every_layer(input_size, hidden_size, num_layers=1, bidirectional=False, bias=True):
    """Gives every layer the data's input size, but layers 2, 3, ... read the hidden states below."""
    d, b = _dirs(bidirectional), 2 if bias else 0
    return d * num_layers * 3 * hidden_size * (input_size + hidden_size + b)


def count_bidirectional_layer_reads_h(input_size, hidden_size, num_layers=1, bidirectional=False, bias=True):
    """Doubles for two directions, but lets layer 2 read h instead of the 2h outputs of both directions below."""
    d, b = _dirs(bidirectional), 2 if bias else 0
    return d * (3 * hidden_size * (input_size + hidden_size + b) + (num_layers - 1) * 3 * hidden_size * (2 * hidden_size + b))


def count_doubles_only_first_layer(input_size, hidden_size, num_layers=1, bidirectional=False, bias=True):
    """Doubles the first layer for two directions but counts the layers above once."""
    d, b = _dirs(bidirectional), 2 if bias else 0
    return d * 3 * hidden_size * (input_size + hidden_size + b) + (num_layers - 1) * 3 * hidden_size * (d * hidden_size + hidden_size + b)


def count_ignores_bias_flag(input_size, hidden_size, num_layers=1, bidirectional=False, bias=True):
    """Always counts the two biases, even for bias=False."""
    d = _dirs(bidirectional)
    return d * (3 * hidden_size * (input_size + hidden_size + 2) + (num_layers - 1) * 3 * hidden_size * (d * hidden_size + hidden_size + 2))


def count_float(input_size, hidden_size, num_layers=1, bidirectional=False, bias=True):
    """Right formula, but written with / so that the result is a float."""
    d, b = _dirs(bidirectional), 2 if bias else 0
    per_layer = 6 * hidden_size / 2
    return d * (per_layer * (input_size + hidden_size + b) + (num_layers - 1) * per_layer * (d * hidden_size + hidden_size + b))


def count_int32(input_size, hidden_size, num_layers=1, bidirectional=False, bias=True):
    """Right formula in NumPy int32 arithmetic, which overflows beyond 2³¹ for a large model."""
    d, b = np.int32(_dirs(bidirectional)), np.int32(2 if bias else 0)
    h, i, L = np.int32(hidden_size), np.int32(input_size), np.int32(num_layers)
    with np.errstate(over="ignore"):
        return int(d * (np.int32(3) * h * (i + h + b) + (L - np.int32(1)) * np.int32(3) * h * (d * h + h + b)))


def count_ignores_bidirectional(input_size, hidden_size, num_layers=1, bidirectional=False, bias=True):
    """Forgets the second direction."""
    b = 2 if bias else 0
    return 3 * hidden_size * (input_size + hidden_size + b) + (num_layers - 1) * 3 * hidden_size * (2 * hidden_size + b)


# ---------------------------------------------------------------- check_torch_gru_step


def torch_step_order_zrn(x, h, weight_ih, weight_hh, bias_ih, bias_hh):
    """Reads the stacked blocks in the order z, r, n instead of r, z, n."""
    z_i, r_i, n_i = (x @ weight_ih.T + bias_ih).chunk(3, dim=-1)
    z_h, r_h, n_h = (h @ weight_hh.T + bias_hh).chunk(3, dim=-1)
    r, z = torch.sigmoid(r_i + r_h), torch.sigmoid(z_i + z_h)
    n = torch.tanh(n_i + r * n_h)
    return (1 - z) * n + z * h


def torch_step_reset_before(x, h, weight_ih, weight_hh, bias_ih, bias_hh):
    """Applies the reset gate before the product with W_hn (the paper's variant), not after."""
    r_i, z_i, n_i = (x @ weight_ih.T + bias_ih).chunk(3, dim=-1)
    r_h, z_h, _ = (h @ weight_hh.T + bias_hh).chunk(3, dim=-1)
    r, z = torch.sigmoid(r_i + r_h), torch.sigmoid(z_i + z_h)
    W_hn, b_hn = weight_hh.chunk(3)[2], bias_hh.chunk(3)[2]
    n = torch.tanh(n_i + (r * h) @ W_hn.T + b_hn)
    return (1 - z) * n + z * h


def torch_step_bias_outside_reset(x, h, weight_ih, weight_hh, bias_ih, bias_hh):
    """Adds b_hn outside the reset gate instead of inside it."""
    r_i, z_i, n_i = (x @ weight_ih.T + bias_ih).chunk(3, dim=-1)
    r_h, z_h, n_h = (h @ weight_hh.T).chunk(3, dim=-1)
    b_hr, b_hz, b_hn = bias_hh.chunk(3)
    r, z = torch.sigmoid(r_i + r_h + b_hr), torch.sigmoid(z_i + z_h + b_hz)
    n = torch.tanh(n_i + b_hn + r * n_h)
    return (1 - z) * n + z * h


def torch_step_z_swapped(x, h, weight_ih, weight_hh, bias_ih, bias_hh):
    """Puts z on the candidate and 1 − z on the old state."""
    r_i, z_i, n_i = (x @ weight_ih.T + bias_ih).chunk(3, dim=-1)
    r_h, z_h, n_h = (h @ weight_hh.T + bias_hh).chunk(3, dim=-1)
    r, z = torch.sigmoid(r_i + r_h), torch.sigmoid(z_i + z_h)
    n = torch.tanh(n_i + r * n_h)
    return z * n + (1 - z) * h


def torch_step_forgets_bias_hh(x, h, weight_ih, weight_hh, bias_ih, bias_hh):
    """Uses bias_ih only, as if one bias were enough."""
    r_i, z_i, n_i = (x @ weight_ih.T + bias_ih).chunk(3, dim=-1)
    r_h, z_h, n_h = (h @ weight_hh.T).chunk(3, dim=-1)
    r, z = torch.sigmoid(r_i + r_h), torch.sigmoid(z_i + z_h)
    return (1 - z) * torch.tanh(n_i + r * n_h) + z * h


def torch_step_interleaved_blocks(x, h, weight_ih, weight_hh, bias_ih, bias_hh):
    """Reads the packed rows as interleaved (r, z, n, r, z, n, ...) instead of three stacked blocks."""
    def split(a):
        return a.reshape(*a.shape[:-1], -1, 3).unbind(-1)
    r_i, z_i, n_i = split(x @ weight_ih.T + bias_ih)
    r_h, z_h, n_h = split(h @ weight_hh.T + bias_hh)
    r, z = torch.sigmoid(r_i + r_h), torch.sigmoid(z_i + z_h)
    return (1 - z) * torch.tanh(n_i + r * n_h) + z * h


def torch_step_weight_ih_for_hidden(x, h, weight_ih, weight_hh, bias_ih, bias_hh):
    """Uses weight_ih for the hidden part too (the shapes fit when inputs = hiddens)."""
    r_i, z_i, n_i = (x @ weight_ih.T + bias_ih).chunk(3, dim=-1)
    r_h, z_h, n_h = (h @ weight_ih.T + bias_hh).chunk(3, dim=-1)
    r, z = torch.sigmoid(r_i + r_h), torch.sigmoid(z_i + z_h)
    return (1 - z) * torch.tanh(n_i + r * n_h) + z * h


# ---------------------------------------------------------------- check_gru_from_rnn


def _rnn_inside_gru(rnn, reset_bias, update_bias, block=2, zero_gates=True, where="ih"):
    h = rnn.hidden_size
    gru = torch.nn.GRU(rnn.input_size, h)
    with torch.no_grad():
        if zero_gates:
            for param in gru.parameters():
                param.zero_()
        else:  # the gate biases still start from 0, their weights stay as initialised
            gru.bias_ih_l0.zero_()
            gru.bias_hh_l0.zero_()
        bias = gru.bias_ih_l0 if where == "ih" else gru.bias_hh_l0
        bias[:h] = reset_bias
        bias[h : 2 * h] = update_bias
        rows = slice(block * h, (block + 1) * h)
        gru.weight_ih_l0[rows] = rnn.weight_ih_l0
        gru.weight_hh_l0[rows] = rnn.weight_hh_l0
        gru.bias_ih_l0[rows] = rnn.bias_ih_l0
        gru.bias_hh_l0[rows] = rnn.bias_hh_l0
    return gru


def gru_from_rnn_copies_state(rnn):
    """Pins the update gate to 1 instead of 0: the GRU copies its initial state forever."""
    return _rnn_inside_gru(rnn, reset_bias=40.0, update_bias=40.0)


def gru_from_rnn_first_block(rnn):
    """Writes the RNN's weights into the first block (the reset gate) instead of the third."""
    return _rnn_inside_gru(rnn, reset_bias=40.0, update_bias=-40.0, block=0)


def gru_from_rnn_random_gates(rnn):
    """Copies the candidate's weights but leaves the gates as initialised."""
    h = rnn.hidden_size
    gru = torch.nn.GRU(rnn.input_size, h)
    with torch.no_grad():
        gru.weight_ih_l0[2 * h :] = rnn.weight_ih_l0
        gru.weight_hh_l0[2 * h :] = rnn.weight_hh_l0
        gru.bias_ih_l0[2 * h :] = rnn.bias_ih_l0
        gru.bias_hh_l0[2 * h :] = rnn.bias_hh_l0
    return gru


def gru_from_rnn_reset_closed(rnn):
    """Pins the reset gate to 0 instead of 1: the candidate never sees the old state."""
    return _rnn_inside_gru(rnn, reset_bias=-40.0, update_bias=-40.0)


def gru_from_rnn_bias_only(rnn):
    """Pins the gates with biases of ±40 but leaves their weights as initialised: large inputs overwhelm the bias."""
    return _rnn_inside_gru(rnn, reset_bias=40.0, update_bias=-40.0, zero_gates=False)


def gru_from_rnn_weak_bias(rnn):
    """Zeroes the gate weights but uses biases of ±5, which leave z = σ(−5) ≈ 0.007 of the old state in."""
    return _rnn_inside_gru(rnn, reset_bias=5.0, update_bias=-5.0)


def gru_from_rnn_update_half(rnn):
    """Zeroes the gate weights and biases: r = z = σ(0) = 0.5, so each new state is half old state, half candidate."""
    return _rnn_inside_gru(rnn, reset_bias=0.0, update_bias=0.0)


def gru_from_rnn_shares_parameters(rnn):
    """Right values, but moves the RNN's hidden bias into the GRU by zeroing the RNN's own: it changes its input."""
    gru = _rnn_inside_gru(rnn, reset_bias=40.0, update_bias=-40.0)
    with torch.no_grad():
        h = rnn.hidden_size
        gru.bias_ih_l0[2 * h :] = rnn.bias_ih_l0 + rnn.bias_hh_l0
        gru.bias_hh_l0[2 * h :] = 0.0
        rnn.bias_hh_l0.zero_()
    return gru


# ---------------------------------------------------------------- check_classify_last_state


def classify_final_padded_state(gru, head, X, lengths):
    """Uses the state after the last padded step, which has read the padding."""
    _, state = gru(X)
    return head(state[0])


def classify_batch_first_indexing(gru, head, X, lengths):
    """Indexes the outputs as (batch, step), as if they were batch-first."""
    outputs, _ = gru(X)
    return head(outputs[torch.arange(X.shape[1]), lengths - 1])


def classify_mean_over_steps(gru, head, X, lengths):
    """Averages the outputs over all steps, padding included, instead of taking the last real one."""
    outputs, _ = gru(X)
    return head(outputs.mean(dim=0))


def classify_off_by_one(gru, head, X, lengths):
    """Takes the output one step before the last real one (wrapping to the end for length 1)."""
    outputs, _ = gru(X)
    return head(outputs[lengths - 2, torch.arange(X.shape[1])])


def classify_sorted_not_restored(gru, head, X, lengths):
    """Sorts the sequences by length for pack_padded_sequence and forgets to put the results back in order."""
    order = lengths.argsort(descending=True)
    packed = torch.nn.utils.rnn.pack_padded_sequence(X[:, order], lengths[order])
    _, state = gru(packed)
    return head(state[0])


def classify_padded_output_last_row(gru, head, X, lengths):
    """Packs correctly but then reads the last row of the re-padded outputs, which is zero for shorter sequences."""
    packed = torch.nn.utils.rnn.pack_padded_sequence(X, lengths, enforce_sorted=False)
    outputs, _ = torch.nn.utils.rnn.pad_packed_sequence(gru(packed)[0])
    return head(outputs[-1])


def classify_lengths_not_minus_one(gru, head, X, lengths):
    """Indexes with lengths instead of lengths − 1, clamped to stay inside the tensor."""
    outputs, _ = gru(X)
    return head(outputs[lengths.clamp(max=X.shape[0] - 1), torch.arange(X.shape[1])])


def classify_mean_over_real_steps(gru, head, X, lengths):
    """Averages the outputs over each sequence's real steps: another classifier, not the last state."""
    outputs, _ = gru(X)
    mask = (torch.arange(X.shape[0])[:, None] < lengths[None, :]).float()[..., None]
    return head((outputs * mask).sum(dim=0) / lengths[:, None])


# ---------------------------------------------------------------- check_gru_step_backward


def _forward(x, h, p):
    r = torch.sigmoid(x @ p["W_xr"].T + h @ p["W_hr"].T + p["b_r"])
    z = torch.sigmoid(x @ p["W_xz"].T + h @ p["W_hz"].T + p["b_z"])
    h_tilde = torch.tanh(x @ p["W_xh"].T + (r * h) @ p["W_hh"].T + p["b_h"])
    return r, z, h_tilde


def _backward(x, h, p, C, z_path=True, r_path=True, direct=True, transpose_hh=False, transpose_dW=False,
              tanh_prime=lambda t: 1 - t**2, chung=False, rh_for_dW=True):
    r, z, h_tilde = _forward(x, h, p)
    keep, take = (1 - z, z) if chung else (z, 1 - z)
    d_a_h = C * take * tanh_prime(h_tilde)
    d_a_z = C * (h - h_tilde) * z * (1 - z) * (-1 if chung else 1)
    W_hh = p["W_hh"].T if transpose_hh else p["W_hh"]
    d_rh = d_a_h @ W_hh
    d_a_r = d_rh * h * r * (1 - r)
    d_h = d_rh * r
    if direct:
        d_h = d_h + C * keep
    if z_path:
        d_h = d_h + d_a_z @ p["W_hz"]
    if r_path:
        d_h = d_h + d_a_r @ p["W_hr"]
    inputs = r * h if rh_for_dW else h
    d_W = inputs.T @ d_a_h if transpose_dW else d_a_h.T @ inputs
    return d_h, d_W


def backward_update_gate_constant(x, h, params, C):
    """Treats the update gate as a constant: forgets the path from H_{t-1} through Z_t."""
    return _backward(x, h, params, C, z_path=False)


def backward_reset_gate_constant(x, h, params, C):
    """Treats the reset gate as a constant: forgets the path from H_{t-1} through R_t."""
    return _backward(x, h, params, C, r_path=False)


def backward_no_direct_path(x, h, params, C):
    """Forgets the direct term Z_t ⊙ C of the old state."""
    return _backward(x, h, params, C, direct=False)


def backward_transposed_hh(x, h, params, C):
    """Carries the candidate's gradient back through W_hhᵀ instead of W_hh."""
    return _backward(x, h, params, C, transpose_hh=True)


def backward_transposed_dW(x, h, params, C):
    """Returns (R ⊙ H)ᵀ δ, the transpose of ∂L/∂W_hh (a (in, out) matrix)."""
    return _backward(x, h, params, C, transpose_dW=True)


def backward_tanh_prime_linear(x, h, params, C):
    """Uses 1 − H̃ as the derivative of tanh instead of 1 − H̃²."""
    return _backward(x, h, params, C, tanh_prime=lambda t: 1 - t)


def backward_chung_convention(x, h, params, C):
    """Differentiates Chung et al.'s update, H = (1 − Z) ⊙ H_{t-1} + Z ⊙ H̃, not the book's."""
    return _backward(x, h, params, C, chung=True)


def backward_dW_uses_h(x, h, params, C):
    """Uses H_{t-1} instead of R_t ⊙ H_{t-1} in ∂L/∂W_hh."""
    return _backward(x, h, params, C, rh_for_dW=False)


def backward_sigmoid_prime_wrong(x, h, params, C):
    """Uses σ(a)(1 + σ(a)) as the derivative of the sigmoid."""
    r, z, h_tilde = _forward(x, h, params)
    d_a_h = C * (1 - z) * (1 - h_tilde**2)
    d_rh = d_a_h @ params["W_hh"]
    d_a_z = C * (h - h_tilde) * z * (1 + z)
    d_a_r = d_rh * h * r * (1 + r)
    d_h = C * z + d_rh * r + d_a_z @ params["W_hz"] + d_a_r @ params["W_hr"]
    return d_h, d_a_h.T @ (r * h)


def backward_float16(x, h, params, C):
    """Right formulas evaluated in float16 to save memory: far too imprecise."""
    half = {k: v.half().float() for k, v in params.items()}
    d_h, d_W = _backward(x.half().float(), h.half().float(), half, C.half().float())
    return d_h.double(), d_W.double()


# ---------------------------------------------------------------- check_input_gradient_norms


def norms_accumulate_in_x(layer, X):
    """Sets requires_grad on the caller's X and reads X.grad, which accumulates from one call to the next."""
    X.requires_grad_(True)
    outputs, _ = layer(X)
    outputs[-1].sum().backward()
    norms = X.grad.flatten(1).norm(dim=1).clone()
    X.requires_grad_(False)
    return norms


def norms_all_steps_loss(layer, X):
    """Uses the sum of all outputs as the loss instead of the last state alone."""
    X = X.detach().clone().requires_grad_()
    outputs, _ = layer(X)
    outputs.sum().backward()
    return X.grad.flatten(1).norm(dim=1)


def norms_reversed(layer, X):
    """Returns the norms in reverse order (distance back from the end instead of time)."""
    X = X.detach().clone().requires_grad_()
    outputs, _ = layer(X)
    outputs[-1].sum().backward()
    return X.grad.flatten(1).norm(dim=1).flip(0)


def norms_of_first_example(layer, X):
    """Measures the gradient of the first sequence of the batch only."""
    X = X.detach().clone().requires_grad_()
    outputs, _ = layer(X)
    outputs[-1].sum().backward()
    return X.grad[:, 0].norm(dim=1)


def norms_state_output(layer, X):
    """Uses the returned state instead of the outputs: fails for an LSTM, whose state is a pair."""
    X = X.detach().clone().requires_grad_()
    _, state = layer(X)
    state[-1].sum().backward()
    return X.grad.flatten(1).norm(dim=1)


def norms_squared(layer, X):
    """Returns the squared norms."""
    X = X.detach().clone().requires_grad_()
    outputs, _ = layer(X)
    outputs[-1].sum().backward()
    return (X.grad**2).flatten(1).sum(dim=1)


def norms_mean_loss(layer, X):
    """Uses the mean of the last state instead of its sum (all norms scaled by 1 / (batch · hiddens))."""
    X = X.detach().clone().requires_grad_()
    outputs, _ = layer(X)
    outputs[-1].mean().backward()
    return X.grad.flatten(1).norm(dim=1)


def norms_per_example_mean(layer, X):
    """Averages the norms of the examples instead of the norm over the whole batch."""
    X = X.detach().clone().requires_grad_()
    outputs, _ = layer(X)
    outputs[-1].sum().backward()
    return X.grad.norm(dim=2).mean(dim=1)


# ---------------------------------------------------------------- check_init_update_bias


def _blocks(gru, value, gate=1, ih=True, hh=0.0, layers=None):
    h = gru.hidden_size
    rows = slice(gate * h, (gate + 1) * h)
    with torch.no_grad():
        for name, param in gru.named_parameters():
            if layers is not None and not any(name.endswith(f"l{k}") or name.endswith(f"l{k}_reverse") for k in layers):
                continue
            if name.startswith("bias_ih") and ih:
                param[rows] = value
            elif name.startswith("bias_hh") and hh is not None:
                param[rows] = hh
    return gru


def bias_reset_gate(gru, value):
    """Sets the first block, which is the reset gate in PyTorch's order r, z, n."""
    return _blocks(gru, value, gate=0)


def bias_candidate(gru, value):
    """Sets the third block, the candidate's bias."""
    return _blocks(gru, value, gate=2)


def bias_ih_only(gru, value):
    """Sets bias_ih but leaves bias_hh as initialised, so the sum is value plus a random number."""
    return _blocks(gru, value, hh=None)


def bias_both_to_value(gru, value):
    """Sets both biases to value, so that the gate's total bias is 2·value."""
    return _blocks(gru, value, hh=value)


def bias_first_layer_only(gru, value):
    """Sets the update gate's bias of layer 0 only."""
    return _blocks(gru, value, layers=[0])


def bias_negated(gru, value):
    """Uses −value, as in Chung et al.'s convention, where a large z takes the candidate."""
    return _blocks(gru, -value)


def bias_whole_vector(gru, value):
    """Fills the whole bias vectors (all three gates) instead of the update gate's rows."""
    with torch.no_grad():
        for name, param in gru.named_parameters():
            if name.startswith("bias_ih"):
                param.fill_(value)
            elif name.startswith("bias_hh"):
                param.zero_()
    return gru


def bias_returns_copy(gru, value):
    """Changes a deep copy and returns it, leaving the given GRU as it was."""
    import copy

    return _blocks(copy.deepcopy(gru), value)


def bias_forward_direction_only(gru, value):
    """Skips the reverse direction of a bidirectional GRU."""
    h = gru.hidden_size
    with torch.no_grad():
        for name, param in gru.named_parameters():
            if name.endswith("_reverse"):
                continue
            if name.startswith("bias_ih"):
                param[h : 2 * h] = value
            elif name.startswith("bias_hh"):
                param[h : 2 * h] = 0.0
    return gru


# ---------------------------------------------------------------- found last: five near misses tried after the checkers were done


def chung_rebinds_callers_dict(params):
    """Rebinds the negated tensors in the caller's dict (no tensor changes in place, but the dict does) and returns it."""
    for name in ("W_xz", "W_hz", "b_z"):
        params[name] = -params[name]
    return params


def count_bidirectional_weights_only(input_size, hidden_size, num_layers=1, bidirectional=False, bias=True):
    """Doubles the weights for two directions but counts the biases once."""
    d = 2 if bidirectional else 1
    weights = 3 * hidden_size * (input_size + hidden_size) + (num_layers - 1) * 3 * hidden_size * (d * hidden_size + hidden_size)
    return d * weights + (num_layers * 6 * hidden_size if bias else 0)


def backward_reset_without_h(x, h, params, C):
    """Forgets the factor H_{t-1} in the reset gate's gradient: δ_r = G ⊙ R(1 − R)."""
    p = params
    r = torch.sigmoid(x @ p["W_xr"].T + h @ p["W_hr"].T + p["b_r"])
    z = torch.sigmoid(x @ p["W_xz"].T + h @ p["W_hz"].T + p["b_z"])
    n = torch.tanh(x @ p["W_xh"].T + (r * h) @ p["W_hh"].T + p["b_h"])
    d_h = C * (1 - z) * (1 - n**2)
    d_z = C * (h - n) * z * (1 - z)
    G = d_h @ p["W_hh"]
    d_r = G * r * (1 - r)
    return C * z + G * r + d_z @ p["W_hz"] + d_r @ p["W_hr"], d_h.T @ (r * h)


def backward_dW_mean(x, h, params, C):
    """Averages ∂L/∂W_hh over the batch instead of summing (right only for batch 1)."""
    p = params
    r = torch.sigmoid(x @ p["W_xr"].T + h @ p["W_hr"].T + p["b_r"])
    z = torch.sigmoid(x @ p["W_xz"].T + h @ p["W_hz"].T + p["b_z"])
    n = torch.tanh(x @ p["W_xh"].T + (r * h) @ p["W_hh"].T + p["b_h"])
    d_h = C * (1 - z) * (1 - n**2)
    d_z = C * (h - n) * z * (1 - z)
    G = d_h @ p["W_hh"]
    d_r = G * h * r * (1 - r)
    return C * z + G * r + d_z @ p["W_hz"] + d_r @ p["W_hr"], d_h.T @ (r * h) / x.shape[0]


def count_bias_false_keeps_one(input_size, hidden_size, num_layers=1, bidirectional=False, bias=True):
    """For bias=False removes only one of the two biases."""
    d, b = (2 if bidirectional else 1), (2 if bias else 1)
    return d * (3 * hidden_size * (input_size + hidden_size + b) + (num_layers - 1) * 3 * hidden_size * (d * hidden_size + hidden_size + b))


WRONG = {
    "check_to_chung": [chung_negates_bias_only, chung_negates_weights_only, chung_one_minus, chung_unchanged, chung_swaps_gates,
                       chung_negates_both_gates, chung_in_place, chung_transposes, chung_returns_list, chung_rebinds_callers_dict],
    "check_gru_parameter_count": [count_one_bias, count_four_blocks, count_same_input_every_layer, count_bidirectional_layer_reads_h,
                                  count_doubles_only_first_layer, count_ignores_bias_flag, count_float, count_int32,
                                  count_ignores_bidirectional, count_bidirectional_weights_only, count_bias_false_keeps_one],
    "check_torch_gru_step": [torch_step_order_zrn, torch_step_reset_before, torch_step_bias_outside_reset, torch_step_z_swapped,
                             torch_step_forgets_bias_hh, torch_step_interleaved_blocks, torch_step_weight_ih_for_hidden],
    "check_gru_from_rnn": [gru_from_rnn_copies_state, gru_from_rnn_first_block, gru_from_rnn_random_gates, gru_from_rnn_reset_closed,
                           gru_from_rnn_bias_only, gru_from_rnn_weak_bias, gru_from_rnn_update_half,
                           gru_from_rnn_shares_parameters],
    "check_classify_last_state": [classify_final_padded_state, classify_batch_first_indexing, classify_mean_over_steps,
                                  classify_off_by_one, classify_sorted_not_restored, classify_padded_output_last_row,
                                  classify_lengths_not_minus_one, classify_mean_over_real_steps],
    "check_gru_step_backward": [backward_update_gate_constant, backward_reset_gate_constant, backward_no_direct_path,
                                backward_transposed_hh, backward_transposed_dW, backward_tanh_prime_linear, backward_chung_convention,
                                backward_dW_uses_h, backward_sigmoid_prime_wrong, backward_float16, backward_reset_without_h,
                                backward_dW_mean],
    "check_input_gradient_norms": [norms_accumulate_in_x, norms_all_steps_loss, norms_reversed, norms_of_first_example,
                                   norms_state_output, norms_squared, norms_mean_loss, norms_per_example_mean],
    "check_init_update_bias": [bias_reset_gate, bias_candidate, bias_ih_only, bias_both_to_value, bias_first_layer_only, bias_negated,
                               bias_whole_vector, bias_returns_copy, bias_forward_direction_only],
}

# ---------------------------------------------------------------- right answers written differently: must pass


def RIGHT_chung_comprehension(params):
    """A dict comprehension that negates the update gate's three tensors, in float64."""
    return {name: (-value if name.endswith("z") else value).double() for name, value in params.items()}


def RIGHT_chung_sigma(params):
    """Multiplies by −1 with torch.mul and clones the others."""
    return {name: torch.mul(value, -1) if name in {"W_xz", "W_hz", "b_z"} else value.clone() for name, value in params.items()}


def RIGHT_count_loop(input_size, hidden_size, num_layers=1, bidirectional=False, bias=True):
    """Adds up the shapes tensor by tensor, as nn.GRU names them."""
    directions = 2 if bidirectional else 1
    total = 0
    for layer in range(num_layers):
        inputs = input_size if layer == 0 else directions * hidden_size
        for _ in range(directions):
            total += 3 * hidden_size * inputs + 3 * hidden_size * hidden_size  # weight_ih, weight_hh
            total += 2 * 3 * hidden_size if bias else 0                          # bias_ih, bias_hh
    return total


def RIGHT_count_numpy_int64(input_size, hidden_size, num_layers=1, bidirectional=False, bias=True):
    """The closed formula in NumPy int64."""
    d, h = np.int64(2 if bidirectional else 1), np.int64(hidden_size)
    b = np.int64(2 if bias else 0)
    first = 3 * h * (np.int64(input_size) + h + b)
    rest = (np.int64(num_layers) - 1) * 3 * h * (d * h + h + b)
    return d * (first + rest)


def RIGHT_torch_step_split(x, h, weight_ih, weight_hh, bias_ih, bias_hh):
    """Splits the weights first and computes each part with F.linear, in float64."""
    x, h = x.double(), h.double()
    W_ir, W_iz, W_in = weight_ih.double().chunk(3)
    W_hr, W_hz, W_hn = weight_hh.double().chunk(3)
    b_ir, b_iz, b_in = bias_ih.double().chunk(3)
    b_hr, b_hz, b_hn = bias_hh.double().chunk(3)
    r = torch.sigmoid(F.linear(x, W_ir, b_ir) + F.linear(h, W_hr, b_hr))
    z = torch.sigmoid(F.linear(x, W_iz, b_iz) + F.linear(h, W_hz, b_hz))
    n = torch.tanh(F.linear(x, W_in, b_in) + r * F.linear(h, W_hn, b_hn))
    return (n + z * (h - n)).float()


def RIGHT_gru_from_rnn_float64(rnn):
    """A right GRU (update gate pinned to 0, reset gate to 1) in float64."""
    return _rnn_inside_gru(rnn, reset_bias=40.0, update_bias=-40.0).double()


def RIGHT_gru_from_rnn_folded_bias(rnn):
    """Folds both of the RNN's biases into bias_ih of the candidate: with r = 1 the sum is all that counts."""
    gru = _rnn_inside_gru(rnn, reset_bias=40.0, update_bias=-40.0)
    with torch.no_grad():
        h = rnn.hidden_size
        gru.bias_ih_l0[2 * h :] = rnn.bias_ih_l0 + rnn.bias_hh_l0
        gru.bias_hh_l0[2 * h :] = 0.0
    return gru


def RIGHT_gru_from_rnn_hh_bias(rnn):
    """Pins the gates through bias_hh instead of bias_ih, with ±100, and folds the RNN's biases into bias_ih."""
    gru = _rnn_inside_gru(rnn, reset_bias=100.0, update_bias=-100.0, where="hh")
    with torch.no_grad():
        h = rnn.hidden_size
        gru.bias_ih_l0[2 * h :] = rnn.bias_ih_l0
        gru.bias_hh_l0[2 * h :] = rnn.bias_hh_l0
    return gru


def RIGHT_classify_packed(gru, head, X, lengths):
    """pack_padded_sequence, unsorted: the returned final state is each sequence's own."""
    packed = torch.nn.utils.rnn.pack_padded_sequence(X, lengths, enforce_sorted=False)
    _, state = gru(packed)
    return head(state[0])


def RIGHT_classify_gather(gru, head, X, lengths):
    """gather along the time dimension, in a loop-free way."""
    outputs, _ = gru(X)
    index = (lengths - 1).view(1, -1, 1).expand(1, X.shape[1], outputs.shape[2])
    return head(outputs.gather(0, index)[0])


def RIGHT_backward_column(x, h, params, C):
    """The same chain rule written for column vectors, one example at a time."""
    grads_h, grad_W = [], torch.zeros_like(params["W_hh"])
    p = params
    for i in range(x.shape[0]):
        xi, hi, ci = x[i], h[i], C[i]
        r = torch.sigmoid(p["W_xr"] @ xi + p["W_hr"] @ hi + p["b_r"])
        z = torch.sigmoid(p["W_xz"] @ xi + p["W_hz"] @ hi + p["b_z"])
        n = torch.tanh(p["W_xh"] @ xi + p["W_hh"] @ (r * hi) + p["b_h"])
        da_h = ci * (1 - z) * (1 - n * n)
        da_z = ci * (hi - n) * z * (1 - z)
        drh = p["W_hh"].T @ da_h
        da_r = drh * hi * r * (1 - r)
        grads_h.append(ci * z + drh * r + p["W_hz"].T @ da_z + p["W_hr"].T @ da_r)
        grad_W += torch.outer(da_h, r * hi)
    return torch.stack(grads_h), grad_W


def RIGHT_backward_autograd_free_numpy(x, h, params, C):
    """NumPy, with σ'(a) written as σ(a)σ(−a)."""
    p = {k: v.numpy() for k, v in params.items()}
    x, h, C = x.numpy(), h.numpy(), C.numpy()

    def sigmoid(a):
        return 1 / (1 + np.exp(-a))

    a_r = x @ p["W_xr"].T + h @ p["W_hr"].T + p["b_r"]
    a_z = x @ p["W_xz"].T + h @ p["W_hz"].T + p["b_z"]
    r, z = sigmoid(a_r), sigmoid(a_z)
    n = np.tanh(x @ p["W_xh"].T + (r * h) @ p["W_hh"].T + p["b_h"])
    da_h = C * (1 - z) * (1 - n**2)
    da_z = C * (h - n) * sigmoid(a_z) * sigmoid(-a_z)
    drh = da_h @ p["W_hh"]
    da_r = drh * h * sigmoid(a_r) * sigmoid(-a_r)
    dh = C * z + drh * r + da_z @ p["W_hz"] + da_r @ p["W_hr"]
    return torch.from_numpy(dh), torch.from_numpy(da_h.T @ (r * h))


def RIGHT_norms_autograd_grad(layer, X):
    """torch.autograd.grad on a fresh leaf; returns float64 norms."""
    leaf = X.detach().clone().requires_grad_(True)
    outputs = layer(leaf)[0]
    (grad,) = torch.autograd.grad(outputs[-1].sum(), leaf)
    return torch.linalg.vector_norm(grad.double(), dim=(1, 2))


def RIGHT_norms_loop(layer, X):
    """Loops over the steps to take each norm."""
    leaf = X.clone().detach().requires_grad_()
    layer(leaf)[0][-1].sum().backward()
    return torch.stack([leaf.grad[t].norm() for t in range(leaf.shape[0])])


def RIGHT_bias_split(gru, value):
    """Splits the value between the two biases, half and half."""
    h = gru.hidden_size
    for name, param in gru.named_parameters():
        if name.startswith("bias_"):
            param.data[h : 2 * h] = value / 2
    return gru


def RIGHT_bias_by_layer_names(gru, value):
    """Walks the layers and directions by name, as PyTorch spells them."""
    h = gru.hidden_size
    suffixes = ["", "_reverse"] if gru.bidirectional else [""]
    with torch.no_grad():
        for layer in range(gru.num_layers):
            for suffix in suffixes:
                getattr(gru, f"bias_ih_l{layer}{suffix}")[h : 2 * h].fill_(value)
                getattr(gru, f"bias_hh_l{layer}{suffix}")[h : 2 * h].zero_()
    return gru


def RIGHT_classify_diagonal(gru, head, X, lengths):
    """outputs[lengths - 1] has shape (batch, batch, hiddens); its diagonal pairs each sequence with its own last step."""
    outputs, _ = gru(X)
    return head(outputs[lengths - 1].diagonal(dim1=0, dim2=1).T)


def RIGHT_bias_state_dict(gru, value):
    """Writes through the state dict, whose tensors share memory with the parameters."""
    h = gru.hidden_size
    for name, tensor in gru.state_dict().items():
        if name.startswith("bias_ih"):
            tensor[h : 2 * h] = value
        elif name.startswith("bias_hh"):
            tensor[h : 2 * h] = 0
    return gru


def RIGHT_torch_step_numpy(x, h, weight_ih, weight_hh, bias_ih, bias_hh):
    """NumPy in float64, splitting the rows with reshape(3, hiddens, -1)."""
    x, h = x.numpy().astype(np.float64), h.numpy().astype(np.float64)
    hiddens = h.shape[1]
    W_i, W_h = weight_ih.numpy().reshape(3, hiddens, -1), weight_hh.numpy().reshape(3, hiddens, -1)
    b_i, b_h = bias_ih.numpy().reshape(3, hiddens), bias_hh.numpy().reshape(3, hiddens)
    gi = [x @ W_i[k].T + b_i[k] for k in range(3)]
    gh = [h @ W_h[k].T + b_h[k] for k in range(3)]
    r, z = (1 / (1 + np.exp(-(gi[k] + gh[k]))) for k in range(2))
    n = np.tanh(gi[2] + r * gh[2])
    return torch.from_numpy((1 - z) * n + z * h).float()


RIGHT = {
    "check_to_chung": [RIGHT_chung_comprehension, RIGHT_chung_sigma],
    "check_gru_parameter_count": [RIGHT_count_loop, RIGHT_count_numpy_int64],
    "check_torch_gru_step": [RIGHT_torch_step_split, RIGHT_torch_step_numpy],
    "check_gru_from_rnn": [RIGHT_gru_from_rnn_float64, RIGHT_gru_from_rnn_hh_bias, RIGHT_gru_from_rnn_folded_bias],
    "check_classify_last_state": [RIGHT_classify_packed, RIGHT_classify_gather, RIGHT_classify_diagonal],
    "check_gru_step_backward": [RIGHT_backward_column, RIGHT_backward_autograd_free_numpy],
    "check_input_gradient_norms": [RIGHT_norms_autograd_grad, RIGHT_norms_loop],
    "check_init_update_bias": [RIGHT_bias_split, RIGHT_bias_by_layer_names, RIGHT_bias_state_dict],
}
