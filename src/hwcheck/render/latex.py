"""A solution as a standalone LaTeX document: the answer key a teacher hands out.

The document needs only what ``texlive-latex-base`` ships (amsmath, amssymb, graphicx,
geometry) and is pure ASCII, so pdflatex compiles it anywhere. The body comes from
:mod:`.latex_graph` or :mod:`.latex_architecture`; this module holds the shell and the
few macros both use. Nothing here computes.

Why the working is set as paragraphs of inline ``\\displaystyle`` math (``\\wline``) rather
than ``align*``: TeX breaks inline math after ``=``, ``+`` and ``\\cdot`` when a line is
full, so a chain-rule product of twenty factors wraps instead of running off the page.
"""

from __future__ import annotations

import re
from typing import Callable

from .tex import tex_text

PREAMBLE = r"""\documentclass[11pt]{article}
\usepackage[a4paper,margin=2.2cm]{geometry}
\usepackage{amsmath,amssymb}
\usepackage{graphicx}
\setlength{\parindent}{0pt}
\setlength{\parskip}{0.5\baselineskip}
% One line of working: display-size math that wraps after = + \cdot when it is too long,
% continuation lines indented; tall fractions on neighbouring lines keep apart.
\newcommand{\wline}[1]{\par{\raggedright\leftskip=1.5em\hangindent=2.5em\hangafter=1%
  \lineskiplimit=3pt\lineskip=5pt\noindent$\displaystyle #1$\par}}
% A table or other box: shrunk to the text width only when it would be wider.
\newsavebox{\fitbox}
\newcommand{\fitwidth}[1]{\sbox{\fitbox}{#1}%
  \ifdim\wd\fitbox>\linewidth\resizebox{\linewidth}{!}{\usebox{\fitbox}}\else\usebox{\fitbox}\fi}
% Math bullets: the text bullet would pull in TS1 fonts that texlive-latex-base lacks.
\renewcommand{\labelitemi}{\ensuremath{\bullet}}
\newcommand{\hwrule}{\noalign{\vskip2pt}\hline\noalign{\vskip2pt}}
"""

# Anything that slipped through unconverted would stop pdflatex ("Unicode character not
# set up for use with LaTeX"); accented Latin letters are the exception tex_text allows.
_UNSAFE = re.compile(r"[^\x00-\x7f\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u00ff]")


def wline(math: str) -> str:
    """One line of working (TeX math, without dollars)."""
    return r"\wline{" + math + "}"


def document(title: str, body: list[str]) -> str:
    """The whole document around ``body`` (lines of LaTeX)."""
    lines = [PREAMBLE, r"\begin{document}", r"\section*{" + tex_text(title) + "}", *body, r"\end{document}", ""]
    return _UNSAFE.sub("?", "\n".join(lines))


def table(spec: str, header: list[str], rows: list[list[str]], page_rows: int = 35) -> str:
    """A tabular with rules above and below the header, shrunk to fit the page if wide.

    A tabular is one unbreakable box, so long tables are cut into pieces of
    ``page_rows`` rows that each repeat the header and can fall on different pages.
    """
    pieces = [rows[i : i + page_rows] for i in range(0, len(rows), page_rows)] or [[]]
    lines = []
    for piece in pieces:
        lines += [r"\par\noindent\fitwidth{\begin{tabular}{" + spec + "}", r"\hline\noalign{\vskip2pt}", " & ".join(header) + r" \\", r"\hwrule"]
        lines += [" & ".join(row) + r" \\" for row in piece]
        lines += [r"\noalign{\vskip2pt}\hline", r"\end{tabular}}\par", ""]
    return "\n".join(lines)


def answers(solution, typeset: Callable[[object], str]) -> list[str]:
    """The key proper: each question, what it asks, the expected answer and its points."""
    questions = solution.problem.questions
    if not questions:
        return []
    rows = []
    for question in questions:
        expected = solution.expected(question.ask)
        answer = typeset(expected.value)
        if expected.alternatives:
            answer += " (also accepted: " + ", ".join(typeset(a.value) for a in expected.alternatives) + ")"
        rows.append([tex_text(question.id), r"\texttt{" + tex_text(question.ask) + "}", answer, f"{question.points:g}"])
    return [r"\subsection*{Answers}", table("lllr", ["question", "asks", "answer", "points"], rows)]


def render_latex(solution, check=None) -> str:
    """The ``--format latex`` entry point for both kinds of problem."""
    problem = solution.problem
    if problem.kind == "graph":
        from .latex_graph import graph_body

        body = graph_body(solution, check)
    elif problem.kind == "code":
        from .latex_code import code_body

        body = code_body(solution)
    else:
        from .latex_architecture import architecture_body

        body = architecture_body(solution)
    return document(problem.title or problem.id, body)
