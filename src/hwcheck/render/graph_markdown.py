"""A graph solution as GitHub-renderable Markdown, math in ``$…$``."""

from __future__ import annotations

import numpy as np

from ..numbers import fmt_value
from ..graph import terms as T
from ..graph.solve import SCALAR
from .formulas import MAX_TERMS, path_count_text, shape_text, unshown_note
from .tex import tex_factor, tex_name, tex_value
from .typeset import kink_rule, kink_where, tex, tex_jacobian_note, tex_local


def tex_partial(top: T.Term, bottom: T.Term, d: str = "∂") -> str:
    """∂top/∂bottom as a fraction, expressions parenthesised (the terms say where): ∂(H·H)/∂H."""
    return tex(T.Partial(top, bottom, d))


def _m(tex: str) -> str:
    return f"${tex}$"


def _local_tex(local) -> str:
    if local.kind == "vjp" and not local.vjp:
        return r"\text{(" + unshown_note(local) + ")}"
    if local.kind == "vjp" or local.value is None:
        return "vector–Jacobian product"
    text = tex_value(local.value)
    if local.kind == "jacobian" and local.vjp:
        return text + tex_jacobian_note(local)
    return text + (r"\ \text{(element-wise)}" if local.kind == "diagonal" and np.ndim(local.value) > 0 else "")


def render_graph_markdown(solution, check=None) -> str:
    problem = solution.problem
    out = problem.output
    variant = f" (variant `{problem.variant}`)" if getattr(problem, "variant", None) else ""  # a student's own numbers (§11)
    lines = [f"# {' '.join((problem.title or problem.id).split())}", "", f"Problem `{problem.id}`{variant}: a computation graph; gradients of `{out}`.", ""]

    lines += ["## Given", "", "| name | kind | value | shape |", "| --- | --- | --- | --- |"]
    for row in solution.rows:
        if row.expression is None:
            lines.append(f"| {_m(tex_name(row.name))} | {row.role} | {_m(tex_value(row.value))} | {shape_text(row.value)} |")

    lines += ["", "## Forward pass", "", "| step | expression | with numbers | value |", "| --- | --- | --- | --- |"]
    for row in solution.rows:
        if row.expression is not None:
            lines.append(f"| {_m(tex(row.term))} | {_m(tex(row.expression))} | {_m(tex(row.substituted))} | {_m(tex_value(row.value))} |")

    lines += ["", "## Local derivatives", "", "| derivative | formula | value |", "| --- | --- | --- |"]
    for row in solution.rows:
        for d in row.locals:
            lines.append(f"| {_m(tex_partial(d.node_term, d.operand_term))} | {_m(tex_local(d))} | {_m(_local_tex(d))} |")

    lines += ["", f"## Backward pass: $\\frac{{d {tex_name(out)}}}{{d\\,\\cdot}}$ summed over each node's consumers", ""]
    lines += ["| node | chain rule | value |", "| --- | --- | --- |"]
    top = solution.row(out).differential
    for row in solution.backward:
        if not row.contributions:
            lines.append(f"| {_m(tex(solution.row(row.name).term))} | {_m(tex_partial(top, top, 'd'))} | {_m(tex_value(row.gradient))} |")
            continue
        terms = _sum_tex(row.contributions, top)
        lines.append(f"| {_m(tex(solution.row(row.name).term))} | {_m(terms)} | {_m(tex_value(row.gradient))} |")

    lines += ["", "## Gradients, path by path", ""]
    for d in solution.gradients:
        lines += _derivation(d)

    for s in solution.softmax:
        shortcut = "p - y" if s.sums_to_one else r"p \textstyle\sum_j y_j - y"
        lines += [
            f"## Softmax + cross-entropy: ${tex_partial(solution.row(s.loss).differential, solution.row(s.logits).differential, 'd')}$ two ways (T4)",
            "",
            f"With $p = {tex(s.probabilities_term)} = {tex_value(s.p)}$ and $y = {tex_value(s.y)}$:",
            "",
            rf"- full chain: $J^\top \frac{{dL}}{{dp}}$ with $J = \operatorname{{diag}}(p) - p p^\top$ and $\frac{{dL}}{{dp}} = -y / p$: ${tex_value(s.through_jacobian)}$",
            rf"- shortcut: ${shortcut} = {tex_value(s.shortcut)}$",
            "- " + ("they agree." if s.agree else "the full chain is not finite here (p underflowed); the shortcut is exact."),
            "",
        ]

    lines += ["## Kinks", ""]
    if solution.kinks:
        for kink in solution.kinks:
            lines.append(f"- `{kink.node}` at `{kink_where(kink)}`: {kink_rule(kink)}")
    else:
        lines.append("None: every derivative used is defined at these values.")
    lines.append("")

    if check is not None:
        lines += ["## Finite-difference check (central, float64)", "", "| name | backprop | finite difference | relative error | note |", "| --- | --- | --- | --- | --- |"]
        for f in check:
            lines.append(f"| {_m(tex_name(f.name))} | {fmt_value(f.backprop, 8)} | {fmt_value(f.numeric, 8)} | {f.relative_error:.1e} | {'ok' if f.ok else 'MISMATCH'}{'; ' + f.note if f.note else ''} |")
        lines.append("")
    return "\n".join(lines)


def _derivation(d) -> list[str]:
    head = tex_partial(d.output_term, d.name_term, "d")
    lines = [f"### {_m(head)} ({path_count_text(d.path_count)})", ""]
    if d.path_count == 0:
        return lines + [f"`{d.output}` does not depend on `{d.name}`: the gradient is 0.", ""]
    if d.paths:
        for i, path in enumerate(d.paths, 1):
            symbols = r" \cdot ".join(tex_partial(f.node_term, f.operand_term) for f in path.factors)
            numbers = r" \cdot ".join(tex_factor(f.value) for f in path.factors) if path.product == SCALAR else None
            label = f"path {i}: " if len(d.paths) > 1 else ""
            body = symbols + (f" = {numbers}" if numbers else "") + f" = {tex_value(path.value)}"
            lines += [f"{label}$${body}$$", ""]
        if len(d.paths) > 1:
            total = " + ".join(tex_factor(p.value) for p in d.paths)
            lines += [f"$${head} = {total} = {tex_value(d.value)}$$", ""]
        return lines
    terms = _sum_tex(d.contributions, d.output_term)
    lines += [f"Too many paths to list; the backward pass accumulates their sum:", "", f"$${head} = {terms} = {tex_value(d.value)}$$", ""]
    return lines


def _sum_tex(contributions, output: T.Term) -> str:
    """Σ_c d(out)/dc · ∂c/∂node, written out unless there are very many consumers."""
    if len(contributions) > MAX_TERMS:
        operand = contributions[0].local.operand_term
        operand = operand.body if isinstance(operand, T.Paren) else operand  # as named, not after ∂
        return rf"\sum_{{c}} \frac{{d {tex(output)}}}{{d c}} \frac{{\partial c}}{{\partial {tex(operand)}}}\ \text{{(over {len(contributions):,} consumers)}}"
    return " + ".join(rf"{tex_partial(output, c.local.node_term, 'd')} {tex_partial(c.local.node_term, c.local.operand_term)}" for c in contributions)
