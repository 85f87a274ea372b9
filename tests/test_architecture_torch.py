"""Optional cross-check against real PyTorch modules (skipped when torch is not installed).

hwcheck never depends on PyTorch; here each problem is rebuilt as torch.nn modules, a
batch of one is run through it, and every layer's output shape, parameter count,
buffer count and torchinfo-style mult-adds must agree with the calculator.
"""

from __future__ import annotations

import pytest

from support import PROBLEMS

torch = pytest.importorskip("torch")

from hwcheck.problem import load_problem  # noqa: E402
from hwcheck.architecture import solve_architecture  # noqa: E402
from hwcheck.architecture.layers import LAYER_TYPES  # noqa: E402
from torch_layers import EXAMPLES, module_for, torchinfo_mult_adds  # noqa: E402

CONTAINERS = ("residual", "transformer_encoder")  # torchinfo counts their parts; worked by hand in test_architecture_blocks


def write_problem(tmp_path, shape: str, layers: str):
    path = tmp_path / "net.yaml"
    path.write_text(f"id: t\nkind: architecture\ninput: {shape}\nlayers:{layers}", encoding="utf-8")
    return load_problem(path)


def check(problem):
    """Each top-level layer as a torch module on a batch of one: shape, parameters, buffers, mult-adds."""
    solution = solve_architecture(problem)
    shape = tuple(problem.input)
    if problem.layers[0].type == "embedding":
        x = torch.randint(0, problem.layers[0].options["num"], (1, *shape))
    else:
        x = torch.randn(1, *shape)
    with torch.no_grad():
        for layer, row in zip(problem.layers, solution.network.rows):
            module = module_for(torch, layer, shape).eval()
            y = module(x)
            assert tuple(y.shape[1:]) == row.output_shape, f"{layer.title}: torch {tuple(y.shape[1:])}"
            assert sum(p.numel() for p in module.parameters()) == row.params, layer.title
            assert sum(b.numel() for n, b in module.named_buffers() if "running" in n) == row.buffers, layer.title
            if layer.type not in CONTAINERS:
                # the recurrent module itself returns every step; taking the last one is no module of its own
                torch_out = (row.input_shape[0], 1) if hasattr(module, "cell") else tuple(y.shape[1:])
                assert torchinfo_mult_adds(module, torch_out) == row.mult_adds, layer.title
            x, shape = y, row.output_shape


@pytest.mark.parametrize("name", ["mlp_params", "conv_shapes", "vgg_block", "lstm_classifier", "resnet18",
                                  "transformer_layer"])
def test_shipped_problems_agree_with_torch(name):
    check(load_problem(PROBLEMS / f"{name}.yaml"))


CASES = {
    "conv_options": ("[2, 17, 12]", """
  - {type: conv2d, filters: 4, kernel: [3, 5], stride: [2, 1], padding: [1, 2], dilation: [1, 2]}
  - {type: conv2d, filters: 4, kernel: 3, groups: 4, bias: false}
  - {type: conv2d, filters: 6, kernel: 4, padding: same}
  - {type: conv2d, filters: 6, kernel: 2, dilation: 3, padding: same}
  - {type: conv2d, filters: 3, kernel: 3, padding: valid, groups: 3}
  - {type: conv_transpose2d, filters: 4, kernel: 3, stride: 2, padding: 1, output_padding: 1}
  - {type: conv_transpose2d, filters: 2, kernel: [2, 3], stride: [3, 1], dilation: [1, 2], groups: 2, output_padding: [2, 1]}
"""),
    "pools": ("[3, 23, 31]", """
  - {type: maxpool2d, kernel: 2, stride: 2, padding: 1, ceil_mode: true}
  - {type: maxpool2d, kernel: 3, stride: 2, padding: 1, ceil_mode: true, dilation: 1}
  - {type: avgpool2d, kernel: [2, 3], ceil_mode: true}
  - {type: maxpool2d, kernel: 2, stride: 1, dilation: 2}
  - {type: global_avgpool}
"""),
    "pools_ceil_border": ("[1, 5, 5]", """
  - {type: maxpool2d, kernel: 2, stride: 2, padding: 1, ceil_mode: true}
  - {type: avgpool2d, kernel: 2, stride: 2, padding: 1, ceil_mode: true}
"""),
    "one_d": ("[4, 101]", """
  - {type: conv1d, filters: 8, kernel: 5, stride: 2, padding: 3}
  - {type: maxpool1d, kernel: 3, dilation: 2, ceil_mode: true}
  - {type: avgpool1d, kernel: 2, stride: 3, padding: 1, ceil_mode: true}
  - {type: conv1d, filters: 8, kernel: 4, padding: same, groups: 8}
  - {type: batchnorm}
  - {type: global_maxpool}
  - {type: batchnorm}
  - {type: layernorm}
  - {type: dense, units: 3, bias: false}
"""),
    "recurrent": ("[7, 10]", """
  - {type: lstm, hidden: 20, layers: 2, bidirectional: true}
  - {type: layernorm}
  - {type: gru, hidden: 6, bias: false}
  - {type: rnn, hidden: 5, layers: 3, bidirectional: true, return_sequences: false}
  - {type: dense, units: 4}
  - {type: gelu}
"""),
    "sequence_dense": ("[12, 8]", """
  - {type: dense, units: 5}
  - {type: leaky_relu}
  - {type: gru, hidden: 4, return_sequences: false}
  - {type: softmax}
"""),
}


@pytest.mark.filterwarnings("ignore:Using padding=.same.")
@pytest.mark.parametrize("case", sorted(CASES))
def test_layer_options_agree_with_torch(case, tmp_path):
    shape, layers = CASES[case]
    check(write_problem(tmp_path, shape, layers))


@pytest.mark.filterwarnings("ignore:Using padding=.same.")
@pytest.mark.parametrize("kind", sorted(LAYER_TYPES))
def test_every_layer_type_agrees_with_torch(kind, tmp_path):
    """Parametrized over the registry: a new layer type without a torch module or an example fails."""
    shape, layer = EXAMPLES[kind]
    check(write_problem(tmp_path, shape, f"\n  - {layer}\n"))


@pytest.mark.parametrize("layer, shape, params", [
    ("{type: multihead_attention, heads: 4}", "[3, 256]", 263168),  # contract §7b: E = 256, 4 heads
    ("{type: transformer_encoder, heads: 8}", "[3, 512]", 3152384),  # contract §7b: E = 512, 8 heads, ff 2048
])
def test_contract_block_counts_agree_with_torch(layer, shape, params, tmp_path):
    net = write_problem(tmp_path, shape, f"\n  - {layer}\n")
    assert solve_architecture(net).expected("params").value == params
    check(net)
