"""Writing a file completely or not at all.

A report that a script uploads must never be half written (a full disk, Ctrl-C, a crash):
we write a temporary file in the same folder — so the final rename stays on one file
system and is atomic — flush it to disk, and ``os.replace`` it over the target.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .errors import InputError


def check_writable(path: str | Path, what: str = "report") -> None:
    """Refuse, before any work is done, a path whose folder is missing or not writable."""
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    if target.is_dir():
        raise InputError.at(str(path), None, f"is a folder; give a file name for the {what}")
    if not folder.is_dir():
        raise InputError.at(str(path), None, f"folder '{folder}' does not exist; create it first")
    if not os.access(folder, os.W_OK):
        raise InputError.at(str(path), None, f"cannot write in folder '{folder}'")


def write_atomic(path: str | Path, data: str | bytes, encoding: str = "utf-8", newline: str | None = None) -> None:
    """Write text (or bytes) to `path` completely, or leave what was there untouched."""
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    if target.exists() and not target.is_file():
        raise InputError.at(str(path), None, "is not a regular file (a folder, device or pipe); give a file name")
    try:
        _write_then_rename(target, folder, data, encoding, newline)
    except OSError as error:  # a full disk, a read-only folder, a name that is a folder...
        raise InputError.at(str(path), None, f"cannot write: {error.strerror or error}; nothing was written") from None


def _write_then_rename(target: Path, folder: Path, data, encoding: str, newline: str | None) -> None:
    fd, temp = tempfile.mkstemp(dir=folder, prefix=f".{target.name}.", suffix=".tmp")
    try:
        binary = isinstance(data, bytes)
        with os.fdopen(fd, "wb" if binary else "w", **({} if binary else {"encoding": encoding, "newline": newline})) as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, 0o666 & ~_umask())  # mkstemp makes 0600; reports and pictures are meant to be shared
        os.replace(temp, target)
    except BaseException:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
