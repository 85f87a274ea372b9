"""Grading on the terminal: a table per sheet, a class summary, a progress bar, and the
screen of the interactive checker.

Everything a student wrote (answers, names, feedback quoting answers) goes into rich as
``Text(...)``, never as markup, so an answer such as ``[1024]`` is shown, not eaten as a
style tag — and through :func:`hwcheck.escape.visible` (by :func:`_text`), so an ESC
sequence, a bidi override or a newline in a sheet is shown escaped and does nothing.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import Callable, Iterator

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from ..escape import visible
from ..numbers import fmt
from ..words import plural
from ..render.long_table import LONG_TABLE_ROWS, LongTable

_STATUS = {
    "correct": ("✓ correct", "green"),
    "alternative": ("✓ correct*", "green"),
    "wrong": ("✗ wrong", "red"),
    "rounded": ("≈ rounded", "yellow"),
    "missing": ("– missing", "red"),
    "unreadable": ("? unreadable", "red"),
}


def _score(x: float) -> str:
    return fmt(round(x, 4))  # partial credit can make thirds: 0.6667, not 0.666666666667


def _text(text: str, style: str = "") -> Text:
    """Text from a file (a sheet, a problem), made visible: the one way such text is shown."""
    return Text(visible(text), style=style)


def sheet_table(sheet, show_answers: bool = False):
    """One sheet: each question's verdict, points and feedback, with the total as the title."""
    title = Text.assemble((visible(sheet.student), "bold"), f" — {_score(sheet.score)} / {_score(sheet.max_score)}  ", (visible(sheet.file), "dim"),
                          (f"  variant {sheet.variant}" if getattr(sheet, "variant", None) else "", "dim"))
    if sheet.error:
        return Group(Text.assemble(("✗ ", "red"), title), _text(f"  not graded: {sheet.error}", "red"), *_warnings(sheet))
    table = Table(title=title, title_justify="left", show_lines=False, expand=False)
    table.add_column("Question", no_wrap=True)
    table.add_column("Ask")
    table.add_column("Answer")
    if show_answers:
        table.add_column("Expected")
    table.add_column("Verdict", no_wrap=True)
    table.add_column("Points", justify="right", no_wrap=True)
    table.add_column("Feedback")
    for r in sheet.results:
        label, style = _STATUS.get(r.status, (r.status, ""))
        if not r.correct and r.earned > 0:  # wrong, with partial credit (the feedback says how)
            label, style = "◐ partly", "yellow"
        row = [_text(r.id), _text(r.ask), _text(r.answer_text or "")]
        if show_answers:
            row.append(Text(_expected_text(r.expected)))
        row += [Text(label, style=style), Text(f"{_score(r.earned)}/{_score(r.points)}"), _text(r.feedback)]
        table.add_row(*row)
    return Group(table, *_subtotals(sheet), *_warnings(sheet))


def _subtotals(sheet) -> list:
    """An assignment's per-problem subtotals, one line under the sheet's table."""
    if not sheet.parts:
        return []
    return [_text("  by problem: " + " · ".join(f"{p.problem} {_score(p.score)}/{_score(p.max_score)}" for p in sheet.parts))]


def _warnings(sheet) -> list:
    return [_text(f"  warning: {w}", "yellow") for w in sheet.warnings]


def _expected_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "[" + ", ".join(_expected_text(v) for v in value) + "]"
    return fmt(value) if isinstance(value, float) else str(value)


MAX_SHEET_TABLES = 50  # beyond this many sheets the terminal shows the summary only
MAX_SUMMARY_ROWS = 50  # ... and, when a report is written, the summary's first rows only


def summary_table(sheets) -> Table | LongTable:
    """The class at a glance: one row per sheet (a LongTable for a big class: rich's Table
    takes about a millisecond a row). Its caption is a line of its own (:func:`summary_caption`),
    printed after any line saying where the rows not shown are."""
    problems = [p.problem for p in next((s.parts for s in sheets if s.parts), [])]  # an assignment's: a subtotal column each
    columns = (("Student", "left"), ("File", "left"), *((p, "right") for p in problems), ("Score", "right"), ("Wrong", "right"),
               ("Missing", "right"), ("Note", "left"))
    if len(sheets) > LONG_TABLE_ROWS:
        table = LongTable(Text("Summary", style="bold"), [name for name, _ in columns])
    else:
        table = Table(title=Text("Summary", style="bold"), title_justify="left")
        for name, justify in columns:
            table.add_column(name, justify=justify)
    for s in sheets:
        wrong = sum(r.status in ("wrong", "rounded", "unreadable") for r in s.results)
        missing = sum(r.status == "missing" for r in s.results)
        note = _text(s.error, "red") if s.error else Text(plural(len(s.warnings), "warning") if s.warnings else "")
        parts = {p.problem: p for p in s.parts}
        subtotals = [Text(f"{_score(parts[p].score)}/{_score(parts[p].max_score)}" if p in parts else "") for p in problems]
        table.add_row(_text(s.student), _text(s.file), *subtotals, Text(f"{_score(s.score)}/{_score(s.max_score)}"), str(wrong), str(missing), note)
    return table


def summary_caption(sheets, skipped=()) -> str:
    """'30 sheets: 28 graded, 2 unreadable, 5 all correct; mean 7.2 / 11 over 28 sheets;
    2 unreadable sheets are left out of the mean' — as their totals are blank in the CSV."""
    graded = [s for s in sheets if not s.error]
    unreadable = len(sheets) - len(graded)
    parts = [f"{plural(len(sheets), 'sheet')}: {len(graded):,} graded, {unreadable:,} unreadable, {sum(s.all_correct for s in sheets):,} all correct"]
    if graded:
        mean = sum(s.score for s in graded) / len(graded)
        parts.append(f"mean {fmt(round(mean, 3))} / {_score(graded[0].max_score)} over {plural(len(graded), 'sheet')}")
    if unreadable:
        parts.append(f"{plural(unreadable, 'unreadable sheet')} {'is' if unreadable == 1 else 'are'} left out of the mean")
    if skipped:
        parts.append(f"{plural(len(skipped), 'other file')} not graded (listed above)")
    return "; ".join(parts)


MAX_SKIPPED_SHOWN = 20


def skipped_lines(skipped) -> list:
    """One line per file that is not an answer sheet (the first few of a long list)."""
    lines = [_text(f"not graded: {s.file}: {s.reason}", "yellow") for s in skipped[:MAX_SKIPPED_SHOWN]]
    if len(skipped) > MAX_SKIPPED_SHOWN:
        lines.append(Text(f"... and {len(skipped) - MAX_SKIPPED_SHOWN:,} more (every one is in --report FILE.json)", style="yellow"))
    return lines


def print_grades(sheets, show_answers: bool = False, summary_only: bool = False, width: int | None = None, skipped=(), reports=()) -> None:
    """The sheets' tables (up to MAX_SHEET_TABLES sheets) and the summary. ``reports`` are the
    report files written: with one, a big class's summary shows its first MAX_SUMMARY_ROWS rows."""
    console = Console(width=width, soft_wrap=False, highlight=False)
    if not summary_only and len(sheets) <= MAX_SHEET_TABLES:
        for sheet in sheets:
            console.print(sheet_table(sheet, show_answers))
            console.print()
    for line in skipped_lines(skipped):
        console.print(line)
    if skipped and not sheets:
        console.print(Text("no answer sheet was graded", style="red"))
    if skipped:
        console.print()
    if summary_only or len(sheets) > 1:
        # A class too big for a table per sheet, with a report on disk: thousands of summary
        # rows would only scroll by (and took a tenth of a 10,000-sheet run), so the terminal
        # shows the first rows and the caption, and the report holds every sheet.
        # The rows, the rows not shown and where they are, then the caption (the whole
        # class): each thing said once, in the order it is read.
        shown = sheets[:MAX_SUMMARY_ROWS] if reports and len(sheets) > MAX_SHEET_TABLES else sheets
        console.print(summary_table(shown))
        if len(shown) < len(sheets):
            console.print(Text(f"... and {plural(len(sheets) - len(shown), 'more sheet')} (every one, with its feedback per question, "
                               f"is in {visible(', '.join(reports))})"))
        console.print(Text(summary_caption(sheets, skipped)))
        if not summary_only and len(sheets) > MAX_SHEET_TABLES and not reports:
            console.print(Text(f"({len(sheets):,} sheets: no table per sheet; --report FILE.json or FILE.csv keeps the feedback per question)",
                               style="dim"))


@contextmanager
def progress_bar(total: int) -> Iterator[Callable]:
    """A progress bar on stderr when it is a terminal; a no-op when piped or redirected."""
    if not sys.stderr.isatty() or total < 2:
        yield lambda done, result: None
        return
    # deliberate: rich.progress (and the live display under it) loads only when a bar is shown
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    progress = Progress(TextColumn("grading"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=Console(stderr=True), transient=True)
    task = progress.add_task("grading", total=total)
    with progress:
        yield lambda done, result: progress.update(task, completed=done)


class CheckerScreen:
    """What the interactive checker shows and asks; the checker's logic never touches rich."""

    def __init__(self, console: Console | None = None):
        self.console = console or Console(highlight=False)

    def intro(self, title: str, count: int, total: float, tries: int) -> None:
        self.console.print(_text(title, "bold"))
        self.console.print(Text(f"{plural(count, 'question')}, {plural(total, 'point')}, {plural(tries, 'try', 'tries')} each."))
        self.console.print(Text("Type an answer (0.4, -3/4, 1e-6, [1, 2], [16, 32, 32]); h for a hint, s to skip, q to quit."))

    def question(self, number: int, count: int, qid: str, ask: str, points: float) -> None:
        self.console.print()
        self.console.print(Text.assemble((f"[{number}/{count}] ", "dim"), (visible(qid), "bold"), f"  {visible(ask)}  ({plural(points, 'point')})"))

    def ask(self) -> str | None:
        """A line typed by the student; None at end of input (Ctrl-D)."""
        try:
            return self.console.input("answer> ")
        except EOFError:
            return None

    def correct(self, feedback: str) -> None:
        self.console.print(_text(f"✓ {feedback}", "green"))

    def wrong(self, feedback: str, tries_left: int, close: bool = False) -> None:
        left = f" ({plural(tries_left, 'try', 'tries')} left)" if tries_left else " (no tries left)"
        mark, style = ("≈", "yellow") if close else ("✗", "red")
        self.console.print(_text(f"{mark} {feedback}{left}", style))

    def unreadable(self, message: str) -> None:
        self.console.print(_text(f"? {message} (this does not use a try)", "yellow"))

    def hint(self, text: str) -> None:
        self.console.print(Text("hint: ", style="cyan") + Text("\n").join(_text(line, "cyan") for line in text.split("\n")))

    def reveal(self, expected: str) -> None:
        self.console.print(_text(f"the answer: {expected}", "dim"))

    def score(self, score: float, total: float) -> None:
        self.console.print()
        self.console.print(Text(f"Score: {_score(score)} / {_score(total)}", style="bold"))

    def saved(self, path: str, command: str) -> None:
        self.console.print(_text(f"Saved your answers to {path}; check it again with: {command}"))
