"""The arithmetic of shapes, worked out the way a teaching assistant writes it on the board.

Every function returns the number *and* the working that shows how it comes out, as a
term (:mod:`hwcheck.graph.terms`: ⌊(32 + 2·2 − 1·(5 − 1) − 1)/1⌋ + 1 = 32), so the two
can never disagree and each output typesets the same working (:mod:`hwcheck.render.typeset`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from ..graph.terms import BoardSum, Ceil, Chain, Fixed, Floor, Int, Measure, Neg, Paren, Phrase, Prod, Tally, Term, equation


def ints(*values: int) -> tuple[Term, ...]:
    return tuple(Int(v) for v in values)


def minus(term: Term | int) -> Neg:
    return Neg(Int(term) if isinstance(term, int) else term)


def ceil_div(a: int, b: int) -> int:
    return -((-a) // b)


def pad_terms(pad: tuple[int, int]) -> tuple[Term, ...]:
    """Symmetric padding as ``2·p``, asymmetric (``same`` with an even kernel) as ``1 + 2``."""
    before, after = pad
    return (Prod(ints(2, before)),) if before == after else ints(before, after)


@dataclass(frozen=True)
class Slide:
    """One spatial axis of a convolution or pooling window, worked out."""

    out: int
    working: Term  # ⌊(32 + 2·2 − 1·(5 − 1) − 1)/1⌋ + 1 = 32
    border: Term | None = None  # ceil_mode's dropped last window, worked out


# Cached: a network repeats its convolutions (and grading re-runs the calculator once per
# mistake), so the same working is built once and shared; terms are immutable.
@lru_cache(maxsize=4096)
def slide(size: int, kernel: int, stride: int, pad: tuple[int, int], dilation: int, *,
          ceil: bool = False, plus_one: bool = True, border_rule: bool = False) -> Slide:
    """PyTorch's output size: ⌊(in + p₁ + p₂ − d·(k − 1) − 1)/s⌋ + 1, or ⌈…⌉ with ceil_mode.

    With ``border_rule`` (pooling in ceil_mode) PyTorch drops a last window that would
    start inside the right padding: if (out − 1)·s ≥ in + p₁ then out − 1.
    """
    span = size + pad[0] + pad[1] - dilation * (kernel - 1) - 1
    quotient = ceil_div(span, stride) if ceil else span // stride  # // floors, as PyTorch's div_rtn
    out = quotient + 1 if plus_one else quotient
    reach = Prod((Int(dilation), Paren(BoardSum((Int(kernel), minus(1))))))
    windows = (Ceil if ceil else Floor)(Paren(BoardSum((Int(size), *pad_terms(pad), Neg(reach), minus(1)))), Int(stride))
    working = equation(BoardSum((windows, Int(1))) if plus_one else windows, Int(out))
    if border_rule and out > 0 and (out - 1) * stride >= size + pad[0]:
        start = Prod((Paren(BoardSum((Int(out), minus(1)))), Int(stride)))
        border = Chain((start, Int((out - 1) * stride), BoardSum(ints(size, pad[0])), BoardSum((Int(out), minus(1))),
                        Int(out - 1)), ("=", "≥", "so", "="))
        return Slide(out - 1, working, border)
    return Slide(out, working)


def slide_divides(size: int, kernel: int, stride: int, pad: tuple[int, int], dilation: int) -> bool:
    """Whether floor and ceil agree on this axis (the division is exact)."""
    return (size + pad[0] + pad[1] - dilation * (kernel - 1) - 1) % stride == 0


def same_pad_pytorch(kernel: int, dilation: int) -> tuple[int, int]:
    """PyTorch's ``padding='same'``: d·(k − 1) in all, the odd one on the right/bottom."""
    total = dilation * (kernel - 1)
    return total // 2, total - total // 2


def same_keras(size: int, stride: int, *, ceil: bool = True) -> Slide:
    """Keras' ``padding='same'``: out = ⌈in/s⌉ whatever the kernel."""
    out = ceil_div(size, stride) if ceil else size // stride
    return Slide(out, equation((Ceil if ceil else Floor)(Int(size), Int(stride)), Int(out)))


def same_pad_keras(size: int, kernel: int, stride: int, dilation: int) -> tuple[int, int]:
    """The padding TensorFlow adds for ``same``: enough for ⌈in/s⌉ windows, extra at the end."""
    out = ceil_div(size, stride)
    total = max((out - 1) * stride + dilation * (kernel - 1) + 1 - size, 0)
    return total // 2, total - total // 2


def transpose_slide(size: int, kernel: int, stride: int, pad: int, dilation: int,
                    output_padding: int, *, plus_one: bool = True) -> Slide:
    """ConvTranspose: (in − 1)·s − 2·p + d·(k − 1) + output_padding + 1."""
    out = (size - 1) * stride - 2 * pad + dilation * (kernel - 1) + output_padding + (1 if plus_one else 0)
    terms = (Prod((Paren(BoardSum((Int(size), minus(1)))), Int(stride))), Neg(Prod(ints(2, pad))),
             Prod((Int(dilation), Paren(BoardSum((Int(kernel), minus(1)))))), Int(output_padding))
    return Slide(out, equation(BoardSum(terms + ((Int(1),) if plus_one else ())), Int(out)))


def memory(n_params: int, bytes_per: int = 4) -> tuple[int, Term]:
    """Parameter memory in float32: ``557,057 × 4 B = 2,228,228 B ≈ 2.23 MB`` (decimal units, as torchinfo)."""
    total = n_params * bytes_per
    pieces = (Tally(n_params), " × ", Measure(Int(bytes_per), "B"), " = ", Measure(Tally(total), "B"))
    for unit, size in (("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if total >= size:
            return total, Phrase(pieces + (" ≈ ", Measure(Fixed(total / size), unit)))
    return total, Phrase(pieces)
