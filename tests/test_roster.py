"""A roster CSV (`grade --canvas OUT --roster ROSTER`) that cannot be read is refused in one
line naming the line its faulty record starts on; a good one is read as the csv module
reads it. Lines are counted by hand in each text below."""

from __future__ import annotations

import pytest

from hwcheck.errors import InputError
from hwcheck.grade.canvas import read_roster
from support import CONTRACT, run_cli


def refusal(tmp_path, text: str) -> str:
    roster = tmp_path / "roster.csv"
    roster.write_text(text, encoding="utf-8", newline="")
    result = run_cli("grade", CONTRACT / "residual_relu.yaml", CONTRACT / "alice_residual_relu.yaml",
                     "--canvas", tmp_path / "out.csv", "--roster", roster)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    (line,) = result.stderr.splitlines()
    assert not (tmp_path / "out.csv").exists()  # nothing written
    return line.removeprefix(f"error: {roster}:")


@pytest.mark.parametrize("text, where, words", [
    # bob's quote opens on line 3 and is never closed
    ("Student,ID\nalice,1\nbob,\"2\ncarol,3\n", "3:1", "unexpected end of data"),
    # alice's name spans lines 2-3 (a closed quote), so bob's open quote is on line 4
    ("Student,ID\r\n\"al\r\nice\",1\r\nbob,\"2\r\n", "4:1", "unexpected end of data"),
    # a 200,000-character cell on line 2
    ("Student,ID\nalice," + "x" * 200_000 + "\nbob,2\n", "2:1", "field larger than field limit"),
])
def test_an_unreadable_roster_names_the_line_of_its_record(tmp_path, text, where, words):
    line = refusal(tmp_path, text)
    assert line.startswith(f"{where}: not readable as CSV (") and words in line


def test_a_column_named_twice_is_refused_naming_both(tmp_path):
    line = refusal(tmp_path, "Student,ID,Section,ID\nalice,1,A,9\n")
    assert line == "1:1: the header names the column ID 2 times (columns 2, 4); delete all but one"


def test_a_good_roster_reads_quoted_cells_and_skips_rows_without_an_id(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text('Student,ID,Section,Other,Other\r\n    Points Possible,,,,\r\n"Lovelace, Ada",7," A ",x,y\r\n"Bob\r\nB",8\r\n',
                      encoding="utf-8", newline="")
    rows = read_roster(str(roster)).rows
    assert rows == [{"Student": "Lovelace, Ada", "ID": "7", "Section": "A"}, {"Student": "Bob\r\nB", "ID": "8"}]


def test_a_roster_without_the_columns_is_refused_at_its_header(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("Name,Number\nalice,1\n", encoding="utf-8")
    with pytest.raises(InputError) as raised:
        read_roster(str(roster))
    assert raised.value.faults[0].pos == (1, 1) and "names the columns Student and one of" in raised.value.faults[0].message
