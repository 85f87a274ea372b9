"""Right or wrong: the contract's tolerance rule (§4), exactness, kinks and rounding.

``|a − e| ≤ abs + rel·|e|``, element-wise for tensors; shapes and parameter counts must be
exactly equal. An answer that matches another valid subgradient at a kink
(``Expected.alternatives``) is correct with a note. A wrong real answer that is the
expected value rounded (or cut) to the number of significant figures the student wrote
is called out as rounded too coarsely, because "wrong" would send the student looking for
a mistake in the working that is not there.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal, localcontext
from typing import Any, Iterable

import numpy as np

from ..common import Tolerance
from ..solution import Expected
from .answers import COUNT, SCALAR, SHAPE, TENSOR, Target, describe_array


@dataclass(frozen=True, slots=True)
class Verdict:
    correct: bool
    note: str | None = None  # the alternative accepted at a kink
    form_problem: str | None = None  # the answer has the wrong form (list for a number...)
    rounding: "Rounding | None" = None


@dataclass(frozen=True, slots=True)
class Rounding:
    written: int  # significant figures the student wrote (fewest over the elements)
    needed: int  # significant figures that would have been inside the tolerance


def same(answer: Any, target: Target, tolerance: Tolerance) -> bool:
    """Whether ``answer`` (as read by :func:`read_answer`) equals ``target`` under the rule."""
    if target.form == COUNT:
        return isinstance(answer, int) and answer == target.value
    if target.form == SHAPE:
        return isinstance(answer, tuple) and answer == target.value
    if target.form == SCALAR:
        return isinstance(answer, float) and tolerance.allows(answer, target.value)
    if not isinstance(answer, np.ndarray) or answer.shape != target.value.shape:
        return False
    return tolerance.allows(answer, target.value)


def entries_right(answer: Any, target: Target, tolerance: Tolerance) -> np.ndarray | None:
    """For a tensor answer of the expected shape, which entries are inside the tolerance."""
    if target.form != TENSOR or not isinstance(answer, np.ndarray) or answer.shape != target.value.shape:
        return None
    return tolerance.close(answer, target.value)


def form_problem(answer: Any, target: Target) -> str | None:
    """Why ``answer`` cannot be equal whatever its numbers: 'expected a vector of 3 numbers, ...'."""
    if target.form == COUNT:
        if isinstance(answer, float):
            return f"a parameter count is a whole number, not {answer:g}"
        return None
    if target.form == SHAPE:
        if len(answer) != len(target.value):
            return f"expected {target.describe()}, got {len(answer)}"
        if any(isinstance(d, float) for d in answer):
            return "every size in a shape is a whole number"
        return None
    got = np.shape(answer)
    want = () if target.form == SCALAR else target.value.shape
    if got != want:
        return f"expected {target.describe()}, got {describe_array(got)}"
    return None


def judge(answer: Any, written: Any, target: Target, expected: Expected, tolerance: Tolerance) -> Verdict:
    """The verdict on one readable answer; ``written`` is the raw YAML value (for rounding)."""
    if same(answer, target, tolerance):
        return Verdict(True)
    problem = form_problem(answer, target)
    if problem:
        return Verdict(False, form_problem=problem)
    for alternative in expected.alternatives:
        if same(answer, Target.of(alternative.value, target.exact), tolerance):
            return Verdict(True, note=alternative.note)
    if target.form in (SCALAR, TENSOR):
        return Verdict(False, rounding=rounding(answer, written, target, tolerance))
    return Verdict(False)


def rounding(answer: Any, written: Any, target: Target, tolerance: Tolerance) -> Rounding | None:
    """A :class:`Rounding` when every element is right or the right value cut short."""
    answers = np.ravel(answer)
    expected = np.ravel(target.value)
    texts = list(_flatten(written)) if isinstance(written, (list, tuple)) else [written]
    if len(texts) != answers.size:
        return None
    fewest = None
    for a, e, text in zip(answers.tolist(), expected.tolist(), texts):
        if tolerance.allows(a, e):
            continue
        digits = significant_figures(text)
        if digits is None or not _is_cut_short(a, e, digits):
            return None
        fewest = digits if fewest is None else min(fewest, digits)
    if fewest is None:
        return None
    needed = max(figures_needed(e, tolerance) for e in expected.tolist())
    return Rounding(fewest, max(needed, fewest + 1))


def significant_figures(written: Any) -> int | None:
    """Significant figures in a number as written: '0.90' → 2, '0.9' → 1, '100' → 1.

    None for what has no such count: fractions (exact), non-numbers. A YAML float has lost
    its text, but its shortest repr is what was written except for trailing zeros.
    """
    if isinstance(written, bool) or written is None:
        return None
    if isinstance(written, float):
        text = repr(written)
    elif isinstance(written, int):
        text = str(written)
    elif isinstance(written, str):
        text = written.strip().replace("\u2212", "-")
    else:
        return None
    text = text.lstrip("+-").lower()
    mantissa = text.split("e")[0]
    if not mantissa or "/" in mantissa or not mantissa.replace(".", "", 1).isdigit():
        return None
    digits = mantissa.replace(".", "").lstrip("0")
    if "." not in mantissa:
        digits = digits.rstrip("0")  # 100 is taken as one figure, the charitable reading
    return max(len(digits), 1)


def figures_needed(expected: float, tolerance: Tolerance, limit: int = 15) -> int:
    """Fewest significant figures whose rounding of ``expected`` is inside the tolerance."""
    for digits in range(1, limit + 1):
        if tolerance.allows(round_sig(expected, digits), expected):
            return digits
    return limit


def round_sig(x: float, digits: int) -> float:
    return float(f"{x:.{digits - 1}e}") if x != 0 else 0.0


def _is_cut_short(answer: float, expected: float, digits: int) -> bool:
    """The answer equals ``expected`` rounded, or truncated, to ``digits`` significant figures."""
    if expected == 0:
        return False
    candidates = [round_sig(expected, digits), _truncate_sig(expected, digits)]
    return any(math.isclose(answer, c, rel_tol=1e-9, abs_tol=1e-300) for c in candidates)


def _truncate_sig(x: float, digits: int) -> float:
    d = Decimal(repr(x))
    exponent = d.adjusted() - digits + 1
    with localcontext() as context:
        context.prec = max(context.prec, digits + 30)  # an answer may carry 30+ digits
        return float(d.quantize(Decimal(1).scaleb(exponent), rounding=ROUND_DOWN))


def _flatten(value: Any) -> Iterable[Any]:
    for item in value:
        if isinstance(item, (list, tuple)):
            yield from _flatten(item)
        else:
            yield item
