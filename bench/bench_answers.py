"""Benchmark: every answer parser is linear in the length of what the student wrote.

For each kind of hostile answer (a run of spaces in a shape, a count or a number; a long
numpy-printed vector; deep or unbalanced brackets; a long decimal comma), times reading
an answer of n characters and of 8n characters in the same run, and prints the ratio:
about 8 is linear, about 64 quadratic. (A shape of 60,000 spaces once took 18 s: the
separator pattern began with \\s*.)

    .venv/bin/python bench/bench_answers.py [--n 50000]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from hwcheck.grade.answers import Target, Unreadable, read_answer

SHAPE = Target.of([16, 32, 32], exact=True)
COUNT = Target.of(557057, exact=True)
REAL = Target.of(0.4, exact=False)
VECTOR = Target.of(np.zeros(3), exact=False)

CASES = {
    "shape, spaces between two numbers": (SHAPE, lambda n: "1" + " " * n + "2"),
    "shape, spaces and separators": (SHAPE, lambda n: "(" + " ," * (n // 2) + ")"),
    "count, spaces": (COUNT, lambda n: "5" + " " * n + "7"),
    "number, spaces around a fraction bar": (REAL, lambda n: "1" + " " * n + "/" + " " * n + "x"),
    "decimal comma, many digits": (REAL, lambda n: "0," + "1" * n),
    "numpy-printed vector": (VECTOR, lambda n: "[" + " 0.5" * (n // 4) + "]"),
    "unbalanced brackets": (VECTOR, lambda n: "[" * n),
    "list of spaces": (VECTOR, lambda n: "[" + " " * n + "]"),
}


def seconds(target: Target, text: str, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        try:
            read_answer(text, target)
        except Unreadable:
            pass
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=50_000, help="the shorter length (the longer is 8n)")
    args = parser.parse_args()
    print(f"{'answer':40} {'n':>10} {'8n':>10}  ratio (≈8 linear, ≈64 quadratic)")
    for name, (target, make) in CASES.items():
        short, long = seconds(target, make(args.n)), seconds(target, make(8 * args.n))
        print(f"{name:40} {short * 1e3:8.2f}ms {long * 1e3:8.2f}ms  {long / max(short, 1e-9):5.1f}×")


if __name__ == "__main__":
    main()
