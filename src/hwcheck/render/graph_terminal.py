"""A graph solution in the terminal: rich tables for the forward pass, the local
derivatives, the backward pass and the chain-rule paths. Everything a user wrote (names,
expressions) goes in as ``Text`` so rich never reads ``w[i]`` as markup."""

from __future__ import annotations

import numpy as np
from rich.console import Group
from rich.text import Text

from ..numbers import fmt_value
from .long_table import LONG_TABLE_ROWS, LongTable
from .plain_table import PlainTable
from .formulas import MAX_TERMS, jacobian_note, local_formula, local_partial, unshown_note, shape_text, path_count_text, path_labels, path_numbers, sum_terms, value_text
from .typeset import kink_rule, kink_where, unicode


def _table(title: str, *columns: str, rows: int = 0) -> PlainTable | LongTable:
    """A table as rich lays it out (see plain_table.py), or for thousands of rows a
    LongTable (rich's is too slow there)."""
    if rows > LONG_TABLE_ROWS:
        return LongTable(Text(title, style="bold"), list(columns))
    return PlainTable(Text(title, style="bold"), list(columns))


def _local_value(local) -> str:
    if local.kind == "vjp":
        return "(vector–Jacobian product)" if local.vjp else f"({unshown_note(local)})"
    if local.kind == "diagonal" and np.ndim(local.value) > 0:
        return f"{fmt_value(local.value)} (element-wise)"
    if local.kind == "jacobian" and local.vjp:
        return f"{fmt_value(local.value)} ({jacobian_note(local)})"
    return fmt_value(local.value)


def render_graph_terminal(solution, check=None):
    problem = solution.problem
    tensors = any(np.ndim(row.value) > 0 for row in solution.rows)
    parts = []
    heading = Text(problem.title or problem.id, style="bold underline")
    if getattr(problem, "variant", None):  # a student's own numbers (§11)
        heading.append(f"  (variant {problem.variant})", style="dim")
    parts.append(heading)

    given = _table("Given", "name", "kind", "value", *(["shape"] if tensors else []), rows=len(solution.rows))
    for row in solution.rows:
        if row.expression is None:
            given.add_row(Text(row.name), row.role, Text(fmt_value(row.value)), *([shape_text(row.value)] if tensors else []))
    parts.append(given)

    forward = _table("Forward pass", "step", "expression", "with numbers", "value", *(["shape"] if tensors else []), rows=len(solution.rows))
    for row in solution.rows:
        if row.expression is not None:
            forward.add_row(Text(unicode(row.term)), Text(unicode(row.expression)), Text(unicode(row.substituted)), Text(fmt_value(row.value)), *([shape_text(row.value)] if tensors else []))
    parts.append(forward)

    local = _table("Local derivatives", "derivative", "formula", "value", rows=len(solution.rows))
    for row in solution.rows:
        for d in row.locals:
            local.add_row(Text(local_partial(d)), Text(local_formula(d)), Text(_local_value(d)))
    parts.append(local)

    output = problem.output
    back = _table(f"Backward pass: d{output}/d(node), summed over each node's consumers", "node", "chain rule", "with numbers", "gradient", rows=len(solution.backward))
    for row in solution.backward:
        if not row.contributions:
            back.add_row(Text(row.name), Text(f"d{output}/d{output}"), "", Text(fmt_value(row.gradient)))
            continue
        symbols, numbers = sum_terms(row.contributions, solution.row(output).differential, row.product)
        if numbers is None:
            numbers = " + ".join(value_text(c.value) for c in row.contributions) if len(row.contributions) <= MAX_TERMS else "(summed)"
        back.add_row(Text(row.name), Text(symbols), Text(numbers), Text(fmt_value(row.gradient)))
    parts.append(back)

    for derivation in solution.gradients:
        parts.append(_derivation(derivation))

    for shortcut in solution.softmax:
        parts.append(_softmax(shortcut))

    if solution.kinks:
        kinks = _table("Kinks (a subgradient was chosen)", "node", "where", "rule")
        for kink in solution.kinks:
            kinks.add_row(Text(kink.node), Text(kink_where(kink)), Text(kink_rule(kink)))
        parts.append(kinks)
    else:
        parts.append(Text("No kinks: every derivative used is defined at these values.", style="dim"))

    if check is not None:
        parts.append(_check(check))
    return Group(*parts)


def _derivation(d):
    title = f"d{d.output}/d{d.name} = {fmt_value(d.value)}   ({path_count_text(d.path_count)} from {d.output} to {d.name})"
    table = _table(title, "path", "chain rule", "with numbers", "contribution")
    if d.path_count == 0:
        table.add_row("", Text(f"{d.output} does not depend on {d.name}"), "", "0")
    elif d.paths:
        for i, path in enumerate(d.paths, 1):
            numbers = path_numbers(path) or "(tensor factors: see the backward pass)"
            table.add_row(str(i), Text(" · ".join(path_labels(path))), Text(numbers), Text(fmt_value(path.value)))
        if len(d.paths) > 1:
            table.add_row("Σ", Text("sum of the paths"), Text(" + ".join(value_text(p.value) for p in d.paths)), Text(fmt_value(d.value)))
    else:
        symbols, numbers = sum_terms(d.contributions, d.output_term, d.product)
        table.add_row(
            "Σ",
            Text(f"too many paths to list; the backward pass accumulates them: {symbols}"),
            Text(numbers or (" + ".join(value_text(c.value) for c in d.contributions) if len(d.contributions) <= MAX_TERMS else "(summed)")),
            Text(fmt_value(d.value)),
        )
    return table


def _softmax(s):
    table = _table(f"Softmax + cross-entropy: d{s.loss}/d{s.logits} two ways (T4)", "route", "formula", "value")
    table.add_row("full chain", Text(f"J{'ᵀ'}·d{s.loss}/d{s.probabilities},  J = diag(p) - p·pᵀ,  d{s.loss}/dp = -y/p"), Text(fmt_value(s.through_jacobian)))
    table.add_row("shortcut", Text("p - y" if s.sums_to_one else "p·Σy - y (Σ over each row's classes)"), Text(fmt_value(s.shortcut)))
    verdict = "they agree" if s.agree else "the full chain is not finite here (p underflowed); the shortcut is exact"
    table.add_row("", Text(verdict, style="green" if s.agree else "yellow"), "")
    return table


def _check(findings):
    table = _table("Finite-difference check (central, float64)", "name", "backprop", "finite difference", "relative error", "note")
    for f in findings:
        table.add_row(Text(f.name), Text(fmt_value(f.backprop, 8)), Text(fmt_value(f.numeric, 8)), f"{f.relative_error:.1e}", Text(("ok" if f.ok else "MISMATCH") + (f"; {f.note}" if f.note else ""), style="green" if f.ok and not f.note else "yellow"))
    return table
