"""The expression language of graph steps: Python's precedence, canonical text, one node
per operation, constant folding, and refusals with the right column.

Columns from ``parse_expression`` are 0-based within the expression; through a problem
file they are 1-based file columns (the step's value column + the expression column).
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest

import hwcheck
from hwcheck import InputError
from hwcheck.graph.build import Const
from hwcheck.graph.expr import BinOp, Call, ExprError, Name, Neg, Num, parse_expression, to_text
from hwcheck.graph.ops import FUNCTIONS


def parse(text):
    return parse_expression(text, FUNCTIONS)


def refusal(text) -> ExprError:
    with pytest.raises(ExprError) as info:
        parse(text)
    return info.value


def load(tmp_path, body: str, name="p.yaml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return hwcheck.load_problem(path)


def load_error(tmp_path, body: str, name="p.yaml") -> str:
    with pytest.raises(InputError) as info:
        load(tmp_path, body, name)
    return str(info.value)


# -- precedence and associativity, as Python ---------------------------------------


def test_unary_minus_binds_looser_than_power():
    # Python: -x ** 2 == -(x ** 2)
    tree = parse("-x ** 2")
    assert isinstance(tree, Neg)
    assert tree.operand == BinOp("**", Name("x", 1), Num(2.0, 6), 3)


def test_negative_literal_is_a_number():
    assert parse("-2") == Num(-2.0, 0)
    # but -2 ** 2 is -(2 ** 2) = -4 in Python, so it stays a negation of the power
    tree = parse("-2 ** 2")
    assert isinstance(tree, Neg) and isinstance(tree.operand, BinOp) and tree.operand.op == "**"


def test_power_with_negative_exponent():
    tree = parse("2 ** -1")
    assert tree == BinOp("**", Num(2.0, 0), Num(-1.0, 5), 2)
    tree = parse("x ** -y")
    assert tree.op == "**" and isinstance(tree.right, Neg)


def test_subtraction_and_division_are_left_associative():
    tree = parse("a - b - c")  # (a - b) - c
    assert tree.op == "-" and tree.right == Name("c", 8)
    assert tree.left == BinOp("-", Name("a", 0), Name("b", 4), 2)
    tree = parse("a / b / c")  # (a / b) / c
    assert tree.op == "/" and tree.right == Name("c", 8)
    assert tree.left.op == "/"


def test_power_is_right_associative():
    tree = parse("x ** y ** z")  # x ** (y ** z)
    assert tree.op == "**" and tree.left == Name("x", 0)
    assert tree.right == BinOp("**", Name("y", 5), Name("z", 10), 7)


def test_product_before_sum_and_matmul_with_product():
    tree = parse("a + b * c")
    assert tree.op == "+" and tree.right.op == "*"
    tree = parse("a @ b + c")
    assert tree.op == "+" and tree.left.op == "@"


@pytest.mark.parametrize(
    "yaml_steps, expected",
    [
        # x = 3, y = 2, z = 2 (values worked by hand, as Python evaluates them)
        ("v: -x ** 2", -9.0),  # -(3²)
        ("v: 2 ** -1", 0.5),
        ("v: x - y - z", -1.0),  # (3 - 2) - 2
        ("v: x / y / z", 0.75),  # (3 / 2) / 2
        ("v: z ** y ** z", 16.0),  # 2 ** (2 ** 2) = 2 ** 4
        ("v: (z ** y) ** x", 64.0),  # (2²)³
        ("v: (-x) ** 2", 9.0),
        ("v: -2 ** 2 + x", -1.0),  # -(2²) + 3
        ("v: x - -y", 5.0),
        ("v: 2 * 3 * x", 18.0),
        ("v: -(x - y) * z", -2.0),
    ],
)
def test_values_follow_python_precedence(tmp_path, yaml_steps, expected):
    problem = load(tmp_path, f"""\
        id: t
        kind: graph
        params: {{x: 3, y: 2, z: 2}}
        steps:
          {yaml_steps}
        """)
    assert float(problem.values[problem.graph.index["v"]]) == expected


# -- canonical text -------------------------------------------------------------------


@pytest.mark.parametrize(
    "written, canonical",
    [
        ("(a*b)+c", "a * b + c"),
        ("a*(b+c)", "a * (b + c)"),
        ("a - (b - c)", "a - (b - c)"),
        ("(a - b) - c", "a - b - c"),
        ("a / (b / c)", "a / (b / c)"),
        ("(a / b) / c", "a / b / c"),
        ("x ** (y ** z)", "x ** y ** z"),
        ("(x ** y) ** z", "(x ** y) ** z"),
        ("-(x ** 2)", "-x ** 2"),
        ("(-x) ** 2", "(-x) ** 2"),
        ("(-2) ** x", "(-2) ** x"),
        ("x ** (-y)", "x ** -y"),
        ("-(a + b)", "-(a + b)"),
        ("-(a * b)", "-(a * b)"),
        ("((((relu( x0*w0 +b0 )))))", "relu(x0 * w0 + b0)"),
        ("max(a,b)", "max(a, b)"),
        ("leaky_relu(x,0.10)", "leaky_relu(x, 0.1)"),
        ("1e-3 * x", "0.001 * x"),
        ("+x", "x"),
        ("a @ (b @ c)", "a @ (b @ c)"),
        ("(a @ b) @ c", "a @ b @ c"),
    ],
)
def test_to_text_uses_minimal_parentheses(written, canonical):
    assert to_text(parse(written)) == canonical


@pytest.mark.parametrize("text", ["a - b - c", "a - (b - c)", "x ** y ** z", "(x ** y) ** z", "-x ** 2", "(-x) ** 2", "a / (b * c)", "-(a - b) * c", "x ** -y ** 2", "- - x"])
def test_to_text_round_trips_to_the_same_tree(text):
    tree = parse(text)
    assert _shape(parse(to_text(tree))) == _shape(tree)


def _shape(tree):
    """The tree without columns."""
    if isinstance(tree, Num):
        return tree.value
    if isinstance(tree, Name):
        return tree.name
    if isinstance(tree, Neg):
        return ("neg", _shape(tree.operand))
    if isinstance(tree, Call):
        return (tree.func, *map(_shape, tree.args))
    return (tree.op, _shape(tree.left), _shape(tree.right))


# -- one node per operation ------------------------------------------------------------


def test_nested_step_becomes_one_node_per_operation(tmp_path):
    problem = load(tmp_path, """\
        id: t
        kind: graph
        inputs: {x0: 1.0}
        params: {w0: 0.3, b0: 0.1}
        steps:
          h: relu(x0 * w0 + b0)
        """)
    graph = problem.graph
    names = [n.name for n in graph.nodes]
    assert names == ["x0", "w0", "b0", "x0 * w0", "x0 * w0 + b0", "h"]
    assert [n.role for n in graph.nodes[3:]] == ["sub", "sub", "step"]
    assert all(n.step == "h" for n in graph.nodes[3:])
    # values: 0.3, 0.4, relu(0.4) = 0.4
    np.testing.assert_allclose([float(problem.values[i]) for i in (3, 4, 5)], [0.3, 0.4, 0.4])
    h = graph.nodes[graph.index["h"]]
    assert h.operands == (graph.index["x0 * w0 + b0"],)


def test_node_names_are_canonical_whatever_the_spacing(tmp_path):
    problem = load(tmp_path, """\
        id: t
        kind: graph
        inputs: {x0: 1.0}
        params: {w0: 0.3, b0: 0.1}
        steps:
          h: relu(((x0*w0))+b0)
        """)
    assert "x0 * w0" in problem.graph.index and "x0 * w0 + b0" in problem.graph.index


def test_same_subexpression_twice_is_one_node(tmp_path):
    problem = load(tmp_path, """\
        id: t
        kind: graph
        inputs: {x: 2.0}
        params: {w: 0.5}
        steps:
          y: relu(x * w) + relu(x*w)
        """)
    graph = problem.graph
    assert [n.name for n in graph.nodes] == ["x", "w", "x * w", "relu(x * w)", "y"]
    shared = graph.index["relu(x * w)"]
    assert graph.nodes[graph.index["y"]].operands == (shared, shared)
    # y = 2·relu(xw); dy/dw = 2·x·[xw > 0] = 4
    solution = hwcheck.solve(problem)
    assert float(solution.expected("y").value) == pytest.approx(2.0)
    assert float(solution.expected("dy/dw").value) == pytest.approx(4.0)


def test_same_subexpression_in_two_steps_is_one_node(tmp_path):
    problem = load(tmp_path, """\
        id: t
        kind: graph
        inputs: {x: 2.0}
        params: {w: 0.5}
        steps:
          a: relu(x * w) * 3
          b: relu(x * w) + a
        """)
    graph = problem.graph
    assert [n.name for n in graph.nodes].count("relu(x * w)") == 1
    assert [n.name for n in graph.nodes] == ["x", "w", "x * w", "relu(x * w)", "a", "b"]
    # b = r + 3r = 4r, r = xw → db/dw = 4x = 8
    assert float(hwcheck.solve(problem).expected("db/dw").value) == pytest.approx(8.0)


def test_constants_are_folded(tmp_path):
    problem = load(tmp_path, """\
        id: t
        kind: graph
        params: {x: 0.5}
        steps:
          y: relu(2 * 3 * x)
          z: y * (1 + 1) ** 2
        """)
    graph = problem.graph
    names = [n.name for n in graph.nodes]
    assert "2 * 3" not in names and "1 + 1" not in names and "(1 + 1) ** 2" not in names
    node = graph.nodes[graph.index["2 * 3 * x"]]
    assert node.operands == (Const(6.0), graph.index["x"])
    assert graph.nodes[graph.index["z"]].operands == (graph.index["y"], Const(4.0))
    # z = relu(6x)·4 = 12 at x = 0.5; dz/dx = 24
    solution = hwcheck.solve(problem)
    assert float(solution.expected("z").value) == pytest.approx(12.0)
    assert float(solution.expected("dz/dx").value) == pytest.approx(24.0)


def test_a_step_that_is_a_number_or_a_name_copies_it(tmp_path):
    problem = load(tmp_path, """\
        id: t
        kind: graph
        params: {x: 0.5}
        steps:
          c: 3
          a: x
          y: a * c
        """)
    assert float(problem.values[problem.graph.index["c"]]) == 3.0
    assert float(hwcheck.solve(problem).expected("dy/dx").value) == 3.0


# -- overflow of constants, quickly ---------------------------------------------------


def test_power_tower_overflow_is_refused_quickly_in_a_subexpression(tmp_path):
    message = load_error(tmp_path, """\
        id: t
        kind: graph
        params: {x: 0.5}
        steps:
          y: x * 10 ** 10 ** 10
        """)
    assert "overflow" in message and "'y'" in message


def test_power_tower_overflow_is_refused_quickly_as_a_whole_step(tmp_path):
    body = "id: t\nkind: graph\nparams: {x: 0.5}\nsteps:\n  y: 10 ** 10 ** 10\n"
    path = tmp_path / "tower.yaml"
    path.write_text(body, encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "hwcheck", "validate", str(path)], capture_output=True, text=True, timeout=20)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "'y'" in result.stderr and "overflow" in result.stderr


# -- refusals, each at its column ----------------------------------------------------


@pytest.mark.parametrize(
    "text, column, words",
    [
        ("__import__('os')", 11, "strings are not allowed"),
        ("x.y", 1, "attribute access"),
        ("lambda: 1", None, None),
        ("'a'", 0, "strings are not allowed"),
        ("x[0]", 1, "indexing is not allowed"),
        ("x ^ 2", 2, "write x ** 2"),
        ("sigmod(x)", 0, "did you mean 'sigmoid'"),
        ("x + y z", 6, "missing operator"),
        ("x +", 3, "ends too early"),
        ("(x + 1", 6, "expected ')'"),
        ("2x", 0, "cannot start with a digit"),
        ("x % 2", 2, "'%' is not supported"),
        ("os.system(1)", 2, "attribute access"),
    ],
)
def test_refusals_name_the_column(text, column, words):
    error = refusal(text)
    if column is None:  # `lambda: 1`: refusing the keyword (column 0) or the ':' (column 6) are both right
        assert (error.column, "lambda" in error.message) in ((0, True), (6, False))
        assert "':'" in error.message or "lambda" in error.message
        return
    assert words in error.message
    assert error.column == column


@pytest.mark.parametrize(
    "text, message",
    [
        ("relu(x, y)", "relu() takes 1 argument, not 2"),
        ("max(x)", "max() takes 2 arguments, not 1"),
        ("leaky_relu(x)", "leaky_relu() takes 2 arguments, not 1"),
        ("sum()", "sum() takes 1 or 2 arguments, not 0"),
        ("cross_entropy(p, y, z)", "cross_entropy() takes 2 arguments, not 3"),
    ],
)
def test_wrong_arity(text, message):
    error = refusal(text)
    assert message in error.message
    assert error.column == 0


def test_unknown_function_without_a_close_match():
    error = refusal("frobnicate(x)")
    assert "unknown function 'frobnicate'" in error.message
    assert "did you mean" not in error.message


def test_too_long_expression():
    error = refusal("x + " * 600 + "x")
    assert "characters long" in error.message and "limit 2,000" in error.message


def test_too_deeply_nested_parentheses():
    error = refusal("(" * 150 + "x" + ")" * 150)
    assert "nested deeper than" in error.message


def test_too_deeply_nested_calls():
    error = refusal("relu(" * 150 + "x" + ")" * 150)
    assert "nested deeper than" in error.message


def test_too_many_unary_minus():
    error = refusal("-" * 300 + "x")
    assert "nested deeper than" in error.message


def test_long_power_tower_is_refused_not_a_crash():
    error = refusal(" ** ".join(["x"] * 300))
    assert "nested deeper than" in error.message


def test_long_flat_sum_under_the_length_limit_is_built_or_refused_cleanly(tmp_path):
    # 999 terms, 1,997 characters: within the length limit, and nesting only to the left.
    # It must give a value (999·x) or a clean InputError, never a RecursionError.
    text = "+".join(["x"] * 999)
    assert len(text) < 2000
    path = tmp_path / "flat.yaml"
    path.write_text(f"id: t\nkind: graph\nparams: {{x: 1.0}}\nsteps:\n  y: {text}\n", encoding="utf-8")
    try:
        problem = hwcheck.load_problem(path)
    except InputError:
        return
    assert float(problem.values[problem.graph.index["y"]]) == 999.0


def test_long_flat_sum_via_cli_has_no_traceback(tmp_path):
    text = "+".join(["x"] * 999)
    path = tmp_path / "flat.yaml"
    path.write_text(f"id: t\nkind: graph\nparams: {{x: 1.0}}\nsteps:\n  y: {text}\n", encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "hwcheck", "validate", str(path)], capture_output=True, text=True, timeout=60)
    assert "Traceback" not in result.stderr
    assert result.returncode in (0, 2)


# -- refusals through a problem file: file, line and file column ---------------------


def test_refusals_in_a_file_point_at_the_file_column(tmp_path):
    message = load_error(tmp_path, """\
        id: t
        kind: graph
        inputs: {x: 1.0}
        steps:
          a: x ^ 2
          b: __import__('os')
          c: sigmod(x)
          d: relu(x, x)
          e: x[0]
        """, name="refuse.yaml")
    lines = message.splitlines()
    assert len(lines) == 5  # every faulty step, not only the first
    # `  a: x ^ 2`: the value starts at column 6, '^' is 2 further → column 8
    assert lines[0].startswith("") and "refuse.yaml:5:8: step 'a':" in lines[0]
    assert "refuse.yaml:6:17: step 'b': strings are not allowed" in lines[1]  # 6 + 11
    assert "refuse.yaml:7:6: step 'c': unknown function 'sigmod' (did you mean 'sigmoid'?)" in lines[2]
    assert "refuse.yaml:8:6: step 'd': relu() takes 1 argument, not 2" in lines[3]
    assert "refuse.yaml:9:7: step 'e': indexing is not allowed" in lines[4]


def test_refusal_in_a_quoted_expression_points_at_the_file_column(tmp_path):
    # `  b: "x ^ 2"` — the quote is column 6, x column 7, '^' column 9.
    # `  c: 'lambda: 1'` — the quote is column 6, 'l' column 7, ':' column 13.
    message = load_error(tmp_path, """\
        id: t
        kind: graph
        inputs: {x: 1.0}
        steps:
          b: "x ^ 2"
          c: 'lambda: 1'
        """, name="quoted.yaml")
    lines = message.splitlines()
    assert "quoted.yaml:5:9: step 'b'" in lines[0]
    assert "quoted.yaml:6:7: step 'c'" in lines[1] or "quoted.yaml:6:13: step 'c'" in lines[1]


def test_names_in_expressions_must_exist(tmp_path):
    message = load_error(tmp_path, """\
        id: t
        kind: graph
        inputs: {weights: 1.0}
        steps:
          y: 2 * weight
        """)
    assert ":5:10:" in message and "unknown name 'weight' (did you mean 'weights'?)" in message


def test_function_names_cannot_be_used_as_names(tmp_path):
    message = load_error(tmp_path, """\
        id: t
        kind: graph
        inputs: {relu: 1.0}
        steps:
          y: 2 * 3
        """)
    assert "'relu' is a function name" in message


def test_refusal_in_a_block_scalar_expression_points_at_the_file_line_and_column(tmp_path):
    # A folded block scalar puts the expression on the next line:
    #   line 5: `  f: >-`
    #   line 6: `    x ^ 2`   → x is column 5, '^' column 7
    message = load_error(tmp_path, """\
        id: t
        kind: graph
        inputs: {x: 1.0}
        steps:
          f: >-
            x ^ 2
        """, name="block.yaml")
    assert "block.yaml:6:7: step 'f'" in message
