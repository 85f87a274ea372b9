"""An architecture solution as GitHub-flavoured Markdown, the working in ``$…$``.

The solver's working is typed terms; the TeX printer (:mod:`hwcheck.render.typeset`)
sets them for GitHub's math, and words beside them (batch norm's statistics, notes)
stay prose. Nothing here computes. Names a user typed are escaped so that Markdown reads
them as plain text.
"""

from __future__ import annotations

import re

from ..graph.terms import ShapeList, Tally
from .typeset import UNICODE, formula_body, tex, unicode

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$])")


def math(term) -> str:
    """A term as inline maths: ``$\\lfloor (32 + 2 \\cdot 2)/1\\rfloor = 32$``."""
    return f"${tex(term)}$"


def escape(text: str) -> str:
    """User text as literal Markdown (names, titles); table pipes are escaped too."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def _prose(text: str) -> str:
    """A note from the solver: prose with a little arithmetic, kept out of math mode."""
    return text.replace("|", r"\|")


def _shape_cell(row) -> str:
    lines = [math(row.shapes)]
    for step in row.steps:
        line = f"{_prose(step.label)}: {math(step.working)}"
        if step.note:
            line += f" ({_prose(step.note)})"
        lines.append(line)
    lines += [f"*{_prose(note)}*" for note in row.notes]
    return "<br>".join(lines)


def _type_cell(row) -> str:
    if row.block is None:
        return escape(row.type)
    return f"{escape(row.type)}<br>*{row.branch} of {escape(row.block)}*"


def _with_words(term) -> str:
    """A formula in maths, its words beside it in prose: ``$64 + 64 = 128$ (running mean, variance)``."""
    body, words = formula_body(term)
    return math(body) + (f" ({_prose(UNICODE.words(words))})" if words else "")


def _params_cell(row) -> str:
    lines = [math(row.params_formula)]
    if row.non_trainable:
        lines.append(f"non-trainable: {_with_words(row.non_trainable_formula)}")
    if row.buffers:
        lines.append(f"buffers: {_with_words(row.buffers_formula)}")
    return "<br>".join(lines)


def render_architecture_markdown(solution) -> str:
    """The worked solution: a heading, the layer table, the convention and the totals."""
    problem = solution.problem
    network = solution.network
    out = [f"## {escape(problem.title or problem.id)}", ""]
    if solution.mistake:
        out += [f"> Worked with the mistake `{solution.mistake}` made on purpose.", ""]
    out += [
        f"Input: {math(ShapeList(network.input_shape))} ({network.layout_text}). {_prose(network.convention_note)}.",
        "",
        "| # | layer | type | input → output shape | parameters | mult-adds | running total |",
        "| ---: | --- | --- | --- | --- | ---: | ---: |",
    ]
    for row in network.walk():  # a block's layers, branch by branch, then the block (the addition)
        cells = [row.number, escape(row.name or ""), _type_cell(row), _shape_cell(row), _params_cell(row),
                 math(row.mult_adds_formula), math(Tally(row.running_total))]
        out.append("| " + " | ".join(cells) + " |")
    out += [
        "",
        f"**Learnable parameters:** {math(network.formula_total)}",
        "",
        f"**Counts:** {unicode(network.counts)}",  # sentences with numbers: prose, as the terminal writes them
        "",
        f"**Parameter memory (float32):** {_prose(unicode(network.memory))}",
        "",
        f"**Mult-adds** (as torchinfo counts them, batch of 1): {math(Tally(network.mult_adds))}",
        "",
    ]
    return "\n".join(out)
