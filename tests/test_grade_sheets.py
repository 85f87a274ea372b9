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
        (b"answers:\n  T1.z: \xff\n", ":2:9: is not UTF-8 text (byte 0xFF here"),
        (b"\xff\xfeanswers", "starts as UTF-16-LE but has a bad byte at offset 8"),  # an odd number of bytes
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


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-8-sig"])
def test_sheets_with_a_byte_order_mark_are_read(tmp_path, encoding):
    # Windows Notepad and PowerShell's `>` save UTF-16 with a byte-order mark.
    text = "student: José\nanswers:\n  T1.z: 0.62\n  T1.w0: −0.2\n"
    data = text.encode(encoding)
    if encoding == "utf-16-le":
        data = b"\xff\xfe" + data
    elif encoding == "utf-16-be":
        data = b"\xfe\xff" + data
    sheet = grade(tmp_path, data)
    assert sheet.error is None and sheet.student == "José"
    assert [by_id(sheet)[i].status for i in ("T1.z", "T1.w0")] == [CORRECT, CORRECT]


@pytest.mark.parametrize(
    "data, message",
    [
        ("student: Jos\xe9\nanswers: {T1.z: 1}\n".encode("latin-1"),
         "s.yaml:1:13: is not UTF-8 text (byte 0xE9 here; Latin-1 or Windows-1252?); save it as UTF-8"),
        ("answers: {T1.z: 1}\n".encode("utf-16-le"), "s.yaml: looks like UTF-16 text without a byte-order mark; save it as UTF-8"),
        ("answers: {T1.z: 1}\n".encode("utf-32"), "s.yaml: is UTF-32-LE text; save it as UTF-8"),
    ],
)
def test_other_encodings_are_refused_saying_which(tmp_path, data, message):
    sheet = grade(tmp_path, data)
    assert sheet.error == f"{tmp_path}/{message}"


def test_yes_and_no_are_quoted_as_written_not_as_booleans(tmp_path):
    # YAML 1.1 reads yes/No/on as booleans; the student wrote a word, and is shown that word.
    sheet = grade(tmp_path, "student: yes\nanswers:\n  T1.z: yes\n  T1.w0: No\n  T1.x0: {a: 1}\n  T1.b0: [on, 1]\n")
    r = by_id(sheet)
    assert sheet.student == "yes"
    assert (r["T1.z"].status, r["T1.z"].answer, r["T1.z"].answer_text) == (UNREADABLE, "yes", "yes")
    assert r["T1.z"].feedback.startswith("could not read 'yes':")
    assert (r["T1.w0"].answer, r["T1.b0"].answer) == ("No", "[on, 1]")
    assert "True" not in repr([x.feedback for x in sheet.results])


def test_question_ids_match_ignoring_case_when_only_one_fits(tmp_path):
    sheet = grade(tmp_path, "answers:\n  t1.z: 0.62\n  T1.W0: -0.2\n")
    r = by_id(sheet)
    assert (r["T1.z"].status, r["T1.w0"].status) == (CORRECT, CORRECT) and sheet.score == 3
    assert sheet.warnings == [
        "line 2: 't1.z' was taken as question 'T1.z' (ids are matched ignoring case when only one fits); write 'T1.z'",
        "line 3: 'T1.W0' was taken as question 'T1.w0' (ids are matched ignoring case when only one fits); write 'T1.w0'",
    ]


def test_ids_differing_only_in_case_are_not_guessed():
    from hwcheck.grade.sheets import KeyIndex
    from hwcheck.problem import Question

    index = KeyIndex([Question("Q.a", "dz/dw"), Question("Q.A", "dz/dW")])
    assert index.find_ignoring_case("q.a") is None  # two fit: ambiguous, reported as unknown
    assert index.find("Q.A").ask == "dz/dW" and index.find("dz/dW").id == "Q.A"


def test_a_tab_in_a_sheet_says_to_use_spaces(tmp_path):
    sheet = grade(tmp_path, "answers:\n\tT1.z: 0.62\n")
    assert sheet.error == f"{tmp_path}/s.yaml:2:1: YAML syntax error: a tab; YAML indents with spaces only: replace the tabs with spaces"


def test_decimal_commas_are_read_with_a_note(tmp_path):
    sheet = grade(tmp_path, "answers:\n  T1.z: 0,62\n  T1.w0: '-0,2'\n  T1.w1: [0,4]\n  T1.b1: 1,000\n")
    r = by_id(sheet)
    assert (r["T1.z"].status, r["T1.z"].answer, r["T1.z"].answer_text) == (CORRECT, 0.62, "0,62")
    assert r["T1.z"].feedback == "correct; read '0,62' as 0.62 (a decimal comma); write a decimal point"
    assert (r["T1.w0"].status, r["T1.w1"].status, r["T1.w1"].answer) == (CORRECT, CORRECT, 0.4)
    assert r["T1.w1"].answer_text == "[0,4]"
    assert r["T1.b1"].status == UNREADABLE and "could be 1.000 (a decimal comma) or 1000" in r["T1.b1"].feedback


def test_numpy_printed_matrices_are_read_from_a_block_or_a_quoted_string(tmp_path):
    import numpy as np

    from hwcheck.grade.answers import Target, read_answer

    target = Target.of(np.array([[0.1, 0.2], [0.3, 0.4]]), exact=False)
    block = "answers:\n  M: |\n    [[0.1 0.2]\n     [0.3 0.4]]\n"
    quoted = 'answers:\n  M: "[[0.1 0.2]\\n [0.3 0.4]]"\n'
    folded = "answers:\n  M: '[[0.1 0.2]\n    [0.3 0.4]]'\n"  # a quoted string over two lines
    for name, text in {"block": block, "quoted": quoted, "folded": folded}.items():
        raw = read_sheet(write(tmp_path, f"{name}.yaml", text)).entries[0].raw
        assert read_answer(raw, target).tolist() == [[0.1, 0.2], [0.3, 0.4]], (name, raw)
