"""Mult-adds against torchinfo's published outputs (torchinfo after its pull request #318).

torchinfo counts, per module (``LayerInfo.calculate_macs``), every weight and bias once per
output position: a convolution per spatial output position, a recurrent layer per time
step, and since #318 an ``nn.Linear`` per position along every axis but the last
(``prod(output_size[:-1])``). hwcheck has no batch axis: its counts are torchinfo's for a
batch of one, so a published figure for batch B is B times hwcheck's.
"""

from __future__ import annotations

from hwcheck.architecture import solve_architecture
from hwcheck.problem import load_problem
from hwcheck.render.typeset import unicode


def solve(tmp_path, text: str):
    path = tmp_path / "net.yaml"
    path.write_text(text, encoding="utf-8")
    return solve_architecture(load_problem(path))


def test_linear_out(tmp_path):
    # torchinfo tests/test_output/linear.out: nn.Linear(8, 64) on [32, 16, 8] (batch 32)
    # prints 576 parameters and 294,912 mult-adds.
    # Parameters: 8·64 + 64 = 576. Per sample (no batch axis here): 576 once per each of
    # the 16 positions = 9,216; times the batch of 32: 9,216·32 = 294,912, the published figure.
    # (Counting the weights only, 16·8·64 = 8,192, would give 262,144: torchinfo counts the bias too.)
    net = solve(tmp_path, "id: linear\nkind: architecture\ninput: [16, 8]\nlayers: [{type: dense, units: 64}]\n").network
    row = net.rows[0]
    assert row.params == 576
    assert row.mult_adds == 9216
    assert unicode(row.mult_adds_formula) == "576·16 = 9216"
    assert row.mult_adds * 32 == 294912


def test_readme_lstm_example(tmp_path):
    # torchinfo's README "LSTMNet": nn.Embedding(20, 300), nn.LSTM(300, 512, num_layers=2,
    # batch_first=True), nn.Linear(512, 20), summary(LSTMNet(), (1, 100), dtypes=[torch.long]):
    # batch 1, 100 token indices.
    #   embedding: 20·300 = 6,000 parameters, once per index: 6,000·100 = 600,000
    #   lstm, layer 1: 4·512·300 + 4·512·512 + 4·512 + 4·512 = 614,400 + 1,048,576 + 4,096 = 1,667,072
    #         layer 2: 4·512·512 + 4·512·512 + 4·512 + 4·512 = 2,101,248; together 3,768,320,
    #         once per time step: 3,768,320·100 = 376,832,000
    #   linear: 512·20 + 20 = 10,260, once per position: 10,260·100 = 1,026,000
    #   total: 600,000 + 376,832,000 + 1,026,000 = 378,458,000, printed "Total mult-adds (M): 378.46"
    net = solve(tmp_path, "id: lstm\nkind: architecture\ninput: [100]\nlayers:\n"
                          "  - {type: embedding, num: 20, dim: 300}\n"
                          "  - {type: lstm, hidden: 512, layers: 2}\n"
                          "  - {type: dense, units: 20}\n").network
    assert [row.params for row in net.rows] == [6000, 3768320, 10260]
    assert net.total == 3784580  # "Total params: 3,784,580"
    assert [row.mult_adds for row in net.rows] == [600000, 376832000, 1026000]
    assert net.mult_adds == 378458000
    assert f"{net.mult_adds / 1e6:.2f}" == "378.46"
