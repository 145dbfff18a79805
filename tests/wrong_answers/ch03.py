"""Plausible wrong answers to the Chapter 3 exercises: each checker must reject every one of them."""

import torch

# ---------------------------------------------------------------- check_lstm_step


def lstm_step_no_tanh_on_cell(x, h, c, W_x, W_h, b):
    """Shows the cell without squashing it: h = o * c."""
    a_i, a_f, a_g, a_o = (x @ W_x + h @ W_h + b).chunk(4, dim=-1)
    c_new = torch.sigmoid(a_f) * c + torch.sigmoid(a_i) * torch.tanh(a_g)
    return torch.sigmoid(a_o) * c_new, c_new


def lstm_step_forget_on_candidate(x, h, c, W_x, W_h, b):
    """Swaps the roles of the gates: the forget gate scales the candidate, the input gate the old cell."""
    a_i, a_f, a_g, a_o = (x @ W_x + h @ W_h + b).chunk(4, dim=-1)
    c_new = torch.sigmoid(a_i) * c + torch.sigmoid(a_f) * torch.tanh(a_g)
    return torch.sigmoid(a_o) * torch.tanh(c_new), c_new


def lstm_step_output_gate_inside_tanh(x, h, c, W_x, W_h, b):
    """Applies the output gate to the cell before the tanh: h = tanh(o * c)."""
    a_i, a_f, a_g, a_o = (x @ W_x + h @ W_h + b).chunk(4, dim=-1)
    c_new = torch.sigmoid(a_f) * c + torch.sigmoid(a_i) * torch.tanh(a_g)
    return torch.tanh(torch.sigmoid(a_o) * c_new), c_new


def lstm_step_order_ifog(x, h, c, W_x, W_h, b):
    """Reads the stacked parts in the order i, f, o, g instead of PyTorch's i, f, g, o."""
    a_i, a_f, a_o, a_g = (x @ W_x + h @ W_h + b).chunk(4, dim=-1)
    c_new = torch.sigmoid(a_f) * c + torch.sigmoid(a_i) * torch.tanh(a_g)
    return torch.sigmoid(a_o) * torch.tanh(c_new), c_new


def lstm_step_returns_c_first(x, h, c, W_x, W_h, b):
    """Right values, but returns (c, h) instead of (h, c)."""
    a_i, a_f, a_g, a_o = (x @ W_x + h @ W_h + b).chunk(4, dim=-1)
    c_new = torch.sigmoid(a_f) * c + torch.sigmoid(a_i) * torch.tanh(a_g)
    return c_new, torch.sigmoid(a_o) * torch.tanh(c_new)


def lstm_step_in_place(x, h, c, W_x, W_h, b):
    """Right values, but overwrites the caller's cell in place."""
    a_i, a_f, a_g, a_o = (x @ W_x + h @ W_h + b).chunk(4, dim=-1)
    c.mul_(torch.sigmoid(a_f)).add_(torch.sigmoid(a_i) * torch.tanh(a_g))
    return torch.sigmoid(a_o) * torch.tanh(c), c


# ---------------------------------------------------------------- check_lstm_parameter_count


def count_one_bias(input_size, hidden_size, num_layers, bidirectional):
    """One bias per gate, as in the equations (PyTorch keeps two)."""
    directions = 2 if bidirectional else 1
    first = 4 * hidden_size * (input_size + hidden_size + 1)
    upper = 4 * hidden_size * (directions * hidden_size + hidden_size + 1)
    return directions * (first + (num_layers - 1) * upper)


def count_upper_layers_read_h(input_size, hidden_size, num_layers, bidirectional):
    """Lets the upper layers of a bidirectional LSTM read h inputs instead of 2h."""
    directions = 2 if bidirectional else 1
    first = 4 * hidden_size * (input_size + hidden_size + 2)
    upper = 4 * hidden_size * (hidden_size + hidden_size + 2)
    return directions * (first + (num_layers - 1) * upper)


def count_one_direction(input_size, hidden_size, num_layers, bidirectional):
    """Forgets the second direction's parameters (but widens the upper layers' input)."""
    directions = 2 if bidirectional else 1
    first = 4 * hidden_size * (input_size + hidden_size + 2)
    upper = 4 * hidden_size * (directions * hidden_size + hidden_size + 2)
    return first + (num_layers - 1) * upper


def count_three_blocks(input_size, hidden_size, num_layers, bidirectional):
    """Counts three blocks per layer, as in a GRU."""
    directions = 2 if bidirectional else 1
    first = 3 * hidden_size * (input_size + hidden_size + 2)
    upper = 3 * hidden_size * (directions * hidden_size + hidden_size + 2)
    return directions * (first + (num_layers - 1) * upper)


# ---------------------------------------------------------------- check_peephole_lstm_step


def peephole_output_sees_old_cell(x, h, c, W_x, W_h, b, p_i, p_f, p_o):
    """Lets the output gate peek at the old cell C_{t-1} instead of the new one."""
    a_i, a_f, a_g, a_o = (x @ W_x + h @ W_h + b).chunk(4, dim=-1)
    i, f, o = torch.sigmoid(a_i + p_i * c), torch.sigmoid(a_f + p_f * c), torch.sigmoid(a_o + p_o * c)
    c_new = f * c + i * torch.tanh(a_g)
    return o * torch.tanh(c_new), c_new


def peephole_after_sigmoid(x, h, c, W_x, W_h, b, p_i, p_f, p_o):
    """Adds the peephole terms after the sigmoid instead of before it."""
    a_i, a_f, a_g, a_o = (x @ W_x + h @ W_h + b).chunk(4, dim=-1)
    i, f = torch.sigmoid(a_i) + p_i * c, torch.sigmoid(a_f) + p_f * c
    c_new = f * c + i * torch.tanh(a_g)
    o = torch.sigmoid(a_o) + p_o * c_new
    return o * torch.tanh(c_new), c_new


def peephole_forget_gate_blind(x, h, c, W_x, W_h, b, p_i, p_f, p_o):
    """Forgets the peephole of the forget gate."""
    a_i, a_f, a_g, a_o = (x @ W_x + h @ W_h + b).chunk(4, dim=-1)
    i, f = torch.sigmoid(a_i + p_i * c), torch.sigmoid(a_f)
    c_new = f * c + i * torch.tanh(a_g)
    o = torch.sigmoid(a_o + p_o * c_new)
    return o * torch.tanh(c_new), c_new


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


# ---------------------------------------------------------------- check_bidirectional_features


def features_without_packing(lstm, X, lengths):
    """Runs the LSTM over the padded batch and takes its final states, which have read the padding."""
    _, (h_n, _) = lstm(X)
    return torch.cat([h_n[-2], h_n[-1]], dim=-1)


def features_at_last_real_step(lstm, X, lengths):
    """Exercise 2.5's trick for both halves: right for the forward direction, wrong for the backward one."""
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


WRONG = {
    "check_lstm_step": [lstm_step_no_tanh_on_cell, lstm_step_forget_on_candidate, lstm_step_output_gate_inside_tanh,
                        lstm_step_order_ifog, lstm_step_returns_c_first, lstm_step_in_place],
    "check_lstm_parameter_count": [count_one_bias, count_upper_layers_read_h, count_one_direction, count_three_blocks],
    "check_peephole_lstm_step": [peephole_output_sees_old_cell, peephole_after_sigmoid, peephole_forget_gate_blind],
    "check_init_forget_bias": [forget_bias_first_layer_only, forget_bias_both_biases, forget_bias_input_gate_rows,
                               forget_bias_forward_only, forget_bias_whole_vector],
    "check_bidirectional_features": [features_without_packing, features_at_last_real_step, features_first_layer,
                                     features_backward_first],
}

# ---------------------------------------------------------------- right answers written differently: must pass


def features_in_float64(lstm, X, lengths):
    """Right features (packed, last layer, forward then backward), returned in float64."""
    packed = torch.nn.utils.rnn.pack_padded_sequence(X, lengths, enforce_sorted=False)
    _, (h_n, _) = lstm(packed)
    return torch.cat([h_n[-2], h_n[-1]], dim=-1).double()


RIGHT = {"check_bidirectional_features": [features_in_float64]}
