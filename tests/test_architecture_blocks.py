"""Architectures beyond a chain (contract §7b): residual blocks, multi-head attention and
transformer encoder layers; ResNet-18 and a small transformer as one-file problems.

Every count is worked by hand from the PyTorch module definitions, and ResNet-18's from
torchvision's published 11,689,512 and torchinfo's published per-block table.
"""

from __future__ import annotations

import json

import pytest
from rich.console import Console

from support import PROBLEMS, run_cli

from hwcheck.architecture import solve_architecture
from hwcheck.problem import load_problem
from hwcheck.render.architecture_markdown import render_architecture_markdown
from hwcheck.render.architecture_terminal import render_architecture_terminal
from hwcheck.render import render_dot
from hwcheck.render import render_latex
from hwcheck.render.typeset import unicode


def write(tmp_path, body: str, input_shape: str = "[10, 256]", name: str = "net.yaml"):
    path = tmp_path / name
    path.write_text(f"id: t\nkind: architecture\ninput: {input_shape}\nlayers:\n{body}", encoding="utf-8")
    return path


def solve(tmp_path, body: str, input_shape: str = "[10, 256]"):
    return solve_architecture(load_problem(write(tmp_path, body, input_shape)))


BLOCK = """\
  - name: B
    type: residual
    layers:
      - {name: c1, type: conv2d, filters: 8, kernel: 3, stride: 2, padding: 1, bias: false}
      - {type: batchnorm}
      - {type: relu}
      - {name: c2, type: conv2d, filters: 8, kernel: 3, padding: 1, bias: false}
    shortcut:
      - {name: proj, type: conv2d, filters: 8, kernel: 1, stride: 2, bias: false}
  - {type: relu}
  - {name: C, type: residual, layers: [{name: c3, type: conv2d, filters: 8, kernel: 3, padding: 1}]}
"""


# -- multihead_attention ----------------------------------------------------------------

def test_multihead_attention_counts_as_pytorch(tmp_path):
    s = solve(tmp_path, "  - {name: A, type: multihead_attention, heads: 4}\n")
    row = s.network.rows[0]
    # nn.MultiheadAttention(256, 4): in_proj_weight [768, 256] + in_proj_bias [768]
    # + out_proj [256, 256] + [256] = 196,608 + 768 + 65,536 + 256 = 263,168 = 4·256·256 + 4·256
    assert row.params == 263168
    assert unicode(row.params_formula) == "3·256·256 + 3·256 + 256·256 + 256 = 263,168"
    assert s.expected("A").value == [10, 256]
    # torchinfo counts in_proj_weight, out_proj.weight (not plain "weight") once per step: 263,168·10
    assert row.mult_adds == 2631680 and unicode(row.mult_adds_formula) == "263,168·10 = 2,631,680"


def test_multihead_attention_without_bias(tmp_path):
    row = solve(tmp_path, "  - {type: multihead_attention, heads: 8, bias: false}\n").network.rows[0]
    assert row.params == 262144  # 4·256·256


def test_heads_must_divide_the_embedding(tmp_path):
    done = run_cli("validate", write(tmp_path, "  - {name: A, type: multihead_attention, heads: 3}\n"))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "net.yaml:5:49: layer A (multihead_attention): heads 3 does not divide the embedding size 256" in done.stderr


def test_per_head_projections_mistake(tmp_path):
    s = solve(tmp_path, "  - {name: A, type: multihead_attention, heads: 4}\n")
    found = {m.code: m.value for m in s.mistakes("params(A)")}
    assert found["per-head-projections"] == 4 * 263168  # every weight and bias once per head
    assert found["forgot-bias"] == 262144


# -- transformer_encoder ----------------------------------------------------------------

def test_transformer_encoder_layer_counts_as_pytorch(tmp_path):
    s = solve(tmp_path, "  - {name: T, type: transformer_encoder, heads: 8}\n", "[10, 512]")
    row = s.network.rows[0]
    # nn.TransformerEncoderLayer(512, 8, 2048): self_attn 4·512·512 + 4·512 = 1,050,624;
    # linear1 512·2048 + 2048 = 1,050,624; linear2 2048·512 + 512 = 1,049,088;
    # norm1, norm2 2·512 each = 2048; together 3,152,384
    assert row.params == 3152384
    assert s.expected("T").value == [10, 512]
    # mult-adds: everything but the norms once per position, the norms (2048) once:
    # (3,152,384 − 2048)·10 + 2048 = 31,505,408
    assert row.mult_adds == 31505408
    assert unicode(row.mult_adds_formula) == "3,150,336·10 + 2048 = 31,505,408"


def test_stacked_transformer_layers(tmp_path):
    s = solve(tmp_path, "  - {name: T, type: transformer_encoder, heads: 4, ff: 128, layers: 3, norm_first: true}\n",
              "[6, 64]")
    # per layer: 4·64·64 + 4·64 = 16,640; 64·128 + 128 = 8320; 128·64 + 64 = 8256; norms 256; 33,472
    assert s.expected("params(T)").value == 3 * 33472
    assert s.network.rows[0].terms[0].factors == (3, 3, 64, 64)  # layers × in_proj_weight


def test_attention_layers_need_a_sequence(tmp_path):
    done = run_cli("validate", write(tmp_path, "  - {type: transformer_encoder, heads: 2}\n", "[3, 8, 8]"))
    assert done.returncode == 2
    assert "layer 1 (transformer_encoder): needs an input [L, E] (rank 2), but the input gives [3, 8, 8]" in done.stderr


# -- residual ---------------------------------------------------------------------------

def test_residual_with_projection_and_identity(tmp_path):
    s = solve(tmp_path, BLOCK, "[4, 8, 8]")
    # main: c1 8·4·3·3 = 288, bn 16, c2 8·8·3·3 = 576; shortcut: proj 8·4·1·1 = 32; block 912
    assert s.expected("params(B)").value == 288 + 16 + 576 + 32
    assert s.expected("params(proj)").value == 32
    assert s.expected("c1").value == [8, 4, 4]  # ⌊(8 + 2 − 2 − 1)/2⌋ + 1 = 4
    assert s.expected("proj").value == [8, 4, 4]  # ⌊(8 − 0 − 1)/2⌋ + 1 = 4
    assert s.expected("B").value == [8, 4, 4]
    # C: 8·8·3·3 + 8 = 584, identity shortcut adds nothing
    assert s.expected("params(C)").value == 584
    assert s.expected("params").value == 912 + 584
    rows = {row.label: row for row in s.network.walk()}
    assert [row.label for row in s.network.walk()] == ["c1", "1.2", "1.3", "c2", "proj", "B", "2", "c3", "C"]
    assert rows["proj"].block == "B" and rows["proj"].branch == "shortcut" and rows["proj"].number == "1.s1"
    assert unicode(rows["B"].steps[0].working) == "[8, 4, 4] + [8, 4, 4] = [8, 4, 4]"
    assert rows["C"].steps[0].note == "the identity"
    # the formula lists every weight once, in the order the rows are worked out
    assert unicode(s.network.formula) == "8×4×3×3 + 8 + 8 + 8×8×3×3 + 8×4×1×1 + 8×8×3×3 + 8"
    # running totals count each layer once: the block adds nothing of its own
    assert rows["B"].running_total == 912 and rows["C"].running_total == 912 + 584


def test_default_questions_include_layers_inside_blocks(tmp_path):
    problem = load_problem(write(tmp_path, BLOCK, "[4, 8, 8]"))
    assert [q.ask for q in problem.questions] == ["B", "c1", "c2", "proj", "C", "c3", "params"]


def test_branch_shapes_must_agree(tmp_path):
    body = "  - name: B\n    type: residual\n    layers:\n      - {type: conv2d, filters: 8, kernel: 3, stride: 2, padding: 1}\n"
    done = run_cli("solve", write(tmp_path, body, "[4, 8, 8]"))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "net.yaml:5:5: layer B (residual): the main branch gives [8, 4, 4] but the shortcut " \
           "(identity: the block's input) gives [4, 8, 8]" in lines[0]


def test_block_keys_are_checked(tmp_path):
    body = ("  - {type: residual, layers: []}\n"
            "  - {type: residual, layers: [{name: x, type: relu}], shortcut: 3}\n"
            "  - {name: x, type: relu}\n"
            "  - {type: residual, layers: [{type: dense}]}\n")
    done = run_cli("validate", write(tmp_path, body))
    assert done.returncode == 2
    assert "net.yaml:5:30: layer 1 (residual): layers is a non-empty list of layers" in done.stderr
    assert "layer 2 (residual): shortcut is a list of layers (or [] for the identity)" in done.stderr
    assert "net.yaml:7:12: layer 3: the name 'x' is used twice (first at line 6)" in done.stderr
    assert "layer 4.1 (dense): missing 'units'" in done.stderr


def test_blocks_nest_only_so_deep(tmp_path):
    body = "  - " + "{type: residual, layers: [" * 20 + "{type: relu}" + "]}" * 20 + "\n"
    done = run_cli("validate", write(tmp_path, body))
    assert done.returncode == 2 and "nested more than 16 deep" in done.stderr


def test_json_nests_the_branches(tmp_path):
    data = solve(tmp_path, BLOCK, "[4, 8, 8]").to_json()
    block = data["layers"][0]
    assert (block["name"], block["type"], block["params"]) == ("B", "residual", 912)
    assert [row["name"] for row in block["main"]] == ["c1", None, None, "c2"]
    assert [row["name"] for row in block["shortcut"]] == ["proj"]
    assert data["layers"][2]["shortcut"] == []  # the identity
    assert sum(layer["params"] for layer in data["layers"]) == data["trainable_params"] == 1496
    json.dumps(data)


def test_carried_forward_inside_a_block(tmp_path):
    s = solve(tmp_path, BLOCK, "[4, 8, 8]")
    # a student who gave c1 as [8, 8, 8] (stride forgotten) and carried it: c2 keeps 8×8
    found = {m.code: m.value for m in s.mistakes("c2", {"c1": [8, 8, 8]})}
    assert found["carried-forward"] == [8, 8, 8]


# -- the derivation in every output -----------------------------------------------------

def test_every_output_shows_the_branches_and_the_addition(tmp_path):
    s = solve(tmp_path, BLOCK, "[4, 8, 8]")
    console = Console(record=True, width=240, color_system=None)
    console.print(render_architecture_terminal(s))
    text = console.export_text()
    assert "shortcut of B" in text and "main of B" in text
    assert "main + shortcut: [8, 4, 4] + [8, 4, 4] = [8, 4, 4]" in text
    assert "288 + 16 + 576 + 32 = 912" in text  # the block's count: its layers'
    md = render_architecture_markdown(s)
    assert r"| 1.s1 | proj | conv2d<br>*shortcut of B* |" in md
    assert r"main + shortcut: $[8, 4, 4] + [8, 4, 4] = [8, 4, 4]$" in md
    tex = render_latex(s)
    assert r"\paragraph{Layer 1.s1: proj (conv2d), shortcut branch of B}" in tex
    dot = render_dot(s)
    # the block's input forks into both branches, which meet at the block's node (l1)
    assert "l0 -> l2 [label=<main>];" in dot and "l0 -> l6 [label=<shortcut>];" in dot
    assert "l5 -> l1;" in dot and "l6 -> l1;" in dot
    assert "l7 -> l9 [label=<main>];" in dot and "l7 -> l8 [label=<shortcut: identity>, style=dashed];" in dot


# -- the shipped problems ---------------------------------------------------------------

def test_resnet18_has_torchvisions_parameter_count():
    s = solve_architecture(load_problem(PROBLEMS / "resnet18.yaml"))
    assert s.expected("params").value == 11689512  # torchvision.models.resnet18()
    assert s.expected("conv1").value == [64, 112, 112]  # ⌊(224 + 2·3 − 1·(7 − 1) − 1)/2⌋ + 1
    assert s.expected("maxpool").value == [64, 56, 56]  # ⌊(112 + 2·1 − 1·(3 − 1) − 1)/2⌋ + 1
    assert s.expected("layer2.0").value == [128, 28, 28]
    assert s.expected("layer4.1").value == [512, 7, 7]
    assert s.expected("avgpool").value == [512]
    assert s.expected("params(conv1)").value == 9408  # 64·3·7·7, no bias
    assert s.expected("params(layer2.0.downsample.0)").value == 8192  # 128·64·1·1
    # 128·64·3·3 + 256 + 128·128·3·3 + 256 + 8192 + 256 = 230,144
    assert s.expected("params(layer2.0)").value == 230144
    assert s.expected("params(fc)").value == 513000  # 512·1000 + 1000


def test_resnet18_matches_torchinfos_published_table(tmp_path):
    # torchinfo tests/test_output/resnet18_depth_consistency.out: resnet18 on a 64×64 image;
    # per BasicBlock 73,984 73,984 230,144 295,424 919,040 1,180,672 3,673,088 4,720,640,
    # "Total mult-adds (M): 148.57"
    text = (PROBLEMS / "resnet18.yaml").read_text(encoding="utf-8").replace("[3, 224, 224]", "[3, 64, 64]")
    path = tmp_path / "resnet18_64.yaml"
    path.write_text(text, encoding="utf-8")
    net = solve_architecture(load_problem(path)).network
    blocks = [row.params for row in net.rows if row.type == "residual"]
    assert blocks == [73984, 73984, 230144, 295424, 919040, 1180672, 3673088, 4720640]
    assert net.row("conv1").output_shape == (64, 32, 32)
    assert f"{net.mult_adds / 1e6:.2f}" == "148.57"


def test_transformer_problem():
    s = solve_architecture(load_problem(PROBLEMS / "transformer_layer.yaml"))
    assert s.expected("embed").value == [16, 64]
    assert s.expected("flat").value == [1024]  # 16·64
    assert s.expected("params(embed)").value == 64000  # 1000·64
    # 4·64·64 + 4·64 = 16,640; 64·256 + 256 = 16,640; 256·64 + 64 = 16,448; norms 4·64 = 256
    assert s.expected("params(encoder)").value == 49984
    assert s.expected("params(attn)").value == 16640
    assert s.expected("params(block)").value == 128 + 16640  # layer norm γ, β + attention
    assert s.expected("params(head)").value == 5125  # 1024·5 + 5
    assert s.expected("params").value == 64000 + 49984 + 16768 + 5125


@pytest.mark.parametrize("name", ["resnet18", "transformer_layer"])
def test_shipped_block_problems_solve_in_every_format(name):
    for fmt in ("json", "markdown", "latex", "dot"):
        done = run_cli("solve", PROBLEMS / f"{name}.yaml", "--format", fmt)
        assert done.returncode == 0 and done.stdout, (fmt, done.stderr)


def test_the_schema_checks_layers_inside_blocks():
    jsonschema = pytest.importorskip("jsonschema")
    from hwcheck.schema import problem_schema

    validator = jsonschema.Draft202012Validator(problem_schema())
    good = {"id": "a", "kind": "architecture", "input": [4, 8, 8],
            "layers": [{"type": "residual", "layers": [{"type": "conv2d", "filters": 4, "kernel": 3, "padding": 1}]}]}
    assert list(validator.iter_errors(good)) == []
    bad = {"id": "a", "kind": "architecture", "input": [4, 8, 8],
           "layers": [{"type": "residual", "layers": [{"type": "dense"}]}]}  # units missing inside the branch
    assert list(validator.iter_errors(bad))


@pytest.mark.parametrize("body, shape, params", [
    ("  - {name: B, type: residual, layers: [{type: conv2d, filters: 4, kernel: 3, padding: 1}]}\n", "[8, 8, 4]",
     3 * 3 * 4 * 4 + 4),  # Keras: Conv2D kernel [3, 3, 4, 4] + 4, added to its input by Add()
    ("  - {name: B, type: multihead_attention, heads: 4}\n", "[10, 256]", 263168),  # MultiHeadAttention(4, key_dim=64)
    ("  - {name: B, type: transformer_encoder, heads: 8}\n", "[10, 512]", 3152384),  # KerasHub TransformerEncoder
])
def test_blocks_under_keras(tmp_path, body, shape, params):
    path = tmp_path / "net.yaml"
    path.write_text(f"id: t\nkind: architecture\nconvention: keras\ninput: {shape}\nlayers:\n{body}", encoding="utf-8")
    s = solve_architecture(load_problem(path))
    assert s.expected("params(B)").value == params
    assert s.expected("B").value == [int(n) for n in shape.strip("[]").split(",")]


def test_mistakes_are_blamed_on_the_layers_inside_a_block(tmp_path):
    s = solve(tmp_path, BLOCK, "[4, 8, 8]")
    found = {m.code: m for m in s.mistakes("params(B)")}
    # filters·k·k without C_in: c1 8·3·3 = 72, c2 8·3·3 = 72, proj 8·1·1 = 8, bn 16: 168
    assert found["forgot-input-channels"].value == 168
    assert found["forgot-input-channels"].description.endswith("(layers c1, c2, proj)")
    # the stride forgotten in c1 and proj changes the shapes, not B's count; in the next block's input it does not
    # matter either (C keeps its input's size), so only B's shape is wrong
    shape = {m.code: m for m in s.mistakes("B")}
    assert shape["forgot-stride"].value == [8, 8, 8]
    assert shape["forgot-stride"].description.endswith("(layers c1, proj)")


def test_a_mistake_in_one_branch_still_gives_an_answer(tmp_path):
    body = ("  - name: B\n    type: residual\n"
            "    layers: [{type: conv2d, filters: 8, kernel: 3, stride: 2, padding: 1}]\n"
            "    shortcut: [{type: conv2d, filters: 8, kernel: 1, stride: 2}]\n")
    s = solve(tmp_path, body, "[4, 8, 8]")
    assert s.expected("B").value == [8, 4, 4]
    # without its padding the main branch gives ⌊(8 − 1·(3 − 1) − 1)/2⌋ + 1 = 3 while the shortcut
    # (no padding to forget) gives 4: a student who forgot the padding answers the main branch's [8, 3, 3]
    found = {m.code: m.value for m in s.mistakes("B")}
    assert found["forgot-padding"] == [8, 3, 3]
    # the correct network itself still refuses branches that disagree (test_branch_shapes_must_agree)
