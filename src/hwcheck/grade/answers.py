"""What an answer should look like, and reading what a student wrote into that form.

A :class:`Target` is an expected value put into one of four forms — a parameter
``count``, a ``shape`` (list of ints), a real ``scalar`` or a real ``tensor`` — so that
the student's answer, the expected value, the kink alternatives and the solvers'
mistake values are all compared the same way.

Reading is lenient where a person would be (``2/5``, ``1e-6``, ``555,520`` for a count,
``(16, 32, 32)`` or ``16x32x32`` for a shape, a bare ``1024`` for the shape ``[1024]``)
and strict where leniency would hide a mistake (``0.5`` is not a parameter count).
An answer that cannot be read raises :class:`Unreadable` carrying the text as written.

Two spellings are read with a note (:func:`read_answer_noted`): an array as numpy prints
it (``[[0.1 0.2]\n [0.3 0.4]]``, ``array([0.1, 0.2])``) needs none, but a decimal comma
(``0,3216``) does. A comma is a decimal comma only where the question asks for one real
number and the text cannot be a list or a thousands separator: ``0,3216`` or ``2,5``
(not three digits after the comma) — and ``[0,3216]``, a list of two whole numbers with no
space after the comma, which the question's expected shape (one number) decides.
``1,234`` could be either and is refused, asking for a point. Every parser here is linear
in the length of the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import HwcheckError, InputError
from ..numbers import NotANumber, fmt, fmt_count, fmt_value, parse_number
from ..yamldoc import parse_yaml

COUNT, SHAPE, SCALAR, TENSOR = "count", "shape", "scalar", "tensor"
_GROUPED_INT = re.compile(r"[+-]?\d{1,3}(?:[, _]\d{3})+")
_DECIMAL_COMMA = re.compile(r"([+\-−]?)(\d+),(\d+)")
_TIGHT_PAIR = re.compile(r"\[\s*([+\-−]?\d+),(\d+)\s*\]")  # [0,3216]: no space after the comma
_NUMPY_TOKEN = re.compile(r"\[|\]|,|[^\s\[\],]+")
MAX_ARRAY_DEPTH = 8  # deeper than any answer a homework asks for
# No `\s*` around the separators: on a run of spaces that leads to no separator, the
# regex engine would retry from every space (quadratic); the parts are stripped instead.
_SHAPE_SEPARATORS = re.compile(r"[,xX×*]")


class Unreadable(HwcheckError):
    """An answer that is not a value of the form asked for; ``text`` is what was written.
    The grader makes it the sheet's verdict on that question, never an exit."""

    def __init__(self, text: str, reason: str):
        super().__init__(reason)
        self.text = text
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Target:
    """An expected value in comparable form: int, tuple of ints, float or float array."""

    form: str
    value: Any

    @classmethod
    def of(cls, value: Any, exact: bool) -> "Target":
        if exact and _is_int(value):
            return cls(COUNT, int(value))
        if exact and isinstance(value, (list, tuple)) and all(_is_int(v) for v in value):
            return cls(SHAPE, tuple(int(v) for v in value))
        array = np.asarray(value, dtype=float)
        if array.ndim == 0:
            return cls(SCALAR, float(array))
        return cls(TENSOR, array)

    @property
    def exact(self) -> bool:
        return self.form in (COUNT, SHAPE)

    def plain(self) -> Any:
        """The value as plain JSON data, floats written as a person would (0.94, not 0.9400000000000001)."""
        if self.form == COUNT:
            return self.value
        if self.form == SHAPE:
            return list(self.value)
        if self.form == SCALAR:
            return _tidy(self.value)
        return np.vectorize(_tidy, otypes=[float])(self.value).tolist()

    def text(self) -> str:
        if self.form == COUNT:
            return fmt_count(self.value)
        if self.form == SHAPE:
            return "[" + ", ".join(str(v) for v in self.value) + "]"
        return fmt_value(self.value)

    def describe(self) -> str:
        """What kind of answer is wanted, for messages: 'a single number', 'a 2×3 matrix'."""
        if self.form == COUNT:
            return "a whole number (a parameter count)"
        if self.form == SHAPE:
            return f"a shape: a list of {len(self.value)} whole number{'s' if len(self.value) != 1 else ''}"
        if self.form == SCALAR:
            return "a single number"
        return describe_array(self.value.shape)


def describe_array(shape: tuple[int, ...]) -> str:
    if len(shape) == 0:
        return "a single number"
    if len(shape) == 1:
        return f"a vector of {shape[0]} number{'s' if shape[0] != 1 else ''}"
    if len(shape) == 2:
        return f"a {shape[0]}×{shape[1]} matrix"
    return "an array of shape " + "×".join(str(n) for n in shape)


def read_answer(raw: Any, target: Target) -> Any:
    """The student's answer in the form of ``target`` (or another form, to be judged wrong).

    Returns an int or tuple of ints for exact targets, a float or float array otherwise.
    """
    return read_answer_noted(raw, target)[0]


def read_answer_noted(raw: Any, target: Target) -> tuple[Any, str | None]:
    """:func:`read_answer`, and a note when the answer was read in a way worth saying (a
    decimal comma), for the feedback."""
    if target.form == COUNT:
        return _read_count(raw), None
    if target.form == SHAPE:
        return _read_shape(raw), None
    if target.form == SCALAR and isinstance(raw, str):
        comma = _decimal_comma(raw)
        if comma is not None:
            return comma
    return _read_real(raw), None


def _decimal_comma(text: str) -> tuple[float, str] | None:
    """``0,3216`` (or ``[0,3216]``) as 0.3216, with a note; None when it is not one."""
    stripped = text.strip()
    match = _DECIMAL_COMMA.fullmatch(stripped) or _TIGHT_PAIR.fullmatch(stripped)
    if match is None:
        return None
    sign, whole, fraction = match.groups() if match.re is _DECIMAL_COMMA else ("", *match.groups())
    if whole[:1] in "+-−":
        sign, whole = whole[0], whole[1:]
    if len(fraction) == 3 and whole.lstrip("0") and match.re is _DECIMAL_COMMA:
        raise Unreadable(stripped, f"'{stripped}' could be {whole}.{fraction} (a decimal comma) or {whole}{fraction} "
                                   f"(a thousands separator); write it with a decimal point")
    if len(whole) + len(fraction) > 400:
        raise Unreadable(stripped, "the number is too long")
    number = f"{'-' if sign in ('-', '−') else ''}{whole}.{fraction}"
    return float(number), f"read '{stripped}' as {number} (a decimal comma); write a decimal point"


def answer_text(raw: Any) -> str:
    """An answer as the student wrote it, for tables and messages."""
    if isinstance(raw, str):
        return raw.strip()
    if isinstance(raw, (list, tuple)):
        return "[" + ", ".join(answer_text(item) for item in raw) + "]"
    if isinstance(raw, float):
        text = repr(raw)  # YAML read it from its shortest text, which repr gives back (and fast)
        return text if len(text) < 16 else fmt(raw)
    return str(raw)


def _read_count(raw: Any) -> int | float:
    if isinstance(raw, str) and raw.strip()[:1] == "[" and _TIGHT_PAIR.fullmatch(raw.strip()):
        raise Unreadable(raw.strip(), f"'{raw.strip()}' is a list; a parameter count is one whole number")
    if isinstance(raw, str) and _GROUPED_INT.fullmatch(raw.strip()):
        digits = re.sub(r"[, _]", "", raw.strip())
        if len(digits) > 30:  # no network has 10^30 parameters; int() of thousands of digits fails
            raise Unreadable(answer_text(raw), "that number is far too large for a parameter count")
        return int(digits)
    if isinstance(raw, (list, tuple)):
        raise Unreadable(answer_text(raw), f"'{answer_text(raw)}' is a list; a parameter count is one whole number")
    number = _number(raw)
    return int(number) if number.is_integer() else number


def _read_shape(raw: Any) -> tuple:
    if isinstance(raw, str):
        raw = _split_shape_text(raw)
    if not isinstance(raw, (list, tuple)):
        raw = [raw]  # `A: 1024` for the shape [1024]; a longer shape then fails as the wrong length
    dims = []
    for item in raw:
        if isinstance(item, (list, tuple)):
            raise Unreadable(answer_text(raw), f"'{answer_text(raw)}' is nested; a shape is a flat list such as [16, 32, 32]")
        dims.append(_read_count(item) if not isinstance(item, str) else _read_count(item.strip()))
    return tuple(dims)


def _split_shape_text(text: str) -> list:
    stripped = text.strip()
    if stripped[:1] in "([" and stripped[-1:] in ")]":
        stripped = stripped[1:-1]
    parts = [p.strip() for p in _SHAPE_SEPARATORS.split(stripped)]
    parts = [p for p in parts if p]
    if not parts:
        raise Unreadable(text, f"'{text}' is not a shape (write e.g. [16, 32, 32])")
    return parts


def _read_real(raw: Any) -> float | np.ndarray:
    if isinstance(raw, str) and (raw.strip()[:1] == "[" or raw.strip().startswith("array(")):
        raw = _bracketed(raw)
    if not isinstance(raw, (list, tuple)):
        return _number(raw)
    rows = _nested_numbers(raw, answer_text(raw))
    try:
        return np.array(rows, dtype=float)
    except ValueError:
        raise Unreadable(answer_text(raw), f"'{answer_text(raw)}' has rows of different lengths") from None


def _nested_numbers(raw: Any, whole: str) -> Any:
    if isinstance(raw, (list, tuple)):
        if not raw:
            raise Unreadable(whole, f"'{whole}' is an empty list")
        return [_nested_numbers(item, whole) for item in raw]
    try:
        return parse_number(raw)
    except NotANumber as exc:
        raise Unreadable(whole, f"in '{whole}': {exc}") from None


def _bracketed(text: str) -> Any:
    """A list written as text: '[0.1, 2/5]' as the YAML list it looks like, else as numpy
    prints arrays — '[[0.1 0.2]\n [0.3 0.4]]' (numbers apart by spaces, rows by brackets)
    or 'array([0.1, 0.2])'."""
    stripped = text.strip()
    try:
        value = parse_yaml(stripped, "<answer>")
        if isinstance(value, list) and _all_numbers(value):
            return value
    except InputError:
        value = None
    rows = _numpy_rows(stripped)
    if rows is not None:
        return rows
    if isinstance(value, list):
        return value  # read as YAML, to say which element is not a number
    raise Unreadable(stripped, f"'{stripped}' is not a list of numbers (write e.g. [0.1, -0.2])")


def _all_numbers(value: Any) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str):
            try:
                parse_number(item)
            except NotANumber:
                return False
    return True


def _numpy_rows(text: str) -> list | None:
    """The nested lists of a numpy-printed array, its elements as text (read later), or
    None when it is not one. One pass over the tokens: linear in the text."""
    if text.startswith("array(") and text.endswith(")"):  # repr(): array([0.1, 0.2], dtype=float32)
        text = text[len("array("):-1]
        head, _, dtype = text.rpartition("dtype=")
        if head and dtype.strip().isidentifier():
            text = head.rstrip().rstrip(",")
    root: list = []
    stack = [root]
    for token in _NUMPY_TOKEN.findall(text):
        if token == "[":
            if len(stack) > MAX_ARRAY_DEPTH:
                return None
            row: list = []
            stack[-1].append(row)
            stack.append(row)
        elif token == "]":
            if len(stack) == 1:
                return None
            stack.pop()
        elif token != ",":
            if len(stack) == 1:
                return None  # a number outside the brackets
            stack[-1].append(token)
    if len(stack) != 1 or len(root) != 1:
        return None
    return root[0]


def _number(raw: Any) -> float:
    if raw is None:
        raise Unreadable("", "empty answer")
    try:
        return parse_number(raw)
    except NotANumber as exc:
        raise Unreadable(answer_text(raw), str(exc)) from None


def _is_int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _tidy(x: float) -> float:
    return float(fmt(x)) if np.isfinite(x) else float(x)
