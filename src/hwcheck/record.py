"""Frozen records: the small immutable value types of ``hwcheck solve``'s path.

A record lists its fields as annotations, with defaults as class attributes, as a frozen
dataclass does, and behaves like one: built by position or keyword, equal (and hashed) by
type and field values, shown as ``Name(field=value, ...)``, refusing attribute assignment.

Why not ``@dataclass(frozen=True)``: Python 3.11 writes each dataclass's ``__init__``,
``__repr__``, ``__eq__``, ``__hash__``, ``__setattr__`` and ``__delattr__`` as source text
and compiles it when the module is imported: about 3 M instructions a class, so the few
dozen records that solving a graph imports made up a fifth of ``hwcheck solve``'s start-up
(issue 8 §6, ``bench/bench_speed.py``). Here the methods are written once, for every record.
Mutable or factory-defaulted classes, built once per run, stay dataclasses.
"""

from __future__ import annotations

_MISSING = object()


class FrozenRecordError(AttributeError):
    """Raised on assignment to a record's attribute (records are values, like frozen dataclasses).

    Internal, not a HwcheckError: only a bug in hwcheck assigns to a record, and the CLI
    reports a bug as an internal error (exit 3)."""


class Record:
    """Base class of the frozen records; see the module docstring."""

    _fields: tuple[str, ...] = ()
    _defaults: dict[str, object] = {}

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        own = [name for name in cls.__dict__.get("__annotations__", {}) if name not in cls._fields]
        cls._fields = cls._fields + tuple(own)
        cls._defaults = {**cls._defaults, **{name: cls.__dict__[name] for name in own if name in cls.__dict__}}
        for name in own:  # the default lives in _defaults; a class attribute would hide a missing field
            if name in cls.__dict__:
                delattr(cls, name)
        cls.__match_args__ = cls._fields

    def __init__(self, *args, **kwargs) -> None:
        fields = self._fields
        if len(args) == len(fields) and not kwargs:  # the common case, kept quick
            self.__dict__.update(zip(fields, args))
            return
        name = type(self).__name__
        if len(args) > len(fields):
            raise TypeError(f"{name}() takes {len(fields)} arguments but {len(args)} were given")
        values = dict(zip(fields, args))
        for key, value in kwargs.items():
            if key not in fields:
                raise TypeError(f"{name}() got an unexpected keyword argument '{key}'")
            if key in values:
                raise TypeError(f"{name}() got multiple values for argument '{key}'")
            values[key] = value
        for field in fields[len(args):]:
            if field not in values:
                default = self._defaults.get(field, _MISSING)
                if default is _MISSING:
                    raise TypeError(f"{name}() missing required argument: '{field}'")
                values[field] = default
        self.__dict__.update((field, values[field]) for field in fields)

    def _values(self) -> tuple:
        return tuple(self.__dict__[field] for field in self._fields)

    def __eq__(self, other):
        if other.__class__ is self.__class__:
            return self._values() == other._values()
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        fields = ", ".join(f"{field}={self.__dict__[field]!r}" for field in self._fields)
        return f"{type(self).__qualname__}({fields})"

    def __setattr__(self, name, value):
        raise FrozenRecordError(f"cannot assign to field '{name}' of a {type(self).__name__}")

    def __delattr__(self, name):
        raise FrozenRecordError(f"cannot delete field '{name}' of a {type(self).__name__}")
