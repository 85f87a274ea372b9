"""The plain data grading produces: one result per question, one per sheet."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Question statuses. CORRECT and ALTERNATIVE earn the points; the rest earn nothing unless
# a partial-credit rule gives them a share (`credit`).
CORRECT = "correct"
ALTERNATIVE = "alternative"  # matches another valid subgradient at a kink
WRONG = "wrong"
ROUNDED = "rounded"  # the right value, rounded too coarsely to be inside the tolerance
MISSING = "missing"
UNREADABLE = "unreadable"


@dataclass(slots=True)
class QuestionResult:
    id: str
    ask: str
    points: float
    status: str
    earned: float
    feedback: str
    expected: Any = None  # plain JSON-able value; None unless answers are shown
    answer: Any = None  # the parsed answer, the text written when unreadable, None when missing
    answer_text: str | None = None  # the answer as a person reads it
    diagnosis: str | None = None
    mistakes: tuple[str, ...] = ()  # codes of the matching mistakes
    note: str | None = None  # e.g. which other subgradient was accepted
    credit: Any = None  # the partial-credit rule that set `earned` (a credit.Award), None for all or nothing
    problem: str | None = None  # in an assignment: the id of the problem the question belongs to (§8)

    @property
    def correct(self) -> bool:
        return self.status in (CORRECT, ALTERNATIVE)


@dataclass(frozen=True, slots=True)
class Skipped:
    """A file given or found among the sheets that is not an answer sheet, and why.

    Every file is accounted for: these are listed in the terminal and the JSON report,
    and never enter the scores."""

    file: str
    reason: str


@dataclass(frozen=True, slots=True)
class Part:
    """One problem's subtotal on a submission graded against an assignment."""

    problem: str  # the problem's id
    title: str | None
    score: float
    max_score: float


@dataclass(slots=True)
class SheetResult:
    """One graded sheet. Its question results may be shared with other sheets graded by
    the same Grader (a right answer's result is reused); treat them as read-only."""

    file: str
    student: str
    max_score: float
    score: float = 0.0
    error: str | None = None  # the sheet could not be graded at all
    results: list[QuestionResult] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # e.g. keys that match no question
    skipped: str | None = None  # not an answer sheet (a problem file): why; then not graded
    named: bool = False  # the name was written on the sheet, not taken from the file's name
    variant: str | None = None  # the short id of the student's variant it was graded against (§11)
    parts: list["Part"] = field(default_factory=list)  # an assignment's per-problem subtotals, in order
    sis_id: str | None = None  # the student's ids for a gradebook (sheet keys sis_id:, login:)
    login: str | None = None

    @property
    def all_correct(self) -> bool:
        return self.error is None and all(r.correct for r in self.results)
