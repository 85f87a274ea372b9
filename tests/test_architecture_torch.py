"""Optional cross-check against real PyTorch modules (skipped when torch is not installed).

hwcheck never depends on PyTorch; here each problem is rebuilt as torch.nn modules, a
batch of one is run through it, and every layer's output shape, parameter count,
buffer count and torchinfo-style mult-adds must agree with the calculator.
"""

from __future__ import annotations

from math import prod
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
nn = torch.nn

from hwcheck.problem import load_problem  # noqa: E402
from hwcheck.architecture import solve_architecture  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


class LastStep(nn.Module):
    def forward(self, x):
        return x[:, -1, :]


class Recurrent(nn.Module):
    def __init__(self, cell: nn.Module, keep_all: bool):
        super().__init__()
        self.cell, self.keep_all = cell, keep_all

    def forward(self, x):
        out = self.cell(x)[0]
        return out if self.keep_all else out[:, -1, :]


def _padding(value):
    return value if value == "same" else tuple(value)


def module_for(layer, shape):
    """The torch.nn module PyTorch users would write for one hwcheck layer."""
    o, t = layer.options, layer.type
    if t == "dense":
        return nn.Linear(shape[-1], o["units"], bias=o["bias"])
    if t in ("conv1d", "conv2d"):
        cls = nn.Conv1d if t == "conv1d" else nn.Conv2d
        return cls(shape[0], o["filters"], tuple(o["kernel"]), stride=tuple(o["stride"]), padding=_padding(o["padding"]),
                   dilation=tuple(o["dilation"]), groups=o["groups"], bias=o["bias"])
    if t == "conv_transpose2d":
        return nn.ConvTranspose2d(shape[0], o["filters"], tuple(o["kernel"]), stride=tuple(o["stride"]),
                                  padding=tuple(o["padding"]), output_padding=tuple(o["output_padding"]),
                                  groups=o["groups"], bias=o["bias"], dilation=tuple(o["dilation"]))
    if t.startswith(("maxpool", "avgpool")):
        stride = tuple(o["stride"]) if o["stride"] is not None else None
        if t == "maxpool1d":
            return nn.MaxPool1d(o["kernel"][0], stride and stride[0], o["padding"][0], o["dilation"][0], ceil_mode=o["ceil_mode"])
        if t == "maxpool2d":
            return nn.MaxPool2d(tuple(o["kernel"]), stride, tuple(o["padding"]), tuple(o["dilation"]), ceil_mode=o["ceil_mode"])
        if t == "avgpool1d":
            return nn.AvgPool1d(o["kernel"][0], stride and stride[0], o["padding"][0], ceil_mode=o["ceil_mode"])
        return nn.AvgPool2d(tuple(o["kernel"]), stride, tuple(o["padding"]), ceil_mode=o["ceil_mode"])
    if t in ("global_avgpool", "global_maxpool"):
        reduce = torch.amax if t == "global_maxpool" else torch.mean

        class Global(nn.Module):
            def forward(self, x):
                return reduce(x, dim=tuple(range(2, x.dim())))
        return Global()
    if t == "flatten":
        return nn.Flatten()
    if t == "batchnorm":
        return nn.BatchNorm2d(shape[0]) if len(shape) == 3 else nn.BatchNorm1d(shape[0])
    if t == "layernorm":
        return nn.LayerNorm(shape[-1])
    if t == "dropout":
        return nn.Dropout(o["rate"])
    if t == "embedding":
        return nn.Embedding(o["num"], o["dim"])
    if t in ("rnn", "lstm", "gru"):
        cls = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[t]
        cell = cls(shape[1], o["hidden"], num_layers=o["layers"], bias=o["bias"], batch_first=True,
                   bidirectional=o["bidirectional"])
        return Recurrent(cell, o["return_sequences"])
    return {"relu": nn.ReLU, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "softmax": lambda: nn.Softmax(dim=-1),
            "leaky_relu": nn.LeakyReLU, "gelu": nn.GELU}[t]()


def torchinfo_mult_adds(module, output_shape) -> int:
    """torchinfo's rule (LayerInfo.calculate_macs) for a batch of one."""
    target = module.cell if isinstance(module, Recurrent) else module
    name = type(target).__name__
    out = [1, *output_shape]
    total = 0
    for pname, param in target.named_parameters():
        if pname in ("weight", "bias") and name in ("Linear", "Embedding"):
            # after torchinfo's pull request #318: once per position, prod(output_size[:-1]);
            # the embedding likewise (its README's LSTM example, 378.46M, needs it)
            total += param.numel() * prod(out[:-1])
        elif pname in ("weight", "bias"):
            total += param.numel() * (prod(out[:1] + out[2:]) if "Conv" in name else out[0])
        else:  # weight_ih_l0 ...: once per time step
            total += param.numel() * prod(out[:2])
    return total


def check(problem):
    solution = solve_architecture(problem)
    shape = tuple(problem.input)
    if problem.layers[0].type == "embedding":
        x = torch.randint(0, problem.layers[0].options["num"], (1, *shape))
    else:
        x = torch.randn(1, *shape)
    with torch.no_grad():
        for layer, row in zip(problem.layers, solution.network.rows):
            module = module_for(layer, shape).eval()
            y = module(x)
            assert tuple(y.shape[1:]) == row.output_shape, f"{layer.title}: torch {tuple(y.shape[1:])}"
            assert sum(p.numel() for p in module.parameters()) == row.params, layer.title
            assert sum(b.numel() for n, b in module.named_buffers() if "running" in n) == row.buffers, layer.title
            torch_out = tuple(y.shape[1:]) if not isinstance(module, Recurrent) else (row.input_shape[0], 1)
            if not isinstance(module, Recurrent):
                assert torchinfo_mult_adds(module, torch_out) == row.mult_adds, layer.title
            else:  # the LSTM module itself returns every step; taking the last one is no module of its own
                assert torchinfo_mult_adds(module, (row.input_shape[0], 1)) == row.mult_adds, layer.title
            x, shape = y, row.output_shape


@pytest.mark.parametrize("name", ["mlp_params", "conv_shapes", "vgg_block", "lstm_classifier"])
def test_shipped_problems_agree_with_torch(name):
    check(load_problem(ROOT / "problems" / f"{name}.yaml"))


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
    path = tmp_path / f"{case}.yaml"
    path.write_text(f"id: {case}\nkind: architecture\ninput: {shape}\nlayers:{layers}", encoding="utf-8")
    check(load_problem(path))
