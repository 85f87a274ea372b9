"""Grading one sheet against a solved problem: read, judge, diagnose, write the feedback.

A :class:`Grader` is built once per run — the problem is solved and every expected value
is looked up once — and then grades any number of sheets.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..common import Credit, Question, Tolerance
from ..errors import UnknownAsk
from ..solution import Expected, Solution
from . import model
from .answers import Target, Unreadable, answer_text, read_answer_noted
from .credit import award
from .diagnose import MistakeCache, describe, matching_mistakes, transposed
from .judge import Verdict, entries_right, judge, same
from .model import QuestionResult, SheetResult
from .sheets import KeyIndex, Sheet, match_entries, read_sheet


@dataclass(frozen=True, slots=True)
class Item:
    """A question with its expected answer, ready to judge."""

    question: Question
    expected: Expected
    target: Target
    plain: Any  # the expected value as JSON data, worked out once
    text: str  # ... and as a person reads it
    credit: Credit  # the question's partial-credit rules over the problem's defaults
    formula: Any = None  # a graph.formula.FormulaCheck when the question takes a formula (§10)

    @property
    def tolerance(self) -> Tolerance:
        return self.question.tolerance


@dataclass(slots=True)
class Reading:
    """One question's answer on one sheet, after reading and before judging."""

    item: Item
    raw: Any = None
    value: Any = None
    problem: str | None = None  # why it could not be read (unreadable or conflicting)
    missing: bool = False
    key: tuple | None = None  # for reusing work on the same answer across a class
    right: bool = False  # within the question's tolerance of the expected value
    note: str | None = None  # how it was read, when worth saying (a decimal comma)


class Grader:
    def __init__(self, solution: Solution, show_answers: bool = False):
        self.solution = solution
        self.problem = solution.problem
        self.mistakes = MistakeCache(solution)
        self._readings: dict[tuple, Reading] = {}  # (question id, type, raw) → reading
        self._right: dict[tuple, QuestionResult] = {}  # ... → the result of a right answer
        self.show_answers = show_answers
        self.items = [self._item(q) for q in self.problem.questions]
        self.index = KeyIndex(self.problem.questions)
        self.max_score = sum(q.points for q in self.problem.questions)

    def _item(self, question: Question) -> Item:
        try:
            expected = self.solution.expected(question.ask)
        except UnknownAsk as exc:  # placed at the question that asks it
            raise exc.placed(self.problem.file, question.pos, f"question {question.id}: cannot answer '{question.ask}': ") from None
        target = Target.of(expected.value, expected.exact)
        credit = question.credit.over(self.problem.grading)
        if question.answer == "formula":
            from ..graph.formula import FormulaCheck  # deliberate: only problems with formula questions pay for it

            check = FormulaCheck(self.solution, question, tuple(a.value for a in expected.alternatives))
            return Item(question, expected, target, target.plain(), f"a formula equal to {target.text()} here", credit, check)
        return Item(question, expected, target, target.plain(), target.text(), credit)

    def grade_file(self, path: str) -> SheetResult:
        return self.grade(read_sheet(path))

    def grade(self, sheet: Sheet) -> SheetResult:
        result = SheetResult(sheet.file, sheet.student, self.max_score, error=sheet.error, skipped=sheet.skipped, named=sheet.named,
                             sis_id=sheet.sis_id, login=sheet.login)
        if sheet.error or sheet.skipped:
            result.warnings = sheet.warnings
            return result
        matched = match_entries(sheet, self.index)
        readings = [self._read(item, matched.get(item.question.id, ())) for item in self.items]
        # Only wrong answers can carry an error forward; leaving the right ones out also lets
        # the solver's work be reused across a class (most sheets differ only in those).
        answers = {r.item.question.ask: plain_value(r.value) for r in readings if r.value is not None and not r.right and r.item.formula is None}
        for reading in readings:
            result.results.append(self._judged(reading, answers))
        result.score = sum(r.earned for r in result.results)
        result.warnings = sheet.warnings
        return result

    def read(self, item: Item, raw: Any) -> Reading:
        """Read one raw answer (also used by the interactive checker)."""
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            return Reading(item, raw, missing=True)
        if item.formula is not None:
            return self._read_formula(item, raw)
        try:
            value, note = read_answer_noted(raw, item.target)
        except Unreadable as exc:
            return Reading(item, exc.text, problem=f"could not read '{exc.text}': {exc.reason}")
        return Reading(item, raw, value, key=_key(item, raw), right=same(value, item.target, item.tolerance), note=note)

    def _read_formula(self, item: Item, raw: Any) -> Reading:
        from ..graph.formula import FormulaUnreadable  # deliberate: only formula questions load formula.py

        try:
            formula = item.formula.read(raw)
        except FormulaUnreadable as exc:
            where = f" at column {exc.column + 1}" if exc.column is not None else ""
            shown = exc.text if len(exc.text) <= 80 else exc.text[:60] + f"… ({len(exc.text):,} characters)"
            return Reading(item, exc.text, problem=f"could not read the formula '{shown}'{where}: {exc.message}")
        return Reading(item, raw, formula, key=_key(item, raw), right=item.formula.judge(formula).correct)

    def _judged(self, reading: Reading, answers: dict[str, Any]) -> QuestionResult:
        """:meth:`judge`, reusing the result of a right answer already seen in this run.

        A class writes the same right answers over and over, and a right answer's result
        does not depend on the rest of the sheet (a wrong one's diagnosis does). Shared
        results are read-only by convention.
        """
        key = reading.key
        if key is not None:
            known = self._right.get(key)
            if known is not None:
                return known
        result = self.judge(reading, answers)
        if key is not None and result.correct and len(self._right) < _CACHE_LIMIT:
            self._right[key] = result
        return result

    def _read(self, item: Item, entries) -> Reading:
        if len(entries) == 1:  # the usual case: read each distinct answer once per run
            raw = entries[0].raw
            key = _key(item, raw)
            if key is None:  # a list: read it afresh
                return self.read(item, raw)
            reading = self._readings.get(key)
            if reading is None:
                reading = self.read(item, raw)
                if len(self._readings) < _CACHE_LIMIT:
                    self._readings[key] = reading
            return reading
        readings = [r for r in (self.read(item, e.raw) for e in entries) if not r.missing]
        if not readings:
            return Reading(item, missing=True)
        first = readings[0]
        for other in readings[1:]:
            if first.value is None or other.value is None or not _equal(first.value, other.value, item):
                written = " and ".join(f"{e.key}: {answer_text(e.raw)}" for e in entries if e.raw is not None)
                return Reading(item, written, problem=f"answered more than once, differently ({written}); keep one answer")
        return first

    def judge(self, reading: Reading, answers: dict[str, Any]) -> QuestionResult:
        """The result for one reading; ``answers`` holds the sheet's answers keyed by ask."""
        item = reading.item
        q = item.question
        expected = item.plain if self.show_answers else None
        shown = f"; expected {item.text}" if self.show_answers else ""
        if reading.missing:
            return QuestionResult(q.id, q.ask, q.points, model.MISSING, 0.0, "missing: no answer given" + shown, expected)
        if reading.problem:
            text = answer_text(reading.raw)
            return QuestionResult(q.id, q.ask, q.points, model.UNREADABLE, 0.0, reading.problem + shown, expected, text, text)
        if item.formula is not None:
            return self._judge_formula(reading, shown)
        verdict = judge(reading.value, reading.raw, item.target, item.expected, item.tolerance)
        result = QuestionResult(q.id, q.ask, q.points, model.WRONG, 0.0, "", expected, plain_value(reading.value), answer_text(reading.raw))
        if verdict.correct:
            result.status = model.ALTERNATIVE if verdict.note else model.CORRECT
            result.earned = q.points
            result.note = verdict.note
            result.feedback = f"correct ({verdict.note})" if verdict.note else "correct"
            if reading.note:
                result.feedback += f"; {reading.note}"
            return result
        others = {ask: value for ask, value in answers.items() if ask != q.ask}
        mistakes = [] if verdict.form_problem else matching_mistakes(self.mistakes, q.ask, reading.value, item.target, item.tolerance, others)
        flipped = transposed(reading.value, item.target, item.tolerance)
        if flipped:
            mistakes.insert(0, flipped)
        result.mistakes = tuple(m.code for m in mistakes)
        result.diagnosis = describe(mistakes)
        right = entries_right(reading.value, item.target, item.tolerance)
        result.credit = award(item.credit, right, result.mistakes)
        if result.credit:
            result.earned = q.points * result.credit.share
        # A transposed matrix has the wrong shape too; the diagnosis says more than the shape.
        head = self._wrong_feedback(Verdict(False) if flipped else verdict, result.diagnosis)
        more = [p for p in (wrong_entries(q.ask, right), result.credit and result.credit.text(q.points), reading.note) if p]
        result.feedback = (f"wrong: {'; '.join(more)}" if head == "wrong" and more else "; ".join([head, *more])) + shown
        if verdict.rounding:
            result.status = model.ROUNDED
        return result

    def _judge_formula(self, reading: Reading, shown: str) -> QuestionResult:
        """A formula is judged as a function (graph.formula); its result reads like a number's."""
        item, q = reading.item, reading.item.question
        verdict = item.formula.judge(reading.value)
        text = reading.value.text  # shown as written
        result = QuestionResult(q.id, q.ask, q.points, model.WRONG, 0.0, "", item.plain if self.show_answers else None, text, text)
        if verdict.correct:
            result.status = model.ALTERNATIVE if verdict.note else model.CORRECT
            result.earned = q.points
            result.note = verdict.note
            result.feedback = f"correct ({verdict.note})" if verdict.note else "correct"
            return result
        result.mistakes = tuple(m.code for m in verdict.mistakes)
        result.diagnosis = describe(list(verdict.mistakes))
        reason = verdict.problem or result.diagnosis
        result.feedback = (f"wrong: {reason}" if reason else "wrong") + shown
        return result

    def _wrong_feedback(self, verdict: Verdict, diagnosis: str | None) -> str:
        if verdict.rounding:
            r = verdict.rounding
            figures = f"{r.written} significant figure{'s' if r.written != 1 else ''}"
            text = f"close, but rounded too coarsely: {figures} is outside the tolerance; give at least {r.needed}"
        elif verdict.form_problem:
            text = f"wrong: {verdict.form_problem}"
        else:
            return f"wrong: {diagnosis}" if diagnosis else "wrong"
        return f"{text}; {diagnosis}" if diagnosis else text


_CACHE_LIMIT = 50_000
MAX_ENTRIES_NAMED = 4  # a tensor's wrong entries are named up to this many, then counted


def wrong_entries(ask: str, right) -> str | None:
    """'wrong entries: dL/dW[0][1] and dL/dW[2][1]' — only when some entries are right
    (when none is, naming them all says nothing)."""
    if right is None or right.all() or not right.any():
        return None
    wrong = np.argwhere(~right)
    named = [ask + "".join(f"[{i}]" for i in index) for index in wrong[:MAX_ENTRIES_NAMED].tolist()]
    more = len(wrong) - len(named)
    listed = ", ".join(named[:-1]) + " and " + named[-1] if len(named) > 1 and not more else ", ".join(named)
    return f"wrong entr{'y' if len(wrong) == 1 else 'ies'}: {listed}" + (f" and {more} more" if more else "")


def _key(item: Item, raw: Any) -> tuple | None:
    """A cache key for a scalar answer; None for lists (rarer, and unhashable)."""
    if isinstance(raw, (str, int, float)):
        return (item.question.id, type(raw), raw)
    return None




def _equal(a: Any, b: Any, item: Item) -> bool:
    if item.formula is not None:  # the same formula twice, as written (spacing aside)
        return "".join(a.text.split()) == "".join(b.text.split())
    try:
        return same(a, Target.of(b, item.target.exact), Tolerance(0.0, 0.0))
    except (TypeError, ValueError):
        return False


def plain_value(value: Any) -> Any:
    """A read answer as plain data: float, int, or (nested) list."""
    if value is None:
        return None
    if isinstance(value, tuple):
        return list(value)
    if hasattr(value, "tolist"):
        return value.tolist()
    return value
