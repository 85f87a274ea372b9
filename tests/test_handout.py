"""`hwcheck handout` and `hwcheck draw --blank`: the questions, without any answer.

The central test searches every shipped problem's handout (Markdown and LaTeX) and blank
picture for every number of its key — each value, gradient, local derivative, path count,
shape and count of `hwcheck solve --format json`, in the renderings a key prints — and
finds none, except numbers the problem itself gives (its values, settings and points).
The same search run over the keys themselves must find their numbers, so it can fail.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml

import hwcheck
import test_latex as latex_tests  # compile_latex: pdflatex, errors and overfull boxes checked
from hwcheck.handout import handout
from hwcheck.render import blank_dot
from hwcheck.render.handout_markdown import render_handout_markdown
from hwcheck.render.latex_handout import render_handout_latex
from support import CONTRACT, PROBLEMS, contract_problems, is_assignment, run_cli

SHIPPED = sorted(PROBLEMS.glob("*.yaml"))
IDS = [p.stem for p in SHIPPED]


# -- the search for a key's numbers ---------------------------------------------------------

# A number standing alone: not the 0 of w0, the 1 of T1.a, the 11 of 11pt.
NUMBER = re.compile(r"(?<![\w.])(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?(?:e-?\d+)?)(?![\w])")
INT = r"(?<![\w.])\d+(?![\w.])"
SHAPE = re.compile(rf"{INT}(?:\s*(?:,|×|\\times)\s*{INT})+")


def renderings(x: float) -> set[str]:
    """How a key may print |x|: 3, 4, 6 and 12 significant digits, the shortest exact text,
    and an integer with and without thousands separators (compared without them)."""
    x = abs(float(x))
    if not np.isfinite(x):
        return set()
    texts = {f"{x:.{d}g}" for d in (3, 4, 6, 12)} | {repr(x)}
    if x == int(x):
        texts |= {str(int(x)), f"{int(x):,}"}
    return {_canonical(t) for t in texts}


def _canonical(text: str) -> str:
    """1,216 → 1216; 2.5e-07 → 2.5e-7; 1.0 → 1."""
    text = text.replace(",", "")
    text = re.sub(r"e([+-]?)0*(\d)", lambda m: "e" + ("-" if m.group(1) == "-" else "") + m.group(2), text)
    return text[:-2] if text.endswith(".0") else text


def _numbers(value) -> list[float]:
    return [float(x) for x in np.ravel(np.asarray(value, dtype=float))] if value is not None else []


def key_numbers(path: Path) -> tuple[set[float], set[tuple[int, ...]]]:
    """Every number and shape of the key: `hwcheck solve --format json`, plus the local
    derivatives' values, which the keys print beside their formulas."""
    run = run_cli("solve", path, "--format", "json")
    assert run.returncode == 0, run.stderr
    data = json.loads(run.stdout)
    numbers: set[float] = set()
    shapes: set[tuple[int, ...]] = set()
    if data["kind"] == "graph":
        for section in ("values", "gradients", "paths"):
            for value in data[section].values():
                numbers.update(_numbers(value))
        solution = hwcheck.solve(str(path))
        for row in solution.rows:
            for local in row.locals:
                numbers.update(_numbers(local.value))
    elif data["kind"] == "architecture":
        def walk(item, key=None):
            if key in ("input", "convention", "name", "type"):
                return
            if isinstance(item, dict):
                for k, v in item.items():
                    walk(v, k)
            elif isinstance(item, list) and key and key.endswith("shape"):
                shapes.add(tuple(item))
                if len(item) == 1:  # a shape of one axis is printed as its number too
                    numbers.add(float(item[0]))
            elif isinstance(item, list):
                for v in item:
                    walk(v)
            elif isinstance(item, (int, float)) and not isinstance(item, bool):
                numbers.add(float(item))
        walk(data)
    else:
        for task in data["tasks"]:
            for value in task["expected"]:
                numbers.update(_numbers(value))
        for training in data["training"]:
            shapes.update(tuple(s) for s in training["shapes"].values() if len(s) > 1)
            numbers.update(float(s[0]) for s in training["shapes"].values() if len(s) == 1)
    return numbers, shapes


def given_numbers(path: Path) -> tuple[set[float], set[tuple[int, ...]]]:
    """What the problem gives, read from the file itself: every number it writes (values,
    settings, constants in expressions) except in its title, which is prose, and every
    question's points and the total, which a handout prints."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    numbers: set[float] = set()
    shapes: set[tuple[int, ...]] = set()

    def walk(item, key=None):
        if key == "title":
            return
        if isinstance(item, dict):
            for k, v in item.items():
                walk(v, k)
        elif isinstance(item, list):
            if item and all(isinstance(v, int) and not isinstance(v, bool) for v in item):
                shapes.add(tuple(item))
            for v in item:
                walk(v)
        elif isinstance(item, str):
            numbers.update(float(t.replace(",", "")) for t in NUMBER.findall(item))
        elif isinstance(item, (int, float)) and not isinstance(item, bool):
            numbers.add(float(item))

    walk(data)
    problem = hwcheck.load_problem(path)
    points = [q.points for q in problem.questions] + [t.points for t in getattr(problem, "tasks", [])]
    numbers.update(points)
    numbers.add(sum(points))
    return numbers, shapes


def _prepare(text: str) -> str:
    """The text a reader sees: LaTeX's preamble (shared with the keys, no problem's number),
    commands' options, counters and subscripts (x_{0}) left out; exponents and {,} as a key's
    JSON has them."""
    if r"\begin{document}" in text:
        text = text.split(r"\begin{document}", 1)[1]
    text = re.sub(r"\\[A-Za-z]+\[[^\]]*\]|\\setcounter\{\w+\}\{\d+\}", "", text)
    text = re.sub(r"_\{[^}]*\}|_\d+", "", text)
    text = re.sub(r"(\d(?:\.\d+)?) \\times 10\^\{(-?\d+)\}", r"\1e\2", text)
    return text.replace("{,}", ",")


def leaks(text: str, path: Path) -> list[str]:
    """The key's numbers and shapes found in ``text``, other than those the problem gives."""
    expected, expected_shapes = key_numbers(path)
    given, given_shapes = given_numbers(path)
    allowed = set().union(*map(renderings, given)) if given else set()
    wanted = set().union(*map(renderings, expected)) - allowed if expected else set()
    text = _prepare(text)
    found = sorted({token for token in NUMBER.findall(text) if _canonical(token) in wanted})
    for match in SHAPE.finditer(text):
        shape = tuple(int(n) for n in re.findall(r"\d+", match.group()))
        if shape in expected_shapes - given_shapes:
            found.append(match.group())
    return found


# -- the handouts hold no answer ------------------------------------------------------------


@pytest.mark.parametrize("path", SHIPPED, ids=IDS)
def test_no_handout_holds_a_number_of_its_key(path):
    data = handout(hwcheck.load_problem(path))
    for text in (render_handout_markdown(data, "p-graph.svg"), render_handout_latex(data, "p-graph.pdf")):
        assert leaks(text, path) == []


@pytest.mark.parametrize("path", [p for p in contract_problems() if not is_assignment(p.values[0])])
def test_no_handout_of_a_contract_example_holds_a_number_of_its_key(path):
    data = handout(hwcheck.load_problem(path))
    assert leaks(render_handout_markdown(data) + render_handout_latex(data) + blank_dot(hwcheck.load_problem(path)), path) == []


@pytest.mark.parametrize("path", SHIPPED, ids=IDS)
def test_no_blank_picture_holds_a_number_of_its_key(path):
    assert leaks(blank_dot(hwcheck.load_problem(path)), path) == []


@pytest.mark.parametrize("path", SHIPPED, ids=IDS)
def test_the_search_finds_the_numbers_of_every_key(path):
    """The check can fail: run over the key, in each format a key is printed, it finds numbers."""
    for format in ("markdown", "latex"):
        run = run_cli("solve", path, "--format", format)
        assert run.returncode == 0, run.stderr
        assert leaks(run.stdout, path), f"{format} key of {path.name}: no number found"


def test_the_search_finds_what_the_seed_key_prints():
    """By hand, for the seed's residual network: z = relu(−0.2·0.4 − 0.3 + 1) = 0.62, and
    dz/dx0 = 1 (the skip) + w1·w0 = 1 − 0.06 = 0.94; nothing the problem gives is flagged
    (w1 = −0.2 is also dz/dw0, so it is allowed)."""
    path = PROBLEMS / "residual_relu.yaml"
    assert set(leaks("z = 0.62 and dz/dx0 = 0.94", path)) == {"0.62", "0.94"}
    assert leaks("dz/dw0 = -0.2, x0 = 1, w0 = 0.3; 11 points", path) == []
    assert leaks("x0 = 1, w0 = 0.3, w1 = -0.2, b0 = 0.1, b1 = -0.3", path) == []


def test_the_search_finds_shapes_and_counts_written_as_keys_write_them():
    """conv_shapes by hand: A is 16×32×32 (padding 2 keeps 32); B2 is 32×8×8 (stride 2 on 16);
    16·3·5·5 + 16 = 1216 parameters for A; flatten gives 32·8·8 = 2048."""
    path = PROBLEMS / "conv_shapes.yaml"
    assert leaks("B2: [32, 8, 8]", path) == ["32, 8, 8"]
    assert leaks(r"$32 \times 8 \times 8$", path) == [r"32 \times 8 \times 8"]
    assert leaks("A has 1,216 parameters", path) == ["1,216"]
    assert leaks(r"$1{,}216$", path) == ["1,216"]
    assert leaks("flatten: 2048", path) == ["2048"]
    assert leaks("input [3, 32, 32]; filters 16, kernel 5, stride 1, padding 2; units 10", path) == []


# -- what a handout shows ---------------------------------------------------------------------


def test_a_graph_handout_gives_values_steps_and_questions():
    data = handout(hwcheck.load_problem(PROBLEMS / "residual_relu.yaml"))
    assert [(g.name, g.role, float(g.value)) for g in data.given] == [
        ("x0", "input", 1.0), ("w0", "param", 0.3), ("w1", "param", -0.2), ("b0", "param", 0.1), ("b1", "param", -0.3)]
    assert [(s.name, s.expression) for s in data.steps][:3] == [("xw0", "x0 * w0"), ("xwb0", "xw0 + b0"), ("x1", "relu(xwb0)")]
    assert data.output == "z"
    assert [(q.id, q.ask, q.points) for q in data.questions][:2] == [("T1.z", "z", 1.0), ("T1.w0", "dz/dw0", 2.0)]
    text = render_handout_markdown(data, "h-graph.svg")
    assert "| `w1` | param | `-0.2` |" in text
    assert "| `yx` | `y1 + x0` |" in text
    assert "![The computation graph: names and operations](h-graph.svg)" in text
    assert "| T1\\.x0 | `dz/dx0`: the gradient of z with respect to x0 | 2 |" in text
    assert "In all: 11 points." in text  # 1 + 5 × 2
    assert "0.62" not in text and "0.94" not in text


def test_given_tensors_are_written_in_full_and_exactly():
    data = handout(hwcheck.load_problem(PROBLEMS / "tanh_mlp.yaml"))
    text = render_handout_markdown(data)
    assert "| `W1` | param | `[[0.1, 0.2], [0.3, -0.4], [0.5, 0.6]]` |" in text
    latex = render_handout_latex(data)
    assert r"W_{1} = \begin{bmatrix}0.1 & 0.2 \\ 0.3 & -0.4 \\ 0.5 & 0.6\end{bmatrix}" in latex
    assert data.questions[-1].words == "element [1, 0] of the gradient of L with respect to W1"


def test_an_architecture_handout_gives_the_layers_as_written_and_no_shape():
    data = handout(hwcheck.load_problem(PROBLEMS / "conv_shapes.yaml"))
    assert data.input == (3, 32, 32)
    first, _, pool = data.layers[:3]
    assert (first.name, first.type, first.settings) == ("A", "conv2d", (("filters", "16"), ("kernel", "5"), ("stride", "1"), ("padding", "2")))
    assert pool.settings == (("kernel", "2"),)  # the stride it defaults to is the key's business
    text = render_handout_markdown(data)
    assert "| `B2` | conv2d | filters 32, kernel 3, stride 2, padding 1 |  |" in text
    assert "`params`: the number of learnable parameters of the whole network | 2 |" in text
    assert "dilation" not in text and "[16, 32, 32]" not in text


def test_layers_inside_a_block_say_where_they_are():
    data = handout(hwcheck.load_problem(PROBLEMS / "transformer_layer.yaml"))
    inside = {layer.name: layer.within for layer in data.layers}
    assert inside["attn"] == "residual block, main branch" and inside["head"] is None
    assert "params(attn)" in render_handout_latex(data)


def test_a_code_handout_gives_signatures_shapes_and_cases():
    data = handout(hwcheck.load_problem(PROBLEMS / "numpy_net.yaml"))
    text = render_handout_markdown(data)
    assert "## C1: `linear_forward(x, w, b)` (1 point)" in text
    assert "- `x`: an array of shape (4, 3)" in text and "- `b`: an array of shape (5,)" in text
    assert "- returns `x @ w + b`: an array of shape (4, 5)" in text
    assert "- returns the gradient of `sum(dout * relu(x))` with respect to `x`: an array of shape (4, 5)" in text
    assert "- also called with `h` = `[[1000, 0, -1000], [-1000, -1000, -1000]]`" in text
    assert "- `param`: an array of shape (3, 5) (you may change it in place)" in text
    assert "It passes when it reaches accuracy 0.9." in text
    assert "In all: 12 points." in text  # 1+1+1+1+2+1+2+1 for the functions, 2 for training


def test_a_formula_question_says_so():
    data = handout(hwcheck.load_problem(Path(__file__).parent / "contract" / "softmax_ce_t4.yaml"))
    formula = [q for q in data.questions if q.words.endswith("as a formula over the problem's names")]
    assert formula, [q.words for q in data.questions]


# -- the blank picture ------------------------------------------------------------------------


def test_the_blank_picture_has_names_and_operations_only():
    problem = hwcheck.load_problem(PROBLEMS / "residual_relu.yaml")
    dot = blank_dot(problem)
    assert "<B>xw0</B><BR/>x0 * w0>" in dot and "<B>x0</B><BR/>input>" in dot
    assert dot.count(" -> ") == 12  # one per operand: 2 + 2 + 1 + 2 + 2 + 2 + 1, none labelled
    assert "->" in dot and not re.search(r"-> n\d+ \[", dot)
    assert "dz/d" not in dot and "= " not in dot


def test_the_blank_architecture_shows_settings_not_shapes():
    dot = blank_dot(hwcheck.load_problem(PROBLEMS / "conv_shapes.yaml"))
    assert "<B>A: conv2d</B><BR/>filters 16, kernel 5, stride 1, padding 2>" in dot
    assert "params" not in dot and "[16, 32, 32]" not in dot


def _require_dot():
    if shutil.which("dot") is None:
        latex_tests.require("dot", "apt-get install graphviz")


def test_draw_blank_writes_a_picture_without_values(tmp_path):
    _require_dot()
    out = tmp_path / "blank.svg"
    run = run_cli("draw", PROBLEMS / "residual_relu.yaml", "--blank", "-o", out)
    assert run.returncode == 0, run.stderr
    svg = out.read_text(encoding="utf-8")
    assert "x0 * w0" in svg and "relu(yx)" in svg
    assert "0.62" not in svg and "0.94" not in svg and "dz/d" not in svg


# -- the command --------------------------------------------------------------------------------


def test_handout_to_a_file_draws_the_graph_beside_it(tmp_path):
    _require_dot()
    out = tmp_path / "hand out.md"
    run = run_cli("handout", PROBLEMS / "residual_relu.yaml", "--format", "markdown", "-o", out)
    assert run.returncode == 0, run.stderr
    assert "](hand-out-graph.svg)" in out.read_text(encoding="utf-8")
    assert "x0 * w0" in (tmp_path / "hand-out-graph.svg").read_text(encoding="utf-8")


def test_without_graphviz_the_handout_is_written_without_its_picture(tmp_path):
    out = tmp_path / "h.md"
    run = run_cli("handout", PROBLEMS / "residual_relu.yaml", "-o", out, env={"PATH": str(tmp_path)})
    assert run.returncode == 0, run.stderr
    assert run.stderr.startswith("warning: the handout has no picture") and "apt-get install graphviz" in run.stderr
    assert "## The graph" not in out.read_text(encoding="utf-8") and not (tmp_path / "h-graph.svg").exists()


def test_handout_on_stdout_has_no_picture():
    run = run_cli("handout", PROBLEMS / "conv_shapes.yaml", "--format", "latex")
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith(r"\documentclass") and "includegraphics" not in run.stdout


@pytest.mark.parametrize("args, message", [
    (["--format", "html"], "error: unknown --format 'html'; choose one of latex, markdown"),
    (["-o", str(PROBLEMS / "residual_relu.yaml")], "-o would overwrite the problem file"),
    (["-o", "no-such-folder/h.tex"], "folder 'no-such-folder' does not exist; create it first"),
])
def test_bad_usage_is_one_line_and_exit_2(args, message):
    run = run_cli("handout", PROBLEMS / "residual_relu.yaml", *args)
    assert run.returncode == 2 and message in run.stderr and len(run.stderr.splitlines()) == 1


def test_a_picture_that_would_overwrite_the_problem_is_refused(tmp_path):
    """-o h.md draws h-graph.svg; a problem file of that name must not be replaced."""
    problem = tmp_path / "h-graph.svg"
    problem.write_bytes((PROBLEMS / "residual_relu.yaml").read_bytes())
    run = run_cli("handout", problem, "-o", tmp_path / "h.md")
    assert run.returncode == 2 and "the picture would overwrite the problem file" in run.stderr
    assert problem.read_bytes() == (PROBLEMS / "residual_relu.yaml").read_bytes() and not (tmp_path / "h.md").exists()


# -- the LaTeX compiles ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", SHIPPED, ids=IDS)
def test_every_handout_compiles(path, tmp_path):
    _require_dot()
    run = run_cli("handout", path, "--format", "latex", "-o", tmp_path / "handout.tex")
    assert run.returncode == 0, run.stderr
    source = (tmp_path / "handout.tex").read_text(encoding="utf-8")
    if hwcheck.load_problem(path).kind == "graph":
        assert r"{handout-graph.pdf}" in source and (tmp_path / "handout-graph.pdf").exists()
    latex_tests.compile_latex(source, tmp_path)


HOSTILE = """\
id: odd_names
title: "Costs & 100% of $x_hat: {a} ~ ^ # \\\\ end"
kind: graph
inputs:
  x_hat: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]
params:
  w_1: [[0.5, -0.25], [1e-7, 2]]
steps:
  s_sum: sum(x_hat * x_hat)
  loss: s_sum * sum(w_1)
output: loss
questions:
  - {id: "Q#1 & more", ask: dloss/dx_hat, points: 2}
  - {id: Q_2, ask: "dloss/dw_1[0,1]"}
"""


def test_specials_in_names_titles_and_ids_and_wide_values_compile(tmp_path):
    """A title full of TeX specials, underscores in names and ids, a vector of 12 entries
    (wider than amsmath's default of 10 matrix columns) and an exponent, all compiled."""
    _require_dot()
    path = tmp_path / "odd.yaml"
    path.write_text(HOSTILE, encoding="utf-8")
    run = run_cli("handout", path, "--format", "latex", "-o", tmp_path / "odd.tex")
    assert run.returncode == 0, run.stderr
    source = (tmp_path / "odd.tex").read_text(encoding="utf-8")
    assert r"\setcounter{MaxMatrixCols}{12}" in source
    assert r"1 \times 10^{-7}" in source  # the given 1e-7, exactly
    latex_tests.compile_latex(source, tmp_path)
    assert leaks(source, path) == [] and leaks(run_cli("solve", path, "--format", "latex").stdout, path)
    markdown = run_cli("handout", path)
    assert "| `x_hat` | input | `[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]` |" in markdown.stdout


# -- assignments and per-student handouts ---------------------------------------------------

HW4 = CONTRACT / "hw4.yaml"
VARY = CONTRACT / "residual_relu_vary.yaml"


def test_an_assignment_handout_has_every_problem_and_compiles(tmp_path):
    _require_dot()
    out = tmp_path / "hw4.tex"
    run = run_cli("handout", HW4, "--format", "latex", "-o", out)
    assert run.returncode == 0, run.stderr
    text = out.read_text(encoding="utf-8")
    problems = [CONTRACT / name for name in yaml.safe_load(HW4.read_text(encoding="utf-8"))["problems"]]
    for path in problems:
        title = yaml.safe_load(path.read_text(encoding="utf-8"))["title"]
        assert text.count(r"\section*{") >= len(problems) and title.split(" — ")[0].split(" (")[0] in text
    # each graph problem's blank picture beside it, named by the problem's id
    assert sorted(p.name for p in tmp_path.glob("*-graph.pdf")) == ["hw4-residual-relu-graph.pdf", "hw4-softmax-ce-t4-graph.pdf"]
    latex_tests.compile_latex(text, tmp_path)


def test_an_assignment_handout_holds_no_number_of_any_key():
    run = run_cli("handout", HW4, "--format", "markdown")
    assert run.returncode == 0, run.stderr
    sections = run.stdout.split("\n## ")[1:]  # one section per problem, in the file's order
    names = yaml.safe_load(HW4.read_text(encoding="utf-8"))["problems"]
    assert len(sections) == len(names)
    for name, section in zip(names, sections):
        assert leaks(section, CONTRACT / name) == []


def _given_of_key(student: str, secret: str) -> dict:
    run = run_cli("solve", VARY, "--student", student, "--secret", secret, "--format", "json")
    assert run.returncode == 0, run.stderr
    data = json.loads(run.stdout)
    return data["variant"], {name: data["values"][name] for name in ("x0", "w0", "w1", "b0", "b1")}


def _given_of_handout(text: str) -> dict:
    rows = re.findall(r"^\| `(\w+)` \| (?:input|param) \| `([^`]+)` \|$", text, re.M)
    return {name: float(value) for name, value in rows}


def test_a_students_handout_gives_that_students_numbers_and_no_answer():
    run = run_cli("handout", VARY, "--student", "Ann Lee", "--secret", "s3")
    assert run.returncode == 0, run.stderr
    variant, given = _given_of_key("Ann Lee", "s3")
    assert _given_of_handout(run.stdout) == pytest.approx(given)
    assert f"variant {variant}" in run.stdout and "Ann Lee" in run.stdout and "s3" not in run.stdout.replace("variant", "")
    other_variant, other = _given_of_key("Bo Chen", "s3")
    assert other_variant != variant and other != given  # another student, other numbers
    # no number of that student's key: z and the gradients, worked out from the key itself
    key = json.loads(run_cli("solve", VARY, "--student", "Ann Lee", "--secret", "s3", "--format", "json").stdout)
    answers = {round(float(np.ravel(v)[0]), 4) for name, v in key["gradients"].items()} | {round(float(key["values"]["z"]), 4)}
    shown = {round(v, 4) for v in given.values()}
    for number in answers - shown:
        assert not any(r in run.stdout for r in renderings(number) if len(r) > 2), number


def test_a_students_handout_needs_the_secret_and_a_problem_that_varies(monkeypatch):
    monkeypatch.delenv("HWCHECK_SECRET", raising=False)
    missing = run_cli("handout", VARY, "--student", "Ann Lee")
    assert missing.returncode == 2 and "secret" in missing.stderr and len(missing.stderr.strip().splitlines()) == 1
    fixed = run_cli("handout", PROBLEMS / "residual_relu.yaml", "--student", "Ann Lee", "--secret", "s3")
    assert fixed.returncode == 2 and "has no vary" in fixed.stderr
