"""One typesetter per target for the terms of :mod:`hwcheck.graph.terms`: Unicode and TeX.

In the style of SymPy's printers: :meth:`Printer.doprint` dispatches each term to the
``_print_<Type>`` method of its class (or of the nearest base class that has one). A term
type a printer does not know is an error, never a ``?`` in a student's key. Adding a
target is one class; adding a term type is one method per target. Nothing is parsed.

The Unicode printer writes the solver's notation (``w1·x0^(w1 - 1)``, ``[a > 0]``, ``Xᵀ·G``);
the TeX printer writes what the LaTeX and Markdown keys have always shown for it.
"""

from __future__ import annotations

import re

import numpy as np

from ..graph import terms as T
from ..numbers import count_parts, exact, fmt, fmt_count, fmt_value
from .tex import UnknownSymbol, tex_name, tex_tensor, tex_text


class Printer:
    def doprint(self, term: T.Term) -> str:
        return self._print(term)

    def _print(self, term: T.Term) -> str:
        for cls in type(term).__mro__:
            method = getattr(self, f"_print_{cls.__name__}", None)
            if method is not None:
                return method(term)
        raise TypeError(f"{type(self).__name__} cannot typeset a {type(term).__name__}")

    # What both targets write alike.
    def _print_Identity(self, t):
        return "I"

    def _print_Upstream(self, t):
        return "G"

    def _print_Count(self, t):
        return "n"

    def _print_Sum(self, t):
        out = self._print(t.terms[0])
        for term in t.terms[1:]:
            out += f" - {self._print(term.operand)}" if isinstance(term, T.Neg) else f" + {self._print(term)}"
        return out

    def _print_Paren(self, t):
        return f"({self._print(t.body)})"

    def _arg(self, term: T.Term) -> str:
        """A function's argument: the call's own parentheses are enough."""
        return self._print(term.body if isinstance(term, T.Paren) else term)


class UnicodePrinter(Printer):
    """The terminal's, the hints', the DOT picture's and the JSON's notation."""

    def _print_Num(self, t):
        return fmt(t.value)

    def _print_Half(self, t):
        return "½"

    def _print_Symbol(self, t):
        return t.name

    def _print_Shape(self, t):
        return "×".join(map(str, t.dims)) if t.dims else "scalar"

    def _print_Apply(self, t):
        return f"{t.func}(" + ", ".join(self._arg(a) for a in t.args) + ")"

    def _print_Neg(self, t):
        return "-" + self._print(t.operand)

    def _print_Prod(self, t):
        return "·".join(self._print(f) for f in t.factors)

    def _print_Quotient(self, t):
        return f"{self._print(t.numerator)}/{self._print(t.denominator)}"

    def _print_Power(self, t):
        if t.exponent == T.Num(2):
            return self._print(t.base) + "²"
        return f"{self._print(t.base)}^({self._print(t.exponent)})"

    def _print_Transpose(self, t):
        return self._print(t.operand) + "ᵀ"

    def _print_Indicator(self, t):
        return f"[{self._print(t.left)} {t.relation} {self._print(t.right)}]"

    def _print_Partial(self, t):
        return f"{t.d}{self._print(t.top)}/{t.d}{self._print(t.bottom)}"

    def _print_Noted(self, t):
        return f"{self._print(t.body)} ({self.words(t.words)})"

    def words(self, pieces) -> str:
        return "".join(p if isinstance(p, str) else self._print(p) for p in pieces)

    # -- architecture arithmetic (the board's notation: − and ·, × in the total) -----------
    def _print_Int(self, t):
        return f"{MINUS}{-t.value}" if t.value < 0 else str(t.value)

    def _print_Tally(self, t):
        return tally(t.value)

    def _print_Fixed(self, t):
        return f"{t.value:.{t.places}f}"

    def _print_BoardSum(self, t):
        out = self._print(t.terms[0])
        for term in t.terms[1:]:
            out += f" {MINUS} {self._print(term.operand)}" if isinstance(term, T.Neg) else f" + {self._print(term)}"
        return out

    def _print_Times(self, t):
        return "×".join(self._print(f) for f in t.factors)

    def _print_Floor(self, t):
        return f"⌊{self._print(t.numerator)}/{self._print(t.denominator)}⌋"

    def _print_Ceil(self, t):
        return f"⌈{self._print(t.numerator)}/{self._print(t.denominator)}⌉"

    def _print_ShapeList(self, t):
        return "[" + ", ".join(map(str, t.dims)) + "]"

    def _print_Chain(self, t):
        out = self._print(t.terms[0])
        for relation, term in zip(t.relations, t.terms[1:]):
            out += (", so " if relation == "so" else f" {relation} ") + self._print(term)
        return out

    def _print_Measure(self, t):
        return f"{self._print(t.value)} {t.unit}"

    def _print_Phrase(self, t):
        return self.words(t.pieces)
    def _print_Infix(self, t):
        return f"{self._print(t.left)} {t.op} {self._print(t.right)}"

    def _print_Literal(self, t):
        return exact(t.value)

    def _print_Tensor(self, t):
        return fmt_value(t.array)

    def _print_Equals(self, t):
        return " = ".join(self._print(side) for side in t.sides)

    def _print_Prime(self, t):
        return f"{t.func}'({self._arg(t.at)})"


_TEX_RELATIONS = {">": " > ", "<": " < ", "≤": r" \le ", "≥": r" \ge "}
_TEX_OPERATORS = {"+": " + ", "-": " - ", "/": " / ", "*": r" \cdot ", "@": r" \, "}


class TexPrinter(Printer):
    """TeX math for the LaTeX and Markdown keys (amsmath only)."""

    def doprint(self, term: T.Term) -> str:
        # Spacing is built with explicit spaces around operators, then made single.
        return re.sub(r"\s+", " ", self._print(term)).strip()

    def _print_Num(self, t):
        return fmt(t.value) if t.value >= 0 else " - " + fmt(-t.value)

    def _print_Half(self, t):
        return r"\tfrac{1}{2}"

    def _print_Symbol(self, t):
        return tex_name(t.name)

    def _print_Shape(self, t):
        return r" \times ".join(map(str, t.dims)) if t.dims else r"\text{scalar}"

    def _print_Apply(self, t):
        return function_tex(t.func) + "(" + ",".join(self._arg(a) for a in t.args) + ")"

    def _print_Neg(self, t):
        return " - " + self._print(t.operand)

    def _print_Prod(self, t):
        return r" \cdot ".join(self._print(f) for f in t.factors)

    def _print_Quotient(self, t):
        return f"{self._print(t.numerator)} / {self._print(t.denominator)}"

    def _print_Power(self, t):
        if t.exponent == T.Num(2):
            return self._print(t.base) + "^{2}"
        return self._print(t.base) + "^{(" + self._print(t.exponent) + ")}"

    def _print_Transpose(self, t):
        return self._print(t.operand) + r"^{\top}"

    def _print_Indicator(self, t):
        return r"\lbrack " + self._print(t.left) + _TEX_RELATIONS[t.relation] + self._print(t.right) + r"\rbrack "

    def _print_Partial(self, t):
        d = r"\partial" if t.d == "∂" else t.d
        return rf"\frac{{{d} {self._print(t.top)}}}{{{d} {self._print(t.bottom)}}}"

    def _print_Noted(self, t):
        return self._print(t.body).rstrip() + r"\ \text{(" + self.words(t.words) + ")}"

    def words(self, pieces) -> str:
        """Words for text mode, their maths in \\ensuremath."""
        return "".join(tex_text(p) if isinstance(p, str) else r"\ensuremath{" + self.doprint(p) + "}" for p in pieces)

    def _print_Infix(self, t):
        if t.op == "**":  # the exponent in braces, raised
            return self._print(t.left) + "^{" + self._print(t.right).strip() + "}"
        return self._print(t.left) + _TEX_OPERATORS[t.op] + self._print(t.right)

    def _print_Literal(self, t):
        return exact(t.value) if t.value >= 0 else " - " + exact(-t.value)

    def _print_Tensor(self, t):
        return tex_tensor(t.array)

    def _print_Equals(self, t):
        return " = ".join(self._print(side) for side in t.sides)

    def _print_Prime(self, t):
        return function_tex(t.func) + "'(" + self._arg(t.at) + ")"

    # -- architecture arithmetic (as the Markdown and LaTeX keys have always shown it) -----
    def _print_Int(self, t):
        return str(t.value)

    def _print_Tally(self, t):
        mantissa, exponent = count_parts(abs(t.value))
        if exponent is not None:  # about 1.23 × 10^15
            written = rf"\text{{about}}\ {mantissa} \times 10^{{{exponent}}}"
        else:
            written = tally(abs(t.value)).replace(",", "{,}")
        return ("-" if t.value < 0 else "") + written

    def _print_Fixed(self, t):
        return f"{t.value:.{t.places}f}"

    def _print_BoardSum(self, t):
        return self._print_Sum(t)

    def _print_Times(self, t):
        return r" \times ".join(self._print(f) for f in t.factors)

    def _print_Floor(self, t):
        return rf"\lfloor {self._print(t.numerator)}/{self._print(t.denominator)}\rfloor "

    def _print_Ceil(self, t):
        return rf"\lceil {self._print(t.numerator)}/{self._print(t.denominator)}\rceil "

    def _print_ShapeList(self, t):
        return "[" + ", ".join(map(str, t.dims)) + "]"

    def _print_Chain(self, t):
        out = self._print(t.terms[0])
        for relation, term in zip(t.relations, t.terms[1:]):
            out += _TEX_CHAIN[relation] + self._print(term)
        return out

    def _print_Measure(self, t):
        return self._print(t.value) + r"\ \text{" + tex_text(t.unit) + "}"

    def _print_Phrase(self, t):
        return r"\text{" + self.words(t.pieces) + "}"


_TEX_CHAIN = {"=": " = ", "≈": r" \approx ", "≥": r" \ge ", "→": r" \to ", "so": r", \ \text{so}\ "}
MINUS = "\u2212"  # the architecture's working writes a typographic minus


def tally(n: int) -> str:
    """A count: 1216, 31,744, 557,057. Separators start at five digits (the style of the
    seed: ``16·3·5·5 + 16 = 1216`` but ``= 557,057``); a negative count keeps its sign."""
    if n < 0:
        return MINUS + tally(-n)
    return str(n) if n < 10_000 else fmt_count(n)


def function_tex(name: str) -> str:
    """A function's TeX name: from the op registry, or one of the maths-only functions."""
    from ..graph.ops import TEX_NAMES  # deliberate: an architecture's working has no functions; its keys skip the registry

    if name in TEX_NAMES:
        return TEX_NAMES[name]
    raise UnknownSymbol(f"no TeX name for the function {name!r}: give its Op a tex= or add it to MATH_FUNCTIONS")


def formula_body(term: T.Term) -> tuple[T.Term, tuple]:
    """A formula without its remark in words, and the remark's pieces (maybe none)."""
    return (term.body, term.words) if isinstance(term, T.Noted) else (term, ())


def tex_local(local) -> str:
    """A local derivative's formula as TeX, a vector–Jacobian product written as one:
    ``G ↦ Xᵀ·G (3×2)``, since Xᵀ·G is not the 8×6 Jacobian."""
    formula = tex(local.formula)
    if not local.vjp:
        return formula
    shape = r"\ (" + tex(T.Shape(local.operand_shape)) + ")" if local.operand_shape else ""
    return rf"G \mapsto {formula}{shape}"


def tex_jacobian_note(local) -> str:
    """What the rows and columns of a full Jacobian are, for a formula that is a VJP."""
    rows, columns = int(np.prod(local.node_shape)), int(np.prod(local.operand_shape))
    return (rf"\ \text{{(Jacobian: rows = the }}{rows}\text{{ elements of }}{tex(local.node_term)}\text{{, columns = the }}{columns}"
            rf"\text{{ of }}{tex(local.operand_term)}\text{{, row-major)}}")


UNICODE = UnicodePrinter()
TEX = TexPrinter()


def unicode(term: T.Term) -> str:
    return UNICODE.doprint(term)


def tex(term: T.Term) -> str:
    return TEX.doprint(term)


def kink_where(kink) -> str:
    """Where a kink lies: xwb0 = 0 at 2 of 3 elements; a = b = 0.5."""
    count = f" at {kink.count[0]} of {kink.count[1]} elements" if kink.count else ""
    return unicode(kink.point) + count


def kink_rule(kink) -> str:
    """How the kink was resolved: relu'(0) = 0, as PyTorch."""
    return UNICODE.words(kink.rule)
