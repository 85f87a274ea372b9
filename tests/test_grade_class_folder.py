"""Issue 8 §3–§4: every file in a class folder is accounted for, a Gradescope submission
without a sheet still gets a results.json, links to the problem are the problem, and one
student name on two sheets is flagged."""

import csv
import json
import os
import shutil
from pathlib import Path

from support import CONTRACT, run_cli
from test_grade_report import check_gradescope_schema

PROBLEM = CONTRACT / "residual_relu.yaml"
ALICE = CONTRACT / "alice_residual_relu.yaml"


def test_a_link_to_the_problem_inside_the_class_folder_is_the_problem(tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    shutil.copy(ALICE, folder / "alice.yaml")
    problem = tmp_path / "residual_relu.yaml"
    shutil.copy(PROBLEM, problem)
    (folder / "problem-link.yaml").symlink_to(problem)
    os.link(problem, folder / "problem-hard.yaml")
    done = run_cli("grade", problem, folder, "--report", tmp_path / "r.json")
    assert done.returncode == 1, done.stderr
    data = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert [Path(s["file"]).name for s in data["sheets"]] == ["alice.yaml"]
    assert data["sheets"][0]["error"] is None
    assert {Path(s["file"]).name: s["reason"] for s in data["skipped"]} == {
        "problem-hard.yaml": "the problem file itself, not an answer sheet",
        "problem-link.yaml": "the problem file itself, not an answer sheet",
    }


def test_every_file_in_a_class_folder_is_accounted_for(tmp_path):
    folder = tmp_path / "class"
    (folder / "bob").mkdir(parents=True)
    shutil.copy(ALICE, folder / "alice.yaml")
    (folder / "bob" / "answers.txt").write_text("answers: {T1.z: 0.62}\n")
    (folder / "bob" / "working.pdf").write_bytes(b"%PDF-1.4")
    (folder / "README").write_text("hand in by Friday\n")
    done = run_cli("grade", PROBLEM, folder, "--report", tmp_path / "r.json", "--width", "400")
    assert done.returncode == 1, done.stderr
    skipped = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["skipped"]
    assert [(Path(s["file"]).relative_to(folder).as_posix(), s["reason"]) for s in skipped] == [
        ("README", "not a YAML answer sheet (no extension); sheets are .yaml or .yml files"),
        ("bob/answers.txt", "not a YAML answer sheet (.txt); sheets are .yaml or .yml files"),
        ("bob/working.pdf", "not a YAML answer sheet (.pdf); sheets are .yaml or .yml files"),
    ]
    for entry in skipped:  # and in the terminal, one line per file
        assert f"not graded: {entry['file']}: {entry['reason']}" in done.stdout


def test_a_folder_of_other_files_only_says_what_it_found(tmp_path):
    (tmp_path / "answers.txt").write_text("answers: {T1.z: 0.62}\n")
    done = run_cli("grade", PROBLEM, tmp_path)
    assert done.returncode == 2 and done.stderr.count("\n") == 1
    assert f"no answer sheets (*.yaml, *.yml) found there, only other files: {tmp_path / 'answers.txt'}: not a YAML answer sheet (.txt)" in done.stderr


def test_gradescope_submission_without_a_sheet_gets_results_saying_what_to_hand_in(tmp_path):
    submission = tmp_path / "submission"
    submission.mkdir()
    (submission / "answers.txt").write_text("answers: {T1.z: 0.62}\n")
    results = tmp_path / "results.json"
    done = run_cli("grade", PROBLEM, submission, "--gradescope", results, "--summary")
    assert done.returncode == 1, done.stderr  # the student's to fix; not "autograder failed" (2)
    data = json.loads(results.read_text(encoding="utf-8"))
    check_gradescope_schema(data)
    assert data["score"] == 0 and len(data["tests"]) == 6
    assert {t["status"] for t in data["tests"]} == {"failed"} and sum(t["max_score"] for t in data["tests"]) == 11
    assert "No answer sheet was found in your submission." in data["output"]
    assert f"{submission / 'answers.txt'}: not a YAML answer sheet (.txt)" in data["output"]
    assert "Hand in one YAML answer sheet, e.g. answers.yaml" in data["output"]


def test_gradescope_submission_that_is_empty_or_the_problem_file(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    done = run_cli("grade", PROBLEM, empty, "--gradescope", tmp_path / "a.json")
    data = json.loads((tmp_path / "a.json").read_text(encoding="utf-8"))
    assert done.returncode == 1 and data["score"] == 0 and "The submission holds no files." in data["output"]
    copy = tmp_path / "copy"
    copy.mkdir()
    shutil.copy(PROBLEM, copy / "problem.yaml")  # the student handed in the problem itself
    done = run_cli("grade", PROBLEM, copy, "--gradescope", tmp_path / "b.json")
    data = json.loads((tmp_path / "b.json").read_text(encoding="utf-8"))
    assert done.returncode == 1 and data["score"] == 0
    assert "a problem file (id: residual-relu, kind: graph), not an answer sheet" in data["output"]


def test_gradescope_lists_other_files_beside_the_sheet(tmp_path):
    submission = tmp_path / "submission"
    submission.mkdir()
    shutil.copy(ALICE, submission / "answers.yaml")
    (submission / "notes.md").write_text("I used the chain rule\n")
    done = run_cli("grade", PROBLEM, submission, "--gradescope", tmp_path / "results.json")
    data = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    assert done.returncode == 1 and data["score"] == 9
    assert f"Not graded: {submission / 'notes.md'}: not a YAML answer sheet (.md)" in data["output"]


def test_one_student_name_on_two_sheets_is_flagged_on_each(tmp_path):
    folder = tmp_path / "class"
    (folder / "a").mkdir(parents=True)
    (folder / "b").mkdir()
    (folder / "a" / "x.yaml").write_text("student: Alice Smith\nanswers: {T1.z: 0.62}\n")
    (folder / "b" / "y.yaml").write_text("student: alice  smith\nanswers: {T1.z: 0.62}\n")
    (folder / "b" / "carol.yaml").write_text("student: Carol\nanswers: {T1.z: 0.62}\n")
    done = run_cli("grade", PROBLEM, folder, "--report", tmp_path / "r.json", "--report", tmp_path / "r.csv", "--width", "200")
    with open(tmp_path / "r.csv", newline="", encoding="utf-8-sig") as handle:
        warnings = {row["Student"]: row["Warnings"] for row in csv.DictReader(handle)}
    assert warnings == {"Alice Smith": f"student 'Alice Smith' is also the name on {folder / 'b' / 'y.yaml'}; check who is who",
                        "Carol": "", "alice  smith": f"student 'alice  smith' is also the name on {folder / 'a' / 'x.yaml'}; check who is who"}
    sheets = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["sheets"]
    x, carol, y = sheets  # folders in order: a/x.yaml, then b/carol.yaml, b/y.yaml
    assert x["warnings"] == [f"student 'Alice Smith' is also the name on {folder / 'b' / 'y.yaml'}; check who is who"]
    assert y["warnings"] == [f"student 'alice  smith' is also the name on {folder / 'a' / 'x.yaml'}; check who is who"]
    assert carol["warnings"] == []
    assert f"warning: student 'Alice Smith' is also the name on {folder / 'b' / 'y.yaml'}" in done.stdout


def test_a_report_written_into_the_class_folder_is_not_listed_on_the_next_run(tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    shutil.copy(ALICE, folder / "alice.yaml")
    for _ in range(2):
        done = run_cli("grade", PROBLEM, folder, "--report", folder / "grades.json", "--report", folder / "grades.csv")
        assert done.returncode == 1 and "not graded" not in done.stdout
    assert json.loads((folder / "grades.json").read_text(encoding="utf-8"))["skipped"] == []


def test_names_taken_from_file_names_are_not_flagged(tmp_path):
    # One folder per student, each with answers.yaml and no student: key: every sheet is
    # "answers" by its file name, which claims no one.
    for who in ("ann", "ben"):
        (tmp_path / who).mkdir()
        (tmp_path / who / "answers.yaml").write_text("answers: {T1.z: 0.62}\n")
    (tmp_path / "ben" / "extra.yaml").write_text("student: answers\nanswers: {T1.z: 0.62}\n")
    done = run_cli("grade", PROBLEM, tmp_path, "--report", tmp_path / "r.json")
    sheets = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["sheets"]
    assert done.returncode == 1 and [s["student"] for s in sheets] == ["answers"] * 3
    assert [s["warnings"] for s in sheets] == [[], [], []]


def test_gradescope_submission_with_the_problem_beside_the_sheet(tmp_path):
    submission = tmp_path / "submission"
    submission.mkdir()
    shutil.copy(ALICE, submission / "answers.yaml")
    shutil.copy(PROBLEM, submission / "homework.yaml")  # the handout, uploaded with the answers
    done = run_cli("grade", PROBLEM, submission, "--gradescope", tmp_path / "results.json")
    data = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    assert done.returncode == 1 and data["score"] == 9
    assert f"Not graded: {submission / 'homework.yaml'}: a problem file (id: residual-relu, kind: graph), not an answer sheet" in data["output"]
