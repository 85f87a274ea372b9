"""An architecture solution as GitHub-flavoured Markdown, arithmetic in ``$…$``.

The solver writes its arithmetic in Unicode (⌊ ⌋ · × −); here those symbols become TeX
so that GitHub's math renders them. Nothing here computes. Names a user typed are
escaped so that Markdown reads them as plain text.
"""

from __future__ import annotations

import re

from ..architecture.model import shape_text

_TEX = {
    "⌊": r"\lfloor ", "⌋": r"\rfloor ", "⌈": r"\lceil ", "⌉": r"\rceil ",
    "·": r" \cdot ", "×": r" \times ", "−": "-", "→": r" \to ", "≥": r" \ge ", "≤": r" \le ", "…": r"\dots ",
}
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3})")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$])")


def math(text: str) -> str:
    """``⌊(32 + 2·2)/1⌋ = 32`` → ``$\\lfloor (32 + 2 \\cdot 2)/1\\rfloor  = 32$``."""
    tex = _THOUSANDS.sub("{,}", text)  # 557{,}057: no space after the separator in TeX
    for symbol, command in _TEX.items():
        tex = tex.replace(symbol, command)
    return f"${re.sub(' +', ' ', tex).strip()}$"


def escape(text: str) -> str:
    """User text as literal Markdown (names, titles); table pipes are escaped too."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def _prose(text: str) -> str:
    """A note from the solver: prose with a little arithmetic, kept out of math mode."""
    return text.replace("|", r"\|")


def _shape_cell(row) -> str:
    lines = [math(f"{shape_text(row.input_shape)} → {shape_text(row.output_shape)}")]
    for step in row.steps:
        line = f"{_prose(step.label)}: {math(step.expr)}"
        if step.note:
            line += f" ({_prose(step.note)})"
        lines.append(line)
    lines += [f"*{_prose(note)}*" for note in row.notes]
    return "<br>".join(lines)


def _type_cell(row) -> str:
    if row.block is None:
        return escape(row.type)
    return f"{escape(row.type)}<br>*{row.branch} of {escape(row.block)}*"


def _params_cell(row) -> str:
    lines = [math(row.params_text)]
    if row.non_trainable:
        formula, _, words = row.non_trainable_text.partition(" (")
        lines.append(f"non-trainable: {math(formula)} ({words}")
    if row.buffers:
        formula, _, words = row.buffers_text.partition(" (")
        lines.append(f"buffers: {math(formula)} ({words}")
    return "<br>".join(lines)


def render_architecture_markdown(solution) -> str:
    """The worked solution: a heading, the layer table, the convention and the totals."""
    problem = solution.problem
    network = solution.network
    out = [f"## {escape(problem.title or problem.id)}", ""]
    if solution.mistake:
        out += [f"> Worked with the mistake `{solution.mistake}` made on purpose.", ""]
    out += [
        f"Input: {math(shape_text(network.input_shape))} ({network.layout_text}). {_prose(network.convention_note)}.",
        "",
        "| # | layer | type | input → output shape | parameters | mult-adds | running total |",
        "| ---: | --- | --- | --- | --- | ---: | ---: |",
    ]
    for row in network.walk():  # a block's layers, branch by branch, then the block (the addition)
        cells = [row.number, escape(row.name or ""), _type_cell(row), _shape_cell(row), _params_cell(row),
                 math(row.mult_adds_text), math(row.running_total_text)]
        out.append("| " + " | ".join(cells) + " |")
    out += [
        "",
        f"**Learnable parameters:** {math(network.formula_text)}",
        "",
        f"**Counts:** {network.counts_text}",
        "",
        f"**Parameter memory (float32):** {_prose(network.memory_text)}",
        "",
        f"**Mult-adds** (as torchinfo counts them, batch of 1): {math(network.mult_adds_total_text)}",
        "",
    ]
    return "\n".join(out)
