"""The terminal table and the Markdown page of an architecture solution."""

from __future__ import annotations

import re
from pathlib import Path

from rich.console import Console

from hwcheck.architecture import solve_architecture
from hwcheck.problem import load_problem
from hwcheck.render.architecture_markdown import render_architecture_markdown
from hwcheck.render.architecture_terminal import render_architecture_terminal

PROBLEMS = Path(__file__).resolve().parent.parent / "problems"


def solved(name: str, mistake: str | None = None):
    return solve_architecture(load_problem(PROBLEMS / f"{name}.yaml"), mistake)


def terminal_text(solution, width: int = 240) -> str:
    console = Console(record=True, width=width, color_system=None)
    console.print(render_architecture_terminal(solution))
    return console.export_text()


def write(tmp_path, text: str):
    path = tmp_path / "net.yaml"
    path.write_text(text, encoding="utf-8")
    return solve_architecture(load_problem(path))


# -- terminal -------------------------------------------------------------------------

def test_terminal_shows_the_working():
    text = terminal_text(solved("conv_shapes"))
    assert "[3, 32, 32] → [16, 32, 32]" in text
    assert "H, W: ⌊(32 + 2·2 − 1·(5 − 1) − 1)/1⌋ + 1 = 32" in text
    assert "16·3·5·5 + 16 = 1216" in text
    assert "1216·32·32 = 1,245,184" in text  # mult-adds
    assert "features: 32·8·8 = 2048" in text
    assert "stride = kernel = 2 (the default)" in text
    assert "26,346" in text  # the running total at the last row
    assert "PyTorch convention:" in text  # the caption
    assert "Learnable parameters: 16×3×5×5 + 16 + 32×16×3×3 + 32 + 2048×10 + 10 = 26,346" in text
    assert "Parameter memory (float32): 26,346 × 4 B = 105,384 B ≈ 105.38 kB" in text


def test_terminal_seed_total_written_out():
    text = terminal_text(solved("mlp_params"))
    assert "30×1024 + 1024 + 1024×512 + 512 + 512×1 + 1 = 557,057" in text
    assert "trainable 557,057 · non-trainable 0 · total 557,057" in text
    for column in ("layer", "type", "input → output shape", "parameters", "mult-adds", "running total"):
        assert column in text


def test_terminal_buffers_and_non_trainable(tmp_path):
    pytorch = terminal_text(solved("vgg_block"))
    assert "buffers: 64 + 64 = 128 (running mean, variance)" in pytorch
    keras = terminal_text(write(tmp_path, "id: t\nkind: architecture\nconvention: keras\ninput: [4, 4, 8]\n"
                                          "layers: [{type: batchnorm}]\n"))
    assert "non-trainable: 8 + 8 = 16 (moving mean, variance)" in keras
    assert "Keras convention:" in keras


def test_terminal_ceil_mode_border(tmp_path):
    text = terminal_text(write(tmp_path, "id: t\nkind: architecture\ninput: [1, 5, 5]\n"
                                         "layers: [{type: maxpool2d, kernel: 2, padding: 1, ceil_mode: true}]\n"))
    assert "H (ceil_mode): (4 − 1)·2 = 6 ≥ 5 + 1, so 4 − 1 = 3" in text
    assert "the last window would start in the right padding" in text


def test_user_text_is_not_read_as_markup(tmp_path):
    solution = write(tmp_path, "id: t\ntitle: 'Net [bold]v2[/bold] [red]'\nkind: architecture\ninput: [4]\n"
                               "layers: [{name: w_1, type: dense, units: 2}]\n")
    text = terminal_text(solution)
    assert "Net [bold]v2[/bold] [red]" in text
    assert "w_1" in text


def test_terminal_names_a_mistake_made_on_purpose():
    assert "worked with the mistake 'forgot-bias' made on purpose" in terminal_text(solved("mlp_params", "forgot-bias"))


def test_terminal_fits_a_narrow_console():
    text = terminal_text(solved("lstm_classifier"), width=80)
    assert "2,609,794" in text


# -- Markdown -------------------------------------------------------------------------

def test_markdown_table_and_math():
    md = render_architecture_markdown(solved("conv_shapes"))
    assert md.startswith("## Convolutional network — output sizes and parameter count\n")
    assert "| # | layer | type | input → output shape | parameters | mult-adds | running total |" in md
    assert r"H, W: $\lfloor (32 + 2 \cdot 2 - 1 \cdot (5 - 1) - 1)/1\rfloor + 1 = 32$" in md
    assert r"$16 \cdot 3 \cdot 5 \cdot 5 + 16 = 1216$" in md
    assert r"$[3, 32, 32] \to [16, 32, 32]$" in md
    assert "PyTorch convention:" in md


def test_markdown_seed_total():
    md = render_architecture_markdown(solved("mlp_params"))
    assert (r"**Learnable parameters:** $30 \times 1024 + 1024 + 1024 \times 512 + 512 + 512 \times 1 + 1 = 557{,}057$"
            in md)
    assert "**Parameter memory (float32):** 557,057 × 4 B = 2,228,228 B ≈ 2.23 MB" in md


def test_markdown_rows_keep_their_columns(tmp_path):
    solution = write(tmp_path, "id: t\ntitle: 'a | b'\nkind: architecture\ninput: [1, 5, 5]\nlayers:\n"
                               "  - {name: conv_1, type: conv2d, filters: 2, kernel: 2, padding: same}\n"
                               "  - {type: maxpool2d, kernel: 2, padding: 1, ceil_mode: true}\n"
                               "  - {type: batchnorm}\n")
    md = render_architecture_markdown(solution)
    assert md.startswith(r"## a \| b")
    assert r"| conv\_1 |" in md
    rows = [line for line in md.splitlines() if line.startswith("| ")]
    for line in rows:  # 7 columns: 8 pipes that are not escaped
        assert len(re.findall(r"(?<!\\)\|", line)) == 8, line
    assert r"buffers: $2 + 2 = 4$ (running mean, variance)" in md


def test_markdown_math_has_no_unicode_operators():
    md = render_architecture_markdown(solved("vgg_block"))
    for maths in re.findall(r"\$[^$]+\$", md):
        assert not set(maths) & set("⌊⌋⌈⌉·×−→"), maths
