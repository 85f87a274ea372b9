"""Every layer type and option, worked out by hand in the comments.

Each test writes a tiny problem file, loads it as a teacher's file would be loaded, and
compares the calculator's shapes, counts and written-out arithmetic with numbers worked
on paper (PyTorch's formulas: out = ⌊(in + 2p − d(k − 1) − 1)/s⌋ + 1).
"""

from __future__ import annotations

import pytest

from support import solve_layers

from hwcheck.render.typeset import unicode


def network(tmp_path, input_shape: str, *layers: str, convention: str | None = None):
    return solve_layers(tmp_path, input_shape, *layers, convention=convention).network


def row(tmp_path, input_shape: str, layer: str, **kw):
    return network(tmp_path, input_shape, layer, **kw).rows[0]


def steps(r) -> dict[str, str]:
    return {s.label: unicode(s.working) for s in r.steps}


# -- dense ----------------------------------------------------------------------------

def test_dense_on_a_vector(tmp_path):
    r = row(tmp_path, "[30]", "{name: A, type: dense, units: 1024}")
    assert r.output_shape == (1024,)
    # 30·1024 + 1024 = 30,720 + 1024 = 31,744
    assert r.params == 31744
    assert unicode(r.params_formula) == "30·1024 + 1024 = 31,744"
    assert [t.role for t in r.terms] == ["weight", "bias"]
    assert r.mult_adds == 31744  # torchinfo: batch (1) × every weight and bias


def test_dense_without_bias(tmp_path):
    r = row(tmp_path, "[30]", "{type: dense, units: 1024, bias: false}")
    assert r.params == 30720  # 30·1024
    assert unicode(r.params_formula) == "30·1024 = 30,720"


def test_dense_acts_on_the_last_axis(tmp_path):
    r = row(tmp_path, "[5, 8]", "{type: dense, units: 4}")
    assert r.output_shape == (5, 4)
    assert r.params == 36  # 8·4 + 4
    # torchinfo after its pull request #318: nn.Linear counts every weight and bias once per
    # position (prod(output_size[:-1])): 36·5 = 180, not 36
    assert r.mult_adds == 180
    assert unicode(r.mult_adds_formula) == "36·5 = 180"


# -- conv2d ---------------------------------------------------------------------------

def test_conv2d_from_the_contract(tmp_path):
    r = row(tmp_path, "[3, 32, 32]", "{name: A, type: conv2d, filters: 16, kernel: 5, stride: 1, padding: 2}")
    # ⌊(32 + 2·2 − 1·(5 − 1) − 1)/1⌋ + 1 = ⌊31/1⌋ + 1 = 32
    assert r.output_shape == (16, 32, 32)
    assert steps(r) == {"C (filters)": "16", "H, W": "⌊(32 + 2·2 − 1·(5 − 1) − 1)/1⌋ + 1 = 32"}
    assert unicode(r.params_formula) == "16·3·5·5 + 16 = 1216"  # 1200 weights + 16 biases
    assert r.mult_adds == 1245184  # 1216 · 32 · 32
    assert unicode(r.mult_adds_formula) == "1216·32·32 = 1,245,184"


def test_conv2d_stride_two(tmp_path):
    r = row(tmp_path, "[16, 16, 16]", "{type: conv2d, filters: 32, kernel: 3, stride: 2, padding: 1}")
    # ⌊(16 + 2 − 2 − 1)/2⌋ + 1 = ⌊15/2⌋ + 1 = 7 + 1 = 8
    assert r.output_shape == (32, 8, 8)
    assert steps(r)["H, W"] == "⌊(16 + 2·1 − 1·(3 − 1) − 1)/2⌋ + 1 = 8"
    assert r.params == 4640  # 32·16·3·3 + 32 = 4608 + 32


def test_conv2d_pairs(tmp_path):
    r = row(tmp_path, "[1, 10, 20]", "{type: conv2d, filters: 4, kernel: [3, 5], stride: [1, 2], padding: [1, 2]}")
    # H: ⌊(10 + 2 − 2 − 1)/1⌋ + 1 = 10;  W: ⌊(20 + 4 − 4 − 1)/2⌋ + 1 = ⌊19/2⌋ + 1 = 10
    assert r.output_shape == (4, 10, 10)
    assert steps(r)["H"] == "⌊(10 + 2·1 − 1·(3 − 1) − 1)/1⌋ + 1 = 10"
    assert steps(r)["W"] == "⌊(20 + 2·2 − 1·(5 − 1) − 1)/2⌋ + 1 = 10"
    assert unicode(r.params_formula) == "4·1·3·5 + 4 = 64"


def test_conv2d_valid_is_no_padding(tmp_path):
    r = row(tmp_path, "[1, 28, 28]", "{type: conv2d, filters: 6, kernel: 5, padding: valid}")
    assert r.output_shape == (6, 24, 24)  # ⌊(28 − 4 − 1)/1⌋ + 1 = 24


def test_conv2d_dilation(tmp_path):
    r = row(tmp_path, "[1, 10, 10]", "{type: conv2d, filters: 2, kernel: 3, dilation: 2}")
    # ⌊(10 + 0 − 2·(3 − 1) − 1)/1⌋ + 1 = 5 + 1 = 6
    assert r.output_shape == (2, 6, 6)
    assert r.params == 20  # 2·1·3·3 + 2: dilation spreads the kernel, it adds no weights


def test_same_with_odd_kernel(tmp_path):
    r = row(tmp_path, "[3, 28, 28]", "{type: conv2d, filters: 8, kernel: 3, padding: same}")
    assert r.output_shape == (8, 28, 28)
    assert steps(r)["H, W"] == "⌊(28 + 2·1 − 1·(3 − 1) − 1)/1⌋ + 1 = 28"  # 1·(3 − 1) = 2: one each side


def test_same_with_even_kernel_pads_the_extra_on_the_right(tmp_path):
    r = row(tmp_path, "[1, 9, 9]", "{type: conv2d, filters: 1, kernel: 4, padding: same}")
    # total 1·(4 − 1) = 3: 1 before, 2 after; ⌊(9 + 1 + 2 − 3 − 1)/1⌋ + 1 = 9
    assert r.output_shape == (1, 9, 9)
    assert steps(r)["H, W"] == "⌊(9 + 1 + 2 − 1·(4 − 1) − 1)/1⌋ + 1 = 9"
    assert any("1 before, 2 after" in note for note in r.notes)


def test_same_with_dilation(tmp_path):
    r = row(tmp_path, "[1, 9, 9]", "{type: conv2d, filters: 1, kernel: 3, dilation: 2, padding: same}")
    # total 2·(3 − 1) = 4: 2 each side
    assert steps(r)["H, W"] == "⌊(9 + 2·2 − 2·(3 − 1) − 1)/1⌋ + 1 = 9"


def test_same_with_even_kernel_and_dilation(tmp_path):
    r = row(tmp_path, "[1, 9, 9]", "{type: conv2d, filters: 1, kernel: 2, dilation: 3, padding: same}")
    # total 3·(2 − 1) = 3: 1 before, 2 after
    assert r.output_shape == (1, 9, 9)
    assert steps(r)["H, W"] == "⌊(9 + 1 + 2 − 3·(2 − 1) − 1)/1⌋ + 1 = 9"


def test_groups_equal_to_channels_is_depthwise(tmp_path):
    r = row(tmp_path, "[32, 8, 8]", "{type: conv2d, filters: 32, kernel: 3, padding: 1, groups: 32}")
    assert r.output_shape == (32, 8, 8)
    assert unicode(r.params_formula) == "32·1·3·3 + 32 = 320"  # each filter sees 32/32 = 1 channel


def test_groups_two(tmp_path):
    r = row(tmp_path, "[4, 8, 8]", "{type: conv2d, filters: 6, kernel: 3, groups: 2}")
    assert r.params == 114  # 6·(4/2)·3·3 + 6 = 108 + 6


def test_conv_without_bias(tmp_path):
    r = row(tmp_path, "[3, 32, 32]", "{type: conv2d, filters: 16, kernel: 5, bias: false}")
    assert unicode(r.params_formula) == "16·3·5·5 = 1200"


# -- conv1d and conv_transpose2d ------------------------------------------------------

def test_conv1d(tmp_path):
    r = row(tmp_path, "[4, 100]", "{type: conv1d, filters: 8, kernel: 5, stride: 2}")
    # ⌊(100 + 0 − 4 − 1)/2⌋ + 1 = ⌊95/2⌋ + 1 = 48
    assert r.output_shape == (8, 48)
    assert steps(r)["L"] == "⌊(100 + 2·0 − 1·(5 − 1) − 1)/2⌋ + 1 = 48"
    assert unicode(r.params_formula) == "8·4·5 + 8 = 168"
    assert r.mult_adds == 8064  # 168·48


def test_conv_transpose2d_with_output_padding(tmp_path):
    r = row(tmp_path, "[16, 16, 16]",
            "{type: conv_transpose2d, filters: 8, kernel: 3, stride: 2, padding: 1, output_padding: 1}")
    # (16 − 1)·2 − 2·1 + 1·(3 − 1) + 1 + 1 = 30 − 2 + 2 + 1 + 1 = 32
    assert r.output_shape == (8, 32, 32)
    assert steps(r)["H, W"] == "(16 − 1)·2 − 2·1 + 1·(3 − 1) + 1 + 1 = 32"
    # PyTorch stores [C_in, C_out/groups, k, k]: 16·8·3·3 + 8 = 1152 + 8
    assert unicode(r.params_formula) == "16·8·3·3 + 8 = 1160"
    assert r.mult_adds == 1187840  # 1160·32·32 (torchinfo treats it like any Conv)


def test_conv_transpose2d_without_output_padding(tmp_path):
    r = row(tmp_path, "[16, 16, 16]", "{type: conv_transpose2d, filters: 8, kernel: 3, stride: 2, padding: 1}")
    assert r.output_shape == (8, 31, 31)  # 30 − 2 + 2 + 0 + 1


def test_conv_transpose2d_groups_and_dilation(tmp_path):
    r = row(tmp_path, "[4, 5, 5]", "{type: conv_transpose2d, filters: 6, kernel: 3, dilation: 2, groups: 2}")
    # (5 − 1)·1 − 0 + 2·(3 − 1) + 0 + 1 = 9
    assert r.output_shape == (6, 9, 9)
    assert r.params == 114  # 4·(6/2)·3·3 + 6 = 108 + 6


# -- pooling --------------------------------------------------------------------------

def test_maxpool_stride_defaults_to_kernel(tmp_path):
    r = row(tmp_path, "[16, 32, 32]", "{type: maxpool2d, kernel: 2}")
    assert r.output_shape == (16, 16, 16)  # ⌊(32 − 1 − 1)/2⌋ + 1 = 16
    assert steps(r)["H, W"] == "⌊(32 + 2·0 − 1·(2 − 1) − 1)/2⌋ + 1 = 16"
    assert "stride = kernel = 2 (the default)" in r.notes
    assert r.params == 0 and r.mult_adds == 0


def test_maxpool_with_stride_and_padding(tmp_path):
    r = row(tmp_path, "[1, 7, 7]", "{type: maxpool2d, kernel: 3, stride: 2, padding: 1}")
    assert r.output_shape == (1, 4, 4)  # ⌊(7 + 2 − 2 − 1)/2⌋ + 1 = 3 + 1


def test_ceil_mode_rounds_up(tmp_path):
    floor = row(tmp_path, "[1, 5, 5]", "{type: maxpool2d, kernel: 2}")
    ceil = row(tmp_path, "[1, 5, 5]", "{type: maxpool2d, kernel: 2, ceil_mode: true}")
    assert floor.output_shape == (1, 2, 2)  # ⌊3/2⌋ + 1
    assert ceil.output_shape == (1, 3, 3)  # ⌈3/2⌉ + 1: the last window hangs over the edge
    assert steps(ceil)["H, W"] == "⌈(5 + 2·0 − 1·(2 − 1) − 1)/2⌉ + 1 = 3"


def test_ceil_mode_drops_a_window_starting_in_the_right_padding(tmp_path):
    r = row(tmp_path, "[1, 5, 5]", "{type: maxpool2d, kernel: 2, stride: 2, padding: 1, ceil_mode: true}")
    # ⌈(5 + 2 − 1 − 1)/2⌉ + 1 = ⌈5/2⌉ + 1 = 4, but the 4th window would start at
    # (4 − 1)·2 = 6 ≥ 5 + 1, i.e. in the right padding: PyTorch keeps 3
    assert r.output_shape == (1, 3, 3)
    by_label = steps(r)
    assert by_label["H"] == "⌈(5 + 2·1 − 1·(2 − 1) − 1)/2⌉ + 1 = 4"
    assert by_label["H (ceil_mode)"] == "(4 − 1)·2 = 6 ≥ 5 + 1, so 4 − 1 = 3"


def test_ceil_mode_keeps_a_window_starting_inside(tmp_path):
    r = row(tmp_path, "[1, 6, 6]", "{type: maxpool2d, kernel: 3, stride: 2, padding: 1, ceil_mode: true}")
    # ⌈(6 + 2 − 2 − 1)/2⌉ + 1 = ⌈5/2⌉ + 1 = 4; (4 − 1)·2 = 6 < 6 + 1: it starts inside, kept
    assert r.output_shape == (1, 4, 4)
    assert "H (ceil_mode)" not in steps(r)


def test_maxpool_dilation(tmp_path):
    r = row(tmp_path, "[2, 10]", "{type: maxpool1d, kernel: 3, dilation: 2}")
    # stride = 3; ⌊(10 − 2·2 − 1)/3⌋ + 1 = ⌊5/3⌋ + 1 = 2
    assert r.output_shape == (2, 2)


def test_avgpool1d_and_2d(tmp_path):
    assert row(tmp_path, "[4, 11]", "{type: avgpool1d, kernel: 3, stride: 2}").output_shape == (4, 5)  # ⌊8/2⌋ + 1
    r = row(tmp_path, "[1, 7, 7]", "{type: avgpool2d, kernel: 2, ceil_mode: true}")
    assert r.output_shape == (1, 4, 4)  # ⌈5/2⌉ + 1 = 4; (4 − 1)·2 = 6 < 7: kept


def test_pool_kernel_pair(tmp_path):
    r = row(tmp_path, "[1, 8, 9]", "{type: avgpool2d, kernel: [2, 3]}")
    # H: ⌊(8 − 1 − 1)/2⌋ + 1 = 4; W: ⌊(9 − 2 − 1)/3⌋ + 1 = 3
    assert r.output_shape == (1, 4, 3)
    assert "stride = kernel = [2, 3] (the default)" in r.notes


def test_global_pooling(tmp_path):
    assert row(tmp_path, "[64, 7, 7]", "{type: global_avgpool}").output_shape == (64,)
    assert row(tmp_path, "[8, 100]", "{type: global_maxpool}").output_shape == (8,)


# -- reshaping, normalisation, dropout, embedding ------------------------------------

def test_flatten(tmp_path):
    r = row(tmp_path, "[32, 8, 8]", "{type: flatten}")
    assert r.output_shape == (2048,)
    assert steps(r) == {"features": "32·8·8 = 2048"}


def test_batchnorm_2d(tmp_path):
    r = row(tmp_path, "[64, 32, 32]", "{name: bn, type: batchnorm}")
    assert r.output_shape == (64, 32, 32)
    assert unicode(r.params_formula) == "64 + 64 = 128"  # γ and β, one per channel
    assert r.buffers == 128 and r.non_trainable == 0  # running mean and variance: buffers
    assert r.mult_adds == 128
    assert any("BatchNorm2d" in note for note in r.notes)


@pytest.mark.parametrize("shape, channels", [("[10]", 10), ("[8, 100]", 8)])
def test_batchnorm_1d_uses_the_first_axis(tmp_path, shape, channels):
    assert row(tmp_path, shape, "{type: batchnorm}").params == 2 * channels


def test_layernorm_uses_the_last_axis(tmp_path):
    r = row(tmp_path, "[10, 64]", "{type: layernorm}")
    assert r.params == 128  # 64 + 64
    assert r.output_shape == (10, 64)


def test_dropout_keeps_the_shape(tmp_path):
    r = row(tmp_path, "[3, 4]", "{type: dropout, rate: 0.2}")
    assert r.output_shape == (3, 4) and r.params == 0


def test_embedding(tmp_path):
    r = row(tmp_path, "[50]", "{type: embedding, num: 1000, dim: 16}")
    assert r.output_shape == (50, 16)
    assert unicode(r.params_formula) == "1000·16 = 16,000"
    assert r.mult_adds == 800000  # 16,000 once per index looked up: 16,000·50


@pytest.mark.parametrize("kind", ["relu", "sigmoid", "tanh", "softmax", "leaky_relu", "gelu"])
def test_activations_have_no_parameters(tmp_path, kind):
    r = row(tmp_path, "[3, 5, 5]", f"{{type: {kind}}}")
    assert r.output_shape == (3, 5, 5) and r.params == 0 and unicode(r.params_formula) == "0"


def test_leaky_relu_takes_a_slope(tmp_path):
    assert row(tmp_path, "[4]", "{type: leaky_relu, slope: 0.2}").output_shape == (4,)


# -- recurrent ------------------------------------------------------------------------

def test_rnn(tmp_path):
    r = row(tmp_path, "[10, 8]", "{type: rnn, hidden: 16}")
    assert r.output_shape == (10, 16)
    # 16·8 + 16·16 + 16 + 16 = 128 + 256 + 32 = 416
    assert unicode(r.params_formula) == "16·8 + 16·16 + 16 + 16 = 416"
    assert r.mult_adds == 4160  # 416 per time step · 10 steps


def test_lstm(tmp_path):
    r = row(tmp_path, "[10, 8]", "{type: lstm, hidden: 16}")
    # 4·16·8 + 4·16·16 + 4·16 + 4·16 = 512 + 1024 + 64 + 64 = 1664
    assert r.params == 1664
    assert unicode(r.params_formula) == "4·16·8 + 4·16·16 + 4·16 + 4·16 = 1664"


def test_gru(tmp_path):
    r = row(tmp_path, "[10, 8]", "{type: gru, hidden: 16}")
    assert r.params == 1248  # 3·16·8 + 3·16·16 + 3·16 + 3·16 = 384 + 768 + 48 + 48


def test_recurrent_without_bias(tmp_path):
    assert row(tmp_path, "[10, 8]", "{type: lstm, hidden: 16, bias: false}").params == 1536  # 512 + 1024


def test_return_sequences_false_keeps_the_last_step(tmp_path):
    r = row(tmp_path, "[10, 8]", "{type: gru, hidden: 16, return_sequences: false}")
    assert r.output_shape == (16,)
    assert r.mult_adds == 12480  # torchinfo: 1248 · 10 steps, the module runs them all


def test_bidirectional_two_layer_lstm(tmp_path):
    r = row(tmp_path, "[7, 10]", "{type: lstm, hidden: 20, layers: 2, bidirectional: true}")
    assert r.output_shape == (7, 40)  # 2 directions · 20
    # layer 1, each direction: 4·20·10 + 4·20·20 + 4·20 + 4·20 = 800 + 1600 + 80 + 80 = 2560; ×2 = 5120
    # layer 2 reads 2·20 = 40: 4·20·40 + 4·20·20 + 80 + 80 = 3200 + 1600 + 160 = 4960; ×2 = 9920
    assert r.params == 15040  # 5120 + 9920
    assert unicode(r.params_formula) == ("2·4·20·10 + 2·4·20·20 + 2·4·20 + 2·4·20 + "
                             "2·4·20·40 + 2·4·20·20 + 2·4·20 + 2·4·20 = 15,040")
    assert steps(r) == {"features (directions·hidden)": "2·20 = 40"}


def test_running_total_and_formula(tmp_path):
    net = network(tmp_path, "[4]", "{type: dense, units: 3}", "{type: relu}", "{type: dense, units: 2}")
    # 4·3 + 3 = 15; then 3·2 + 2 = 8; total 23
    assert [r.running_total for r in net.rows] == [15, 15, 23]
    assert unicode(net.formula) == "4×3 + 3 + 3×2 + 2"
    assert unicode(net.formula_total) == "4×3 + 3 + 3×2 + 2 = 23"
    assert unicode(net.memory) == "23 × 4 B = 92 B"
