"""Grading many sheets: collecting the files, then grading each with one Grader.

Folders are searched recursively for ``*.yaml`` / ``*.yml`` (hidden files and folders
such as ``.git`` or ``.ipynb_checkpoints`` are skipped), each folder's files sorted by
name; files named on the command line are graded whatever their extension. A path that
does not exist becomes a sheet with an error, like any other unreadable sheet, so a typo
in one path does not throw away the rest of the class.

A big class is graded on every core the process may use: the files are cut into chunks
that worker processes grade while this one collects the results, in file order, so the
reports and the exit code are exactly those of grading one file after another.
"""

from __future__ import annotations

import os
import signal
import sys
from contextlib import contextmanager
from itertools import chain
from pathlib import Path
from typing import Callable, Iterable, Iterator

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
    workers: int | None = None,
) -> list[SheetResult]:
    """Grade each file, in order; ``on_progress(done, result)`` after each one (for a progress bar).

    ``workers``: how many processes grade; by default :func:`default_workers`.
    """
    if workers is None:
        workers = default_workers(len(files))
    results: list[SheetResult] = []
    with paused_gc(), _graded(grader, files, workers) as graded:
        for done, result in enumerate(graded, 1):
            results.append(result)
            if on_progress is not None:
                on_progress(done, result)
    return results


# Forking a worker costs a few milliseconds and every result is sent back pickled, which
# pays off only for a class of some size; chunks are big enough to keep that traffic low
# and small enough that the workers finish together and the progress bar moves.
PARALLEL_MIN_SHEETS = 1000
CHUNK_SHEETS = 250
MAX_WORKERS = 8


def default_workers(sheets: int) -> int:
    """One process per usable core for a class of ``PARALLEL_MIN_SHEETS`` or more on Linux; else 1.

    Linux only: elsewhere worker processes are spawned afresh, importing and solving all
    over again, or (macOS) forking is unsafe with some system libraries.
    """
    if sheets < PARALLEL_MIN_SHEETS or sys.platform != "linux":
        return 1
    return max(1, min(len(os.sched_getaffinity(0)), MAX_WORKERS, -(-sheets // CHUNK_SHEETS)))


_grader: Grader | None = None  # the run's Grader, inherited by the forked workers


@contextmanager
def _graded(grader: Grader, files: list[str], workers: int) -> Iterator[Iterable[SheetResult]]:
    """Each file's result, in file order: graded here, or by ``workers`` forked processes.

    Forked workers start with the problem loaded and solved (the Grader is inherited, never
    sent): only file names go out, and results come back in chunks, in order. A worker
    never writes to stdout or stderr (its errors travel back to this process, Ctrl-C is
    ignored, the pool ends it with SIGTERM), so a stream lock that the progress bar's
    thread held at the fork (CPython issue 84579) cannot block it.
    """
    if workers <= 1:
        yield map(grader.grade_file, files)
        return
    import multiprocessing  # deliberate: only a big class pays for importing it

    global _grader
    _grader = grader
    try:
        with multiprocessing.get_context("fork").Pool(workers, initializer=_ignore_interrupts) as pool:
            chunks = [files[i : i + CHUNK_SHEETS] for i in range(0, len(files), CHUNK_SHEETS)]
            yield chain.from_iterable(pool.imap(_grade_chunk, chunks))
    finally:
        _grader = None


def _ignore_interrupts() -> None:
    # Ctrl-C reaches the whole process group: this process stops the pool and exits (130);
    # the workers must not each print a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _grade_chunk(files: list[str]) -> list[SheetResult]:
    with paused_gc():
        return [_grader.grade_file(file) for file in files]


def exit_code(results: list[SheetResult]) -> int:
    """Contract §7: 0 when every answer on every sheet is correct, else 1."""
    return 0 if results and all(r.all_correct for r in results) else 1


__all__ = ["collect_sheets", "default_workers", "grade_files", "exit_code", "paused_gc"]
