"""A solution as a standalone LaTeX document: the answer key a teacher hands out.

The document needs only what ``texlive-latex-base`` ships (amsmath, amssymb, graphicx,
geometry) and is pure ASCII, so pdflatex compiles it anywhere. The body comes from
:mod:`.latex_graph` or :mod:`.latex_architecture`, which import this module's shell and
macros (never the other way round); :func:`hwcheck.render.render_latex` puts them
together. Nothing here computes.

Why the working is set as paragraphs of inline ``\\displaystyle`` math (``\\wline``) rather
than ``align*``: TeX breaks inline math after ``=``, ``+`` and ``\\cdot`` when a line is
full, so a chain-rule product of twenty factors wraps instead of running off the page.
"""

from __future__ import annotations

import re
from typing import Callable

from .tex import UnknownSymbol, tex_text

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
# Prose goes through tex_text (which escapes every character) and maths through the
# typesetters (which refuse a glyph they cannot set), so a match here is a bug: an error,
# never a ? in a key.
_UNSAFE = re.compile(r"[^\n\x20-\x7e\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u00ff]")


def wline(math: str) -> str:
    """One line of working (TeX math, without dollars)."""
    return r"\wline{" + math + "}"


def document(title: str, body: list[str]) -> str:
    """The whole document around ``body`` (lines of LaTeX)."""
    lines = [PREAMBLE, r"\begin{document}", r"\section*{" + tex_text(title) + "}", *body, r"\end{document}", ""]
    text = "\n".join(lines)
    unsafe = _UNSAFE.search(text)
    if unsafe:
        line = text[: unsafe.start()].count("\n") + 1
        raise UnknownSymbol(f"{unsafe.group()!r} (U+{ord(unsafe.group()):04X}) on line {line} of the LaTeX was not typeset: "
                            "typeset maths with render/typeset.py and prose with tex_text")
    return text


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
