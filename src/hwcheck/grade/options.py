"""What ``hwcheck grade`` was asked to do, and writing the reports it asked for.

Shared by grading sheets (:mod:`.command`) and grading code (:mod:`hwcheck.code.command`),
so that neither command module imports the other's.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .report import write_gradescope, write_report


@dataclass
class GradeOptions:
    problem: str
    sheets: list[str] = field(default_factory=list)
    reports: list[str] = field(default_factory=list)
    gradescope: str | None = None
    show_answers: bool = False
    summary: bool = False
    width: int | None = None
    # the interactive checker
    tries: int = 3
    save: str | None = None
    student: str | None = None
    # code problems
    jobs: int | None = None
    sandbox: str = "auto"
    timeout: float = 10.0
    # per-student variants (§11): the course secret, from --secret or HWCHECK_SECRET
    secret: str | None = None
    # gradebooks
    canvas: str | None = None
    roster: str | None = None

    def outputs(self) -> list[tuple[str, str]]:
        """(option, path) of every file this run writes: none may be one it reads."""
        named = [("--report", r) for r in self.reports]
        named += [(option, path) for option, path in (("--gradescope", self.gradescope), ("--save", self.save), ("--canvas", self.canvas)) if path]
        return named


def write_reports(options: GradeOptions, problem, sheets, skipped) -> None:
    """Every --report and the --gradescope file asked for (sheets or code submissions alike)."""
    for report in options.reports:
        write_report(report, problem, sheets, skipped)
    if options.gradescope:
        write_gradescope(options.gradescope, problem, sheets[0] if sheets else None, skipped)
    if options.canvas:
        from .canvas import write_canvas  # deliberate: only a Canvas gradebook needs it

        write_canvas(options.canvas, problem, sheets, options.roster)
