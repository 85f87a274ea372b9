"""Answer sheets: keys by id or ask, missing and unknown answers, and broken files."""

from pathlib import Path

import pytest

from hwcheck.grade import Grader
from hwcheck.grade.model import CORRECT, MISSING, UNREADABLE, WRONG
from hwcheck.grade.sheets import read_sheet
from test_grade_fakes import residual_solution


def write(tmp_path: Path, name: str, text: str | bytes) -> str:
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return str(path)


def grade(tmp_path, text, name="s.yaml"):
    return Grader(residual_solution()).grade_file(write(tmp_path, name, text))


def by_id(sheet):
    return {r.id: r for r in sheet.results}


def test_keys_by_id_or_by_ask_text(tmp_path):
    sheet = grade(tmp_path, "answers:\n  T1.z: 0.62\n  dz/dw0: -0.2\n  'dz / dw1': 2/5\n")
    r = by_id(sheet)
    assert [r[i].status for i in ("T1.z", "T1.w0", "T1.w1")] == [CORRECT] * 3
    assert sheet.score == 5


def test_missing_answers_score_zero_and_say_missing(tmp_path):
    sheet = grade(tmp_path, "answers:\n  T1.z: 0.62\n  T1.w0:\n")
    r = by_id(sheet)
    assert r["T1.w0"].status == MISSING and r["T1.w0"].earned == 0 and r["T1.w0"].answer is None
    assert r["T1.x0"].status == MISSING and r["T1.x0"].feedback.startswith("missing")


def test_unreadable_answer_is_reported_with_the_text_written(tmp_path):
    sheet = grade(tmp_path, "answers:\n  T1.z: about 0.6\n")
    z = by_id(sheet)["T1.z"]
    assert z.status == UNREADABLE and z.answer == "about 0.6"
    assert "'about 0.6'" in z.feedback


def test_unknown_key_is_reported_with_a_suggestion(tmp_path):
    sheet = grade(tmp_path, "answers:\n  T1.z: 0.62\n  T1.xo: 1\n")
    assert sheet.warnings == ["line 3: 'T1.xo' matches no question (did you mean 'T1.x0'?); it was not graded"]
    assert sheet.error is None


def test_answered_twice_differently_is_not_graded_as_either(tmp_path):
    sheet = grade(tmp_path, "answers:\n  T1.w1: 0.4\n  dz/dw1: 0.5\n")
    w1 = by_id(sheet)["T1.w1"]
    assert w1.status == UNREADABLE and "more than once" in w1.feedback and w1.earned == 0


def test_answered_twice_the_same_is_fine(tmp_path):
    assert by_id(grade(tmp_path, "answers:\n  T1.w1: 0.4\n  dz/dw1: 2/5\n"))["T1.w1"].status == CORRECT


def test_student_defaults_to_file_name(tmp_path):
    assert grade(tmp_path, "answers: {}\n", name="carol.yaml").student == "carol"
    assert grade(tmp_path, "student: Dan\nanswers: {}\n").student == "Dan"
    assert grade(tmp_path, "student: 12345\nanswers: {}\n").student == "12345"


@pytest.mark.parametrize(
    "text, message",
    [
        ("answers: [1, 2\n", "YAML syntax error"),
        (b"\x00\x01\x02binary", "is a binary file"),
        ("- 0.62\n- -0.2\n", "the sheet is a YList, not a mapping"),
        ("", "the sheet is empty"),
        ("student: x\nanswer:\n  T1.z: 1\n", "no 'answers' mapping ('answer' should be 'answers')"),
        ("answers: 0.62\n", "'answers' must be a mapping"),
        ("answers: !!python/object:os.system {}\n", "YAML tag"),
        ("answers:\n  T1.z: 1\n  T1.z: 2\n", "duplicate key 'T1.z'"),
        (b"\xff\xfeanswers", "not UTF-8"),
    ],
)
def test_broken_sheets_are_results_with_an_error(tmp_path, text, message):
    sheet = grade(tmp_path, text)
    assert sheet.error is not None and message in sheet.error, sheet.error
    assert sheet.results == [] and sheet.score == 0 and sheet.max_score == 11
    assert sheet.error.startswith(str(tmp_path))  # names the file


def test_missing_file_is_a_sheet_error(tmp_path):
    sheet = Grader(residual_solution()).grade_file(str(tmp_path / "nope.yaml"))
    assert "no such answer sheet" in sheet.error


def test_blank_answers_key_means_everything_missing(tmp_path):
    sheet = grade(tmp_path, "answers:\n")
    assert sheet.error is None and {r.status for r in sheet.results} == {MISSING}


def test_unknown_top_level_key_is_a_warning(tmp_path):
    sheet = grade(tmp_path, "studnet: x\nanswers: {T1.z: 0.62}\n")
    assert "unknown key 'studnet' (did you mean 'student'?)" in sheet.warnings[0]


def test_wrong_answer_without_mistake_is_plain_wrong(tmp_path):
    z = by_id(grade(tmp_path, "answers: {T1.b1: 3}\n"))["T1.b1"]
    assert z.status == WRONG and z.feedback == "wrong" and z.diagnosis is None


def test_read_sheet_keeps_positions(tmp_path):
    sheet = read_sheet(write(tmp_path, "p.yaml", "student: p\nanswers:\n  T1.z: 1\n"))
    assert sheet.entries[0].pos.line == 3
