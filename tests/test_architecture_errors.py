"""Errors that teach: every refusal names the file, the line, the layer, and shows the
arithmetic that fails; all faults of a file are reported together; never a traceback."""

from __future__ import annotations

import pytest

from hwcheck.errors import EXIT_INPUT_ERROR, InputError
from hwcheck.problem import load_problem


def faults(tmp_path, body: str) -> list[str]:
    """The one-line messages (file:line:column: message) for a problem with this body."""
    path = tmp_path / "net.yaml"
    path.write_text("id: t\nkind: architecture\n" + body, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_problem(path)
    assert caught.value.exit_code == EXIT_INPUT_ERROR == 2
    return [str(fault) for fault in caught.value.faults]


def only(tmp_path, body: str) -> str:
    found = faults(tmp_path, body)
    assert len(found) == 1, found
    return found[0]


# -- networks that cannot run ---------------------------------------------------------

def test_kernel_larger_than_the_input(tmp_path):
    message = only(tmp_path, "input: [1, 8, 8]\nlayers:\n  - {name: A, type: conv2d, filters: 4, kernel: 10}\n")
    # ⌊(8 + 0 − 1·(10 − 1) − 1)/1⌋ + 1 = ⌊−2/1⌋ + 1 = −1
    assert message.endswith(".yaml:5:49: layer A (conv2d): output height ⌊(8 + 2·0 − 1·(10 − 1) − 1)/1⌋ + 1 = −1 ≤ 0: "
                            "the window spans 1·(10 − 1) + 1 = 10 but the padded input is only 8 + 2·0 = 8; "
                            "use a smaller kernel or dilation, more padding, or a larger input")
    assert "net.yaml:5:" in message


def test_the_first_layer_that_breaks_is_named(tmp_path):
    message = only(tmp_path, "input: [1, 6, 6]\nlayers:\n"
                             "  - {name: A, type: conv2d, filters: 2, kernel: 3}\n"          # 6 → 4
                             "  - {name: B, type: maxpool2d, kernel: 2}\n"                   # 4 → 2
                             "  - {name: C, type: conv2d, filters: 2, kernel: 3}\n"          # 2 → 0: breaks
                             "  - {name: D, type: conv2d, filters: 2, kernel: 5}\n")
    # ⌊(2 + 0 − 2 − 1)/1⌋ + 1 = ⌊−1⌋ + 1 = 0
    assert ":7:" in message and "layer C (conv2d): output height ⌊(2 + 2·0 − 1·(3 − 1) − 1)/1⌋ + 1 = 0 ≤ 0" in message


def test_unnamed_layers_are_named_by_position(tmp_path):
    message = only(tmp_path, "input: [1, 4]\nlayers:\n  - {type: relu}\n  - {type: maxpool1d, kernel: 5}\n")
    assert "layer 2 (maxpool1d): output length ⌊(4 + 2·0 − 1·(5 − 1) − 1)/5⌋ + 1 = 0 ≤ 0" in message


def test_conv2d_after_flatten(tmp_path):
    message = only(tmp_path, "input: [3, 8, 8]\nlayers:\n  - {type: flatten}\n  - {type: conv2d, filters: 4, kernel: 3}\n")
    assert message.endswith(":6:5: layer 2 (conv2d): needs an input [C, H, W] (rank 3), but layer 1 (flatten) gives "
                            "[192] (rank 1); a conv2d cannot come after flatten: move flatten after the last layer "
                            "that needs [C, H, W]")


def test_recurrent_layer_on_an_image(tmp_path):
    message = only(tmp_path, "input: [3, 8, 8]\nlayers:\n  - {name: R, type: lstm, hidden: 4}\n")
    assert "layer R (lstm): needs an input [L, features] (rank 2), but the input gives [3, 8, 8] (rank 3)" in message


def test_groups_must_divide_the_channels(tmp_path):
    message = only(tmp_path, "input: [3, 8, 8]\nlayers:\n  - {name: A, type: conv2d, filters: 16, kernel: 3, groups: 2}\n")
    assert ":5:61: layer A (conv2d): groups 2 does not divide the 3 input channels (3/2 is not whole)" in message


def test_groups_must_divide_the_filters(tmp_path):
    message = only(tmp_path, "input: [4, 8, 8]\nlayers:\n  - {name: A, type: conv2d, filters: 6, kernel: 3, groups: 4}\n")
    assert "groups 4 does not divide the 6 filters (6/4 is not whole)" in message


def test_same_with_stride_is_refused_by_pytorch(tmp_path):
    message = only(tmp_path, "input: [3, 8, 8]\nlayers:\n"
                             "  - {name: A, type: conv2d, filters: 16, kernel: 3, stride: 2, padding: same}\n")
    assert "layer A (conv2d): padding 'same' with stride 2: PyTorch refuses it" in message
    assert "set convention: keras" in message


def test_pool_padding_over_half_the_kernel(tmp_path):
    message = only(tmp_path, "input: [3, 8, 8]\nlayers:\n  - {name: P, type: maxpool2d, kernel: 3, padding: 2}\n")
    assert "layer P (maxpool2d): padding 2 is more than half the kernel 3" in message and "padding ≤ 1" in message


def test_pool_same_needs_keras(tmp_path):
    message = only(tmp_path, "input: [3, 8, 8]\nlayers:\n  - {name: P, type: maxpool2d, kernel: 2, padding: same}\n")
    assert "layer P (maxpool2d): PyTorch's pooling layers take no 'same' padding" in message


def test_output_padding_must_be_below_the_stride(tmp_path):
    message = only(tmp_path, "input: [3, 8, 8]\nlayers:\n"
                             "  - {name: T, type: conv_transpose2d, filters: 2, kernel: 3, stride: 2, output_padding: 2}\n")
    assert "layer T (conv_transpose2d): output_padding 2 must be smaller than the stride (2) or the dilation (1)" in message


def test_transposed_convolution_padded_away(tmp_path):
    message = only(tmp_path, "input: [3, 2, 2]\nlayers:\n"
                             "  - {name: T, type: conv_transpose2d, filters: 2, kernel: 1, padding: 1}\n")
    # (2 − 1)·1 − 2·1 + 1·(1 − 1) + 0 + 1 = 0
    assert "layer T (conv_transpose2d): output height (2 − 1)·1 − 2·1 + 1·(1 − 1) + 0 + 1 = 0 ≤ 0" in message


# -- keys and values ------------------------------------------------------------------

def test_missing_size(tmp_path):
    message = only(tmp_path, "input: [3, 8, 8]\nlayers:\n  - {name: A, type: conv2d, kernel: 3}\n")
    assert message.endswith(":5:5: layer A (conv2d): missing 'filters'; add e.g. filters: 16")


def test_negative_size(tmp_path):
    message = only(tmp_path, "input: [3, 8, 8]\nlayers:\n  - {name: A, type: conv2d, filters: 4, kernel: -3}\n")
    assert message.endswith(":5:49: layer A (conv2d): kernel must be a positive whole number or a pair [h, w], not -3")


@pytest.mark.parametrize("layer, expected", [
    ("{type: dense, units: 0}", "layer 1 (dense): units must be a positive whole number, not 0"),
    ("{type: dense, units: 2.5}", "layer 1 (dense): units must be a positive whole number, not 2.5"),
    ("{type: dense, units: 3, bias: maybe}", 'layer 1 (dense): bias must be true or false, not "maybe"'),
    # the file's value is quoted back as YAML spells it, not as Python would (True, None)
    ("{type: conv2d, filters: 4, kernel: true}", "layer 1 (conv2d): kernel must be a positive whole number or a pair [h, w], not true"),
    ("{type: dense, units: null}", "layer 1 (dense): units must be a positive whole number, not null"),
    ("{type: dropout, rate: [0.5, .nan]}", "layer 1 (dropout): rate must be a number, not [0.5, .nan]"),
    ("{type: conv2d, filters: 1, kernel: [3, 3, 3]}", "kernel must be a positive whole number or a pair [h, w], not [3, 3, 3]"),
    ("{type: conv2d, filters: 1, kernel: 3, padding: full}", "padding 'full' is not known; write a number, a pair or 'valid', 'same'"),
    ("{type: conv2d, filters: 1, kernel: 3, padding: -1}", "padding must be a non-negative whole number or a pair [h, w], not -1"),
    ("{type: conv1d, filters: 1, kernel: [3, 3]}", "layer 1 (conv1d): kernel of a 1-D layer is one whole number, not the list [3, 3]"),
    ("{type: conv_transpose2d, filters: 1, kernel: 3, padding: same}", "padding 'same' is not known; write a number, a pair or 'valid'"),
    ("{type: dropout, rate: 1.5}", "layer 1 (dropout): rate is a probability between 0 and 1, not 1.5"),
])
def test_bad_values(tmp_path, layer, expected):
    assert expected in only(tmp_path, f"input: [3, 8, 8]\nlayers:\n  - {layer}\n")


def test_unknown_type_with_did_you_mean(tmp_path):
    message = only(tmp_path, "input: [3, 8, 8]\nlayers:\n  - {name: B, type: conv, filters: 4}\n")
    assert ":5:21: layer B: unknown type 'conv' (did you mean 'conv2d'?); known types: dense, conv1d" in message


def test_unknown_key_with_did_you_mean(tmp_path):
    message = only(tmp_path, "input: [3, 8, 8]\nlayers:\n  - {name: C, type: conv2d, filters: 4, kernel: 3, stides: 2}\n")
    assert message.endswith(":5:52: layer C (conv2d): unknown key 'stides' (did you mean 'stride'?); conv2d takes "
                            "filters, kernel, stride, padding, dilation, groups, bias (and name)")


def test_activation_keys(tmp_path):
    assert "layer 1 (relu): unknown key 'slope'; relu takes no keys but name" in only(
        tmp_path, "input: [4]\nlayers:\n  - {type: relu, slope: 0.1}\n")


def test_names(tmp_path):
    found = faults(tmp_path, "input: [4]\nlayers:\n  - {name: A, type: relu}\n  - {name: A, type: relu}\n"
                             "  - {name: params, type: relu}\n  - {name: 2x, type: relu}\n")
    assert any(":6:12: layer 2: the name 'A' is used twice (first at line 5)" in f for f in found)
    assert any("layer 3: the name 'params' is reserved" in f for f in found)
    assert any("layer 4: name '2x' must start with a letter" in f for f in found)


def test_a_layer_that_is_not_a_mapping(tmp_path):
    assert "layer 1: each layer is a mapping such as {type: relu}" in only(tmp_path, "input: [4]\nlayers:\n  - relu\n")


def test_type_that_is_not_text(tmp_path):
    assert "layer 1: unknown type '[1]'" in only(tmp_path, "input: [4]\nlayers:\n  - {type: [1]}\n")


@pytest.mark.parametrize("body, expected", [
    ("layers: [{type: relu}]\n", "missing 'input'; write the input shape without the batch dimension"),
    ("input: [3, -2]\nlayers: [{type: relu}]\n", "input must be a list of positive sizes"),
    ("input: 30\nlayers: [{type: relu}]\n", "input is a list of sizes; write input: [30]"),
    ("input: [4]\n", "missing 'layers'"),
    ("input: [4]\nlayers: []\n", "layers is a non-empty list"),
    ("input: [4]\nconvention: pytroch\nlayers: [{type: relu}]\n", "convention 'pytroch' is not known (did you mean 'pytorch'?)"),
])
def test_top_level_keys(tmp_path, body, expected):
    assert expected in only(tmp_path, body)


def test_questions_must_name_a_layer(tmp_path):
    found = faults(tmp_path, "input: [4]\nlayers:\n  - {name: A, type: dense, units: 2}\nquestions:\n"
                             "  - {id: q1, ask: D}\n  - {id: q2, ask: params(A)}\n  - {id: q3, ask: 'params(X)'}\n")
    assert len(found) == 2
    assert ":7:5: question q1: ask 'D' names no layer; ask NAME (its output shape), params(NAME) or params; named layers: A" in found[0]
    assert ":9:5: question q3: ask 'params(X)' names no layer (did you mean 'params(A)'?)" in found[1]


def test_every_fault_is_reported_at_once(tmp_path):
    found = faults(tmp_path, "input: [3, 8, 8]\nlayers:\n"
                             "  - {name: A, type: conv2d, kernel: 3}\n"
                             "  - {name: B, type: maxpool2d, kernel: 0}\n"
                             "  - {name: C, type: dense, unit: 3}\n")
    assert [f.split(": ", 1)[1] for f in found] == [
        "layer A (conv2d): missing 'filters'; add e.g. filters: 16",
        "layer B (maxpool2d): kernel must be a positive whole number or a pair [h, w], not 0",
        "layer C (dense): unknown key 'unit' (did you mean 'units'?); dense takes units, bias (and name)",
        "layer C (dense): missing 'units'; add e.g. units: 10",
    ]


def test_no_traceback_text(tmp_path):
    for message in faults(tmp_path, "input: [1, 8, 8]\nlayers:\n  - {name: A, type: conv2d, filters: 4, kernel: 10}\n"):
        assert "Traceback" not in message and "\n" not in message
