"""Grading answer sheets against a solved problem (contract §4–§7).

The pieces, each with one job:

- :mod:`.answers` reads what a student wrote (numbers, fractions, lists, shapes);
- :mod:`.sheets` reads an answer sheet and matches its keys to the questions;
- :mod:`.judge` decides right or wrong (tolerance, exactness, kinks, rounding);
- :mod:`.diagnose` names the typical mistakes an answer matches;
- :mod:`.grader` puts them together for one sheet; :mod:`.batch` for many;
- :mod:`.report` writes JSON, CSV and Gradescope files; :mod:`.template` blank sheets;
- :mod:`.interactive` is the question-by-question checker;
- :mod:`.terminal` shows grading on the terminal (tables, summary, progress bar, the
  checker's screen): the one module here that imports rich;
- :mod:`.options` what ``hwcheck grade`` was asked to do, and writing its reports;
- :mod:`.command` is what the CLI calls.

Nothing here imports typer.
"""

from .grader import Grader
from .model import QuestionResult, SheetResult

__all__ = ["Grader", "QuestionResult", "SheetResult"]
