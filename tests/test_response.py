"""Cheap diagnosis (issue 10, part 6): a mistake in one local derivative is read off one
forward-mode pass instead of a backward pass of its own.

The reference is the backward pass itself (engine.backward, tested against PyTorch and by
hand elsewhere) re-run with the changed rule: both must give the same gradient, for every
operation of the registry and every step of the shipped graph problems.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

import hwcheck
from hwcheck.graph.engine import backward, tangents
from hwcheck.graph.ops import OPS
from hwcheck.graph.paths import nodes_between
from hwcheck.graph.response import Response
from support import CONTRACT, PROBLEMS


def solve_text(tmp_path, text: str):
    path = tmp_path / "p.yaml"
    path.write_text(text, encoding="utf-8")
    return hwcheck.solve(hwcheck.load_problem(path))


def skewed(g, args, out, vjp):
    """A wrong local rule that changes every operand's contribution differently."""
    return tuple((2.0 + k) * np.asarray(d) for k, d in enumerate(vjp(g, args, out)))


def rerun(problem, start, target, rules=None, seed_at=None, seed=None):
    return backward(problem.graph, problem.values, start if seed_at is None else seed_at, rules, seed=seed)[target]


def op_problem(op) -> str:
    """o = op(a, b) on the registry's example point, then z = sum(o * c) with a fixed c."""
    params, operands = {}, []
    for k, value in enumerate(op.example):
        if k in op.constant_args:  # a number written in the step: leaky_relu's slope, an axis
            operands.append(str(int(value)) if "axis" in op.params else repr(float(value)))
        else:
            params["ab"[k]] = np.asarray(value, dtype=float).tolist()
            operands.append("ab"[k])
    if op.symbol:
        call = f" {op.symbol} ".join(operands)
    else:
        # Ops a student does not write by name, as they are written: the fused softmax
        # cross-entropy is what the builder makes of cross_entropy(softmax(a), b).
        written = {"neg": "-{0}", "copy": "{0}", "softmax_cross_entropy": "cross_entropy(softmax({0}), {1})"}
        call = written[op.name].format(*operands) if op.name in written else f"{op.called}({', '.join(operands)})"
    value = op.forward(*[np.asarray(v, dtype=float) for v in op.example])
    params["c"] = np.round(np.random.default_rng(len(op.name)).normal(size=np.shape(value)), 3).tolist()
    return json.dumps({"id": op.name, "kind": "graph", "params": params, "steps": {"o": call, "m": "o * c", "z": "sum(m)"}, "output": "z"})


@pytest.mark.parametrize("name", sorted(n for n, op in OPS.items() if op.example))
def test_every_operation_carries_a_changed_adjoint_down_as_the_backward_pass_does(tmp_path, name):
    # A changed rule at m = o * c puts an extra adjoint on o; what reaches a and b goes
    # through the operation's own forward-mode rule (its JVP) in the cheap way, through its
    # VJP in the backward pass re-run.
    op = OPS[name]
    solution = solve_text(tmp_path, op_problem(op))
    problem = solution.problem
    graph = problem.graph
    start, m = graph.index["z"], graph.index["m"]
    checked, moved = 0, False
    for leaf in ("a", "b"):
        if leaf not in graph.index:
            continue
        target = graph.index[leaf]
        rule = lambda g, args, out, vjp=graph.nodes[m].op.vjp: skewed(g, args, out, vjp)
        expected = rerun(problem, start, target, {m: rule})
        got = Response(solution, "z", target).with_rule(m, rule)
        np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12)
        moved = moved or not np.allclose(expected, solution.grads[target])
        checked += 1
    assert checked >= 1
    assert moved or name == "step"  # the change reaches the inputs (step's derivative is 0)


def graph_problems():
    files = sorted(set(CONTRACT.glob("*.yaml")) | set(PROBLEMS.glob("*.yaml")))
    found = []
    for path in files:
        try:
            problem = hwcheck.load_problem(path)
        except hwcheck.InputError:  # a contract example of a feature still pending (support.PENDING)
            continue
        if problem.kind == "graph":
            found.append(path)
    return found


@pytest.mark.parametrize("path", graph_problems(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_step_of_the_shipped_problems(path):
    # For each gradient asked, every step on its paths with a skewed local rule, and a seed
    # put in at each step: the cheap value equals the backward pass re-run.
    solution = hwcheck.solve(hwcheck.load_problem(path))
    problem = solution.problem
    graph = problem.graph
    rng = np.random.default_rng(0)
    tried = 0
    for q in problem.questions:
        if "/" not in q.ask or "[" in q.ask:
            continue
        output, name = q.ask[1:].split("/d", 1)
        start, target = graph.index[output], graph.index[name]
        response = Response(solution, output, target)
        for i in nodes_between(graph, start, target):
            node = graph.nodes[i]
            if node.op is None:
                continue
            if node.fused is None and node.op.name not in ("softmax",):
                rule = lambda g, args, out, vjp=node.op.vjp: skewed(g, args, out, vjp)
                np.testing.assert_allclose(response.with_rule(i, rule), rerun(problem, start, target, {i: rule}), rtol=1e-9, atol=1e-12)
            seed = rng.normal(size=np.shape(problem.values[i]))
            np.testing.assert_allclose(response.seeded(i, seed), rerun(problem, start, target, seed_at=i, seed=seed), rtol=1e-9, atol=1e-12)
            tried += 1
    assert tried > 0


def test_tangents_by_hand():
    problem = hwcheck.load_problem(CONTRACT / "residual_relu.yaml")
    graph, values = problem.graph, problem.values
    t = tangents(graph, values, graph.index["x0"], graph.index["z"])
    # Seed by hand: xw0 = x0·w0 moves with w0 = 0.3 per unit of x0; yx = y1 + x0 with
    # y1 = w1·relu(xw0 + b0) + b1: ∂yx/∂x0 = w1·w0 + 1 = −0.06 + 1 = 0.94 (yx > 0, so z too).
    assert float(t[graph.index["xw0"]]) == pytest.approx(0.3)
    assert float(t[graph.index["yx"]]) == pytest.approx(0.94)
    assert float(t[graph.index["z"]]) == pytest.approx(0.94)
    assert t[graph.index["w1"]] is None  # w1 does not depend on x0


def test_above_the_tangent_budget_the_backward_pass_is_re_run_with_the_same_diagnosis(monkeypatch):
    # The fallback for a large target in a large graph (bounded memory) names the same
    # mistakes with the same values: the reference here is the forward-mode reading.
    from hwcheck.graph import response

    path = PROBLEMS / "softmax_ce.yaml"
    asks = [q.ask for q in hwcheck.load_problem(path).questions if "/" in q.ask]

    def diagnoses():
        solution = hwcheck.solve(hwcheck.load_problem(path))
        return {ask: [(m.code, m.description, np.asarray(m.value, dtype=float)) for m in solution.mistakes(ask, {})] for ask in asks}

    cheap = diagnoses()
    monkeypatch.setattr(response, "TANGENT_BUDGET", 0)
    rerun = diagnoses()
    assert sum(len(v) for v in cheap.values()) > len(asks)  # more than the sign error each
    for ask in asks:
        assert [(c, d) for c, d, _ in rerun[ask]] == [(c, d) for c, d, _ in cheap[ask]], ask
        for (_, _, a), (_, _, b) in zip(rerun[ask], cheap[ask]):
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
