"""Partial credit (contract §12) and tensor answers judged entry by entry (issue 10 §3–4).

Every expected number below is worked out by hand (or with plain numpy from the
definitions, independently of hwcheck's engine) in the comment or the code beside it.
"""

from __future__ import annotations

import csv
import io
import json
import textwrap

import numpy as np
import pytest
import yaml

from hwcheck import solve
from hwcheck.grade.diagnose import catalogue
from hwcheck.grade.grader import Grader
from hwcheck.grade.report import gradescope_json, report_csv
from hwcheck.grade.sheets import read_sheet
from hwcheck.problem import load_problem
from support import CONTRACT, PROBLEMS, run_cli

# -- problems of our own ------------------------------------------------------------------

# a = w·x + b = 7, z = a² = 49: dz/da = 2a = 14, dz/dw = 14·x = 28, dz/db = 14.
CHAIN = """
id: chain
kind: graph
inputs: {x: 2}
params: {w: 3, b: 1}
steps:
  a: w * x + b
  z: a * a
output: z
grading: {follow_through: 0.5, deduct: {sign-error: 0.25}}
questions:
  - {id: a, ask: dz/da, points: 2}
  - {id: w, ask: dz/dw, points: 2}
  - {id: b, ask: dz/db, points: 2, deduct: {sign-error: 1}}
"""

# A batch of N = 3 examples, one per row (as in PyTorch), 3 classes; L is the batch mean.
X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
Y = np.eye(3)
W = np.array([[0.2, -0.5, 0.1], [0.7, 0.1, -0.3]])
BATCH = """
id: batch-softmax
kind: graph
inputs:
  X: [[1, 0], [0, 1], [1, 1]]
  Y: [[1, 0, 0], [0, 1, 0], [0, 0, 1]]
params:
  W: [[0.2, -0.5, 0.1], [0.7, 0.1, -0.3]]
steps:
  Z: X @ W
  P: softmax(Z)
  L: cross_entropy(P, Y) / 3
output: L
questions:
  - {id: Z, ask: dL/dZ, partial: entries, deduct: {sign-error: 0.5, y-minus-p: 0.25}}
  - {id: W, ask: dL/dW, deduct: {transposed: 0.5}}
"""

# Least squares over a batch of 4: r = X·w − y = [−1, −0.25, −1.25, −0.75],
# L = mean(r²), dL/dw = (2/4)·Xᵀr = [−2.125, −2.125].
REGRESSION = """
id: batch-regression
kind: graph
inputs:
  X: [[1, 2], [0, 1], [2, 1], [1, 1]]
  y: [1, 0, 2, 1]
params:
  w: [0.5, -0.25]
steps:
  r: X @ w - y
  L: mean(r * r)
output: L
questions:
  - {id: w, ask: dL/dw}
"""


def _softmax_rows(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def grade(problem_path, answers: dict, tmp_path, name="s"):
    sheet = write(tmp_path, f"{name}.yaml", yaml.safe_dump({"student": name, "answers": answers}))
    grader = Grader(solve(load_problem(problem_path)))
    return grader, grader.grade(read_sheet(str(sheet)))


def results(problem_path, answers, tmp_path):
    return {r.id: r for r in grade(problem_path, answers, tmp_path)[1].results}


@pytest.fixture
def t4(tmp_path):
    """The contract's softmax_ce_t4 without its formula question (another helper's feature)."""
    text = "\n".join(line for line in (CONTRACT / "softmax_ce_t4.yaml").read_text(encoding="utf-8").splitlines() if "T4.rule" not in line)
    return write(tmp_path, "t4.yaml", text)


# -- partial: entries -------------------------------------------------------------------


def test_dave_earns_one_of_two_for_three_of_six_entries(t4, tmp_path):
    # dL/dw2 = (p − y)·x2ᵀ with x2 = [0.6, 0]: the second column is 0; dave wrote 1 there
    # and the first column right (within 1 %), so three of six entries are right.
    out = tmp_path / "r.json"
    done = run_cli("grade", t4, CONTRACT / "submissions" / "dave" / "answers.yaml", "--report", out)
    assert done.returncode == 1, done.stderr
    w2 = {r["id"]: r for r in json.loads(out.read_text())["sheets"][0]["results"]}["T4.w2"]
    assert (w2["earned"], w2["points"], w2["correct"], w2["status"]) == (1, 2, False, "wrong")
    assert w2["credit"] == {"rule": "entries", "right": 3, "of": 6}
    assert w2["feedback"] == "wrong: wrong entries: dL/dw2[0][1], dL/dw2[1][1] and dL/dw2[2][1]; 3 of 6 entries right: 1 of 2 points"


def test_without_partial_the_same_answer_scores_nothing(t4, tmp_path):
    plain = write(tmp_path, "plain.yaml", t4.read_text().replace(", partial: entries", ""))
    r = results(plain, {"T4.w2": [[0.1937, 1], [-0.3111, 1], [0.1175, 1]]}, tmp_path)["T4.w2"]
    assert (r.earned, r.credit) == (0, None)
    assert r.feedback == "wrong: wrong entries: dL/dw2[0][1], dL/dw2[1][1] and dL/dw2[2][1]"


def test_many_wrong_entries_are_named_the_first_few_then_counted(tmp_path):
    problem = write(tmp_path, "batch.yaml", BATCH)
    right = (_softmax_rows(X @ W) - Y) / 3
    answer = right.copy()
    answer[1:, :] += 1.0  # six entries wrong, three right
    r = results(problem, {"Z": answer.tolist()}, tmp_path)["Z"]
    assert "wrong entries: dL/dZ[1][0], dL/dZ[1][1], dL/dZ[1][2], dL/dZ[2][0] and 2 more" in r.feedback
    assert r.credit.plain() == {"rule": "entries", "right": 3, "of": 9}
    assert r.earned == pytest.approx(1 / 3)


def test_one_wrong_entry_of_a_vector_is_named(t4, tmp_path):
    # dL/dx3 = p − y = [0.322752, −0.518511, 0.195759] (the file's comment); entry 1 wrong.
    r = results(t4, {"T4.h": [0.3228, 0.5185, 0.1958]}, tmp_path)["T4.h"]
    assert r.feedback == "wrong: wrong entry: dL/dx3[1]"
    assert (r.earned, r.credit) == (0, None)  # T4.h has no partial credit


def test_a_wrong_shape_earns_no_entries(t4, tmp_path):
    r = results(t4, {"T4.w2": [1, 2, 3]}, tmp_path)["T4.w2"]
    assert (r.earned, r.credit) == (0, None)


# -- follow_through and deduct ----------------------------------------------------------


def test_an_error_carried_forward_earns_the_follow_through(tmp_path):
    problem = write(tmp_path, "chain.yaml", CHAIN)
    # dz/da written as 12 (wrong: 14); then dz/dw = 12·x = 24 follows from it.
    r = results(problem, {"a": 12, "w": 24}, tmp_path)
    assert (r["a"].earned, r["a"].credit) == (0, None)
    assert r["w"].mistakes == ("carried-forward",)
    assert r["w"].earned == 1
    assert r["w"].credit.plain() == {"rule": "follow_through", "fraction": 0.5}
    assert r["w"].feedback.endswith("; error carried forward, follow-through credit: 1 of 2 points")


def test_a_named_mistake_loses_the_deducted_fraction(tmp_path):
    problem = write(tmp_path, "chain.yaml", CHAIN)
    r = results(problem, {"w": -28, "b": -14}, tmp_path)
    # Problem-wide: sign-error costs a quarter: 1.5 of 2.
    assert r["w"].mistakes == ("sign-error",) and r["w"].earned == 1.5
    assert r["w"].credit.plain() == {"rule": "deduct", "code": "sign-error", "fraction": 0.25}
    assert r["w"].feedback == "wrong: the sign is flipped; 25% off for sign-error: 1.5 of 2 points"
    # The question's own deduct wins over the problem's: the sign costs everything here.
    assert r["b"].earned == 0 and r["b"].credit.plain() == {"rule": "deduct", "code": "sign-error", "fraction": 1.0}


def test_an_unexplained_wrong_answer_earns_nothing(tmp_path):
    problem = write(tmp_path, "chain.yaml", CHAIN)
    r = results(problem, {"w": 5}, tmp_path)["w"]
    assert (r.earned, r.credit, r.mistakes) == (0, None, ())


def test_two_explanations_are_both_named_and_the_kinder_deduction_applies(tmp_path):
    problem = write(tmp_path, "batch.yaml", BATCH)
    # y − p for the logits' gradient is also exactly the sign flipped: either one.
    r = results(problem, {"Z": ((Y - _softmax_rows(X @ W)) / 3).tolist()}, tmp_path)["Z"]
    assert r.mistakes == ("sign-error", "y-minus-p")
    assert r.diagnosis.startswith("either the sign is flipped, or the gradient of the loss")
    assert r.credit.plain() == {"rule": "deduct", "code": "y-minus-p", "fraction": 0.25}
    assert r.earned == 0.75


# -- tensor mistakes, found from the graph ----------------------------------------------


def test_a_transposed_matrix_is_recognised(tmp_path):
    problem = write(tmp_path, "batch.yaml", BATCH)
    right = X.T @ (_softmax_rows(X @ W) - Y) / 3  # dL/dW, 2×3
    r = results(problem, {"W": right.T.tolist()}, tmp_path)["W"]
    assert r.mistakes == ("transposed",)
    assert r.feedback == "wrong: your matrix is the transpose of the right one, which is 2×3; 50% off for transposed: 0.5 of 1 point"
    assert r.earned == 0.5


def test_a_symmetric_right_answer_is_not_called_transposed(tmp_path):
    problem = write(tmp_path, "sq.yaml", """
        id: square
        kind: graph
        inputs: {x: [1, 2]}
        params: {A: [[1, 2], [3, 4]]}
        steps:
          h: A @ x
          z: sum(h)
        output: z
        questions: [{id: A, ask: dz/dA}]
    """)
    # dz/dA = 1·xᵀ per row = [[1, 2], [1, 2]]; its transpose [[1, 1], [2, 2]] is a mistake, itself is right.
    assert results(problem, {"A": [[1, 1], [2, 2]]}, tmp_path)["A"].mistakes == ("transposed",)
    assert results(problem, {"A": [[1, 2], [1, 2]]}, tmp_path)["A"].correct


def test_a_missing_batch_mean_is_named(tmp_path):
    problem = write(tmp_path, "reg.yaml", REGRESSION)
    r = results(problem, {"w": [-8.5, -8.5]}, tmp_path)["w"]  # 4 × (−2.125)
    assert r.mistakes == ("missing-batch-mean",)
    assert r.diagnosis == "you left out the 1/4 of the mean over the batch of 4 examples in L"


def test_one_example_instead_of_the_batch_is_named(tmp_path):
    problem = write(tmp_path, "reg.yaml", REGRESSION)
    # Example 2 alone: d(r₂²)/dw = 2·r₂·X[2] = 2·(−1.25)·[2, 1] = [−5, −2.5].
    r = results(problem, {"w": [-5, -2.5]}, tmp_path)["w"]
    assert r.mistakes == ("one-example",)
    assert r.diagnosis.startswith("this is the gradient of example 2's loss alone")


def test_one_example_of_a_softmax_batch(tmp_path):
    problem = write(tmp_path, "batch.yaml", BATCH)
    p = _softmax_rows(X @ W)
    alone = np.outer(X[0], p[0] - Y[0])  # d(loss of example 0)/dW, no 1/3
    assert results(problem, {"W": alone.tolist()}, tmp_path)["W"].mistakes == ("one-example",)


def test_a_softmax_over_the_batch_axis_is_named(tmp_path):
    problem = write(tmp_path, "batch.yaml", BATCH)
    z = X @ W
    columns = np.exp(z) / np.exp(z).sum(axis=0, keepdims=True)  # normalised down each column
    r = results(problem, {"Z": ((columns - Y) / 3).tolist()}, tmp_path)["Z"]
    assert r.mistakes == ("softmax-axis",)
    assert "softmax in P over the wrong axis" in r.diagnosis


def test_no_batch_no_batch_diagnoses(t4):
    # softmax_ce_t4 is one example (x is a number): no batch, so none of these can be claimed.
    solution = solve(load_problem(t4))
    codes = {m.code for m in solution.mistakes("dL/dw2", {})} | {m.code for m in solution.mistakes("dL/dx3", {})}
    assert not codes & {"missing-batch-mean", "one-example", "softmax-axis"}


def test_every_code_a_graph_produces_is_in_the_catalogue(tmp_path):
    paths = [write(tmp_path, f"{i}.yaml", text) for i, text in enumerate((CHAIN, BATCH, REGRESSION))]
    paths += [p for p in sorted(PROBLEMS.glob("*.yaml")) if "kind: graph" in p.read_text()]
    known = catalogue("graph")
    for path in paths:
        solution = solve(load_problem(path))
        for q in solution.problem.questions:
            assert {m.code for m in solution.mistakes(q.ask, {})} <= set(known), (path.name, q.ask)


# -- loading ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "old, new, where, message",
    [
        ("deduct: {sign-error: 0.25}", "deduct: {sign-eror: 0.25}", "10:41",
         "deduct: unknown mistake code 'sign-eror' (did you mean 'sign-error'?)"),
        ("follow_through: 0.5", "follow_through: 1.5", "10:27", "follow_through is a fraction from 0 to 1 (of the question's points), not 1.5"),
        ("{sign-error: 1}", "{sign-error: -1}", "14:57", "deduct sign-error is a fraction from 0 to 1"),
        ("{sign-error: 1}", "{sign-error: half}", "14:57", "deduct sign-error: 'half' is not a number"),
        ("follow_through: 0.5,", "follow_thru: 0.5,", "10:11", "unknown grading key 'follow_thru' (did you mean 'follow_through'?)"),
        ("points: 2, deduct", "points: 2, partial: entry, deduct", "14:45", "partial: unknown rule 'entry' (did you mean 'entries'?); write partial: entries"),
    ],
)
def test_bad_credit_keys_are_load_errors(tmp_path, old, new, where, message):
    assert old in CHAIN
    problem = write(tmp_path, "chain.yaml", CHAIN.replace(old, new, 1))
    done = run_cli("solve", problem)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert f"chain.yaml:{where}: " in done.stderr and message in done.stderr, done.stderr


@pytest.mark.parametrize(
    "text, old, new, where, message",
    [
        # dz/da is a scalar (a = 7 is one number): line 12 of CHAIN, the question's "{" at column 5.
        (CHAIN, "ask: dz/da, points: 2", "ask: dz/da, points: 2, partial: entries", "12:5",
         "question 'a': partial: entries is for tensor answers (this one is a number); remove it"),
        # one entry of the 3×3 dL/dZ is a number: line 16 of BATCH.
        (BATCH, "ask: dL/dW, deduct", "ask: 'dL/dZ[0, 1]', partial: entries, deduct", "16:5",
         "question 'W': partial: entries is for tensor answers (this one is a number); remove it"),
        # a formula is judged as a function, never entry by entry: T4.rule, line 27.
        ("", "answer: formula, points: 3", "answer: formula, points: 3, partial: entries", "27:5",
         "question 'T4.rule': partial: entries is for tensor answers (this one is a formula); remove it"),
    ],
)
def test_partial_entries_on_a_question_that_is_no_tensor_is_a_load_error(tmp_path, text, old, new, where, message):
    text = text or (CONTRACT / "softmax_ce_t4.yaml").read_text(encoding="utf-8")
    assert old in text
    problem = write(tmp_path, "p.yaml", text.replace(old, new, 1))
    done = run_cli("solve", problem)
    assert done.returncode == 2 and done.stderr == f"error: {problem}:{where}: {message}\n", done.stderr


@pytest.mark.parametrize(
    "old, new, where, kind",
    [("{id: T2.B, ask: B}", "{id: T2.B, ask: B, partial: entries}", "15:5", "a shape"),
     ("{id: T3, ask: params, points: 3}", "{id: T3, ask: params, points: 3, partial: entries}", "17:5", "a parameter count")],
)
def test_partial_entries_on_an_architecture_question_is_a_load_error(tmp_path, old, new, where, kind):
    text = (PROBLEMS / "mlp_params.yaml").read_text(encoding="utf-8")
    assert old in text
    problem = write(tmp_path, "p.yaml", text.replace(old, new, 1))
    done = run_cli("solve", problem)
    qid = old.split(",")[0].removeprefix("{id: ")
    assert done.returncode == 2 and done.stderr == (f"error: {problem}:{where}: question '{qid}': partial: entries is for tensor "
                                                    f"answers (this one is {kind}); remove it\n"), done.stderr


def test_partial_entries_problem_wide_stays_allowed_and_applies_to_tensors_only(tmp_path):
    # CHAIN's questions are all scalars, mlp_params' shapes and counts: a problem-wide default
    # is still accepted (it applies to the tensor questions, here none).
    chain = load_problem(write(tmp_path, "chain.yaml", CHAIN.replace("grading: {", "grading: {partial: entries, ")))
    assert chain.grading.partial == "entries"
    text = (PROBLEMS / "mlp_params.yaml").read_text(encoding="utf-8") + "grading: {partial: entries}\n"
    assert load_problem(write(tmp_path, "mlp.yaml", text)).grading.partial == "entries"
    # and a tensor question keeps its own: T4.w2 (dL/dw2, 3×2) in the contract's example.
    t4 = load_problem(CONTRACT / "softmax_ce_t4.yaml")
    assert [q.id for q in t4.questions if q.credit.partial == "entries"] == ["T4.w2"]


def test_architecture_deduct_codes_come_from_the_layer_catalogue(tmp_path):
    text = (PROBLEMS / "mlp_params.yaml").read_text(encoding="utf-8")
    good = write(tmp_path, "good.yaml", text + "grading: {deduct: {forgot-bias: 0.5}}\n")
    assert dict(load_problem(good).grading.deduct) == {"forgot-bias": 0.5}
    bad = write(tmp_path, "bad.yaml", text + "grading: {deduct: {missing-path: 0.5}}\n")
    done = run_cli("solve", bad)
    assert done.returncode == 2 and "unknown mistake code 'missing-path'" in done.stderr


# -- the outputs say how each score was reached -----------------------------------------


def test_the_terminal_shows_a_partly_right_answer_and_its_points(t4, tmp_path):
    from rich.console import Console

    from hwcheck.grade.terminal import sheet_table

    _, sheet = grade(t4, {"T4.w2": [[0.1937, 1], [-0.3111, 1], [0.1175, 1]]}, tmp_path)
    console = Console(record=True, width=300)
    console.print(sheet_table(sheet))
    row = next(line for line in console.export_text().splitlines() if "T4.w2" in line)
    assert "◐ partly" in row and " 1/2 " in row and "3 of 6 entries right: 1 of 2 points" in row


def test_csv_and_gradescope_carry_the_points_and_the_explanation(t4, tmp_path):
    grader, sheet = grade(t4, {"T4.w2": [[0.1937, 1], [-0.3111, 1], [0.1175, 1]], "T4.L": 0.7309}, tmp_path)
    row = next(csv.DictReader(io.StringIO(report_csv(grader.problem, [sheet]))))
    assert (row["T4.w2"], row["Total"]) == ("1", "2")
    assert row["Partial credit"] == "T4.w2: 3 of 6 entries right: 1 of 2 points"
    test = {t["number"]: t for t in json.loads(gradescope_json(grader.problem, sheet))["tests"]}["T4.w2"]
    assert (test["score"], test["max_score"], test["status"]) == (1, 2, "failed")
    assert "3 of 6 entries right: 1 of 2 points" in test["output"]


def test_the_schema_knows_the_credit_keys_and_codes():
    jsonschema = pytest.importorskip("jsonschema")
    from hwcheck.schema import problem_schema

    validator = jsonschema.Draft202012Validator(problem_schema())
    good = yaml.safe_load(textwrap.dedent(CHAIN))
    assert list(validator.iter_errors(good)) == []
    for bad in ({**good, "grading": {"deduct": {"sign-eror": 0.5}}}, {**good, "grading": {"follow_through": 2}},
                {**good, "grading": {"partial": "entry"}}, {**good, "grading": {"folow_through": 0.5}}):
        assert list(validator.iter_errors(bad)), bad


def test_each_kind_has_its_own_catalogue():
    graph, architecture = catalogue("graph"), catalogue("architecture")
    assert {"sign-error", "transposed", "missing-batch-mean", "one-example", "softmax-axis", "carried-forward"} <= set(graph)
    assert {"forgot-bias", "carried-forward"} <= set(architecture) and "missing-path" not in architecture


def test_a_division_by_n_that_is_not_a_batch_mean_is_not_called_one(tmp_path):
    # s = h / 3 divides each example's value (3 happens to be N), before the loss sums them:
    # leaving it out gives 9× (it is squared), and no batch mean exists to name.
    problem = write(tmp_path, "div.yaml", """
        id: not-a-mean
        kind: graph
        inputs: {X: [[1, 2], [3, 4], [5, 6]]}
        params: {w: [0.5, -1]}
        steps:
          h: X @ w
          s: h / 3
          L: sum(s * s)
        output: L
        questions: [{id: w, ask: dL/dw}]
    """)
    solution = solve(load_problem(problem))
    assert "missing-batch-mean" not in {m.code for m in solution.mistakes("dL/dw", {})}
    # h = [−1.5, −2.5, −3.5]; dL/dw = (2/9)·Xᵀh = (2/9)·[−26.5, −34] — and 9× that is just wrong.
    assert solution.expected("dL/dw").value == pytest.approx(np.array([-26.5, -34.0]) * 2 / 9)
