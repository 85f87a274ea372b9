"""A short fuzz of the loaders (issue 8): mutated problem files and sheets, random scalars
and random text into every file-controlled parser. Whatever comes in, the result is a
value or an InputError whose every line is one printable line — never another exception.
Derandomized, so a failure reproduces."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import hwcheck
from hwcheck.architecture.model import parse_ask as architecture_ask
from hwcheck.errors import InputError
from hwcheck.escape import visible
from hwcheck.graph.ask import parse_ask
from hwcheck.graph.expr import ExprError, parse_expression
from hwcheck.graph.ops import FUNCTIONS
from hwcheck.grade import Grader
from hwcheck.grade.sheets import sheet_from_data
from hwcheck.grade.template import sheet_text, template_text
from hwcheck.numbers import NotANumber, parse_number
from hwcheck.yamldoc import parse_yaml
from support import PROBLEMS

FUZZ = settings(max_examples=60, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
SHIPPED = {path.name: path.read_text(encoding="utf-8") for path in sorted(PROBLEMS.glob("*.yaml"))}
# Characters that tend to break things: YAML indicators, controls, bidi, separators, digits.
NASTY = st.sampled_from(list(":-[]{},#&*!|>'\"%@`?~\n\t\r \\/.0123456789eE+") + ["\x1b", "\u202e", "\u2028", "\x85", "\ufeff", "\x7f", "1.10", "010", "0o7", "1e400", "yes", "<<"])
TEXT = st.lists(st.one_of(NASTY, st.characters(codec="utf-8")), max_size=30).map("".join)


def one_line_faults(error: InputError) -> None:
    for fault in error.faults:
        line = visible(f"error: {fault}")
        assert "\n" not in line and line.isprintable(), line


@FUZZ
@given(name=st.sampled_from(sorted(SHIPPED)), cut=st.integers(0, 10_000), insert=TEXT, drop=st.integers(0, 40))
def test_mutated_problem_files_load_or_are_refused(name, cut, insert, drop):
    text = SHIPPED[name]
    cut %= len(text) + 1
    mutated = text[:cut] + insert + text[cut + drop:]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_text(mutated, encoding="utf-8")
        try:
            problem = hwcheck.load_problem(path)
        except InputError as error:
            one_line_faults(error)
            return
        solution = hwcheck.solve(problem)
        template = template_text(problem, str(path))
        data = parse_yaml(template, "template.yaml")  # the template of any loadable problem is valid YAML
        assert list(data["answers"] or {}) == [q.id for q in problem.questions]
        solution.to_json()


RESIDUAL = hwcheck.solve(hwcheck.load_problem(PROBLEMS / "residual_relu.yaml"))
GRADER = Grader(RESIDUAL)


@FUZZ
@given(key=st.one_of(st.sampled_from(["T1.z", "dz/dw0", "T1.w1", "1.10", "010"]), TEXT), value=TEXT, student=TEXT)
def test_sheets_of_any_text_are_graded_or_reported(key, value, student):
    text = f"student: {student}\nanswers:\n  {key}: {value}\n"
    try:
        data = parse_yaml(text, "s.yaml")
    except InputError as error:
        one_line_faults(error)
        return
    sheet = sheet_from_data(data, "s.yaml")
    result = GRADER.grade(sheet)
    assert result.score <= result.max_score
    # What the checker would save reads back as what was typed.
    saved = parse_yaml(sheet_text(RESIDUAL.problem, student or None, {"T1.z": value}), "saved.yaml")
    assert list(saved["answers"]) == [q.id for q in RESIDUAL.problem.questions]


@FUZZ
@given(text=TEXT)
def test_scalars_and_asks_of_any_text(text):
    try:
        value = parse_yaml(f"k: {text}\n", "f.yaml")
    except InputError as error:
        one_line_faults(error)
    else:
        assert value is None or isinstance(value, dict)
    for parse in (lambda t: parse_number(t), lambda t: parse_expression(t, FUNCTIONS)):
        try:
            parse(text)
        except (NotANumber, ExprError):
            pass
    parse_ask(text)
    architecture_ask(text, ["A"])


@pytest.mark.parametrize("text", ["010", "0557057", "1.10", "0o17", "0x1F", "+1", "-0", ".5", "1e-6", "1_0", "0b1", "1:2", "NaN", ".NaN", "-.INF"])
def test_a_number_as_a_key_and_as_a_value(text):
    # As a key the text stays as written; as a value it is read by the core schema (or kept).
    data = parse_yaml(f"{text}: {text}\n", "f.yaml")
    assert list(data) == [text]
    assert data.text(text) == text
