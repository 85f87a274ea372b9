"""What the student is told: expected values only for staff, kinks, wrong forms."""

import numpy as np

from hwcheck.grade import Grader
from hwcheck.grade.model import ALTERNATIVE, WRONG
from hwcheck.grade.sheets import Entry, Sheet
from test_grade_fakes import kink_solution, residual_solution


def grade(solution, answers, show=False):
    return Grader(solution, show_answers=show).grade(Sheet("s.yaml", "s", [Entry(k, v) for k, v in answers.items()]))


def test_expected_values_are_hidden_by_default():
    sheet = grade(residual_solution(), {"T1.x0": -0.06, "T1.z": 0.62})
    for r in sheet.results:
        assert r.expected is None and "0.94" not in r.feedback and "expected" not in r.feedback


def test_expected_values_are_shown_to_staff():
    results = {r.id: r for r in grade(residual_solution(), {"T1.x0": -0.06}, show=True).results}
    assert results["T1.x0"].expected == 0.94
    assert results["T1.x0"].feedback.endswith("; expected 0.94")
    assert results["T1.z"].feedback == "missing: no answer given; expected 0.62"


def test_other_subgradient_accepted_with_a_note():
    results = {r.id: r for r in grade(kink_solution(), {"K": 1}).results}
    k = results["K"]
    assert k.status == ALTERNATIVE and k.correct and k.earned == 1
    assert k.feedback == "correct (at the kink relu'(0) = 1 is also a valid subgradient)"


def test_matrix_answers_element_wise_and_wrong_shape_named():
    results = {r.id: r for r in grade(kink_solution(), {"V": [[0.5, "-1/4"], [0.125, 2]]}).results}
    assert results["V"].correct and results["V"].answer == [[0.5, -0.25], [0.125, 2.0]]
    results = {r.id: r for r in grade(kink_solution(), {"V": [0.5, -0.25, 0.125, 2]}).results}
    assert results["V"].status == WRONG
    assert results["V"].feedback == "wrong: expected a 2×2 matrix, got a vector of 4 numbers"


def test_expected_matrix_shown_as_plain_lists():
    results = {r.id: r for r in grade(kink_solution(), {}, show=True).results}
    assert results["V"].expected == [[0.5, -0.25], [0.125, 2.0]]
    assert isinstance(results["V"].expected[0][0], float)
    assert not isinstance(results["V"].expected, np.ndarray)
