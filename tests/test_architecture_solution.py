"""The Solution protocol for architectures: the seed's T2/T3, mistakes, errors carried
forward, hints and the JSON of contract §6."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import pytest

from hwcheck.architecture import MISTAKES, solve_architecture
from hwcheck.errors import InputError, UnknownAsk
from hwcheck.problem import load_problem
from hwcheck.render.typeset import unicode
from hwcheck.yamldoc import load_yaml_file
from support import CONTRACT

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = CONTRACT
PROBLEMS = ROOT / "problems"


def solved(name: str):
    return solve_architecture(load_problem(PROBLEMS / f"{name}.yaml"))


def write(tmp_path, text: str):
    path = tmp_path / "net.yaml"
    path.write_text(text, encoding="utf-8")
    return solve_architecture(load_problem(path))


def codes(mistakes) -> dict[str, object]:
    return {m.code: m.value for m in mistakes}


# -- the seed homework: T2 and T3 -----------------------------------------------------

def test_seed_t2_output_sizes():
    s = solved("mlp_params")
    # A: dense 30 → 1024, B: 1024 → 512, C: 512 → 1
    assert s.expected("A").value == [1024]
    assert s.expected("B").value == [512]
    assert s.expected("C").value == [1]
    assert s.expected("A").exact


def test_seed_t3_parameter_count():
    s = solved("mlp_params")
    expected = s.expected("params")
    # 30×1024 + 1024 + 1024×512 + 512 + 512×1 + 1 = 30,720 + 1024 + 524,288 + 512 + 512 + 1 = 557,057
    assert expected.value == 557057 and expected.exact and isinstance(expected.value, int)
    assert unicode(s.network.formula) == "30×1024 + 1024 + 1024×512 + 512 + 512×1 + 1"
    assert unicode(s.network.formula_total) == "30×1024 + 1024 + 1024×512 + 512 + 512×1 + 1 = 557,057"
    assert unicode(s.network.counts) == "trainable 557,057 · non-trainable 0 · total 557,057"
    # 557,057 × 4 bytes = 2,228,228 B
    assert unicode(s.network.memory) == "557,057 × 4 B = 2,228,228 B ≈ 2.23 MB"


def test_params_of_one_layer():
    s = solved("mlp_params")
    assert s.expected("params(A)").value == 31744  # 30·1024 + 1024
    assert s.expected("params( B )").value == 524800  # 1024·512 + 512
    assert s.expected("params(C)").value == 513  # 512·1 + 1


def test_shipped_problem_matches_the_contract_example():
    assert load_yaml_file(PROBLEMS / "mlp_params.yaml") == load_yaml_file(EXAMPLES / "mlp_params.yaml")
    assert load_yaml_file(PROBLEMS / "conv_shapes.yaml") == load_yaml_file(EXAMPLES / "conv_shapes.yaml")


def test_bobs_sheet_is_the_total_without_biases():
    s = solved("mlp_params")
    bob = load_yaml_file(EXAMPLES / "bob_mlp_params.yaml")["answers"]
    # 557,057 − (1024 + 512 + 1) = 555,520: every bias left out
    assert bob["T3"] == 555520
    mistakes = s.mistakes("params")
    assert codes(mistakes)["forgot-bias"] == 555520
    forgot = next(m for m in mistakes if m.code == "forgot-bias")
    assert forgot.description == "you left out the biases (layers A, B, C)"
    assert s.mistakes("A") == []  # a dense layer's shape has nothing to get wrong here


def test_default_questions(tmp_path):
    s = write(tmp_path, "id: t\nkind: architecture\ninput: [30]\nlayers:\n"
                        "  - {name: A, type: dense, units: 4}\n  - {type: relu}\n  - {name: B, type: dense, units: 1}\n")
    assert [(q.id, q.ask) for q in s.problem.questions] == [("A", "A"), ("B", "B"), ("params", "params")]


def test_solve_reuses_the_shape_pass_done_at_load():
    problem = load_problem(PROBLEMS / "conv_shapes.yaml")
    assert solve_architecture(problem).network is problem.network


def test_unknown_ask_is_an_unknown_ask():
    s = solved("mlp_params")
    with pytest.raises(UnknownAsk, match="did you mean 'B'"):
        s.expected("B3")
    with pytest.raises(UnknownAsk):
        s.mistakes("params(D)")
    with pytest.raises(UnknownAsk):
        s.hint("dz/dw0")


# -- mistakes -------------------------------------------------------------------------

def test_conv_mistakes_on_a_shape():
    found = codes(solved("conv_shapes").mistakes("A"))
    # A: 3×32×32, k5, p2. Without padding: ⌊(32 − 4 − 1)/1⌋ + 1 = 28; without + 1: 31
    # and A = [16, 32, 32] in Keras' channels-last layout: [32, 32, 16]
    assert found == {"forgot-padding": [16, 28, 28], "forgot-plus-one": [16, 31, 31], "channels-last": [32, 32, 16]}


def test_pool_stride_mistake():
    found = codes(solved("conv_shapes").mistakes("B"))
    # pool stride taken as 1: ⌊(32 − 1 − 1)/1⌋ + 1 = 31
    assert found["forgot-stride"] == [16, 31, 31]
    # no padding in A (28) then pooled: ⌊(28 − 2)/2⌋ + 1 = 14; no + 1 in A (31) and B: ⌊29/2⌋ = 14
    assert found["forgot-padding"] == [16, 14, 14] and found["forgot-plus-one"] == [16, 14, 14]


def test_two_mistakes_with_the_same_number_are_both_kept():
    found = solved("conv_shapes").mistakes("params")
    by_code = codes(found)
    # forgot padding: A 28 → B 14 → B2 ⌊(14 + 2 − 2 − 1)/2⌋ + 1 = 6 → 32·6·6 = 1152 → 1152·10 + 10 = 11,530
    #   1216 + 4640 + 11,530 = 17,386
    # forgot + 1: A 31 → B ⌊29/2⌋ = 14 → B2 ⌊13/2⌋ = 6 → the same 17,386
    assert by_code["forgot-padding"] == by_code["forgot-plus-one"] == 17386
    # biases: 26,346 − 16 − 32 − 10 = 26,288
    assert by_code["forgot-bias"] == 26288
    # stride 1 everywhere: pool 31, B2 ⌊(31 + 2 − 2 − 1)/1⌋ + 1 = 31 → 32·31·31·10 + 10 = 307,530; + 5856
    assert by_code["forgot-stride"] == 313386
    # ceil in B2: ⌈15/2⌉ + 1 = 9 → 32·9·9·10 + 10 = 25,930; + 5856 = 31,786
    assert by_code["wrong-rounding"] == 31786
    # no input channels: 16·5·5 + 16 = 416, 32·3·3 + 32 = 320, + 20,490 = 21,226
    assert by_code["forgot-input-channels"] == 21226
    assert "one-gate" not in by_code and "bn-stats-learnable" not in by_code  # nothing to get wrong


def test_mistake_descriptions_name_the_layers():
    found = {m.code: m.description for m in solved("conv_shapes").mistakes("params")}
    assert found["wrong-rounding"].endswith("(layer B2)")
    assert found["forgot-input-channels"].endswith("(layers A, B2)")


def test_wrong_rounding_with_ceil_mode(tmp_path):
    s = write(tmp_path, "id: t\nkind: architecture\ninput: [1, 5, 5]\n"
                        "layers: [{name: P, type: maxpool2d, kernel: 2, ceil_mode: true}]\n")
    # ⌈3/2⌉ + 1 = 3 with ceil_mode; a student flooring gets ⌊3/2⌋ + 1 = 2
    assert s.expected("P").value == [1, 3, 3]
    assert codes(s.mistakes("P"))["wrong-rounding"] == [1, 2, 2]


def test_one_gate_lstm_and_gru():
    found = codes(solved("lstm_classifier").mistakes("params(lstm)"))
    # one gate: 64·128 + 64·64 + 64 + 64 = 8192 + 4096 + 128 = 12,416 (instead of 49,664)
    assert found["one-gate"] == 12416
    # no biases: 4·64·128 + 4·64·64 = 32,768 + 16,384 = 49,152
    assert found["forgot-bias"] == 49152


def test_one_gate_gru(tmp_path):
    s = write(tmp_path, "id: t\nkind: architecture\ninput: [10, 8]\nlayers: [{name: G, type: gru, hidden: 16}]\n")
    # 16·8 + 16·16 + 16 + 16 = 416 instead of 1248
    assert codes(s.mistakes("params(G)"))["one-gate"] == 416


def test_batchnorm_statistics_counted_as_learnable():
    s = solved("vgg_block")
    assert codes(s.mistakes("params(bn1)")) == {"bn-stats-learnable": 256}  # 4·64 instead of 2·64
    # the whole block: 202,826 + 2·128 = 203,082
    assert codes(s.mistakes("params"))["bn-stats-learnable"] == 203082


def test_a_layer_count_is_not_blamed_on_later_layers():
    found = {m.code: m.description for m in solved("conv_shapes").mistakes("params(A)")}
    assert found == {"forgot-bias": "you left out the biases (layer A)",
                     "forgot-input-channels": "you left out the input channels in the weights "
                                              "(filters·k·k instead of filters·C_in·k·k) (layer A)"}


def test_solve_with_a_mistake_switched_on():
    problem = load_problem(PROBLEMS / "mlp_params.yaml")
    wrong = solve_architecture(problem, mistake="forgot-bias")
    assert wrong.expected("params").value == 555520
    assert wrong.to_json()["mistake"] == "forgot-bias"
    with pytest.raises(ValueError, match="did you mean 'forgot-bias'"):
        solve_architecture(problem, mistake="forgot-biases")
    assert set(MISTAKES) == {"forgot-bias", "forgot-padding", "forgot-plus-one", "forgot-stride", "wrong-rounding",
                             "forgot-input-channels", "one-gate", "bn-stats-learnable", "per-head-projections", "channels-last"}


def test_a_mistake_that_breaks_the_network_gives_no_answer(tmp_path):
    # without its padding the second 3×3 convolution would get a 1×1 input: ⌊(1 − 2 − 1)/1⌋ + 1 < 1
    s = write(tmp_path, "id: t\nkind: architecture\ninput: [1, 3, 3]\nlayers:\n"
                        "  - {name: A, type: conv2d, filters: 1, kernel: 3, padding: 1}\n"
                        "  - {name: B, type: conv2d, filters: 1, kernel: 3, padding: 1}\n")
    assert "forgot-padding" not in codes(s.mistakes("B"))


# -- errors carried forward -----------------------------------------------------------

def test_carried_forward_shape():
    s = solved("conv_shapes")
    # the student forgot A's padding (28) but pooled 28 correctly: ⌊(28 − 2)/2⌋ + 1 = 14
    found = [m for m in s.mistakes("B", {"A": [16, 28, 28]}) if m.code == "carried-forward"]
    assert len(found) == 1 and found[0].value == [16, 14, 14]
    assert "[16, 28, 28]" in found[0].description and "layer A" in found[0].description


def test_carried_forward_into_the_parameter_count():
    s = solved("conv_shapes")
    # B answered [16, 15, 15]: B2 ⌊(15 + 2 − 2 − 1)/2⌋ + 1 = 8, the same as the right 8 → no change;
    # B answered [16, 20, 20]: B2 ⌊(20 − 1)/2⌋ + 1 = 10 → C: 32·10·10·10 + 10 = 32,010; 1216 + 4640 + 32,010
    assert "carried-forward" not in codes(s.mistakes("params", {"B": [16, 15, 15]}))
    assert codes(s.mistakes("params", {"B": [16, 20, 20]}))["carried-forward"] == 37866


def test_no_carried_forward_from_right_or_unreadable_answers():
    s = solved("conv_shapes")
    assert "carried-forward" not in codes(s.mistakes("B", {"A": [16, 32, 32]}))
    assert "carried-forward" not in codes(s.mistakes("B", {"A": "sixteen"}))
    assert "carried-forward" not in codes(s.mistakes("B", {"A": [16, 0, 0]}))


def test_carried_forward_accepts_question_ids_and_written_shapes():
    s = solved("conv_shapes")
    assert codes(s.mistakes("B", {"T2.A": (16, 28, 28)}))["carried-forward"] == [16, 14, 14]
    assert codes(s.mistakes("B", {"A": "16x28x28"}))["carried-forward"] == [16, 14, 14]


def test_carried_forward_comes_from_earlier_layers_only():
    s = solved("conv_shapes")
    assert "carried-forward" not in codes(s.mistakes("A", {"B": [16, 15, 15]}))


# -- hints ----------------------------------------------------------------------------

def test_hints_give_formulas_not_answers():
    s = solved("conv_shapes")
    shape_hint = s.hint("B")
    assert "⌊(in + 2·padding − dilation·(kernel − 1) − 1)/stride⌋ + 1" in shape_hint
    assert "stride defaults to the kernel" in shape_hint
    assert "16, 16, 16" not in shape_hint and "dense" not in shape_hint  # only the layers up to B
    count_hint = s.hint("params")
    assert "filters·(C_in/groups)·k_h·k_w weights + filters biases" in count_hint
    assert "26,346" not in count_hint and "26346" not in count_hint
    layer_hint = s.hint("params(A)")
    assert "1216" not in layer_hint and "conv2d" in layer_hint


def test_total_hint_covers_every_layer_with_weights():
    hint = solved("lstm_classifier").hint("params")
    assert "embedding: num·dim" in hint and "lstm: per layer and direction 4·H·in + 4·H·H + 4·H + 4·H" in hint
    assert "dense:" in hint and "dropout:" not in hint
    assert "2,609,794" not in hint and "49,664" not in hint


def test_seed_hint_has_no_numbers_of_the_answer():
    hint = solved("mlp_params").hint("params")
    assert "557" not in hint and "bias" in hint


# -- JSON (contract §6) ---------------------------------------------------------------

def test_json_has_the_contract_keys():
    data = solved("mlp_params").to_json()
    contract = {"id", "kind", "input", "layers", "total_params", "trainable_params", "formula"}
    extras = {"non_trainable_params", "convention", "mult_adds", "param_bytes"}  # docs/architecture.md
    assert set(data) == contract | extras
    assert data["id"] == "mlp-params" and data["kind"] == "architecture" and data["input"] == [30]
    assert data["total_params"] == data["trainable_params"] == 557057
    assert data["formula"] == "30×1024 + 1024 + 1024×512 + 512 + 512×1 + 1"
    first = data["layers"][0]
    assert {"name", "type", "output_shape", "params"} <= set(first)
    assert (first["name"], first["type"], first["output_shape"], first["params"]) == ("A", "dense", [1024], 31744)
    assert data["layers"][1]["name"] is None  # the unnamed relu
    json.dumps(data)  # plain data only


def test_json_keras_totals(tmp_path):
    s = write(tmp_path, "id: t\nkind: architecture\nconvention: keras\ninput: [4, 4, 8]\nlayers: [{type: batchnorm}]\n")
    data = s.to_json()
    # γ, β learnable: 16; moving mean and variance non-trainable: 16; Keras' total 32
    assert (data["trainable_params"], data["non_trainable_params"], data["total_params"]) == (16, 16, 32)


def test_shipped_problems_copy_cleanly(tmp_path):
    """Problems do not depend on where they live."""
    for path in PROBLEMS.glob("*.yaml"):
        copy = tmp_path / path.name
        shutil.copy(path, copy)
        problem = load_problem(copy)
        if problem.kind == "architecture":
            solve_architecture(problem)


def test_solving_a_hand_built_broken_problem_is_an_input_error():
    loaded = load_problem(PROBLEMS / "mlp_params.yaml")
    problem = dataclasses.replace(loaded, network=None, input=(30, 2, 2), layers=[
        type(loaded.layers[0])(1, "conv1d", "A", {"filters": 1, "kernel": (3,), "stride": (1,), "padding": (0,),
                                                  "dilation": (1,), "groups": 1, "bias": True}, None)])
    with pytest.raises(InputError, match=r"layer A \(conv1d\): needs an input \[C, L\]"):
        solve_architecture(problem)


# -- a shape written in the other framework's layout ------------------------------------

def test_channels_last_for_a_pytorch_problem():
    # 3×32×32 through a 3×3 convolution with 16 filters and padding 1: [16, 32, 32]; Keras
    # writes it [32, 32, 16]. The 2×2 pooling after it: [16, 16, 16] reads the same either way.
    s = write_net("input: [3, 32, 32]\nlayers:\n  - {name: c1, type: conv2d, filters: 16, kernel: 3, padding: 1}\n"
                  "  - {name: p1, type: maxpool2d, kernel: 2}\n")
    (m,) = [m for m in s.mistakes("c1") if m.code == "channels-last"]
    assert m.value == [32, 32, 16]
    assert m.description == "you wrote the shape of c1 channels last [H, W, C], Keras' layout; this problem follows PyTorch, channels first [C, H, W]"
    assert "channels-last" not in codes(s.mistakes("p1"))
    assert "channels-last" not in codes(s.mistakes("params(c1)"))  # a count has no layout
    with pytest.raises(ValueError, match="channels-last is a way of writing the right shapes"):
        solve_architecture(s.problem, mistake="channels-last")


def test_channels_first_for_a_keras_problem():
    # Keras: a 1-D signal [100, 4] (L, C) through a convolution with 8 filters of 5: [96, 8];
    # PyTorch's layout writes it [8, 96].
    s = write_net("convention: keras\ninput: [100, 4]\nlayers:\n  - {name: c, type: conv1d, filters: 8, kernel: 5}\n")
    assert s.expected("c").value == [96, 8]
    (m,) = [m for m in s.mistakes("c") if m.code == "channels-last"]
    assert m.value == [8, 96]
    assert m.description == "you wrote the shape of c channels first [C, L], PyTorch's layout; this problem follows Keras, channels last [L, C]"


def test_no_layout_mistake_for_a_dense_layer():
    s = write_net("input: [20]\nlayers:\n  - {name: fc, type: dense, units: 10}\n")
    assert "channels-last" not in codes(s.mistakes("fc"))


def write_net(body: str):
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "net.yaml"
        path.write_text("id: t\nkind: architecture\n" + body, encoding="utf-8")
        return solve_architecture(load_problem(path))
