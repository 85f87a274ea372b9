"""`hwcheck solve --format latex`: the answer key, as text and compiled by pdflatex.

The compile tests need pdflatex (texlive-latex-base). Locally a missing program skips
them with the install command; in CI (the CI environment variable set) it fails them, so
the key can never silently stop compiling.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

import hwcheck
from hwcheck.render import FORMATS
from hwcheck.render import render_latex
from hwcheck.render.latex import document
from hwcheck.render.tex import UnknownSymbol, tex_expr, tex_name, tex_tensor, tex_text
from support import CONTRACT, PENDING, PROBLEMS, is_assignment, is_problem_file, run_cli

SHIPPED = sorted(PROBLEMS.glob("*.yaml"))
WORST_OVERFULL_PT = 20.0


def require(program: str, install: str) -> str:
    """The program's path; skip locally (fail in CI) when it is not installed."""
    path = shutil.which(program)
    if path is None:
        message = f"{program} not found: {install}"
        if os.environ.get("CI"):
            pytest.fail(message + " (CI must install it)")
        pytest.skip(message)
    return path


def latex_of(path: Path | str, check: bool = False) -> str:
    solution = hwcheck.solve(str(path))
    findings = None
    if check:
        from hwcheck.graph.check import finite_difference_check

        findings = finite_difference_check(solution)
    return render_latex(solution, findings)


def compile_latex(source: str, folder: Path) -> str:
    """Compile with pdflatex; return the log after checking it for errors and bad boxes."""
    pdflatex = require("pdflatex", "apt-get install texlive-latex-base")
    (folder / "key.tex").write_text(source, encoding="utf-8")
    # MKTEXPK=0: a font that exists only as METAFONT source (the TS1 symbols, say) is an
    # error here rather than a slow, blurry bitmap generated on the user's machine.
    run = subprocess.run([pdflatex, "-interaction=nonstopmode", "-halt-on-error", "key.tex"], cwd=folder,
                         capture_output=True, timeout=300, env={**os.environ, "MKTEXPK": "0"})
    log = (folder / "key.log").read_text(encoding="latin-1")
    errors = [line for line in log.splitlines() if line.startswith("!")]
    assert run.returncode == 0 and not errors, "pdflatex failed:\n" + "\n".join(errors or log.splitlines()[-30:])
    assert (folder / "key.pdf").stat().st_size > 1000
    bad = [float(pt) for pt in re.findall(r"Overfull \\[hv]box \(([\d.]+)pt too (?:wide|high)\)", log)]
    worst = max(bad, default=0.0)
    assert worst <= WORST_OVERFULL_PT, f"an overfull box {worst}pt too wide/high:\n" + "\n".join(
        line for line in log.splitlines() if "Overfull" in line)
    return log


# -- every shipped problem compiles -------------------------------------------------------


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_every_shipped_problem_compiles(path, tmp_path):
    compile_latex(latex_of(path), tmp_path)


def test_there_are_problems_to_compile():
    assert any(hwcheck.load_problem(p).kind == "graph" for p in SHIPPED)
    assert any(hwcheck.load_problem(p).kind == "architecture" for p in SHIPPED)


def test_key_with_the_finite_difference_check_compiles(tmp_path):
    source = latex_of(PROBLEMS / "residual_relu.yaml", check=True)
    assert "Finite-difference check" in source
    compile_latex(source, tmp_path)


def test_long_chain_wraps_instead_of_running_off_the_page(tmp_path):
    # 50 residual blocks: a gradient path of 150 factors, and 2^51 paths to the input.
    steps = {"r0": "x + tanh(w0 * x)"}
    for i in range(1, 50):
        steps[f"r{i}"] = f"r{i - 1} + tanh(w{i} * r{i - 1})"
    lines = ["id: deep", "kind: graph", "inputs: {x: 0.5}", "params:"]
    lines += [f"  w{i}: {0.1 * (i % 5) - 0.2:.1f}" for i in range(50)]
    lines += ["steps:"] + [f"  {name}: {text}" for name, text in steps.items()] + ["  L: r49 * r49", "wrt: [w0, x]"]
    problem = tmp_path / "deep.yaml"
    problem.write_text("\n".join(lines) + "\n")
    source = latex_of(problem)
    assert r"\ensuremath{10^{15}} paths" in source  # counted, not listed
    assert "Too many paths to list" in source
    compile_latex(source, tmp_path)


HOSTILE = """id: hostile_1
title: 'Quotes " and \\\\ backslash & <angle> 100% $5 #1 ~x^2 {braces} — café • 中文'
kind: graph
inputs:
  v: [0.1, -0.2, 0.3, -0.4, 0.5, -0.6, 0.7, -0.8, 0.9, -1.0, 1.1, -1.2]
  a: 0
params:
  M: [[0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]]
  long_name_with_underscores_2: 0.5
steps:
  h: relu(M @ v)
  s: sum(h) / (1 + a ** 2)
  k: relu(a) + abs(a) + max(long_name_with_underscores_2, 0.5) * s
"""


def test_hostile_titles_wide_tensors_and_kinks_compile(tmp_path):
    problem = tmp_path / "hostile.yaml"
    problem.write_text(HOSTILE, encoding="utf-8")
    source = latex_of(problem)
    assert source.isascii() or all(ord(c) < 0x100 for c in source)
    assert r"\textbackslash{}" in source and r"\&" in source and r"\%" in source
    assert r"\cdots" in source  # the 12-vector is elided, not set as one wide box
    assert r"\subsection*{Kinks}" in source and r"\operatorname{ReLU}'(0) = 0" in source
    compile_latex(source, tmp_path)


# -- the seed's numbers, as text -----------------------------------------------------------


@pytest.fixture(scope="module")
def residual() -> str:
    return latex_of(PROBLEMS / "residual_relu.yaml")


def test_is_a_standalone_document_with_base_packages_only(residual):
    assert residual.startswith(r"\documentclass")
    assert residual.rstrip().endswith(r"\end{document}")
    packages = set()
    for group in re.findall(r"\\usepackage(?:\[[^]]*\])?\{([^}]*)\}", residual):
        packages.update(name.strip() for name in group.split(","))
    assert packages <= {"geometry", "amsmath", "amssymb", "graphicx"}
    assert residual.isascii()


def test_given_values_and_forward_pass(residual):
    assert r"x_{0} = 1 \quad\text{(input)}" in residual
    assert r"w_{1} = -0.2 \quad\text{(param)}" in residual
    # xw_0 = x_0 · w_0 = 0.3, names with digits as subscripts
    assert r"\mathit{xw}_{0} = x_{0} \cdot w_{0} = 1 \cdot 0.3 = 0.3" in residual
    assert r"y_{1} = \mathit{xw}_{1} + b_{1}" in residual and "= -0.38" in residual
    assert r"z = \operatorname{ReLU}(\mathit{yx}) = \operatorname{ReLU}(0.62) = 0.62" in residual


def test_local_derivatives_as_differentials(residual):
    assert r"d\mathit{xw}_{0} = w_{0}\,dx_{0} = 0.3\,dx_{0}" in residual
    assert r"d\mathit{xw}_{0} = x_{0}\,dw_{0}" in residual
    assert r"d\mathit{xwb}_{0} = d\mathit{xw}_{0}" in residual  # a local derivative of 1 is left out
    assert r"dx_{1} = \lbrack \mathit{xwb}_{0} > 0\rbrack\,d\mathit{xwb}_{0}" in residual


def test_path_products_with_numbers(residual):
    dz_dw0 = residual[residual.index(r"\subsubsection*{$dz/dw_{0}$ (1 path)}"):]
    assert (r"\frac{d z}{d w_{0}} = \frac{\partial z}{\partial \mathit{yx}} \cdot \frac{\partial \mathit{yx}}{\partial y_{1}}"
            in dz_dw0)
    assert r"= 1 \cdot 1 \cdot 1 \cdot (-0.2) \cdot 1 \cdot 1 \cdot 1}" in dz_dw0
    assert r"\hphantom{\frac{d z}{d w_{0}}} = -0.2}" in dz_dw0
    assert r"= 1 \cdot 1 \cdot 1 \cdot 0.4}" in residual  # dz/dw1
    assert r"\hphantom{\frac{d z}{d b_{1}}} = 1}" in residual


def test_paths_summed_where_there_are_several(residual):
    dz_dx0 = residual[residual.index(r"\subsubsection*{$dz/dx_{0}$ (2 paths)}"):]
    assert r"\text{path 1:}" in dz_dx0 and r"\text{path 2:}" in dz_dx0
    assert r"= 1 \cdot 1 \cdot 1 \cdot (-0.2) \cdot 1 \cdot 1 \cdot 0.3 = -0.06}" in dz_dx0
    assert r"\frac{d z}{d x_{0}} = (-0.06) + 1 = 0.94}" in dz_dx0


def test_backward_pass_and_answers(residual):
    assert (r"\frac{d z}{d x_{0}} = \frac{d z}{d \mathit{xw}_{0}} \cdot \frac{\partial \mathit{xw}_{0}}{\partial x_{0}} + "
            r"\frac{d z}{d \mathit{yx}} \cdot \frac{\partial \mathit{yx}}{\partial x_{0}} = (-0.2) \cdot 0.3 + 1 \cdot 1 = 0.94}") in residual
    assert r"T1.w0 & \texttt{dz/dw0} & $-0.2$ & 2 \\" in residual
    assert "None: every derivative used is defined at these values." in residual


def test_softmax_cross_entropy_derivation_with_numbers():
    source = latex_of(PROBLEMS / "softmax_ce.yaml")
    assert r"\subsection*{Softmax and cross-entropy: $\partial L/\partial h_i = P(y = i) - y_i$}" in source
    assert r"P(y = i)\bigl(1 - P(y = i)\bigr)" in source  # the j = i case
    assert r"= -P(y = j)\,P(y = i)," in source  # the j ≠ i case
    assert r"= P(y = i) - y_i" in source
    assert r"\frac{\partial L}{\partial h_{0}} = 0.322752 - 0 = 0.322752}" in source
    assert r"\frac{\partial L}{\partial h_{1}} = 0.481489 - 1 = -0.518511}" in source
    assert "they agree" in source


def test_architecture_key_writes_the_total_as_the_seed_does():
    source = latex_of(PROBLEMS / "mlp_params.yaml")
    assert r"30 \times 1024 + 1024 + 1024 \times 512 + 512 + 512 \times 1 + 1 = 557{,}057" in source
    assert r"\text{parameters: } 30 \cdot 1024 + 1024 = 31{,}744" in source
    assert r"\paragraph{Layer 1: A (dense)} $[30] \to [1024]$" in source
    assert r"T3 & \texttt{params} & $557{,}057$ & 3 \\" in source


def test_architecture_key_shows_the_shape_arithmetic():
    source = latex_of(PROBLEMS / "conv_shapes.yaml")
    assert r"\text{H, W: } \lfloor (32 + 2 \cdot 2 - 1 \cdot (5 - 1) - 1)/1\rfloor + 1 = 32" in source
    assert r"\text{parameters: } 16 \cdot 3 \cdot 5 \cdot 5 + 16 = 1216" in source
    assert r"\emph{stride = kernel = 2 (the default)}" in source


# -- the command line and the TeX helpers -----------------------------------------------------


def test_cli_prints_the_document():
    assert "latex" in FORMATS and "dot" in FORMATS
    run = run_cli("solve", PROBLEMS / "residual_relu.yaml", "--format", "latex")
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith(r"\documentclass") and r"\mathit{xw}_{0}" in run.stdout


def test_contract_example_matches_the_shipped_problem():
    shipped = PROBLEMS / "residual_relu.yaml"
    example = CONTRACT / "residual_relu.yaml"
    if example.exists():
        assert latex_of(example) == latex_of(shipped)


def test_tex_text_escapes_everything_a_user_writes():
    assert tex_text(r'a_b & 50% $x$ #1 {y} ~ ^ \ < > | "q"') == (
        r"a\_b \& 50\% \ensuremath{\$}x\ensuremath{\$} \#1 \{y\} \textasciitilde{} \textasciicircum{} "
        r"\textbackslash{} \textless{} \textgreater{} \textbar{} ''q''")
    assert tex_text("café — ½ 中") == r"café --- \ensuremath{\tfrac{1}{2}} ?"


# Every problem a user can get: the shipped ones and the contract's examples (pending ones aside).
EVERY_PROBLEM = SHIPPED + sorted(p for p in CONTRACT.glob("*.yaml") if is_problem_file(p) and not is_assignment(p) and p.name not in PENDING)


@pytest.mark.parametrize("path", EVERY_PROBLEM, ids=[f"{p.parent.name}/{p.stem}" for p in EVERY_PROBLEM])
def test_every_key_typesets_every_symbol(path):
    # The maths typesetters refuse a glyph they have no TeX for (UnknownSymbol), and the
    # document refuses any character left unset: rendering without an error is the test.
    solution = hwcheck.solve(str(path))
    key = render_latex(solution)
    assert r"\end{document}" in key
    assert "?" not in key  # no glyph replaced by a question mark (no shipped title has one)
    FORMATS["markdown"](solution, None)


def test_an_unknown_glyph_in_maths_is_an_error_in_prose_a_question_mark():
    with pytest.raises(UnknownSymbol, match="U\\+229B"):
        tex_expr("a ⊛ b")
    with pytest.raises(UnknownSymbol, match="U\\+229B"):
        document("title", [r"\wline{a ⊛ b}"])
    assert tex_text("a ⊛ b") == "a ? b"  # a title or id a user wrote is escaped, not refused
    assert "a ? b" in document("a ⊛ b", [])


def test_tex_expr_reads_superscript_symbols_as_symbols():
    assert tex_expr("G·x2ᵀ") == r"G \cdot x_{2}^{\top}"
    assert tex_expr("-a/b²") == r"- a / b^{2}"


def test_tex_tensor_elides_long_tensors():
    assert tex_tensor(np.arange(20.0)) == r"\begin{bmatrix}0 & 1 & 2 & \cdots & 18 & 19\end{bmatrix}"
    assert tex_tensor([1.0, 2.0]) == r"\begin{bmatrix}1 & 2\end{bmatrix}"
    assert r"\ddots" in tex_tensor(np.ones((10, 10)))
    assert tex_tensor(2.5e-7) == r"2.5 \times 10^{-7}"


# -- issue 8: names of any length are typeset in linear time -----------------------------------


def test_long_names_are_typeset_without_backtracking(tmp_path):
    # A name of 30 letters without digits once took the name pattern 2^30 steps to refuse;
    # each of these calls returned only after minutes before the fix.
    long = "abcdefghij" * 3
    assert tex_name(long) == rf"\mathit{{{long}}}"
    assert tex_name(long + "!") == rf"\mathit{{{long}!}}"
    assert tex_name("a_b_c" * 2000 + "_7") == r"\mathit{" + ("a_b_c" * 2000).replace("_", r"\_") + "}_{7}"
    assert (tex_name("w0"), tex_name("x_1"), tex_name("a__1")) == ("w_{0}", "x_{1}", r"\mathit{a\_\_1}")
    problem = tmp_path / "long.yaml"
    problem.write_text(f"id: long\nkind: graph\ninputs: {{x: 2}}\nsteps:\n  {long}: x * x\n  {long}q: 3 * {long}\n")
    solution = hwcheck.solve(str(problem))
    assert rf"\mathit{{{long}q}}" in FORMATS["markdown"](solution)
    compile_latex(render_latex(solution), tmp_path)


MATMUL = """id: mm
kind: graph
inputs:
  X: [[1, 2, 3], [4, 5, 6], [7, 8, 9], [1, 0, 1]]
params:
  W1: [[0.1, 0.2], [0.3, -0.4], [0.5, 0.6]]
steps:
  H: X @ W1
  L: sum(H * H)
output: L
"""


def test_a_tensor_local_derivative_is_true_as_written(tmp_path):
    # ∂(XW₁)/∂W₁ written "Xᵀ·G = [8×6 matrix]" was false: Xᵀ·G is the VJP, 3×2 like W₁;
    # the 8×6 matrix is the Jacobian. Each is now said for what it is, in every format.
    problem = tmp_path / "mm.yaml"
    problem.write_text(MATMUL)
    solution = hwcheck.solve(str(problem))
    local = solution.row("H").locals[1]
    assert (local.vjp, local.operand_shape, local.node_shape) == (True, (3, 2), (4, 2))
    # Row i = element i of H (row-major), column j = element j of W₁: H[0,0] = Σₖ X[0,k] W₁[k,0].
    assert local.value[0].tolist() == [1, 0, 2, 0, 3, 0] and local.value[1].tolist() == [0, 1, 0, 2, 0, 3]
    source = render_latex(solution)
    assert r"\frac{\partial H}{\partial W_{1}}\colon\ G \mapsto X^{\top} \cdot G\ (3 \times 2);" in source
    assert r"\text{Jacobian} = \begin{bmatrix}1 & 0 & 2 & 0 & 3 & 0 \\ 0 & 1 & 0 & 2 & 0 & 3" in source
    assert "The Jacobian's rows are the 8 elements of $H$, its columns the 6 of $W_{1}$, both in row-major order." in source
    assert r"X^{\top} \cdot G = \begin" not in source
    markdown = FORMATS["markdown"](solution)
    assert r"$G \mapsto X^{\top} \cdot G\ (3 \times 2)$" in markdown and "row-major" in markdown
    dot = FORMATS["dot"](solution)
    assert "∂H/∂W1: G ↦ Xᵀ·G (3×2)<BR/>Jacobian = 8×6 [[1, 0, 2, 0, …]" in dot
    terminal = " ".join(run_cli("solve", problem).stdout.split())
    assert "G ↦ Xᵀ·G (3×2)" in terminal and "(Jacobian 8×6: row i = element i of H, column j = element j of W1, row-major)" in terminal
    compile_latex(source, tmp_path)


def test_control_characters_are_refused_at_load_and_escaped_for_tex(tmp_path):
    # A line break in a title ended \section's argument; U+007F and U+0001 stop pdflatex. Such
    # titles and ids are refused when the problem is loaded, and TeX escapes them anyway.
    problem = tmp_path / "ctl.yaml"
    problem.write_text('id: ctl\ntitle: "Line one\\n\\nline two \\x7f \\x01 tab\\there"\nkind: graph\n'
                       'inputs: {x: 2}\nsteps:\n  y: x * x\nquestions:\n  - {id: "q\\n\\n1", ask: "dy/dx"}\n')
    with pytest.raises(hwcheck.InputError) as info:
        hwcheck.load_problem(problem)
    assert [f.pos.line for f in info.value.faults] == [2, 8]
    assert tex_text("a\nb\r\x00\x7f\x9f") == "a b [U+0000][U+007F][U+009F]"
    raw = "Line one\n\nline two \x7f \x01 tab\there"
    assert tex_text(raw) == "Line one  line two [U+007F] [U+0001] tab here"
    source = document(raw, [tex_text(raw)])
    assert r"\section*{Line one  line two [U+007F] [U+0001] tab here}" in source
    assert not re.search(r"[\x00-\x09\x0b-\x1f\x7f]", source)
    compile_latex(source, tmp_path)
