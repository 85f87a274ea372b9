"""Grading many sheets: collecting the files, then grading each with one Grader.

Folders are searched recursively for ``*.yaml`` / ``*.yml`` (hidden files and folders
such as ``.git`` or ``.ipynb_checkpoints`` are skipped), each folder's files sorted by
name; files named on the command line are graded whatever their extension. A path that
does not exist becomes a sheet with an error, like any other unreadable sheet, so a typo
in one path does not throw away the rest of the class.

Every other file is accounted for: a file in a folder that is not YAML, the problem file
itself (or a link to it) and a link to a folder are returned as :class:`Skipped`, with
the reason, and listed in the terminal and the JSON report.

A big class is graded on every core the process may use: the files are cut into chunks
that worker processes grade while this one collects the results, in file order, so the
reports and the exit code are exactly those of grading one file after another.
"""

from __future__ import annotations

import os
import signal
import sys
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import Callable, Iterable, Iterator

from ..errors import InputError
from ..gcpause import paused_gc
from .grader import Grader
from .model import SheetResult, Skipped

SHEET_SUFFIXES = (".yaml", ".yml")
PROBLEM_ITSELF = "the problem file itself, not an answer sheet"


@dataclass
class Collected:
    files: list[str] = field(default_factory=list)  # the sheets to grade, in order
    skipped: list[Skipped] = field(default_factory=list)  # everything else that was found


def collect(paths: Iterable[str | Path], problem: str | Path | None = None, outputs: Iterable[tuple[str, str]] = ()) -> Collected:
    """Every sheet file under ``paths``, in order, each once, and every other file found.

    Files are told apart by their absolute path (no system call per file: a class folder
    may hold thousands). The problem file is recognised also through a symlink or a hard
    link: by the inode the folder listing gives for free, with one ``stat`` to confirm.
    ``outputs`` — (option, path) of the reports to be written — must not be sheets: a
    collision is refused here, before any grading.
    """
    problem_id = _identity(problem) if problem is not None else None
    problem_paths = {os.path.abspath(problem), os.path.realpath(problem)} if problem is not None else set()
    outputs = list(outputs)
    output_ids = {ident: (label, path) for label, path in outputs if (ident := _identity(path)) is not None}
    reports = {os.path.abspath(path) for _, path in outputs}  # this run's own reports in the folder: not listed
    inodes = {ident[1] for ident in output_ids} | ({problem_id[1]} if problem_id else set())
    result = Collected()
    seen: set[str] = set()

    def add(file: str, inode: int | None, link: bool) -> None:
        absolute = os.path.abspath(file)
        if absolute in seen:
            return
        seen.add(absolute)
        ident = None
        if link or inode is None or inode in inodes:  # rare: confirm with a stat
            ident = _identity(file)
        if ident is not None and ident in output_ids:
            label, path = output_ids[ident]
            raise InputError.at(path, None, f"{label} would overwrite the answer sheet {file}; write it to another file")
        if absolute in problem_paths or (ident is not None and ident == problem_id):
            result.skipped.append(Skipped(file, PROBLEM_ITSELF))
        else:
            result.files.append(file)

    for path in paths:
        text = str(path)
        if os.path.isdir(text):
            for file, inode, link, reason in _walk(text):
                if reason is None:
                    add(file, inode, link)
                elif (absolute := os.path.abspath(file)) not in seen and absolute not in reports:
                    seen.add(absolute)
                    result.skipped.append(Skipped(file, reason))
        else:
            add(text, None, True)  # a missing file is kept, and reported when read
    return result


def collect_sheets(paths: Iterable[str | Path], exclude: Iterable[str | Path] = ()) -> list[str]:
    """The sheet files only (``exclude``: the problem file), for scripts and benchmarks."""
    exclude = list(exclude)
    files = collect(paths, exclude[0] if exclude else None).files
    others = {os.path.abspath(p) for p in exclude[1:]}
    return [f for f in files if os.path.abspath(f) not in others]


def _identity(path: str | Path) -> tuple[int, int] | None:
    """(device, inode) of an existing file, following links; None when there is none."""
    try:
        info = os.stat(path)
    except (OSError, ValueError):
        return None
    return info.st_dev, info.st_ino


def _walk(folder: str) -> Iterable[tuple[str, int | None, bool, str | None]]:
    """(path, inode, is a link, why it is not a sheet or None) for each file under ``folder``:
    each folder's files by name, then its subfolders; iterative, so depth cannot crash it."""
    stack = [folder]
    while stack:
        root = stack.pop()
        try:
            with os.scandir(root) as listing:
                entries = sorted(listing, key=lambda e: e.name)
        except OSError as error:
            yield root, None, False, f"cannot list this folder: {error.strerror or error}"
            continue
        subfolders = []
        for entry in entries:
            if entry.name.startswith("."):
                continue  # .git, .ipynb_checkpoints, .DS_Store: not the student's work
            link = entry.is_symlink()
            if entry.is_dir(follow_symlinks=False):
                subfolders.append(entry.path)
            elif link and entry.is_dir():
                yield entry.path, None, True, "a link to a folder, not followed; give the folder itself"
            elif entry.name.lower().endswith(SHEET_SUFFIXES):
                yield entry.path, entry.inode() if not link else None, link, None
            else:
                kind = os.path.splitext(entry.name)[1] or "no extension"
                yield entry.path, None, link, f"not a YAML answer sheet ({kind}); sheets are .yaml or .yml files"
        stack.extend(reversed(subfolders))


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


def set_aside(results: list[SheetResult], skipped: list[Skipped]) -> tuple[list[SheetResult], list[Skipped]]:
    """The graded sheets, and every skipped file: those found so, then those that turned out,
    once read, not to be sheets (a copy of a problem file)."""
    sheets = [r for r in results if r.skipped is None]
    return sheets, skipped + [Skipped(r.file, r.skipped) for r in results if r.skipped is not None]


def flag_duplicate_students(sheets: list[SheetResult]) -> None:
    """Warn on every sheet whose student name another sheet also gives (ignoring case and
    spacing, as a person would): two sheets for one person, or a name copied from a friend.

    Only names written on the sheets (``student:``) count: a name taken from the file's
    name, such as ``answers`` for every ``NAME/answers.yaml``, claims no one."""
    by_name: dict[str, list[SheetResult]] = {}
    for sheet in sheets:
        if not sheet.named:
            continue
        by_name.setdefault(" ".join(sheet.student.split()).casefold(), []).append(sheet)
    for same in by_name.values():
        if len(same) > 1:
            for sheet in same:
                others = [s.file for s in same if s is not sheet]
                shown = ", ".join(others[:3]) + (f" and {len(others) - 3} more" if len(others) > 3 else "")
                sheet.warnings = [*sheet.warnings, f"student '{sheet.student}' is also the name on {shown}; check who is who"]
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


__all__ = ["collect", "collect_sheets", "default_workers", "grade_files", "set_aside", "flag_duplicate_students", "exit_code", "paused_gc"]
