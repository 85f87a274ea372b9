"""Every output typesets the same derivation: each local derivative's formula, as the one
Unicode typesetter writes it, is in the terminal tables, the DOT picture, the JSON and the
hints; as the one TeX typesetter writes it, in the Markdown and the LaTeX key."""

from __future__ import annotations

import json

import pytest

import hwcheck
from hwcheck.render import FORMATS, render_latex
from hwcheck.render.formulas import local_formula, local_partial
from hwcheck.render.hints import hint_text
from hwcheck.render.typeset import formula_body, tex, tex_local
from support import PROBLEMS, run_cli

GRAPHS = ["residual_relu.yaml", "softmax_ce.yaml", "tanh_mlp.yaml", "sigmoid_neuron.yaml", "residual_block.yaml"]


@pytest.mark.parametrize("name", GRAPHS)
def test_every_output_shows_the_same_formulas(name):
    path = PROBLEMS / name
    solution = hwcheck.solve(str(path))
    locals_ = [local for row in solution.rows for local in row.locals]
    assert locals_
    terminal = " ".join(run_cli("solve", path, "--width", "400").stdout.split())
    dot, markdown, latex = FORMATS["dot"](solution), FORMATS["markdown"](solution), render_latex(solution)
    data = json.loads(FORMATS["json"](solution))
    by_edge = {(d["node"], d["operand"]): d for d in data["local_derivatives"]}
    for local in locals_:
        text = local_formula(local)
        assert text in terminal, text
        assert by_edge[(local.node, local.operand)]["formula"] == text
        assert by_edge[(local.node, local.operand)]["tex"] == tex_local(local)
        if len(text) <= 47:  # the picture cuts longer formulas short
            assert text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") in dot
        assert tex_local(local) in markdown
        assert tex(formula_body(local.formula)[0]) in latex


def test_hints_use_the_same_notation_as_the_key():
    solution = hwcheck.solve(str(PROBLEMS / "residual_relu.yaml"))
    hint = hint_text(solution.hint("dz/dw0"))
    for row in solution.rows:
        for local in row.locals:
            if local.operand in ("w0", "xw0", "xwb0"):  # on the path from z to w0
                assert f"{local_partial(local)} = {local_formula(local)}" in hint
