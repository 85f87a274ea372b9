"""The architecture's working as typed terms (graph/terms.py's last section), typeset by
render/typeset.py: what a student reads is what was counted.

For every layer type of the registry (its example in tests/torch_layers.py, under both
conventions and with every mistake it invites switched on), the parameter formula and the
mult-adds, evaluated as integers, are the row's counts, and each line of shape working
evaluates to the size of the axis it names; a layer type that counts weights without a
formula, or changes a shape without working, fails here.
"""

from __future__ import annotations

import pytest

from support import CONTRACT, PROBLEMS
from torch_layers import EXAMPLES

from hwcheck.architecture import LAYER_TYPES, ArchitectureProblem, solve_architecture
from hwcheck.assignment import problems_of
from hwcheck.architecture.layers import LAYOUT_MISTAKES, LayerType, Shaped
from hwcheck.graph import terms as T
from hwcheck.graph.terms import (BoardSum, Ceil, Chain, Fixed, Floor, Int, Measure, Neg, Paren, Phrase, Prod, ShapeList,
                                 Tally, Times, equation, evaluate_arith)
from hwcheck.problem import load_problem
from hwcheck.render import render_latex
from hwcheck.render.architecture_markdown import render_architecture_markdown
from hwcheck.render.typeset import tex, unicode

# Layer types whose input is an image or signal: written channels last under Keras.
CHANNELS = {kind for kind, layer_type in LAYER_TYPES.items() if layer_type.expects_keras} | {"residual"}


def example_problem(tmp_path, kind: str, convention: str):
    shape, layer = EXAMPLES[kind]
    dims = [int(n) for n in shape.strip("[]").split(",")]
    if convention == "keras" and kind in CHANNELS:
        dims = dims[1:] + dims[:1]  # [C, H, W] -> [H, W, C]
    path = tmp_path / f"{kind}_{convention}.yaml"
    path.write_text(f"id: t\nkind: architecture\ninput: {dims}\nconvention: {convention}\nlayers:\n  - {layer}\n",
                    encoding="utf-8")
    return load_problem(path)


def solutions(problem):
    """The solution, and one with each mistake the problem's layers invite (those that still run)."""
    yield solve_architecture(problem)
    invited = {code for spec in problem.all_layers for code in LAYER_TYPES[spec.type].mistakes}
    for code in sorted(invited - set(LAYOUT_MISTAKES)):
        try:
            yield solve_architecture(problem, code)
        except Exception:  # the mistake makes the network impossible: nothing to typeset
            continue


def axes(label: str, rank: int, convention: str) -> list[int]:
    """The output axes a line of shape working is about, from its label: C, H, W, L, features..."""
    channel = rank - 1 if convention == "keras" else 0
    spatial = 0 if convention == "keras" else 1
    where = {"C": channel, "H": spatial, "L": spatial, "W": spatial + 1}
    names = [part.strip().split(" ")[0] for part in label.split(",")]
    return [where.get(name, rank - 1) for name in names]  # features, dim, E: the last axis


def faults(row, convention: str) -> list[str]:
    """What is wrong with a row's working (empty when every number has working that gives it)."""
    found = []
    if evaluate_arith(row.params_formula) != row.params:
        found.append(f"parameters: {unicode(row.params_formula)} is not {row.params}")
    if evaluate_arith(row.mult_adds_formula) != row.mult_adds:
        found.append(f"mult-adds: {unicode(row.mult_adds_formula)} is not {row.mult_adds}")
    for formula, value in ((row.non_trainable_formula, row.non_trainable), (row.buffers_formula, row.buffers)):
        if evaluate_arith(formula) != value:
            found.append(f"statistics: {unicode(formula)} is not {value}")
    if not row.branches:
        if LAYER_TYPES[row.type].learnable and (not row.terms or row.params == 0):
            found.append(f"{row.type} is learnable but its example has no parameter terms")
    explained: dict[int, int] = {}
    if row.branches and not row.steps and row.branches[0].output_shape == row.output_shape:
        # a mistake made the branches disagree: a student goes on from the main branch's working
        explained.update(enumerate(row.output_shape))
    for step in row.steps:
        if isinstance(step.working, Chain) and isinstance(step.working.terms[-1], ShapeList):
            if step.working.terms[-1].dims != row.output_shape:  # a block: main + shortcut = its output
                found.append(f"{step.label}: {unicode(step.working)} is not {list(row.output_shape)}")
            explained.update(enumerate(row.output_shape))
            continue
        for axis in axes(step.label, len(row.output_shape), convention):
            explained[axis] = evaluate_arith(step.working)  # a later line (ceil_mode's drop) has the last word
    for axis, size in enumerate(row.output_shape):
        carried = axis < len(row.input_shape) and row.input_shape[axis] == size
        if axis in explained and explained[axis] != size:
            found.append(f"axis {axis}: the working gives {explained[axis]}, the shape has {size}")
        elif axis not in explained and not carried:
            found.append(f"axis {axis} ({size}) has no working")
    return found


@pytest.mark.parametrize("convention", ["pytorch", "keras"])
@pytest.mark.parametrize("kind", list(LAYER_TYPES))
def test_every_layer_types_working_evaluates_to_its_numbers(kind, convention, tmp_path):
    for solution in solutions(example_problem(tmp_path, kind, convention)):
        for row in solution.network.walk():
            assert faults(row, convention) == [], (kind, solution.mistake)
        network = solution.network
        assert evaluate_arith(network.formula) == network.trainable
        assert evaluate_arith(network.formula_total) == network.trainable


@pytest.mark.parametrize("convention", ["pytorch", "keras"])
@pytest.mark.parametrize("kind", list(LAYER_TYPES))
def test_every_layer_types_working_typesets_in_tex(kind, convention, tmp_path):
    # The TeX printer refuses a term type it does not know; the documents refuse a glyph.
    for solution in solutions(example_problem(tmp_path, kind, convention)):
        network = solution.network
        for row in network.walk():
            for term in (row.shapes, row.params_formula, row.mult_adds_formula, row.non_trainable_formula,
                         row.buffers_formula, *(step.working for step in row.steps)):
                assert tex(term) and unicode(term)
        for term in (network.formula_total, network.memory, network.counts):
            assert tex(term) and unicode(term)
        assert r"\end{document}" in render_latex(solution)
        render_architecture_markdown(solution)


def shipped_architectures():
    """Every architecture problem shipped in problems/ or the contract's examples, assignments' too."""
    paths = sorted(PROBLEMS.rglob("*.yaml")) + sorted(CONTRACT.glob("*.yaml"))
    found = {}
    for path in paths:
        try:
            problems = problems_of(path)
        except Exception:  # not a problem or an assignment (a sheet, a vary file)
            continue
        for problem in problems:
            if isinstance(problem, ArchitectureProblem):
                found[f"{path.relative_to(PROBLEMS.parent)}:{problem.id}"] = problem
    return found


SHIPPED = shipped_architectures()


def test_the_shipped_architectures_are_found():
    assert {"problems/mlp_params.yaml:mlp-params", "problems/resnet18.yaml:resnet18"} <= set(SHIPPED)


@pytest.mark.parametrize("key", list(SHIPPED))
def test_every_shipped_architecture_key_typesets_and_adds_up(key):
    solution = solve_architecture(SHIPPED[key])
    for row in solution.network.walk():
        assert faults(row, solution.network.convention) == []
        for term in (row.shapes, row.params_formula, row.mult_adds_formula, *(step.working for step in row.steps)):
            tex(term)  # an UnknownSymbol or a term type without a TeX method fails here
    assert r"\end{document}" in render_latex(solution)


class _Uncounted(LayerType):
    """A learnable layer type someone added without its parameter formula."""

    name, learnable = "uncounted", True


class _Unexplained(LayerType):
    """A layer type that halves the last axis without writing how."""

    name = "unexplained"

    def output(self, layer, shape, ctx):
        return Shaped(shape[:-1] + (shape[-1] // 2,))


@pytest.mark.parametrize("fake, complaint", [(_Uncounted(), "no parameter terms"), (_Unexplained(), "has no working")])
def test_a_layer_type_without_its_working_fails(fake, complaint, tmp_path, monkeypatch):
    monkeypatch.setitem(LAYER_TYPES, fake.name, fake)
    path = tmp_path / "net.yaml"
    path.write_text(f"id: t\nkind: architecture\ninput: [4, 8]\nlayers:\n  - {{type: {fake.name}}}\n", encoding="utf-8")
    row = solve_architecture(load_problem(path)).network.rows[0]
    assert any(complaint in fault for fault in faults(row, "pytorch"))


def test_a_working_that_does_not_add_up_is_refused():
    # 2·2·2 = 9 and 3 ≥ 4 are bugs the registry test must catch
    with pytest.raises(ValueError, match="8 = 9"):
        evaluate_arith(equation(Prod((Int(2), Int(2), Int(2))), Int(9)))
    with pytest.raises(ValueError, match="3 ≥ 4"):
        evaluate_arith(Chain((Int(3), Int(4)), ("≥",)))


# -- each new term in both typesetters, worked by hand ----------------------------------

def output_size():
    """PyTorch's ⌊(in + 2p − d·(k − 1) − 1)/s⌋ + 1 for in 32, p 2, d 1, k 5, s 1: 32."""
    reach = Prod((Int(1), Paren(BoardSum((Int(5), Neg(Int(1)))))))
    inside = Paren(BoardSum((Int(32), Prod((Int(2), Int(2))), Neg(reach), Neg(Int(1)))))
    return equation(BoardSum((Floor(inside, Int(1)), Int(1))), Int(32))


def test_the_output_size_rule_in_unicode_and_tex():
    assert unicode(output_size()) == "⌊(32 + 2·2 − 1·(5 − 1) − 1)/1⌋ + 1 = 32"
    assert tex(output_size()) == r"\lfloor (32 + 2 \cdot 2 - 1 \cdot (5 - 1) - 1)/1\rfloor + 1 = 32"
    assert evaluate_arith(output_size()) == 32


def test_floor_and_ceil_round_as_pytorch_does():
    # (7 - 3 - 1)/2 = 1.5: floor 1, ceil 2; a negative span floors down, as PyTorch's div_rtn: -3/2 -> -2
    assert evaluate_arith(Floor(Int(3), Int(2))) == 1 and evaluate_arith(Ceil(Int(3), Int(2))) == 2
    assert evaluate_arith(Floor(Int(-3), Int(2))) == -2 and evaluate_arith(Ceil(Int(-3), Int(2))) == -1
    assert unicode(equation(Ceil(Int(32), Int(2)), Int(16))) == "⌈32/2⌉ = 16"
    assert tex(equation(Ceil(Int(32), Int(2)), Int(16))) == r"\lceil 32/2\rceil = 16"


def test_counts_have_separators_from_five_digits():
    assert [unicode(Tally(n)) for n in (1216, 9999, 31744, 557057, -12345)] == ["1216", "9999", "31,744", "557,057", "−12,345"]
    assert tex(Tally(1245184)) == "1{,}245{,}184"
    assert unicode(Int(-1)) == "−1" and unicode(Int(20000)) == "20000"  # inside the working: in full
    assert tex(Tally(10**15)) == r"\text{about}\ 1.00 \times 10^{15}"


def test_the_dropped_window_of_ceil_mode_reads_as_a_conclusion():
    # (4 − 1)·2 = 6 ≥ 5 + 1, so 4 − 1 = 3
    border = Chain((Prod((Paren(BoardSum((Int(4), Neg(Int(1))))), Int(2))), Int(6), BoardSum((Int(5), Int(1))),
                    BoardSum((Int(4), Neg(Int(1)))), Int(3)), ("=", "≥", "so", "="))
    assert unicode(border) == "(4 − 1)·2 = 6 ≥ 5 + 1, so 4 − 1 = 3"
    assert tex(border) == r"(4 - 1) \cdot 2 = 6 \ge 5 + 1, \ \text{so}\ 4 - 1 = 3"
    assert evaluate_arith(border) == 3


def test_totals_shapes_and_sentences():
    total = equation(T.Sum((Times((Int(30), Int(1024))), Int(1024))), Tally(31744))
    assert unicode(total) == "30×1024 + 1024 = 31,744" and tex(total) == r"30 \times 1024 + 1024 = 31{,}744"
    shapes = Chain((ShapeList((3, 32, 32)), ShapeList((16, 32, 32))), ("→",))
    assert unicode(shapes) == "[3, 32, 32] → [16, 32, 32]" and tex(shapes) == r"[3, 32, 32] \to [16, 32, 32]"
    memory = Phrase((Tally(557057), " × ", Measure(Int(4), "B"), " = ", Measure(Tally(2228228), "B"), " ≈ ",
                     Measure(Fixed(2.228228), "MB")))
    assert unicode(memory) == "557,057 × 4 B = 2,228,228 B ≈ 2.23 MB"
    assert tex(Measure(Tally(2228228), "B")) == r"2{,}228{,}228\ \text{B}"
    statistics = T.Noted(equation(T.Sum((Int(64), Int(64))), Tally(128)), ("running mean, variance",))
    assert unicode(statistics) == "64 + 64 = 128 (running mean, variance)"


def test_markdown_sets_the_word_so_upright(tmp_path):
    # Before the terms, Markdown wrote "so" in math italic ($... 5 + 1, so 4 - 1 = 3$); LaTeX had \text{so}.
    path = tmp_path / "net.yaml"
    path.write_text("id: t\nkind: architecture\ninput: [1, 5, 5]\nlayers:\n"
                    "  - {type: maxpool2d, kernel: 2, stride: 2, padding: 1, ceil_mode: true}\n", encoding="utf-8")
    solution = solve_architecture(load_problem(path))
    line = r"$(4 - 1) \cdot 2 = 6 \ge 5 + 1, \ \text{so}\ 4 - 1 = 3$"
    assert line in render_architecture_markdown(solution)
    assert line.strip("$") in render_latex(solution)
