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


def yaml_spelling(value, limit: int = 60) -> str:
    """A value read from YAML as a YAML flow scalar or collection spells it (true, null,
    [1, true], "text"), cut to about ``limit`` characters: for messages that quote a
    file's value back, whatever its size."""
    out: list[str] = []
    size = 0

    def put(text: str) -> bool:
        nonlocal size
        out.append(text)
        size += len(text)
        return size <= limit

    def write(v) -> bool:
        if isinstance(v, bool):
            return put("true" if v else "false")
        if v is None:
            return put("null")
        if isinstance(v, float) and v != v:
            return put(".nan")
        if isinstance(v, float) and v in (float("inf"), float("-inf")):
            return put(".inf" if v > 0 else "-.inf")
        if isinstance(v, str):
            return put(yaml_quoted(v[: limit + 1]))
        if isinstance(v, (list, tuple, dict)):
            items = list(v.items()) if isinstance(v, dict) else v
            if not put("{" if isinstance(v, dict) else "["):
                return False
            for i, item in enumerate(items):
                if i and not put(", "):
                    return False
                if isinstance(v, dict):
                    if not (write(item[0]) and put(": ") and write(item[1])):
                        return False
                elif not write(item):
                    return False
            return put("}" if isinstance(v, dict) else "]")
        return put(str(v))

    if write(value):
        return "".join(out)
    return "".join(out)[:limit] + "…"
