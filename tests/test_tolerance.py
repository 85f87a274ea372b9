"""Tolerance (contract §4): |answer − expected| ≤ abs + rel·|expected|, with infinite and
NaN values compared as the grader must — inf equals inf, NaN equals nothing, a number is
never close to an infinity — and no RuntimeWarning from overflow on the way (each test
here turns warnings into errors)."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hwcheck.common import Tolerance

pytestmark = pytest.mark.filterwarnings("error")

BIG = 1.7976931348623157e308  # the largest float
INF, NAN = math.inf, math.nan
# (answer, expected, verdict under the default rel 0.01, abs 1e-6), worked out by hand.
CASES = [
    (1e308, -1e308, False),  # the difference, 2e308, is past the largest float
    (-BIG, BIG, False),
    (BIG, BIG, True),
    (BIG, 1.79e308, True),  # 7.7e305 apart, within 1% of 1.79e308 (1.79e306)
    (1e308, 1.79e308, False),
    (INF, INF, True),
    (-INF, -INF, True),
    (-INF, INF, False),
    (INF, BIG, False),
    (BIG, INF, False),
    (INF, 1.0, False),
    (NAN, NAN, False),
    (NAN, 1.0, False),
    (1.0, NAN, False),
    (NAN, INF, False),
    (1.005, 1.0, True),
    (1.02, 1.0, False),
]


@pytest.mark.parametrize("answer, expected, verdict", CASES)
def test_huge_and_non_finite_scalars(answer, expected, verdict):
    tolerance = Tolerance()
    assert tolerance.allows(answer, expected) is verdict
    assert tolerance.allows(np.float64(answer), np.float64(expected)) is verdict  # float64 is a float: the fast path
    assert tolerance.close(answer, expected).tolist() is verdict  # the array path, 0-d


def test_entry_by_entry():
    answers, expected, verdicts = zip(*CASES)
    got = Tolerance().close(np.array(answers), np.array(expected))
    assert got.tolist() == list(verdicts)
    assert Tolerance().allows(np.array(answers), np.array(expected)) is False
    assert Tolerance().allows(np.array([INF, BIG]), np.array([INF, BIG])) is True


def test_a_bound_that_overflows_still_needs_a_finite_answer():
    """rel 2 at 1e308 puts the bound past the largest float (inf): any number is then
    close, but an infinite answer is not a number near 1e308."""
    loose = Tolerance(rel=2.0, abs=0.0)
    assert loose.allows(-1e308, 1e308) is True  # 2e308 ≤ 2·1e308, as exact arithmetic says
    assert loose.allows(INF, 1e308) is False and loose.close(INF, 1e308).tolist() is False
    assert loose.allows(NAN, 1e308) is False


SPECIAL = st.sampled_from([0.0, -0.0, 1.0, -1.0, 1e-300, 5e-324, 1e308, -1e308, BIG, -BIG, INF, -INF, NAN])
NUMBERS = st.one_of(SPECIAL, st.floats(allow_nan=True, allow_infinity=True))


def exact_verdict(answer: float, expected: float, rel: float, abs_: float) -> bool | None:
    """The rule in exact arithmetic; None where rounding could decide (within 1e-9 of the bound)."""
    if math.isnan(expected) or math.isnan(answer):
        return False
    if math.isinf(expected):
        return answer == expected
    if math.isinf(answer):
        return False
    gap = abs(Fraction(answer) - Fraction(expected))
    bound = Fraction(abs_) + Fraction(rel) * abs(Fraction(expected))
    if abs(gap - bound) <= bound / 10**9:
        return None
    return gap <= bound


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(NUMBERS, NUMBERS, st.sampled_from([(0.01, 1e-6), (0.0, 0.0), (1e-9, 0.5), (3.0, 0.0)]))
def test_agrees_with_exact_arithmetic_on_any_floats(answer, expected, tolerance):
    rel, abs_ = tolerance
    verdict = exact_verdict(answer, expected, rel, abs_)
    rule = Tolerance(rel=rel, abs=abs_)
    fast, entry = rule.allows(answer, expected), rule.close(np.array([answer]), np.array([expected]))
    assert fast == bool(entry[0])
    if verdict is not None:
        assert fast is verdict, (answer, expected, tolerance)
