"""Counting in words: "1 question", "2 questions", "10,000 sheets"."""

from __future__ import annotations


def plural(count: float, noun: str, nouns: str | None = None) -> str:
    """``count`` and the noun in the number it needs; ``nouns`` when the plural is not noun + s.

    Whole counts get thousands separators; points such as 1.5 are written as given.
    """
    whole = float(count).is_integer()
    number = f"{int(count):,}" if whole else f"{count:g}"
    word = noun if whole and abs(int(count)) == 1 else (nouns or noun + "s")
    return f"{number} {word}"
