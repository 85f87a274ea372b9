"""Showing text that came from a file, safely: the one escaping rule of hwcheck's edges.

A student's name, a sheet's key or an answer can hold an ESC sequence (which clears the
screen or prints a fake "11 / 11"), a bidi override such as U+202E (which shows text in
another order than it is), or a newline (which forges a second ``error:`` line). Wherever a
file's text reaches the terminal or an error line, every character that is not printable —
by Python's ``str.isprintable``: controls, format characters, line and paragraph
separators, surrogates, unassigned code points and spaces other than ' ' — is written as an
escape (``\\x1b``, ``\\u202e``, ``\\n``), so it is seen and does nothing. LaTeX output has
its own escaping in render/tex.py; JSON and CSV reports carry the text as data.
"""

from __future__ import annotations

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(char: str) -> str:
    named = _NAMED.get(char)
    if named:
        return named
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def visible(text: str) -> str:
    """``text`` with every non-printable character written as an escape; one line always."""
    if text.isprintable():  # the common case, at C speed
        return text
    return "".join(c if c.isprintable() else _escape(c) for c in text)


def yaml_quoted(text: str) -> str:
    """A YAML double-quoted scalar that reads back as exactly ``text``, on one line, with no
    invisible character in the file (YAML's \\x, \\u and \\U escapes are the same as ours)."""
    text = text.encode("utf-8", "replace").decode("utf-8")  # a lone surrogate (from a terminal) has no YAML escape
    return '"' + visible(text.replace("\\", "\\\\").replace('"', '\\"')) + '"'
