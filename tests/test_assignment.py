"""Issue 12 parts 1 and 5: assignments (contract §8). The seed homework as one file, graded
as one: carol's and dave's documented scores (37/37 and 23/37, each lost point as dave's
files explain it), a class folder with every file accounted for, the report shapes, and
the loader's refusals."""

import csv
import json
import os
import re
import shutil
from pathlib import Path

import pytest

from support import CONTRACT, PROBLEMS, run_cli
from test_grade_report import check_gradescope_schema

HW4 = CONTRACT / "hw4.yaml"
CAROL = CONTRACT / "submissions" / "carol"
DAVE = CONTRACT / "submissions" / "dave"
PROBLEM_IDS = ["residual-relu", "mlp-params", "softmax-ce-t4", "numpy-net"]
# Each problem's points, summed by hand from its file: T1 1+2·5, T2 1+1+1 and T3 3,
# T4 1+2+3+2, code 1+1+1+1+2+1+2+1+2.
MAX = {"residual-relu": 11, "mlp-params": 6, "softmax-ce-t4": 8, "numpy-net": 12}
# What dave loses, from the comments in dave/answers.yaml and dave/hw4.py: question → (earned, points).
DAVE_LOSSES = {"T1.x0": (0, 2), "T3": (0, 3), "T4.rule": (0, 3), "T4.w2": (1, 2), "C3": (0, 1), "C7": (0, 2), "C9": (0, 2)}


def grade_json(tmp_path, *paths, extra=()):
    report = tmp_path / "grades.json"
    done = run_cli("grade", HW4, *paths, "--report", report, *extra)
    assert done.returncode in (0, 1), done.stderr
    assert "Traceback" not in done.stderr
    return done, json.loads(report.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def carol_and_dave(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("graded")
    done, data = grade_json(tmp, CAROL, DAVE, extra=["--report", tmp / "grades.csv", "--canvas", tmp / "canvas.csv"])
    return done, data, tmp


# ---------------------------------------------------------------- the contract's scores


def test_carol_scores_37_of_37_and_dave_23_of_37(carol_and_dave):
    done, data, _ = carol_and_dave
    assert done.returncode == 1  # dave has wrong answers
    carol, dave = data["sheets"]
    assert (carol["student"], carol["score"], carol["max_score"], carol["error"]) == ("carol", 37, 37, None)
    assert (dave["student"], dave["score"], dave["max_score"], dave["error"]) == ("dave", 23, 37, None)
    assert all(r["correct"] for r in carol["results"])


def test_each_point_dave_loses_is_the_one_his_files_explain(carol_and_dave):
    dave = carol_and_dave[1]["sheets"][1]
    results = {r["id"]: r for r in dave["results"]}
    assert len(results) == 23  # 14 questions on the sheet and 9 code tasks
    lost = {qid: (r["earned"], r["points"]) for qid, r in results.items() if r["earned"] != r["points"]}
    assert lost == DAVE_LOSSES
    assert results["T1.x0"]["mistakes"] == ["missing-path"] and "skip connection" in results["T1.x0"]["diagnosis"]
    assert results["T3"]["mistakes"] == ["forgot-bias"] and "biases" in results["T3"]["diagnosis"]
    assert "sign-error" in results["T4.rule"]["mistakes"] and results["T4.rule"]["answer"] == "y - x4"
    assert "3 of 6 entries right: 1 of 2 points" in results["T4.w2"]["feedback"]
    assert "softmax-overflow" in results["C3"]["mistakes"]
    assert "missing-batch-sum" in results["C7"]["mistakes"]
    assert "carried-forward" in results["C9"]["mistakes"]


def test_subtotals_per_problem(carol_and_dave):
    carol, dave = carol_and_dave[1]["sheets"]
    assert [(p["problem"], p["score"], p["max_score"]) for p in carol["parts"]] == [(p, MAX[p], MAX[p]) for p in PROBLEM_IDS]
    # dave: T1 11 − 2 = 9; T2/T3 6 − 3 = 3; T4 8 − 3 − 1 = 4; code 12 − 1 − 2 − 2 = 7.
    assert [(p["problem"], p["score"]) for p in dave["parts"]] == [("residual-relu", 9), ("mlp-params", 3), ("softmax-ce-t4", 4), ("numpy-net", 7)]


def test_the_json_report_names_the_assignment_and_each_results_problem(carol_and_dave):
    data = carol_and_dave[1]
    assert data["assignment"] == "hw4" and data["title"] == "Homework 4 — backpropagation"
    assert [p["id"] for p in data["problems"]] == PROBLEM_IDS and [p["max_score"] for p in data["problems"]] == [11, 6, 8, 12]
    for sheet in data["sheets"]:
        owners = [r["problem"] for r in sheet["results"]]
        assert owners == ["residual-relu"] * 6 + ["mlp-params"] * 4 + ["softmax-ce-t4"] * 4 + ["numpy-net"] * 9
        for part in sheet["parts"]:
            assert part["score"] == sum(r["earned"] for r in sheet["results"] if r["problem"] == part["problem"])


def test_the_csv_has_a_subtotal_column_per_problem(carol_and_dave):
    rows = list(csv.DictReader((carol_and_dave[2] / "grades.csv").open(encoding="utf-8-sig", newline="")))
    assert [r["Student"] for r in rows] == ["carol", "dave"]
    dave = rows[1]
    assert [dave[f"{p} subtotal"] for p in PROBLEM_IDS] == ["9", "3", "4", "7"]
    assert (dave["Total"], dave["Max"], dave["T4.w2"], dave["C7"], dave["T1.z"]) == ("23", "37", "1", "0", "1")


def test_the_canvas_gradebook_has_canvas_columns(carol_and_dave):
    rows = list(csv.reader((carol_and_dave[2] / "canvas.csv").open(encoding="utf-8-sig", newline="")))
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Homework 4 — backpropagation (hw4)"]
    assert rows[1][0].strip() == "Points Possible" and rows[1][5] == "37"
    assert [(r[0], r[5]) for r in rows[2:]] == [("carol", "37"), ("dave", "23")]


def test_canvas_ids_come_from_the_sheet_or_the_roster(tmp_path):
    for name in ("carol", "dave"):
        shutil.copytree(CONTRACT / "submissions" / name, tmp_path / "class" / name)
    sheet = tmp_path / "class" / "carol" / "answers.yaml"
    sheet.write_text(sheet.read_text().replace("student: carol", "student: carol\nsis_id: 00042\nlogin: carol@uni.edu"))
    roster = tmp_path / "roster.csv"
    roster.write_text("Student,ID,SIS User ID,SIS Login ID,Section\n    Points Possible,,,,\n"
                      "\"Dave, D.\",7,S-7,dave@uni.edu,Lab 2\ndave,8,S-8,dave8@uni.edu,Lab 1\nCarol,9,S-9,carol@uni.edu,Lab 1\n")
    out = tmp_path / "canvas.csv"
    done = run_cli("grade", HW4, tmp_path / "class", "--canvas", out, "--roster", roster, "--summary")
    assert done.returncode == 1, done.stderr
    rows = list(csv.reader(out.open(encoding="utf-8-sig", newline="")))
    # carol: her login matches the roster's row (ID 9), her own SIS id is kept; dave: by name.
    assert rows[2] == ["Carol", "9", "00042", "carol@uni.edu", "Lab 1", "37"]
    assert rows[3] == ["dave", "8", "S-8", "dave8@uni.edu", "Lab 1", "23"]


def test_a_roster_without_ids_is_refused_before_grading(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("Name,Email\ncarol,c@u\n")
    done = run_cli("grade", HW4, CAROL, "--canvas", tmp_path / "c.csv", "--roster", roster)
    assert done.returncode == 2 and done.stderr.count("\n") == 1
    assert "Student and one of ID, SIS User ID, SIS Login ID" in done.stderr
    assert not (tmp_path / "c.csv").exists()


def test_gradescope_groups_the_tests_by_problem(tmp_path):
    out = tmp_path / "results.json"
    done = run_cli("grade", HW4, DAVE, "--gradescope", out)
    assert done.returncode == 1, done.stderr
    data = json.loads(out.read_text(encoding="utf-8"))
    check_gradescope_schema(data)
    assert data["score"] == 23 and len(data["tests"]) == 23
    titles = {"residual-relu": "Residual ReLU network", "mlp-params": "Fully connected network",
              "softmax-ce-t4": "Softmax cross-entropy", "numpy-net": "A two-layer network in numpy"}
    for test in data["tests"]:
        (problem,) = test["tags"]
        assert test["name"].startswith(titles[problem])
    assert [t["tags"][0] for t in data["tests"]] == ["residual-relu"] * 6 + ["mlp-params"] * 4 + ["softmax-ce-t4"] * 4 + ["numpy-net"] * 9
    x0 = next(t for t in data["tests"] if t["number"] == "T1.x0")
    assert (x0["score"], x0["max_score"], x0["status"]) == (0, 2, "failed")
    assert "numpy: 7 / 12" in data["output"]


# ---------------------------------------------------------------- a class folder


def test_a_class_folder_with_loose_sheets_stray_files_and_a_broken_sheet(tmp_path):
    klass = tmp_path / "class"
    for name in ("carol", "dave"):
        shutil.copytree(CONTRACT / "submissions" / name, klass / name)
    (klass / "carol" / "notes.txt").write_text("my working\n")
    (klass / "erin.yaml").write_text("student: erin\nanswers:\n  T1.z: 0.62\n  T3: 557057\n  T9: 1\n")
    (klass / "broken.yaml").write_text("answers: [unclosed\n")
    (klass / "grades.xlsx").write_bytes(b"PK\x03\x04")
    (klass / ".git").mkdir()
    done, data = grade_json(tmp_path, klass)
    assert done.returncode == 1
    sheets = {s["student"]: s for s in data["sheets"]}
    assert sorted(sheets) == ["broken", "carol", "dave", "erin"]
    assert sheets["carol"]["score"] == 37 and sheets["dave"]["score"] == 23
    assert any("notes.txt: not graded" in w for w in sheets["carol"]["warnings"])
    # erin handed in a sheet alone: T1.z (1) and T3 (3) right, the rest missing, the code too.
    erin = sheets["erin"]
    assert erin["score"] == 4 and erin["error"] is None
    code = [r for r in erin["results"] if r["problem"] == "numpy-net"]
    assert len(code) == 9 and {r["status"] for r in code} == {"missing"} and "no hw4.py" in code[0]["feedback"]
    assert any("'T9' matches no question of the assignment" in w for w in erin["warnings"])
    assert sheets["broken"]["error"] and sheets["broken"]["score"] == 0
    assert [(Path(s["file"]).name, s["reason"]) for s in data["skipped"]] == [
        ("grades.xlsx", "neither a submission folder (holding answers.yaml and hw4.py) nor an answer sheet (.yaml)")]


def test_a_folder_with_two_sheets_and_no_answers_yaml_is_reported(tmp_path):
    folder = tmp_path / "frank"
    folder.mkdir()
    shutil.copy(CAROL / "hw4.py", folder / "hw4.py")
    (folder / "a.yaml").write_text("answers:\n  T1.z: 0.62\n")
    (folder / "b.yaml").write_text("answers:\n  T1.z: 0.62\n")
    done, data = grade_json(tmp_path, folder)
    (sheet,) = data["sheets"]
    assert done.returncode == 1 and "2 YAML files (a.yaml, b.yaml)" in sheet["error"] and "answers.yaml" in sheet["error"]


def test_a_folder_with_code_and_no_sheet_grades_the_code(tmp_path):
    folder = tmp_path / "gina"
    folder.mkdir()
    shutil.copy(CAROL / "hw4.py", folder / "hw4.py")
    _, data = grade_json(tmp_path, folder)
    (sheet,) = data["sheets"]
    assert sheet["score"] == 12 and sheet["student"] == "gina"
    assert [p["score"] for p in sheet["parts"]] == [0, 0, 0, 12]
    assert any("no answer sheet" in w for w in sheet["warnings"])


# ---------------------------------------------------------------- solve, template, draw


def test_solve_works_each_problem_in_turn():
    done = run_cli("solve", HW4, "--format", "json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert (data["id"], data["kind"]) == ("hw4", "assignment")
    assert [p["id"] for p in data["problems"]] == PROBLEM_IDS
    residual = data["problems"][0]
    # The seed's numbers, by hand: z = 0.62, dz/dx0 = 0.94 (both paths), dz/dw0 = -0.2.
    assert residual["values"]["z"] == pytest.approx(0.62) and residual["gradients"]["x0"] == pytest.approx(0.94)
    assert data["problems"][1]["total_params"] == 30 * 1024 + 1024 + 1024 * 512 + 512 + 512 + 1
    for format, marker in (("markdown", "# Homework 4"), ("latex", r"\section*{Softmax cross-entropy"), ("terminal", "Fully connected network")):
        done = run_cli("solve", HW4, "--format", format)
        assert done.returncode == 0 and marker in done.stdout, (format, done.stderr)
    dot = run_cli("solve", HW4, "--format", "dot")
    assert dot.returncode == 0 and dot.stdout.count("digraph") == 4


def test_validate_an_assignment():
    done = run_cli("validate", HW4)
    assert done.returncode == 0
    lines = done.stdout.splitlines()
    assert lines[0] == f"{HW4}: ok (assignment, 4 problems, 23 questions and tasks, 37 points)"
    # each problem's coverage, as for the problem alone: the seed's T1 cannot catch a
    # forgotten ReLU derivative (both gates open), and the others lack nothing
    assert [line.split(": warning: cannot detect ")[1].split(" ")[0] for line in lines[1:]] == ["pre-activation", "relu-gate-ignored"]
    assert all(line.startswith(f"{CONTRACT / 'residual_relu.yaml'}: ") for line in lines[1:])


def test_template_writes_one_sheet_and_the_starter(tmp_path):
    sheet = tmp_path / "sub" / "answers.yaml"
    sheet.parent.mkdir()
    done = run_cli("template", HW4, "-o", sheet)
    assert done.returncode == 0, done.stderr
    text = sheet.read_text()
    for qid in ("T1.z", "T1.x0", "T2.A", "T3", "T4.rule", "T4.w2"):
        assert f"\n  {qid}:" in text
    assert "C1:" not in text and "def linear_forward(x, w, b):" in (tmp_path / "sub" / "hw4.py").read_text()
    # Graded as handed in blank: every question missing, every function NotImplementedError.
    _, data = grade_json(tmp_path, sheet.parent)
    (graded,) = data["sheets"]
    assert graded["score"] == 0 and graded["warnings"] == [] and len(graded["results"]) == 23
    assert {r["status"] for r in graded["results"]} == {"missing"}
    assert all("NotImplementedError" in r["feedback"] for r in graded["results"] if r["problem"] == "numpy-net")
    again = run_cli("template", HW4, "-o", sheet)  # the starter may be a student's work by now
    assert again.returncode == 2 and "hw4.py: exists" in again.stderr


def test_draw_an_assignment_draws_each_problem(tmp_path):
    if shutil.which("dot") is None and not os.environ.get("CI"):
        pytest.skip("dot not found: apt-get install graphviz")
    done = run_cli("draw", HW4, "-o", tmp_path / "hw4.svg")
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"hw4-{p}.svg" for p in PROBLEM_IDS)
    assert "<svg" in (tmp_path / "hw4-residual-relu.svg").read_text()


def test_the_shipped_hw4_is_the_contracts():
    shipped = PROBLEMS / "hw4"
    for name in ("hw4.yaml", "residual_relu.yaml", "residual_relu_vary.yaml", "mlp_params.yaml", "softmax_ce_t4.yaml", "numpy_net.yaml"):
        assert (shipped / name).read_text() == (CONTRACT / name).read_text(), name
    # hw4_vary.yaml: the same homework with T1 per student
    assert run_cli("validate", shipped / "hw4_vary.yaml").returncode == 0
    assert "problems: [residual_relu_vary.yaml, mlp_params.yaml, softmax_ce_t4.yaml, numpy_net.yaml]" in (shipped / "hw4_vary.yaml").read_text()
    starter = run_cli("template", shipped / "numpy_net.yaml")
    assert (shipped / "hw4.py").read_text() == starter.stdout.replace(str(shipped / "numpy_net.yaml"), "problems/hw4/numpy_net.yaml")
    assert "hwcheck handout problems/hw4/hw4.yaml --format latex" in (shipped / "README.md").read_text()


# ---------------------------------------------------------------- the loader's refusals


def _assignment(tmp_path, problems, extra=""):
    for name in ("residual_relu.yaml", "mlp_params.yaml"):
        shutil.copy(CONTRACT / name, tmp_path / name)
    path = tmp_path / "hw.yaml"
    path.write_text(f"id: hw\nkind: assignment\n{extra}problems: {problems}\n")
    return path


@pytest.mark.parametrize("problems, message", [
    ("[residual_relu.yaml, nothere.yaml]", "hw.yaml:3:32: no problem file 'nothere.yaml' beside the assignment"),
    ("[../secret.yaml]", "hw.yaml:3:12: '../secret.yaml' leads out of the assignment's folder ('..')"),
    ("[/etc/passwd]", "hw.yaml:3:12: '/etc/passwd' is an absolute path"),
    ("[residual_relu.yaml, residual_relu.yaml]", "hw.yaml:3:32: 'residual_relu.yaml' is listed twice (first as problem 1)"),
    ("[hw.yaml]", "hw.yaml:3:12: 'hw.yaml' is an assignment; assignments do not nest"),
    ("residual_relu.yaml", "hw.yaml:3:11: problems is a list of problem files"),
    ("[[1, 2]]", "hw.yaml:3:12: each problem is a file name relative to the assignment"),
    ("[]", "hw.yaml:3:11: problems is a list of problem files"),
])
def test_bad_problem_lists_are_one_line_errors(tmp_path, problems, message):
    path = _assignment(tmp_path, problems)
    done = run_cli("validate", path)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("error: ") and message in done.stderr, done.stderr


def test_a_link_out_of_the_folder_is_refused(tmp_path):
    outside = tmp_path / "outside.yaml"
    shutil.copy(CONTRACT / "mlp_params.yaml", outside)
    folder = tmp_path / "hw"
    folder.mkdir()
    (folder / "mlp.yaml").symlink_to(outside)
    path = _assignment(folder, "[mlp.yaml]")
    done = run_cli("validate", path)
    assert done.returncode == 2 and "'mlp.yaml' is a link that leads out of the assignment's folder" in done.stderr


def test_an_id_clash_names_both_files(tmp_path):
    clash = tmp_path / "copy.yaml"
    clash.write_text((CONTRACT / "mlp_params.yaml").read_text().replace("id: mlp-params", "id: other").replace("T2.A", "T1.z"))
    path = _assignment(tmp_path, "[residual_relu.yaml, copy.yaml]")
    done = run_cli("validate", path)
    assert done.returncode == 2 and done.stderr.count("\n") == 1
    assert f"question id 'T1.z' is in both {tmp_path / 'residual_relu.yaml'} and {clash}:" in done.stderr


def test_a_problem_with_faults_reports_them_at_its_own_lines(tmp_path):
    (tmp_path / "bad.yaml").write_text("id: bad\nkind: graph\nsteps:\n  z: x +\n")
    path = _assignment(tmp_path, "[residual_relu.yaml, bad.yaml]")
    done = run_cli("validate", path)
    assert done.returncode == 2 and done.stderr.startswith(f"error: {tmp_path / 'bad.yaml'}:4:")


def test_unknown_keys_and_a_missing_id(tmp_path):
    path = tmp_path / "hw.yaml"
    path.write_text("kind: assignment\nproblemz: [a.yaml]\n")
    done = run_cli("validate", path)
    assert done.returncode == 2
    assert "unknown key 'problemz' (did you mean 'problems'?)" in done.stderr and "missing 'id'" in done.stderr


ODD = [0, -1, 1.5, True, None, "ü名", [], [[1]], {"a": 1}, 1e308, "a\x1bb", "x" * 5000, ["mlp_params.yaml"] * 200]


@pytest.mark.parametrize("key", ["id", "kind", "title", "problems", "extra"])
def test_odd_values_are_refused_as_input_errors(tmp_path, key):
    import yaml

    from hwcheck import InputError
    from hwcheck.assignment import load_target

    for name in ("residual_relu.yaml", "mlp_params.yaml"):
        shutil.copy(CONTRACT / name, tmp_path / name)
    for value in ODD:
        doc = {"id": "hw", "kind": "assignment", "title": "T", "problems": ["residual_relu.yaml", "mlp_params.yaml"], key: value}
        path = tmp_path / "hw.yaml"
        path.write_text(yaml.safe_dump(doc, allow_unicode=True))
        try:
            load_target(path)
        except InputError as error:
            assert error.faults and all("\n" not in str(f) or "\x1b" in repr(f) for f in error.faults)
        else:  # only harmless values load: an id of letters, digits, _ . - (a number or true, as written); no title, or a printable one
            assert (key == "id" and (isinstance(value, (int, float)) or re.fullmatch(r"[A-Za-z0-9_.-]+", str(value)))) or (key == "title" and (value is None or (isinstance(value, str) and value.isprintable()))), (key, value)


# -- an assignment with per-student variants (§8 + §11) -------------------------------------


def _by_hand(x0, w0, w1, b0, b1) -> dict:
    """The seed's residual network worked by hand: z = relu(w1·relu(w0·x0 + b0) + b1 + x0)."""
    xwb0 = x0 * w0 + b0
    x1 = max(xwb0, 0.0)
    yx = w1 * x1 + b1 + x0
    gate, gate0 = float(yx > 0), float(xwb0 > 0)
    return {"T1.z": max(yx, 0.0), "T1.w0": gate * w1 * gate0 * x0, "T1.w1": gate * x1, "T1.b0": gate * w1 * gate0,
            "T1.b1": gate, "T1.x0": gate * (1 + w1 * gate0 * w0)}


def _leaves(student: str, secret: str) -> tuple[str, dict]:
    run = run_cli("solve", CONTRACT / "residual_relu_vary.yaml", "--student", student, "--secret", secret, "--format", "json")
    assert run.returncode == 0, run.stderr
    data = json.loads(run.stdout)
    return data["variant"], {n: data["values"][n] for n in ("x0", "w0", "w1", "b0", "b1")}


def test_an_assignment_grades_each_student_against_their_own_variant(tmp_path):
    for path in CONTRACT.glob("*.yaml"):
        shutil.copy(path, tmp_path)
    hw = tmp_path / "hw4.yaml"
    hw.write_text(hw.read_text(encoding="utf-8").replace("[residual_relu.yaml,", "[residual_relu_vary.yaml,"), encoding="utf-8")
    carol = (CONTRACT / "submissions" / "carol" / "answers.yaml").read_text(encoding="utf-8")
    variant, leaves = _leaves("Ann Lee", "s3")
    sheet = carol.replace("student: carol", "student: Ann Lee")
    for question, value in _by_hand(**leaves).items():
        sheet = re.sub(rf"^  {re.escape(question)}: .*$", f"  {question}: {value:.6g}", sheet, flags=re.M)
    for name in ("ann", "bo"):
        (tmp_path / "class" / name).mkdir(parents=True)
        shutil.copy(CONTRACT / "submissions" / "carol" / "hw4.py", tmp_path / "class" / name)
    (tmp_path / "class" / "ann" / "answers.yaml").write_text(sheet, encoding="utf-8")
    # Bo hands in Ann's answers: graded against Bo's own numbers, they are not all right
    (tmp_path / "class" / "bo" / "answers.yaml").write_text(sheet.replace("student: Ann Lee", "student: Bo Chen"), encoding="utf-8")
    bo_variant, bo_leaves = _leaves("Bo Chen", "s3")
    assert _by_hand(**bo_leaves) != _by_hand(**leaves)
    report = tmp_path / "r.json"
    run = run_cli("grade", hw, tmp_path / "class", "--secret", "s3", "--report", report)
    assert run.returncode == 1, run.stderr
    sheets = {s["student"]: s for s in json.loads(report.read_text(encoding="utf-8"))["sheets"]}
    assert sheets["Ann Lee"]["score"] == 37 and sheets["Ann Lee"]["variant"] == f"residual-relu-vary: {variant}"
    assert sheets["Bo Chen"]["score"] < 37 and sheets["Bo Chen"]["variant"] == f"residual-relu-vary: {bo_variant}"
    assert "s3" not in report.read_text(encoding="utf-8")
    # without the course secret, nothing is graded: one line, exit 2
    env = {k: v for k, v in os.environ.items() if k != "HWCHECK_SECRET"}
    missing = run_cli("grade", hw, tmp_path / "class", env=env)
    assert missing.returncode == 2 and "course secret" in missing.stderr and len(missing.stderr.strip().splitlines()) == 1
