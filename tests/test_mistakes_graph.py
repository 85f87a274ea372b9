"""Typical mistakes of a hand-worked backward pass, each recognised by the answer it gives.

Every expected value is worked out by hand in the comments.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import hwcheck
from hwcheck.errors import UnknownAsk
from support import CONTRACT

EXAMPLES = CONTRACT


def solve_text(tmp_path, text: str):
    path = tmp_path / "p.yaml"
    path.write_text(text, encoding="utf-8")
    return hwcheck.solve(hwcheck.load_problem(path))


def by_code(mistakes):
    found: dict[str, list] = {}
    for m in mistakes:
        found.setdefault(m.code, []).append(m)
    return found


def values_of(mistakes, code):
    return sorted(float(np.asarray(m.value)) for m in mistakes if m.code == code)


def matching(mistakes, value, tol=1e-9):
    return [m for m in mistakes if np.shape(m.value) == np.shape(value) and np.allclose(m.value, value, rtol=0, atol=tol)]


@pytest.fixture(scope="module")
def residual():
    return hwcheck.solve(hwcheck.load_problem(EXAMPLES / "residual_relu.yaml"))


@pytest.fixture(scope="module")
def softmax_ce():
    return hwcheck.solve(hwcheck.load_problem(EXAMPLES / "softmax_ce.yaml"))


ALICE = {"z": 0.62, "dz/dw0": -0.2, "dz/dw1": "2/5", "dz/db0": -0.2, "dz/db1": 1, "dz/dx0": -0.06}


# -- the contract example --------------------------------------------------------------


def test_alice_left_out_the_skip_connection(residual):
    # dz/dx0 = 1 (skip: z → yx → x0) + w1·w0 = −0.2·0.3 = −0.06 (the long path).
    # Alice's −0.06 is the long path alone: the skip connection was left out.
    assert float(residual.expected("dz/dx0").value) == pytest.approx(0.94)
    mistakes = residual.mistakes("dz/dx0", ALICE)
    (hit,) = matching(mistakes, -0.06)
    assert hit.code == "missing-path"
    assert "skip connection" in hit.description
    assert "z → yx → x0" in hit.description


def test_leaving_out_the_long_path_is_also_recognised(residual):
    # 0.94 − (−0.06) = 1: the skip connection alone; not described as the skip connection
    mistakes = residual.mistakes("dz/dx0")
    (hit,) = [m for m in matching(mistakes, 1.0) if m.code == "missing-path"]
    assert "skip connection" not in hit.description
    assert "x1" in hit.description and "xw0" in hit.description


def test_mistakes_never_give_the_right_answer(residual):
    for ask in ("z", "dz/dw0", "dz/dw1", "dz/db0", "dz/db1", "dz/dx0"):
        right = residual.expected(ask).value
        for m in residual.mistakes(ask, ALICE):
            assert not np.allclose(m.value, right), (ask, m)


def test_sign_error_on_every_gradient(residual):
    for ask, right in {"dz/dw0": -0.2, "dz/dw1": 0.4, "dz/db0": -0.2, "dz/db1": 1.0, "dz/dx0": 0.94}.items():
        assert values_of(residual.mistakes(ask), "sign-error") == pytest.approx([-right])


def test_wrong_factor_in_the_seed(residual):
    # dz/dw1: ∂xw1/∂w1 is x1 = 0.4; the wrong factor is w1 = −0.2
    assert values_of(residual.mistakes("dz/dw1"), "wrong-factor") == pytest.approx([-0.2])
    # dz/dw0 = w1·x0 = −0.2; wrong factor at xw0 (w0 for x0): −0.2·0.3 = −0.06;
    # wrong factor at xw1 (x1 for w1): 0.4·1 = 0.4
    assert values_of(residual.mistakes("dz/dw0"), "wrong-factor") == pytest.approx([-0.06, 0.4])


# -- problems designed for each mistake ------------------------------------------------


GATE = """\
id: gate
kind: graph
inputs: {x: 1.0}
params: {w: -2.0, b: 0.5, v: 3.0, u: 0.5}
steps:
  a: x * w + b
  h: relu(a)
  z: h * v + u * x
"""


def test_ignored_relu_gate(tmp_path):
    # a = 1·(−2) + 0.5 = −1.5 < 0, so h = 0 and the gate is closed:
    # dz/dw = v·relu'(a)·x = 3·0·1 = 0. Ignoring the gate (relu' = 1): 3·1·1 = 3.
    solution = solve_text(tmp_path, GATE)
    assert float(solution.expected("dz/dw").value) == 0.0
    (gate,) = by_code(solution.mistakes("dz/dw"))["relu-gate-ignored"]
    assert float(gate.value) == pytest.approx(3.0)
    assert "h" in gate.description
    # dz/db likewise: 0, ignored gate 3
    assert values_of(solution.mistakes("dz/db"), "relu-gate-ignored") == pytest.approx([3.0])
    # dz/dx = v·0·w + u = 0.5; ignoring the gate: 3·(−2) + 0.5 = −5.5
    assert float(solution.expected("dz/dx").value) == pytest.approx(0.5)
    assert values_of(solution.mistakes("dz/dx"), "relu-gate-ignored") == pytest.approx([-5.5])


def test_ignored_relu_gate_in_a_forward_value(tmp_path):
    # h = relu(−1.5) = 0; leaving the ReLU out gives −1.5
    solution = solve_text(tmp_path, GATE)
    assert float(solution.expected("h").value) == 0.0
    assert values_of(solution.mistakes("h"), "relu-gate-ignored") == pytest.approx([-1.5])


def test_open_gate_gives_no_gate_mistake(tmp_path):
    # with w = 2: a = 2.5 > 0, ignoring the gate changes nothing, so it is not offered
    solution = solve_text(tmp_path, GATE.replace("w: -2.0", "w: 2.0"))
    assert "relu-gate-ignored" not in by_code(solution.mistakes("dz/dw"))


def test_wrong_factor_of_a_product(tmp_path):
    # h = x·w = 10, z = h·v = 30, dz/dw = v·x = 3·2 = 6.
    # Wrong factor in h (w instead of x): v·w = 15; in z (h instead of v): h·x = 20.
    solution = solve_text(tmp_path, "id: f\nkind: graph\ninputs: {x: 2.0}\nparams: {w: 5.0, v: 3.0}\nsteps:\n  h: x * w\n  z: h * v\n")
    assert float(solution.expected("dz/dw").value) == 6.0
    assert values_of(solution.mistakes("dz/dw"), "wrong-factor") == pytest.approx([15.0, 20.0])
    descriptions = [m.description for m in solution.mistakes("dz/dw") if m.code == "wrong-factor"]
    assert any("local derivative of h" in d for d in descriptions)
    assert any("local derivative of z" in d for d in descriptions)


def test_sign_error(tmp_path):
    # z = x·w − b: dz/db = −1; the sign error gives +1
    solution = solve_text(tmp_path, "id: s\nkind: graph\ninputs: {x: 2.0}\nparams: {w: 5.0, b: 1.0}\nsteps:\n  z: x * w - b\n")
    assert float(solution.expected("dz/db").value) == -1.0
    (sign,) = by_code(solution.mistakes("dz/db"))["sign-error"]
    assert float(sign.value) == 1.0
    # and on a value: z = 9, the sign error −9
    assert values_of(solution.mistakes("z"), "sign-error") == [-9.0]


def test_pre_activation_used_for_the_activation(tmp_path):
    # a = x·w + b = 1·0.5 + 0.5 = 1, h = σ(1) = 1/(1 + e⁻¹) ≈ 0.7310586, z = h·v.
    # dz/dv = h ≈ 0.7310586; with the pre-activation a in its place: 1.
    solution = solve_text(tmp_path, "id: pa\nkind: graph\ninputs: {x: 1.0}\nparams: {w: 0.5, b: 0.5, v: 2.0}\nsteps:\n  a: x * w + b\n  h: sigmoid(a)\n  z: h * v\n")
    sigma = 1 / (1 + np.exp(-1.0))
    assert float(solution.expected("dz/dv").value) == pytest.approx(sigma)
    (pre,) = by_code(solution.mistakes("dz/dv"))["pre-activation"]
    assert float(pre.value) == pytest.approx(1.0)
    assert "pre-activation a" in pre.description and "activation h" in pre.description


def test_pre_activation_of_a_relu_where_they_differ(tmp_path):
    # a = 1·(−2) + 0.5 = −1.5, h = relu(a) = 0, z = h·v + u·x: dz/dv = h = 0;
    # with the pre-activation: −1.5
    solution = solve_text(tmp_path, GATE)
    assert float(solution.expected("dz/dv").value) == 0.0
    assert values_of(solution.mistakes("dz/dv"), "pre-activation") == pytest.approx([-1.5])


def test_one_path_instead_of_the_sum(tmp_path):
    # z = x + w·x + u·x: three paths to x with products 1, w = 2, u = 3; dz/dx = 6.
    # One path alone: 1, 2 or 3. One left out: 5, 4 or 3.
    solution = solve_text(tmp_path, "id: op\nkind: graph\ninputs: {x: 1.5}\nparams: {w: 2.0, u: 3.0}\nsteps:\n  z: x + w * x + u * x\nwrt: [x]\n")
    assert float(solution.expected("dz/dx").value) == pytest.approx(6.0)
    (derivation,) = solution.gradients
    assert derivation.path_count == 3
    mistakes = solution.mistakes("dz/dx")
    assert values_of(mistakes, "one-path-only") == pytest.approx([1.0, 2.0, 3.0])
    assert values_of(mistakes, "missing-path") == pytest.approx([3.0, 4.0, 5.0])
    for m in mistakes:
        if m.code == "one-path-only":
            assert "3 paths" in m.description


def test_one_path_only_is_not_offered_for_two_paths(residual):
    assert "one-path-only" not in by_code(residual.mistakes("dz/dx0"))


def test_y_minus_p_coincides_with_the_sign_error_for_b2(softmax_ce):
    # x3 = (0.12, 0.52, −0.38) (by hand, see test_engine), p = softmax(x3), y = (0, 1, 0).
    # dL/db2 = p − y; writing y − p gives −(p − y), which is also the sign error: both named.
    x3 = np.array([0.12, 0.52, -0.38])
    p = np.exp(x3) / np.exp(x3).sum()
    y = np.array([0.0, 1.0, 0.0])
    np.testing.assert_allclose(softmax_ce.expected("dL/db2").value, p - y, atol=1e-12)
    mistakes = softmax_ce.mistakes("dL/db2")
    hits = matching(mistakes, y - p, tol=1e-12)
    assert {m.code for m in hits} >= {"y-minus-p", "sign-error"}
    (flip,) = by_code(mistakes)["y-minus-p"]
    assert "p - y" in flip.description


def test_y_minus_p_on_the_logits(softmax_ce):
    x3 = np.array([0.12, 0.52, -0.38])
    p = np.exp(x3) / np.exp(x3).sum()
    y = np.array([0.0, 1.0, 0.0])
    (flip,) = by_code(softmax_ce.mistakes("dL/dx3"))["y-minus-p"]
    np.testing.assert_allclose(flip.value, y - p, atol=1e-12)


def test_y_minus_p_is_not_claimed_above_the_logits(softmax_ce):
    # dL/dx4 = −y/p (x4 = p): the slip is in the gradient at the logits x3, below x4, so it
    # changes nothing here; a zero answer is not "y − p" (it once was: the flipped gradient
    # at x3, carried to x4, is 0).
    x3 = np.array([0.12, 0.52, -0.38])
    p = np.exp(x3) / np.exp(x3).sum()
    np.testing.assert_allclose(softmax_ce.expected("dL/dx4").value, [0.0, -1 / p[1], 0.0], atol=1e-12)
    assert "y-minus-p" not in by_code(softmax_ce.mistakes("dL/dx4"))


def test_y_minus_p_for_an_element(softmax_ce):
    # dL/db2[1] = p₁ − 1 ≈ −0.5185; y − p there: 1 − p₁ ≈ 0.5185
    x3 = np.array([0.12, 0.52, -0.38])
    p1 = np.exp(x3[1]) / np.exp(x3).sum()
    mistakes = softmax_ce.mistakes("dL/db2[1]")
    assert values_of(mistakes, "y-minus-p") == pytest.approx([1 - p1])


# -- errors carried forward ------------------------------------------------------------


def test_wrong_earlier_value_carried_forward(residual):
    # dz/dw1 = x1 (yx > 0 so dz/dxw1 = 1). A student who found x1 = 0.5 (right: 0.4)
    # and then correctly used it answers dz/dw1 = 0.5.
    mistakes = residual.mistakes("dz/dw1", {"x1": 0.5, "dz/dw1": 0.5})
    (carried,) = by_code(mistakes)["carried-forward"]
    assert float(carried.value) == pytest.approx(0.5)
    assert "x1 = 0.5" in carried.description


def test_wrong_earlier_gradient_carried_forward(residual):
    # dz/dw0 = dz/dx1 · relu'(xwb0) · x0; with a wrong dz/dx1 = −0.3 (right: w1 = −0.2)
    # the consistent answer is −0.3·1·1 = −0.3
    (carried,) = by_code(residual.mistakes("dz/dw0", {"dz/dx1": -0.3}))["carried-forward"]
    assert float(carried.value) == pytest.approx(-0.3)
    assert "dz/dx1 = -0.3" in carried.description


def test_fractions_in_earlier_answers_are_read(residual):
    (carried,) = by_code(residual.mistakes("dz/dw1", {"x1": "1/2"}))["carried-forward"]
    assert float(carried.value) == pytest.approx(0.5)


def test_right_or_unreadable_earlier_answers_carry_nothing(residual):
    assert "carried-forward" not in by_code(residual.mistakes("dz/dw1", {"x1": 0.4}))
    assert "carried-forward" not in by_code(residual.mistakes("dz/dw1", {"x1": "four tenths"}))
    assert "carried-forward" not in by_code(residual.mistakes("dz/dw1", {"nonsense": 3}))
    assert "carried-forward" not in by_code(residual.mistakes("dz/dw1"))


def test_a_later_wrong_value_does_not_carry_backwards(residual):
    # z comes after x1: a wrong z cannot change x1
    assert "carried-forward" not in by_code(residual.mistakes("x1", {"z": 7.0}))


def test_unknown_ask_is_an_unknown_ask(residual):
    with pytest.raises(UnknownAsk):
        residual.mistakes("dz/dq")


def test_a_quantity_asked_again_later_still_carries_from_its_first_question(tmp_path):
    # dL/dz is asked by Q1 as a number and again by Q3 as a formula: the student's number
    # for it was worked out before Q2. dL/dw = dL/dz · x, so with dL/dz = 0.25 (wrong) and
    # x = 1.5 the answer carried forward is 0.375.
    s = solve_text(tmp_path, """\
id: asked-twice
kind: graph
inputs: {x: 1.5, y: 1.0}
params: {w: 0.8, b: -0.4}
steps: {z: w * x + b, a: sigmoid(z), L: (a - y) ** 2}
questions:
  - {id: Q1, ask: dL/dz}
  - {id: Q2, ask: dL/dw}
  - {id: Q3, ask: dL/dz, answer: formula}
""")
    (carried,) = by_code(s.mistakes("dL/dw", {"dL/dz": 0.25}))["carried-forward"]
    assert float(carried.value) == pytest.approx(0.375)
    assert "dL/dz = 0.25" in carried.description


# -- a loss that is a batch mean: y − p and the 1/N, in numbers and in formulas ------------
#
# X = I (two examples, two features), W = [[1, 0], [0, 0]], Y = I: Z = X @ W = W, so row 0
# of P is softmax(1, 0) = (e, 1)/(e + 1) and row 1 is (½, ½). L = CE/2 + ½·ΣW²:
# dL/dZ = (P − Y)/2 and dL/dW = Xᵀ(P − Y)/2 + W = (P − Y)/2 + W (the weight decay is
# another path to W, which y − p at the logits leaves as it is).

DECAY = """\
id: decay
kind: graph
inputs: {X: [[1.0, 0.0], [0.0, 1.0]], Y: [[1, 0], [0, 1]]}
params: {W: [[1.0, 0.0], [0.0, 0.0]]}
steps:
  Z: X @ W
  P: softmax(Z)
  CE: cross_entropy(P, Y)
  L: CE / 2 + 0.5 * sum(W * W)
questions:
  - {id: Q1, ask: dL/dZ, answer: formula}
  - {id: Q2, ask: dL/dW, answer: formula}
  - {id: Q3, ask: dL/dW}
"""
_E = float(np.e)
P_DECAY = np.array([[_E / (_E + 1), 1 / (_E + 1)], [0.5, 0.5]])
Y_DECAY = np.eye(2)
W_DECAY = np.array([[1.0, 0.0], [0.0, 0.0]])


def formula_verdict(solution, qid: str, text: str):
    from hwcheck.graph.formula import FormulaCheck

    (question,) = [q for q in solution.problem.questions if q.id == qid]
    check = FormulaCheck(solution, question)
    return check.judge(check.read(text))


def test_y_minus_p_under_a_batch_mean_keeps_the_other_paths(tmp_path):
    s = solve_text(tmp_path, DECAY)
    right = (P_DECAY - Y_DECAY) / 2 + W_DECAY
    np.testing.assert_allclose(s.expected("dL/dW").value, right, atol=1e-12)
    (flip,) = by_code(s.mistakes("dL/dW"))["y-minus-p"]
    np.testing.assert_allclose(flip.value, (Y_DECAY - P_DECAY) / 2 + W_DECAY, atol=1e-12)  # not −(P − Y)/2 alone
    assert flip.description == "the gradient of the loss with respect to the logits Z is p - y, not y - p"
    (mean,) = by_code(s.mistakes("dL/dW"))["missing-batch-mean"]
    np.testing.assert_allclose(mean.value, (P_DECAY - Y_DECAY) + W_DECAY, atol=1e-12)


@pytest.mark.parametrize("qid, formula, codes, value", [
    ("Q1", "(Y - P) / 2", ("sign-error", "y-minus-p"), (Y_DECAY - P_DECAY) / 2),
    ("Q1", "P - Y", ("missing-batch-mean",), P_DECAY - Y_DECAY),
    # Under the weight decay, y − p is no longer the sign flipped: y − p alone is named.
    ("Q2", "transpose(X) @ (Y - P) / 2 + W", ("y-minus-p",), (Y_DECAY - P_DECAY) / 2 + W_DECAY),
    ("Q2", "transpose(X) @ (P - Y) + W", ("missing-batch-mean",), (P_DECAY - Y_DECAY) + W_DECAY),
    ("Q2", "transpose(X) @ (P - Y) / 4 + W", (), None),  # a wrong N is no known slip: wrong, nothing more
])
def test_formulas_under_a_batch_mean(tmp_path, qid, formula, codes, value):
    s = solve_text(tmp_path, DECAY)
    assert formula_verdict(s, "Q1", "(P - Y) / 2").correct and formula_verdict(s, "Q2", "transpose(X) @ (P - Y) / 2 + W").correct
    verdict = formula_verdict(s, qid, formula)
    assert not verdict.correct
    assert tuple(m.code for m in verdict.mistakes) == codes
    for m in verdict.mistakes:  # the value at the problem's own leaves, by hand
        np.testing.assert_allclose(m.value, value, atol=1e-12)


@pytest.mark.parametrize("loss", ["mean((yhat - y) ** 2)", "mse(yhat, y)"])
def test_a_mean_squared_error_formula_without_its_one_over_n(tmp_path, loss):
    # X = (1, 2, 3) as a column (three examples), w = (0.5): yhat = (0.5, 1, 1.5); y = (1, 0, 2):
    # yhat − y = (−0.5, 1, −0.5). dL/dyhat = 2(yhat − y)/3; without the 1/3, (−1, 2, −1).
    s = solve_text(tmp_path, "id: m\nkind: graph\ninputs: {X: [[1.0], [2.0], [3.0]], y: [1.0, 0.0, 2.0]}\nparams: {w: [0.5]}\n"
                             f"steps: {{yhat: X @ w, L: '{loss}'}}\nquestions:\n  - {{id: Q1, ask: dL/dyhat, answer: formula}}\n")
    np.testing.assert_allclose(s.expected("dL/dyhat").value, [-1 / 3, 2 / 3, -1 / 3], atol=1e-12)
    assert formula_verdict(s, "Q1", "2 * (yhat - y) / 3").correct
    (mistake,) = formula_verdict(s, "Q1", "2 * (yhat - y)").mistakes
    assert mistake.code == "missing-batch-mean"
    assert mistake.description == "you left out the 1/3 of the mean over the batch of 3 examples in L"
    np.testing.assert_allclose(mistake.value, [-1.0, 2.0, -1.0], atol=1e-12)


def test_without_a_batch_a_division_is_no_batch_mean(tmp_path):
    # One example (x a vector, no matrix among the inputs): L = CE/2 is no mean over a batch,
    # so p − y, twice the gradient, is called wrong and nothing more.
    s = solve_text(tmp_path, "id: n\nkind: graph\ninputs: {y: [0, 1]}\nparams: {h: [0.5, -0.5]}\n"
                             "steps:\n  p: softmax(h)\n  CE: cross_entropy(p, y)\n  L: CE / 2\nquestions:\n  - {id: Q1, ask: dL/dh, answer: formula}\n")
    verdict = formula_verdict(s, "Q1", "p - y")
    assert not verdict.correct and verdict.mistakes == ()


def test_y_minus_p_comes_from_the_fused_ops_registry_entry(tmp_path, monkeypatch):
    # The same problem with a softmax cross-entropy whose registry entry invites nothing:
    # neither numbers nor formulas name y − p any more (mistakes.py has no list of its own).
    from hwcheck.graph import build
    from hwcheck.graph.ops import Op

    assert "y-minus-p" in by_code(solve_text(tmp_path, DECAY).mistakes("dL/dZ"))
    fused = build.FUSIONS[("cross_entropy", "softmax")]
    bare = Op(**{**{f: getattr(fused, f) for f in Op._fields}, "mistakes": ()})
    monkeypatch.setitem(build.FUSIONS, ("cross_entropy", "softmax"), bare)
    s = solve_text(tmp_path, DECAY)
    np.testing.assert_allclose(s.expected("dL/dZ").value, (P_DECAY - Y_DECAY) / 2, atol=1e-12)
    assert "y-minus-p" not in by_code(s.mistakes("dL/dZ"))
    assert formula_verdict(s, "Q1", "(Y - P) / 2").mistakes[0].code == "sign-error"
    assert "y-minus-p" not in [m.code for m in formula_verdict(s, "Q1", "(Y - P) / 2").mistakes]
