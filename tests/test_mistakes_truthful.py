"""Every sentence a diagnosis says is true of the problem at hand (issue 10, part 2).

Each test is a problem where the earlier wording made a false claim, with the true
sentence expected instead. Every number is worked out by hand in the comments.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import hwcheck
from hwcheck.grade import Grader
from hwcheck.grade.sheets import Entry, Sheet
from support import CONTRACT, run_cli


def solve_text(tmp_path, text: str):
    path = tmp_path / "p.yaml"
    path.write_text(text, encoding="utf-8")
    return hwcheck.solve(hwcheck.load_problem(path))


def at(mistakes, value, code=None):
    return [m for m in mistakes if (code is None or m.code == code) and np.shape(m.value) == np.shape(value) and np.allclose(m.value, value, rtol=0, atol=1e-9)]


def graded(solution, answers: dict) -> dict:
    sheet = Sheet("s.yaml", "s", [Entry(k, v) for k, v in answers.items()])
    return {r.id: r for r in Grader(solution).grade(sheet).results}


# -- "skip connection" only for a path that bypasses operations through an addition --------

USED_TWICE = """\
id: twice
kind: graph
inputs: {x: 2.0}
params: {w: 0.5, b: 1.0}
steps:
  a: w * x + b
  h: relu(a)
  z: w * h
wrt: [w]
"""


def test_a_weight_used_twice_is_not_a_skip_connection(tmp_path):
    # a = 0.5·2 + 1 = 2 > 0, h = 2, z = w·h. dz/dw = h (w as z's factor) + w·relu'(a)·x
    # (w inside a) = 2 + 0.5·1·2 = 3. The shorter path z → w is w's use in z, not a skip
    # connection (z is a product: nothing is bypassed); the earlier wording called it one.
    solution = solve_text(tmp_path, USED_TWICE)
    assert float(solution.expected("dz/dw").value) == pytest.approx(3.0)
    mistakes = solution.mistakes("dz/dw")
    assert not any("skip" in m.description for m in mistakes)
    (short,) = at(mistakes, 3.0 - 2.0, "missing-path")  # the term h = 2 left out
    assert short.description == "you left out the path z → w (the use of w in z); the gradient is the sum over all 2 paths"
    (long,) = at(mistakes, 3.0 - 1.0, "missing-path")  # the term w·x = 1 left out
    assert long.description.startswith("you left out the path z → h → a → w * x → w (the use of w in w * x)")


def test_the_residual_skip_connection_is_named_where_it_is(tmp_path):
    # Seed: dz/dx0 = 1 (z → yx → x0) + w1·w0 = 1 − 0.06 = 0.94; yx = y1 + x0 is the
    # addition whose branch x0 bypasses y1, xw1, x1, xwb0 and xw0.
    solution = hwcheck.solve(hwcheck.load_problem(CONTRACT / "residual_relu.yaml"))
    (hit,) = at(solution.mistakes("dz/dx0"), -0.06, "missing-path")
    assert hit.description == "you left out the path z → yx → x0 (through the skip connection yx → x0); the gradient is the sum over all 2 paths"


def test_a_skip_connection_inside_the_path(tmp_path):
    # z = r2 with r1 = x + relu(w·x)... written as two residual blocks; x = 1, w = 2, v = 3:
    # r1 = x + relu(w·x) = 1 + 2 = 3, z = r1 + relu(v·r1) = 3 + 9 = 12.
    # dz/dw = (1 + v)·x = 4 (both blocks open): paths z → r1 (skip) → h1 → ... → w with
    # product 1·1·x = 1, and z → h2 → ... → r1 → h1 → ... → w with v·x = 3.
    text = "id: two\nkind: graph\ninputs: {x: 1.0}\nparams: {w: 2.0, v: 3.0}\nsteps:\n  h1: relu(w * x)\n  r1: x + h1\n  h2: relu(v * r1)\n  z: r1 + h2\nwrt: [w]\n"
    solution = solve_text(tmp_path, text)
    assert float(solution.expected("dz/dw").value) == pytest.approx(4.0)
    (skip,) = at(solution.mistakes("dz/dw"), 4.0 - 1.0, "missing-path")
    assert "(through the skip connection z → r1)" in skip.description
    assert skip.description.startswith("you left out the path z → r1 → h1")
    (long,) = at(solution.mistakes("dz/dw"), 4.0 - 3.0, "missing-path")
    assert "skip" not in long.description


# -- a value used twice by one operation: the product rule's two terms ----------------------

SQUARE = """\
id: square
kind: graph
inputs: {x: 2.0}
params: {w: 0.5}
steps:
  r: w * x
  z: r * r
wrt: [w]
"""


def test_r_times_r_is_the_product_rules_two_terms(tmp_path):
    # r = 1, z = r²: dz/dw = (r + r)·x = 4. Leaving out one of the product rule's terms gives
    # r·x = 2. The two chain-rule paths read the same (z → r → w), so the sentence names
    # the two terms of z's derivative, not two different paths of the graph.
    solution = solve_text(tmp_path, SQUARE)
    assert float(solution.expected("dz/dw").value) == pytest.approx(4.0)
    mistakes = solution.mistakes("dz/dw")
    (hit,) = at(mistakes, 2.0, "missing-path")
    assert hit.description == (
        "you left out one of the 2 terms for z, which uses r 2 times (the product rule has a term for each use): "
        "the term along z → r → w; the gradient is the sum of all 2 terms"
    )
    # r·r has no wrong factor to take; r = w·x has: ∂r/∂w taken as w gives 2r·w = 1
    assert [(m.description.split(" you")[0], float(m.value)) for m in mistakes if m.code == "wrong-factor"] == [("in the local derivative of r", 1.0)]


def test_one_term_only_of_three(tmp_path):
    # z = r·r + 3·r with r = w·x = 1: dz/dw = (2r + 3)·x = 10; the three terms are r·x = 2,
    # r·x = 2 (the product rule's two) and 3·x = 6.
    text = SQUARE.replace("z: r * r", "z: r * r + 3 * r")
    solution = solve_text(tmp_path, text)
    assert float(solution.expected("dz/dw").value) == pytest.approx(10.0)
    mistakes = solution.mistakes("dz/dw")
    (product_term,) = at(mistakes, 2.0, "one-path-only")
    assert "one of the 2 terms for r * r, which uses r 2 times (the product rule" in product_term.description
    assert product_term.description.endswith("instead of summing all 3 terms")
    (linear,) = at(mistakes, 6.0, "one-path-only")
    assert linear.description.startswith("you took only the path z → 3 * r → r → w")


# -- a ReLU gate ignored: the derivative below the kink is what the op says ----------------

def test_an_ignored_leaky_relu_gate_names_its_slope(tmp_path):
    # a = 1·(−2) + 0.5 = −1.5 < 0; h = leaky_relu(a, 0.1) has derivative 0.1 there (not 0,
    # as the earlier sentence said): dz/dw = v·0.1·x = 0.3; with the gate ignored, 3.
    text = "id: leaky\nkind: graph\ninputs: {x: 1.0}\nparams: {w: -2.0, b: 0.5, v: 3.0, u: 0.5}\nsteps:\n  a: x * w + b\n  h: leaky_relu(a, 0.1)\n  z: h * v + u * x\n"
    solution = solve_text(tmp_path, text)
    assert float(solution.expected("dz/dw").value) == pytest.approx(0.3)
    (gate,) = at(solution.mistakes("dz/dw"), 3.0, "relu-gate-ignored")
    assert gate.description == "the ReLU gate of h was ignored: the derivative is its slope 0.1 where the input is ≤ 0, not 1"


# -- carried forward only from the answers that feed the asked one ------------------------

SEED_STEPS = """\
inputs: {x0: 1.0}
params: {w0: 0.3, w1: -0.2, b0: 0.1, b1: -0.3}
steps:
  xw0: x0 * w0
  xwb0: xw0 + b0
  x1: relu(xwb0)
  xw1: x1 * w1
  y1: xw1 + b1
  yx: y1 + x0
  z: relu(yx)
output: z
"""
# By hand: xw0 = 0.3, xwb0 = 0.4, x1 = 0.4, xw1 = −0.08, y1 = −0.38, yx = 0.62 = z (both
# ReLUs open). dz/dw1 = x1 = 0.4, dz/dw0 = w1·x0 = −0.2, dz/dx1 = w1 = −0.2.


def carry_problem(tmp_path, asks: list[str]):
    questions = "questions:\n" + "".join(f"  - {{id: q{n}, ask: {a}}}\n" for n, a in enumerate(asks))
    return solve_text(tmp_path, "id: carry\nkind: graph\n" + SEED_STEPS + questions)


def carried(mistakes):
    return [m for m in mistakes if m.code == "carried-forward"]


def test_an_answer_that_does_not_feed_the_asked_one_is_not_listed(tmp_path):
    # dz/dw0 does not feed dz/dw1 (w0 lies on no path from z to w1); the earlier wording
    # listed it anyway. x1 = 0.5 does: dz/dw1 = x1 = 0.5.
    solution = carry_problem(tmp_path, ["x1", "dz/dw0", "dz/dw1"])
    (hit,) = carried(solution.mistakes("dz/dw1", {"x1": 0.5, "dz/dw0": -0.5}))
    assert float(hit.value) == pytest.approx(0.5)
    assert hit.description == "your answer follows from your own earlier answer (x1 = 0.5), worked on correctly: an error carried forward"


def test_a_later_question_is_never_carried_back(tmp_path):
    # dz/dw0 = dz/dx1 · relu'(xwb0) · x0: a wrong dz/dx1 = −0.3 gives −0.3, but only when it
    # was asked before dz/dw0.
    later = carry_problem(tmp_path, ["dz/dw0", "dz/dx1"])
    assert carried(later.mistakes("dz/dw0", {"dz/dx1": -0.3})) == []
    earlier = carry_problem(tmp_path, ["dz/dx1", "dz/dw0"])
    (hit,) = carried(earlier.mistakes("dz/dw0", {"dz/dx1": -0.3}))
    assert float(hit.value) == pytest.approx(-0.3)
    assert "(dz/dx1 = -0.3)" in hit.description


def test_an_answer_that_changes_nothing_here_is_not_listed(tmp_path):
    # z's value is read by the backward pass in general, but relu's derivative reads its
    # input yx, not z: a wrong z = 7 changes nothing in dz/dw1, so only x1 is named.
    solution = carry_problem(tmp_path, ["x1", "z", "dz/dw1"])
    (hit,) = carried(solution.mistakes("dz/dw1", {"x1": 0.5, "z": 7.0}))
    assert float(hit.value) == pytest.approx(0.5)
    assert "x1 = 0.5" in hit.description and "z = 7" not in hit.description


# -- two mistakes with one number: both said, without contradiction -------------------------


def test_sign_and_carried_forward_giving_one_number_are_both_said(tmp_path):
    # x1 answered −0.4 (right: 0.4). With x1 = −0.4: y1 = 0.08 − 0.3 = −0.22, yx = 0.78 > 0,
    # so dz/dw1 = x1 = −0.4, which is also dz/dw1 = 0.4 with its sign flipped. The earlier
    # sentence read "either the sign is flipped, or ...: the method here is right".
    solution = carry_problem(tmp_path, ["x1", "dz/dw1", "dz/dw0"])
    results = graded(solution, {"q0": -0.4, "q1": -0.4, "q2": 0.123})
    r = results["q1"]
    assert set(r.mistakes) == {"sign-error", "carried-forward"}
    assert r.diagnosis == "either the sign is flipped, or your answer follows from your own earlier answer (x1 = -0.4), worked on correctly: an error carried forward"
    assert "method here is right" not in r.feedback


def test_a_wrong_answer_matching_no_mistake_is_only_called_wrong(tmp_path):
    # dz/dw0 = −0.2; 0.123 is no sign error (0.2), no wrong factor, and x1 = −0.4 carried
    # forward changes nothing in it (yx stays > 0): nothing is invented.
    solution = carry_problem(tmp_path, ["x1", "dz/dw1", "dz/dw0"])
    r = graded(solution, {"q0": -0.4, "q1": -0.4, "q2": 0.123})["q2"]
    assert r.mistakes == () and r.diagnosis is None
    assert r.feedback == "wrong"


def test_a_relu_left_out_of_the_forward_pass_is_named(tmp_path):
    # a = −1.5 < 0: h = relu(a) = 0 and z = 0·3 + 0.5·1 = 0.5. Left out, h = a and
    # z = −1.5·3 + 0.5 = −4. g = relu(x) (x = 1 > 0) acts on nothing and is not named.
    text = "id: fwd\nkind: graph\ninputs: {x: 1.0}\nparams: {w: -2.0, b: 0.5, v: 3.0, u: 0.5}\nsteps:\n  a: x * w + b\n  h: relu(a)\n  g: relu(x)\n  z: h * v + u * g\n"
    solution = solve_text(tmp_path, text)
    assert float(solution.expected("z").value) == pytest.approx(0.5)
    (gate,) = at(solution.mistakes("z"), -4.0, "relu-gate-ignored")
    assert gate.description == "the ReLU of h was left out in the forward pass (the input was passed on unchanged)"
    # g's ReLU passes x = 1 unchanged anyway: leaving it out is no mistake one can see
    assert [m for m in solution.mistakes("g") if m.code == "relu-gate-ignored"] == []


def test_y_minus_p_with_labels_that_do_not_sum_to_one(tmp_path):
    # y = (0, 2, 0): dL/dh = p·Σy − y = 2p − y, so "p − y" would be false; y − p·Σy is what the
    # flipped gradient is. h = (0, 0, 0): p = 1/3 each; dL/dh = (2/3, −4/3, 2/3).
    text = "id: soft\nkind: graph\ninputs: {y: [0.0, 2.0, 0.0]}\nparams: {h: [0.0, 0.0, 0.0]}\nsteps:\n  p: softmax(h)\n  L: cross_entropy(p, y)\nwrt: [h]\n"
    solution = solve_text(tmp_path, text)
    np.testing.assert_allclose(solution.expected("dL/dh").value, [2 / 3, -4 / 3, 2 / 3], atol=1e-12)
    (flip,) = [m for m in solution.mistakes("dL/dh") if m.code == "y-minus-p"]
    np.testing.assert_allclose(flip.value, [-2 / 3, 4 / 3, -2 / 3], atol=1e-12)
    assert flip.description == "the gradient of the loss with respect to the logits h is p·Σy - y, not its negative"


# -- a local derivative done wrong, as its operation invites it (Op.mistakes) -----------------


def test_a_sigmoid_derivative_forgotten_or_confused_with_sigma(tmp_path):
    # z = w·x = 0, a = σ(0) = 0.5, σ′(0) = 0.5·(1 − 0.5) = 0.25. L = 3a, dL/dw = 3·σ′·x = 1.5.
    # σ′ taken as 1: 3·1·2 = 6; σ′ taken as σ: 3·0.5·2 = 3.
    s = solve_text(tmp_path, "id: s\nkind: graph\ninputs: {x: 2.0}\nparams: {w: 0.0}\nsteps: {z: w * x, a: sigmoid(z), L: 3 * a}\n")
    assert float(s.expected("dL/dw").value) == pytest.approx(1.5)
    mistakes = s.mistakes("dL/dw")
    (forgotten,) = at(mistakes, 6.0, "derivative-forgotten")
    assert forgotten.description == "in a = sigmoid(z) you left out the derivative of sigmoid (took it as 1)"
    (confused,) = at(mistakes, 3.0, "derivative-confused")
    assert confused.description == "in a = sigmoid(z) you used sigmoid(z) itself where its derivative belongs"
    assert not [m for m in mistakes if m.code == "tanh-one-minus"]  # a sigmoid has no tanh′


def test_tanh_derivative_as_one_minus_tanh(tmp_path):
    # tanh(ln 2) = (4 − 1)/(4 + 1) = 0.6. L = 2h, dL/dx = 2·(1 − 0.36) = 1.28; with tanh′ as
    # 1 − tanh: 2·0.4 = 0.8; left out: 2; taken as tanh: 1.2.
    s = solve_text(tmp_path, "id: t\nkind: graph\ninputs: {x: 0.6931471805599453}\nsteps: {h: tanh(x), L: 2 * h}\nwrt: [x]\n")
    assert float(s.expected("dL/dx").value) == pytest.approx(1.28)
    mistakes = s.mistakes("dL/dx")
    (one_minus,) = at(mistakes, 0.8, "tanh-one-minus")
    assert one_minus.description == "in h = tanh(x) you took tanh′ as 1 − tanh; it is 1 − tanh²"
    assert at(mistakes, 2.0, "derivative-forgotten") and at(mistakes, 1.2, "derivative-confused")


def test_a_relu_is_never_said_to_have_its_derivative_forgotten(tmp_path):
    # relu′ taken as 1 is relu-gate-ignored; relu(a) used as relu′: a = −1 + 3 = 2 > 0,
    # h = 2, L = 5h, dL/dw = 5·relu′(a)·x = 5·1·1 = 5, with relu(a) = 2 for relu′: 10.
    s = solve_text(tmp_path, "id: r\nkind: graph\ninputs: {x: 1.0}\nparams: {w: -1.0}\nsteps: {a: w * x + 3, h: relu(a), L: 5 * h}\n")
    mistakes = s.mistakes("dL/dw")
    assert not [m for m in mistakes if m.code == "derivative-forgotten"]
    (confused,) = at(mistakes, 10.0, "derivative-confused")
    assert confused.description == "in h = relu(a) you used relu(a) itself where its derivative belongs"


def test_the_factor_two_of_a_square_and_the_half_convention(tmp_path):
    # e = w − y = 2. L = e²: dL/dw = 2e = 4, the 2 dropped: 2.
    s = solve_text(tmp_path, "id: q\nkind: graph\ninputs: {y: 1.0}\nparams: {w: 3.0}\nsteps: {e: w - y, L: e ** 2}\n")
    (dropped,) = at(s.mistakes("dL/dw"), 2.0, "square-factor")
    assert dropped.description == "in L = e² you dropped the factor 2 of the square's derivative"
    # L = ½q, q = e²: dL/dw = e = 2; the ½ left out: 4; the 2 of q dropped: 1.
    s = solve_text(tmp_path, "id: h\nkind: graph\ninputs: {y: 1.0}\nparams: {w: 3.0}\nsteps: {e: w - y, q: e ** 2, L: 0.5 * q}\n")
    mistakes = s.mistakes("dL/dw")
    (half,) = at(mistakes, 4.0, "square-factor")
    assert half.description == "in L = 0.5 · q you left out the ½ (the derivative of q taken for that of L)"
    assert at(mistakes, 1.0, "square-factor")
    # e ** 3 is no square: no factor 2 to drop. dL/dw = 3e² = 12, and nothing at 6.
    s = solve_text(tmp_path, "id: c\nkind: graph\ninputs: {y: 1.0}\nparams: {w: 3.0}\nsteps: {e: w - y, L: e ** 3}\n")
    assert not [m for m in s.mistakes("dL/dw") if m.code == "square-factor"]


def test_the_factor_two_of_a_mean_squared_error(tmp_path):
    # ŷ = w·x = [1, 2], L = mean((ŷ − 0)²) = 2.5; dL/dw = mean(2ŷ·x) = (2 + 8)/2 = 5, the 2 dropped: 2.5.
    s = solve_text(tmp_path, "id: m\nkind: graph\ninputs: {x: [1.0, 2.0], y: [0.0, 0.0]}\nparams: {w: 1.0}\nsteps: {yhat: w * x, L: \"mse(yhat, y)\"}\n")
    (dropped,) = at(s.mistakes("dL/dw"), 2.5, "square-factor")
    assert dropped.description == "in L = the mean of (yhat − y)² you dropped the factor 2 of the square's derivative"


def test_a_matrix_product_without_its_transpose(tmp_path):
    # Z = H @ W, L = sum(Z): G = ones. dL/dW = Hᵀ @ G = [[4, 4], [6, 6]]; H @ G = [[3, 3], [7, 7]].
    # With W = [[1, 0], [2, 1]]: dL/dH = G @ Wᵀ = [[1, 3], [1, 3]]; G @ W = [[3, 1], [3, 1]].
    s = solve_text(tmp_path, "id: mm\nkind: graph\ninputs: {H: [[1.0, 2.0], [3.0, 4.0]]}\nparams: {W: [[1.0, 0.0], [2.0, 1.0]]}\n"
                             "steps: {Z: H @ W, L: sum(Z)}\nwrt: [H, W]\n")
    np.testing.assert_allclose(s.expected("dL/dW").value, [[4, 4], [6, 6]])
    (right_factor,) = at(s.mistakes("dL/dW"), np.array([[3.0, 3.0], [7.0, 7.0]]), "missing-transpose")
    assert right_factor.description == "in Z = H @ W you wrote H @ G where Hᵀ @ G belongs (G the gradient at Z)"
    np.testing.assert_allclose(s.expected("dL/dH").value, [[1, 3], [1, 3]])
    (left_factor,) = at(s.mistakes("dL/dH"), np.array([[3.0, 1.0], [3.0, 1.0]]), "missing-transpose")
    assert left_factor.description == "in Z = H @ W you wrote G @ W where G @ Wᵀ belongs (G the gradient at Z)"


def test_a_sigmoid_rounded_before_going_on(tmp_path):
    # z = w·x = ln 2, a = σ(ln 2) = 2/3, L = (a − 1)²: dL/dx = 2(a − 1)·a(1 − a)·w =
    # 2·(−1/3)·(2/3)·(1/3) = −4/27. With a rounded to 0.7: 2·(−0.3)·0.7·0.3 = −0.126;
    # to 0.67: 2·(−0.33)·0.67·0.33 = −0.145926.
    s = solve_text(tmp_path, "id: r\nkind: graph\ninputs: {x: 0.6931471805599453, y: 1.0}\nparams: {w: 1.0}\n"
                             "steps: {z: w * x, a: sigmoid(z), L: (a - y) ** 2}\nwrt: [x]\n")
    assert float(s.expected("dL/dx").value) == pytest.approx(-4 / 27)
    mistakes = s.mistakes("dL/dx")
    (one,) = at(mistakes, -0.126, "rounded-early")
    assert one.description == "your answer is the right method with a rounded to 1 decimal before going on: round only the final answer"
    (two,) = at(mistakes, -0.145926, "rounded-early")
    assert two.description.startswith("your answer is the right method with a rounded to 2 decimals")
    # The value itself, rounded: L = (2/3 − 1)² = 1/9; from a = 0.7, (−0.3)² = 0.09.
    assert at(s.mistakes("L"), 0.09, "rounded-early")


def test_local_derivative_mistakes_in_formula_answers(tmp_path):
    # L = (a − y)², a = σ(z): dL/dz = 2(a − y)·a(1 − a). Written with σ′ taken as σ, as 1,
    # or without the 2, each is that mistake at every draw of the leaves.
    s = solve_text(tmp_path, "id: f\nkind: graph\ninputs: {z: 0.4, y: 1.0}\nsteps: {a: sigmoid(z), e: a - y, L: e ** 2}\n"
                             "questions:\n  - {id: Q1, ask: dL/dz, answer: formula}\n")
    assert graded(s, {"Q1": "2*(a - y)*a*(1 - a)"})["Q1"].status == "correct"
    for answer, code, said in [
        ("2*(a - y)*a", "derivative-confused", "in a = sigmoid(z) you used sigmoid(z) itself where its derivative belongs"),
        ("(a - y)*a*(1 - a)", "square-factor", "in L = e² you dropped the factor 2 of the square's derivative"),
    ]:
        result = graded(s, {"Q1": answer})["Q1"]
        assert list(result.mistakes) == [code] and said in result.feedback, (answer, result.feedback)


# -- "either ... or ..." names two different slips, never one code twice -------------------

ROUNDINGS = """\
id: two-roundings
kind: graph
inputs: {s: 0.2, t: 0.87}
steps: {a: sigmoid(s), b: tanh(t), L: a * b}
questions:
  - {id: Q1, ask: L}
"""


@pytest.mark.parametrize("answer, said", [
    # a = σ(0.2) = 0.54983, b = tanh(0.87) = 0.70137, L = a·b = 0.38564. Rounded to 1 decimal,
    # a alone gives 0.5·0.70137 = 0.35069, a and b together 0.5·0.7 = 0.35: both are within
    # the tolerance (1 %) of 0.35 and of 0.3507. One slip, rounding, named once: by the
    # rounding that gives the nearer number (0.35 is exactly a and b; 0.3507 is a alone).
    ("0.35", "a and b rounded to 1 decimal"),
    ("0.3507", "a rounded to 1 decimal"),
])
def test_two_roundings_that_both_fit_are_one_diagnosis(tmp_path, answer, said):
    a, b = 1 / (1 + math.exp(-0.2)), math.tanh(0.87)
    assert abs(0.5 * b - 0.35) <= 0.01 * 0.35 and abs(0.5 * b - 0.3507) <= 0.01 * 0.3507
    assert float(solve_text(tmp_path, ROUNDINGS).expected("L").value) == pytest.approx(a * b, rel=1e-12)
    (tmp_path / "sheets").mkdir()
    (tmp_path / "sheets" / "s.yaml").write_text(f"student: s\nanswers:\n  Q1: {answer}\n", encoding="utf-8")
    done = run_cli("grade", tmp_path / "p.yaml", tmp_path / "sheets", "--report", tmp_path / "r.json")
    assert done.returncode == 1, done.stderr
    (result,) = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["sheets"][0]["results"]
    assert result["mistakes"] == ["rounded-early"]
    assert result["feedback"] == f"wrong: your answer is the right method with {said} before going on: round only the final answer"


def test_one_code_once_in_a_formula_diagnosis(tmp_path):
    # e = a − y, L = e²: dL/da = dL/de = 2(a − y), so "2*(a - y)" for dL/dz stops the chain
    # rule early at a and at e alike (one slip, named once: at a, the first; both fit exactly)
    # — or it leaves σ′ out, another slip, so the "either ... or" stays.
    s = solve_text(tmp_path, "id: f\nkind: graph\ninputs: {z: 0.4, y: 1.0}\nsteps: {a: sigmoid(z), e: a - y, L: e ** 2}\n"
                             "questions:\n  - {id: Q1, ask: dL/dz, answer: formula}\n")
    result = graded(s, {"Q1": "2*(a - y)"})["Q1"]
    assert result.mistakes == ("formula-stopped-early", "derivative-forgotten")
    assert result.feedback == ("wrong: either that is dL/da, the gradient with respect to a: you stopped at a; carry the chain rule on to z, "
                               "or in a = sigmoid(z) you left out the derivative of sigmoid (took it as 1)")
