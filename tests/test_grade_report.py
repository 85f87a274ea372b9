"""Report files: the contract's JSON, the CSV gradebook, Gradescope's results.json, atomic writes."""

import csv
import json
import os

import pytest

from hwcheck.grade import Grader
from hwcheck.files import write_atomic
from hwcheck.grade.report import gradescope_json, report_json, write_gradescope, write_report
from hwcheck.grade.sheets import Entry, Sheet
from test_grade_fakes import residual_solution

ALICE = {"T1.z": 0.62, "T1.w0": -0.2, "dz/dw1": "2/5", "T1.b0": -0.2, "T1.b1": 1, "T1.x0": -0.06}


def graded(show=False):
    solution = residual_solution()
    grader = Grader(solution, show_answers=show)
    sheets = [
        grader.grade(Sheet("class/alice.yaml", "alice", [Entry(k, v) for k, v in ALICE.items()])),
        grader.grade(Sheet("class/=evil.yaml", "=HYPERLINK(\"x\")", [Entry("T1.z", "0.6 or so")])),
        grader.grade(Sheet("class/broken.yaml", "broken", error="class/broken.yaml:1:9: YAML syntax error: ...")),
    ]
    return solution.problem, sheets


def test_json_has_the_contract_fields():
    problem, sheets = graded()
    data = json.loads(report_json(problem, sheets))
    assert data["problem"] == "residual-relu"
    alice, evil, broken = data["sheets"]
    assert {"file", "student", "score", "max_score", "error", "results"} <= set(alice)
    assert (alice["score"], alice["max_score"], alice["error"]) == (9, 11, None)
    x0 = alice["results"][-1]
    assert {"id", "ask", "expected", "answer", "correct", "points", "earned", "feedback", "diagnosis"} <= set(x0)
    assert x0 == {**x0, "id": "T1.x0", "ask": "dz/dx0", "expected": None, "answer": -0.06, "correct": False, "points": 2, "earned": 0}
    assert x0["diagnosis"] == "you left out the skip connection x0 → yx"
    assert alice["results"][2]["answer"] == 0.4  # 2/5, read
    assert evil["results"][0]["answer"] == "0.6 or so"  # unreadable: the text written
    assert broken["error"].startswith("class/broken.yaml:1:9") and broken["results"] == []


def test_json_shows_expected_only_with_show_answers():
    problem, sheets = graded(show=True)
    data = json.loads(report_json(problem, sheets))
    assert [r["expected"] for r in data["sheets"][0]["results"]] == [0.62, -0.2, 0.4, -0.2, 1.0, 0.94]


def test_csv_reads_back_with_the_csv_module(tmp_path):
    problem, sheets = graded()
    path = tmp_path / "grades.csv"
    write_report(str(path), problem, sheets)
    with open(path, newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["Student", "File", "T1.z", "T1.w0", "T1.w1", "T1.b0", "T1.b1", "T1.x0", "Total", "Max", "Error", "Warnings", "Partial credit"]
    assert rows[0] == {**rows[0], "Student": "alice", "T1.z": "1", "T1.x0": "0", "Total": "9", "Max": "11", "Error": "", "Warnings": ""}
    assert rows[1]["Student"] == "'=HYPERLINK(\"x\")"  # not a formula in a spreadsheet
    assert rows[1]["File"] == "class/=evil.yaml"
    assert rows[2]["Total"] == "" and rows[2]["T1.z"] == "" and rows[2]["Error"].startswith("class/broken.yaml")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")  # BOM, for Excel


def check_gradescope_schema(data):
    """The published results.json format (gradescope-autograders.readthedocs.io/en/latest/specs/)."""
    top = {"score", "execution_time", "output", "output_format", "test_output_format", "test_name_format", "visibility", "stdout_visibility", "extra_data", "tests", "leaderboard"}
    per_test = {"score", "max_score", "status", "name", "name_format", "number", "output", "output_format", "tags", "visibility", "extra_data"}
    assert set(data) <= top
    assert "score" in data or all("score" in t for t in data["tests"])
    assert isinstance(data.get("score", 0), (int, float)) and not isinstance(data.get("score"), bool)
    assert isinstance(data.get("output", ""), str)
    for test in data.get("tests", []):
        assert set(test) <= per_test
        for key in ("score", "max_score"):
            assert isinstance(test.get(key, 0), (int, float)) and not isinstance(test.get(key), bool)
        assert test.get("status", "passed") in ("passed", "failed")
        for key in ("name", "number", "output"):
            assert isinstance(test.get(key, ""), str)
        assert test.get("visibility", "visible") in ("hidden", "after_due_date", "after_published", "visible")


def test_gradescope_results_follow_the_published_schema():
    problem, sheets = graded()
    data = json.loads(gradescope_json(problem, sheets[0]))
    check_gradescope_schema(data)
    assert data["score"] == 9 and len(data["tests"]) == 6
    x0 = data["tests"][-1]
    assert x0 == {"name": "T1.x0: dz/dx0", "number": "T1.x0", "score": 0, "max_score": 2, "status": "failed", "output": "Your answer: -0.06\nwrong: you left out the skip connection x0 → yx"}
    assert data["tests"][0]["status"] == "passed"
    assert sum(t["score"] for t in data["tests"]) == data["score"]


def test_gradescope_for_an_unreadable_sheet():
    problem, sheets = graded()
    data = json.loads(gradescope_json(problem, sheets[2]))
    check_gradescope_schema(data)
    assert data["score"] == 0 and {t["status"] for t in data["tests"]} == {"failed"}
    assert sum(t["max_score"] for t in data["tests"]) == 11
    assert "could not be read" in data["output"]


def test_gradescope_hides_expected_values_by_default(tmp_path):
    problem, sheets = graded()
    path = tmp_path / "results.json"
    write_gradescope(str(path), problem, sheets[0])
    assert "0.94" not in path.read_text()


def test_atomic_write_leaves_the_old_file_when_writing_fails(tmp_path):
    path = tmp_path / "report.json"
    path.write_text("old")

    with pytest.raises(TypeError):
        write_atomic(str(path), 12345)  # not text: fails mid-write
    assert path.read_text() == "old"
    assert os.listdir(tmp_path) == ["report.json"]  # no temporary file left behind


def test_atomic_write_replaces_and_is_readable_by_others(tmp_path):
    path = tmp_path / "report.json"
    write_atomic(str(path), "{}\n")
    assert path.read_text() == "{}\n" and os.listdir(tmp_path) == ["report.json"]
    assert path.stat().st_mode & 0o044  # not left at mkstemp's 0600


def test_every_csv_text_cell_is_neutralised_also_the_error(tmp_path):
    # A sheet named '=1+2.yaml' that cannot be read: its file name starts the Error cell too.
    problem, _ = graded()
    grader = Grader(residual_solution())
    broken = grader.grade(Sheet("=1+2.yaml", "@who", error="=1+2.yaml:1:9: YAML syntax error: ..."))
    path = tmp_path / "grades.csv"
    write_report(str(path), problem, [broken])
    with open(path, newline="", encoding="utf-8-sig") as handle:
        row = list(csv.DictReader(handle))[0]
    assert (row["Student"], row["File"]) == ("'@who", "'=1+2.yaml")
    assert row["Error"] == "'=1+2.yaml:1:9: YAML syntax error: ..."
    assert (row["Total"], row["Max"]) == ("", "11")  # numbers stay numbers
