"""Hostile submissions in one class (issue 11): each is contained, costs only the tasks it
breaks, the rest of the class is graded, nothing is written outside the scratch folder,
and nothing of the machine leaks into the report.

Run for real with bubblewrap (`--sandbox require`); locally a missing bwrap skips them,
in CI it fails them. Timeouts are generous; no test asserts an elapsed time.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import uuid

import numpy as np
import pytest

from hwcheck.code import protocol
from hwcheck.code.protocol import Malformed
from support import CONTRACT, PROBLEMS, run_cli

PROBLEM = PROBLEMS / "numpy_net.yaml"
CAROL = (CONTRACT / "submissions" / "carol" / "hw4.py").read_text()


def needs_bwrap():
    from hwcheck.code.sandbox import find_bwrap

    if find_bwrap() is None:
        message = "bubblewrap is not installed or cannot create namespaces here: apt-get install bubblewrap"
        if os.environ.get("CI"):
            pytest.fail(message + " (CI must install it)")
        pytest.skip(message)


def carol_with(prelude: str = "", replace: tuple[str, str] | None = None) -> str:
    source = CAROL.replace('import numpy as np\n', 'import numpy as np\n' + prelude + "\n", 1)
    if replace:
        assert replace[0] in source
        source = source.replace(*replace)
    return source


@pytest.fixture(scope="module")
def hostile_class(tmp_path_factory):
    """Grade one class of hostile students (and two honest ones) once; the tests read it."""
    needs_bwrap()
    root = tmp_path_factory.mktemp("hostile")
    mark = uuid.uuid4().hex
    home = os.path.expanduser("~")
    secret = root / "secret.txt"
    secret.write_text(f"SECRET-{mark}")
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    listener.setblocking(False)
    port = listener.getsockname()[1]
    pwned = root / f"pwned-{mark}"
    students = {
        "honest": CAROL,
        "loop": carol_with(replace=("    return np.maximum(x, 0.0)", "    while True:\n        pass")),
        "sleepy": carol_with("import time\ntime.sleep(10_000)"),
        "greedy": carol_with(replace=("    return x @ w + b", "    big = np.ones(50 * 10**9 // 8)\n    return x @ w + b")),
        "forker": carol_with("import os, time\nfor _ in range(20):\n    if os.fork() == 0:\n        time.sleep(600)\n        os._exit(0)"),
        "writer": carol_with(f"import os\nopen('/tmp/hwcheck-{mark}', 'w').write('x')\nopen(os.path.join(os.path.expanduser('~'), 'hwcheck-{mark}'), 'w').write('x')\n"
                             f"open('{home}/hwcheck-{mark}-abs', 'w').write('x') if os.path.isdir('{home}') else None"),
        "reader": carol_with(f"try:\n    STOLEN = open('{secret}').read()\nexcept Exception as exc:\n    STOLEN = 'none: ' + type(exc).__name__",
                             ("    return x @ w + b", "    raise ValueError(STOLEN)")),
        "caller": carol_with(f"import socket\ntry:\n    socket.create_connection(('127.0.0.1', {port}), timeout=2).sendall(b'{mark}')\nexcept OSError:\n    pass"),
        "parricide": carol_with("import os\nos.kill(os.getppid(), 9)"),
        "quitter": carol_with("import os\nos._exit(0)"),
        "pickler": carol_with(f"import os\nclass Evil:\n    def __reduce__(self):\n        return (os.system, ('touch {pwned}',))",
                              ("    return x @ w + b", "    return Evil()")),
        "stubborn": carol_with("import signal\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)",
                               ("    return param - lr * dparam", "    while True:\n        pass")),
        "chatty": carol_with("import os\nprint('x' * 200_000_000)\ntry:\n    os.write(1, b'y' * 200_000_000)\nexcept OSError:\n    pass"),
        "honest2": CAROL,
    }
    klass = root / "class"
    for name, source in students.items():
        (klass / name).mkdir(parents=True)
        (klass / name / "hw4.py").write_text(source)
    report = root / "report.json"
    done = subprocess.run(
        [sys.executable, "-m", "hwcheck", "grade", str(PROBLEM), str(klass), "--report", str(report),
         "--sandbox", "require", "--timeout", "5", "-j", "2", "--width", "200"],
        capture_output=True, text=True, timeout=1200, env={**os.environ, "NO_COLOR": "1"},
    )
    try:
        connection, _ = listener.accept()
        received = connection.recv(100)
    except BlockingIOError:
        received = b""
    listener.close()
    return {"done": done, "report": json.loads(report.read_text()) if report.exists() else None, "mark": mark, "home": home,
            "received": received, "pwned": pwned, "secret": secret.read_text()}


def sheets(run) -> dict:
    return {s["student"]: {r["id"]: r for r in s["results"]} for s in run["report"]["sheets"]}


def test_the_class_is_graded_and_hwcheck_survives(hostile_class):
    done = hostile_class["done"]
    assert done.returncode == 1, done.stderr[-2000:]
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr
    graded = sheets(hostile_class)
    assert len(graded) == 14
    # os.kill(os.getppid(), 9) signals the sandbox's own init (PID 1 of its namespace), which
    # ignores it: hwcheck is out of reach, and the module goes on to be graded.
    for name in ("honest", "honest2", "writer", "caller", "forker", "chatty", "parricide"):
        assert all(r["correct"] for r in graded[name].values()), (name, [r["feedback"] for r in graded[name].values() if not r["correct"]])


def test_each_hostile_submission_costs_only_its_own_tasks(hostile_class):
    graded = sheets(hostile_class)

    def wrong(name):
        return {i for i, r in graded[name].items() if not r["correct"]}

    assert wrong("loop") == {"C2", "C9"} and graded["loop"]["C2"]["mistakes"] == ["timeout"]
    assert wrong("greedy") == {"C1", "C9"} and graded["greedy"]["C1"]["mistakes"] == ["memory"]
    assert wrong("pickler") == {"C1", "C9"} and graded["pickler"]["C1"]["mistakes"] == ["wrong-type"]
    assert "Evil" in graded["pickler"]["C1"]["feedback"]
    assert wrong("stubborn") == {"C8", "C9"} and graded["stubborn"]["C8"]["mistakes"] == ["timeout"]
    assert wrong("reader") == {"C1", "C9"}
    for name in ("sleepy", "quitter"):
        assert wrong(name) == set(graded[name]), name
        assert all(r["mistakes"][0] == "import-failed" for r in graded[name].values()), name
    assert graded["sleepy"]["C1"]["feedback"].startswith("wrong: hw4.py could not be imported: no result after 5 s")
    assert "exit status" in graded["quitter"]["C1"]["feedback"]


def test_nothing_written_outside_the_scratch_folder(hostile_class):
    mark, home = hostile_class["mark"], hostile_class["home"]
    assert not os.path.exists(f"/tmp/hwcheck-{mark}")
    assert not os.path.exists(os.path.join(home, f"hwcheck-{mark}"))
    assert not os.path.exists(os.path.join(home, f"hwcheck-{mark}-abs"))
    assert not hostile_class["pwned"].exists()  # the __reduce__ was never called
    leftovers = [f for f in os.listdir("/tmp") if f.startswith("hwcheck-") and mark in f]
    assert leftovers == []


def test_no_network_and_no_secrets(hostile_class):
    assert hostile_class["received"] == b""
    text = json.dumps(hostile_class["report"]) + hostile_class["done"].stdout + hostile_class["done"].stderr
    assert hostile_class["secret"] not in text
    assert "none: FileNotFoundError" in sheets(hostile_class)["reader"]["C1"]["feedback"]


def test_no_process_outlives_the_grading(hostile_class):
    listed = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    # this interpreter's children only (the python and its bwrap both name it): other
    # checkouts on the machine may be grading at the same moment
    ours = [line for line in listed.splitlines() if "hwcheck/child.py" in line and sys.executable in line]
    assert ours == []


def test_printing_is_counted_not_reported(hostile_class):
    (chatty,) = [s for s in hostile_class["report"]["sheets"] if s["student"] == "chatty"]
    assert any("200,000,0" in w for w in chatty["warnings"])
    assert "xxxxxxxx" not in json.dumps(hostile_class["report"])


def test_require_without_bubblewrap_is_an_error(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    done = run_cli("grade", PROBLEM, CONTRACT / "submissions" / "carol" / "hw4.py", "--sandbox", "require", env={"PATH": str(bin_dir)})
    assert done.returncode == 2 and "bubblewrap" in done.stderr and "Traceback" not in done.stderr


def test_without_bubblewrap_the_limits_still_apply_and_a_warning_says_so(tmp_path):
    folder = tmp_path / "loop"
    folder.mkdir()
    (folder / "hw4.py").write_text(carol_with(replace=("    return np.maximum(x, 0.0)", "    while True:\n        pass")))
    report = tmp_path / "r.json"
    done = run_cli("grade", PROBLEM, folder, "--report", report, "--timeout", "3", env={"PATH": str(tmp_path)})
    assert done.returncode == 1
    assert done.stderr.count("NOT isolated") == 1 and "apt-get install bubblewrap" in done.stderr
    results = {r["id"]: r for r in json.loads(report.read_text())["sheets"][0]["results"]}
    assert results["C2"]["mistakes"] == ["timeout"] and results["C1"]["correct"]


# -- the pipe's format: what the parent accepts from the child -------------------------------


def header(**arrays_spec):
    return json.dumps({"value": {"a": 0}, "arrays": [arrays_spec]}).encode()


@pytest.mark.parametrize("spec", [
    {"dtype": "|O", "shape": [2]},  # objects: never
    {"dtype": "<U5", "shape": [2]},
    {"dtype": "<f8", "shape": [10**6, 10**6]},  # 8 TB
    {"dtype": "<f8", "shape": [-1]},
    {"dtype": "<f8", "shape": [1] * 9},
    {"dtype": "<f8", "shape": [4], "offset": 0},  # outside the results' half
    {"dtype": "<f8", "shape": [4], "offset": 1000 - 8},  # past the end
])
def test_bad_array_headers_are_refused_before_reading(spec):
    with pytest.raises(Malformed):
        protocol.parse_header(header(**spec), arena_size=1000)


def test_a_good_header_and_reply():
    data, arrays = protocol.parse_header(header(dtype="<f8", shape=[2, 3], offset=504), arena_size=1000)
    assert arrays == [(np.dtype("<f8"), (2, 3), 504)]
    reply = protocol.reply_of(data, [np.zeros((2, 3))])
    assert reply.value.shape == (2, 3) and reply.error is None
    with pytest.raises(Malformed):
        protocol.reply_of({"value": {"pickle": "gASV"}}, [])
    assert protocol.reply_of({"value": {"other": "Evil" * 100}}, []).value.type_name == ("Evil" * 25)
