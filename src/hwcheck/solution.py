"""What every solved problem offers the rest of hwcheck: expected answers and mistakes.

Both kinds of solution (:class:`hwcheck.graph.solve.GraphSolution` and
:class:`hwcheck.architecture.solve.ArchitectureSolution`) implement :class:`Solution`, so
the grader, the renderers and the CLI never need to know which kind they hold.
"""

from __future__ import annotations

from typing import Any, Mapping, Protocol

import numpy as np

from .common import Problem
from .record import Record


class Alternative(Record):
    """Another accepted answer, e.g. a different valid subgradient at a kink."""

    value: Any
    note: str


class Expected(Record):
    """The right answer to one `ask`.

    ``value`` is a float or a NumPy array for graph questions, a list of ints for a
    shape, an int for a parameter count. ``exact`` says whether equality must be exact
    (shapes and counts) or within the question's tolerance (real numbers).
    """

    ask: str
    value: Any
    exact: bool
    alternatives: tuple[Alternative, ...] = ()


class Mistake(Record):
    """A typical wrong way to work a question out, and the answer it leads to.

    ``code`` is a stable identifier (``missing-path``, ``forgot-bias``...);
    ``description`` says it in plain words to a student ("you left out the skip
    connection x0 → yx").
    """

    code: str
    description: str
    value: Any


def pick(value, index):
    """The whole value, or the element an ask such as NAME[i, j] points at."""
    value = np.asarray(value, dtype=float)
    return value if index is None else value[index]


class Solution(Protocol):
    problem: Problem

    def expected(self, ask: str) -> Expected:
        """The right answer to `ask`; raises UnknownAsk naming what is unknown."""

    def mistakes(self, ask: str, answers: Mapping[str, Any] | None = None) -> list[Mistake]:
        """Typical mistakes for `ask`, each with the answer it gives.

        ``answers`` maps other asks to the student's own answers on the same sheet, so
        that an error carried forward from an earlier wrong answer can be recognised.
        """

    def hint(self, ask: str) -> str:
        """What a student needs to work `ask` out (formulas), never the answer."""

    def to_json(self) -> dict:
        """The contract's JSON object (§6)."""

