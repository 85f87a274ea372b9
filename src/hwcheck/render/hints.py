"""Hints for the interactive checker, typeset: the formulas a question needs, never its answer.

A graph solution's hint is data (:mod:`hwcheck.graph.hint`); an architecture's or a code
problem's is already text."""

from __future__ import annotations

from ..graph.hint import GivenHint, GradientHint, StepHint
from .formulas import local_formula, local_partial  # the same notation as the key
from .typeset import unicode


def hint_text(hint) -> str:
    """Any solution's hint (``Solution.hint``) as the text a student reads."""
    if isinstance(hint, GivenHint):
        return f"{hint.name} is given in the problem ({hint.role})."
    if isinstance(hint, StepHint):
        operands = ", ".join(unicode(term) for term in hint.operands)
        return f"{hint.name} = {unicode(hint.expression)}: put in the values of {operands or 'its operands'} from the forward pass."
    if isinstance(hint, GradientHint):
        return _gradient(hint)
    return hint


def _gradient(hint: GradientHint) -> str:
    if not hint.path_count:
        return f"Does {hint.output} depend on {hint.name} at all? Follow the steps from {hint.name} forward."
    lines = [
        f"Follow every path from {hint.output} down to {hint.name}"
        + f" ({hint.path_count} path{'s' if hint.path_count != 1 else ''})"
        + "; multiply the local derivatives along each path, then add the paths.",
        "Local derivatives you will need:",
    ]
    lines += [f"  {local_partial(local)} = {local_formula(local)}" for local in hint.locals]
    return "\n".join(lines)
