"""The interactive checker: each question in turn, answered at once.

The student types an answer and hears at once whether it is right — and, when it is
wrong, which typical mistake it matches. Each question allows a few tries; ``h`` asks for
a hint (the step's formula and the local derivatives it needs, from ``Solution.hint``,
never the answer), ``s`` skips, ``q`` (or Ctrl-D, Ctrl-C) ends with the score so far.

The logic lives here; everything shown goes through a ``screen`` object (rich-backed in
:class:`hwcheck.grade.terminal.CheckerScreen`), so tests can drive it with a fake.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from ..errors import UnknownAsk
from ..render.hints import hint_text
from .grader import Grader, Item, plain_value
from .model import ROUNDED

QUIT = {"q", "quit", "exit"}
HINT = {"h", "hint", "?"}
SKIP = {"s", "skip"}


class Screen(Protocol):
    def intro(self, title: str, count: int, total: float, tries: int) -> None: ...
    def question(self, number: int, count: int, qid: str, ask: str, points: float) -> None: ...
    def ask(self) -> str | None: ...
    def correct(self, feedback: str) -> None: ...
    def wrong(self, feedback: str, tries_left: int, close: bool = False) -> None: ...
    def unreadable(self, message: str) -> None: ...
    def hint(self, text: str) -> None: ...
    def reveal(self, expected: str) -> None: ...
    def score(self, score: float, total: float) -> None: ...


@dataclass
class CheckerResult:
    score: float
    max_score: float
    count: int  # questions asked
    typed: dict[str, str] = field(default_factory=dict)  # question id → last readable answer typed
    correct: set[str] = field(default_factory=set)  # ids answered correctly
    quit: bool = False  # the student typed quit (or pressed Ctrl-C) before the last question

    @property
    def all_correct(self) -> bool:
        return len(self.correct) == self.count


class _Quit(Exception):
    """Internal: the student typed quit; caught by the session loop, never leaves this module."""


def run_checker(grader: Grader, screen: Screen, tries: int = 3, reveal: bool = False) -> CheckerResult:
    """Ask every question; ``reveal`` shows the answer once a question's tries are used up.

    ``grader`` must not show answers itself (its feedback would give them away on the
    first wrong try).
    """
    problem = grader.problem
    result = CheckerResult(0.0, grader.max_score, len(grader.items))
    values: dict[str, Any] = {}  # ask → the student's latest readable answer, for carried-forward errors
    screen.intro(problem.title or problem.id, len(grader.items), grader.max_score, tries)
    try:
        for number, item in enumerate(grader.items, 1):
            q = item.question
            ask = q.ask if item.formula is None else f"{q.ask} as a formula over {', '.join(item.formula.names)}"
            screen.question(number, len(grader.items), q.id, ask, q.points)
            if _ask_until_done(grader, item, screen, tries, values, result) is False and reveal:
                screen.reveal(item.text)
    except (_Quit, KeyboardInterrupt):
        result.quit = True
    screen.score(result.score, result.max_score)
    return result


def _ask_until_done(grader: Grader, item: Item, screen: Screen, tries: int, values: dict, result: CheckerResult) -> bool | None:
    """True when answered correctly, False when the tries ran out, None when skipped."""
    q = item.question
    left = tries
    verdict = None
    while left > 0:
        line = screen.ask()
        if line is None:
            raise _Quit
        command = line.strip()
        if not command:
            continue
        if command.lower() in QUIT:
            raise _Quit
        if command.lower() in SKIP:
            return None
        if command.lower() in HINT:
            screen.hint(_hint(grader, q.ask))
            continue
        reading = grader.read(item, command)
        if reading.problem or reading.missing:
            screen.unreadable(reading.problem or "type an answer, or h, s or q")
            continue
        result.typed[q.id] = command
        verdict = grader.judge(reading, values)
        if item.formula is None:  # a formula carries no number forward
            values[q.ask] = plain_value(reading.value)
        if verdict.correct:
            screen.correct(verdict.feedback)
            result.score += q.points
            result.correct.add(q.id)
            return True
        left -= 1
        screen.wrong(verdict.feedback, left, close=verdict.status == ROUNDED)
    if verdict is not None:  # the last answer's partial credit, if the problem gives any
        result.score += verdict.earned
    return False


def _hint(grader: Grader, ask: str) -> str:
    try:
        return hint_text(grader.solution.hint(ask)) or "no hint for this question"
    except (UnknownAsk, NotImplementedError):
        return "no hint for this question"
