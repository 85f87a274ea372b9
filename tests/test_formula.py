"""Formula answers (contract §10): judged as functions at the problem's values and redraws.

Every right answer here is worked out by hand (p − y for softmax + cross-entropy, the
ReLU's derivative as a step), and the truth the checker recomputes at each redraw is
checked against the same hand formulas.
"""

import json

import numpy as np
import pytest
from hypothesis import given

from hwcheck import load_problem, solve
from hwcheck.grade import Grader
from hwcheck.grade.interactive import run_checker
from hwcheck.grade.template import template_text
from hwcheck.graph.formula import REDRAWS, FormulaCheck
from support import PROBLEMS, run_cli
from test_grade_interactive import ScriptedScreen
from test_ops import SETTINGS, arrays_away_from_zero, check_vjp

T4 = """\
id: t4-formula
kind: graph
inputs:
  x: 1.0
  y: [0, 1, 0]
params:
  w1: [0.5, -0.4]
  b1: [0.1, 0.3]
  w2: [[0.2, -0.5], [0.7, 0.1], [-0.3, 0.4]]
  b2: [0.0, 0.1, -0.2]
steps:
  x1: w1 * x + b1
  x2: relu(x1)
  x3: w2 @ x2 + b2
  x4: softmax(x3)
  L: cross_entropy(x4, y)
output: L
questions:
  - {id: T4.h, ask: dL/dx3, points: 2}
  - {id: T4.rule, ask: dL/dx3, answer: formula, points: 3}
"""

# One ReLU, scalar: closed (xwb0 = 1·(-0.3) + 0.1 = -0.2) or open (0.3 + 0.1 = 0.4).
RELU = """\
id: relu-{name}
kind: graph
inputs: {{x0: 1.0}}
params: {{w0: {w0}, b0: 0.1, w1: -0.2}}
steps:
  xw0: x0 * w0
  xwb0: xw0 + b0
  x1: relu(xwb0)
  z: x1 * w1
questions:
  - {{id: local, ask: dx1/dxwb0, answer: formula}}
  - {{id: grad, ask: dz/dw0, answer: formula, points: 2}}
"""


def problem_file(tmp_path, text, name="p.yaml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def grade(tmp_path, problem_text, answers: dict, name="p.yaml"):
    """Grade one sheet; the results by question id."""
    grader = Grader(solve(load_problem(problem_file(tmp_path, problem_text, name))))
    sheet = tmp_path / "sheet.yaml"
    sheet.write_text("answers:\n" + "".join(f"  {k}: {json.dumps(v)}\n" for k, v in answers.items()), encoding="utf-8")
    return {r.id: r for r in grader.grade_file(str(sheet)).results}


def t4(tmp_path, formula):
    return grade(tmp_path, T4, {"T4.rule": formula})["T4.rule"]


def check_for(tmp_path, text, qid):
    solution = solve(load_problem(problem_file(tmp_path, text)))
    (question,) = [q for q in solution.problem.questions if q.id == qid]
    return FormulaCheck(solution, question)


def softmax(h):
    e = np.exp(h - h.max())
    return e / e.sum()


# -- T4: the gradient of softmax + cross-entropy with respect to the logits ---------------


@pytest.mark.parametrize("formula", ["x4 - y", "softmax(x3) - y", "-(y - x4)", "x4-y", "(x4 - y) * sum(y)"])
def test_t4_right_formulas(tmp_path, formula):
    result = t4(tmp_path, formula)
    assert result.correct and result.earned == 3 and result.feedback == "correct"
    assert result.answer == formula and result.answer_text == formula  # shown as written


@pytest.mark.parametrize("formula, codes, words", [
    ("y - x4", {"sign-error", "y-minus-p"}, "p - y, not y - p"),
    ("x4", {"formula-value-not-gradient"}, "that is x4 = softmax(x3) (a value of the graph), not the gradient dL/dx3"),
    ("x4 * (1 - x4)", {"formula-local-derivative"}, "only the local derivative ∂x4/∂x3 of x4 = softmax(x3) (the diagonal of its Jacobian)"),
    ("-y / x4", {"formula-stopped-early"}, "that is dL/dx4, the gradient with respect to x4: you stopped at x4"),
])
def test_t4_typical_wrong_formulas_are_named(tmp_path, formula, codes, words):
    result = t4(tmp_path, formula)
    assert not result.correct and result.earned == 0
    assert set(result.mistakes) == codes
    assert words in result.feedback and result.feedback.startswith("wrong: ")


def test_right_at_the_given_values_but_not_as_a_function(tmp_path):
    # x = 1 in the problem, so adding x - 1 changes nothing there, and everything elsewhere.
    result = t4(tmp_path, "x4 - y + (x - 1)")
    assert not result.correct and result.mistakes == ("formula-only-at-values",)
    assert "right at the problem's values, but not as a function" in result.feedback


def test_todays_number_is_not_a_formula(tmp_path):
    # dz/dw0 of the closed-ReLU net is 0 today (x1 = relu(-0.2)); the constant 0 is right
    # here and wrong wherever the ReLU opens. The function: x0 · step(xwb0) · w1.
    results = grade(tmp_path, RELU.format(name="closed", w0=-0.3), {"grad": "0", "local": "step(xwb0)"})
    assert not results["grad"].correct and results["grad"].mistakes == ("formula-only-at-values",)
    results = grade(tmp_path, RELU.format(name="closed", w0=-0.3), {"grad": "x0 * step(xwb0) * w1"})
    assert results["grad"].correct


def test_another_subgradient_at_a_kink_of_the_problem_is_accepted_with_a_note(tmp_path):
    # xwb0 = 1·(-0.1) + 0.1 = 0: the ReLU sits on its kink. PyTorch's relu'(0) = 0 is step;
    # relu'(0) = 1 is 1 - step(-xwb0), the same function everywhere else.
    kink = RELU.format(name="kink", w0=-0.1)
    results = grade(tmp_path, kink, {"local": "step(xwb0)", "grad": "x0 * (1 - step(-xwb0)) * w1"})
    assert results["local"].status == "correct"
    assert results["grad"].status == "alternative" and "another valid subgradient" in results["grad"].feedback
    assert not grade(tmp_path, kink, {"grad": "x0 * w1"})["grad"].correct  # the gate ignored, as a function


def test_the_truth_is_recomputed_at_every_redraw(tmp_path):
    check = check_for(tmp_path, T4, "T4.rule")
    graph = check.problem.graph
    assert len(check.points) == REDRAWS + 1
    changed = 0
    for point in check.points:
        leaf = {name: point.values[graph.index[name]] for name in ("x", "y", "w1", "b1", "w2", "b2")}
        # The network and p − y by hand, from the redrawn leaves alone.
        x2 = np.maximum(leaf["w1"] * leaf["x"] + leaf["b1"], 0.0)
        p = softmax(leaf["w2"] @ x2 + leaf["b2"])
        np.testing.assert_allclose(point.truth, p - leaf["y"], rtol=1e-12, atol=1e-15)
        changed += not np.allclose(leaf["w2"], [[0.2, -0.5], [0.7, 0.1], [-0.3, 0.4]])
    assert changed == REDRAWS  # every redraw moves the weights


def test_redraws_keep_labels_one_hot_and_probabilities_probabilities(tmp_path):
    text = """\
id: kinds
kind: graph
inputs: {y: [0, 0, 1], q: [0.2, 0.5, 0.3], t: [[1, 0], [0, 1]]}
params: {h: [0.1, -0.2, 0.3]}
steps:
  p: softmax(h)
  L: cross_entropy(p, y) + cross_entropy(p, q) + sum(t)
questions:
  - {id: f, ask: dL/dh, answer: formula}
"""
    check = check_for(tmp_path, text, "f")
    graph = check.problem.graph
    labels = set()
    for point in check.points:
        y, q, t = (point.values[graph.index[n]] for n in ("y", "q", "t"))
        assert sorted(y.tolist()) == [0, 0, 1] and set(t.ravel().tolist()) == {0, 1}
        np.testing.assert_allclose(t.sum(axis=1), [1, 1])
        assert np.all(q > 0) and q.sum() == pytest.approx(1)
        labels.add(int(np.argmax(y)))
    assert len(labels) > 1  # the class moves between redraws
    assert Grader(check.solution).items[0].formula.judge(check.read("2 * p - y - q")).correct  # d/dh of both CE terms


def test_values_that_must_stay_positive_stay_positive(tmp_path):
    text = """\
id: logs
kind: graph
inputs: {a: 0.5}
params: {w: 2.0}
steps:
  s: sqrt(a) * log(w)
questions:
  - {id: f, ask: ds/dw, answer: formula}
"""
    check = check_for(tmp_path, text, "f")
    graph = check.problem.graph
    assert len(check.points) == REDRAWS + 1
    assert all(p.values[graph.index["a"]] > 0 and p.values[graph.index["w"]] > 0 for p in check.points)
    assert check.judge(check.read("sqrt(a) / w")).correct
    assert not check.judge(check.read("sqrt(a) * w")).correct


def test_redraws_are_deterministic_and_avoid_kinks(tmp_path):
    first = check_for(tmp_path, RELU.format(name="closed", w0=-0.3), "local")
    second = check_for(tmp_path, RELU.format(name="closed", w0=-0.3), "local")
    xwb0 = first.problem.graph.index["xwb0"]
    assert [float(p.values[xwb0]) for p in first.points] == [float(p.values[xwb0]) for p in second.points]
    assert all(p.values[xwb0] != 0 for p in first.points)
    assert {bool(p.values[xwb0] > 0) for p in first.points} == {True, False}  # both sides of the kink
    other = check_for(tmp_path, RELU.format(name="closed", w0=-0.3).replace("id: local", "id: other"), "other")
    assert [float(p.values[xwb0]) for p in other.points] != [float(p.values[xwb0]) for p in first.points]


# -- local derivatives ----------------------------------------------------------------------


@pytest.mark.parametrize("formula", ["step(xwb0)", "relu'(xwb0)", "step(x0 * w0 + b0)"])
def test_local_derivative_of_a_relu_as_a_step(tmp_path, formula):
    results = grade(tmp_path, RELU.format(name="closed", w0=-0.3), {"local": formula})
    assert results["local"].correct


def test_one_is_wrong_for_a_closed_relu_and_for_an_open_one(tmp_path):
    closed = grade(tmp_path, RELU.format(name="closed", w0=-0.3), {"local": "1"})["local"]
    assert not closed.correct and closed.mistakes == ("relu-gate-ignored",)
    assert "its derivative is 0 where its input is ≤ 0, not 1" in closed.feedback
    # Open (xwb0 = 0.4): 1 is right here, but not where the redrawn input is negative,
    # and that is the same slip as a function.
    opened = grade(tmp_path, RELU.format(name="open", w0=0.3), {"local": "1"})["local"]
    assert not opened.correct and opened.mistakes == ("relu-gate-ignored",)


@given(arrays_away_from_zero((3,)))
@SETTINGS
def test_step_derivative_is_zero_away_from_zero(a):
    check_vjp("step", a)


def test_step_is_relu_prime_with_pytorchs_zero_at_zero():
    from hwcheck.graph.ops import OPS

    assert OPS["step"].forward(np.array([-1.0, 0.0, 2.0])).tolist() == [0.0, 0.0, 1.0]


def test_a_leaf_named_step_still_loads(tmp_path):
    text = "id: s\nkind: graph\ninputs: {step: 2.0}\nsteps:\n  z: step * step(step)\n"
    solution = solve(load_problem(problem_file(tmp_path, text)))
    assert float(solution.problem.values[solution.problem.graph.index["z"]]) == 2.0


# -- unreadable and hostile formulas --------------------------------------------------------


@pytest.mark.parametrize("formula, words", [
    ("x4 - z", "at column 6: unknown name 'z'"),
    ("x4 -", "the expression ends too early"),
    ("__import__('os')", "at column 12: strings are not allowed"),
    ("__import__(os)", "unknown function '__import__'"),
    ("x4.T - y", "attribute access is not allowed"),
    ("lambda: 0", "':' is not allowed"),
    ("lambda", "'lambda' is not allowed"),
    ("x4[1] - y", "indexing is not allowed"),
    ("2 ** 10 ** 10 + x4", "overflows"),
    ("x" * 2001, "limit 2,000"),
    ("(" * 500 + "x4" + ")" * 500, "nested deeper than 100"),
    ("-" * 1500 + "x4", "nested deeper than 100"),
])
def test_unreadable_formulas_say_where(tmp_path, formula, words):
    result = t4(tmp_path, formula)
    assert result.status == "unreadable" and result.earned == 0
    assert result.feedback.startswith("could not read the formula") and words in result.feedback


def test_a_list_is_not_a_formula(tmp_path):
    grader = Grader(solve(load_problem(problem_file(tmp_path, T4))))
    sheet = tmp_path / "s.yaml"
    sheet.write_text("answers:\n  T4.rule: [0.32, -0.52, 0.2]\n", encoding="utf-8")
    (result,) = [r for r in grader.grade_file(str(sheet)).results if r.id == "T4.rule"]
    assert result.status == "unreadable" and "not a list" in result.feedback
    assert "characters)" in t4(tmp_path, "x" * 5000).feedback  # a long text is not echoed whole


@pytest.mark.parametrize("formula, words", [
    ("(x4 + 1) ** 1e308 - y", "not defined at the problem's values: overflow"),
    ("10 ** 10 ** 10", "not defined at the problem's values: overflow"),
    ("log(x1 - 10)", "not defined"),
    ("x4 @ w2", "your formula gives a vector of 2, and dL/dx3 is a vector of 3"),
])
def test_formulas_undefined_or_of_the_wrong_shape_are_wrong_not_crashes(tmp_path, formula, words):
    result = t4(tmp_path, formula)
    assert result.status == "wrong" and words in result.feedback


def test_a_long_formula_within_the_limit_is_judged(tmp_path):
    formula = " + ".join(["(x4 - y) / 50"] * 50)  # 50 terms, 749 characters, right
    assert t4(tmp_path, formula).correct


# -- loading, template, interactive, the command line ---------------------------------------


def test_formula_questions_are_loaded_and_checked(tmp_path):
    bad = T4.replace("answer: formula", "answer: formulae")
    result = run_cli("validate", problem_file(tmp_path, bad))
    assert result.returncode == 2 and "did you mean 'formula'" in result.stderr and "Traceback" not in result.stderr
    indexed = T4.replace("ask: dL/dx3, answer", "ask: 'dL/dx3[1]', answer")
    result = run_cli("validate", problem_file(tmp_path, indexed))
    assert result.returncode == 2 and "a formula answer is for a whole value or gradient" in result.stderr
    arch = "id: a\nkind: architecture\ninput: [3]\nlayers:\n  - {type: dense, units: 2}\nquestions:\n  - {ask: params, answer: formula}\n"
    result = run_cli("validate", problem_file(tmp_path, arch, "a.yaml"))
    assert result.returncode == 2 and "answer: formula is for graph problems" in result.stderr
    assert result.stderr.count("\n") == 1 and ":7:5:" in result.stderr


def test_template_says_which_names_a_formula_may_use(tmp_path):
    text = template_text(load_problem(problem_file(tmp_path, T4)))
    assert "T4.rule:  # dL/dx3  (3 points); a formula over x, y, w1, b1, w2, b2, x1, x2, x3, x4, L" in text
    assert "T4.h:     # dL/dx3  (2 points)\n" in text


def test_interactive_checker_reads_formulas(tmp_path):
    grader = Grader(solve(load_problem(problem_file(tmp_path, T4))))
    screen = ScriptedScreen(["s", "y - x4", "x4 - zz", "softmax(x3) - y"])
    result = run_checker(grader, screen, tries=3)
    assert result.score == 3 and result.typed == {"T4.rule": "softmax(x3) - y"}
    assert "the sign is flipped" in screen.said("wrong")[0][0]
    assert "unknown name 'zz'" in screen.said("unreadable")[0][0]
    assert "as a formula over x, y," in screen.said("question")[1][3]


def test_cli_grades_a_formula_into_the_report(tmp_path):
    problem = problem_file(tmp_path, T4)
    sheet = tmp_path / "s.yaml"
    sheet.write_text("student: ann\nanswers:\n  T4.h: [0.322752, -0.518511, 0.195759]\n  T4.rule: -y / x4\n", encoding="utf-8")
    report = tmp_path / "r.json"
    result = run_cli("grade", problem, sheet, "--report", report)
    assert result.returncode == 1, result.stderr
    (row,) = [r for r in json.loads(report.read_text())["sheets"][0]["results"] if r["id"] == "T4.rule"]
    assert row["answer"] == "-y / x4" and row["mistakes"] == ["formula-stopped-early"] and row["earned"] == 0


def test_shipped_softmax_problem_takes_a_formula_question(tmp_path):
    text = (PROBLEMS / "softmax_ce.yaml").read_text(encoding="utf-8") + "questions:\n  - {id: T4, ask: dL/dx3, answer: formula, points: 3}\n"
    assert grade(tmp_path, text, {"T4": "softmax(x3) - y"})["T4"].correct


def test_every_formula_mistake_code_is_documented():
    import re

    from support import ROOT

    source = (ROOT / "src" / "hwcheck" / "graph" / "formula.py").read_text(encoding="utf-8")
    codes = set(re.findall(r'(?:_Candidate|Mistake)\(\s*"([a-z-]+)"', source))
    assert {"sign-error", "formula-stopped-early", "formula-only-at-values"} <= codes
    docs = (ROOT / "docs" / "grading.md").read_text(encoding="utf-8")
    assert [code for code in sorted(codes) if f"| `{code}` |" not in docs] == []


def test_a_value_asked_as_a_formula(tmp_path):
    text = T4 + "  - {id: T4.p, ask: x4, answer: formula}\n"
    results = grade(tmp_path, text, {"T4.p": "softmax(w2 @ relu(w1 * x + b1) + b2)"})
    assert results["T4.p"].correct
    results = grade(tmp_path, text, {"T4.p": "-softmax(x3)"})
    assert results["T4.p"].mistakes == ("sign-error",)
    results = grade(tmp_path, text, {"T4.p": "exp(x3) / sum(exp(x2))"})  # the wrong normaliser
    assert not results["T4.p"].correct and results["T4.p"].mistakes == ()
