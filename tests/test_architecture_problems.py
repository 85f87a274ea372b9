"""Every architecture problem shipped in problems/ loads, solves, and gives the numbers
worked out by hand below."""

from __future__ import annotations

from pathlib import Path

import pytest

from hwcheck.architecture import solve_architecture
from hwcheck.problem import load_problem

PROBLEMS = Path(__file__).resolve().parent.parent / "problems"

EXPECTED = {
    "mlp_params.yaml": {
        "T2.A": [1024], "T2.B": [512], "T2.C": [1],
        "T3": 557057,  # 30×1024 + 1024 + 1024×512 + 512 + 512×1 + 1
    },
    "conv_shapes.yaml": {
        "T2.A": [16, 32, 32],  # ⌊(32 + 2·2 − 1·(5 − 1) − 1)/1⌋ + 1 = 32
        "T2.B": [16, 16, 16],  # ⌊(32 − 1 − 1)/2⌋ + 1 = 16
        "T2.C": [10],
        # A 16·3·5·5 + 16 = 1216; B2 ⌊(16 + 2 − 2 − 1)/2⌋ + 1 = 8: 32·16·3·3 + 32 = 4640;
        # C 32·8·8 = 2048 inputs: 2048·10 + 10 = 20,490.  1216 + 4640 + 20,490 = 26,346
        "T3": 26346,
    },
    "vgg_block.yaml": {
        "V1.a": [64, 32, 32],  # ⌊(32 + 2 − 2 − 1)/1⌋ + 1 = 32
        "V1.b": [64, 16, 16],
        "V1.c": [10],
        "V2.a": 36928,  # 64·64·3·3 + 64 = 36,864 + 64
        "V2.b": 128,  # γ, β: 64 + 64 (running mean and variance are buffers)
        # 1792 (64·3·3·3 + 64) + 128 + 36,928 + 128 + 163,850 (64·16·16·10 + 10) = 202,826
        "V3": 202826,
    },
    "lstm_classifier.yaml": {
        "L1.a": [200, 128], "L1.b": [64], "L1.c": [2],
        "L2.a": 2560000,  # 20,000·128
        "L2.b": 49664,  # 4·64·128 + 4·64·64 + 4·64 + 4·64 = 32,768 + 16,384 + 256 + 256
        "L3": 2609794,  # 2,560,000 + 49,664 + (64·2 + 2 = 130)
    },
    "resnet18.yaml": {  # more working in test_architecture_blocks.py
        "Q1": [64, 112, 112],  # ⌊(224 + 2·3 − 1·(7 − 1) − 1)/2⌋ + 1 = 112
        "Q2": [64, 56, 56],  # ⌊(112 + 2·1 − 1·(3 − 1) − 1)/2⌋ + 1 = 56
        "Q3": [128, 28, 28],  # ⌊(56 + 2·1 − 1·(3 − 1) − 1)/2⌋ + 1 = 28
        "Q4": [128, 28, 28], "Q5": [512, 7, 7], "Q6": [512],
        "Q7": 9408,  # 64·3·7·7
        "Q8": 73984,  # 2·(64·64·3·3) + 2·(64 + 64)
        "Q9": 8192,  # 128·64·1·1
        "Q10": 230144,  # 73,728 + 256 + 147,456 + 256 + 8192 + 256
        "Q11": 513000,  # 512·1000 + 1000
        "Q12": 11689512,  # torchvision.models.resnet18()
    },
    "transformer_layer.yaml": {
        "A1": [16, 64], "A2": [16, 64], "A3": [16, 64], "A4": [1024],
        "B1": 64000,  # 1000·64
        "B2": 49984,  # (4·64·64 + 4·64) + (64·256 + 256) + (256·64 + 64) + 4·64
        "B3": 16640,  # 4·64·64 + 4·64
        "B4": 16768,  # layernorm 64 + 64, attention 16,640
        "B5": 5125,  # 1024·5 + 5
        "B6": 135877,  # 64,000 + 49,984 + 16,768 + 5125
    },
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_shipped_problem(name):
    problem = load_problem(PROBLEMS / name)
    solution = solve_architecture(problem)
    answers = {q.id: solution.expected(q.ask).value for q in problem.questions}
    assert answers == EXPECTED[name]
    assert all(q.points > 0 for q in problem.questions)


def test_every_architecture_problem_is_covered():
    shipped = {p.name for p in PROBLEMS.glob("*.yaml") if load_problem(p).kind == "architecture"}
    assert shipped == set(EXPECTED)
