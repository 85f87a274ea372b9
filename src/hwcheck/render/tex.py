"""TeX for names, numbers and prose, shared by the Markdown and LaTeX outputs.

Names with trailing digits become subscripts (``w0`` → ``w_{0}``, ``xwb0`` → ``xwb_{0}``);
numbers, vectors and matrices are set as TeX; prose is escaped for text mode. The maths of
a derivation, graphs' and architectures' alike, is typeset from its terms by
:mod:`.typeset`, never re-read from text here. Nothing here computes.

Maths and prose differ on a glyph with no TeX: in maths (what the solver writes) it is
:class:`UnknownSymbol`, a bug to fix here, never a ``?`` in a key; in prose (titles,
ids, notes a user wrote) it is shown as ``?``, since a user may write any character.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np

from ..numbers import fmt

# Letters in words joined by single underscores, then digits. Unambiguous on purpose: the
# former ``[A-Za-z]+(?:_?[A-Za-z]+)*`` could split a run of letters in 2ⁿ ways, and a
# 25-letter name without digits took minutes to refuse. Each character here has one reading.
_NAME_BASE = re.compile(r"[A-Za-z]+(?:_[A-Za-z]+)*")
_UNICODE = {
    "·": r" \cdot ",
    "²": "^{2}",
    "ᵀ": r"^{\top}",
    "≤": r" \le ",
    "≥": r" \ge ",
    "≠": r" \ne ",
    "½": r"\tfrac{1}{2}",
    "∂": r"\partial ",
    "…": r"\dots",
    "−": "-",
    "×": r" \times ",
    "⌊": r"\lfloor ",
    "⌋": r"\rfloor ",
    "⌈": r"\lceil ",
    "⌉": r"\rceil ",
    "Σ": r"\sum ",
    "→": r" \to ",
    "↦": r" \mapsto ",
    "±": r" \pm ",
    "≈": r" \approx ",
    "≪": r" \ll ",
    "⊙": r" \odot ",
    "⟨": r"\langle ",
    "⟩": r"\rangle ",
    "–": "-",
    "—": "-",
    "₀": "_{0}",
    "₁": "_{1}",
    "₂": "_{2}",
    "ᵢ": "_{i}",
    "ⁿ": "^{n}",
    "γ": r"\gamma ",
    "β": r"\beta ",
    "δ": r"\delta ",
    "σ": r"\sigma ",
}


class UnknownSymbol(LookupError):
    """Internal, not a HwcheckError: the solver wrote a glyph the maths typesetter has no TeX
    for. A bug in hwcheck (add the glyph to _UNICODE), never something a user wrote: user
    text is prose, and prose is escaped. Reported by the CLI as an internal error."""


def _math_glyph(char: str) -> str:
    """A character of the solver's maths as TeX: ASCII as is, the rest from _UNICODE."""
    if char.isascii():
        return char
    if char in _UNICODE:
        return _UNICODE[char]
    raise UnknownSymbol(f"no TeX for the symbol {char!r} (U+{ord(char):04X}) in maths: add it to _UNICODE in render/tex.py")


def tex_name(name: str) -> str:
    """w0 → w_{0}; x_hat → x\\_hat; a long name stays upright-free but escaped."""
    if not name.isascii():  # the parser admits ASCII names only: anything else is the solver's
        name = "".join(_math_glyph(c) for c in name)
    stem = name.rstrip("0123456789")
    digits = name[len(stem):]
    base = stem[:-1] if stem.endswith("_") else stem
    if digits and _NAME_BASE.fullmatch(base):
        return f"{_escape(base)}_{{{digits}}}"
    return _escape(name)


def _escape(text: str) -> str:
    text = text.replace("_", r"\_")
    return text if len(text) <= 1 else rf"\mathit{{{text}}}"


def tex_value(value, digits: int = 6) -> str:
    """A number, vector or matrix in TeX (vectors as row brackets, matrices as bmatrix)."""
    array = np.asarray(value, dtype=float)
    if array.ndim == 0:
        return fmt(float(array))
    if array.ndim == 1:
        return r"\begin{bmatrix}" + " & ".join(fmt(x, digits) for x in array) + r"\end{bmatrix}"
    if array.ndim == 2:
        rows = [" & ".join(fmt(x, digits) for x in row) for row in array]
        return r"\begin{bmatrix}" + r" \\ ".join(rows) + r"\end{bmatrix}"
    return r"\text{(" + "×".join(map(str, array.shape)) + " tensor)}"


def tex_factor(value) -> str:
    """A number inside a product: negatives in parentheses."""
    text = tex_value(value)
    return f"({text})" if text.startswith("-") else text


# -- additions for the LaTeX document (standalone pdflatex: the output must be ASCII) --------

_EXPONENT = re.compile(r"^(-?[\d.]+)e(-?\d+)$")
_TEXT_SPECIAL = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "$": r"\ensuremath{\$}",  # a text \$ in bold would need the TS1 fonts base TeX lacks
    "&": r"\&",
    "#": r"\#",
    "%": r"\%",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "|": r"\textbar{}",
    '"': "''",
}
# Prose characters pdflatex's default utf8 input and OT1 fonts can set without extra packages.
_TEXT_UNICODE = {"–": "--", "—": "---", "‘": "`", "’": "'", "“": "``", "”": "''", "…": r"\dots{}", "\u00a0": "~", "•": r"\ensuremath{\bullet}"}


def tex_number(x: float, digits: int = 12) -> str:
    """A number as in the other formats, exponents typeset: 2.5e-7 → 2.5 \\times 10^{-7}."""
    text = fmt(float(x), digits)
    if text in ("nan", "inf", "-inf"):
        return {"nan": r"\mathrm{NaN}", "inf": r"\infty", "-inf": r"-\infty"}[text]
    match = _EXPONENT.match(text)
    if match:
        mantissa, exponent = match.groups()
        return rf"{mantissa} \times 10^{{{exponent}}}"
    return text


def tex_tensor(value, digits: int = 6, edge: int = 3, scalar_digits: int = 12) -> str:
    """Like tex_value, but vectors and matrices longer than 2·edge + 1 entries per axis
    keep their first ``edge`` and last ``edge - 1`` entries around a \\cdots (\\vdots),
    so that a key never holds an unbreakable box wider than the page."""
    array = np.asarray(value, dtype=float)
    if array.ndim == 0:
        return tex_number(float(array), scalar_digits)
    if array.ndim > 2:
        return "(" + r" \times ".join(map(str, array.shape)) + r"\ \text{tensor})"

    def keep(n: int) -> list[int | None]:  # None marks the elided middle
        if n <= 2 * edge + 1:
            return list(range(n))
        return list(range(edge)) + [None] + list(range(n - edge + 1, n))

    matrix = array if array.ndim == 2 else array.reshape(1, -1)
    rows = []
    row_keep = keep(matrix.shape[0])
    col_keep = keep(matrix.shape[1])
    for i in row_keep:
        if i is None:
            rows.append(" & ".join(r"\ddots" if j is None else r"\vdots" for j in col_keep))
            continue
        rows.append(" & ".join(r"\cdots" if j is None else tex_number(matrix[i, j], digits) for j in col_keep))
    return r"\begin{bmatrix}" + r" \\ ".join(rows) + r"\end{bmatrix}"


def tex_tensor_factor(value) -> str:
    """A number inside a product (negatives in parentheses), or a tensor."""
    text = tex_tensor(value)
    return f"({text})" if text.startswith("-") else text


def tex_text(text: str) -> str:
    """Prose (titles, notes, rules) for LaTeX text mode: specials escaped, the solver's
    math symbols set in math, anything pdflatex cannot set without extra packages as ?."""
    out = []
    for char in text:
        if char in _TEXT_SPECIAL:
            out.append(_TEXT_SPECIAL[char])
        elif unicodedata.category(char) == "Cc":
            # A line break would end a \section's argument (two end a paragraph); U+007F and
            # the other control characters stop pdflatex. White space becomes a space; the
            # rest is shown by its code point, the way a reader can look it up.
            out.append(" " if char in "\t\n\r\v\f\x1c\x1d\x1e\x85" else f"[U+{ord(char):04X}]")
        elif char.isascii():
            out.append(char)
        elif char in _TEXT_UNICODE:
            out.append(_TEXT_UNICODE[char])
        elif char in _UNICODE:
            out.append(r"\ensuremath{" + _UNICODE[char].strip() + "}")
        elif "\u00c0" <= char <= "\u00ff" and char not in "\u00d7\u00f7":
            out.append(char)  # accented Latin letters: utf8 input maps them to OT1 accents
        else:
            out.append("?")
    return "".join(out)
