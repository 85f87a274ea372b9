"""Loading code problems (contract §9): faults with their line and column, the reference
values worked by hand, the inputs reproducible, the starter module valid Python."""

from __future__ import annotations

import ast

import numpy as np
import pytest

import hwcheck
from hwcheck.code.template import starter_text
from hwcheck.code.train import spiral
from support import CONTRACT, PROBLEMS, run_cli

PROBLEM = PROBLEMS / "numpy_net.yaml"

BASE = """id: t
kind: code
module: hw
tasks:
"""


def faults(tmp_path, tasks: str) -> str:
    path = tmp_path / "p.yaml"
    path.write_text(BASE + tasks)
    done = run_cli("validate", path)
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    return done.stderr


@pytest.mark.parametrize("tasks, where, words", [
    ("  - {id: A, function: f, inputs: {x: [4, 0]}, returns: x}\n", ":5:", "whole numbers ≥ 1"),
    ("  - {id: A, function: f, inputs: {x: [4, 3]}, returns: x @ q}\n", ":5:", "unknown name 'q'"),
    ("  - {id: A, function: f, inputs: {x: [4, 3]}, returns: 'grad(x, y)'}\n", ":5:", "NAME must be one of the inputs"),
    ("  - {id: A, function: f, inputs: {x: [4, 3]}, returns: 'grad(x, x)'}\n", ":5:", "needs a scalar"),
    ("  - {id: A, function: f, inputs: {x: [4, 3]}, returns: 'sum(grad(sum(x), x))'}\n", ":5:", "whole returns item"),
    ("  - {id: A, function: f, inputs: {x: [4, 3]}, call: 'g(x)', returns: x}\n", ":5:", "call names 'g'"),
    ("  - {id: A, function: f, inputs: {x: [4, 3], w: [4, 3]}, returns: x @ w}\n", ":5:", "do not fit"),
    ("  - {id: A, function: class, inputs: {x: [4]}, returns: x}\n", ":5:", "function"),
    ("  - {id: A, function: f, inputs: {x: {shape: [4], draw: gauss}}, returns: x}\n", ":5:", "unknown draw 'gauss'"),
    ("  - {id: A, function: f, inputs: {x: [400000]}, returns: x}\n", ":5:", "limit"),
    # tasks are read as questions are: bounded points, printable ids
    ("  - {id: A, function: f, inputs: {x: [4]}, returns: x, points: 1e308}\n", ":5:", "more than 1,000,000"),
    ('  - {id: "C\\e[2J", function: f, inputs: {x: [4]}, returns: x}\n', ":5:", "printable text"),
])
def test_faults_name_the_place(tmp_path, tasks, where, words):
    text = faults(tmp_path, tasks)
    assert where in text and words in text, text


def test_training_faults(tmp_path):
    tasks = """  - {id: A, function: f, inputs: {x: [4, 3]}, returns: x}
  - id: T
    train:
      data: {spiral: {classes: 3, points_per_class: 10}}
      params: {w: [2, 3]}
      forward: [h = f(q)]
      backward: [dw = g(h)]
      update: f
      steps: 10
      lr: 0.1
      reach: {accuracy: 0.5}
"""
    text = faults(tmp_path, tasks)
    assert "'q' is used before it is defined" in text and "'g' is not the function of a task" in text


def test_reference_values_by_hand():
    problem = hwcheck.load_problem(PROBLEM)
    reference = problem.reference.tasks
    # C6's case: relu at exactly 0 gets PyTorch's relu'(0) = 0, and relu'(0) = 1 is the other subgradient.
    case = reference["C6"].sets[-1]
    assert case.label == "case 1"
    np.testing.assert_array_equal(case.expected[0], [[0.0, 0.0, 1.0]])
    (note, item, value), = case.alternatives
    assert note == "relu'(0) = 1" and item == 0
    np.testing.assert_array_equal(value, [[0.0, 1.0, 1.0]])
    # C3's case: softmax of ±1000 without overflow: [1, 0, 0] and the uniform row.
    np.testing.assert_allclose(reference["C3"].sets[-1].expected[0], [[1.0, 0.0, 0.0], [1 / 3, 1 / 3, 1 / 3]])
    # C7: dx = dout·wᵀ, dw = xᵀ·dout, db = Σ_rows dout, at the first trial.
    first = reference["C7"].sets[0]
    dout, x, w = first.values["dout"], first.values["x"], first.values["w"]
    dx, dw, db = first.expected
    np.testing.assert_allclose(dx, dout @ w.T)
    np.testing.assert_allclose(dw, x.T @ dout)
    np.testing.assert_allclose(db, dout.sum(axis=0))
    # C4: the batch mean of −Σ y log p.
    first = reference["C4"].sets[0]
    p, y = first.values["p"], first.values["y"]
    assert np.isclose(float(first.expected[0]), -np.sum(y * np.log(p)) / 4)
    assert np.allclose(p.sum(axis=1), 1) and set(np.unique(y)) == {0.0, 1.0} and np.all(y.sum(axis=1) == 1)


def test_inputs_are_reproducible_and_differ_between_tasks():
    one, two = hwcheck.load_problem(PROBLEM), hwcheck.load_problem(CONTRACT / "numpy_net.yaml")
    np.testing.assert_array_equal(one.reference.tasks["C1"].sets[0].values["x"], two.reference.tasks["C1"].sets[0].values["x"])
    assert not np.array_equal(one.reference.tasks["C1"].sets[0].values["x"], one.reference.tasks["C1"].sets[1].values["x"])


def test_reference_call_follows_the_training_sizes():
    """linear_backward's reference at the training's sizes: b (not passed) and the 4 of
    (p - y) / 4 follow the batch of 300."""
    problem = hwcheck.load_problem(PROBLEM)
    rng = np.random.default_rng(0)
    p = rng.random((300, 3))
    y = np.eye(3)[rng.integers(3, size=300)]
    (d,) = problem.reference.call("softmax_cross_entropy_backward", [p, y])
    np.testing.assert_allclose(d, (p - y) / 300)
    dout, x, w = rng.standard_normal((300, 3)), rng.standard_normal((300, 100)), rng.standard_normal((100, 3))
    dx, dw, db = problem.reference.call("linear_backward", [dout, x, w])
    assert db.shape == (3,) and np.allclose(db, dout.sum(axis=0))


def test_spiral_is_cs231ns():
    problem = hwcheck.load_problem(PROBLEM)
    x, y = spiral(problem.tasks[-1].train)
    assert x.shape == (300, 2) and y.shape == (300, 3) and np.all(y.sum(axis=0) == 100)
    radius = np.hypot(x[:, 0], x[:, 1])
    np.testing.assert_allclose(radius[:100], np.linspace(0, 1, 100))  # r = linspace(0, 1) per class


def test_starter_module_is_python_with_every_function():
    problem = hwcheck.load_problem(PROBLEM)
    tree = ast.parse(starter_text(problem, "problems/numpy_net.yaml"))
    functions = {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}
    assert list(functions) == [t.function for t in problem.tasks if t.function]
    assert [a.arg for a in functions["linear_backward"].args.args] == ["dout", "x", "w"]
    doc = ast.get_docstring(functions["linear_backward"])
    assert "dout: an array of shape (4, 5)" in doc and "Returns a tuple of 3" in doc
    assert all(isinstance(f.body[-1], ast.Raise) for f in functions.values())


def test_template_never_overwrites(tmp_path):
    target = tmp_path / "hw4.py"
    target.write_text("my work")
    done = run_cli("template", PROBLEM, "-o", target)
    assert done.returncode == 2 and "exists" in done.stderr and target.read_text() == "my work"


def test_solve_check_runs_the_reference_training():
    done = run_cli("solve", PROBLEM, "--check", "--format", "json")
    assert done.returncode == 0, done.stderr
    import json

    (training,) = json.loads(done.stdout)["training"]
    assert training["reference"]["reached"] and training["reference"]["accuracy"] >= 0.9
    assert training["shapes"]["db2"] == [3] and training["shapes"]["x1"] == [300, 100]


def test_task_ids_are_kept_as_written(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text(BASE + "  - {id: 1.10, function: f, inputs: {x: [4]}, returns: x}\n  - {id: 1.1, function: g, inputs: {x: [4]}, returns: x}\n")
    assert [task.id for task in hwcheck.load_problem(path).tasks] == ["1.10", "1.1"]
