"""Softmax followed by cross-entropy is one fused op of the registry, softmax_cross_entropy,
which the builder rewrites cross_entropy(softmax(h), y) to when the softmax feeds nothing
else. The derivation still shows L → p → h; solving, the mistakes and formula answers all
take the gradient at the logits from that one op.

Expected values are worked out by hand in the comments (p − y), or by finite differences
of a forward pass written here in NumPy.
"""

from __future__ import annotations

import numpy as np
import pytest

import hwcheck
from hwcheck.graph import engine
from hwcheck.graph.engine import backward, forward
from hwcheck.graph.formula import FormulaCheck, _gradient_candidates
from hwcheck.graph.ops import OPS

FUSED = OPS["softmax_cross_entropy"]

# h = (1000, −1000, 0), y = (0, 1, 0):
# L = logsumexp(h) − h₁ = 1000 + log(1 + e^−2000 + e^−1000) + 1000 = 2000 in float64, and
# p = softmax(h) = (1, e^−2000, e^−1000)/(…) = (1, 0, 0) in float64, so dL/dh = p − y = (1, −1, 0)
# although −y/p, the gradient at p, is −∞ in its middle entry.
EXTREME = """\
id: ce
kind: graph
inputs:
  y: [0, 1, 0]
params:
  h: [1000, -1000, 0]
steps:
  p: softmax(h)
  L: cross_entropy(p, y)
output: L
questions:
  - {id: g, ask: dL/dh}
  - {id: f, ask: dL/dh, answer: formula}
"""
P_MINUS_Y = [1.0, -1.0, 0.0]


def load(tmp_path, text):
    path = tmp_path / "p.yaml"
    path.write_text(text, encoding="utf-8")
    return hwcheck.load_problem(path)


def test_the_fused_op_is_exact_at_logits_of_plus_minus_1000():
    h, y = np.array([1000.0, -1000.0, 0.0]), np.array([0.0, 1.0, 0.0])
    loss = FUSED.forward(h, y)
    d_h, d_y = FUSED.vjp(np.array(1.0), [h, y], loss)
    assert float(loss) == 2000.0
    np.testing.assert_array_equal(d_h, P_MINUS_Y)
    # d/dy = −log_softmax(h) = (0, 2000, 1000): finite too (logsumexp(h) = 1000 exactly).
    np.testing.assert_array_equal(d_y, [0.0, 2000.0, 1000.0])


def test_the_fused_op_on_a_batch_with_class_labels():
    # Row 0 as above; row 1: h = (−1000, 1000, 0), label 1, so p = (0, 1, 0) = y: loss 0,
    # gradient 0. The batch is summed, as cross_entropy sums it: L = 2000, rows (1, −1, 0), (0, 0, 0).
    h = np.array([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 0.0]])
    labels = np.array([1.0, 1.0])
    loss = FUSED.forward(h, labels)
    d_h, d_labels = FUSED.vjp(np.array(2.0), [h, labels], loss)
    assert float(loss) == 2000.0
    np.testing.assert_array_equal(d_h, [[2.0, -2.0, 0.0], [0.0, 0.0, 0.0]])  # g = 2 times p − y
    np.testing.assert_array_equal(d_labels, [0.0, 0.0])  # labels are indices: no gradient


def test_the_builder_rewrites_only_where_the_softmax_feeds_nothing_else(tmp_path):
    problem = load(tmp_path, EXTREME)
    graph = problem.graph
    loss = graph.nodes[graph.index["L"]]
    assert loss.op is OPS["cross_entropy"]  # the derivation keeps L → p → h
    assert loss.fused.op is FUSED and loss.fused.operands == (graph.index["h"], graph.index["y"])
    inline = load(tmp_path, EXTREME.replace("  p: softmax(h)\n  L: cross_entropy(p, y)", "  L: cross_entropy(softmax(h), y)"))
    assert inline.graph.nodes[inline.graph.index["L"]].fused.op is FUSED
    # A later step that reads p too undoes it: p's own gradient is then needed.
    shared = load(tmp_path, EXTREME.replace("h: [1000, -1000, 0]", "h: [0.5, -0.2, 1.0]")
                  .replace("  L: cross_entropy(p, y)\n", "  c: cross_entropy(p, y)\n  L: c + sum(p * p)\n"))
    assert shared.graph.nodes[shared.graph.index["c"]].fused is None


def test_unfused_softmax_and_cross_entropy_match_finite_differences(tmp_path):
    # L = −Σ y log p + Σ p², p = softmax(h): both operations one by one, checked numerically.
    problem = load(tmp_path, EXTREME.replace("h: [1000, -1000, 0]", "h: [0.5, -0.2, 1.0]")
                   .replace("  L: cross_entropy(p, y)\n", "  c: cross_entropy(p, y)\n  L: c + sum(p * p)\n"))

    def loss(h):
        p = np.exp(h) / np.exp(h).sum()
        return -np.log(p[1]) + np.sum(p * p)

    h = np.array([0.5, -0.2, 1.0])
    numeric = [(loss(h + e) - loss(h - e)) / 2e-6 for e in np.eye(3) * 1e-6]
    solution = hwcheck.solve(problem)
    np.testing.assert_allclose(solution.expected("dL/dh").value, numeric, rtol=1e-7)
    assert float(solution.expected("L").value) == pytest.approx(loss(h), rel=1e-12)


def test_solve_mistakes_and_formula_all_take_p_minus_y_from_the_registry(tmp_path):
    solution = hwcheck.solve(load(tmp_path, EXTREME))
    # Solving: the gradient, and the shortcut the derivation shows beside the long way.
    np.testing.assert_array_equal(solution.expected("dL/dh").value, P_MINUS_Y)
    assert float(solution.expected("L").value) == 2000.0
    np.testing.assert_array_equal(solution.expected("p").value, [1.0, 0.0, 0.0])
    assert solution.kinks == []
    (shortcut,) = solution.softmax
    np.testing.assert_array_equal(shortcut.shortcut, P_MINUS_Y)
    # The mistakes: y − p.
    flips = [m.value for m in solution.mistakes("dL/dh") if m.code == "y-minus-p"]
    assert len(flips) == 1
    np.testing.assert_array_equal(flips[0], [-1.0, 1.0, 0.0])
    # A formula answer: checked against p − y at the problem's values, y − p named.
    (question,) = [q for q in solution.problem.questions if q.id == "f"]
    check = FormulaCheck(solution, question)
    np.testing.assert_array_equal(check.points[0].truth, P_MINUS_Y)
    (flip,) = [c for c in _gradient_candidates(check) if c.code == "y-minus-p"]
    np.testing.assert_array_equal(flip.values[0], [-1.0, 1.0, 0.0])
    # The special cases that did this before are gone from the engine.
    assert not hasattr(engine, "fused_logits") and not hasattr(engine, "softmax_ce_gradient")


def test_a_students_own_p_carried_forward_gives_their_p_minus_y(tmp_path):
    # With p fixed at a student's q = (0.5, 0.25, 0.25), the gradient at h is q − y =
    # (0.5, −0.75, 0.25), as a student who goes on from their own p writes it.
    problem = load(tmp_path, EXTREME)
    graph = problem.graph
    p, h, loss = graph.index["p"], graph.index["h"], graph.index["L"]
    values = forward(graph, problem.leaves(), {p: np.array([0.5, 0.25, 0.25])})
    np.testing.assert_array_equal(backward(graph, values, loss)[h], [0.5, -0.75, 0.25])
