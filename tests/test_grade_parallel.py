"""A big class is graded by forked worker processes; the results must be exactly those of
grading the files one after another in this process: the same reports, byte for byte."""

import json
import os
import sys
import time
from pathlib import Path

import pytest

import hwcheck
from hwcheck.grade import batch
from hwcheck.grade.batch import PARALLEL_MIN_SHEETS, collect_sheets, default_workers, grade_files
from hwcheck.grade.grader import Grader
from hwcheck.grade.report import report_csv, report_json
from support import CONTRACT
from test_grade_cli import run

RESIDUAL = str(CONTRACT / "residual_relu.yaml")
RIGHT = {"T1.z": "0.62", "T1.w0": "-0.2", "T1.w1": "0.4", "T1.b0": "-0.2", "T1.b1": "1", "T1.x0": "0.94"}

# Sheets that take every route through grading: right answers in other forms, the skip path
# left out (diagnosed), rounded too coarsely, unreadable, missing, answered twice
# differently, keys that match no question, and files that cannot be read at all.
KINDS = [
    lambda i: {**RIGHT},
    lambda i: {**RIGHT, "T1.w1": "2/5", "T1.x0": "47/50"},
    lambda i: {**RIGHT, "T1.x0": "-0.06"},
    lambda i: {**RIGHT, "T1.x0": "0.9", "T1.z": "about 0.6"},
    lambda i: {k: v for k, v in RIGHT.items() if k != "T1.b1"},
    lambda i: {**RIGHT, "dz/dw0": "0.3"},
    lambda i: {**RIGHT, "T1.zz": "0.62"},
    lambda i: {**RIGHT, "T1.w0": "0.2", "T1.b0": "[1, 2]"},
]


def write_class(folder, count):
    folder.mkdir()
    for i in range(count):
        path = folder / f"s{i:04d}.yaml"
        if i % 37 == 36:
            path.write_text("answers: [unclosed\n" if i % 2 else "")
            continue
        answers = KINDS[i % len(KINDS)](i)
        path.write_text(f"student: student{i:04d}\nanswers:\n" + "".join(f"  {k}: {v}\n" for k, v in answers.items()))
    return collect_sheets([folder])


@pytest.fixture(scope="module")
def solution():
    return hwcheck.solve(hwcheck.load_problem(RESIDUAL))


@pytest.mark.parametrize("show_answers", [False, True])
def test_parallel_grading_gives_exactly_the_serial_results_and_reports(tmp_path, monkeypatch, solution, show_answers):
    files = write_class(tmp_path / "class", 150)
    monkeypatch.setattr(batch, "CHUNK_SHEETS", 11)  # many chunks, unevenly filled, over both workers
    serial = grade_files(Grader(solution, show_answers), files, workers=1)
    parallel = grade_files(Grader(solution, show_answers), files, workers=2)
    assert [s.file for s in parallel] == files
    assert parallel == serial
    assert report_json(solution.problem, parallel) == report_json(solution.problem, serial)
    assert report_csv(solution.problem, parallel) == report_csv(solution.problem, serial)
    # the class really took every route
    statuses = {r.status for s in serial for r in s.results}
    assert statuses == {"correct", "wrong", "rounded", "unreadable", "missing"}
    assert sum(1 for s in serial if s.error) == 4 and any(s.warnings for s in serial)
    assert any("skip connection" in (r.diagnosis or "") for s in serial for r in s.results)


def test_the_workers_are_other_processes_and_progress_is_reported_in_order(tmp_path, monkeypatch, solution):
    files = write_class(tmp_path / "class", 40)
    monkeypatch.setattr(batch, "CHUNK_SHEETS", 5)
    seen_by = tmp_path / "pids"
    seen_by.mkdir()

    class Witness(Grader):
        def grade_file(self, path):
            (seen_by / str(os.getpid())).touch()
            # A barrier: the first worker waits for the second, so neither can grade the
            # whole class alone however the two are scheduled (not a timing assertion: the
            # deadline only keeps a broken pool from hanging the suite).
            deadline = time.monotonic() + 60
            while len(list(seen_by.iterdir())) < 2 and time.monotonic() < deadline:
                time.sleep(0.01)
            return super().grade_file(path)

    progress = []
    results = grade_files(Witness(solution), files, lambda done, r: progress.append((done, r.file)), workers=2)
    pids = {int(p.name) for p in seen_by.iterdir()}
    assert os.getpid() not in pids and len(pids) == 2
    assert progress == list(enumerate(files, 1)) and len(results) == 40


def test_a_failure_in_a_worker_reaches_the_caller(tmp_path, monkeypatch, solution):
    files = write_class(tmp_path / "class", 20)
    monkeypatch.setattr(batch, "CHUNK_SHEETS", 4)

    class Broken(Grader):
        def grade_file(self, path):
            if path.endswith("s0013.yaml"):
                raise RuntimeError("a bug in grading")
            return super().grade_file(path)

    with pytest.raises(RuntimeError, match="a bug in grading"):
        grade_files(Broken(solution), files, workers=2)


def test_workers_only_for_a_big_class_on_linux(monkeypatch):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    assert default_workers(PARALLEL_MIN_SHEETS - 1) == 1
    assert default_workers(PARALLEL_MIN_SHEETS) == PARALLEL_MIN_SHEETS // batch.CHUNK_SHEETS  # one chunk each: 4
    assert default_workers(100_000) == batch.MAX_WORKERS
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0})
    assert default_workers(100_000) == 1
    monkeypatch.setattr(sys, "platform", "darwin")
    assert default_workers(100_000) == 1


@pytest.mark.skipif(sys.platform != "linux", reason="worker processes are forked on Linux only")
def test_the_grade_command_on_a_big_class_writes_the_serial_report(tmp_path, capsys, monkeypatch, solution):
    files = write_class(tmp_path / "class", PARALLEL_MIN_SHEETS)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    assert default_workers(len(files)) == 2
    report = tmp_path / "r.json"
    code, out, _ = run(["grade", RESIDUAL, str(tmp_path / "class"), "--report", str(report)], capsys)
    serial = grade_files(Grader(solution), files, workers=1)
    assert code == 1
    assert report.read_text(encoding="utf-8") == report_json(solution.problem, serial)
    assert len(json.loads(report.read_text(encoding="utf-8"))["sheets"]) == PARALLEL_MIN_SHEETS
    unreadable = sum(1 for s in serial if s.error)
    assert f"{PARALLEL_MIN_SHEETS:,} sheets: {PARALLEL_MIN_SHEETS - unreadable:,} graded, {unreadable} unreadable" in out


def test_a_big_class_with_a_report_shows_the_first_summary_rows_and_says_where_the_rest_is(tmp_path, capsys, monkeypatch):
    from hwcheck.grade.terminal import MAX_SHEET_TABLES, MAX_SUMMARY_ROWS

    monkeypatch.chdir(tmp_path)  # short relative paths: a summary row fits on one line

    count = MAX_SHEET_TABLES + 25
    files = write_class(Path("class"), count)
    unreadable = sum(1 for i in range(count) if i % 37 == 36)
    report = Path("r.json")
    code, out, _ = run(["grade", RESIDUAL, "class", "--report", str(report), "--width", "200"], capsys)
    assert code == 1
    rows = [line for line in out.splitlines() if "class/s0" in line]  # one summary row a sheet
    assert len(rows) == MAX_SUMMARY_ROWS  # the first rows, in file order
    assert "student0000" in rows[0] and f"student{MAX_SUMMARY_ROWS - 1:04d}" in rows[-1]
    # Under the last row shown: how many are not and where they are, then the caption,
    # which still counts the whole class; each said once, and nothing after the caption
    # asks for the --report that was given.
    lines = out.splitlines()
    more = lines.index(f"... and {count - MAX_SUMMARY_ROWS} more sheets (every one, with its feedback per question, is in {report})")
    assert lines.index(rows[-1]) < more and lines[more - 1].startswith("└")
    caption = f"{count} sheets: {count - unreadable} graded, {unreadable} unreadable"
    assert lines[more + 1].startswith(caption) and more + 1 == len(lines) - 1 and out.count(caption) == 1
    assert "--report" not in out and out.count(str(report)) == 1
    assert len(json.loads(report.read_text(encoding="utf-8"))["sheets"]) == count == len(files)

    code, out, _ = run(["grade", RESIDUAL, "class", "--width", "200"], capsys)
    rows = [line for line in out.splitlines() if "class/s0" in line]  # one summary row a sheet
    assert len(rows) == count  # no report: the terminal is the record, every row is shown
    assert "more sheets" not in out
    lines = out.splitlines()  # the caption under the table, then where the feedback per question can be kept
    assert lines[-2].startswith(f"{count} sheets: {count - unreadable} graded") and out.count(" graded, ") == 1
    assert lines[-1] == f"({count} sheets: no table per sheet; --report FILE.json or FILE.csv keeps the feedback per question)"
