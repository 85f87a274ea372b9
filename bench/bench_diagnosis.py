"""Benchmark: what naming the mistakes costs, per sheet and per question.

For every graph problem shipped in problems/ and for generated residual chains of about
200 and 1,000 nodes, builds answer sheets in memory where every question is answered
wrong — by a sign error, a mistake a student makes (the first the solver offers) or a
number matching nothing, with the earlier answers wrong too so that an error carried
forward is looked for — and grades them, in the same process:

1. without diagnosis (the grader's mistake lookup answers nothing): reading and judging;
2. with diagnosis, from a freshly solved problem: every question's candidate mistakes are
   worked out once (cold), then each sheet's carried-forward check and matching.

Prints, per problem, the diagnosis cost per sheet and per question as a ratio against
grading the same sheets without diagnosis (2 − 1 over 1), and the one-time cost of the
candidates per question (cold) against grading one sheet without diagnosis.

    .venv/bin/python bench/bench_diagnosis.py [--sheets N] [--repeat N]

Figures on the shared 2-core machine (3 Dec 2026, load 8-10; --sheets 100 --repeat 2),
before (a backward pass re-run per step, tried on at most 200 steps) → after (one
forward-mode pass per question, every step tried): diagnosis / grading per sheet
residual-block 8.8× → 3.4×, residual-relu 13.6× → 5.7×, sigmoid-neuron 2.7× → 2.1×,
tanh-mlp 2.8× → 1.6×, softmax-ce 5.0× → 8.8× (carried forward now names only the answers
that matter: one more pass per answer used), chain of 200 nodes 73× → 13×, of 998 nodes
1,109× → 34×; cold candidates per question for dz/dw1 of the chain, all steps tried: 200
nodes 665 → 38 ms, 500 nodes 3.6 s → 0.14 s, 998 nodes 12.8 s → 0.29 s.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

import numpy as np

import hwcheck
from hwcheck.grade.grader import Grader
from hwcheck.grade.sheets import Entry, Sheet

PROBLEMS = Path(__file__).resolve().parents[1] / "problems"


def chain(blocks: int) -> str:
    """A residual chain: r_k = r_{k-1} + relu(w_k · r_{k-1} + b_k), z = r_B; about 6 nodes a
    block (two parameters, a product, a sum, a ReLU, the skip addition). Ten questions:
    z and the gradient of every tenth weight and bias, spread along the chain."""
    rng = random.Random(blocks)
    params = "\n".join(f"  w{k}: {rng.uniform(-0.6, 0.6):.3f}\n  b{k}: {rng.uniform(-0.2, 0.3):.3f}" for k in range(1, blocks + 1))
    steps = "\n".join(f"  h{k}: relu(w{k} * r{k - 1} + b{k})\n  r{k}: r{k - 1} + h{k}" for k in range(1, blocks + 1))
    picks = sorted({max(1, blocks * j // 5) for j in range(5)})
    asks = ["z"] + [f"dz/d{p}{k}" for k in picks for p in "wb"]
    questions = "\n".join(f"  - {{id: q{n}, ask: {a}}}" for n, a in enumerate(asks))
    return f"id: chain{blocks}\nkind: graph\ninputs:\n  r0: 0.5\nparams:\n{params}\nsteps:\n{steps}\n  z: r{blocks} * 1\noutput: z\nquestions:\n{questions}\n"


def wrong_sheets(solution, count: int, seed: int = 0) -> list[Sheet]:
    """Every question answered wrong, in one of three ways, varying from sheet to sheet."""
    rng = random.Random(seed)
    choices = {}
    for q in solution.problem.questions:
        right = np.asarray(solution.expected(q.ask).value, dtype=float)
        try:
            offered = [np.asarray(m.value, dtype=float) for m in solution.mistakes(q.ask, {})]
        except (KeyError, NotImplementedError):
            offered = []
        options = [-right, right * 1.37 + 0.11] + [v for v in offered[1:2] if v.shape == right.shape]
        choices[q.id] = [o.tolist() for o in options if not np.allclose(o, right)]
    sheets = []
    for i in range(count):
        entries = [Entry(qid, rng.choice(options)) for qid, options in choices.items() if options]
        sheets.append(Sheet(f"s{i}.yaml", f"student{i}", entries))
    return sheets


def grade(solution, sheets, diagnose: bool) -> float:
    grader = Grader(solution)
    if not diagnose:
        grader.mistakes.mistakes = lambda ask, answers=None: []
    start = time.perf_counter()
    for sheet in sheets:
        grader.grade(sheet)
    return time.perf_counter() - start


def cold_candidates(path: str) -> tuple[float, int]:
    """The one-time work: every question's candidate mistakes on a freshly solved problem."""
    solution = hwcheck.solve(hwcheck.load_problem(path))
    start = time.perf_counter()
    for q in solution.problem.questions:
        try:
            solution.mistakes(q.ask, {})
        except (KeyError, NotImplementedError):
            pass
    return time.perf_counter() - start, len(solution.problem.questions)


def measure(path: str, sheets_count: int, repeat: int) -> tuple[str, int, float, float, float]:
    probe = hwcheck.solve(hwcheck.load_problem(path))
    sheets = wrong_sheets(probe, sheets_count)
    plain, diagnosed, cold = [], [], []
    for _ in range(repeat):
        plain.append(grade(hwcheck.solve(hwcheck.load_problem(path)), sheets, diagnose=False))
        diagnosed.append(grade(hwcheck.solve(hwcheck.load_problem(path)), sheets, diagnose=True))
        cold.append(cold_candidates(path)[0])
    questions = len(probe.problem.questions)
    base, full = min(plain), min(diagnosed)
    per_sheet_base = base / len(sheets)
    return probe.problem.id, len(probe.problem.graph), (full - base) / base, min(cold) / questions / per_sheet_base, (full - base) / len(sheets) / questions * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sheets", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3, help="best of N timings")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hwcheck-bench-") as tmp:
        paths = []
        for path in sorted(PROBLEMS.glob("*.yaml")):
            try:
                if hwcheck.load_problem(path).kind == "graph":
                    paths.append(str(path))
            except hwcheck.InputError:
                continue
        for blocks in (33, 166):  # ≈ 200 and ≈ 1,000 nodes
            generated = Path(tmp) / f"chain{blocks}.yaml"
            generated.write_text(chain(blocks), encoding="utf-8")
            paths.append(str(generated))
        print(f"{args.sheets} sheets per problem, every question wrong; best of {args.repeat}")
        print(f"{'problem':<22}{'nodes':>7}  {'diagnosis / grading (per sheet)':>32}  {'cold candidates per question / one sheet':>42}  {'µs per question':>16}")
        for path in paths:
            name, nodes, ratio, cold, micro = measure(path, args.sheets, args.repeat)
            print(f"{name:<22}{nodes:>7}  {ratio:>31.2f}×  {cold:>41.1f}×  {micro:>16.0f}")


if __name__ == "__main__":
    main()
