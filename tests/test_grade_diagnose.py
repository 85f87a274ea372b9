"""Diagnosis: every mistake whose value matches is named; the sheet's other answers reach the solver."""

from hwcheck.errors import UnknownAsk
from hwcheck.grade import Grader
from hwcheck.grade.model import ROUNDED, WRONG
from hwcheck.grade.sheets import Sheet, Entry
from hwcheck.solution import Mistake
from test_grade_fakes import mlp_solution, residual_solution


def sheet(answers: dict, student="s") -> Sheet:
    return Sheet(f"{student}.yaml", student, [Entry(k, v) for k, v in answers.items()])


def result(grader, answers, qid):
    return {r.id: r for r in grader.grade(sheet(answers)).results}[qid]


def test_the_skip_path_left_out():
    r = result(Grader(residual_solution()), {"T1.x0": -0.06}, "T1.x0")
    assert r.status == WRONG and r.mistakes == ("missing-path",)
    assert r.diagnosis == "you left out the skip connection x0 → yx"
    assert r.feedback == "wrong: you left out the skip connection x0 → yx"


def test_every_mistake_with_the_same_value_is_named():
    r = result(Grader(mlp_solution()), {"T3": 555520}, "T3")
    assert r.mistakes == ("forgot-bias", "forgot-plus-one")
    assert r.diagnosis == "either you left out the biases (1024 + 512 + 1), or you forgot the +1 for each unit's bias"


def test_mistake_values_match_within_the_question_tolerance():
    r = result(Grader(residual_solution()), {"T1.x0": -0.0601}, "T1.x0")
    assert r.mistakes == ("missing-path",)
    assert result(Grader(residual_solution()), {"T1.x0": -0.07}, "T1.x0").mistakes == ()


def test_the_solvers_work_is_reused_across_sheets():
    solution = residual_solution()
    grader = Grader(solution)
    for name in ("a", "b", "c"):
        grader.grade(sheet({"T1.x0": -0.06, "T1.z": 0.62, "T1.w0": -0.2}, name))
    assert len(solution.mistake_calls) == 1
    grader.grade(sheet({"T1.x0": -0.06, "T1.z": 0.5}, "d"))  # a different wrong answer elsewhere
    assert len(solution.mistake_calls) == 3  # dz/dx0 with z = 0.5 passed, and z itself


def test_mistakes_are_only_asked_for_wrong_answers():
    solution = residual_solution()
    Grader(solution).grade(sheet({"T1.x0": 0.94, "T1.z": 0.62}))
    assert solution.mistake_calls == []


def test_other_answers_are_passed_keyed_by_ask_and_carried_forward_is_named():
    solution = residual_solution()

    def db0_mistakes(answers):
        # dz/db0 = dz/dxwb0 · 1 and dz/dw0 = dz/dxwb0 · x0 with x0 = 1: the same number, so a
        # wrong dz/dw0 carried forward gives the same wrong dz/db0.
        if "dz/dw0" in answers:
            return [Mistake("carried-forward", "consistent with your own dz/dw0; the error is carried forward", answers["dz/dw0"])]
        return []

    solution._mistakes["dz/db0"] = db0_mistakes
    r = result(Grader(solution), {"T1.w0": 0.2, "T1.b0": 0.2, "T1.z": "2/5", "T1.w1": 0.401, "T1.b1": 1, "T1.x0": "junk"}, "T1.b0")
    assert r.mistakes == ("carried-forward",) and "carried forward" in r.feedback
    asked = dict(solution.mistake_calls)
    # the sheet's other readable answers judged wrong, keyed by ask, never the question's
    # own answer; right answers — dz/db1 = 1, and 0.401 within the tolerance of 0.4 — cannot
    # carry an error forward and are left out.
    assert asked["dz/db0"] == {"dz/dw0": 0.2, "z": 0.4}


def test_a_mistake_of_another_form_never_matches():
    solution = mlp_solution()
    solution._mistakes["params"] = [Mistake("odd", "a shape where a count belongs", [555520])]
    assert result(Grader(solution), {"T3": 555520}, "T3").mistakes == ()


def test_rounding_and_a_mistake_are_both_said():
    solution = residual_solution()
    solution._mistakes["dz/dx0"] = [Mistake("slip", "a slip that happens to give 0.9", 0.9)]
    r = result(Grader(solution), {"T1.x0": 0.9}, "T1.x0")
    assert r.status == ROUNDED and r.mistakes == ("slip",)
    assert r.feedback.startswith("close, but rounded too coarsely: 1 significant figure is outside the tolerance; give at least 2")


def test_solver_without_mistakes_for_an_ask():
    solution = residual_solution()

    def boom(answers):
        raise UnknownAsk("no mistakes known")

    solution._mistakes["dz/db1"] = boom
    assert result(Grader(solution), {"T1.b1": 3}, "T1.b1").feedback == "wrong"
