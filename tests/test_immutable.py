"""Problems are immutable after loading: solving, grading questions, mistakes and hints
return new objects and never write into the problem."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import hwcheck
from support import PROBLEMS

SHIPPED = sorted(PROBLEMS.glob("*.yaml"))


def _snapshot(problem) -> dict:
    """Every field's object and, for containers, a copy of what they hold."""
    shot = {}
    for f in dataclasses.fields(problem):
        value = getattr(problem, f.name)
        held = None
        if isinstance(value, dict):
            held = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in value.items()}
        elif isinstance(value, list):
            held = [v.copy() if isinstance(v, np.ndarray) else v for v in value]
        shot[f.name] = (id(value), held)
    return shot


def _same(a, b) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return np.array_equal(a, b)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return a is b or a == b


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_a_loaded_problem_cannot_be_changed(path):
    problem = hwcheck.load_problem(path)
    with pytest.raises(dataclasses.FrozenInstanceError):
        problem.questions = []
    with pytest.raises(dataclasses.FrozenInstanceError):
        problem.title = "changed"


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_solving_and_asking_never_write_into_the_problem(path):
    problem = hwcheck.load_problem(path)
    before = _snapshot(problem)
    solution = hwcheck.solve(problem)
    for question in problem.questions if problem.kind != "code" else ():  # a code task is asked through its runs
        solution.expected(question.ask)
        solution.mistakes(question.ask)
        solution.hint(question.ask)
    if problem.kind == "graph":  # the gradients of every other step: worked out, not stored in the problem
        for step in problem.steps:
            if np.ndim(problem.values[problem.graph.index[step]]) == 0:
                solution.gradients_of(step)
    after = _snapshot(problem)
    assert before.keys() == after.keys()
    for name, (identity, held) in before.items():
        assert after[name][0] == identity, f"{name} was replaced"
        assert _same(held, after[name][1]), f"{name} was changed"


def test_a_changed_problem_is_a_new_one():
    problem = hwcheck.load_problem(PROBLEMS / "residual_relu.yaml")
    titled = dataclasses.replace(problem, title="Another title")
    assert titled.title == "Another title" and problem.title != "Another title"
    assert hwcheck.solve(titled).expected("dz/dw0").value == pytest.approx(-0.2)  # worked by hand in the seed
