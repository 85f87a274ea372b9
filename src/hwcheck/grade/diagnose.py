"""Naming the mistakes a wrong answer matches.

Generating the typical mistakes is the solvers' job (``Solution.mistakes``); here we only
compare the student's answer with each mistake's value, by the question's own rule, and
keep every one that matches: when two different slips give the same number we cannot
tell which one the student made, so both are named — once each: of two matches of one
code (two roundings), the one nearer the answer.
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from ..common import Tolerance
from ..errors import UnknownAsk
from ..solution import Mistake, Solution
from .answers import Target
from .judge import same

CARRIED_FORWARD = "carried-forward"
TRANSPOSED = "transposed"


def matching_mistakes(
    solution: Solution,
    ask: str,
    answer: Any,
    target: Target,
    tolerance: Tolerance,
    other_answers: Mapping[str, Any],
) -> list[Mistake]:
    """The solver's mistakes for ``ask`` whose value equals ``answer``, in the solver's order,
    one per code.

    ``other_answers`` are the student's answers to the other questions on the same sheet,
    keyed by ask text, so the solver can recognise an error carried forward. Two matches
    of one code are one slip told two ways (σ rounded to 1 decimal, or σ and tanh to 2):
    "either ... or ..." is kept for different slips, and of the same code the one whose
    value is nearer the answer is named (the first in the solver's order on a tie), in the
    place of the first.
    """
    mistakes = _mistakes(solution, ask, other_answers)
    best: dict[str, tuple[float, Mistake]] = {}  # code → (misfit, mistake), in order of first match
    for mistake in mistakes:
        try:
            value = Target.of(mistake.value, target.exact)
        except (TypeError, ValueError):  # a value of another form cannot match
            continue
        if value.form == target.form and same(answer, value, tolerance):
            misfit = 0.0 if value.exact else tolerance.misfit(answer, value.value)  # counts and shapes match exactly
            if mistake.code not in best or misfit < best[mistake.code][0]:
                best[mistake.code] = (misfit, mistake)
    return [mistake for _, mistake in best.values()]


class MistakeCache:
    """Remembers ``solution.mistakes(ask, answers)`` per ask and answers.

    In a class, the same wrong answers come back again and again, and working out a
    graph's mistakes takes far longer than judging a sheet; the result depends only on
    the ask and the answers passed, so it can be reused. Bounded, so a huge class with
    all-different answers cannot grow it without limit.
    """

    def __init__(self, solution: Solution, limit: int = 20_000):
        self.solution = solution
        self.problem = solution.problem
        self.limit = limit
        self._seen: dict = {}

    def mistakes(self, ask: str, answers: Mapping[str, Any] | None = None) -> list[Mistake]:
        key = (ask, tuple(sorted((k, _frozen(v)) for k, v in (answers or {}).items())))
        found = self._seen.get(key)
        if found is None:
            if len(self._seen) >= self.limit:
                self._seen.clear()
            found = self._seen[key] = _mistakes(self.solution, ask, answers or {})
        return found


def _mistakes(solution: Solution, ask: str, answers: Mapping[str, Any]) -> list[Mistake]:
    try:
        return list(solution.mistakes(ask, answers))
    except (UnknownAsk, NotImplementedError):  # a solver with nothing to say about this ask
        return []


def _frozen(value: Any) -> Any:
    return tuple(_frozen(v) for v in value) if isinstance(value, list) else value


def transposed(answer: Any, target: Target, tolerance: Tolerance) -> Mistake | None:
    """``transposed`` when ``answer`` is a matrix whose transpose is right (and it is not
    itself right: a symmetric matrix is never called transposed)."""
    if not isinstance(answer, np.ndarray) or answer.ndim != 2 or not isinstance(target.value, np.ndarray) or target.value.ndim != 2:
        return None
    if answer.T.shape != target.value.shape or not tolerance.allows(answer.T, target.value):
        return None
    rows, columns = target.value.shape
    return Mistake(TRANSPOSED, f"your matrix is the transpose of the right one, which is {rows}×{columns}", None)


def catalogue(kind: str) -> dict[str, str]:
    """Every mistake code a question of this kind can be diagnosed with → what it means."""
    # Deliberately lazy: a kind's catalogue loads its solver's mistakes, and problem.py asks
    # for it while loading (deduct:), before any solver is needed.
    if kind == "graph":
        from ..graph.mistakes import MISTAKES  # deliberate: only the problem's kind's modules load (start-up time)
    elif kind == "code":
        from ..code.mistakes import CATALOGUE as MISTAKES  # deliberate: as above
    else:
        from ..architecture.layers import MISTAKES  # deliberate: as above
    return {**MISTAKES, CARRIED_FORWARD: "an error carried forward from the student's own earlier answers"}


def describe(mistakes: list[Mistake]) -> str | None:
    """The diagnosis line: every matching mistake, in plain words; None when there is none.

    Two or more mistakes that give the same number are all named, as alternatives: we
    cannot tell which one the student made ("either ..., or ...").
    """
    if not mistakes:
        return None
    if len(mistakes) == 1:
        return mistakes[0].description
    return "either " + ", or ".join(m.description for m in mistakes)
