"""The body of an architecture problem's answer key: shapes, parameters, the total.

A summary table, then each layer's working (the output-size arithmetic and the parameter
formula, as the solver wrote them), then the total written out term by term as the seed
homework writes it: ``30 \\times 1024 + 1024 + 1024 \\times 512 + 512 + 512 \\times 1 + 1``.
Nothing here computes; the solver's Unicode arithmetic is only converted to TeX.
"""

from __future__ import annotations

from ..architecture.arith import count
from ..architecture.model import shape_text
from .latex import answers, table, wline
from .tex import tex_arith, tex_text


def _m(text: str) -> str:
    """The solver's arithmetic, inline."""
    return f"${tex_arith(text)}$"


def _summary(network) -> list[str]:
    rows = [["", tex_text("input"), "", _m(shape_text(network.input_shape)), "", ""]]
    for row in network.walk():  # a block's layers, branch by branch, then the block (the addition)
        rows.append([row.number, tex_text(row.name or ""), tex_text(row.type), _m(shape_text(row.output_shape)),
                     _m(count(row.params)), _m(row.running_total_text)])
    header = ["\\#", "layer", "type", "output shape", "parameters", "running total"]
    return [r"\subsection*{Summary}", table("rlllrr", header, rows)]


def _layer(row) -> list[str]:
    title = f"Layer {row.number}" + (f": {tex_text(row.name)}" if row.name else "") + f" ({tex_text(row.type)})"
    if row.block is not None:
        title += f", {row.branch} branch of {tex_text(row.block)}"
    shapes = tex_arith(row.shape_text)
    if not row.steps and not row.notes and not row.terms and not row.buffers and not row.non_trainable:
        return [rf"\paragraph{{{title}}} ${shapes}$, no parameters."]
    lines = [rf"\paragraph{{{title}}} ${shapes}$", ""]
    for step in row.steps:
        note = rf"\quad\text{{({tex_text(step.note)})}}" if step.note else ""
        lines.append(wline(rf"\text{{{tex_text(step.label)}: }} {tex_arith(step.expr)}{note}"))
    for note in row.notes:
        lines.append(r"{\leftskip=1.5em\emph{" + tex_text(note) + r"}\par}")
    lines.append(wline(rf"\text{{parameters: }} {tex_arith(row.params_text)}"))
    if row.non_trainable:
        formula, _, words = row.non_trainable_text.partition(" (")
        lines.append(wline(rf"\text{{non-trainable: }} {tex_arith(formula)}\quad\text{{({tex_text(words)}}}"))
    if row.buffers:
        formula, _, words = row.buffers_text.partition(" (")
        lines.append(wline(rf"\text{{buffers (not parameters): }} {tex_arith(formula)}\quad\text{{({tex_text(words)}}}"))
    return lines


def _totals(network) -> list[str]:
    return [
        r"\subsection*{Learnable parameters}",
        "Every layer's weights and biases, term by term:",
        wline(tex_arith(network.formula_text)),
        f"Counts: {tex_text(network.counts_text)}.",
        "",
        f"Parameter memory (float32): {tex_text(network.memory_text)}.",
        "",
        f"Mult-adds (as torchinfo counts them, batch of 1): {_m(network.mult_adds_total_text)}.",
    ]


def _answer(value) -> str:
    if isinstance(value, (list, tuple)):
        return _m(shape_text(value))
    return _m(count(int(value)))


def architecture_body(solution) -> list[str]:
    problem = solution.problem
    network = solution.network
    lines = [rf"Problem \texttt{{{tex_text(problem.id)}}}: output shapes and learnable parameters.", ""]
    if solution.mistake:
        lines += [rf"\emph{{Worked with the mistake \texttt{{{tex_text(solution.mistake)}}} made on purpose.}}", ""]
    lines += [f"Input: {_m(shape_text(network.input_shape))} ({tex_text(network.layout_text)}). {tex_text(network.convention_note)}.", ""]
    lines += _summary(network)
    lines += [r"\subsection*{Layer by layer}"]
    for row in network.walk():
        lines += _layer(row)
    lines += _totals(network)
    lines += answers(solution, _answer)
    return lines
