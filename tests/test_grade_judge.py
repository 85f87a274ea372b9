"""The contract's tolerance rule, exactness, kinks and the rounding message."""

import numpy as np
import pytest

from hwcheck.grade.answers import Target
from hwcheck.grade.judge import figures_needed, judge, same, significant_figures
from hwcheck.problem import Tolerance
from hwcheck.solution import Alternative, Expected

DEFAULT = Tolerance()  # rel 0.01, abs 1e-6


def verdict(answer, expected_value, exact=False, tolerance=DEFAULT, written=None, alternatives=()):
    expected = Expected("q", expected_value, exact, alternatives)
    return judge(answer, answer if written is None else written, Target.of(expected_value, exact), expected, tolerance)


def test_relative_and_absolute_tolerance():
    # |a - e| <= 1e-6 + 0.01·0.94 = 0.009401
    assert same(0.949, Target.of(0.94, False), DEFAULT)
    assert not same(0.9495, Target.of(0.94, False), DEFAULT)
    assert same(0.0000009, Target.of(0.0, False), DEFAULT)  # only abs applies at zero
    assert same(0.05, Target.of(0.0, False), Tolerance(abs=0.1, rel=0))


def test_three_significant_figures_pass_by_default():
    assert same(0.333, Target.of(1 / 3, False), DEFAULT)
    assert same(-0.0667, Target.of(-1 / 15, False), DEFAULT)


def test_shapes_and_counts_are_exact():
    assert same((1024,), Target.of([1024], True), DEFAULT)
    assert not same((1023,), Target.of([1024], True), Tolerance(rel=1, abs=100))
    assert not same(557056, Target.of(557057, True), Tolerance(rel=1, abs=100))


def test_tensors_element_wise():
    target = Target.of(np.array([[1.0, -2.0], [0.5, 0.0]]), False)
    assert same(np.array([[1.005, -2.01], [0.5, 0.0]]), target, DEFAULT)
    assert not same(np.array([[1.0, -2.0], [0.5, 0.01]]), target, DEFAULT)  # one element out
    assert not same(np.array([1.0, -2.0, 0.5, 0.0]), target, DEFAULT)  # same numbers, wrong shape


def test_wrong_form_is_named():
    v = verdict(np.array([0.1, 0.2]), 0.4)
    assert not v.correct and v.form_problem == "expected a single number, got a vector of 2 numbers"
    v = verdict(0.4, np.array([[1.0, 2.0], [3.0, 4.0]]))
    assert v.form_problem == "expected a 2×2 matrix, got a single number"
    v = verdict((16, 32), [16, 32, 32], exact=True)
    assert "list of 3 whole numbers" in v.form_problem


def test_other_subgradient_at_a_kink_is_accepted_with_a_note():
    alt = (Alternative(1.0, "relu'(0) = 1 is also a valid subgradient"),)
    assert verdict(0.0, 0.0, alternatives=alt).correct and verdict(0.0, 0.0, alternatives=alt).note is None
    v = verdict(1.0, 0.0, alternatives=alt)
    assert v.correct and v.note == "relu'(0) = 1 is also a valid subgradient"
    assert not verdict(0.5, 0.0, alternatives=alt).correct


@pytest.mark.parametrize("written, figures", [(0.9, 1), ("0.90", 2), (0.94, 2), (100, 1), ("1.0e-3", 2), ("2/5", None), (-0.06, 1), ("abc", None)])
def test_significant_figures_as_written(written, figures):
    assert significant_figures(written) == figures


def test_rounded_too_coarsely_is_said_instead_of_wrong():
    # expected 1/3; 0.3 is 1/3 to one figure, outside 1 %; 0.33 is inside (|0.0033| ≤ 0.0033 + 1e-6).
    v = verdict(0.3, 1 / 3)
    assert not v.correct and v.rounding is not None
    assert (v.rounding.written, v.rounding.needed) == (1, 2)
    # truncation counts too: 0.9 is 0.96 cut (not rounded) to one figure
    assert verdict(0.9, 0.96).rounding is not None and verdict(1.0, 0.96).correct is False
    # a genuinely wrong answer is not "rounded"
    assert verdict(0.4, 1 / 3).rounding is None
    # inside the tolerance it is simply correct
    assert verdict(0.333, 1 / 3).correct


def test_rounding_in_tensors_needs_every_element_right_or_cut_short():
    expected = np.array([1 / 3, 2.0])
    assert verdict(np.array([0.3, 2.0]), expected, written=[0.3, 2]).rounding is not None
    assert verdict(np.array([0.3, 2.5]), expected, written=[0.3, 2.5]).rounding is None


def test_figures_needed():
    assert figures_needed(1 / 3, DEFAULT) == 2
    assert figures_needed(2 / 3, Tolerance(rel=0.001, abs=0)) == 3  # 0.67 is 0.5 % off, 0.667 is 0.05 %
    assert figures_needed(0.94, DEFAULT) == 2
    assert figures_needed(123456.0, Tolerance(rel=0.0001, abs=0)) == 5
