"""Reading YAML safely, keeping the line and column of every key and value.

We build Python values straight from PyYAML's parse *events* instead of using a loader:
the event stream is produced iteratively (no recursion, so deep nesting cannot crash us),
and building the tree ourselves lets us refuse what a teacher's or student's file must
never contain — duplicate keys, YAML tags such as ``!!python/object``, and aliases that
expand into a huge document (the "billion laughs") — with the exact line and column.

The result is ordinary ``dict``/``list``/scalar values; mappings and sequences are the
subclasses :class:`YMap` and :class:`YList`, which also remember positions.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path
from typing import Any

import yaml

from .errors import InputError, Pos

try:  # libyaml's parser is much faster; the pure-Python one gives the same events
    _Loader = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _Loader = yaml.SafeLoader

MAX_FILE_BYTES = 5_000_000
MAX_DEPTH = 64
MAX_NODES = 500_000  # after alias expansion
_PLAIN_TAGS = {
    None,
    "!",
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:seq",
    "tag:yaml.org,2002:map",
}


class YMap(dict):
    """A mapping that remembers where it, each key and each value stood."""

    def __init__(self, pos: Pos):
        super().__init__()
        self.pos = pos
        self.key_pos: dict[Any, Pos] = {}
        self.value_pos: dict[Any, Pos] = {}
        self.quoted: set = set()  # keys whose value was a quoted string (its text starts a column later)
        self.texts: dict[Any, str] = {}  # the source text of plain values that are not strings

    def text(self, key: Any) -> str:
        """The value under ``key`` as it was written (`1.10`, not 1.1; `010`, not 10)."""
        return self.texts.get(key, str(self.get(key)))

    def where(self, key: Any) -> Pos:
        """Position of the value under ``key`` (or of the mapping when absent)."""
        return self.value_pos.get(key, self.pos)


class YList(list):
    """A sequence that remembers where it and each item stood."""

    def __init__(self, pos: Pos):
        super().__init__()
        self.pos = pos
        self.item_pos: list[Pos] = []

    def where(self, index: int) -> Pos:
        return self.item_pos[index] if 0 <= index < len(self.item_pos) else self.pos


def position_of(container: Any, key: Any, default: Pos | None = None) -> Pos | None:
    """Position of ``container[key]`` if ``container`` is a YMap/YList."""
    if isinstance(container, (YMap, YList)):
        return container.where(key)
    return default


def _pos(mark, _tuple=tuple.__new__) -> Pos:
    # tuple.__new__ directly: Pos(...) goes through a Python-level __new__, and this runs
    # for every key and value of every sheet of a class.
    return _tuple(Pos, (mark.line + 1, mark.column + 1))


_MAX_DIGITS = 400  # longer numbers are refused (Python will not even convert 4,300+ digits)

# Plain scalars are resolved by the YAML 1.2 core schema (yaml.org/spec/1.2.2 §10.3.2), not
# PyYAML's YAML 1.1 rules: in 1.1, `010` is octal 8, `0557057` is 187951, `1_000` is 1000,
# `1:20` is 80, `yes`/`on` are booleans and `2001-12-14` is a date. A student writing 010
# means ten. Under 1.2 core, digits are decimal (`010`, `+010` are 10), `0o10` is octal and
# `0x10` hexadecimal, only true/false are booleans, and anything else (`0_10`, `yes`, `1:20`)
# is a string, which the number reader then accepts or refuses with a message.
_INT = re.compile(r"[-+]?[0-9]+")
_OCT = re.compile(r"0o[0-7]+")
_HEX = re.compile(r"0x[0-9a-fA-F]+")
_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?")
_INF = re.compile(r"[-+]?\.(?:inf|Inf|INF)")
_NAN = re.compile(r"\.(?:nan|NaN|NAN)")
_BOOLS = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_NULLS = frozenset(("", "~", "null", "Null", "NULL"))
_CORE_STARTS = frozenset("0123456789+-.~tTfFnN")  # a plain scalar starting otherwise is a string
_STR = "tag:yaml.org,2002:str"
_NOT_FOUND = object()


def _core_number(text: str, tag: str | None) -> Any:
    """The int or float ``text`` is under the 1.2 core schema, or _NOT_FOUND."""
    if len(text) > _MAX_DIGITS:
        return _NOT_FOUND
    if tag != "float":
        if _INT.fullmatch(text):
            return int(text)
        if text[:2] == "0o" and _OCT.fullmatch(text):  # the prefix first: most numbers have neither
            return int(text[2:], 8)
        if text[:2] == "0x" and _HEX.fullmatch(text):
            return int(text[2:], 16)
        if tag == "int":
            return _NOT_FOUND
    elif _INT.fullmatch(text):
        return float(text)  # !!float 1 is 1.0
    if _FLOAT.fullmatch(text):
        return float(text)
    if _INF.fullmatch(text):
        return float("-inf") if text[0] == "-" else float("inf")
    if _NAN.fullmatch(text):
        return float("nan")
    return _NOT_FOUND


def resolve_plain(text: str) -> Any:
    """The value of an untagged plain scalar under the YAML 1.2 core schema."""
    if text and text[0] not in _CORE_STARTS:
        return text
    if text in _NULLS:
        return None
    if text in _BOOLS:
        return _BOOLS[text]
    value = _core_number(text, None)
    return text if value is _NOT_FOUND else value


def _scalar(event, file: str) -> Any:
    """The Python value of a scalar: quoted ones are strings, plain ones by the 1.2 core
    schema, and an explicit tag (!!int 5) must fit its type."""
    tag = event.tag
    value = event.value
    if tag is None:
        if not event.implicit[0]:  # quoted or a block scalar: a string
            return value
        if len(value) > _MAX_DIGITS and value[:1] in "0123456789+-." and _FLOAT.fullmatch(value):
            raise InputError.at(file, _pos(event.start_mark), f"a number of {len(value):,} characters is too long; no homework needs it")
        if value == "<<":
            raise InputError.at(file, _pos(event.start_mark), "YAML merge keys ('<<') are not supported; write the keys out")
        return resolve_plain(value)
    kind = tag.rsplit(":", 1)[-1]
    if tag in ("!", _STR):
        return value
    if kind in ("int", "float"):
        result = _core_number(value, kind)
        if result is not _NOT_FOUND:
            return result
    elif kind == "bool" and value in _BOOLS:
        return _BOOLS[value]
    elif kind == "null" and value in _NULLS:
        return None
    raise InputError.at(file, _pos(event.start_mark), f"cannot read {value!r} as {kind}")


def parse_yaml(text: str, file: str) -> Any:
    """Parse one YAML document into YMap/YList/scalars; refuse anything unsafe."""
    root: Any = None
    stack: list[Any] = []  # open containers
    pending_key: list[Any] = []  # for each open YMap: the key waiting for its value, or a sentinel
    anchors: dict[str, tuple[Any, int, str | None]] = {}  # anchor -> (value, node count, scalar text)
    anchor_starts: list[tuple[str, int]] = []  # (anchor, node count at start) for open containers
    counts = [0]
    documents = 0
    NO_KEY = object()

    def add(value: Any, pos: Pos, size: int, quoted: bool = False, text: str | None = None) -> None:
        nonlocal root
        counts[0] += size
        if counts[0] > MAX_NODES:
            raise InputError.at(file, pos, f"the document expands to more than {MAX_NODES:,} values (aliases?); write it out plainly and smaller")
        if not stack:
            root = value
            return
        parent = stack[-1]
        if isinstance(parent, YList):
            parent.append(value)
            parent.item_pos.append(pos)
        elif pending_key[-1] is NO_KEY:
            if text is not None:  # a key is matched by its text as written: `1.10` is not `1.1`
                value = text
            if isinstance(value, (dict, list)):
                raise InputError.at(file, pos, "a mapping key must be a plain word or number, not a list or mapping")
            try:
                hash(value)
            except TypeError:  # pragma: no cover - scalars are hashable
                raise InputError.at(file, pos, "unhashable mapping key")
            if value in parent:
                first = parent.key_pos[value]
                raise InputError.at(file, pos, f"duplicate key '{value}' (first at line {first.line}); each key may appear once")
            pending_key[-1] = value
            parent.key_pos[value] = pos
        else:
            key = pending_key[-1]
            parent[key] = value
            parent.value_pos[key] = pos
            if quoted:
                parent.quoted.add(key)
            elif text is not None and not isinstance(value, str):
                parent.texts[key] = text
            pending_key[-1] = NO_KEY

    parser = _Loader(text)
    try:
        while (event := parser.get_event()) is not None:
            kind = type(event)
            if kind is yaml.DocumentStartEvent:
                documents += 1
                if documents > 1:
                    raise InputError.at(file, _pos(event.start_mark), "the file holds more than one YAML document ('---'); keep one per file")
                continue
            if kind in (yaml.StreamStartEvent, yaml.StreamEndEvent, yaml.DocumentEndEvent):
                continue
            pos = _pos(event.start_mark)
            tag = getattr(event, "tag", None)
            if tag not in _PLAIN_TAGS:
                raise InputError.at(file, pos, f"YAML tag '{tag}' is not allowed; write a plain value")
            if kind is yaml.ScalarEvent:
                value = _scalar(event, file)
                if event.style in ("|", ">"):  # a block scalar: its text starts on the next line
                    pos = _block_start(text, event.start_mark)
                add(value, pos, 1, event.style in ("'", '"'), event.value if event.implicit[0] else None)
                if event.anchor:
                    anchors[event.anchor] = (value, 1, event.value)
            elif kind is yaml.AliasEvent:
                if event.anchor not in anchors:
                    raise InputError.at(file, pos, f"alias '*{event.anchor}' refers to no anchor")
                value, size, source = anchors[event.anchor]
                add(value, pos, size, text=source)
            elif kind in (yaml.MappingStartEvent, yaml.SequenceStartEvent):
                if len(stack) >= MAX_DEPTH:
                    raise InputError.at(file, pos, f"nesting deeper than {MAX_DEPTH} levels; flatten the structure")
                container = YMap(pos) if kind is yaml.MappingStartEvent else YList(pos)
                add(container, pos, 1)
                stack.append(container)
                pending_key.append(NO_KEY)
                anchor_starts.append((event.anchor, counts[0]))
            elif kind in (yaml.MappingEndEvent, yaml.SequenceEndEvent):
                container = stack.pop()
                pending_key.pop()
                anchor, start = anchor_starts.pop()
                if anchor:
                    anchors[anchor] = (container, counts[0] - start + 1, None)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        if mark is not None and (text[mark.index:mark.index + 1] == "\t" or "tab character" in problem):
            problem = "a tab; YAML indents with spaces only: replace the tabs with spaces"
        raise InputError.at(file, _pos(mark) if mark else None, f"YAML syntax error: {problem}") from None
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        column = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        raise InputError.at(file, Pos(line, column), f"character {exc.character!r} is not allowed in YAML; remove it") from None
    except yaml.YAMLError as exc:
        message = " ".join(str(exc).split())
        raise InputError.at(file, None, f"YAML error: {message}") from None
    finally:
        parser.dispose()
    return root


def _block_start(text: str, mark) -> Pos:
    """Where the content of a `|` or `>` block scalar begins: the first character of the
    line after its indicator (so an expression's columns can be added to it)."""
    newline = text.find("\n", mark.index)
    if newline < 0:
        return _pos(mark)
    start = newline + 1
    column = len(text[start:]) - len(text[start:].lstrip(" "))
    return Pos(mark.line + 2, column + 1)


def _a(noun: str) -> str:
    return f"{'an' if noun[:1] in 'aeiou' else 'a'} {noun}"


def read_text(path: str | Path, what: str = "file", suffix: str = ".yaml") -> str:
    """Read a UTF-8 text file, refusing directories, binaries and huge files clearly.
    ``what`` and ``suffix`` say what the file should be: "answer sheet", ".yaml"."""
    name = str(path)
    try:
        info = os.stat(path)  # one stat: this runs once per sheet of a class
        mode = info.st_mode
    except FileNotFoundError:
        raise InputError.at(name, None, f"no such {what}; check the path") from None
    except OSError as exc:  # a symlink loop, a name too long, no permission...
        raise InputError.at(name, None, f"cannot read: {exc.strerror or exc}") from None
    if stat.S_ISDIR(mode):
        raise InputError.at(name, None, f"is a directory; give {_a(what)} ({suffix})")
    if not stat.S_ISREG(mode):  # a FIFO or a device would block or never end
        raise InputError.at(name, None, f"is not a regular file; give {_a(what)} ({suffix})")
    try:
        with open(path, "rb") as handle:
            # Ask for the size the stat gave, plus a byte: read(n) first allocates n bytes, and
            # 5 MB for every sheet of a class cost more than the parsing. Bounded even if the
            # size was a lie (a file that grew, a /proc file that claims 0 bytes).
            data = handle.read(min(info.st_size, MAX_FILE_BYTES) + 1)
            if len(data) > info.st_size:
                data += handle.read(MAX_FILE_BYTES + 1 - len(data))
    except OSError as exc:
        raise InputError.at(name, None, f"cannot read: {exc.strerror or exc}") from None
    if len(data) > MAX_FILE_BYTES:
        raise InputError.at(name, None, f"is larger than {MAX_FILE_BYTES:,} bytes, too large for {_a(what)}")
    return decode_text(data, name, what, suffix)


def decode_text(data: bytes, name: str, what: str = "file", suffix: str = ".yaml") -> str:
    """UTF-8 (with or without a byte-order mark), or UTF-16 with its byte-order mark (what
    Windows Notepad and PowerShell's ``>`` save); anything else is refused, saying what it
    looks like and where the first byte that is not UTF-8 is."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            if encoding.startswith("utf-32"):  # YAML allows it, but no editor a student uses writes it
                raise InputError.at(name, None, f"is {encoding.upper()} text; save it as UTF-8")
            try:
                text = data[len(bom):].decode(encoding)
            except UnicodeDecodeError as exc:
                raise InputError.at(name, None, f"starts as {encoding.upper()} but has a bad byte at offset {exc.start + len(bom)}; save it as UTF-8") from None
            break
    else:
        if b"\x00" in data:
            if _looks_utf16(data):
                raise InputError.at(name, None, "looks like UTF-16 text without a byte-order mark; save it as UTF-8")
            raise InputError.at(name, None, f"is a binary file, not {_a(what)} ({suffix})")
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = data.count(b"\n", 0, exc.start) + 1
            column = len(data[data.rfind(b"\n", 0, exc.start) + 1:exc.start].decode("utf-8", "replace")) + 1
            raise InputError.at(name, Pos(line, column), f"is not UTF-8 text (byte 0x{data[exc.start]:02X} here; Latin-1 or "
                                f"Windows-1252?); save it as UTF-8") from None
    if "\x00" in text:
        raise InputError.at(name, None, f"is a binary file, not {_a(what)} ({suffix})")
    return text


# Longest first: the UTF-32 LE mark begins with the UTF-16 LE one.
_BOMS = ((b"\xff\xfe\x00\x00", "utf-32-le"), (b"\x00\x00\xfe\xff", "utf-32-be"), (b"\xef\xbb\xbf", "utf-8"),
         (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))


def _looks_utf16(data: bytes) -> bool:
    """ASCII text saved as UTF-16: a NUL in every other byte."""
    sample = data[:200]
    return len(sample) >= 4 and (sample[1::2].count(0) == len(sample[1::2]) or sample[0::2].count(0) == len(sample[0::2]))


def load_yaml_file(path: str | Path, what: str = "file") -> Any:
    """Read and safely parse a YAML file; empty files are refused."""
    text = read_text(path, what)
    data = parse_yaml(text, str(path))
    if data is None:
        raise InputError.at(str(path), None, f"is empty; a {what} is a YAML mapping")
    return data
