"""Batches: one solve per run, many sheets, per-question tolerance and kinks with the real solver."""

import json
from pathlib import Path

import hwcheck
from hwcheck.grade import command
from hwcheck.grade.batch import collect_sheets, exit_code, grade_files
from hwcheck.grade.grader import Grader
from test_grade_cli import RESIDUAL, run
from test_grade_fakes import residual_solution

KINK = """\
id: kink
kind: graph
inputs: {x: 1.0}
params: {w: 0.5, b: -0.5}
steps:
  h: relu(w * x + b)
  z: h * 2
tolerance: {rel: 0.05}
questions:
  - {id: K, ask: dz/dw}
  - {id: V, ask: z, tolerance: {abs: 0.001, rel: 0}}
  - {id: H, ask: h, points: 2}
"""


def test_the_problem_is_solved_once_per_run(tmp_path, capsys, monkeypatch):
    for i in range(25):
        (tmp_path / f"s{i:02d}.yaml").write_text("answers: {T1.z: 0.62}\n")
    calls = []
    real = hwcheck.solve
    monkeypatch.setattr(command, "solve", lambda p: calls.append(p) or real(p))  # where `hwcheck grade` calls it
    code, _, _ = run(["grade", RESIDUAL, str(tmp_path), "--summary"], capsys)
    assert code == 1 and len(calls) == 1


def test_thousands_of_sheets_in_one_run(tmp_path, capsys):
    folder = tmp_path / "class"
    for section in range(4):
        (folder / f"sec{section}").mkdir(parents=True)
    for i in range(2000):
        answer = "0.94" if i % 3 else "-0.06"
        (folder / f"sec{i % 4}" / f"st{i:04d}.yaml").write_text(f"student: st{i:04d}\nanswers: {{T1.x0: {answer}, T1.z: 0.62}}\n")
    report = tmp_path / "r.json"
    code, out, _ = run(["grade", RESIDUAL, str(folder), "--summary", "--report", str(report)], capsys)
    sheets = json.loads(report.read_text())["sheets"]
    assert code == 1 and len(sheets) == 2000
    assert [Path(s["file"]).parent.name for s in sheets[:3]] == ["sec0", "sec0", "sec0"]  # folders in order, then names
    skipped = [s for s in sheets if s["results"][5]["diagnosis"]]
    assert len(skipped) == 667 and all("skip connection" in s["results"][5]["diagnosis"] for s in skipped)
    assert "2,000 sheets: 2,000 graded, 0 unreadable, 0 all correct; mean 2.333 / 11 over 2,000 sheets" in " ".join(out.split())


def test_per_question_and_per_problem_tolerance_with_the_real_solver(tmp_path, capsys):
    problem = tmp_path / "kink.yaml"
    problem.write_text(KINK)
    sheet = tmp_path / "k.yaml"
    # z = 2·relu(0) = 0; V allows only ±0.001 (its own tolerance), H uses the problem's rel 0.05
    sheet.write_text("answers: {V: 0.002, H: 0.0000005}\n")
    report = tmp_path / "r.json"
    run(["grade", str(problem), str(sheet), "--report", str(report)], capsys)
    results = {r["id"]: r for r in json.loads(report.read_text())["sheets"][0]["results"]}
    assert results["V"]["correct"] is False and results["H"]["correct"] is True


def test_the_other_subgradient_at_a_kink_is_accepted_with_a_note(tmp_path, capsys):
    problem = tmp_path / "kink.yaml"
    problem.write_text(KINK)
    sheets = []
    for name, answer in (("torch", 0), ("other", 2), ("wrong", 1)):
        sheets.append(tmp_path / f"{name}.yaml")
        sheets[-1].write_text(f"answers: {{K: {answer}, V: 0, H: 0}}\n")
    report = tmp_path / "r.json"
    run(["grade", str(problem), *map(str, sheets), "--report", str(report)], capsys)
    k = [s["results"][0] for s in json.loads(report.read_text())["sheets"]]
    assert [r["correct"] for r in k] == [True, True, False]
    assert k[0]["status"] == "correct" and k[1]["status"] == "alternative"
    assert "valid subgradient" in k[1]["feedback"]


def test_collect_sheets_order_dedup_and_hidden(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "a").mkdir()
    (tmp_path / ".git").mkdir()
    for path in ("b/2.yaml", "b/1.yml", "a/z.yaml", "top.yaml", ".git/x.yaml", "a/.hidden.yaml", "a/readme.md"):
        (tmp_path / path).write_text("answers: {}\n")
    found = [str(Path(f).relative_to(tmp_path)) for f in collect_sheets([tmp_path / "top.yaml", tmp_path], exclude=[tmp_path / "b" / "2.yaml"])]
    assert found == ["top.yaml", "a/z.yaml", "b/1.yml"]


def test_grade_files_reports_progress_and_exit_code(tmp_path):
    good = tmp_path / "good.yaml"
    good.write_text("answers: {T1.z: 0.62, T1.w0: -0.2, T1.w1: 0.4, T1.b0: -0.2, T1.b1: 1, T1.x0: 0.94}\n")
    seen = []
    results = grade_files(Grader(residual_solution()), [str(good)], lambda done, r: seen.append((done, r.student)))
    assert seen == [(1, "good")] and exit_code(results) == 0
    results = grade_files(Grader(residual_solution()), [str(good), str(tmp_path / "gone.yaml")])
    assert exit_code(results) == 1
