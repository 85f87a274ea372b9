"""The body of an architecture problem's answer key: shapes, parameters, the total.

A summary table, then each layer's working (the output-size arithmetic and the parameter
formula, as the solver worked them out), then the total written out term by term as the
seed homework writes it: ``30 \\times 1024 + 1024 + 1024 \\times 512 + 512 + 512 \\times 1 + 1``.
Nothing here computes; the solver's terms are typeset by the TeX printer
(:mod:`hwcheck.render.typeset`), the sentences with numbers (counts, memory) as prose.
"""

from __future__ import annotations

from ..graph.terms import ShapeList, Tally
from .latex import answers, table, wline
from .tex import tex_text
from .typeset import UNICODE, formula_body, tex, unicode


def _m(term) -> str:
    """A term, inline."""
    return f"${tex(term)}$"


def _words(term) -> tuple[str, str]:
    """A formula as TeX, and the words beside it (batch norm's statistics) as text."""
    body, words = formula_body(term)
    return tex(body), tex_text(UNICODE.words(words))


def _summary(network) -> list[str]:
    rows = [["", tex_text("input"), "", _m(ShapeList(network.input_shape)), "", ""]]
    for row in network.walk():  # a block's layers, branch by branch, then the block (the addition)
        rows.append([row.number, tex_text(row.name or ""), tex_text(row.type), _m(ShapeList(row.output_shape)),
                     _m(Tally(row.params)), _m(Tally(row.running_total))])
    header = ["\\#", "layer", "type", "output shape", "parameters", "running total"]
    return [r"\subsection*{Summary}", table("rlllrr", header, rows)]


def _layer(row) -> list[str]:
    title = f"Layer {row.number}" + (f": {tex_text(row.name)}" if row.name else "") + f" ({tex_text(row.type)})"
    if row.block is not None:
        title += f", {row.branch} branch of {tex_text(row.block)}"
    shapes = tex(row.shapes)
    if not row.steps and not row.notes and not row.terms and not row.buffers and not row.non_trainable:
        return [rf"\paragraph{{{title}}} ${shapes}$, no parameters."]
    lines = [rf"\paragraph{{{title}}} ${shapes}$", ""]
    for step in row.steps:
        note = rf"\quad\text{{({tex_text(step.note)})}}" if step.note else ""
        lines.append(wline(rf"\text{{{tex_text(step.label)}: }} {tex(step.working)}{note}"))
    for note in row.notes:
        lines.append(r"{\leftskip=1.5em\emph{" + tex_text(note) + r"}\par}")
    lines.append(wline(rf"\text{{parameters: }} {tex(row.params_formula)}"))
    if row.non_trainable:
        formula, words = _words(row.non_trainable_formula)
        lines.append(wline(rf"\text{{non-trainable: }} {formula}\quad\text{{({words})}}"))
    if row.buffers:
        formula, words = _words(row.buffers_formula)
        lines.append(wline(rf"\text{{buffers (not parameters): }} {formula}\quad\text{{({words})}}"))
    return lines


def _totals(network) -> list[str]:
    return [
        r"\subsection*{Learnable parameters}",
        "Every layer's weights and biases, term by term:",
        wline(tex(network.formula_total)),
        # sentences with numbers, set as prose (as the Markdown key sets them)
        f"Counts: {tex_text(unicode(network.counts))}.",
        "",
        f"Parameter memory (float32): {tex_text(unicode(network.memory))}.",
        "",
        f"Mult-adds (as torchinfo counts them, batch of 1): {_m(Tally(network.mult_adds))}.",
    ]


def _answer(value) -> str:
    if isinstance(value, (list, tuple)):
        return _m(ShapeList(tuple(value)))
    return _m(Tally(int(value)))


def architecture_body(solution) -> list[str]:
    problem = solution.problem
    network = solution.network
    lines = [rf"Problem \texttt{{{tex_text(problem.id)}}}: output shapes and learnable parameters.", ""]
    if solution.mistake:
        lines += [rf"\emph{{Worked with the mistake \texttt{{{tex_text(solution.mistake)}}} made on purpose.}}", ""]
    lines += [f"Input: {_m(ShapeList(network.input_shape))} ({tex_text(network.layout_text)}). {tex_text(network.convention_note)}.", ""]
    lines += _summary(network)
    lines += [r"\subsection*{Layer by layer}"]
    for row in network.walk():
        lines += _layer(row)
    lines += _totals(network)
    lines += answers(solution, _answer)
    return lines
