"""The kinds of value a layer key can take, and how each is read and checked.

A layer type declares its keys as ``{"kernel": Key(SIZE), "stride": Key(SIZE, 1), ...}``;
:func:`read_value` turns what the teacher wrote into a normalised value (a tuple with one
entry per spatial axis for sizes) or raises :class:`KeyProblem` with a message saying what
to write instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import HwcheckError
from ..escape import yaml_spelling

REQUIRED = object()

COUNT = "count"  # a positive whole number: units, filters, hidden, ...
SIZE = "size"  # a positive whole number or a pair [h, w]: kernel, stride, dilation
PADDING = "padding"  # ≥ 0, a pair, 'valid' or 'same'
NONNEG = "nonneg"  # ≥ 0 or a pair: output_padding
FLAG = "flag"  # true or false
RATE = "rate"  # a probability 0 ≤ p ≤ 1
NUMBER = "number"  # any finite number
LAYERS = "layers"  # a list of layers (a block's branch); read by the loader, which knows positions


@dataclass(frozen=True)
class Key:
    kind: str
    default: Any = REQUIRED
    example: str = ""  # shown when the key is missing: "add e.g. filters: 16"
    words: tuple[str, ...] = ()  # strings a PADDING key accepts
    maximum: int | None = None  # a COUNT's largest sensible value, when far below MAX_SIZE

    @property
    def required(self) -> bool:
        return self.default is REQUIRED


class KeyProblem(HwcheckError):
    """A key's value cannot be used; the message says what to write instead."""


MAX_SIZE = 10**9  # no layer of a real network has a size beyond this


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_size(key: str, value: Any) -> None:
    """Refuse absurd sizes before any arithmetic is done with them."""
    if _whole(value) and value > MAX_SIZE:
        raise KeyProblem(f"{key} is larger than {MAX_SIZE:,}; give the sizes of a real network")


def _axes(key: str, value: Any, ndim: int, minimum: int, what: str) -> tuple[int, ...]:
    """An int for every axis, or a list with one int per axis."""
    pair = "a pair [h, w]" if ndim == 2 else None
    shape_hint = f"a {what} whole number" + (f" or {pair}" if pair else "")
    check_size(key, value)
    if isinstance(value, list):
        for item in value:
            check_size(key, item)
    if _whole(value):
        if value < minimum:
            raise KeyProblem(f"{key} must be {shape_hint}, not {yaml_spelling(value)}")
        return (value,) * ndim
    if isinstance(value, list):
        if ndim == 1:
            raise KeyProblem(f"{key} of a 1-D layer is one whole number, not the list {value}")
        if len(value) != ndim or not all(_whole(v) and v >= minimum for v in value):
            raise KeyProblem(f"{key} must be {shape_hint}, not {yaml_spelling(value)}")
        return tuple(value)
    raise KeyProblem(f"{key} must be {shape_hint}, not {yaml_spelling(value)}")


def read_value(key: str, value: Any, spec: Key, ndim: int) -> Any:
    """The normalised value of one key, or KeyProblem."""
    if spec.kind == COUNT:
        check_size(key, value)
        if not _whole(value) or value < 1:
            raise KeyProblem(f"{key} must be a positive whole number, not {yaml_spelling(value)}")
        if spec.maximum is not None and value > spec.maximum:
            raise KeyProblem(f"{key} is at most {spec.maximum:,}, not {value:,}")
        return value
    if spec.kind == SIZE:
        return _axes(key, value, ndim, 1, "positive")
    if spec.kind == NONNEG:
        return _axes(key, value, ndim, 0, "non-negative")
    if spec.kind == PADDING:
        if isinstance(value, str):
            word = value.strip().lower()
            if word == "valid":  # no padding at all, as in Keras and PyTorch
                return (0,) * ndim
            if word in spec.words:
                return word
            allowed = ", ".join(repr(w) for w in ("valid",) + spec.words)
            raise KeyProblem(f"padding '{value}' is not known; write a number, a pair or {allowed}")
        return _axes(key, value, ndim, 0, "non-negative")
    if spec.kind == FLAG:
        if not isinstance(value, bool):
            raise KeyProblem(f"{key} must be true or false, not {yaml_spelling(value)}")
        return value
    if spec.kind in (RATE, NUMBER):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
            raise KeyProblem(f"{key} must be a number, not {yaml_spelling(value)}")
        if spec.kind == RATE and not 0 <= value <= 1:
            raise KeyProblem(f"{key} is a probability between 0 and 1, not {value}")
        return float(value)
    raise AssertionError(f"unknown key kind {spec.kind}")  # pragma: no cover - programming error


def default_value(spec: Key, ndim: int) -> Any:
    """The default, spread over the axes for sizes (None stays None: 'same as kernel')."""
    if spec.kind == LAYERS:
        return tuple(spec.default)
    if spec.default is None or spec.kind not in (SIZE, NONNEG, PADDING):
        return spec.default
    return (spec.default,) * ndim
