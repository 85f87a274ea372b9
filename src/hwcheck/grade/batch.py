"""Grading many sheets: collecting the files, then grading each with one Grader.

Folders are searched recursively for ``*.yaml`` / ``*.yml`` (hidden files and folders
such as ``.git`` or ``.ipynb_checkpoints`` are skipped), each folder's files sorted by
name; files named on the command line are graded whatever their extension. A path that
does not exist becomes a sheet with an error, like any other unreadable sheet, so a typo
in one path does not throw away the rest of the class.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, Iterable

from ..gcpause import paused_gc
from .grader import Grader
from .model import SheetResult

SHEET_SUFFIXES = (".yaml", ".yml")


def collect_sheets(paths: Iterable[str | Path], exclude: Iterable[str | Path] = ()) -> list[str]:
    """Every sheet file under ``paths``, in order, each once; ``exclude`` (the problem file) left out.

    Files are told apart by their absolute path (no system call per file: a class folder
    may hold thousands); the excluded files also by their real path, symlinks resolved.
    """
    skip = set()
    for path in exclude:
        skip.add(os.path.abspath(path))
        skip.add(os.path.realpath(path))
    found: list[str] = []
    seen: set[str] = set()

    def add(file: str) -> None:
        identity = os.path.abspath(file)
        if identity not in seen and identity not in skip:
            seen.add(identity)
            found.append(file)

    for path in paths:
        text = str(path)
        if os.path.isdir(text):
            for file in _walk(text):
                add(file)
        else:
            add(text)  # a missing file is kept, and reported when read
    return found


def _walk(folder: str) -> Iterable[str]:
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.lower().endswith(SHEET_SUFFIXES) and not name.startswith("."):
                yield os.path.join(root, name)


def grade_files(
    grader: Grader,
    files: list[str],
    on_progress: Callable[[int, SheetResult], None] | None = None,
) -> list[SheetResult]:
    """Grade each file; ``on_progress(done, result)`` after each one (for a progress bar)."""
    results: list[SheetResult] = []
    with paused_gc():
        for done, file in enumerate(files, 1):
            result = grader.grade_file(file)
            results.append(result)
            if on_progress is not None:
                on_progress(done, result)
    return results


def exit_code(results: list[SheetResult]) -> int:
    """Contract §7: 0 when every answer on every sheet is correct, else 1."""
    return 0 if results and all(r.all_correct for r in results) else 1


__all__ = ["collect_sheets", "grade_files", "exit_code", "paused_gc"]
