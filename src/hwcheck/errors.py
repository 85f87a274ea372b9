"""The one exception family for "this input is wrong", click-style.

Every refusal hwcheck makes is a :class:`HwcheckError`: it carries the file, the place
(line and column) when known, the message saying what to write instead, and its exit
code, and knows how to show itself (:attr:`HwcheckError.faults`, one line each). The
CLI catches the family by type, prints each fault as one line on stderr and exits with
the error's code (2); nothing else ever reaches the user as a traceback.

The subclasses are the few kinds that callers catch to say more: an
:class:`InputError` gathers several faults of one file; an :class:`UnknownAsk` is an
`ask` no solver can answer; the rest live beside the code that raises them (a fault in
an expression, a number, a layer...) and are raised without a file, to be placed by the
loader that knows where the text came from (:meth:`HwcheckError.placed`).
"""

from __future__ import annotations

from itertools import islice
from typing import Iterable, NamedTuple

from .record import Record

EXIT_INPUT_ERROR = 2


class Pos(NamedTuple):
    """A 1-based line and column in a source file (a tuple: cheap to make per YAML value)."""

    line: int
    column: int


class Fault(Record):
    file: str | None
    message: str
    pos: Pos | None = None

    def __str__(self) -> str:
        if self.file is None:
            return self.message
        where = self.file
        if self.pos is not None:
            where += f":{self.pos.line}:{self.pos.column}"
        return f"{where}: {self.message}"


class HwcheckError(Exception):
    """Something the user gave hwcheck is wrong: ``message`` says what and what to do
    instead, ``file`` and ``pos`` (1-based line and column) say where when known. Shown
    as one line per fault. (Some subclasses keep a ``column`` of their own: 0-based, in
    the text of an expression or formula, before a loader places it in the file.)"""

    exit_code = EXIT_INPUT_ERROR

    def __init__(self, message: str, file: str | None = None, pos: Pos | None = None):
        self.message, self.file, self.pos = message, file, pos
        self.faults: list[Fault] = [Fault(file, message, pos)]
        super().__init__(message)

    def __str__(self) -> str:
        return "\n".join(str(f) for f in self.faults)

    def placed(self, file: str | None, pos: Pos | None, prefix: str = "") -> "InputError":
        """This fault, raised without a place, put where the loader found its text."""
        return InputError(Fault(file, prefix + self.message, pos))


class InputError(HwcheckError):
    """One or more faults in one thing the user gave hwcheck (a file's every fault at once)."""

    def __init__(self, faults: Fault | Iterable[Fault]):
        faults = [faults] if isinstance(faults, Fault) else list(faults)
        first = faults[0] if faults else Fault(None, "invalid input")
        super().__init__(first.message, first.file, first.pos)
        self.faults = faults

    @classmethod
    def at(cls, file: str | None, pos: Pos | None, message: str) -> "InputError":
        """One fault at a place in a file, e.g. ``InputError.at(path, pos, "...")``."""
        return cls(Fault(file, message, pos))


class UnknownAsk(HwcheckError):
    """An `ask` that is not a question about this problem; the message says which asks are."""


MAX_FAULTS = 100  # per file: beyond this a teacher fixes what is shown and runs again
MAX_SUGGESTION_CHOICES = 1_000  # "did you mean" looks at this many names, so each call is bounded


class FaultList:
    """Collects every fault found in a file so they can be reported together.

    At most MAX_FAULTS are kept (and one line says how many more there were): a file with
    100,000 unknown names gets a readable answer, in time linear in its size, since the
    callers skip the "did you mean" search once the list is :attr:`full`.
    """

    def __init__(self, file: str | None):
        self.file = file
        self.faults: list[Fault] = []
        self.dropped = 0

    @property
    def full(self) -> bool:
        return len(self.faults) >= MAX_FAULTS

    def add(self, pos: Pos | None, message: str) -> None:
        if self.full:
            self.dropped += 1
        else:
            self.faults.append(Fault(self.file, message, pos))

    def extend(self, error: InputError) -> None:
        for fault in error.faults:
            if self.full:
                self.dropped += 1
            else:
                self.faults.append(fault)

    def suggest(self, word: str, choices: Iterable[str]) -> str:
        """:func:`did_you_mean`, or '' once the list is full (the fault will not be shown)."""
        return "" if self.full else did_you_mean(word, choices)

    def __bool__(self) -> bool:
        return bool(self.faults)

    def raise_if_any(self) -> None:
        if self.faults:
            more = [Fault(self.file, f"... and {self.dropped:,} more faults not shown; fix these first")] if self.dropped else []
            raise InputError(self.faults + more)


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """' (did you mean 'sigmoid'?)' when a close match exists, else ''."""
    import difflib  # deliberate: only on the error path (start-up time)

    close = difflib.get_close_matches(word, list(islice(choices, MAX_SUGGESTION_CHOICES)), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""
