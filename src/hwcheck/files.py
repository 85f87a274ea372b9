"""Writing a file completely or not at all.

A report that a script uploads must never be half written (a full disk, Ctrl-C, a crash):
we write a temporary file in the same folder — so the final rename stays on one file
system and is atomic — flush it to disk, and ``os.replace`` it over the target.
"""

from __future__ import annotations

import os
import sys
import stat
import tempfile
from pathlib import Path

from .errors import InputError


def check_writable(path: str | Path, what: str = "report") -> None:
    """Refuse, before any work is done, a path whose folder is missing or not writable, or
    that is a folder, a FIFO or a device (writing would replace it, or block)."""
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    try:
        mode = os.stat(target).st_mode
    except (OSError, ValueError):
        mode = None
    if mode is not None and stat.S_ISDIR(mode):
        raise InputError.at(str(path), None, f"is a folder; give a file name for the {what}")
    if mode is not None and not stat.S_ISREG(mode):
        raise InputError.at(str(path), None, f"is a {_special(mode)}, not a regular file; give a file name for the {what}")
    if not folder.is_dir():
        raise InputError.at(str(path), None, f"folder '{folder}' does not exist; create it first")
    if not os.access(folder, os.W_OK):
        raise InputError.at(str(path), None, f"cannot write in folder '{folder}'")


def _special(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    return "socket" if stat.S_ISSOCK(mode) else "special file"


def _identity(path: str | Path) -> tuple[str, tuple[int, int] | None]:
    """A path resolved (symlinked folders, '..') and, for an existing file, its device and inode."""
    try:
        status = os.stat(path)
        node = (status.st_dev, status.st_ino)
    except (OSError, ValueError):
        node = None
    return os.path.realpath(path), node


def _same(a: tuple, b: tuple) -> bool:
    return a[0] == b[0] or (a[1] is not None and a[1] == b[1])


def same_file(a: str | Path, b: str | Path) -> bool:
    """True when two paths name one file: equal once resolved (symlinked folders, '..'),
    or, for existing files, the same device and inode (hard links, symlinks)."""
    return _same(_identity(a), _identity(b))


def check_outputs(outputs: list[tuple[str, str]], inputs: list[tuple[str, str]]) -> None:
    """Refuse, before any work, an output that is one of the inputs or another output.

    ``outputs`` and ``inputs`` are (what, path) pairs, e.g. ("--report", "r.json") and
    ("problem file", "p.yaml"): writing one would destroy the other. Each path is looked
    up once, however many outputs (a class may hand in thousands of inputs).
    """
    given = [(what, other, _identity(other)) for what, other in inputs]
    named = [(option, path, _identity(path)) for option, path in outputs]
    for index, (option, path, mine) in enumerate(named):
        for what, other, theirs in given:
            if _same(mine, theirs):
                raise InputError.at(path, None, f"{option} would overwrite the {what} {other}; write it to another file")
        for earlier, _, theirs in named[:index]:
            if _same(mine, theirs):
                raise InputError.at(path, None, f"{earlier} and {option} both name this file; give each its own")


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


def write_output(output: str | Path | None, text: str) -> None:
    """``text`` to the file ``output`` (whole or not at all), or to stdout when there is none."""
    if output:
        write_atomic(output, text)
    else:
        sys.stdout.write(text)
        sys.stdout.flush()


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
