"""Benchmark: judging a formula answer costs time linear in the formula's size.

Grades formula answers to T4 (dL/dx3 of softmax + cross-entropy) at the problem's values
and every redraw, for a formula of n terms and of 8n terms in the same run, and prints the
ratio: about 8 is linear, about 64 quadratic. Texts over the 2,000-character limit and
nesting beyond 100 levels are refused after one linear pass over the text, before any
evaluation.

    .venv/bin/python bench/bench_formula.py [--n 10]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from hwcheck import load_problem, solve
from hwcheck.grade import Grader

T4 = """\
id: bench-formula
kind: graph
inputs: {x: 1.0, y: [0, 1, 0]}
params: {w1: [0.5, -0.4], b1: [0.1, 0.3], w2: [[0.2, -0.5], [0.7, 0.1], [-0.3, 0.4]], b2: [0.0, 0.1, -0.2]}
steps:
  x1: w1 * x + b1
  x2: relu(x1)
  x3: w2 @ x2 + b2
  x4: softmax(x3)
  L: cross_entropy(x4, y)
questions:
  - {id: rule, ask: dL/dx3, answer: formula}
"""


def terms(n: int) -> str:
    return " + ".join(f"(x4 - y) / {n}" for _ in range(n))  # right, whatever n


def wrong_terms(n: int) -> str:
    return " + ".join(f"(y - x4) * {k}" for k in range(n))  # wrong: candidates are tried too


CASES = {
    "right, n terms": terms,
    "wrong, n terms": wrong_terms,
    "over the length limit (refused)": lambda n: "x4" + " + x4" * (400 * n),
    "deep parentheses (refused)": lambda n: "(" * (200 * n) + "x4" + ")" * (200 * n),
}


def seconds(grader: Grader, text: str, repeat: int = 3) -> float:
    item = grader.items[0]
    best = float("inf")
    for _ in range(repeat):
        item.formula._verdicts.clear()  # judge afresh each time
        start = time.perf_counter()
        grader.judge(grader.read(item, text), {})
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10, help="the smaller size (the larger is 8n)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "t4.yaml"
        path.write_text(T4, encoding="utf-8")
        grader = Grader(solve(load_problem(path)))
    print(f"{'formula':34} {'n':>10} {'8n':>10}  ratio (≈8 linear, ≈64 quadratic)")
    for name, make in CASES.items():
        short, long = seconds(grader, make(args.n)), seconds(grader, make(8 * args.n))
        print(f"{name:34} {short * 1e3:8.2f}ms {long * 1e3:8.2f}ms  {long / max(short, 1e-9):5.1f}×")


if __name__ == "__main__":
    main()
