"""An architecture solution in the terminal: one table row per layer with the working
(shape arithmetic, parameter formula, mult-adds, running total), a caption naming the
convention, then the total written out. The working is typeset by the Unicode printer
(:mod:`hwcheck.render.typeset`); names a user typed go in as ``Text`` so rich never reads
``[...]`` as markup."""

from __future__ import annotations

from rich import box
from rich.console import Group
from rich.table import Table
from rich.text import Text

from ..graph.terms import ShapeList, Tally
from .typeset import unicode


def _shape_cell(row) -> Text:
    cell = Text(unicode(row.shapes))
    for step in row.steps:
        cell.append(f"\n{step.label}: ", style="dim")
        cell.append(unicode(step.working))
        if step.note:
            cell.append(f"\n  {step.note}", style="dim italic")
    for note in row.notes:
        cell.append(f"\n{note}", style="dim italic")
    return cell


def _type_cell(row) -> Text:
    cell = Text(row.type)
    if row.block is not None:
        cell.append(f"\n{row.branch} of {row.block}", style="dim")
    return cell


def _params_cell(row) -> Text:
    cell = Text(unicode(row.params_formula))
    if row.non_trainable:
        cell.append(f"\nnon-trainable: {unicode(row.non_trainable_formula)}", style="dim")
    if row.buffers:
        cell.append(f"\nbuffers: {unicode(row.buffers_formula)}", style="dim")
    return cell


def render_architecture_terminal(solution):
    """The worked solution as a rich renderable (a Group of a table and the totals)."""
    problem = solution.problem
    network = solution.network
    parts = [Text(problem.title or problem.id, style="bold underline")]
    if solution.mistake:
        parts.append(Text(f"worked with the mistake '{solution.mistake}' made on purpose", style="bold red"))
    table = Table(box=box.SIMPLE_HEAD, show_lines=True, caption=Text(network.convention_note), caption_justify="left")
    for column, justify in (("#", "right"), ("layer", "left"), ("type", "left"), ("input → output shape", "left"),
                            ("parameters", "left"), ("mult-adds", "right"), ("running total", "right")):
        table.add_column(column, justify=justify, overflow="fold")
    table.add_row("", Text("input", style="dim"), "", Text(unicode(ShapeList(network.input_shape))), "", "", "")
    for row in network.walk():  # a block's layers, branch by branch, then the block (the addition)
        table.add_row(row.number, Text(row.name or "", style="bold"), _type_cell(row), _shape_cell(row),
                      _params_cell(row), Text(unicode(row.mult_adds_formula)), Text(unicode(Tally(row.running_total))))
    parts.append(table)
    totals = [
        ("Learnable parameters: ", network.formula_total),
        ("Counts: ", network.counts),
        ("Parameter memory (float32): ", network.memory),
        ("Mult-adds (as torchinfo counts them, batch of 1): ", Tally(network.mult_adds)),
    ]
    for label, term in totals:
        line = Text(label, style="bold")
        line.append(unicode(term))
        parts.append(line)
    return Group(*parts)
