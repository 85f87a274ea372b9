"""What every kind of problem shares: its records and the readers of its common keys.

:class:`Problem` (every kind subclasses it), :class:`Question`, :class:`Tolerance` and
:class:`Credit`, and the readers of the keys every kind writes the same way: questions,
ids, points, tolerance and partial credit (contract §1–§4, §12). The kinds' loaders build
on this module, and :mod:`hwcheck.problem` (which reads a file and hands it to the loader
of its kind) on them: this module imports none of them, so the dependencies go one way.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import numpy as np

from .record import Record
from .errors import FaultList, Pos, did_you_mean
from .escape import visible
from .numbers import NotANumber, fmt, parse_number
from .yamldoc import YList, YMap

ID_PATTERN = re.compile(r"[A-Za-z0-9_.-]+")
MAX_POINTS = 1_000_000  # for one question and for the whole problem: sums stay exact and finite
CREDIT_KEYS = ("partial", "follow_through", "deduct")  # per question, or problem-wide under grading:
PARTIAL_RULES = ("entries",)
ANSWER_FORMS = ("number", "formula")
QUESTION_KEYS = ("id", "ask", "points", "tolerance", "answer", *CREDIT_KEYS)
# The mistake codes a problem of the file's kind can name (code → meaning), for deduct: and
# require: tables: the catalogues live with grading, above the loaders, so the one who calls
# a loader passes them in (problem.py), to be asked for only when a table is read.
MistakeCodes = Callable[[], Mapping[str, str]]


class Tolerance(Record):
    """|answer − expected| ≤ abs + rel·|expected| (contract §4)."""

    rel: float = 0.01
    abs: float = 1e-6

    def allows(self, answer, expected) -> bool:
        """Scalars or arrays (element-wise); a non-finite expected value needs equality
        (inf is inf, nan is never equal), and a finite one a finite answer."""
        if isinstance(answer, float) and isinstance(expected, float):  # the common case, fast
            # As Python floats (numpy's float64 is one, and would warn on overflow): a
            # difference or a bound past the largest float is inf, silently.
            answer, expected = float(answer), float(expected)
            if not math.isfinite(expected):
                return answer == expected
            return math.isfinite(answer) and abs(answer - expected) <= self.abs + self.rel * abs(expected)
        return bool(np.all(self.close(answer, expected)))

    def close(self, answer, expected) -> np.ndarray:
        """The rule entry by entry: a boolean array of the broadcast shape."""
        answer, expected = np.asarray(answer, dtype=float), np.asarray(expected, dtype=float)
        finite = np.isfinite(expected)
        bounded = np.where(finite, expected, 0.0)
        # 1e308 − (−1e308) overflows to inf, which is rightly not close; a bound that
        # overflows (a huge rel) is inf, so a finite answer is needed as well: inf is
        # never close to a number.
        with np.errstate(over="ignore", invalid="ignore"):
            close = (np.abs(answer - bounded) <= self.abs + self.rel * np.abs(bounded)) & np.isfinite(answer)
        return np.where(finite, close, answer == expected)

    def misfit(self, answer, expected) -> float:
        """How far an answer inside the tolerance lies from ``expected``: its worst entry's
        distance in units of the tolerance (0 to 1). A non-finite expected entry, matched
        by equality only, counts 0. Of two mistakes an answer fits, the nearer is named."""
        expected = np.asarray(expected, dtype=float)
        finite = np.isfinite(expected)
        bounded = np.where(finite, expected, 0.0)
        with np.errstate(all="ignore"):
            distance = np.where(finite, np.abs(np.asarray(answer, dtype=float) - bounded), 0.0)
            ratio = np.where(distance == 0, 0.0, distance / (self.abs + self.rel * np.abs(bounded)))
        return float(np.max(ratio, initial=0.0))


class Credit(Record):
    """How a wrong answer can still earn points (contract §12); None means "not set here".

    A question's own keys win over the problem-wide ``grading:`` ones, key by key, and
    the two ``deduct`` tables are merged (:meth:`over`); unset everywhere, scoring is all
    or nothing.
    """

    partial: str | None = None  # "entries": a tensor earns its share of right entries
    follow_through: float | None = None  # fraction earned by an error carried forward
    deduct: tuple[tuple[str, float], ...] | None = None  # (mistake code, fraction taken off)

    def over(self, default: "Credit") -> "Credit":
        """These keys, falling back to ``default``'s; ``deduct`` is merged code by code."""
        deduct = dict(default.deduct or ()) | dict(self.deduct or ())
        return Credit(
            self.partial if self.partial is not None else default.partial,
            self.follow_through if self.follow_through is not None else default.follow_through,
            tuple(deduct.items()) if self.deduct is not None or default.deduct is not None else None,
        )


class Question(Record):
    id: str
    ask: str
    points: float = 1.0
    tolerance: Tolerance = Tolerance()
    pos: Pos | None = None
    answer: str = "number"  # or "formula" (§10): an expression over the problem's names
    credit: Credit = Credit()


@dataclass(frozen=True, eq=False)
class Problem:
    """What every kind of problem has; the kinds subclass it.

    Immutable once loaded (frozen, like every kind's subclass): solving returns new
    objects and never writes back into the problem; a changed problem is a new one
    (``dataclasses.replace``). Compared and hashed by identity (its arrays have no ==).
    """

    file: str
    id: str
    kind: str
    title: str | None = None
    tolerance: Tolerance = Tolerance()
    questions: list[Question] = field(default_factory=list)
    grading: Credit = Credit()  # the problem-wide partial-credit defaults


def read_credit(data: YMap, kind: str | None, faults: FaultList, codes: MistakeCodes) -> Credit:
    """The partial-credit keys of a question or of ``grading:`` (contract §12); a ``deduct:``
    table names codes of ``codes()``."""
    partial = data.get("partial")
    if partial is not None and partial not in PARTIAL_RULES:
        faults.add(data.where("partial"), f"partial: unknown rule '{partial}'{did_you_mean(str(partial), PARTIAL_RULES)}; write partial: entries")
        partial = None
    follow = _fraction(data, "follow_through", faults) if "follow_through" in data else None
    deduct = None
    if "deduct" in data:
        raw = data["deduct"]
        if not isinstance(raw, YMap):
            faults.add(data.where("deduct"), "deduct maps mistake codes to the fraction taken off, e.g. deduct: {sign-error: 0.25}")
        else:
            known = codes()
            deduct = []
            for code in raw:
                if code not in known:
                    faults.add(raw.key_pos[code], f"deduct: unknown mistake code '{code}'{did_you_mean(str(code), known)}; "
                               f"the codes for kind {kind}: {', '.join(known)}")
                    continue
                fraction = _fraction(raw, code, faults, "deduct " + str(code))
                if fraction is not None:
                    deduct.append((str(code), fraction))
            deduct = tuple(deduct)
    return Credit(partial, follow, deduct)


def refuse_partial_entries(question: Question, answer: str, faults: FaultList) -> None:
    """``partial: entries`` on a question whose answer is not a tensor can do nothing: refused.
    ``answer`` says what it is ("a number", "a formula", "a shape"...), as each kind's loader
    knows it (a graph's once its values are computed). A problem-wide ``grading: {partial:
    entries}`` stays allowed: it applies to the tensor questions only."""
    if question.credit.partial is not None:
        faults.add(question.pos, f"question '{question.id}': partial: entries is for tensor answers (this one is {answer}); remove it")


def _fraction(data: YMap, key: Any, faults: FaultList, what: str | None = None) -> float | None:
    what = what or str(key)
    try:
        number = parse_number(data[key])
    except NotANumber as exc:
        faults.add(data.where(key), f"{what}: {exc}; give a fraction from 0 to 1, e.g. 0.5")
        return None
    if not 0 <= number <= 1:
        faults.add(data.where(key), f"{what} is a fraction from 0 to 1 (of the question's points), not {data[key]}")
        return None
    return number


def _unprintable(text: str) -> str | None:
    """What is wrong with text shown on a terminal and written into sheets, or None: a
    control character (ESC, a newline) or an invisible one (a bidi override)."""
    if text.isprintable():
        return None
    index = next(i for i, c in enumerate(text) if not c.isprintable())
    return f"character {index + 1} is {visible(text[index])}, which is invisible or a control character; remove it"


def read_tolerance(value: Any, pos: Pos, default: Tolerance, faults: FaultList) -> Tolerance:
    if not isinstance(value, YMap):
        faults.add(pos, "tolerance is a mapping such as {rel: 0.01, abs: 1e-6}")
        return default
    result = {"rel": default.rel, "abs": default.abs}
    for key, raw in value.items():
        if key not in result:
            faults.add(value.key_pos[key], f"unknown tolerance key '{key}'; use rel and/or abs")
            continue
        try:
            number = parse_number(raw)
        except NotANumber as exc:
            faults.add(value.where(key), f"tolerance {key}: {exc}")
            continue
        if number < 0:
            faults.add(value.where(key), f"tolerance {key} must be ≥ 0, not {raw}")
            continue
        result[key] = number
    return Tolerance(**result)


def check_keys(item: YMap, what: str, allowed: tuple[str, ...], faults: FaultList) -> None:
    """A fault for every key of ``item`` (a question, a task) that is not ``allowed``."""
    for key in item:
        if key not in allowed:
            faults.add(item.key_pos[key], f"unknown {what} key '{key}'{faults.suggest(str(key), allowed)}; allowed: {', '.join(allowed)}")


def read_id(item: YMap, what: str, example: str, faults: FaultList) -> str | None:
    """The ``id`` of a question or task as written (id 1.10 is not 1.1), printable; None after a fault."""
    if not isinstance(item.get("id"), (str, int, float)) or not item.text("id").strip():
        faults.add(item.where("id"), f"{what} id must be text such as {example}")
        return None
    text = item.text("id")
    if problem := _unprintable(text):
        faults.add(item.where("id"), f"a {what} id is printable text such as {example}; {problem}")
        return None
    return text


def read_points(item: YMap, faults: FaultList) -> float:
    """``points`` (default 1): a number from 0 to MAX_POINTS, so that no total overflows."""
    if "points" not in item:
        return 1.0
    try:
        given = parse_number(item["points"])
        if given < 0:
            raise NotANumber("points must be ≥ 0")
        if given > MAX_POINTS:
            raise NotANumber(f"{item.text('points')} is more than {MAX_POINTS:,}, the most a question (or a whole problem) may be worth")
        return given
    except NotANumber as exc:
        faults.add(item.where("points"), f"points: {exc}")
        return 1.0


def read_questions(data: YMap, problem_tolerance: Tolerance, faults: FaultList,
                   codes: MistakeCodes) -> list[Question] | None:
    """The `questions` list, or None when the file gives none (each kind has defaults);
    ``codes`` as for :func:`read_credit`."""
    if "questions" not in data:
        return None
    raw = data["questions"]
    if not isinstance(raw, YList):
        faults.add(data.where("questions"), "questions is a list of {id: ..., ask: ..., points: ...}")
        return []
    questions: list[Question] = []
    seen: dict[str, Pos] = {}
    for index, item in enumerate(raw):
        pos = raw.where(index)
        if not isinstance(item, YMap):
            faults.add(pos, "each question is a mapping such as {id: T1.a, ask: dz/dw0, points: 2}")
            continue
        check_keys(item, "question", QUESTION_KEYS, faults)
        ask = item.get("ask")
        if not isinstance(ask, str) or not ask.strip():
            faults.add(item.where("ask") if "ask" in item else pos, "question needs 'ask', e.g. ask: dz/dw0 or ask: z")
            continue
        if problem := _unprintable(ask.strip()):
            faults.add(item.where("ask"), f"an ask is one line of printable text; {problem}")
            continue
        qid = read_id(item, "question", "T1.a", faults) if "id" in item else ask
        if qid is None:
            continue
        if qid in seen:  # a fault, and the rest of the question is still checked: every fault at once
            faults.add(item.where("id") if "id" in item else pos, f"question id '{qid}' is used twice (first at line {seen[qid].line}); ids are unique")
        seen.setdefault(qid, pos)
        points = read_points(item, faults)
        tolerance = problem_tolerance
        if "tolerance" in item:
            tolerance = read_tolerance(item["tolerance"], item.where("tolerance"), problem_tolerance, faults)
        answer = item.get("answer", "number")
        if answer not in ANSWER_FORMS:
            faults.add(item.where("answer"), f"answer: {answer!r} is not a kind of answer{did_you_mean(str(answer), ANSWER_FORMS)}; write answer: number (the default) or answer: formula")
            answer = "number"
        credit = read_credit(item, data.get("kind"), faults, codes)
        questions.append(Question(qid, ask.strip(), points, tolerance, pos, answer, credit))
    total = sum(q.points for q in questions)
    if total > MAX_POINTS:
        faults.add(data.where("questions"), f"the questions are worth {fmt(total)} points in all, more than {MAX_POINTS:,}; give fewer points")
    return questions
