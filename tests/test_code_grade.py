"""Code problems graded for real (contract §9): the contract's carol (12/12) and dave (7/12),
and a class of students with one mistake each, each named by its code.

These run the sandbox (bubblewrap). Locally a missing bwrap skips them with the install
command; in CI (the CI environment variable set) they fail instead.
"""

from __future__ import annotations

import json
import os

import pytest

from support import CONTRACT, PROBLEMS, needs_bwrap, run_cli

PROBLEM = PROBLEMS / "numpy_net.yaml"
CAROL = CONTRACT / "submissions" / "carol" / "hw4.py"
DAVE = CONTRACT / "submissions" / "dave"
TIMEOUT = "20"  # seconds per call: generous, for a loaded 2-core machine


@pytest.fixture(scope="module", autouse=True)
def bwrap():
    needs_bwrap()


def grade(tmp_path, *paths, extra=()):
    report = tmp_path / "report.json"
    done = run_cli("grade", PROBLEM, *paths, "--report", report, "--sandbox", "require", "--timeout", TIMEOUT, "--width", "200", *extra)
    assert done.returncode in (0, 1), done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    return done, json.loads(report.read_text())


def by_id(sheet) -> dict:
    return {r["id"]: r for r in sheet["results"]}


def test_contract_submissions_score_as_documented(tmp_path):
    """The contract's own numbers: carol 12 of 12; dave 7 of 12 with C3, C7 and C9 wrong."""
    done, report = grade(tmp_path, CAROL, DAVE)
    carol, dave = report["sheets"]
    assert (carol["student"], carol["score"], carol["max_score"]) == ("hw4", 12, 12)
    assert (dave["student"], dave["score"]) == ("dave", 7)
    results = by_id(dave)
    assert {i for i, r in results.items() if not r["correct"]} == {"C3", "C7", "C9"}
    assert results["C3"]["mistakes"] == ["softmax-overflow"]
    assert "subtract each row's maximum before exp" in results["C3"]["feedback"]
    assert "missing-batch-sum" in results["C7"]["mistakes"]
    assert {"missing-batch-sum", "carried-forward"} <= set(results["C9"]["mistakes"])
    assert "step 1" in results["C9"]["feedback"] and "db2" in results["C9"]["feedback"]
    assert results["C9"]["answer"] == "stopped at step 1 of 1000"
    assert done.returncode == 1


def test_grading_deduct_and_follow_through_apply_to_code_tasks(tmp_path):
    """§12 for code: grading: {deduct: {softmax-overflow: 0.25}, follow_through: 0.5}.
    dave's C3 (1 point, softmax-overflow) earns 1 − 0.25 = 0.75; C9 (2 points, its training
    stopped by his linear_backward: carried-forward) earns 0.5 · 2 = 1; C7 (2 points,
    missing-batch-sum, not deducted) still earns 0. 7 + 0.75 + 1 = 8.75."""
    text = PROBLEM.read_text(encoding="utf-8").replace("\ntasks:", "\ngrading: {deduct: {softmax-overflow: 0.25}, follow_through: 0.5}\ntasks:", 1)
    problem = tmp_path / "numpy_net.yaml"
    problem.write_text(text, encoding="utf-8")
    report = tmp_path / "report.json"
    done = run_cli("grade", problem, DAVE, "--report", report, "--sandbox", "require", "--timeout", TIMEOUT, "--width", "200")
    assert done.returncode == 1, done.stderr
    (dave,) = json.loads(report.read_text())["sheets"]
    results = by_id(dave)
    assert (results["C3"]["earned"], results["C9"]["earned"], results["C7"]["earned"]) == (0.75, 1.0, 0)
    assert dave["score"] == 8.75
    assert "25% off for softmax-overflow: 0.75 of 1 point" in results["C3"]["feedback"]
    assert "follow-through credit: 1 of 2 points" in results["C9"]["feedback"]


def test_a_code_problem_deducts_only_code_mistakes(tmp_path):
    """A layer mistake means nothing in a code problem: refused, naming the code problem's codes."""
    text = PROBLEM.read_text(encoding="utf-8").replace("\ntasks:", "\ngrading: {deduct: {forgot-bias: 0.5}}\ntasks:", 1)
    problem = tmp_path / "numpy_net.yaml"
    problem.write_text(text, encoding="utf-8")
    done = run_cli("validate", problem)
    assert done.returncode == 2
    (line,) = done.stderr.strip().splitlines()
    assert "unknown mistake code 'forgot-bias'" in line and "softmax-overflow" in line and "missing-batch-sum" in line


CAROL_SOURCE = CAROL.read_text()

# One mistake each: (student, the function's new body, the task it breaks, the code named).
MISTAKES = [
    ("axis", "softmax(h)", "    e = np.exp(h - h.max(axis=0, keepdims=True))\n    return e / e.sum(axis=0, keepdims=True)", "C3", "softmax-axis"),
    ("summed", "cross_entropy(p, y)", "    return -np.sum(y * np.log(np.where(y > 0, p, 1.0)))", "C4", "missing-mean"),
    ("ymp", "softmax_cross_entropy_backward(p, y)", "    return (y - p) / p.shape[0]", "C5", "sign-error"),
    ("gate", "relu_backward(dout, x)", "    return dout.copy()", "C6", "relu-gate-ignored"),
    ("transp", "linear_backward(dout, x, w)", "    return dout @ w.T, dout.T @ x, dout.sum(axis=0)", "C7", "transposed"),
    ("twice", "linear_backward(dout, x, w)", "    return 2 * dout @ w.T, x.T @ dout, dout.sum(axis=0)", "C7", "backward-mismatch"),
    ("inplace", "relu_forward(x)", "    x[x < 0] = 0.0\n    return x", "C2", "input-modified"),
    ("unwritten", "sgd_step(param, dparam, lr)", "    raise NotImplementedError", "C8", "not-implemented"),
    ("listy", "relu_forward(x)", "    return None", "C2", "wrong-type"),
]


def student(folder, name: str, signature: str, body: str) -> None:
    """Carol's module with one function's body replaced."""
    head = f"def {signature}:\n"
    start = CAROL_SOURCE.index(head) + len(head)
    end = CAROL_SOURCE.find("\n\n\ndef ", start)
    source = CAROL_SOURCE[:start] + body + (CAROL_SOURCE[end:] if end != -1 else "\n")
    (folder / name).mkdir()
    (folder / name / "hw4.py").write_text(source)


def test_each_mistake_is_named(tmp_path):
    klass = tmp_path / "class"
    klass.mkdir()
    for name, signature, body, _, _ in MISTAKES:
        student(klass, name, signature, body)
    # A backward pass consistent with a wrong forward pass (the bias forgotten in both).
    student(klass, "nobias", "linear_forward(x, w, b)", "    return x @ w")
    source = (klass / "nobias" / "hw4.py").read_text().replace("dout @ w.T, x.T @ dout, dout.sum(axis=0)", "dout @ w.T, x.T @ dout, 0 * dout.sum(axis=0)")
    (klass / "nobias" / "hw4.py").write_text(source)
    # relu'(0) = 1: the other subgradient, accepted with a note.
    student(klass, "kink", "relu_backward(dout, x)", "    return dout * (x >= 0)")
    _, report = grade(tmp_path, klass, extra=("-j", "2"))
    sheets = {s["student"]: by_id(s) for s in report["sheets"]}
    assert len(sheets) == len(MISTAKES) + 2
    for name, _, _, task, code in MISTAKES:
        results = sheets[name]
        assert not results[task]["correct"], (name, results[task])
        assert code in results[task]["mistakes"], (name, results[task]["feedback"])
        others = [i for i, r in results.items() if not r["correct"] and i not in (task, "C9")]
        assert others == [], (name, others)
    assert sheets["nobias"]["C1"]["mistakes"] == ["wrong-value"] or not sheets["nobias"]["C1"]["correct"]
    assert "forward-wrong" in sheets["nobias"]["C7"]["mistakes"]
    assert sheets["kink"]["C6"]["status"] == "alternative" and "relu'(0) = 1" in sheets["kink"]["C6"]["feedback"]
    assert sheets["kink"]["C9"]["correct"]
    assert sheets["unwritten"]["C8"]["status"] == "missing"
    assert sheets["inplace"]["C9"]["correct"]  # arguments cross by value: the training is unaffected
    assert "returned None" in sheets["listy"]["C2"]["feedback"]


def test_single_file_interactive_use_and_exit_code(tmp_path):
    """A student checks their own file: a table with the feedback, exit 0 when all right."""
    done, report = grade(tmp_path, CAROL)
    assert done.returncode == 0 and report["sheets"][0]["score"] == 12
    assert "C9" in done.stdout and "correct: training accuracy" in done.stdout


def test_gradescope_results_for_a_code_submission(tmp_path):
    results = tmp_path / "results.json"
    done = run_cli("grade", PROBLEM, DAVE, "--gradescope", results, "--timeout", TIMEOUT)
    data = json.loads(results.read_text())
    assert done.returncode == 1 and data["score"] == 7 and len(data["tests"]) == 9
    assert [t["status"] for t in data["tests"]].count("failed") == 3


def test_a_folder_without_the_module_is_reported_not_skipped(tmp_path):
    klass = tmp_path / "class"
    (klass / "erin").mkdir(parents=True)
    (klass / "erin" / "homework.py").write_text(CAROL_SOURCE)
    secret = tmp_path / "secret.txt"
    secret.write_text("def leak(): return 'SECRET-CONTENT'\n")
    (klass / "mallory").mkdir()
    (klass / "mallory" / "hw4.py").symlink_to(secret)  # links are never followed
    (klass / "oscar").mkdir()
    (klass / "oscar" / "hw4.py").write_text(CAROL_SOURCE.replace("import numpy as np", "import numpy as np\nfrom helper import *"))
    (klass / "oscar" / "helper.py").symlink_to(secret)
    done, report = grade(tmp_path, klass)
    erin, mallory, oscar = report["sheets"]
    assert erin["student"] == "erin" and "no hw4.py" in erin["error"] and "homework.py" in erin["error"]
    assert "symbolic link" in mallory["error"]
    assert "ModuleNotFoundError" in oscar["results"][0]["feedback"]
    assert "SECRET-CONTENT" not in json.dumps(report) + done.stdout


def test_other_files_in_a_class_folder_are_accounted_for(tmp_path):
    klass = tmp_path / "class"
    (klass / "carol").mkdir(parents=True)
    (klass / "carol" / "hw4.py").write_text(CAROL.read_text())
    (klass / "notes.txt").write_text("not code\n")
    (klass / "answers.yaml").write_text("answers: {}\n")
    done, report = grade(tmp_path, klass)
    assert [s["student"] for s in report["sheets"]] == ["carol"]
    assert sorted(os.path.basename(s["file"]) for s in report["skipped"]) == ["answers.yaml", "notes.txt"]
    assert all("not a submission" in s["reason"] for s in report["skipped"])
    assert "notes.txt" in done.stdout
