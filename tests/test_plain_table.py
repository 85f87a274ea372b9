"""PlainTable writes what rich's Table writes, character for character, and lets rich lay
out what it cannot (rich itself is the oracle here: both are rendered and compared)."""

from __future__ import annotations

import io

import pytest
from rich.console import Console
from rich.text import Text

from hwcheck import load_problem, solve
from hwcheck.record import FrozenRecordError, Record
from hwcheck.render.graph_terminal import render_graph_terminal
from hwcheck.render.plain_table import PlainTable
from support import PROBLEMS


def _render(renderable, width: int, color: bool = False) -> str:
    out = io.StringIO()
    console = Console(file=out, width=width, soft_wrap=False, emoji=False, force_terminal=color, color_system="standard" if color else None)
    console.print(renderable)
    return out.getvalue()


def _table(rows, title="Forward pass", columns=("step", "expression", "value")) -> PlainTable:
    table = PlainTable(Text(title, style="bold"), list(columns))
    for row in rows:
        table.add_row(*row)
    return table


CASES = {
    "fits": [(Text("xw0"), Text("x0 * w0"), Text("0.3")), (Text("z"), Text("relu(yx)"), Text("-0.38"))],
    "maths symbols": [(Text("∂xw0/∂x0"), Text("[xwb0 > 0]"), "1"), ("Σ", Text("dz/dyx · ∂yx/∂y1"), Text("Jᵀ·g"))],
    "no rows": [],
    "empty cells": [("", Text("x does not depend on y"), "0")],
    "wide characters": [(Text("重み"), Text("x0 * 重み"), Text("0.3"))],
    "too wide: wraps": [(Text("s"), Text("a" * 70 + " + b"), Text("1"))],
    "markup in a str cell": [("[bold]x[/bold]", Text("x"), "1")],
    "two lines in a cell": [(Text("s"), Text("a\nb"), Text("1"))],
    "title wider than the table": [(Text("a"), Text("b"), Text("c"))],
}


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("width", [40, 80])
def test_plain_table_prints_what_rich_prints(name, width):
    title = "A title much longer than this narrow table is" if "title" in name else "Forward pass"
    table = _table(CASES[name], title)
    assert _render(table, width) == _render(table.rich_table(), width)


def test_plain_table_leaves_colour_to_rich():
    table = _table(CASES["fits"])
    coloured = _render(table, 80, color=True)
    assert "\x1b[1m" in coloured  # the bold title, from rich
    assert coloured == _render(table.rich_table(), 80, color=True)


GRAPH_PROBLEMS = [path for path in sorted(PROBLEMS.glob("*.yaml")) if load_problem(path).kind == "graph"]


def test_the_shipped_problems_include_graphs():
    assert len(GRAPH_PROBLEMS) >= 5


@pytest.mark.parametrize("path", GRAPH_PROBLEMS, ids=lambda p: p.stem)
def test_every_graph_solution_prints_as_with_rich_tables(path, monkeypatch):
    solution = solve(load_problem(path))
    plain = _render(render_graph_terminal(solution), 100)
    monkeypatch.setattr(PlainTable, "_plain_lines", lambda self, width: None)  # rich lays out every table
    assert plain == _render(render_graph_terminal(solution), 100)


class Point(Record):
    x: float
    y: float = 0.0


def test_record_behaves_like_a_frozen_dataclass():
    assert Point(1.0) == Point(x=1.0, y=0.0) == Point(1.0, 0.0)
    assert Point(1.0) != Point(1.0, 2.0)
    assert hash(Point(1.0, 2.0)) == hash(Point(1.0, 2.0))
    assert repr(Point(1.0, y=2.0)) == "Point(x=1.0, y=2.0)"
    with pytest.raises(FrozenRecordError):
        Point(1.0).x = 3.0
    with pytest.raises(TypeError, match="missing required argument: 'x'"):
        Point()
    with pytest.raises(TypeError, match="unexpected keyword argument 'z'"):
        Point(1.0, z=2.0)
    with pytest.raises(TypeError, match="multiple values"):
        Point(1.0, x=2.0)


def test_plain_table_at_every_width_around_its_own():
    table = _table(CASES["maths symbols"])
    for width in range(20, 60):  # the table is 35 columns wide: below it rich wraps, from it on both print one line a row
        assert _render(table, width) == _render(table.rich_table(), width), width
