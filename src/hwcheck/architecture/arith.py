"""The arithmetic of shapes, written the way a teaching assistant writes it on the board.

Every function returns the number *and* the text that shows how it comes out, so the
two can never disagree. Minus signs are typographic (−), products use · inside one
layer and × in the written-out total, as the seed homework does.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..numbers import fmt_count

MINUS = "\u2212"


def num(n: int) -> str:
    """An integer inside an expression, with a typographic minus: −2."""
    return f"{MINUS}{-n}" if n < 0 else str(n)


def count(n: int) -> str:
    """A result: 1216, 31,744, 557,057.

    Separators start at five digits (the style of the seed and the issue:
    ``16·3·5·5 + 16 = 1216`` but ``= 557,057``); negative results keep their sign.
    """
    if n < 0:
        return MINUS + count(-n)
    return str(n) if n < 10_000 else fmt_count(n)


def ceil_div(a: int, b: int) -> int:
    return -((-a) // b)


def pad_text(pad: tuple[int, int]) -> str:
    """Symmetric padding as ``2·p``, asymmetric (``same`` with an even kernel) as ``1 + 2``."""
    before, after = pad
    return f"2·{before}" if before == after else f"{before} + {after}"


@dataclass(frozen=True)
class Slide:
    """One spatial axis of a convolution or pooling window, worked out."""

    out: int
    expr: str  # ⌊(32 + 2·2 − 1·(5 − 1) − 1)/1⌋ + 1 = 32
    border: str | None = None  # ceil_mode's dropped last window, written out


def slide(size: int, kernel: int, stride: int, pad: tuple[int, int], dilation: int, *,
          ceil: bool = False, plus_one: bool = True, border_rule: bool = False) -> Slide:
    """PyTorch's output size: ⌊(in + p₁ + p₂ − d·(k − 1) − 1)/s⌋ + 1, or ⌈…⌉ with ceil_mode.

    With ``border_rule`` (pooling in ceil_mode) PyTorch drops a last window that would
    start inside the right padding: if (out − 1)·s ≥ in + p₁ then out − 1.
    """
    span = size + pad[0] + pad[1] - dilation * (kernel - 1) - 1
    quotient = ceil_div(span, stride) if ceil else span // stride  # // floors, as PyTorch's div_rtn
    out = quotient + 1 if plus_one else quotient
    left, right = ("⌈", "⌉") if ceil else ("⌊", "⌋")
    expr = (f"{left}({size} + {pad_text(pad)} − {dilation}·({kernel} − 1) − 1)/{stride}{right}"
            + (" + 1" if plus_one else "") + f" = {num(out)}")
    if border_rule and out > 0 and (out - 1) * stride >= size + pad[0]:
        start = (out - 1) * stride
        border = f"({out} − 1)·{stride} = {start} ≥ {size} + {pad[0]}, so {out} − 1 = {out - 1}"
        return Slide(out - 1, expr, border)
    return Slide(out, expr)


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
    left, right = ("⌈", "⌉") if ceil else ("⌊", "⌋")
    return Slide(out, f"{left}{size}/{stride}{right} = {num(out)}")


def same_pad_keras(size: int, kernel: int, stride: int, dilation: int) -> tuple[int, int]:
    """The padding TensorFlow adds for ``same``: enough for ⌈in/s⌉ windows, extra at the end."""
    out = ceil_div(size, stride)
    total = max((out - 1) * stride + dilation * (kernel - 1) + 1 - size, 0)
    return total // 2, total - total // 2


def transpose_slide(size: int, kernel: int, stride: int, pad: int, dilation: int,
                    output_padding: int, *, plus_one: bool = True) -> Slide:
    """ConvTranspose: (in − 1)·s − 2·p + d·(k − 1) + output_padding + 1."""
    out = (size - 1) * stride - 2 * pad + dilation * (kernel - 1) + output_padding + (1 if plus_one else 0)
    expr = (f"({size} − 1)·{stride} − 2·{pad} + {dilation}·({kernel} − 1) + {output_padding}"
            + (" + 1" if plus_one else "") + f" = {num(out)}")
    return Slide(out, expr)


def memory_text(n_params: int, bytes_per: int = 4) -> tuple[int, str]:
    """Parameter memory in float32: ``557,057 × 4 B = 2,228,228 B ≈ 2.23 MB`` (decimal units, as torchinfo)."""
    total = n_params * bytes_per
    text = f"{count(n_params)} × {bytes_per} B = {count(total)} B"
    for unit, size in (("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if total >= size:
            return total, f"{text} ≈ {total / size:.2f} {unit}"
    return total, text
