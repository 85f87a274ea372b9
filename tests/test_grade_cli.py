"""`hwcheck grade` and `hwcheck template` driven as users drive them, on the contract's examples.

These use the real graph and architecture solvers: alice's −0.06 is diagnosed by the graph
solver as the skip path left out; bob's 555,520 by the architecture solver as the biases
forgotten.
"""

import csv
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from hwcheck.cli import app, main
from support import CONTRACT, HWCHECK, contract_problems

EXAMPLES = CONTRACT
RESIDUAL = str(EXAMPLES / "residual_relu.yaml")
MLP = str(EXAMPLES / "mlp_params.yaml")
ALICE = str(EXAMPLES / "alice_residual_relu.yaml")
BOB = str(EXAMPLES / "bob_mlp_params.yaml")


def run(args, capsys):
    """Run the CLI in-process as the installed entry point does; (exit code, stdout, stderr)."""
    try:
        main(args)
        code = 0
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else (0 if done.code is None else 2)
    out, err = capsys.readouterr()
    return code, out, err


def test_alice_scores_9_of_11_and_only_the_skip_path_is_wrong(tmp_path, capsys):
    report = tmp_path / "alice.json"
    code, out, err = run(["grade", RESIDUAL, ALICE, "--report", str(report)], capsys)
    assert code == 1, err
    sheet = json.loads(report.read_text())["sheets"][0]
    assert (sheet["student"], sheet["score"], sheet["max_score"], sheet["error"]) == ("alice", 9, 11, None)
    wrong = [r for r in sheet["results"] if not r["correct"]]
    assert [r["id"] for r in wrong] == ["T1.x0"]
    assert wrong[0]["answer"] == -0.06 and wrong[0]["expected"] is None
    assert "skip connection" in wrong[0]["diagnosis"] and "skip connection" in wrong[0]["feedback"]
    assert "alice — 9 / 11" in out


def test_bob_forgot_the_biases(tmp_path, capsys):
    report = tmp_path / "bob.json"
    code, out, _ = run(["grade", MLP, BOB, "--report", str(report), "--show-answers"], capsys)
    assert code == 1
    sheet = json.loads(report.read_text())["sheets"][0]
    assert (sheet["score"], sheet["max_score"]) == (3, 6)
    t3 = sheet["results"][3]
    assert (t3["answer"], t3["expected"], t3["correct"]) == (555520, 557057, False)
    assert "forgot-bias" in t3["mistakes"] and "bias" in t3["diagnosis"]
    assert "557,057" in t3["feedback"]
    assert [r["expected"] for r in sheet["results"][:3]] == [[1024], [512], [1]]


def test_all_correct_exits_0(tmp_path, capsys):
    sheet = tmp_path / "perfect.yaml"
    sheet.write_text("answers:\n  T2.A: [1024]\n  T2.B: (512)\n  C: 1\n  T3: 557,057\n")
    code, out, _ = run(["grade", MLP, str(sheet)], capsys)
    assert code == 0 and "perfect — 6 / 6" in out


def make_class(tmp_path: Path) -> Path:
    folder = tmp_path / "class"
    (folder / "section-b").mkdir(parents=True)
    (folder / ".ipynb_checkpoints").mkdir()
    shutil.copy(ALICE, folder / "alice.yaml")
    shutil.copy(RESIDUAL, folder / "residual_relu.yaml")  # the problem, kept with the sheets
    (folder / "carol.yml").write_text("student: carol\nanswers: {T1.z: 0.62, T1.w0: -0.2, T1.w1: 0.4, T1.b0: -0.2, T1.b1: 1, T1.x0: 0.94}\n")
    (folder / "section-b" / "dan.yaml").write_text("answers:\n  T1.z: [0.62\n")  # bad YAML
    (folder / "section-b" / "erin.yaml").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")  # binary
    (folder / "section-b" / "frank.yaml").write_text("- 0.62\n")  # not a mapping
    (folder / "section-b" / "gina.yaml").write_text("student: gina\n")  # no answers
    (folder / "notes.txt").write_text("not a sheet")
    (folder / ".ipynb_checkpoints" / "alice-checkpoint.yaml").write_text("answers: {}\n")
    return folder


def test_a_class_folder_with_broken_sheets(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)  # short relative paths: the lines asserted below are not wrapped
    folder = make_class(tmp_path).relative_to(tmp_path)
    problem = str(folder / "residual_relu.yaml")  # inside the folder: not graded as a sheet
    code, out, err = run(["grade", problem, str(folder), "--report", str(tmp_path / "r.json"), "--report", str(tmp_path / "r.csv")], capsys)
    assert code == 1, err
    sheets = json.loads((tmp_path / "r.json").read_text())["sheets"]
    names = [Path(s["file"]).name for s in sheets]
    assert names == ["alice.yaml", "carol.yml", "dan.yaml", "erin.yaml", "frank.yaml", "gina.yaml"]
    by_name = dict(zip(names, sheets))
    assert by_name["carol.yml"]["score"] == 11 and by_name["alice.yaml"]["score"] == 9
    assert "YAML syntax error" in by_name["dan.yaml"]["error"]
    assert "binary" in by_name["erin.yaml"]["error"]
    assert "not a mapping" in by_name["frank.yaml"]["error"]
    assert "no 'answers'" in by_name["gina.yaml"]["error"]
    with open(tmp_path / "r.csv", newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["Student"] for r in rows] == ["alice", "carol", "dan", "erin", "frank", "gina"]
    assert [r["Total"] for r in rows] == ["9", "11", "", "", "", ""]
    out = " ".join(out.split())
    assert "Summary" in out and "6 sheets: 2 graded, 4 unreadable, 1 all correct; mean 10 / 11 over 2 sheets; 4 unreadable sheets are left out of the mean" in out
    # every file is accounted for: the problem itself and the notes are listed, not graded
    skipped = json.loads((tmp_path / "r.json").read_text())["skipped"]
    assert [(Path(s["file"]).name, s["reason"]) for s in skipped] == [
        ("notes.txt", "not a YAML answer sheet (.txt); sheets are .yaml or .yml files"),
        ("residual_relu.yaml", "the problem file itself, not an answer sheet"),
    ]
    assert f"not graded: {folder / 'notes.txt'}: not a YAML answer sheet (.txt)" in out


def test_files_and_folders_mixed_each_sheet_once(tmp_path, capsys):
    folder = make_class(tmp_path)
    report = tmp_path / "r.json"
    run(["grade", RESIDUAL, str(folder / "carol.yml"), str(folder), "--report", str(report), "--summary"], capsys)
    sheets = json.loads(report.read_text())["sheets"]
    files = [Path(s["file"]).name for s in sheets]
    assert files[0] == "carol.yml" and files.count("carol.yml") == 1 and len(files) == 6
    # a copy of the problem among the sheets is recognised, set aside and noted, not graded
    skipped = {Path(s["file"]).name: s["reason"] for s in json.loads(report.read_text())["skipped"]}
    assert skipped["residual_relu.yaml"] == "a problem file (id: residual-relu, kind: graph), not an answer sheet"


def test_a_missing_path_is_reported_and_the_rest_graded(tmp_path, capsys):
    report = tmp_path / "r.json"
    code, _, _ = run(["grade", RESIDUAL, ALICE, str(tmp_path / "typo"), "--report", str(report)], capsys)
    sheets = json.loads(report.read_text())["sheets"]
    assert code == 1 and sheets[0]["score"] == 9 and "no such answer sheet" in sheets[1]["error"]


def test_invalid_problem_exits_2_with_one_line(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x\nkind: grpah\n")
    code, out, err = run(["grade", str(bad), ALICE], capsys)
    assert code == 2 and err.startswith(f"error: {bad}:2:7: unknown kind 'grpah'") and "Traceback" not in err


@pytest.mark.parametrize(
    "args, message",
    [
        (["--report", "r.txt"], "r.txt: --report writes .json"),
        (["--report", "/no/such/folder/r.json"], "folder '/no/such/folder' does not exist"),
        (["--tries", "0"], "--tries: must be at least 1"),
        (["--save", "x.yaml"], "--save: is for the interactive checker"),
    ],
)
def test_bad_usage_exits_2(args, message, capsys):
    code, _, err = run(["grade", RESIDUAL, ALICE, *args], capsys)
    assert code == 2 and message in err


def test_empty_folder_is_bad_usage(tmp_path, capsys):
    code, _, err = run(["grade", RESIDUAL, str(tmp_path)], capsys)
    assert code == 2 and "no answer sheets" in err


def test_gradescope_grades_exactly_one_sheet(tmp_path, capsys):
    folder = make_class(tmp_path)
    code, _, err = run(["grade", RESIDUAL, str(folder), "--gradescope", str(tmp_path / "results.json")], capsys)
    assert code == 1 and "one submission at a time" in err  # the student's to fix, not "autograder failed"
    several = json.loads((tmp_path / "results.json").read_text())
    assert several["score"] == 0 and "answer sheets, and one is graded" in several["output"]
    assert {t["status"] for t in several["tests"]} == {"failed"} and len(several["tests"]) == 6
    code, _, _ = run(["grade", RESIDUAL, ALICE, "--gradescope", str(tmp_path / "results.json")], capsys)
    data = json.loads((tmp_path / "results.json").read_text())
    assert code == 1 and data["score"] == 9 and len(data["tests"]) == 6


@pytest.mark.parametrize("problem", contract_problems())
def test_template_loads_back_as_a_sheet_with_every_answer_missing(tmp_path, capsys, monkeypatch, problem):
    for problem in [problem]:
        sheet = tmp_path / f"{problem.stem}-blank.yaml"
        if "kind: code" in problem.read_text():  # the template is the starter module
            sheet = tmp_path / "hw4.py"
        if "kind: assignment" in problem.read_text():  # one sheet, and the code starter beside it
            sheet = tmp_path / "submission" / "answers.yaml"
            sheet.parent.mkdir()
        code, _, err = run(["template", str(problem), "-o", str(sheet)], capsys)
        assert code == 0, err
        if "\nvary:" in problem.read_text():  # per-student numbers: a named sheet, graded with the secret
            monkeypatch.setenv("HWCHECK_SECRET", "course secret")
            sheet.write_text(sheet.read_text().replace("\nstudent:\n", "\nstudent: Ada\n"))
        report = tmp_path / "r.json"
        code, _, _ = run(["grade", str(problem), str(sheet.parent if sheet.name == "answers.yaml" else sheet), "--report", str(report)], capsys)
        data = json.loads(report.read_text())["sheets"][0]
        assert code == 1 and data["error"] is None and data["warnings"] == []
        if sheet.name == "answers.yaml":  # every question missing; every function still raises NotImplementedError
            assert {r["status"] for r in data["results"]} == {"missing"}
            assert all("NotImplementedError" in r["feedback"] for r in data["results"] if r["problem"] == "numpy-net")
            assert {r["feedback"] for r in data["results"] if r["problem"] != "numpy-net"} == {"missing: no answer given"}
            continue
        if sheet.suffix == ".py":  # every function still raises NotImplementedError
            assert data["results"] and {r["status"] for r in data["results"]} == {"missing"}
            assert all("NotImplementedError" in r["feedback"] for r in data["results"])
            continue
        assert data["results"] and {r["feedback"] for r in data["results"]} == {"missing: no answer given"}


def test_template_to_stdout_names_ids_asks_and_points(capsys):
    code, out, _ = run(["template", RESIDUAL], capsys)
    assert code == 0
    assert "  T1.w0:  # dz/dw0  (2 points)\n" in out and "  T1.z:   # z  (1 point)\n" in out


def test_filled_template_grades(tmp_path, capsys):
    _, out, _ = run(["template", MLP], capsys)
    filled = out.replace("T2.A:", "T2.A: [1024]").replace("T3:  ", "T3: 557057  ")
    sheet = tmp_path / "s.yaml"
    sheet.write_text(filled)
    report = tmp_path / "r.json"
    run(["grade", MLP, str(sheet), "--report", str(report)], capsys)
    assert json.loads(report.read_text())["sheets"][0]["score"] == 4


def test_answers_typed_with_markup_brackets_are_shown(tmp_path, capsys):
    sheet = tmp_path / "m.yaml"
    sheet.write_text("answers:\n  T2.A: '[bold]1024'\n  T2.B: [512]\n")
    _, out, _ = run(["grade", MLP, str(sheet), "--width", "200"], capsys)
    assert "[bold]1024" in out and "[512]" in out


def test_commands_are_documented_with_an_example():
    from typer.main import get_command

    commands = get_command(app).commands
    for name in ("grade", "template"):
        help_text = commands[name].help
        assert help_text and help_text.strip().splitlines()[-1].startswith("Example: hwcheck " + name)


def test_no_sheets_and_no_terminal_says_how_and_exits_2():
    done = subprocess.run([HWCHECK, "grade", RESIDUAL], stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "no answer sheets given" in done.stderr and "hwcheck grade PROBLEM.yaml SHEET.yaml" in done.stderr


def test_real_process_exit_codes_and_piped_output_has_no_progress_bar(tmp_path):
    done = subprocess.run([HWCHECK, "grade", RESIDUAL, ALICE, ALICE], capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and done.stderr == ""
    assert "\x1b[" not in done.stdout  # no colours or progress bar when piped
