"""Plausible wrong answers to the Chapter 2 exercises: each checker must reject every one of them."""

import torch

# ---------------------------------------------------------------- check_gru_step


def _gates(x, h, p):
    r = torch.sigmoid(x @ p["W_xr"] + h @ p["W_hr"] + p["b_r"])
    z = torch.sigmoid(x @ p["W_xz"] + h @ p["W_hz"] + p["b_z"])
    return r, z


def gru_step_z_swapped(x, h, params):
    """Puts 1 − Z on the old state and Z on the candidate (Chung et al.'s convention)."""
    r, z = _gates(x, h, params)
    h_tilde = torch.tanh(x @ params["W_xh"] + (r * h) @ params["W_hh"] + params["b_h"])
    return (1 - z) * h + z * h_tilde


def gru_step_reset_after(x, h, params):
    """Applies the reset gate after the product with W_hh (PyTorch's variant), not before."""
    r, z = _gates(x, h, params)
    h_tilde = torch.tanh(x @ params["W_xh"] + r * (h @ params["W_hh"]) + params["b_h"])
    return z * h + (1 - z) * h_tilde


def gru_step_sigmoid_candidate(x, h, params):
    """Squashes the candidate with a sigmoid instead of tanh."""
    r, z = _gates(x, h, params)
    h_tilde = torch.sigmoid(x @ params["W_xh"] + (r * h) @ params["W_hh"] + params["b_h"])
    return z * h + (1 - z) * h_tilde


def gru_step_no_reset(x, h, params):
    """Forgets the reset gate: the candidate always sees the whole old state."""
    _, z = _gates(x, h, params)
    h_tilde = torch.tanh(x @ params["W_xh"] + h @ params["W_hh"] + params["b_h"])
    return z * h + (1 - z) * h_tilde


# ---------------------------------------------------------------- check_gru_parameter_count


def count_one_bias(input_size, hidden_size, num_layers):
    """Counts one bias per layer, as in the paper, but nn.GRU has two (bias_ih and bias_hh)."""
    first = 3 * hidden_size * (input_size + hidden_size + 1)
    return first + (num_layers - 1) * 3 * hidden_size * (2 * hidden_size + 1)


def count_four_blocks(input_size, hidden_size, num_layers):
    """Counts four blocks per layer, as for an LSTM, instead of three (r, z, n)."""
    first = 4 * hidden_size * (input_size + hidden_size + 2)
    return first + (num_layers - 1) * 4 * hidden_size * (2 * hidden_size + 2)


def count_same_input_every_layer(input_size, hidden_size, num_layers):
    """Gives every layer the data's input size, but layers 2, 3, ... read the hidden state below."""
    return num_layers * 3 * hidden_size * (input_size + hidden_size + 2)


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


# ---------------------------------------------------------------- check_gru_from_rnn


def _rnn_inside_gru(rnn, reset_bias, update_bias, block=2, zero_gates=True):
    h = rnn.hidden_size
    gru = torch.nn.GRU(rnn.input_size, h)
    with torch.no_grad():
        if zero_gates:
            for param in gru.parameters():
                param.zero_()
        gru.bias_ih_l0[:h] = reset_bias
        gru.bias_ih_l0[h : 2 * h] = update_bias
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


WRONG = {
    "check_gru_step": [gru_step_z_swapped, gru_step_reset_after, gru_step_sigmoid_candidate, gru_step_no_reset],
    "check_gru_parameter_count": [count_one_bias, count_four_blocks, count_same_input_every_layer],
    "check_torch_gru_step": [torch_step_order_zrn, torch_step_reset_before, torch_step_bias_outside_reset, torch_step_z_swapped],
    "check_gru_from_rnn": [gru_from_rnn_copies_state, gru_from_rnn_first_block, gru_from_rnn_random_gates,
                           gru_from_rnn_reset_closed],
    "check_classify_last_state": [classify_final_padded_state, classify_batch_first_indexing, classify_mean_over_steps,
                                  classify_off_by_one],
}

# ---------------------------------------------------------------- right answers written differently: must pass


def gru_from_rnn_in_float64(rnn):
    """A right GRU (update gate pinned to 0, reset gate to 1) in float64."""
    return _rnn_inside_gru(rnn, reset_bias=40.0, update_bias=-40.0).double()


RIGHT = {"check_gru_from_rnn": [gru_from_rnn_in_float64]}
