"""The one exception family for "this input is wrong".

Every refusal hwcheck makes is an :class:`InputError`. It carries one or more
:class:`Fault` s, each naming the file and the place (line and column, or a layer or
step) and saying what to write instead. The CLI prints each fault as one line on
stderr and exits with code 2; nothing else ever reaches the user as a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, NamedTuple

EXIT_INPUT_ERROR = 2


class Pos(NamedTuple):
    """A 1-based line and column in a source file (a tuple: cheap to make per YAML value)."""

    line: int
    column: int


@dataclass(frozen=True)
class Fault:
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


class FaultList:
    """Collects every fault found in a file so they can be reported together."""

    def __init__(self, file: str | None):
        self.file = file
        self.faults: list[Fault] = []

    def add(self, pos: Pos | None, message: str) -> None:
        self.faults.append(Fault(self.file, message, pos))

    def extend(self, error: InputError) -> None:
        self.faults.extend(error.faults)

    def __bool__(self) -> bool:
        return bool(self.faults)

    def raise_if_any(self) -> None:
        if self.faults:
            raise InputError(self.faults)


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """' (did you mean 'sigmoid'?)' when a close match exists, else ''."""
    import difflib  # only on the error path: keeps start-up fast

    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""
