"""The graph derivation is typed terms, typeset by render/typeset.py, never text read again.

Step expressions, the numbers put into them, node names, kinks and the softmax shortcut are
terms the solver builds from the expression tree; these tests check the terms against the
canonical text of the expression language (an independent writer: expr.to_text), against
TeX worked out by hand, and that no graph renderer re-parses what the solver wrote.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import hwcheck
from hwcheck.graph import expr as E
from hwcheck.graph import terms as T
from hwcheck.graph.hint import GivenHint, GradientHint, StepHint
from hwcheck.graph.ops import CALLS, OPS
from hwcheck.numbers import count_parts, fmt_count
from hwcheck.render import FORMATS, render_latex, tex as tex_module
from hwcheck.render.hints import hint_text
from hwcheck.render.typeset import UNICODE, tex, unicode
from support import CONTRACT, PROBLEMS, ROOT, is_assignment, is_problem_file

ARITY = dict(CALLS)


def parse(text: str):
    return E.parse_expression(text, {name: arity for name, arity in CALLS})


def _graph_problems() -> list[Path]:
    paths = sorted(PROBLEMS.rglob("*.yaml")) + sorted(CONTRACT.glob("*.yaml"))
    return [p for p in paths if is_problem_file(p) and not is_assignment(p) and "kind: graph" in p.read_text(encoding="utf-8")]


GRAPH_PROBLEMS = _graph_problems()

EXPRESSIONS = [
    "x0 * w0 + b0",
    "relu(x0 * w0 + b0)",
    "(a + b) * c",
    "a - (b - c)",
    "a / (b * c)",
    "-(a + b)",
    "-a ** 2",
    "(-a) ** 2",
    "(a + b) ** -x",
    "2 ** x ** 2",
    "(a ** b) ** c",
    "x ** exp(y)",
    "w @ x + b",
    "max(a, b) - min(a, 0.5)",
    "cross_entropy(softmax(h), y)",
    "sum(h ** 2, 1) * -3",
    "x * 1.000000000001",
    "2.5e-7 * x + 1e16",
]


@pytest.mark.parametrize("text", EXPRESSIONS)
def test_unicode_of_an_expression_is_its_canonical_text(text):
    tree = parse(text)
    assert unicode(T.from_tree(tree)) == E.to_text(tree)


@pytest.mark.parametrize("text, want", [
    ("x0 * w0 + b0", r"x_{0} \cdot w_{0} + b_{0}"),
    ("relu(x0 * w0 + b0)", r"\operatorname{ReLU}(x_{0} \cdot w_{0} + b_{0})"),
    ("(a + b) ** -x", r"(a + b)^{- x}"),
    ("x ** exp(y)", r"x^{\exp(y)}"),  # the whole call raised, not x^{\exp}(y)
    ("-(a - b) @ w1", r"- (a - b) \, w_{1}"),
    ("max(a, b) - min(a, 0.5)", r"\max(a,b) - \min(a,0.5)"),
    ("sum(h ** 2, 1) * -3", r"\operatorname{sum}(h^{2},1) \cdot - 3"),
    ("x * 1.000000000001", r"x \cdot 1.000000000001"),  # every digit: it names a node
])
def test_tex_of_an_expression_worked_by_hand(text, want):
    assert tex(T.from_tree(parse(text))) == want


def test_the_derivations_own_notation_in_tex():
    assert tex(T.Prod((T.Upstream(), T.Transpose(T.Symbol("x2"))))) == r"G \cdot x_{2}^{\top}"
    assert tex(T.Quotient(T.Neg(T.Symbol("a")), T.Power(T.Symbol("b"), T.Num(2)))) == r"- a / b^{2}"
    assert unicode(T.Quotient(T.Neg(T.Symbol("a")), T.Power(T.Symbol("b"), T.Num(2)))) == "-a/b²"


def test_numbers_put_in_are_parenthesised_once(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("id: p\nkind: graph\ninputs: {x: 0.2, y: 1}\nsteps:\n  e: (x - y) ** 2\n  m: max(x - y, -0.5)\n  L: e * m\n")
    solution = hwcheck.solve(str(path))
    square = solution.row("e")
    # x - y = -0.8, squared: written (-0.8) ** 2, not ((-0.8)) ** 2.
    assert unicode(square.substituted) == "(-0.8) ** 2"
    assert tex(square.substituted) == r"( - 0.8)^{2}"
    # Inside a call a negative needs no parentheses of its own.
    assert unicode(solution.row("m").substituted) == "max(-0.8, -0.5)"
    # A product's first factor as is, the next in parentheses: 0.64 * (-0.5).
    assert unicode(solution.row("L").substituted) == "0.64 * (-0.5)"
    assert tex(solution.row("L").expression) == r"e \cdot m"


def test_a_tensor_put_in_is_a_matrix_in_tex(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("id: p\nkind: graph\ninputs: {x: [0.5, -1.5]}\nparams: {w: 2}\nsteps:\n  h: w * x\n  L: sum(h)\n")
    solution = hwcheck.solve(str(path))
    h = solution.row("h")
    assert unicode(h.substituted) == "2 * [0.5, -1.5]"
    assert tex(h.substituted) == r"2 \cdot \begin{bmatrix}0.5 & -1.5\end{bmatrix}"
    assert r"| $h$ | $w \cdot x$ | $2 \cdot \begin{bmatrix}0.5 & -1.5\end{bmatrix}$ |" in FORMATS["markdown"](solution)


def test_a_kink_is_data_typeset_in_each_output(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("id: p\nkind: graph\ninputs: {x: [1.0, 0.0, -2.0]}\nparams: {w: 3}\nsteps:\n  h: relu(x * w)\n  L: sum(h)\n")
    solution = hwcheck.solve(str(path))
    (kink,) = solution.kinks
    assert kink.point == T.Equals((T.from_tree(parse("x * w")), T.Num(0)))
    assert kink.count == (1, 3)  # x·w = [3, 0, -6]: one element at the kink
    assert kink.rule == (T.Equals((T.Prime("relu", T.Num(0)), T.Num(0))), ", as PyTorch")
    latex = render_latex(solution)
    assert r"\item $h$ at $x \cdot w = 0$ (at 1 of 3 elements): $\operatorname{ReLU}'(0) = 0$, as PyTorch." in latex
    assert "- `h` at `x * w = 0 at 1 of 3 elements`: relu'(0) = 0, as PyTorch" in FORMATS["markdown"](solution)
    data = solution.to_json()["kinks"]  # the contract's text (§6)
    assert data == [{"node": "h", "step": "h", "where": "x * w = 0 at 1 of 3 elements", "rule": "relu'(0) = 0, as PyTorch"}]


def test_a_tie_names_both_operands_and_the_tied_value(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("id: p\nkind: graph\ninputs: {a: 0.5, b: 0.5}\nsteps:\n  L: max(a, b)\n")
    (kink,) = hwcheck.solve(str(path)).kinks
    assert kink.count is None
    assert unicode(kink.point) == "a = b = 0.5" and tex(kink.point) == "a = b = 0.5"
    assert kink.rule == ("a tie splits the gradient evenly, as PyTorch",)


@pytest.mark.parametrize("name", [op.name for op in OPS.values() if op.kink_at is not None])
def test_every_kink_rule_typesets_and_names_pytorch(name):
    """The one rule of each op with a kink, typeset for the keys and the JSON alike."""
    op = OPS[name]
    assert "PyTorch" in UNICODE.words(op.kink_rule)  # whose convention the subgradient follows
    for piece in op.kink_rule:
        if isinstance(piece, T.Term):
            assert tex(piece).isascii() and "?" not in tex(piece)


@pytest.mark.parametrize("path", GRAPH_PROBLEMS, ids=[p.name for p in GRAPH_PROBLEMS])
def test_every_shipped_key_is_terms_typeset_in_unicode_and_tex(path):
    solution = hwcheck.solve(str(path))
    terms = []
    for row in solution.rows:
        terms += [row.term, row.differential] + ([row.expression, row.substituted] if row.expression is not None else [])
        for local in row.locals:
            terms += [local.formula, local.node_term, local.operand_term]
    for kink in solution.kinks:
        terms += [kink.point] + [p for p in kink.rule if isinstance(p, T.Term)]
    for s in solution.softmax:
        terms += [s.loss_term, s.logits_term, s.probabilities_term]
    for d in solution.gradients:
        terms += [d.name_term, d.output_term]
    for term in terms:
        assert isinstance(term, T.Term), term  # never text
        assert unicode(term) and "?" not in unicode(term)
        assert tex(term).isascii() and "?" not in tex(term)  # UnknownSymbol would raise


def test_a_hint_is_data_and_its_text_the_same_notation(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("id: h\nkind: graph\ninputs: {x: 2, y: 1}\nparams: {w: 0.5}\nsteps:\n  yhat: w * x\n  L: (yhat - y) ** 2\n")
    solution = hwcheck.solve(str(path))
    assert solution.hint("x") == GivenHint("x", "input")
    step = solution.hint("yhat")
    assert isinstance(step, StepHint) and hint_text(step) == "yhat = w * x: put in the values of w, x from the forward pass."
    gradient = solution.hint("dL/dw")
    assert isinstance(gradient, GradientHint) and gradient.path_count == 1 and len(gradient.locals) == 3
    assert hint_text(solution.hint("dyhat/dy")).startswith("Does yhat depend on y at all?")


def test_large_path_counts_are_parts_not_text_to_search():
    assert count_parts(1024) == ("1,024", None)
    assert count_parts(2**64) == ("1.84", 19)
    assert fmt_count(2**64) == "about 1.84 × 10^19"


GRAPH_RENDERERS = ["latex_graph.py", "graph_markdown.py", "graph_terminal.py", "formulas.py", "hints.py", "dot.py"]


def test_no_renderer_reparses_the_solvers_text():
    assert not hasattr(tex_module, "tex_expr")  # the text-to-TeX tokenizer is gone
    render = ROOT / "src" / "hwcheck" / "render"
    for path in sorted(render.glob("*.py")):
        source = path.read_text(encoding="utf-8")
        assert "tex_expr" not in source, path.name
    for name in GRAPH_RENDERERS:
        tree = ast.parse((render / name).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in ("partition", "rpartition"):
                pytest.fail(f"{name}:{node.lineno} splits text with .{node.attr}()")
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "re":
                pytest.fail(f"{name}:{node.lineno} runs a regular expression over text (re.{node.attr})")
