"""The command line as a user drives it: the real entry point in a subprocess."""

from __future__ import annotations

import json
import re

import pytest

import hwcheck
from hwcheck.cli import app
from support import PROBLEMS, contract_example, run_cli

ANSI = re.compile(r"\x1b\[")


def test_version():
    result = run_cli("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"hwcheck {hwcheck.__version__}"


def test_every_command_is_documented_with_an_example():
    import typer.main

    command = typer.main.get_command(app)
    assert command.commands, "no commands registered"
    for name in command.commands:
        result = run_cli(name, "--help")
        assert result.returncode == 0, (name, result.stderr)
        assert "Example:" in result.stdout, f"`hwcheck {name} --help` shows no example"


def test_solve_shows_the_seed_derivation_in_the_terminal():
    result = run_cli("solve", PROBLEMS / "residual_relu.yaml")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert not ANSI.search(out), "piped output must be plain text"
    for section in ("Forward pass", "Local derivatives", "Backward pass", "dz/dw0 = -0.2", "dz/dx0 = 0.94"):
        assert section in out
    # The forward step with its numbers, the seed's chain-rule product, and the skip path sum.
    assert re.search(r"xw1\s+x1 \* w1\s+0\.4 \* \(-0\.2\)\s+-0\.08", out)
    assert "1 · 1 · 1 · (-0.2) · 1 · 1 · 1" in out
    assert "1 · 1 + (-0.06)" in out or "(-0.06) + 1 · 1" in out or "(-0.06) + 1" in out or "1 + (-0.06)" in out


def test_solve_json_follows_the_contract():
    result = run_cli("solve", contract_example("residual_relu.yaml"), "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert {"id", "kind", "output", "values", "gradients", "kinks"} <= set(data)
    assert data["kind"] == "graph" and data["output"] == "z" and data["id"] == "residual-relu"
    # every leaf and every named step, values and gradients
    names = {"x0", "w0", "w1", "b0", "b1", "xw0", "xwb0", "x1", "xw1", "y1", "yx", "z"}
    assert set(data["values"]) == names == set(data["gradients"])
    assert data["values"]["z"] == pytest.approx(0.62)
    assert data["gradients"]["x0"] == pytest.approx(0.94)
    assert data["gradients"]["w1"] == pytest.approx(0.4)
    assert data["kinks"] == []


def test_solve_json_tensors_keep_their_shapes():
    data = json.loads(run_cli("solve", contract_example("softmax_ce.yaml"), "-f", "json").stdout)
    assert len(data["values"]["w2"]) == 3 and len(data["values"]["w2"][0]) == 2
    assert len(data["gradients"]["w2"]) == 3 and len(data["gradients"]["w2"][0]) == 2
    assert isinstance(data["values"]["L"], float)


def test_solve_markdown_has_math():
    result = run_cli("solve", PROBLEMS / "residual_relu.yaml", "--format", "markdown")
    assert result.returncode == 0
    out = result.stdout
    assert out.startswith("# Residual ReLU network")
    assert "## Forward pass" in out and "| --- |" in out
    assert r"\frac{d z}{d w_{0}}" in out
    assert r"1 \cdot 1 \cdot 1 \cdot (-0.2) \cdot 1 \cdot 1 \cdot 1 = -0.2" in out


def test_solve_check_reports_finite_differences():
    result = run_cli("solve", PROBLEMS / "residual_relu.yaml", "--check")
    assert result.returncode == 0
    assert "Finite-difference check" in result.stdout
    assert "MISMATCH" not in result.stdout
    data = json.loads(run_cli("solve", PROBLEMS / "sigmoid_neuron.yaml", "--check", "-f", "json").stdout)
    assert {c["name"] for c in data["check"]} == {"x", "y", "w", "b"}
    assert all(c["ok"] for c in data["check"])


def test_check_refuses_architectures():
    result = run_cli("solve", contract_example("mlp_params.yaml"), "--check")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "--check applies to graph problems" in result.stderr


@pytest.mark.parametrize("path", sorted(PROBLEMS.glob("*.yaml")), ids=lambda p: p.name)
def test_every_shipped_problem_solves_and_validates(path):
    for args in (("solve", path), ("solve", path, "-f", "json"), ("solve", path, "-f", "markdown"), ("validate", path)):
        result = run_cli(*args)
        assert result.returncode == 0, (args, result.stderr)
        assert "Traceback" not in result.stdout + result.stderr


def test_validate_reports_ok_and_faults_together(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x\nkind: graph\ninputs: {a: 1}\nsteps:\n  b: sigmod(a)\n")
    result = run_cli("validate", PROBLEMS / "residual_relu.yaml", bad)
    assert result.returncode == 2
    assert "residual_relu.yaml: ok (graph, 6 questions)" in result.stdout
    assert result.stderr.strip() == f"error: {bad}:5:6: step 'b': unknown function 'sigmod' (did you mean 'sigmoid'?)"


@pytest.mark.parametrize(
    "args, message",
    [
        (("solve", "no/such/file.yaml"), "no/such/file.yaml: no such problem file; check the path"),
        (("solve", "problems/residual_relu.yaml", "--format", "pdf"), "unknown --format 'pdf'"),
        (("solve",), "Missing argument"),
        (("frobnicate",), "No such command"),
    ],
)
def test_usage_errors_are_one_line_with_exit_2(args, message):
    result = run_cli(*args)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], result.stderr
    assert "Traceback" not in result.stderr


def test_schema_is_json_schema():
    result = run_cli("schema")
    assert result.returncode == 0
    schema = json.loads(result.stdout)
    assert schema["$schema"].startswith("https://json-schema.org/")
    assert "graph" in json.dumps(schema) and "architecture" in json.dumps(schema)


def test_python_api_returns_plain_data():
    solution = hwcheck.solve(str(PROBLEMS / "residual_relu.yaml"))
    assert solution.expected("dz/dw0").value == pytest.approx(-0.2)
    data = solution.to_json()
    json.dumps(data)  # plain data: serialisable as is
    assert data["gradients"]["b1"] == pytest.approx(1.0)
    html = solution._repr_html_()
    assert "Forward pass" in html


def test_validate_goes_on_after_a_duplicate_question_id(tmp_path):
    # Every fault in the file: the duplicate's own points, the questions after it, and the
    # asks (checked against the graph, which is fine).
    bad = tmp_path / "dup.yaml"
    bad.write_text("id: dup\nkind: graph\ninputs: {x: 1}\nsteps:\n  y: x * 2\nquestions:\n"
                   "  - {id: Q1, ask: y}\n  - {id: Q1, ask: dy/dx, points: oops}\n  - {id: Q2, ask: dy/dq}\n")
    result = run_cli("validate", bad)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.splitlines() == [
        f"error: {bad}:8:10: question id 'Q1' is used twice (first at line 7); ids are unique",
        f"error: {bad}:8:34: points: 'oops' is not a number (write e.g. 0.4, -3/4 or 1e-6)",
        f"error: {bad}:9:5: question 'Q2': unknown name 'q'",
    ]


def test_validate_counts_questions_in_words(tmp_path):
    one = tmp_path / "one.yaml"
    one.write_text("id: one\nkind: graph\ninputs: {x: 1}\nsteps:\n  y: x * 2\nquestions:\n  - {id: Q1, ask: dy/dx}\n")
    result = run_cli("validate", one)
    assert result.returncode == 0 and result.stdout == f"{one}: ok (graph, 1 question)\n"
    assert "# 1 question, 1 point." in run_cli("template", one).stdout
