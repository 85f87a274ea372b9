"""Numbers in and out: reading what people write, writing what people read.

In: YAML 1.1 reads ``1e-6`` and ``2/5`` as strings, so every number a teacher or student
writes goes through :func:`parse_number`, which accepts integers, decimals, scientific
notation and fractions, and refuses booleans, ``nan`` and ``inf``.

Out: :func:`fmt` writes a float64 the way a person would (``0.3``, not
``0.30000000000000004``): twelve significant digits, trailing zeros dropped.
"""

from __future__ import annotations

import math
import re

import numpy as np

from .errors import HwcheckError

_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_FRACTION = re.compile(r"\s*([+-]?\d+(?:\.\d+)?)\s*/\s*([+-]?\d+(?:\.\d+)?)\s*")


class NotANumber(HwcheckError):
    """Raised with a short reason when a value cannot be read as a finite number."""


def parse_number(value: object) -> float:
    """A finite float from an int, float or string such as '2/5', '-3/4', '1e-6'."""
    if isinstance(value, bool) or value is None:
        raise NotANumber(f"{value!r} is not a number")
    try:
        result = _to_float(value)
    except (OverflowError, ValueError) as exc:  # 10**400, or more digits than Python converts
        if isinstance(exc, NotANumber):
            raise
        raise NotANumber("the number is too large for float64") from None
    if math.isinf(result):  # `.inf`, or 1e400, which YAML and float() read as inf
        raise NotANumber(f"{value!r} is not a finite number (or too large for float64, whose largest is about 1.8e308)")
    if not math.isfinite(result):
        raise NotANumber(f"{value!r} is not a finite number")
    return result


def _to_float(value: object) -> float:
    if isinstance(value, (int, float)):
        result = float(value)
    elif isinstance(value, str):
        text = value.strip().replace("\u2212", "-")  # accept a typographic minus
        if _NUMBER.fullmatch(text):
            result = float(text)
        else:
            match = _FRACTION.fullmatch(text)
            if not match:
                raise NotANumber(f"'{value}' is not a number (write e.g. 0.4, -3/4 or 1e-6)")
            from fractions import Fraction  # deliberate: only here (start-up time)

            if Fraction(match.group(2)) == 0:
                raise NotANumber(f"'{value}' divides by zero")
            result = float(Fraction(match.group(1)) / Fraction(match.group(2)))
    else:
        raise NotANumber(f"{value!r} is not a number")
    return result


def fmt(x: float, digits: int = 12) -> str:
    """A float as a person writes it: 0.3, -0.2, 1, 2.5e-07 -> 2.5e-7."""
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if x == 0:
        return "0"
    text = f"{x:.{digits}g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        return f"{mantissa}e{int(exponent)}"
    return text


def exact(x: float) -> str:
    """The shortest text that reads back as exactly ``x`` (Python's repr), written plainly:
    1, 0.1, 1.000000000001, 1e16, 2.5e-7. Used where identity matters — a node named by
    its text — so two constants that differ in float64 never share a name."""
    text = repr(float(x))
    if text.endswith(".0"):
        text = text[:-2]
    if "e" in text:
        mantissa, exponent = text.split("e")
        text = f"{mantissa}e{int(exponent)}"
    return text


MAX_SHOWN_ELEMENTS = 144  # larger tensors are shown by shape and first elements


def fmt_value(value, digits: int | None = None) -> str:
    """A scalar or array as a person writes it: 0.3, [0.1, 0.2], [[1, 0], [0, 1]].

    Scalars get 12 significant digits, the elements of vectors and matrices 6, so that
    a tensor stays readable; JSON output always carries the full float64 value.
    """
    array = np.asarray(value)
    if array.ndim == 0:
        return fmt(float(array), digits or 12)
    if array.size > MAX_SHOWN_ELEMENTS:  # a 500×500 matrix is not read element by element
        first = ", ".join(fmt(x, digits or 6) for x in array.flat[:6])
        return f"{'×'.join(map(str, array.shape))} tensor [{first}, …]"
    return "[" + ", ".join(fmt_value(item, digits or 6) for item in array) + "]"


def fmt_factor(x: float) -> str:
    """A number inside a product: negatives in parentheses, as in 1 · (-0.2) · 1."""
    text = fmt(x)
    return f"({text})" if text.startswith("-") else text


def fmt_count(n: int) -> str:
    """An exact integer with thousands separators; astronomically large ones as a power of 10."""
    if n < 10**15:
        return f"{n:,}"
    # str() of a huge int is refused by Python (and slow), so use the top bits only.
    shift = max(n.bit_length() - 60, 0)
    log10 = math.log10(n >> shift) + shift * math.log10(2)
    exponent = math.floor(log10)
    return f"about {10 ** (log10 - exponent):.2f} × 10^{exponent}"


def plain_float(x: float) -> float | None:
    """A float for JSON: None for nan and ±inf, which JSON cannot hold."""
    x = float(x)
    return x if math.isfinite(x) else None
