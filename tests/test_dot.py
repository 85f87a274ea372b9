"""`hwcheck solve --format dot` and `hwcheck draw`: the pictures, as DOT text and rendered.

Rendering needs Graphviz's dot. Locally a missing dot skips those tests with the install
command; in CI (the CI environment variable set) it fails them.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

import hwcheck
from hwcheck.draw import picture_format, run_dot
from hwcheck.files import write_atomic
from hwcheck.errors import InputError
from hwcheck.render import render_dot
from hwcheck.render.dot import html, short_value
from support import PROBLEMS, run_cli

SHIPPED = sorted(PROBLEMS.glob("*.yaml"))
RESIDUAL = PROBLEMS / "residual_relu.yaml"
SVG = "{http://www.w3.org/2000/svg}"


def require_dot() -> str:
    path = shutil.which("dot")
    if path is None:
        message = "dot not found: apt-get install graphviz"
        if os.environ.get("CI"):
            pytest.fail(message + " (CI must install it)")
        pytest.skip(message)
    return path


def dot_of(path) -> str:
    return render_dot(hwcheck.solve(str(path)))


def svg_texts(dot_text: str) -> tuple[list[str], str]:
    """Render with dot; return the node titles and all the text the SVG shows."""
    svg = subprocess.run([require_dot(), "-Tsvg"], input=dot_text.encode(), capture_output=True, timeout=60, check=True).stdout
    root = ET.fromstring(svg)  # valid XML, or this raises
    titles = [g.find(f"{SVG}title").text for g in root.iter(f"{SVG}g") if g.get("class") == "node"]
    text = "\n".join("".join(t.itertext()) for t in root.iter(f"{SVG}text"))
    return titles, text


# -- the DOT text -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def residual_dot() -> str:
    return dot_of(RESIDUAL)


def test_one_node_per_leaf_and_operation_left_to_right(residual_dot):
    solution = hwcheck.solve(str(RESIDUAL))
    nodes = re.findall(r"^  (n\d+) \[", residual_dot, re.M)
    assert nodes == [f"n{i}" for i in range(len(solution.problem.graph.nodes))]
    assert "rankdir=LR" in residual_dot
    for name in ["x0", "w0", "w1", "b0", "b1", "xw0", "xwb0", "x1", "xw1", "y1", "yx", "z"]:
        assert f"<B>{name}</B>" in residual_dot


def test_nodes_show_operation_value_and_gradient(residual_dot):
    assert "label=<<B>xw0</B><BR/>x0 * w0<BR/>= 0.3<BR/>" in residual_dot
    assert ">dz/dxw0 = -0.2</FONT>" in residual_dot
    assert "<B>x0</B><BR/>input<BR/>= 1<BR/>" in residual_dot and "dz/dx0 = 0.94" in residual_dot
    assert "<B>w1</B><BR/>param<BR/>= -0.2<BR/>" in residual_dot


def test_inputs_params_and_steps_are_styled_apart(residual_dot):
    def style(name: str) -> str:
        line = next(line for line in residual_dot.splitlines() if f"<B>{name}</B>" in line)
        return line[line.index("[") : line.index("label=")]

    assert len({style("x0"), style("w0"), style("xw0")}) == 3
    assert style("w0") == style("b1")
    assert "peripheries=2" in style("z") and "peripheries=2" not in style("yx")  # the output


def test_every_edge_is_labelled_with_its_local_derivative(residual_dot):
    edges = re.findall(r"^  n(\d+) -> n(\d+) \[label=<(.*)>\];$", residual_dot, re.M)
    assert len(edges) == 12  # one per operand that is a node
    labels = {label for _, _, label in edges}
    assert "∂xw0/∂x0 = w0 = 0.3" in labels
    assert "∂xw1/∂x1 = w1 = -0.2" in labels
    assert "∂x1/∂xwb0 = [xwb0 &gt; 0] = 1" in labels  # escaped for the HTML-like label
    assert "∂yx/∂x0 = 1" in labels  # the skip connection
    assert ("0", "10") in {(a, b) for a, b, _ in edges}


def test_tensors_show_shape_and_a_short_value():
    text = dot_of(PROBLEMS / "softmax_ce.yaml")
    assert "= 3×2 [[0.2, -0.5], [0.7, 0.1], …]" in text
    assert "(element-wise)" in text
    assert short_value(np.arange(100.0)) == "[0, 1, 2, 3, … (100)]"
    assert short_value(np.ones((50, 50))) == "50×50 [[1, 1, 1, 1, …], …]"  # at most four entries
    assert short_value(np.full((32, 3), 1 / 3)) == "32×3 [[0.3333, 0.3333, 0.3333], …]"
    assert short_value(np.ones((2, 2, 3))) == "2×2×3 [[1, 1, 1, 1, …], …]"
    assert short_value(0.1 + 0.2) == "0.3"


def _batch(rows: int) -> str:
    # The same two examples repeated: every label shows the same first entries at any batch size.
    x = [[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]] * (rows // 2)
    y = [[0, 1], [1, 0]] * (rows // 2)
    return (f"id: batch\nkind: graph\ninputs:\n  X: {x}\n  Y: {y}\nparams:\n  W: [[0.1, -0.2], [0.3, 0.4], [-0.5, 0.6]]\n"
            "  b: [0.1, -0.1]\nsteps:\n  H: relu(X @ W + b)\n  P: softmax(H)\n  L: cross_entropy(P, Y)\noutput: L\n")


def _svg_width(dot_text: str) -> float:
    svg = subprocess.run([require_dot(), "-Tsvg"], input=dot_text.encode(), capture_output=True, timeout=60, check=True).stdout
    return float(ET.fromstring(svg).get("width").removesuffix("pt"))


def test_a_batch_is_drawn_as_wide_as_a_pair(tmp_path):
    # Tensors in nodes are their shape and a few entries, so the picture of a batch of 64
    # is as wide as that of a batch of 2 (it was 8,131 px wide for a real batch).
    widths = {}
    for rows in (2, 64):
        path = tmp_path / f"batch{rows}.yaml"
        path.write_text(_batch(rows))
        text = dot_of(path)
        assert f"<B>X</B><BR/>input<BR/>= {rows}×3 [[0.5, -1, 2], …]<BR/>" in text
        widths[rows] = _svg_width(text)
    assert widths[64] <= 1.05 * widths[2]  # only the shapes (64×3 for 2×3) are longer


def test_architecture_one_box_per_layer():
    text = dot_of(PROBLEMS / "conv_shapes.yaml")
    boxes = re.findall(r"^  (l\d+) \[", text, re.M)
    assert boxes == [f"l{i}" for i in range(8)]  # the input and seven layers
    assert "<B>A: conv2d</B><BR/>output [16, 32, 32]<BR/>params 16·3·5·5 + 16 = 1216" in text
    assert "<B>layer 2: relu</B><BR/>output [16, 32, 32]<BR/>params 0" in text
    assert "<B>learnable parameters</B><BR/>16×3×5×5 + 16 + 32×16×3×3 + 32 + 2048×10 + 10 = 26,346>" in text
    long_sum = dot_of(PROBLEMS / "lstm_classifier.yaml")  # seven terms: six to a line
    assert "4×64 + 4×64 + 64×2<BR/>+ 2 = 2,609,794" in long_sum


def test_everything_a_user_wrote_is_escaped(tmp_path):
    problem = tmp_path / "p.yaml"
    problem.write_text("id: esc\ntitle: 'a \"quoted\" \\\\N <b>bold</b> & more'\nkind: graph\n"
                       "inputs: {x: 1}\nsteps: {y: x * 2}\n", encoding="utf-8")
    text = dot_of(problem)
    # Graphviz expands \N (the node id) even inside HTML-like labels: backslashes are doubled.
    assert "label=<<B>a &quot;quoted&quot; \\\\\\\\N &lt;b&gt;bold&lt;/b&gt; &amp; more</B>>" in text
    assert html('<>&"\\') == "&lt;&gt;&amp;&quot;\\\\"
    _, shown = svg_texts(text)
    assert 'a "quoted" \\\\N <b>bold</b> & more' in shown


def test_large_graphs_stay_linear():
    def chain(n: int) -> str:
        lines = ["id: big", "kind: graph", "inputs: {x: 0.5}", "params: {w: 0.9}", "steps:", "  r0: x * w"]
        lines += [f"  r{i}: r{i - 1} * w + x" for i in range(1, n)]
        return "\n".join(lines + [f"  L: r{n - 1} * 1", "wrt: [w]"]) + "\n"

    for n in (500, 4000):
        path = Path(os.environ.get("TMPDIR", "/tmp")) / f"hwcheck-dot-chain-{os.getpid()}-{n}.yaml"
        path.write_text(chain(n))
        try:
            solution = hwcheck.solve(str(path))
        finally:
            path.unlink()
        text = render_dot(solution)  # its time per step is measured in bench/bench_solve.py
        assert text.count(" -> ") == 2 + 4 * (n - 1) + 1  # r_i * w, then + x: four edges a step


# -- rendered by dot --------------------------------------------------------------------------


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_every_shipped_problem_renders_to_svg_naming_its_nodes(path):
    solution = hwcheck.solve(str(path))
    titles, shown = svg_texts(render_dot(solution))
    if solution.problem.kind == "graph":
        nodes = solution.problem.graph.nodes
        assert sorted(titles) == sorted(f"n{node.index}" for node in nodes)
        for node in nodes:
            if node.role != "sub":
                assert node.name in shown
    elif solution.problem.kind == "code":  # the training's data flow: every value and function
        recipe = next(t.train for t in solution.problem.tasks if t.train)
        for line in (*recipe.forward, *recipe.backward):
            assert line.function in shown and all(name in shown for name in (*line.targets, *line.args))
    else:
        rows = list(solution.network.walk())  # the layers inside blocks too
        assert len(titles) == len(rows) + 2  # input, layers, total
        for row in rows:
            assert f"{row.name or f'layer {row.number}'}: {row.type}" in shown


@pytest.mark.parametrize("suffix, magic", [(".svg", b"<?xml"), (".png", b"\x89PNG"), (".pdf", b"%PDF")])
def test_draw_writes_each_format(tmp_path, suffix, magic):
    require_dot()
    output = tmp_path / f"graph{suffix}"
    run = run_cli("draw", RESIDUAL, "-o", output)
    assert run.returncode == 0, run.stderr
    assert output.read_bytes().startswith(magic)
    assert [p.name for p in tmp_path.iterdir()] == [output.name]  # no temporary file left behind
    assert stat.S_IMODE(output.stat().st_mode) & 0o044  # readable by others, as files usually are


def test_draw_an_architecture_replacing_an_old_picture(tmp_path):
    require_dot()
    output = tmp_path / "net.svg"
    output.write_text("old")
    run = run_cli("draw", PROBLEMS / "mlp_params.yaml", "-o", output)
    assert run.returncode == 0, run.stderr
    ET.fromstring(output.read_bytes())
    assert "557,057" in output.read_text(encoding="utf-8")


def test_draw_refuses_an_unknown_extension(tmp_path):
    run = run_cli("draw", RESIDUAL, "-o", tmp_path / "graph.jpg")
    assert run.returncode == 2
    assert run.stderr.strip() == f"error: {tmp_path / 'graph.jpg'}: cannot tell the picture format from '.jpg'; name the file .svg, .png or .pdf"
    assert not (tmp_path / "graph.jpg").exists()


def test_draw_without_dot_says_how_to_install_it(tmp_path):
    empty = tmp_path / "bin"
    empty.mkdir()
    run = run_cli("draw", RESIDUAL, "-o", tmp_path / "g.svg", env={"PATH": str(empty)})
    assert run.returncode == 2
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: dot: ")
    assert "apt-get install graphviz" in lines[0] and "brew install graphviz" in lines[0]


def test_draw_into_a_missing_folder(tmp_path):
    require_dot()
    run = run_cli("draw", RESIDUAL, "-o", tmp_path / "nowhere" / "g.svg")
    assert run.returncode == 2
    assert "does not exist" in run.stderr and "Traceback" not in run.stderr


def test_draw_needs_an_output(tmp_path):
    run = run_cli("draw", RESIDUAL)
    assert run.returncode == 2 and "--output" in run.stderr


def test_solve_format_dot_prints_the_same_picture():
    run = run_cli("solve", RESIDUAL, "--format", "dot")
    assert run.returncode == 0, run.stderr
    assert run.stdout == dot_of(RESIDUAL)


def test_picture_format_from_the_extension():
    assert picture_format(Path("a.SVG")) == "svg" and picture_format(Path("a.png")) == "png"
    with pytest.raises(InputError, match="no extension"):
        picture_format(Path("graph"))


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX shell script as a fake dot")
def test_dot_that_hangs_is_stopped(tmp_path):
    slow = tmp_path / "dot"
    slow.write_text("#!/bin/sh\nsleep 30\n")
    slow.chmod(0o755)
    with pytest.raises(InputError, match="did not finish within 0.5 s"):
        run_dot(str(slow), "digraph { a }", "svg", timeout=0.5)


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX shell script as a fake dot")
def test_dot_that_fails_is_one_line(tmp_path):
    broken = tmp_path / "dot"
    broken.write_text("#!/bin/sh\necho 'Error: syntax error in line 1' >&2\nexit 1\n")
    broken.chmod(0o755)
    with pytest.raises(InputError, match=r"failed \(exit 1\): Error: syntax error in line 1"):
        run_dot(str(broken), "digraph {", "svg")


def test_write_atomic_keeps_the_old_file_when_writing_fails(tmp_path, monkeypatch):
    target = tmp_path / "g.svg"
    target.write_bytes(b"old")

    def fail(*args):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(InputError, match="cannot write: disk full; nothing was written"):
        write_atomic(target, b"new")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["g.svg"]
