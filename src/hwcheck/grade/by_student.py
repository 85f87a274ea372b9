"""Grading a problem with per-student variants (contract §11): each sheet against the
variant of the student named on it.

A :class:`VariantGrader` stands where a :class:`~hwcheck.grade.grader.Grader` does (it has
``grade_file``, ``problem`` and ``max_score``): it reads the sheet, finds its student's
variant, and grades with that variant's own Grader, built once per variant in a run.
"""

from __future__ import annotations

from ..errors import InputError
from ..variants import SECRET_VARIABLE, Variants, course_secret, normalise_name, varies
from .grader import Grader
from .model import SheetResult
from .sheets import read_sheet

UNNAMED = ("this problem gives each student their own numbers, and the sheet names no student: "
           "write 'student: YOUR NAME' at the top, spelt as on your handout")


def variants_for(problem, secret_option: str | None) -> Variants | None:
    """The problem's Variants under the course secret, or None when it has no ``vary``."""
    if not varies(problem):
        return None
    secret = course_secret(secret_option)
    if secret is None:
        raise InputError.at(problem.file, None, f"gives each student their own numbers (vary:), so grading needs the course secret: "
                                                f"set {SECRET_VARIABLE} or give --secret")
    return Variants(problem, secret)


class VariantGrader:
    def __init__(self, variants: Variants, show_answers: bool = False):
        self.variants = variants
        self.problem = variants.problem
        self.show_answers = show_answers
        self.max_score = sum(q.points for q in self.problem.questions)
        self._graders: dict[str, Grader] = {}  # normalised name → its variant's Grader

    def grader_for(self, student: str) -> Grader:
        """The Grader of ``student``'s variant; InputError when none can be drawn."""
        name = normalise_name(student)
        grader = self._graders.get(name)
        if grader is None:
            grader = self._graders[name] = Grader(self.variants.solution_for(student), show_answers=self.show_answers)
        return grader

    def grade_file(self, path: str) -> SheetResult:
        sheet = read_sheet(path)
        if sheet.error or sheet.skipped or not sheet.named:
            result = SheetResult(sheet.file, sheet.student, self.max_score, error=sheet.error or (None if sheet.skipped else UNNAMED),
                                 skipped=sheet.skipped, named=sheet.named)
            result.warnings = sheet.warnings
            return result
        try:
            grader = self.grader_for(sheet.student)
        except InputError as error:  # no variant for this name: this sheet's problem, the rest are graded
            result = SheetResult(sheet.file, sheet.student, self.max_score, error=error.faults[0].message, named=True)
            result.warnings = sheet.warnings
            return result
        result = grader.grade(sheet)
        result.variant = grader.problem.variant
        return result

    def grade(self, sheet) -> SheetResult:
        """A sheet already read (an assignment's part of one): graded against its student's variant."""
        if not sheet.named:
            return SheetResult(sheet.file, sheet.student, self.max_score, error=UNNAMED)
        try:
            grader = self.grader_for(sheet.student)
        except InputError as error:
            return SheetResult(sheet.file, sheet.student, self.max_score, error=error.faults[0].message, named=True)
        result = grader.grade(sheet)
        result.variant = grader.problem.variant
        return result
