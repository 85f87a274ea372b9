"""A gradebook Canvas imports (``hwcheck grade ... --canvas FILE.csv``).

Canvas's gradebook export, and so its import, has the columns ``Student, ID, SIS User ID,
SIS Login ID, Section`` and then one column per assignment named ``Title (id)``; a row
``Points Possible`` under the header gives each assignment's maximum. Canvas matches each
row to a student by ``ID`` (its own user id), ``SIS User ID`` or ``SIS Login ID``, so a row
needs one of them: taken from the sheet (``sis_id:`` and ``login:`` keys) or from a
``--roster`` CSV (a Canvas export itself will do) matched by those ids or by the name.

A submission that could not be graded gets a blank cell: Canvas leaves a blank alone
rather than posting a zero over it.
"""

from __future__ import annotations

import csv
import io

from ..errors import InputError, Pos
from ..files import write_atomic
from ..yamldoc import read_text
from .report import number, text_cell

CANVAS_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
ROSTER_IDS = ("ID", "SIS User ID", "SIS Login ID")


def _name_key(name: str) -> str:
    return " ".join(name.split()).casefold()


class Roster:
    """The students of a course: rows with Student and at least one of ROSTER_IDS."""

    def __init__(self, rows: list[dict[str, str]]):
        self.rows = rows
        self.by_login = {r["SIS Login ID"].casefold(): r for r in rows if r.get("SIS Login ID")}
        self.by_sis = {r["SIS User ID"]: r for r in rows if r.get("SIS User ID")}
        self.by_name: dict[str, list[dict[str, str]]] = {}
        for row in rows:
            self.by_name.setdefault(_name_key(row.get("Student", "")), []).append(row)

    def find(self, student: str, sis_id: str | None, login: str | None) -> dict[str, str] | None:
        """The roster row of a student: by login, SIS id, then by name when one row has it."""
        if login and login.casefold() in self.by_login:
            return self.by_login[login.casefold()]
        if sis_id and sis_id in self.by_sis:
            return self.by_sis[sis_id]
        same = self.by_name.get(_name_key(student), [])
        return same[0] if len(same) == 1 else None


def read_roster(path: str) -> Roster:
    """A roster CSV with a header row naming Student and one of ID, SIS User ID, SIS Login ID.
    Canvas's export has a 'Points Possible' row (and, in some versions, a muted row) under
    the header: rows without an id are skipped. Read by the csv module in strict mode, so a
    quote left open is an error; a fault names the line its record starts on."""
    text = read_text(path, "roster", ".csv")
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""), strict=True)
    start = 1  # the line the record being read starts on (a quoted cell may span lines)
    rows = []
    try:
        header = [h.strip() for h in next(reader, [])]
        if "Student" not in header or not any(h in header for h in ROSTER_IDS):
            raise InputError.at(path, Pos(1, 1), f"a roster is a CSV whose first row names the columns Student and one of {', '.join(ROSTER_IDS)} "
                                                 f"(a Canvas gradebook export will do); this one has {', '.join(header[:8]) or 'no columns'}")
        for name in CANVAS_COLUMNS:
            where = [i + 1 for i, h in enumerate(header) if h == name]
            if len(where) > 1:
                raise InputError.at(path, Pos(1, 1), f"the header names the column {name} {len(where)} times (columns {', '.join(map(str, where))}); "
                                                     "delete all but one")
        start = reader.line_num + 1
        for cells in reader:
            row = dict(zip(header, cells))
            clean = {k: v.strip() for k, v in row.items() if k in CANVAS_COLUMNS}
            if clean.get("Student") and any(clean.get(i) for i in ROSTER_IDS):
                rows.append(clean)
            start = reader.line_num + 1
    except csv.Error as error:
        raise InputError.at(path, Pos(start, 1), f"not readable as CSV ({error}); save it as CSV (comma-separated, "
                                                 "each quoted cell closed, no cell over 131,072 characters)") from None
    return Roster(rows)


def canvas_csv(target, sheets, roster: Roster | None = None) -> str:
    """One row per graded submission, in Canvas's gradebook layout; ``target`` is the problem or assignment."""
    column = f"{target.title or target.id} ({target.id})"
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([text_cell(c) for c in (*CANVAS_COLUMNS, column)])
    maximum = sum(q.points for q in target.questions)
    writer.writerow(["    Points Possible", "", "", "", "", number(maximum)])
    for sheet in sheets:
        row = roster.find(sheet.student, sheet.sis_id, sheet.login) if roster else None
        row = row or {}
        cells = [row.get("Student") or sheet.student, row.get("ID", ""), sheet.sis_id or row.get("SIS User ID", ""),
                 sheet.login or row.get("SIS Login ID", ""), row.get("Section", "")]
        writer.writerow([*(text_cell(c) for c in cells), "" if sheet.error else number(sheet.score)])
    return out.getvalue()


def write_canvas(path: str, target, sheets, roster_path: str | None = None) -> None:
    roster = read_roster(roster_path) if roster_path else None
    write_atomic(path, canvas_csv(target, sheets, roster), encoding="utf-8-sig", newline="")
