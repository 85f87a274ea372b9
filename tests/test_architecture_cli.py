"""`hwcheck solve`, `validate` and `grade` on architecture problems, driven as a user drives them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from support import CONTRACT

ROOT = Path(__file__).resolve().parent.parent
MLP = str(ROOT / "problems" / "mlp_params.yaml")
CONV = str(ROOT / "problems" / "conv_shapes.yaml")
BOB = str(CONTRACT / "bob_mlp_params.yaml")


def hwcheck(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONIOENCODING="utf-8", NO_COLOR="1")
    return subprocess.run([sys.executable, "-m", "hwcheck", *args], capture_output=True, text=True,
                          encoding="utf-8", env=env, cwd=ROOT, timeout=120)


def test_solve_shows_the_seed_total():
    run = hwcheck("solve", MLP, "--width", "200")
    assert run.returncode == 0, run.stderr
    assert "30×1024 + 1024 + 1024×512 + 512 + 512×1 + 1 = 557,057" in run.stdout
    assert "30·1024 + 1024 = 31,744" in run.stdout
    assert "PyTorch convention" in run.stdout


def test_solve_json():
    run = hwcheck("solve", MLP, "--format", "json")
    assert run.returncode == 0, run.stderr
    data = json.loads(run.stdout)
    assert data["kind"] == "architecture" and data["total_params"] == data["trainable_params"] == 557057
    assert [layer["output_shape"] for layer in data["layers"] if layer["name"]] == [[1024], [512], [1]]
    assert data["formula"] == "30×1024 + 1024 + 1024×512 + 512 + 512×1 + 1"


def test_solve_markdown():
    run = hwcheck("solve", CONV, "--format", "markdown")
    assert run.returncode == 0, run.stderr
    assert r"$16 \cdot 3 \cdot 5 \cdot 5 + 16 = 1216$" in run.stdout


def test_validate_a_network_that_cannot_run(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("id: bad\nkind: architecture\ninput: [1, 8, 8]\nlayers:\n"
                    "  - {name: A, type: conv2d, filters: 4, kernel: 10}\n", encoding="utf-8")
    for command in ("validate", "solve"):
        run = hwcheck(command, str(path))
        assert run.returncode == 2
        assert "Traceback" not in run.stderr
        lines = run.stderr.strip().splitlines()
        assert len(lines) == 1
        assert lines[0].startswith(f"error: {path}:5:49: layer A (conv2d): output height "
                                   "⌊(8 + 2·0 − 1·(10 − 1) − 1)/1⌋ + 1 = −1 ≤ 0")


def test_grade_recognises_bobs_missing_biases(tmp_path):
    report = tmp_path / "report.json"
    run = hwcheck("grade", MLP, BOB, "--report", str(report))
    assert run.returncode == 1  # one answer wrong
    results = {r["id"]: r for r in json.loads(report.read_text(encoding="utf-8"))["sheets"][0]["results"]}
    assert [results[q]["correct"] for q in ("T2.A", "T2.B", "T2.C", "T3")] == [True, True, True, False]
    assert results["T3"]["diagnosis"] == "you left out the biases (layers A, B, C)"


def test_grade_recognises_an_error_carried_forward(tmp_path):
    sheet = tmp_path / "carol.yaml"
    # A without its padding (28), then B pooled correctly from that: ⌊(28 − 2)/2⌋ + 1 = 14
    sheet.write_text("student: carol\nanswers:\n  T2.A: [16, 28, 28]\n  T2.B: [16, 14, 14]\n  T2.C: [10]\n"
                     "  T3: 26346\n", encoding="utf-8")
    report = tmp_path / "report.json"
    run = hwcheck("grade", CONV, str(sheet), "--report", str(report))
    assert run.returncode == 1
    results = {r["id"]: r for r in json.loads(report.read_text(encoding="utf-8"))["sheets"][0]["results"]}
    assert "left out the padding" in results["T2.A"]["diagnosis"]
    assert "follows from your answer [16, 28, 28] for the output of layer A" in results["T2.B"]["diagnosis"]
