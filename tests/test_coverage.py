"""What a problem can detect (grade/coverage.py): each typical mistake's value per
question, and the mistakes no question catches. Every value is worked out by hand in the
comments.
"""

from __future__ import annotations

import pytest

import hwcheck
from hwcheck.grade.coverage import mistake_table, undetected
from support import PROBLEMS

SEED = (PROBLEMS / "residual_relu.yaml").read_text(encoding="utf-8")


def solve_text(tmp_path, text: str):
    path = tmp_path / "p.yaml"
    path.write_text(text, encoding="utf-8")
    return hwcheck.solve(hwcheck.load_problem(path))


def rows_of(table, code):
    return {r.question: r for r in table if r.code == code}


# The seed: x0 = 1, w0 = 0.3, b0 = 0.1, w1 = -0.2, b1 = -0.3.
# xwb0 = 0.4 > 0 (x1 = 0.4), y1 = -0.08 - 0.3 = -0.38, yx = 0.62 > 0: both ReLUs open.
# dz/dw0 = w1·x0 = -0.2, dz/dw1 = x1 = 0.4, dz/db0 = -0.2, dz/db1 = 1,
# dz/dx0 = 1 (skip) + w1·w0 = 0.94.


def test_seed_cannot_detect_a_forgotten_relu_derivative():
    table = mistake_table(hwcheck.solve(PROBLEMS / "residual_relu.yaml"))
    gate = rows_of(table, "relu-gate-ignored")
    # Both gates open: ignoring them changes no gradient. (For the value z, a ReLU left
    # out of the forward pass is a candidate only where it changes the value: none here.)
    assert set(gate) == {"T1.w0", "T1.w1", "T1.b0", "T1.b1", "T1.x0"}
    assert "relu-gate-ignored" in undetected(hwcheck.solve(PROBLEMS / "residual_relu.yaml"))
    hand = {"T1.w0": -0.2, "T1.w1": 0.4, "T1.b0": -0.2, "T1.b1": 1.0, "T1.x0": 0.94}
    for question, value in hand.items():
        assert gate[question].value == pytest.approx(value)
        assert not gate[question].detected
    # Using xwb0 for x1 (the pre-activation) changes nothing either: relu(0.4) = 0.4.
    pre = rows_of(table, "pre-activation")
    assert pre["T1.w1"].value == pytest.approx(0.4) and not pre["T1.w1"].detected
    assert not any(r.detected for r in pre.values())


def test_seed_undetected_codes():
    solution = hwcheck.solve(PROBLEMS / "residual_relu.yaml")
    assert sorted(undetected(solution)) == ["pre-activation", "relu-gate-ignored"]


def test_seed_detected_mistakes_have_their_hand_values():
    table = mistake_table(hwcheck.solve(PROBLEMS / "residual_relu.yaml"))
    signs = rows_of(table, "sign-error")
    assert signs["T1.x0"].value == pytest.approx(-0.94) and signs["T1.x0"].detected
    # dz/dw1 = dz/dxw1 · x1; the wrong factor takes w1 = -0.2 instead.
    wrong = [r for r in table if r.code == "wrong-factor" and r.question == "T1.w1"]
    assert [r.value for r in wrong] == [pytest.approx(-0.2)] and wrong[0].detected
    # dz/dx0 without the skip path: 0.94 - 1 = -0.06; without the long path: 1.
    paths = sorted(r.value for r in table if r.code == "missing-path")
    assert paths == [pytest.approx(-0.06), pytest.approx(1.0)]
    assert all(r.detected for r in table if r.code == "missing-path")


def test_a_closed_relu_makes_the_forgotten_derivative_detectable(tmp_path):
    # b0 = -0.5: xwb0 = 0.3 - 0.5 = -0.2 < 0, x1 = 0 (closed); y1 = -0.3, yx = 0.7, z = 0.7.
    solution = solve_text(tmp_path, SEED.replace("b0: 0.1", "b0: -0.5"))
    assert solution.expected("dz/dw0").value == 0.0
    table = mistake_table(solution)
    gate = rows_of(table, "relu-gate-ignored")
    # The gate ignored, dz/dw0 = w1·x0 = -0.2 (right: 0); dz/dx0 = 1 + w1·w0 = 0.94 (right: 1).
    assert gate["T1.w0"].value == pytest.approx(-0.2) and gate["T1.w0"].detected
    assert gate["T1.b0"].value == pytest.approx(-0.2) and gate["T1.b0"].detected
    assert gate["T1.x0"].value == pytest.approx(0.94) and gate["T1.x0"].detected
    # The forward pass without the ReLU: x1 = -0.2, y1 = 0.04 - 0.3 = -0.26, z = 0.74 (right: 0.7).
    assert gate["T1.z"].value == pytest.approx(0.74) and gate["T1.z"].detected
    # dz/dw1 = dz/dxw1 · x1 = 1 · 0 either way: no gate lies between z and w1's product.
    assert gate["T1.w1"].value == pytest.approx(0.0) and not gate["T1.w1"].detected
    assert "relu-gate-ignored" not in undetected(solution, table)
    # And the pre-activation xwb0 = -0.2 where x1 = 0 belongs: dz/dw1 = -0.2.
    assert rows_of(table, "pre-activation")["T1.w1"].value == pytest.approx(-0.2)
    assert undetected(solution, table) == []


def test_a_value_inside_the_tolerance_is_not_detected(tmp_path):
    # dz/dx0 = 1 + w1·w0 with w0 = 0.01: 0.998. Leaving out the long path gives 1, which is
    # within 1 % of 0.998, so missing-path is caught only through the other path (-0.002).
    solution = solve_text(tmp_path, SEED.replace("w0: 0.3", "w0: 0.01"))
    paths = {round(r.value, 6): r.detected for r in mistake_table(solution) if r.code == "missing-path"}
    assert paths == {1.0: False, -0.002: True}


ARCH = """\
id: small-conv
kind: architecture
input: [3, 32, 32]
layers:
  - {name: A, type: conv2d, filters: 8, kernel: 3, padding: 1}
  - {type: relu}
  - {name: B, type: maxpool2d, kernel: 2}
questions:
  - {id: QA, ask: A}
  - {id: QB, ask: B}
  - {id: QP, ask: params}
"""


def test_architecture_rows_and_an_exact_division(tmp_path):
    # A: (32 + 2 - 3)/1 + 1 = 32 → [8, 32, 32]; B: 32/2 = 16 → [8, 16, 16]; params 8·3·9 + 8 = 224.
    solution = solve_text(tmp_path, ARCH)
    table = mistake_table(solution)
    by = {(r.question, r.code): r for r in table}
    assert by["QA", "forgot-padding"].value == [8, 30, 30] and by["QA", "forgot-padding"].detected  # 32 - 3 + 1
    assert by["QA", "forgot-plus-one"].value == [8, 31, 31] and by["QA", "forgot-plus-one"].detected
    assert by["QB", "forgot-stride"].value == [8, 31, 31] and by["QB", "forgot-stride"].detected  # (32 - 2)/1 + 1
    assert by["QP", "forgot-bias"].value == 216 and by["QP", "forgot-bias"].detected
    assert by["QP", "forgot-input-channels"].value == 80 and by["QP", "forgot-input-channels"].detected  # 8·9 + 8
    # A count mistake is no question of shape.
    assert ("QA", "forgot-bias") not in by
    # Every division is exact (32/1, 32/2): rounding the other way gives the same sizes.
    assert by["QB", "wrong-rounding"].value == [8, 16, 16] and not by["QB", "wrong-rounding"].detected
    assert undetected(solution, table) == ["wrong-rounding"]


def test_architecture_problem_from_the_repository():
    # conv_shapes: forgot-bias gives 26346 - (16 + 32 + 10) = 26288 parameters, on T3 only.
    solution = hwcheck.solve(PROBLEMS / "conv_shapes.yaml")
    table = mistake_table(solution)
    bias = rows_of(table, "forgot-bias")
    assert set(bias) == {"T3"} and bias["T3"].value == 26288 and bias["T3"].detected
    assert undetected(solution, table) == []


def test_a_graph_too_large_is_refused_not_left_running(tmp_path):
    # x, w, h0, then 129 steps of two nodes each (a product and a ReLU): 261 nodes > 256.
    from hwcheck.grade.coverage import MAX_GRAPH_NODES, TooLarge

    steps = ["  h0: x * w"] + [f"  h{i}: relu(h{i - 1} * w)" for i in range(1, 130)]
    text = "id: big\nkind: graph\ninputs: {x: 0.5}\nparams: {w: 0.9}\nsteps:\n" + "\n".join(steps) + "\noutput: h129\n"
    solution = solve_text(tmp_path, text)
    assert len(solution.problem.graph.nodes) == 2 + 1 + 2 * 129 > MAX_GRAPH_NODES
    with pytest.raises(TooLarge, match="at most 256 nodes, and this one has 261"):
        mistake_table(solution)
