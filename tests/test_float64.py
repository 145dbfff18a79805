"""The from-scratch modules follow their input's dtype and device, and equal their PyTorch twins in
float64 (a float32 check at 1e-5 cannot tell a rounding gap from a small bug; float64 can).

Each chapter's definitions (its imports, functions and classes, not its experiments) are executed
from the notebook after the setup cell. Every module then runs twice: in float64 against its twin
with copied weights, to 1e-10; and on the `meta` device, which holds no data, so a state created
with `torch.zeros(...)` (on the CPU, in float32) instead of `new_zeros` / `zeros_like` fails there
as it would on a GPU.
"""

from __future__ import annotations

import ast
import contextlib
import functools
import io
import os
from pathlib import Path

import nbformat
import pytest
import torch
from nb import code_cells
from torch import nn

ROOT = Path(__file__).resolve().parent.parent
TOLERANCE = 1e-10


def is_definition(node: ast.stmt) -> bool:
    if isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef)):
        return True
    if isinstance(node, ast.Assign):                      # a constant such as TRAIN_DISTANCES = [5, 10]
        try:
            ast.literal_eval(node.value)
            return True
        except ValueError:
            return False
    return False


@functools.cache
def definitions(chapter: str) -> dict:
    nb = nbformat.read(ROOT / "chapters" / f"{chapter}.ipynb", as_version=4)
    cells = code_cells(nb)
    namespace: dict = {}
    cwd = os.getcwd()
    os.chdir(ROOT / "chapters")
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            exec(compile(cells[0].source, f"{chapter}:setup", "exec"), namespace)
            for index, cell in enumerate(cells[1:], start=1):
                for node in ast.parse(cell.source).body:
                    if not is_definition(node):
                        continue
                    try:      # a definition whose defaults or decorators need the chapter's data is no module here
                        exec(compile(ast.Module(body=[node], type_ignores=[]), f"{chapter}:cell {index}", "exec"), namespace)
                    except NameError:
                        pass
    finally:
        os.chdir(cwd)
    return namespace


def gap(a, b) -> float:
    pairs = zip(a, b, strict=True) if isinstance(a, (tuple, list)) else [(a, b)]
    return max(gap(x, y) if isinstance(x, (tuple, list)) else (x - y).abs().max().item() for x, y in pairs)


def on_meta(module: nn.Module, *inputs):
    """Run module on the meta device: any tensor it creates on the CPU meets a meta tensor and fails."""
    module = module.to("meta")
    return module(*(x.to("meta") if isinstance(x, torch.Tensor) else x for x in inputs))


def test_rnn_scratch():
    ns = definitions("01_rnn")
    torch.manual_seed(0)
    theirs = nn.RNN(5, 7).double()
    ours = ns["RNNScratch"](5, 7).double()
    with torch.no_grad():
        ours.W_xh.copy_(theirs.weight_ih_l0)
        ours.W_hh.copy_(theirs.weight_hh_l0)
        ours.b_h.copy_(theirs.bias_ih_l0 + theirs.bias_hh_l0)
    X = torch.randn(6, 3, 5, dtype=torch.float64)
    for state in (None, torch.randn(1, 3, 7, dtype=torch.float64)):
        outputs, last = ours(X, state)
        assert outputs.dtype == last.dtype == torch.float64
        assert gap((outputs, last), theirs(X, state)) < TOLERANCE
    outputs, last = on_meta(ours, X)
    assert outputs.device.type == last.device.type == "meta"


@pytest.mark.parametrize("reset_after", [True, False])
def test_gru_scratch(reset_after):
    ns = definitions("02_gru")
    torch.manual_seed(0)
    theirs = nn.GRU(5, 7).double()
    ours = ns["GRUScratch"](5, 7, reset_after=reset_after).double()
    X = torch.randn(6, 3, 5, dtype=torch.float64)
    if reset_after:                                         # PyTorch's variant: equal to nn.GRU
        ours = ns["copy_from_nn_gru"](ours, theirs)
        for state in (None, torch.randn(1, 3, 7, dtype=torch.float64)):
            outputs, last = ours(X, state)
            assert outputs.dtype == torch.float64 and gap((outputs, last), theirs(X, state)) < TOLERANCE
    else:                                                   # the paper's variant: its dtype at least
        assert ours(X)[0].dtype == torch.float64
    outputs, _ = on_meta(ours, X)
    assert outputs.device.type == "meta"


def test_lstm_scratch():
    ns = definitions("03_lstm")
    torch.manual_seed(0)
    theirs = nn.LSTM(5, 7).double()
    ours = ns["LSTMScratch"](5, 7).double()
    ns["copy_lstm_weights"](theirs, ours)
    X = torch.randn(6, 3, 5, dtype=torch.float64)
    for state in (None, (torch.randn(1, 3, 7, dtype=torch.float64), torch.randn(1, 3, 7, dtype=torch.float64))):
        outputs, (H, C) = ours(X, state)
        assert outputs.dtype == H.dtype == C.dtype == torch.float64
        assert gap((outputs, (H, C)), theirs(X, state)) < TOLERANCE
    outputs, (H, C) = on_meta(ours, X)
    assert outputs.device.type == H.device.type == C.device.type == "meta"


def test_masked_softmax_follows_the_dtype():
    ns = definitions("05_attention")
    for dtype in (torch.float16, torch.float32, torch.float64):
        scores = (20 * torch.randn(2, 3, 5)).to(dtype)
        weights = ns["masked_softmax"](scores, torch.tensor([2, 5]))
        assert weights.dtype == dtype and torch.isfinite(weights).all()
        assert (weights[0, :, 2:] == 0).all() and torch.allclose(weights.sum(-1).double(), torch.ones(2, 3).double(),
                                                                 atol=1e-3)


def test_multi_head_attention():
    ns = definitions("06_transformer")                      # Chapter 5's layer, reused by Chapter 6
    torch.manual_seed(0)
    d, h = 16, 4
    theirs = nn.MultiheadAttention(d, h, batch_first=True).double().eval()
    ours = ns["MultiHeadAttention"](d, h, bias=True).double()
    with torch.no_grad():
        ns["copy_attention"](ours, theirs)
    q, kv = torch.randn(2, 5, d, dtype=torch.float64), torch.randn(2, 7, d, dtype=torch.float64)
    valid_lens = torch.tensor([3, 7])
    padding = torch.arange(7) >= valid_lens[:, None]
    out = ours(q, kv, kv, valid_lens)
    assert out.dtype == torch.float64
    assert gap(out, theirs(q, kv, kv, key_padding_mask=padding)[0]) < TOLERANCE
    assert on_meta(ours, q, kv, kv, valid_lens).device.type == "meta"


@pytest.mark.parametrize("norm_first", [False, True])
def test_transformer_encoder_block(norm_first):
    ns = definitions("06_transformer")
    torch.manual_seed(0)
    d, h, ffn = 16, 4, 32
    theirs = nn.TransformerEncoderLayer(d, h, ffn, dropout=0.0, batch_first=True, norm_first=norm_first).double().eval()
    ours = ns["TransformerEncoderBlock"](d, ffn, h, norm_first=norm_first).double()
    ns["copy_encoder_layer"](ours, theirs)
    X = torch.randn(3, 6, d, dtype=torch.float64)
    valid_lens = torch.tensor([6, 4, 1])
    padding = torch.arange(6) >= valid_lens[:, None]
    out = ours(X, valid_lens)
    assert out.dtype == torch.float64
    assert gap(out, theirs(X, src_key_padding_mask=padding)) < TOLERANCE
    assert on_meta(ours, X, valid_lens).device.type == "meta"


def test_bert_encoder():
    transformers = pytest.importorskip("transformers")
    ns = definitions("07_bert")
    torch.manual_seed(0)
    config = transformers.BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=2, num_attention_heads=4,
                                     intermediate_size=32, max_position_embeddings=20, hidden_act="gelu",
                                     hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
    theirs = transformers.BertModel(config, add_pooling_layer=False).double().eval()
    ours = ns["BERTEncoder"](50, 16, 32, 4, 2, max_len=20, eps=config.layer_norm_eps).double()
    state = {ns["our_name"](k): v for k, v in theirs.state_dict().items() if ns["our_name"](k)}
    ours.load_state_dict(state, strict=True)
    tokens = torch.randint(0, 50, (2, 9))
    segments = torch.randint(0, 2, (2, 9))
    valid_lens = torch.tensor([9, 5])
    mask = (torch.arange(9) < valid_lens[:, None]).long()
    with torch.no_grad():
        out = ours(tokens, segments, valid_lens)
        reference = theirs(input_ids=tokens, token_type_ids=segments, attention_mask=mask).last_hidden_state
    assert out.dtype == torch.float64
    assert gap(out[0], reference[0]) < TOLERANCE and gap(out[1, :5], reference[1, :5]) < TOLERANCE  # real positions
    assert on_meta(ours, tokens, segments, valid_lens).device.type == "meta"
