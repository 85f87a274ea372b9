"""The solution's tables, laid out without rich's Table when nothing needs its help.

rich's Table measures and wraps every cell through several layers of renderables: for a
homework-sized graph (a hundred rows) that was a tenth of ``hwcheck solve``'s start-up
(issue 8 §6). A ``PlainTable`` holds the same title, columns and cells. When every cell is
one line of printable text, the table fits the console's width and the console writes no
colours (output to a pipe or a file), it writes the lines rich would, character for
character: each column as wide as its widest cell, cells padded on the right, columns
three spaces apart (one of padding, the space of ``box.SIMPLE_HEAD``, one of padding),
``─`` under the header, the title left-justified across the table. Otherwise it hands the
same content to a rich ``Table`` (wrapping long cells, colour on a terminal). The tests
compare both ways on every shipped problem.
"""

from __future__ import annotations

from rich import box
from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderResult
from rich.segment import Segment
from rich.table import Table
from rich.text import Text

GAP = "   "


class PlainTable:
    def __init__(self, title: Text, columns: list[str]):
        self.title = title
        self.columns = list(columns)
        self.rows: list[tuple] = []

    def add_row(self, *cells) -> None:
        self.rows.append(cells)

    def rich_table(self) -> Table:
        table = Table(title=self.title, title_justify="left", box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
        for column in self.columns:
            table.add_column(column, overflow="fold")
        for row in self.rows:
            table.add_row(*row)
        return table

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        lines = None if console.color_system is not None else self._plain_lines(options.max_width)
        if lines is None:
            yield self.rich_table()
            return
        title, header, body = lines
        yield Segment(title, console.get_style(self.title.style))
        yield Segment("\n")
        yield Segment(header + "\n")
        yield Segment("─" * cell_len(header) + "\n")
        yield Segment("".join(line + "\n" for line in body))

    def _plain_lines(self, max_width: int) -> tuple[str, str, list[str]] | None:
        """The title, header and body lines rich would print, or None where rich must lay out."""
        texts = [self.columns, *([_plain(cell) for cell in row] for row in self.rows)]
        widths = [0] * len(self.columns)
        for cells in texts:
            if len(cells) != len(widths):
                return None
            for i, cell in enumerate(cells):
                if cell is None:
                    return None
                widths[i] = max(widths[i], cell_len(cell))
        total = sum(widths) + len(GAP) * (len(widths) - 1)
        title = _plain(self.title)
        if total > max_width or title is None or cell_len(title) > total:
            return None

        def line(cells: list[str]) -> str:
            return GAP.join(cell + " " * (width - cell_len(cell)) for cell, width in zip(cells, widths))

        return title + " " * (total - cell_len(title)), line(self.columns), [line(cells) for cells in texts[1:]]


def _plain(cell) -> str | None:
    """A cell's text if it is one line of printable characters without markup, else None."""
    if isinstance(cell, Text):
        text = cell.plain
    elif isinstance(cell, str) and "[" not in cell:  # a str cell is rich markup
        text = cell
    else:
        return None
    if text != text.strip() or not text.isprintable():
        return None
    return text
