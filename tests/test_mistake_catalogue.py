"""The catalogue of mistake codes (`hwcheck mistakes`) and what validate warns of.

The catalogue is generated from the registries; these tests check it holds every code a
diagnosis produces on every shipped problem and contract example, that docs/grading.md
carries the generated table, and the commands' output against hand-worked facts.
"""

from __future__ import annotations

import json

import pytest

import hwcheck
from hwcheck.grade.catalogue import entries, meaning
from hwcheck.graph.ask import parse_ask
from hwcheck.grade import catalogue_view as render
from support import CONTRACT, PENDING, PROBLEMS, ROOT, is_assignment, is_problem_file, run_cli

CODES = {e.code: e for e in entries()}
DOCS = (ROOT / "docs" / "grading.md").read_text(encoding="utf-8")


def _problems():
    paths = sorted(PROBLEMS.glob("*.yaml")) + sorted(p for p in CONTRACT.glob("*.yaml") if is_problem_file(p) and not is_assignment(p) and p.name not in PENDING)
    return [pytest.param(p, id=f"{p.parent.name}/{p.name}") for p in paths]


def produced_codes(solution) -> set[str]:
    """Every code the solver's diagnoses can name on this problem's questions."""
    problem = solution.problem
    codes = set()
    for q in problem.questions:
        if problem.kind == "graph" and q.answer == "formula":
            from hwcheck.graph.formula import FormulaCheck

            codes |= {c.code for c in FormulaCheck(solution, q).candidates()}
        elif problem.kind == "graph":
            from hwcheck.graph.mistakes import applicable_mistakes

            codes |= {m.code for m in applicable_mistakes(solution, parse_ask(q.ask))}
        elif problem.kind == "architecture":
            codes |= {m.code for m in solution.mistakes(q.ask)}
    return codes


@pytest.mark.parametrize("path", _problems())
def test_every_code_a_diagnosis_produces_is_catalogued_and_documented(path):
    solution = hwcheck.solve(path)
    for code in produced_codes(solution):
        assert code in CODES, f"{code} (from {path.name}) is missing from the catalogue"
        assert f"| `{code}` |" in DOCS, f"{code} is missing from docs/grading.md"


def test_the_grader_and_code_tasks_codes_are_catalogued():
    from hwcheck.code.mistakes import CATALOGUE
    from hwcheck.grade.diagnose import CARRIED_FORWARD, TRANSPOSED

    for code in (CARRIED_FORWARD, TRANSPOSED, "formula-only-at-values", *CATALOGUE):
        assert code in CODES and f"| `{code}` |" in DOCS


def test_docs_carry_the_generated_table():
    assert render.table() in DOCS, "docs/grading.md is out of date: paste `python -m hwcheck.grade.catalogue_view` over its table"


def test_where_each_applies_comes_from_the_registries():
    # A ReLU's gate is what relu-gate-ignored is about; sigmoid has no gate (its derivative
    # is never 0) but is an activation whose pre-activation can be used by mistake.
    assert {"relu", "leaky_relu"} <= set(CODES["relu-gate-ignored"].ops)
    assert "sigmoid" not in CODES["relu-gate-ignored"].ops
    assert "sigmoid" in CODES["pre-activation"].ops
    assert CODES["wrong-factor"].ops == ("mul",)  # the local derivative of a product a·b
    # Dense and conv2d layers have biases; flatten and relu have nothing to count.
    assert {"dense", "conv2d"} <= set(CODES["forgot-bias"].layers)
    assert "flatten" not in CODES["forgot-bias"].layers and "relu" not in CODES["forgot-bias"].layers
    # An LSTM has four gates; a plain RNN one, so it cannot count "one gate" wrong.
    assert "lstm" in CODES["one-gate"].layers and "rnn" not in CODES["one-gate"].layers
    assert CODES["sign-error"].kinds[0] == "graph" and "architecture" not in CODES["sign-error"].kinds
    assert "formula" in CODES["y-minus-p"].kinds
    assert CODES["not-implemented"].kinds == ("code",)
    assert meaning("forgot-bias") == "left out the biases"


def test_cli_catalogue_json_lists_every_code():
    done = run_cli("mistakes", "--format", "json")
    assert done.returncode == 0, done.stderr
    listed = json.loads(done.stdout)["mistakes"]
    assert [m["code"] for m in listed] == list(CODES)
    gate = next(m for m in listed if m["code"] == "relu-gate-ignored")
    assert "relu" in gate["ops"] and "graph" in gate["kinds"]


def test_cli_catalogue_terminal():
    done = run_cli("mistakes", "--width", "200")
    assert done.returncode == 0, done.stderr
    for code in ("missing-path", "forgot-bias", "formula-stopped-early", "not-implemented"):
        assert code in done.stdout


def test_cli_problem_table_json():
    done = run_cli("mistakes", PROBLEMS / "residual_relu.yaml", "-f", "json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["problem"] == "residual-relu"
    assert sorted(data["undetected"]) == ["pre-activation", "relu-gate-ignored"]
    # dz/db1 = 1 (both ReLUs open, so d relu = 1 along y1 → yx → z); the sign flipped: -1.
    sign = next(r for r in data["rows"] if r["question"] == "T1.b1" and r["code"] == "sign-error")
    assert sign["value"] == pytest.approx(-1.0) and sign["detected"] is True


def test_cli_problem_table_terminal():
    done = run_cli("mistakes", PROBLEMS / "residual_relu.yaml", "--width", "220")
    assert done.returncode == 0, done.stderr
    assert "T1.x0 (dz/dx0)" in done.stdout and "missing-path" in done.stdout
    assert "cannot detect relu-gate-ignored" in done.stdout


def test_cli_unknown_format_is_one_line():
    done = run_cli("mistakes", "-f", "xml")
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "unknown --format 'xml'" in done.stderr


def test_validate_warns_of_what_the_seed_cannot_detect():
    done = run_cli("validate", PROBLEMS / "residual_relu.yaml")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].endswith("residual_relu.yaml: ok (graph, 6 questions)")
    warned = [line for line in lines if "warning: cannot detect" in line]
    assert len(warned) == 2
    assert any("relu-gate-ignored" in line and "it gives the right value on every question" in line for line in warned)


def test_validate_a_closed_relu_has_no_warning(tmp_path):
    # b0 = -0.5: xwb0 = -0.2 < 0, the first ReLU is closed; ignoring its gate gives
    # dz/dw0 = -0.2 instead of 0, and xwb0 = -0.2 instead of x1 = 0 gives dz/dw1 = -0.2.
    path = tmp_path / "closed.yaml"
    path.write_text((PROBLEMS / "residual_relu.yaml").read_text(encoding="utf-8").replace("b0: 0.1", "b0: -0.5"), encoding="utf-8")
    done = run_cli("validate", path)
    assert done.returncode == 0, done.stderr
    assert "warning" not in done.stdout


def test_validate_keeps_exit_code_2_for_a_bad_file_next_to_warnings(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x\nkind: graph\n", encoding="utf-8")
    done = run_cli("validate", PROBLEMS / "residual_relu.yaml", bad)
    assert done.returncode == 2
    assert "warning: cannot detect relu-gate-ignored" in done.stdout and "bad.yaml" in done.stderr


def test_validate_and_mistakes_on_a_graph_too_large(tmp_path):
    # 2 leaves + h0 + 129 steps of a product and a ReLU = 261 nodes, above the 256 worked out.
    steps = ["  h0: x * w"] + [f"  h{i}: relu(h{i - 1} * w)" for i in range(1, 130)]
    path = tmp_path / "big.yaml"
    path.write_text("id: big\nkind: graph\ninputs: {x: 0.5}\nparams: {w: 0.9}\nsteps:\n" + "\n".join(steps) + "\noutput: h129\n", encoding="utf-8")
    done = run_cli("validate", path)
    assert done.returncode == 0, done.stderr
    assert "note: not checked for mistakes it cannot detect" in done.stdout and "261" in done.stdout
    done = run_cli("mistakes", path)
    assert done.returncode == 2 and done.stderr.startswith("error: ") and "261" in done.stderr


def test_mistakes_of_an_assignment_lists_each_problem_in_turn():
    run = run_cli("mistakes", CONTRACT / "hw4.yaml", "--format", "json")
    assert run.returncode == 0, run.stderr
    data = json.loads(run.stdout)
    assert data["kind"] == "assignment" and data["id"] == "hw4"
    assert [p["problem"] for p in data["problems"]] == ["residual-relu", "mlp-params", "softmax-ce-t4", "numpy-net"]
    # the seed's T1: both ReLUs open, so a forgotten ReLU derivative is caught on no question
    assert "relu-gate-ignored" in data["problems"][0]["undetected"]
    assert data["problems"][3]["rows"] == []  # code tasks are judged on random inputs, not listed
