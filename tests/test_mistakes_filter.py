"""applicable_mistakes with a filter of codes (what a variant's check asks, variants.py):
the same mistakes, values and order as the full list kept to those codes, and only those.

The full list is the reference: the filter only skips work, it must never change a value.
"""

from __future__ import annotations

import numpy as np
import pytest

import hwcheck
from hwcheck.graph.ask import parse_ask
from hwcheck.graph.mistakes import MISTAKES, applicable_mistakes
from support import CONTRACT, PROBLEMS

GRAPH_FILES = sorted(p for p in [*PROBLEMS.glob("*.yaml"), *CONTRACT.glob("*.yaml")]
                     if "kind: graph" in p.read_text(encoding="utf-8"))


def same(a, b) -> bool:
    return [(m.code, m.description) for m in a] == [(m.code, m.description) for m in b] and \
        all(np.array_equal(np.asarray(x.value), np.asarray(y.value), equal_nan=True) for x, y in zip(a, b))


def test_there_are_graph_problems_to_check():
    assert len(GRAPH_FILES) >= 5


@pytest.mark.parametrize("path", GRAPH_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_filtered_is_the_full_list_kept_to_the_codes(path):
    problem = hwcheck.load_problem(path)
    for question in problem.questions:
        if question.answer == "formula":
            continue
        ask = parse_ask(question.ask)
        # a fresh solution for each filter, so that no memo of the full list is reused
        full = applicable_mistakes(hwcheck.solve(problem), ask)
        present = list(dict.fromkeys(m.code for m in full))
        absent = [code for code in MISTAKES if code not in present]
        filters = [{code} for code in present] + [set(present[::2]), set(present[1::2]), set(absent), set(MISTAKES)]
        for codes in filters:
            kept = applicable_mistakes(hwcheck.solve(problem), ask, frozenset(codes))
            assert same(kept, [m for m in full if m.code in codes]), (question.id, sorted(codes))


def test_residual_skip_path_left_out_by_hand():
    # residual_relu.yaml: x0 = 1, w0 = 0.3, b0 = 0.1, w1 = -0.2, b1 = -0.3; both ReLUs open
    # (xwb0 = 0.4, yx = 0.62). dz/dx0 = 1 (the skip) + w1·w0 (the main path) = 1 − 0.06 = 0.94:
    # the skip left out gives −0.06, the main path left out gives 1.
    solution = hwcheck.solve(hwcheck.load_problem(CONTRACT / "residual_relu.yaml"))
    kept = applicable_mistakes(solution, parse_ask("dz/dx0"), frozenset({"missing-path"}))
    assert {m.code for m in kept} == {"missing-path"}
    assert sorted(float(m.value) for m in kept) == pytest.approx([-0.06, 1.0], abs=1e-12)
    # sign-error alone: −0.94
    flipped = applicable_mistakes(solution, parse_ask("dz/dx0"), frozenset({"sign-error"}))
    assert [(m.code, float(m.value)) for m in flipped] == [("sign-error", pytest.approx(-0.94, abs=1e-12))]
