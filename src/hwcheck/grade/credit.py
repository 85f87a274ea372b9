"""Partial credit (contract §12): how much of a question's points a wrong answer earns.

Three rules, each set per question or problem-wide (:class:`hwcheck.problem.Credit`):

- ``partial: entries`` — a tensor of the right shape earns the share of its entries that
  are inside the tolerance (3 of 6 right: half the points);
- ``follow_through: F`` — an answer diagnosed ``carried-forward`` (right, given the
  student's own earlier wrong answers) earns F of the points;
- ``deduct: {CODE: F}`` — an answer diagnosed with that mistake earns 1 − F.

When several apply, the student gets the most generous: a diagnosis that names two
mistakes ("either ..., or ...") cannot tell which one was made, and the benefit of that
doubt goes to the student, as a teacher marking by hand would give it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..common import Credit
from ..numbers import fmt
from .diagnose import CARRIED_FORWARD

ENTRIES, FOLLOW_THROUGH, DEDUCT = "entries", "follow_through", "deduct"


@dataclass(frozen=True, slots=True)
class Award:
    """The rule that set a wrong answer's points, as plain data."""

    rule: str  # ENTRIES, FOLLOW_THROUGH or DEDUCT
    share: float  # the fraction of the points earned
    right: int | None = None  # entries: how many are right ...
    of: int | None = None  # ... of how many
    code: str | None = None  # deduct: the mistake's code
    fraction: float | None = None  # the fraction as the problem file gives it (deducted, or earned on follow-through)

    def plain(self) -> dict[str, Any]:
        if self.rule == ENTRIES:
            return {"rule": ENTRIES, "right": self.right, "of": self.of}
        if self.rule == DEDUCT:
            return {"rule": DEDUCT, "code": self.code, "fraction": self.fraction}
        return {"rule": FOLLOW_THROUGH, "fraction": self.fraction}

    def text(self, points: float) -> str:
        """'3 of 6 entries right: 1 of 2 points'."""
        earned = f"{fmt(round(points * self.share, 4))} of {fmt(points)} point{'' if points == 1 else 's'}"
        if self.rule == ENTRIES:
            return f"{self.right} of {self.of} entries right: {earned}"
        if self.rule == DEDUCT:
            return f"{_percent(self.fraction)} off for {self.code}: {earned}"
        return f"error carried forward, follow-through credit: {earned}"


def award(credit: Credit, right: np.ndarray | None, mistakes: tuple[str, ...]) -> Award | None:
    """The most generous rule that applies to a wrong answer; None when none does.

    ``right`` is the entry-by-entry verdict of a tensor answer of the right shape (None
    otherwise); ``mistakes`` the codes its diagnosis names.
    """
    candidates = []
    if credit.partial == ENTRIES and right is not None and right.size:
        count = int(np.count_nonzero(right))
        candidates.append(Award(ENTRIES, count / right.size, right=count, of=int(right.size)))
    if credit.follow_through is not None and CARRIED_FORWARD in mistakes:
        candidates.append(Award(FOLLOW_THROUGH, credit.follow_through, fraction=credit.follow_through))
    for code, fraction in credit.deduct or ():
        if code in mistakes:
            candidates.append(Award(DEDUCT, 1.0 - fraction, code=code, fraction=fraction))
    return max(candidates, key=lambda a: a.share, default=None)  # the first of equals: the order above


def _percent(fraction: float) -> str:
    return f"{fmt(round(fraction * 100, 4))}%"
