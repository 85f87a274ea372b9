"""`convention: pytorch` (the default) and `convention: keras`, where the two count differently.

Keras' numbers are worked by hand from its layer definitions: SimpleRNN and LSTM keep one
bias vector per gate, GRU (reset_after=True, the default) two; BatchNormalization's moving
mean and variance are non-trainable weights; padding='same' gives ⌈in/stride⌉ for any stride.
"""

from __future__ import annotations

import pytest

from support import run_cli
from support import solve_layers as solve

from hwcheck.render.typeset import unicode


@pytest.mark.parametrize("kind, pytorch, keras", [
    # PyTorch: W_ih + W_hh + b_ih + b_hh; Keras: kernel + recurrent kernel + one bias
    ("rnn", 416, 400),    # 16·8 + 16·16 + 16 (+ 16)
    ("lstm", 1664, 1600),  # 4·16·8 + 4·16·16 + 4·16 (+ 4·16)
    ("gru", 1248, 1248),   # 3·16·8 + 3·16·16 + 3·16 + 3·16 in both: Keras' reset_after keeps two biases
])
def test_recurrent_biases(tmp_path, kind, pytorch, keras):
    layer = f"{{name: R, type: {kind}, hidden: 16}}"
    assert solve(tmp_path, "[10, 8]", layer).expected("params(R)").value == pytorch
    assert solve(tmp_path, "[10, 8]", layer, convention="keras").expected("params(R)").value == keras


def test_keras_lstm_formula_has_one_bias(tmp_path):
    row = solve(tmp_path, "[10, 8]", "{type: lstm, hidden: 16}", convention="keras").network.rows[0]
    assert unicode(row.params_formula) == "4·16·8 + 4·16·16 + 4·16 = 1600"


def test_bidirectional_two_layer_lstm_under_both_conventions(tmp_path):
    layer = "{name: R, type: lstm, hidden: 20, layers: 2, bidirectional: true}"
    # PyTorch: (2560 + 4960)·... worked in test_architecture_layers: 5120 + 9920 = 15,040
    assert solve(tmp_path, "[7, 10]", layer).expected("params").value == 15040
    # Keras, one bias of 4·20 = 80 fewer per layer and direction (4 of them):
    # layer 1: 2·(800 + 1600 + 80) = 4960; layer 2: 2·(3200 + 1600 + 80) = 9760; 14,720
    keras = solve(tmp_path, "[7, 10]", layer, convention="keras")
    assert keras.expected("params").value == 14720
    assert keras.expected("R").value == [7, 40]


def test_batchnorm_statistics(tmp_path):
    layer = "{name: bn, type: batchnorm}"
    torch_net = solve(tmp_path, "[64, 8, 8]", layer).network
    keras_net = solve(tmp_path, "[8, 8, 64]", layer, convention="keras").network  # channels last
    # learnable in both: γ and β, 64 + 64 = 128
    assert torch_net.trainable == keras_net.trainable == 128
    # PyTorch keeps running mean and variance as buffers, outside the parameter count
    assert (torch_net.non_trainable, torch_net.buffers, torch_net.total) == (0, 128, 128)
    # Keras counts moving mean and variance as non-trainable weights: total 128 + 128
    assert (keras_net.non_trainable, keras_net.buffers, keras_net.total) == (128, 0, 256)
    assert unicode(keras_net.rows[0].non_trainable_formula) == "64 + 64 = 128 (moving mean, variance)"
    assert unicode(torch_net.rows[0].buffers_formula) == "64 + 64 = 128 (running mean, variance)"
    assert unicode(keras_net.memory).startswith("256 × 4 B = 1024 B")


def test_keras_same_with_stride_two(tmp_path):
    row = solve(tmp_path, "[32, 32, 3]", "{type: conv2d, filters: 8, kernel: 3, stride: 2, padding: same}",
                convention="keras").network.rows[0]
    # ⌈32/2⌉ = 16; TensorFlow pads (16 − 1)·2 + 3 − 32 = 1: 0 before, 1 after
    assert row.output_shape == (16, 16, 8)
    assert [unicode(s.working) for s in row.steps] == ["⌈32/2⌉ = 16", "8"]  # in the order of the axes: H, W, then C
    assert any("pads 0 before and 1 after" in note for note in row.notes)


def test_keras_same_with_stride_two_on_an_odd_size(tmp_path):
    row = solve(tmp_path, "[33, 33, 3]", "{type: conv2d, filters: 8, kernel: 3, stride: 2, padding: same}",
                convention="keras").network.rows[0]
    # ⌈33/2⌉ = 17; padding 16·2 + 3 − 33 = 2: 1 before, 1 after
    assert row.output_shape == (17, 17, 8)
    assert any("pads 1 before and 1 after" in note for note in row.notes)


def test_keras_same_pooling(tmp_path):
    row = solve(tmp_path, "[33, 33, 1]", "{type: maxpool2d, kernel: 2, padding: same}", convention="keras").network.rows[0]
    assert row.output_shape == (17, 17, 1)  # ⌈33/2⌉


def test_same_with_stride_one_is_the_same_in_both(tmp_path):
    layer = "{name: A, type: conv2d, filters: 2, kernel: 4, padding: same}"
    assert solve(tmp_path, "[1, 9, 9]", layer).expected("A").value == [2, 9, 9]
    assert solve(tmp_path, "[9, 9, 1]", layer, convention="keras").expected("A").value == [9, 9, 2]


def test_the_caption_and_json_name_the_convention(tmp_path):
    torch_solution = solve(tmp_path, "[4]", "{type: dense, units: 2}")
    keras_solution = solve(tmp_path, "[4]", "{type: dense, units: 2}", convention="keras")
    assert torch_solution.network.convention_note.startswith("PyTorch convention:")
    assert keras_solution.network.convention_note.startswith("Keras convention:")
    assert torch_solution.to_json()["convention"] == "pytorch"
    assert keras_solution.to_json()["convention"] == "keras"


def test_convention_is_case_insensitive(tmp_path):
    assert solve(tmp_path, "[4]", "{type: dense, units: 2}", convention="Keras").problem.convention == "keras"


def test_hints_follow_the_convention(tmp_path):
    torch_hint = solve(tmp_path, "[10, 8]", "{name: R, type: lstm, hidden: 16}").hint("params(R)")
    keras_hint = solve(tmp_path, "[10, 8]", "{name: R, type: lstm, hidden: 16}", convention="keras").hint("params(R)")
    assert "4·H + 4·H" in torch_hint
    assert "4·H + 4·H" not in keras_hint and "4·H" in keras_hint


# -- Keras lays shapes out channels last (issue 8 §4) -----------------------------------

def test_keras_reads_and_writes_channels_last(tmp_path):
    layer = "{name: A, type: conv2d, filters: 32, kernel: 3}"
    keras = solve(tmp_path, "[32, 32, 3]", layer, convention="keras")
    # a 32×32 RGB image, as model.summary() prints it; Conv2D(32, 3) has a kernel [3, 3, 3, 32]
    # and 32 biases: 3·3·3·32 + 32 = 896 (reading the 32 as channels would give 32·32·3·3 + 32 = 9248)
    assert keras.expected("params(A)").value == 896
    assert keras.expected("A").value == [30, 30, 32]  # ⌊(32 − 2 − 1)/1⌋ + 1 = 30, channels last
    assert unicode(keras.network.rows[0].params_formula) == "3·3·3·32 + 32 = 896"
    assert unicode(keras.network.formula) == "3×3×3×32 + 32"
    # the same layer under PyTorch, channels first: [3, 32, 32] → [32, 30, 30], weight [32, 3, 3, 3]
    pytorch = solve(tmp_path, "[3, 32, 32]", layer)
    assert pytorch.expected("A").value == [32, 30, 30]
    assert unicode(pytorch.network.formula) == "32×3×3×3 + 32"


def test_keras_channels_last_through_a_small_cnn(tmp_path):
    s = solve(tmp_path, "[28, 28, 1]",
              "{name: c, type: conv2d, filters: 8, kernel: 3, padding: same}",
              "{name: bn, type: batchnorm}",
              "{name: p, type: maxpool2d, kernel: 2}",
              "{name: d, type: dense, units: 4}",
              "{name: g, type: global_avgpool}",
              "{name: f, type: dense, units: 10}", convention="keras")
    assert s.expected("c").value == [28, 28, 8]
    assert s.expected("params(bn)").value == 16  # γ, β over the last axis, 8 channels
    assert s.network.row("bn").non_trainable == 16  # moving mean and variance
    assert s.expected("p").value == [14, 14, 8]  # ⌊(28 − 1·(2 − 1) − 1)/2⌋ + 1 = 14, channels kept last
    assert s.expected("d").value == [14, 14, 4]  # Dense acts on the last axis, the channels: 8·4 + 4
    assert s.expected("params(d)").value == 36
    assert s.expected("g").value == [4]  # GlobalAveragePooling2D keeps the channels
    assert s.expected("params(f)").value == 50  # 4·10 + 10


def test_keras_conv1d_is_length_then_channels(tmp_path):
    s = solve(tmp_path, "[100, 16]", "{name: A, type: conv1d, filters: 4, kernel: 5, stride: 2}", convention="keras")
    assert s.expected("A").value == [48, 4]  # ⌊(100 − 4 − 1)/2⌋ + 1 = 48
    assert s.network.rows[0].terms[0].factors == (5, 16, 4)  # Conv1D kernel [k, C_in, filters]


def test_keras_mistakes_follow_the_layout(tmp_path):
    s = solve(tmp_path, "[32, 32, 3]", "{name: A, type: conv2d, filters: 32, kernel: 3, padding: 1}", convention="keras")
    found = {m.code: m.value for m in s.mistakes("params(A)")}
    assert found["forgot-input-channels"] == 320  # 3·3·32 + 32
    assert found["forgot-bias"] == 864  # 3·3·3·32
    assert {m.code: m.value for m in s.mistakes("A")}["forgot-padding"] == [30, 30, 32]


def test_keras_rank_errors_name_the_channels_last_layout(tmp_path):
    path = tmp_path / "net.yaml"
    path.write_text("id: t\nkind: architecture\nconvention: keras\ninput: [10]\nlayers:\n"
                    "  - {type: conv2d, filters: 2, kernel: 1}\n", encoding="utf-8")
    done = run_cli("validate", path)
    assert done.returncode == 2
    assert "layer 1 (conv2d): needs an input [H, W, C] (rank 3), but the input gives [10] (rank 1)" in done.stderr


def test_keras_outputs_say_channels_last(tmp_path):
    from hwcheck.render.architecture_markdown import render_architecture_markdown
    keras = solve(tmp_path, "[8, 8, 3]", "{name: A, type: conv2d, filters: 2, kernel: 3}", convention="keras")
    assert "(no batch axis, channels last)" in render_architecture_markdown(keras)
    assert "no batch axis, channels last" in keras.hint("A")
    pytorch = solve(tmp_path, "[3, 8, 8]", "{type: conv2d, filters: 2, kernel: 3}")
    assert "(no batch axis, channels first)" in render_architecture_markdown(pytorch)


def test_keras_transposed_convolution_takes_no_groups(tmp_path):
    s = solve(tmp_path, "[8, 8, 4]", "{name: T, type: conv_transpose2d, filters: 2, kernel: 3, stride: 2}",
              convention="keras")
    # (8 − 1)·2 − 0 + 1·(3 − 1) + 0 + 1 = 17; Conv2DTranspose kernel [3, 3, 2, 4] + 2 biases
    assert s.expected("T").value == [17, 17, 2]
    assert s.expected("params(T)").value == 3 * 3 * 2 * 4 + 2
