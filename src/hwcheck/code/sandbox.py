"""Running a student's module in a sandboxed child process, and timing and killing it.

With bubblewrap (``bwrap``) on the machine, the child runs with every namespace unshared
(no network: only its own loopback; its own PID namespace, so it cannot signal hwcheck or
anything else; its own hostname and IPC), ``--die-with-parent`` and ``--new-session``,
capabilities dropped, a private tmpfs on /tmp, read-only binds of what Python and numpy
need, the submission's ``.py`` files read-only at /submission, and one writable scratch
folder (also its HOME and working directory). Its environment is emptied but for a few
variables. Inside, :mod:`.child` lowers its own rlimits (address space, CPU time, file
size, processes, no core dumps) before it imports the student's module.

Without bwrap the same child runs with the rlimits alone; hwcheck says so once on stderr
(``--sandbox require`` refuses instead). Every wait on the child has a wall-clock
deadline; a child that misses one is killed with its whole process group (and, under
bwrap, its whole PID namespace), and the next task starts a fresh one.
"""

from __future__ import annotations

import math
import mmap
import os
import select
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError
from . import protocol
from .protocol import Malformed, Reply

CHILD = Path(__file__).with_name("child.py")
MODES = ("auto", "require")
INSTALL_HINT = "install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap; Fedora: dnf install bubblewrap)"
STARTUP_TIMEOUT = 60.0  # sandbox start and `import numpy`, before any student code runs
MAX_SUBMISSION_FILES = 50
MAX_SUBMISSION_BYTES = 1 << 20  # per .py file


@dataclass(frozen=True)
class Limits:
    timeout: float = 10.0  # seconds of wall-clock time per call, and for the module's import
    train_timeout: float = 300.0  # seconds for a whole training task
    memory: int = 1 << 30  # bytes of address space beyond what Python and numpy hold
    cpu: int = 600  # seconds of CPU time for the child's whole life
    fsize: int = 16 << 20  # bytes of any file the child writes
    nproc: int = 64  # processes of the user (not enforced for root; the PID namespace is)

    def child_json(self) -> str:
        import json  # deliberate: the child's limits only; keeps the import of sandbox.py light

        return json.dumps({"memory": self.memory, "cpu": self.cpu, "fsize": self.fsize, "nproc": self.nproc})


class ChildFailed(Exception):
    """The child gave no reply: it timed out, crashed, ran out of a limit or sent garbage.

    Internal, not a HwcheckError: code/grade.py turns it into the submission's verdict, so
    it never reaches the user as an exit."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.message = message
        self.code = code
        self.call: int | None = None  # in a list of calls: the index of the one that never returned


_bwrap_checked: dict[str, str | None] = {}


def find_bwrap() -> str | None:
    """The path of a bwrap that works here (user namespaces allowed), or None; tried once."""
    if "path" not in _bwrap_checked:
        path = shutil.which("bwrap")
        if path is not None:
            try:
                probe = subprocess.run([path, "--unshare-all", "--die-with-parent", "--ro-bind", "/", "/", "true"],
                                       capture_output=True, timeout=30)
                path = path if probe.returncode == 0 else None
            except (OSError, subprocess.TimeoutExpired):
                path = None
        _bwrap_checked["path"] = path
    return _bwrap_checked["path"]


def sandbox_program(mode: str) -> str | None:
    """bwrap's path, or None when running without it (after saying so once on stderr)."""
    if mode not in MODES:
        raise InputError.at("--sandbox", None, f"unknown mode '{mode}'; choose auto (bubblewrap when installed) or require")
    path = find_bwrap()
    if path is None:
        if mode == "require":
            raise InputError.at("--sandbox", None, f"require: bubblewrap (bwrap) is not installed or cannot create namespaces here; {INSTALL_HINT}")
        print(f"warning: student code runs with time and memory limits but is NOT isolated (no bubblewrap): it can read your files and use the network; {INSTALL_HINT}, or use --sandbox require", file=sys.stderr)
    return path


def _system_binds() -> list[str]:
    """Read-only binds of what the interpreter and numpy need, and the /lib links."""
    args: list[str] = []
    for name in ("usr", "lib", "lib64", "lib32", "bin", "sbin"):
        path = Path("/") / name
        if path.is_symlink():
            args += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            args += ["--ro-bind", str(path), str(path)]
    import numpy  # deliberate: only to find the folders to bind into the sandbox

    folders = {sys.prefix, sys.base_prefix, sys.exec_prefix, os.path.dirname(os.path.dirname(numpy.__file__))}
    folders.add(os.path.dirname(os.path.realpath(sys.executable)))
    for folder in sorted(folders):
        if os.path.isdir(folder) and not folder.startswith(("/usr/", "/lib")) and folder != "/usr":
            args += ["--ro-bind", folder, folder]
    for file in ("/etc/ld.so.cache", "/etc/ld.so.conf"):
        if os.path.exists(file):
            args += ["--ro-bind", file, file]
    return args


# glibc's malloc keeps what is freed (up to 128 MB at the heap's top) and takes arrays of
# up to 32 MB from the heap, instead of giving freed arrays back to the kernel and
# faulting their pages in again at the next allocation: a training step of the shipped
# problem (its calls' copies of their arguments, its results) otherwise costs about 200
# page faults, and the sandboxed training about half its time (docs/code.md, Speed).
# Other C libraries ignore these variables.
MALLOC = {"GLIBC_TUNABLES": "glibc.malloc.trim_threshold=134217728:glibc.malloc.mmap_threshold=33554432",
          "MALLOC_TRIM_THRESHOLD_": "134217728", "MALLOC_MMAP_THRESHOLD_": "33554432"}  # the same, for glibc before 2.26
ENVIRONMENT = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
               "PYTHONHASHSEED": "0", **MALLOC}


def copy_submission(source: str, module: str, target: Path) -> None:
    """The submission's .py files into ``target``: a file becomes MODULE.py; a folder's
    top-level .py files are copied as they are (helper modules too). Nothing else is."""
    target.mkdir()
    path = Path(source)
    if path.is_file():
        files = [(path, f"{module}.py")]
    else:  # symbolic links inside a submission are never followed: one could point at /etc/shadow
        files = [(p, p.name) for p in sorted(path.glob("*.py")) if p.is_file() and not p.is_symlink()][:MAX_SUBMISSION_FILES]
    for file, name in files:
        try:
            with open(file, "rb") as handle:
                data = handle.read(MAX_SUBMISSION_BYTES + 1)
        except OSError as error:
            raise ChildFailed(f"cannot read {file.name}: {error.strerror or error}", "import-failed") from None
        if len(data) > MAX_SUBMISSION_BYTES:
            raise ChildFailed(f"{file.name} is larger than {MAX_SUBMISSION_BYTES:,} bytes", "import-failed")
        (target / name).write_bytes(data)


ARENA_BYTES = 64 << 20  # memory shared with the child: 32 MB of arguments, 32 MB of results
PIPE_SIZE = 1 << 20  # Linux's default pipe-max-size: a (300, 100) array in one go


def _widen(fd: int) -> None:
    """A 1 MB pipe instead of 64 kB: a training call's arrays cross in one write, not four
    round trips of the scheduler (measured: about 3x faster per call; bench/bench_code.py)."""
    try:
        import fcntl  # deliberate: POSIX only, and only for the pipe

        fcntl.fcntl(fd, getattr(fcntl, "F_SETPIPE_SZ", 1031), PIPE_SIZE)
    except OSError:
        pass  # a lower pipe-max-size: smaller pipes still work


class Child:
    """One sandboxed process serving one submission's module, started by :meth:`start`."""

    def __init__(self, submission: str, module: str, limits: Limits, bwrap: str | None):
        self.submission, self.module, self.limits, self.bwrap = submission, module, limits, bwrap
        self.process: subprocess.Popen | None = None
        self.folder: Path | None = None
        self.output = protocol.Output()  # what the student's code wrote, as the child counted it
        self.arena: mmap.mmap | None = None
        self._budget = limits.timeout  # seconds of the wait in progress, for the message
        self._list: list[str] | None = None  # the functions of the list of calls in progress
        self._running: tuple[int, float] = (0, 0.0)  # the list's call index + 1 and when it was first seen

    # -- life --------------------------------------------------------------------------
    def start(self) -> Reply:
        """Start the child and import the module; a Reply with ``error`` when the import failed.

        Raises ChildFailed when the import timed out or the process died."""
        self.folder = Path(tempfile.mkdtemp(prefix="hwcheck-"))
        code_dir, scratch = self.folder / "submission", self.folder / "scratch"
        copy_submission(self.submission, self.module, code_dir)
        scratch.mkdir()
        arena = self.folder / "arena"
        with open(arena, "wb") as handle:
            handle.truncate(ARENA_BYTES)  # sparse: pages exist only where arrays were written
        with open(arena, "r+b") as handle:
            self.arena = mmap.mmap(handle.fileno(), ARENA_BYTES)
        log = open(self.folder / "log", "wb")
        if self.bwrap:
            argv = [self.bwrap, "--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL",
                    # /tmp first: the binds after it land on top of the private tmpfs, so an
                    # interpreter or checkout that lives under /tmp stays visible inside.
                    "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", *_system_binds(),
                    "--ro-bind", str(CHILD), "/hwcheck/child.py", "--ro-bind", str(code_dir), "/submission",
                    "--bind", str(scratch), "/scratch", "--bind", str(arena), "/arena", "--chdir", "/scratch", "--clearenv",
                    *[a for k, v in {**ENVIRONMENT, "HOME": "/scratch", "TMPDIR": "/tmp"}.items() for a in ("--setenv", k, v)],
                    sys.executable, "-I", "-B", "/hwcheck/child.py", "/submission", self.module, self.limits.child_json(), "/arena"]
            env = dict(ENVIRONMENT)
        else:
            argv = [sys.executable, "-I", "-B", str(CHILD), str(code_dir), self.module, self.limits.child_json(), str(arena)]
            env = {**ENVIRONMENT, "HOME": str(scratch), "TMPDIR": str(scratch)}
        try:
            self.process = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, cwd=scratch,
                                            env=env, start_new_session=True, close_fds=True)
        except OSError as error:
            raise ChildFailed(f"the sandbox could not be started: {error.strerror or error}", "crashed") from None
        finally:
            log.close()
        for stream in (self.process.stdin, self.process.stdout):
            _widen(stream.fileno())
        os.set_blocking(self.process.stdin.fileno(), False)
        os.set_blocking(self.process.stdout.fileno(), False)
        self._budget = STARTUP_TIMEOUT
        self._receive(time.monotonic() + STARTUP_TIMEOUT, "starting Python and numpy")
        self._budget = self.limits.timeout
        return self._receive(time.monotonic() + self.limits.timeout, f"importing {self.module}.py")

    def close(self) -> None:
        """Kill the child and everything it started; remove its folder."""
        if self.process is not None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)  # the session hwcheck gave it; bwrap's PID namespace dies with it
            except (ProcessLookupError, PermissionError):
                pass
            for stream in (self.process.stdin, self.process.stdout):
                try:
                    stream.close()
                except OSError:
                    pass
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                pass
            self.process = None
        if self.arena is not None:
            self.arena.close()
            self.arena = None
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    # -- calls -------------------------------------------------------------------------
    def call(self, function: str, args: list[Any], timeout: float | None = None, check_inputs: bool = True) -> Reply:
        """Call ``function(*args)`` in the child; raises ChildFailed (and closes) when it gives
        no reply. ``check_inputs`` asks the child to report arguments changed in place."""
        if self.process is None:
            raise ChildFailed("the process had already ended", "crashed")
        self._budget = timeout or self.limits.timeout
        deadline = time.monotonic() + self._budget
        self._send(protocol.request(function, args, check_inputs, self.arena), deadline)
        return self._receive(deadline, f"calling {function}")

    def run(self, calls: list[protocol.Call], store: dict[str, Any] | None = None, repeat: int = 1, timeout: float | None = None) -> list[Reply]:
        """Call a list of functions in one message, ``repeat`` times over (see
        :class:`protocol.Call`; ``store`` replaces the values the child keeps first): a
        reply per call evaluated (calls × repeat at most), the last
        one an error when a call raised. Each call has ``timeout`` seconds, timed by the
        index the child writes in the shared memory before it starts one. On ChildFailed
        (and a close), ``failed.call`` is the index of the call that never returned, when known."""
        if self.process is None:
            raise ChildFailed("the process had already ended", "crashed")
        self._budget = timeout or self.limits.timeout
        # The whole list's deadline is a backstop (the student's code can write the index
        # too), no longer than a whole training may take: lists are a training's steps.
        deadline = time.monotonic() + min(self._budget * len(calls) * repeat, self.limits.train_timeout)
        struct.pack_into("<q", self.arena, 0, 0)
        self._list, self._running = [call.function for call in calls] * repeat, (0, time.monotonic())
        try:
            self._send(protocol.batch_request(calls, store, self.arena, repeat), deadline)
            return self._receive(deadline, f"calling {', '.join(dict.fromkeys(self._list))}", len(self._list))
        except ChildFailed as failed:
            failed.call = self._running[0] - 1 if 0 < self._running[0] <= len(self._list) else None
            raise
        finally:
            self._list = None

    def _watch(self, deadline: float) -> float:
        """The deadline of the wait: in a list, ``timeout`` after the running call started."""
        if self._list is None or self.arena is None:
            return deadline
        (index,) = struct.unpack_from("<q", self.arena, 0)
        if index != self._running[0]:
            self._running = (index, time.monotonic())
        return min(deadline, self._running[1] + self._budget)

    def _doing(self, doing: str) -> str:
        index = self._running[0] - 1
        if self._list is not None and 0 <= index < len(self._list):
            return f"calling {self._list[index]} (call {index + 1} of the list)"
        return doing

    def _send(self, buffers: list, deadline: float) -> None:
        """The whole request in as few writev calls as the pipe allows (see child.send)."""
        fd = self.process.stdin.fileno()
        views = [memoryview(b) for b in buffers]
        while views:
            try:
                written = os.writev(fd, views)
            except BlockingIOError:
                self._wait(fd, select.POLLOUT, deadline, "sending the arguments")
                continue
            except OSError:  # BrokenPipeError: the child is gone
                self._died("sending the arguments")
            while views and written >= len(views[0]):
                written -= len(views[0])
                views.pop(0)
            if views:
                views[0] = views[0][written:]

    def _receive(self, deadline: float, doing: str, calls: int | None = None):
        """One reply (or, for a list of ``calls`` calls, the list's replies)."""
        try:
            length = protocol.header_length(self._read(4, deadline, doing))
            header, specs = protocol.parse_header(self._read(length, deadline, doing), len(self.arena) if self.arena is not None else 0)
            arrays = []
            # The arena's results copied out at once (the next call reuses the arena), in one
            # memcpy: a training step's 16 arrays, copied one by one, cost twice as much.
            placed = [(offset, offset + math.prod(shape) * dtype.itemsize) for dtype, shape, offset in specs if offset is not None]
            low = min((a for a, _ in placed), default=0)
            results = np.frombuffer(self.arena, np.uint8, max((b for _, b in placed), default=low) - low, low).copy()
            for dtype, shape, offset in specs:
                if offset is not None:
                    arrays.append(results[offset - low:offset - low + math.prod(shape) * dtype.itemsize].view(dtype).reshape(shape))
                    continue
                array = np.empty(shape, dtype=dtype)
                if array.size:
                    self._read_into(memoryview(array.reshape(-1)).cast("B"), deadline, doing)
                arrays.append(array)
            self.output = self.output.merged(protocol.output_of(header))
            if calls is not None:
                return protocol.batch_replies(header, arrays, calls)
            if header.get("ready") in ("numpy", "module"):
                reply = Reply()
            else:
                reply = protocol.reply_of(header, arrays)
        except Malformed as bad:
            self.close()
            raise ChildFailed(f"the process sent {bad} while {doing}", "crashed") from None
        return reply

    def _read(self, n: int, deadline: float, doing: str) -> bytearray:
        buffer = bytearray(n)
        self._read_into(memoryview(buffer), deadline, doing)
        return buffer

    def _read_into(self, view: memoryview, deadline: float, doing: str) -> None:
        """Read exactly len(view) bytes; poll only when the pipe is empty (a reply arrives
        in one writev, so most reads find their bytes already there)."""
        fd = self.process.stdout.fileno()
        got = 0
        while got < len(view):
            try:
                k = os.readv(fd, [view[got:]])
            except BlockingIOError:
                self._wait(fd, select.POLLIN, deadline, doing)
                continue
            if k == 0:
                self._died(doing)
            got += k

    def _wait(self, fd: int, event: int, deadline: float, doing: str) -> None:
        poller = select.poll()
        poller.register(fd, event)
        while True:
            left = self._watch(deadline) - time.monotonic()
            if left <= 0:
                doing = self._doing(doing)
                self.close()
                raise ChildFailed(f"no result after {self._budget:g} s while {doing} (an endless loop, or waiting on something?); it was stopped", "timeout")
            events = poller.poll(min(left, 1.0) * 1000)
            if events:
                if events[0][1] & (select.POLLERR | select.POLLNVAL) or (event == select.POLLOUT and events[0][1] & select.POLLHUP):
                    self._died(doing)
                return

    def _died(self, doing: str):
        if self._list is not None and self.arena is not None:
            self._watch(0.0)  # the call that was running, read before the arena goes
        doing = self._doing(doing)
        process = self.process
        status = process.wait(timeout=30) if process is not None else None
        log = self._log_head()
        self.close()
        if status is not None and status < 0:
            name = signal.Signals(-status).name if -status in signal.Signals._value2member_map_ else f"signal {-status}"
            why = {"SIGXCPU": ("ran out of CPU time", "cpu-limit"), "SIGKILL": ("was killed (out of memory or a limit)", "crashed")}.get(name, (f"was killed by {name}", "crashed"))
            raise ChildFailed(f"the process {why[0]} while {doing}", why[1])
        detail = f"; it said: {log}" if log else ""
        raise ChildFailed(f"the process ended (exit status {status}) while {doing}: os._exit, sys.exit in a thread, or a crash{detail}", "crashed")

    def _log_head(self) -> str:
        """The first line of what bwrap or Python wrote on stderr before dying (for bad setups)."""
        if self.folder is None:
            return ""
        try:
            with open(self.folder / "log", "rb") as handle:
                text = handle.read(300).decode("utf-8", "replace").strip()
        except OSError:
            return ""
        return text.splitlines()[0][:200] if text.startswith("bwrap:") else ""
