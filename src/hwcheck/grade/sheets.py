"""Reading an answer sheet (contract §5) and matching its keys to the questions.

A sheet that cannot be read at all (bad YAML, binary, not a mapping, no ``answers``) is
returned as a :class:`Sheet` with ``error`` set — never raised — so one broken file in a
class folder does not stop the others from being graded.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..common import Question
from ..errors import InputError, Pos, did_you_mean
from ..yamldoc import YList, YMap, parse_yaml, read_text

SHEET_KEYS = ("student", "answers", "sis_id", "login")  # the ids: for a Canvas gradebook (docs/assignments.md)
_SPACES = re.compile(r"\s+")
_WORD = re.compile(r"[A-Za-z]+")
_TIGHT_PAIR = re.compile(r"\[\s*[+-]?\d+,\d+\s*\]")  # [0,3216]: perhaps a decimal comma, kept as written


@dataclass(slots=True)
class Entry:
    key: str  # as written on the sheet
    raw: Any  # the YAML value: number, string, list, or None when left blank
    pos: Pos | None = None


@dataclass(slots=True)
class Sheet:
    file: str
    student: str
    entries: list[Entry] = field(default_factory=list)
    error: str | None = None
    warnings: list[str] = field(default_factory=list)
    skipped: str | None = None  # not an answer sheet at all (a problem file): why
    named: bool = False  # the student's name was written on the sheet (not the file's name)
    sis_id: str | None = None  # Canvas's SIS User ID and SIS Login ID, when the sheet gives them
    login: str | None = None


def read_sheet(path: str | Path) -> Sheet:
    """Read one sheet; every problem with the file itself ends up in ``Sheet.error``."""
    file = str(path)
    student = _stem(file)
    try:
        text = read_text(path, "answer sheet")
        data = parse_yaml(text, file)
    except InputError as error:
        return Sheet(file, student, error=str(error.faults[0]))
    return sheet_from_data(data, file, text)


def _stem(file: str) -> str:
    return os.path.splitext(os.path.basename(file))[0]


def sheet_from_data(data: Any, file: str, text: str | None = None) -> Sheet:
    """A sheet from parsed YAML; ``text``, the source, lets answers be quoted as written."""
    student = _stem(file)
    if not isinstance(data, YMap):
        what = "empty" if data is None else f"a {type(data).__name__}, not a mapping"
        return Sheet(file, student, error=f"{file}: the sheet is {what}; write 'answers:' followed by one 'id: value' line per question")
    name = data.get("student")
    written = ""
    if name is not None and not isinstance(name, (dict, list)):
        written = str(as_written(name, data.where("student"), text)).strip()
    sheet = Sheet(file, written or student, named=bool(written))
    for key in ("sis_id", "login"):
        value = data.get(key)
        if value is not None and not isinstance(value, (dict, list)):
            written_id = data.text(key).strip()  # as written: 00123 keeps its zeros
            if written_id and written_id.isprintable():
                setattr(sheet, key, written_id)
            else:
                sheet.warnings.append(f"line {data.where(key).line}: {key} must be one line of printable text; it was ignored")
    for key in data:
        if key not in SHEET_KEYS:
            pos = data.key_pos[key]
            sheet.warnings.append(f"line {pos.line}: unknown key '{key}'{did_you_mean(str(key), SHEET_KEYS)} ignored; a sheet has student, answers, and optionally sis_id and login")
    if "answers" not in data:
        if "kind" in data and "id" in data:  # a problem file left among the sheets: set aside, with a note
            sheet.skipped = f"a problem file (id: {data['id']}, kind: {data['kind']}), not an answer sheet"
            return sheet
        import difflib  # deliberate: only on this error path (start-up time)

        close = difflib.get_close_matches("answers", [str(k) for k in data], n=1, cutoff=0.6)
        hint = f" ('{close[0]}' should be 'answers')" if close else ""
        if "kind" in data and ("steps" in data or "layers" in data):
            hint = " (this looks like a problem file, not an answer sheet)"
        sheet.error = f"{file}:{data.pos.line}:{data.pos.column}: no 'answers' mapping{hint}"
        return sheet
    answers = data["answers"]
    if answers is None:  # `answers:` with nothing under it: everything is missing
        return sheet
    if not isinstance(answers, YMap):
        pos = data.where("answers")
        sheet.error = f"{file}:{pos.line}:{pos.column}: 'answers' must be a mapping of question id (or ask) to answer"
        return sheet
    sheet.entries = [
        Entry(str(key), as_written(value, answers.where(key), text) if type(value) in _REWRITTEN else value, answers.key_pos.get(key))
        for key, value in answers.items()
    ]
    return sheet


_REWRITTEN = (bool, YList)  # the only types as_written may change: a type test per answer is all it costs


def as_written(value: Any, pos: Pos | None, text: str | None) -> Any:
    """``value``, with what YAML turned into something else than was written put back as
    the text written: ``yes`` (a boolean to YAML 1.1) is quoted as 'yes', not 'True', and
    ``[0,3216]`` is kept as text, to be read by the question's expected shape (one number:
    a decimal comma; two: a list). Anything else, the common case, is returned as it is."""
    if text is None or pos is None:
        return value
    if isinstance(value, bool):
        word = _WORD.match(_line(text, pos.line), pos.column - 1)
        return word.group() if word else str(value).lower()
    if isinstance(value, YList):
        if len(value) == 2 and all(type(v) is int for v in value):
            pair = _TIGHT_PAIR.match(_line(text, pos.line), pos.column - 1)
            if pair:
                return pair.group()
        if any(isinstance(v, (bool, YList)) for v in value):
            return [as_written(v, value.where(i), text) for i, v in enumerate(value)]
    return value


def _line(text: str, number: int) -> str:
    """Line ``number`` (1-based) of ``text``; only on the rare paths above."""
    start = 0
    for _ in range(number - 1):
        start = text.find("\n", start) + 1
        if start == 0:
            return ""
    end = text.find("\n", start)
    return text[start:] if end < 0 else text[start:end]


def normalize_ask(text: str) -> str:
    """'dz / dw0' and 'dz/dw0' are the same question."""
    return _SPACES.sub("", text)


class KeyIndex:
    """Maps a sheet key to a question, by id first and then by ask text; failing both, by
    id ignoring case when exactly one id fits (``t1.z`` for ``T1.z``), with a note. Asks
    are never matched ignoring case: ``dz/dW1`` and ``dz/dw1`` are different questions."""

    def __init__(self, questions: list[Question]):
        self.by_id = {q.id: q for q in questions}
        self.by_ask: dict[str, Question] = {}
        for q in questions:
            self.by_ask.setdefault(normalize_ask(q.ask), q)
        self.by_folded_id: dict[str, list[Question]] = {}
        for q in questions:
            self.by_folded_id.setdefault(q.id.casefold(), []).append(q)
        self.names = list(self.by_id) + [q.ask for q in questions]

    def find(self, key: str) -> Question | None:
        question = self.by_id.get(key)
        if question is None:
            question = self.by_ask.get(normalize_ask(key))
        return question

    def find_ignoring_case(self, key: str) -> Question | None:
        """The one question whose id is ``key`` but for case; None when none or several are."""
        fits = self.by_folded_id.get(key.strip().casefold(), [])
        return fits[0] if len(fits) == 1 else None

    def unknown(self, entry: Entry) -> str:
        where = f"line {entry.pos.line}: " if entry.pos else ""
        return f"{where}'{entry.key}' matches no question{did_you_mean(entry.key, self.names)}; it was not graded"


def match_entries(sheet: Sheet, index: KeyIndex) -> dict[str, list[Entry]]:
    """Question id → the entries answering it (more than one when answered twice).

    Keys that match no question are added to the sheet's warnings.
    """
    matched: dict[str, list[Entry]] = {}
    for entry in sheet.entries:
        question = index.find(entry.key)
        if question is None:
            question = index.find_ignoring_case(entry.key)
            if question is not None:
                where = f"line {entry.pos.line}: " if entry.pos else ""
                sheet.warnings.append(f"{where}'{entry.key}' was taken as question '{question.id}' (ids are matched "
                                      f"ignoring case when only one fits); write '{question.id}'")
        if question is None:
            sheet.warnings.append(index.unknown(entry))
        else:
            matched.setdefault(question.id, []).append(entry)
    return matched
