"""The one exception family for "this input is wrong".

Every refusal hwcheck makes is an :class:`InputError`. It carries one or more
:class:`Fault` s, each naming the file and the place (line and column, or a layer or
step) and saying what to write instead. The CLI prints each fault as one line on
stderr and exits with code 2; nothing else ever reaches the user as a traceback.
"""

from __future__ import annotations

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


class InputError(Exception):
    """One or more faults in something the user gave hwcheck."""

    exit_code = EXIT_INPUT_ERROR

    def __init__(self, faults: Fault | Iterable[Fault]):
        self.faults = [faults] if isinstance(faults, Fault) else list(faults)
        super().__init__("\n".join(str(f) for f in self.faults))

    @classmethod
    def at(cls, file: str | None, pos: Pos | None, message: str) -> "InputError":
        return cls(Fault(file, message, pos))


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
    import difflib  # only on the error path: keeps start-up fast
    from itertools import islice

    close = difflib.get_close_matches(word, list(islice(choices, MAX_SUGGESTION_CHOICES)), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""
