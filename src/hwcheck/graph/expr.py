"""The expression language of graph steps (contract §1a), parsed without ``eval``.

A hand-written tokenizer and recursive-descent parser turn ``relu(x0 * w0 + b0)`` into a
small tree of :class:`Num`, :class:`Name`, :class:`Call`, :class:`BinOp` and :class:`Neg`.
Nothing in the text can run code: only numbers, names, the operators ``+ - * / ** @``,
parentheses, commas and calls of known functions are accepted; anything else is refused
with its column. Length and nesting are capped so a hostile file cannot exhaust the stack.

Precedence is Python's: ``**`` binds tighter than unary minus on its left and is right
associative (``-x ** 2`` is ``-(x ** 2)``, ``2 ** -x`` is allowed).
"""

from __future__ import annotations

import math
import re
from typing import Union

from ..record import Record
from ..errors import HwcheckError, did_you_mean
from ..numbers import exact

MAX_LENGTH = 2000
MAX_DEPTH = 100


class ExprError(HwcheckError):
    """A fault in an expression, at a 0-based column of its text (the loader places it in the file)."""

    def __init__(self, message: str, column: int):
        super().__init__(message)
        self.column = column


class Num(Record):
    value: float
    column: int


class Name(Record):
    name: str
    column: int


class Call(Record):
    func: str
    args: tuple["Expr", ...]
    column: int


class BinOp(Record):
    op: str  # one of + - * / ** @
    left: "Expr"
    right: "Expr"
    column: int


class Neg(Record):
    operand: "Expr"
    column: int


Expr = Union[Num, Name, Call, BinOp, Neg]

_TOKEN = re.compile(
    r"\s*(?:"
    r"(?P<number>(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<op>\*\*|[-+*/@(),])"
    r")"
)
# Things people try that are not part of the language, with what to write instead.
_REFUSED = {
    "'": "strings are not allowed in expressions",
    '"': "strings are not allowed in expressions",
    ".": "attribute access is not allowed; use the functions listed in the format docs",
    "[": "indexing is not allowed in expressions; give the element its own input or param",
    "{": "braces are not allowed in expressions",
    "=": "assignment is not allowed; a step is 'name: expression'",
    ":": "':' is not allowed in expressions",
    "^": "'^' is not a power here; write x ** 2",
    "%": "'%' is not supported; use + - * / ** @ and functions",
    "<": "comparisons are not supported; use relu, max or min",
    ">": "comparisons are not supported; use relu, max or min",
    "!": "'!' is not supported",
    "&": "'&' is not supported",
    "|": "'|' is not supported; use abs(x)",
    ";": "one expression per step; ';' is not allowed",
    "#": "comments go on their own YAML line, not inside an expression",
    "\\": "'\\' is not allowed in expressions",
}
_KEYWORDS = {"lambda", "import", "def", "class", "for", "while", "if", "else", "and", "or", "not", "in", "is", "return", "yield", "await", "async", "with", "from", "global", "del", "pass"}


def tokenize(text: str) -> list[tuple[str, str, int]]:
    """(kind, text, column) triples, ending with ('end', '', len(text))."""
    tokens = []
    pos = 0
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos >= len(text):
            break
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            char = text[pos]
            reason = _REFUSED.get(char, f"unexpected character {char!r}")
            raise ExprError(reason, pos)
        kind = match.lastgroup
        value = match.group(kind)
        start = match.start(kind)
        if kind == "number" and match.end() < len(text) and (text[match.end()].isalpha() or text[match.end()] == "_"):
            raise ExprError(f"'{value}{text[match.end()]}...': a name cannot start with a digit; write 2 * x for a product", start)
        if kind == "name" and match.end() < len(text) and text[match.end()] == ".":
            raise ExprError(_REFUSED["."], match.end())
        tokens.append((kind, value, start))
        pos = match.end()
    tokens.append(("end", "", len(text)))
    return tokens


class _Parser:
    def __init__(self, text: str, functions: dict[str, int]):
        self.tokens = tokenize(text)
        self.index = 0
        self.depth = 0
        self.functions = functions  # name -> number of arguments

    # -- helpers -------------------------------------------------------------
    def peek(self) -> tuple[str, str, int]:
        return self.tokens[self.index]

    def take(self) -> tuple[str, str, int]:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def expect(self, value: str) -> None:
        kind, text, column = self.take()
        if text != value or kind == "end" and value:
            found = "the end" if kind == "end" else f"'{text}'"
            raise ExprError(f"expected '{value}' but found {found}", column)

    def deeper(self, column: int) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExprError(f"expression nested deeper than {MAX_DEPTH} levels; split it into several steps", column)

    # -- grammar -------------------------------------------------------------
    def parse(self) -> Expr:
        expr = self.sum()
        kind, text, column = self.peek()
        if kind != "end":
            if kind == "name" and text in _KEYWORDS:
                raise ExprError(f"'{text}' is not allowed in expressions", column)
            raise ExprError(f"unexpected '{text}' after a complete expression (missing operator?)", column)
        return expr

    def sum(self) -> Expr:  # sum := product (('+' | '-') product)*
        left = self.product()
        while self.peek()[1] in ("+", "-") and self.peek()[0] == "op":
            _, op, column = self.take()
            left = BinOp(op, left, self.product(), column)
        return left

    def product(self) -> Expr:  # product := unary (('*' | '/' | '@') unary)*
        left = self.unary()
        while self.peek()[1] in ("*", "/", "@") and self.peek()[0] == "op":
            _, op, column = self.take()
            left = BinOp(op, left, self.unary(), column)
        return left

    def unary(self) -> Expr:  # unary := ('-' | '+') unary | power
        kind, text, column = self.peek()
        if kind == "op" and text in ("-", "+"):
            self.take()
            self.deeper(column)
            operand = self.unary()
            self.depth -= 1
            if text == "+":
                return operand
            if isinstance(operand, Num):  # a negative literal is a number, not an operation
                return Num(-operand.value, column)
            return Neg(operand, column)
        return self.power()

    def power(self) -> Expr:  # power := atom ('**' unary)?   (right associative)
        base = self.atom()
        if self.peek()[1] == "**":
            _, _, column = self.take()
            self.deeper(column)
            exponent = self.unary()
            self.depth -= 1
            return BinOp("**", base, exponent, column)
        return base

    def atom(self) -> Expr:
        kind, text, column = self.take()
        if kind == "number":
            value = float(text)
            if not math.isfinite(value):  # 1e400 is inf: refused, so it cannot be taken for a name 'inf'
                raise ExprError(f"the number {text} is too large for float64 (the largest is about 1.8e308)", column)
            return Num(value, column)
        if kind == "name":
            if text in _KEYWORDS:
                raise ExprError(f"'{text}' is not allowed in expressions", column)
            if self.peek()[1] == "(":
                return self.call(text, column)
            return Name(text, column)
        if text == "(":
            self.deeper(column)
            inner = self.sum()
            self.depth -= 1
            self.expect(")")
            return inner
        if kind == "end":
            raise ExprError("the expression ends too early (missing operand?)", column)
        raise ExprError(f"unexpected '{text}'", column)

    def call(self, func: str, column: int) -> Expr:
        if func not in self.functions:
            raise ExprError(f"unknown function '{func}'{did_you_mean(func, self.functions)}", column)
        self.take()  # (
        self.deeper(column)
        args: list[Expr] = []
        if self.peek()[1] != ")":
            args.append(self.sum())
            while self.peek()[1] == ",":
                self.take()
                args.append(self.sum())
        self.depth -= 1
        self.expect(")")
        wanted = self.functions[func]  # a number of arguments, or the fewest and the most
        low, high = (wanted, wanted) if isinstance(wanted, int) else wanted
        if not low <= len(args) <= high:
            takes = str(low) if low == high else f"{low} or {high}" if high == low + 1 else f"{low} to {high}"
            raise ExprError(f"{func}() takes {takes} argument{'s' if (low, high) != (1, 1) else ''}, not {len(args)}", column)
        return Call(func, tuple(args), column)


def parse_expression(text: str, functions: dict[str, int]) -> Expr:
    """Parse one step's expression; raises ExprError with a column on any fault."""
    if not isinstance(text, str):
        raise ExprError("an expression is text such as x0 * w0 + b0", 0)
    if len(text) > MAX_LENGTH:
        raise ExprError(f"expression is {len(text):,} characters long (limit {MAX_LENGTH:,}); split it into steps", MAX_LENGTH)
    if not text.strip():
        raise ExprError("empty expression", 0)
    tree = _Parser(text, functions).parse()
    _check_depth(tree)
    return tree


def children(node: Expr) -> tuple:
    """The operands of an operation node; () for a number or a name."""
    if isinstance(node, BinOp):
        return (node.left, node.right)
    if isinstance(node, Neg):
        return (node.operand,)
    if isinstance(node, Call):
        return node.args
    return ()


def walk(tree: Expr):
    """Every node of ``tree``, iteratively (no recursion limit), parents before children."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        stack += children(node)


def _check_depth(tree: Expr) -> None:
    """Refuse trees deeper than MAX_DEPTH operations (a + a + ... chains too), iteratively,
    so that everything after the parser may walk the tree recursively."""
    stack = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ExprError(f"more than {MAX_DEPTH} operations nested in one expression; split it into several steps", node.column)
        stack += [(child, depth + 1) for child in children(node)]


# -- canonical text ----------------------------------------------------------
# Every operation node is named by its own text, so the text must be canonical:
# the same sub-expression always reads the same, with only the parentheses it needs.
_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2, "@": 2, "neg": 3, "**": 4}
_ATOM = 5


def precedence(expr: Expr) -> int:
    if isinstance(expr, BinOp):
        return _PRECEDENCE[expr.op]
    if isinstance(expr, Neg) or (isinstance(expr, Num) and expr.value < 0):
        return _PRECEDENCE["neg"]
    return _ATOM


def to_text(expr: Expr, names: dict[int, str] | None = None) -> str:
    """Canonical text; ``names`` may map id(sub-expression) to a name to use instead."""
    if names and id(expr) in names:
        return names[id(expr)]
    if isinstance(expr, Num):
        return exact(expr.value)  # not rounded: x * 1.000000000001 and x * 1 are different nodes
    if isinstance(expr, Name):
        return expr.name
    if isinstance(expr, Call):
        return f"{expr.func}({', '.join(to_text(a, names) for a in expr.args)})"
    if isinstance(expr, Neg):
        inner = to_text(expr.operand, names)
        return f"-({inner})" if precedence(expr.operand) < _PRECEDENCE["neg"] else f"-{inner}"
    mine = _PRECEDENCE[expr.op]
    left, right = to_text(expr.left, names), to_text(expr.right, names)
    if expr.op == "**":  # right associative: the base needs parentheses at equal precedence
        if precedence(expr.left) <= mine:
            left = f"({left})"
        if precedence(expr.right) < _PRECEDENCE["neg"]:
            right = f"({right})"
    else:  # left associative: the right operand needs them at equal precedence
        if precedence(expr.left) < mine:
            left = f"({left})"
        if precedence(expr.right) <= mine:
            right = f"({right})"
    return f"{left} {expr.op} {right}"
