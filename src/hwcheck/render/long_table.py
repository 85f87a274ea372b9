"""A table for thousands of rows: one line per row, columns padded, printed at once.

rich's Table measures and wraps every cell, which is right for a homework-sized problem
and far too slow for a 30,000-step chain (about a millisecond per row). Past
``LONG_TABLE_ROWS`` rows the terminal renderer uses this instead: the same columns, no
wrapping, linear time.
"""

from __future__ import annotations

from rich.console import Console, ConsoleOptions, RenderResult
from rich.segment import Segment
from rich.text import Text

LONG_TABLE_ROWS = 300
MAX_COLUMN_WIDTH = 60


class LongTable:
    def __init__(self, title: Text | str, columns: list[str]):
        self.title = title
        self.columns = list(columns)
        self.rows: list[list[str]] = []

    def add_row(self, *cells) -> None:
        self.rows.append([cell.plain if isinstance(cell, Text) else str(cell) for cell in cells])

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        widths = [len(c) for c in self.columns]
        for row in self.rows:
            for i, cell in enumerate(row):
                widths[i] = max(widths[i], min(len(cell), MAX_COLUMN_WIDTH))
        title = self.title if isinstance(self.title, Text) else Text(self.title, style="bold")
        yield title

        def line(cells):
            return "   ".join(cell.ljust(width) for cell, width in zip(cells, widths)).rstrip()

        header = line(self.columns)
        yield Text(header, style="bold", no_wrap=True, overflow="ignore")
        yield Text("─" * min(len(header), options.max_width), no_wrap=True)
        # Plain segments: rich passes them through without measuring or wrapping.
        for row in self.rows:
            yield Segment(line(row) + "\n")
