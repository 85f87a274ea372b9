"""Hostile and odd inputs through the command line: no traceback, no hang, the right exit code.

The standard (docs/format.md "Exit codes and errors", docs/grading.md "Exit codes"): every
refusal is one line per fault on stderr, `error: FILE:LINE:COL: message`, `error: FILE:
message` or `error: message`, with exit code 2; `grade` reports a broken *sheet* in its
results, grades the others and exits 1; never a Python traceback, never an "internal
error" (exit 3), never a hang, and nothing in a file is ever executed.

Most cases run in-process through `hwcheck.cli.main` (many files per call where the command
takes several); the ones that could hang or eat memory run as real subprocesses with a
timeout and an address-space limit, so a failing test fails in seconds.
"""

from __future__ import annotations

import copy
import io
import json
import os
import pty
import resource
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hwcheck.cli import main
from support import CONTRACT, PROBLEMS, contract_problems

FORMATS = ["terminal", "json", "markdown", "latex", "dot"]
SHIPPED = sorted(PROBLEMS.glob("*.yaml"))
RESIDUAL = PROBLEMS / "residual_relu.yaml"
ALICE = CONTRACT / "alice_residual_relu.yaml"
HWCHECK = [sys.executable, "-m", "hwcheck"]


# ---------------------------------------------------------------- helpers


@pytest.fixture
def run(capsys, monkeypatch):
    """hwcheck in-process: (exit code, stdout, stderr)."""
    monkeypatch.delenv("HWCHECK_DEBUG", raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "120")

    def _run(*argv, stdin: str = ""):
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        capsys.readouterr()
        try:
            main([str(a) for a in argv])
            code = 0
        except SystemExit as done:
            code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
        out, err = capsys.readouterr()
        return code, out, err

    return _run


def _limit_memory():  # runs in the child: a runaway allocation fails fast instead of swapping
    limit = 2 * 2**30
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def run_real(*args, timeout: float = 90, stdin=subprocess.DEVNULL) -> subprocess.CompletedProcess:
    """The real entry point as a subprocess, bounded in time and memory."""
    command = [*HWCHECK, *map(str, args)]
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "120", "OPENBLAS_NUM_THREADS": "1"}
    env.pop("HWCHECK_DEBUG", None)
    start = time.monotonic()
    try:
        return subprocess.run(command, capture_output=True, text=True, timeout=timeout, stdin=stdin,
                              env=env, preexec_fn=_limit_memory)
    except subprocess.TimeoutExpired:
        pytest.fail(f"hang: `hwcheck {' '.join(map(str, args))}` still running after {time.monotonic() - start:.0f} s")


def no_crash(err: str, what: str = "") -> None:
    assert "Traceback" not in err, f"{what}: traceback\n{err[-2000:]}"
    assert "internal error" not in err, f"{what}: internal error (exit 3) on bad input\n{err[-2000:]}"


def assert_refused(code: int, err: str, what: str = "") -> None:
    """Exit 2 with one `error: ...` line per fault and nothing else on stderr."""
    no_crash(err, what)
    assert code == 2, f"{what}: exit {code}, expected 2; stderr:\n{err[-2000:]}"
    lines = err.splitlines()
    assert lines, f"{what}: refused without a message"
    stray = [line for line in lines if not line.startswith("error: ")]
    assert not stray, f"{what}: stderr lines not of the form 'error: ...': {stray[:5]}"


def assert_well_behaved(code: int, err: str, what: str = "") -> None:
    """A problem command either succeeds silently on stderr (0) or refuses properly (2)."""
    no_crash(err, what)
    assert code in (0, 2), f"{what}: exit {code}; stderr:\n{err[-2000:]}"
    if code == 2:
        assert_refused(code, err, what)
    else:
        assert err == "", f"{what}: exit 0 but stderr is\n{err[-2000:]}"


def graph_file(folder: Path, name: str, steps: dict[str, str], inputs: str = "{x: 1.0}", params: str = "{}",
               extra: str = "") -> Path:
    body = "".join(f"  {k}: '{v.replace(chr(39), chr(39) * 2)}'\n" for k, v in steps.items())
    path = folder / f"{name}.yaml"
    path.write_text(f"id: {name.replace('_', '-')}\nkind: graph\ninputs: {inputs}\nparams: {params}\nsteps:\n{body}{extra}",
                    encoding="utf-8")
    return path


def culprits(run, argv_prefix, files, limit=3) -> str:
    """After a batch went wrong: which files, run one at a time, crash (for the message)."""
    found = []
    for path in files:
        code, _, err = run(*argv_prefix, path)
        if code not in (0, 1, 2) or "internal error" in err or "Traceback" in err:
            found.append(f"--- {path} (exit {code}): {err.strip()[-300:]}\n{Path(path).read_text(encoding='utf-8')[:600]}")
            if len(found) >= limit:
                break
    return "\n".join(found)


def ok_files(out: str) -> set[str]:
    """The files `hwcheck validate` said ok for."""
    return {line.split(": ok (")[0] for line in out.splitlines() if ": ok (" in line}


# ---------------------------------------------------------------- the shipped problems


@pytest.mark.parametrize("path", [pytest.param(p, id=p.name) for p in SHIPPED] + contract_problems())
def test_shipped_problems_in_every_format(run, path):
    code, out, err = run("validate", path)
    assert code == 0 and err == "", err
    for path in [path]:
        kind = yaml.safe_load(path.read_text(encoding="utf-8"))["kind"]
        commands = [["solve", path, "--format", f] for f in FORMATS] + [["template", path]]
        if kind == "graph":
            commands.append(["solve", path, "--check"])
        for argv in commands:
            code, out, err = run(*argv)
            assert code == 0 and err == "" and out, (argv, err)


# ---------------------------------------------------------------- mutated problem files

ODD_VALUES = [0, -1, 1.5, True, None, "ü名", [], [[1]], [[]], {"a": 1}, 1e308, 10**25, float("nan"),
              [[1, 2], [3]], "dz/dw0[5,5]"]
DELETE = object()


def _paths(node, prefix=(), depth=3):
    yield prefix
    if len(prefix) >= depth:
        return
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, prefix + (key,), depth)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _paths(value, prefix + (i,), depth)


def _mutated(doc, path, value):
    doc = copy.deepcopy(doc)
    if not path:
        return value
    node = doc
    for key in path[:-1]:
        node = node[key]
    if value is DELETE:
        del node[path[-1]]
    else:
        node[path[-1]] = copy.deepcopy(value)
    return doc


@pytest.mark.parametrize("source", SHIPPED, ids=lambda p: p.stem)
def test_mutated_problem_files(run, tmp_path, source):
    """Every key of a shipped problem (to depth 3: layer keys, values, their rows) deleted or
    replaced by an odd value: `validate` refuses each properly in one call, and each that it
    accepts is solved (json and one other format in turn) without a crash."""
    base = yaml.safe_load(source.read_text(encoding="utf-8"))
    files = []
    for path in _paths(base):
        for value in ODD_VALUES + ([DELETE] if path else []):
            target = tmp_path / f"m{len(files)}.yaml"
            target.write_text(yaml.safe_dump(_mutated(base, path, value), allow_unicode=True, sort_keys=False),
                              encoding="utf-8")
            files.append(target)
    code, out, err = run("validate", *files)
    if code not in (0, 2) or "internal error" in err:
        pytest.fail(f"validate of {len(files)} mutations of {source.name} crashed: {err.strip()}\n"
                    + culprits(run, ["validate"], files))
    assert_well_behaved(code, err, f"validate of {len(files)} mutations of {source.name}")
    # every mutation is accounted for: ok, or named in an error line
    for target in files:
        assert str(target) in ok_files(out) or f"error: {target}" in err, f"{target} neither ok nor refused"
    for i, target in enumerate(sorted(ok_files(out))):
        for fmt in (FORMATS[i % len(FORMATS)],):
            code, _, err = run("solve", target, "--format", fmt)
            assert_well_behaved(code, err, f"solve --format {fmt} {target}: {Path(target).read_text()[:400]}")


LAYERS = {
    "dense": ("[30]", {"units": 4, "bias": "true"}),
    "conv1d": ("[3, 32]", {"filters": 4, "kernel": 3, "stride": 1, "padding": 0, "dilation": 1, "groups": 1, "bias": "true"}),
    "conv2d": ("[3, 32, 32]", {"filters": 4, "kernel": 3, "stride": 1, "padding": 0, "dilation": 1, "groups": 1, "bias": "true"}),
    "conv_transpose2d": ("[4, 8, 8]", {"filters": 4, "kernel": 3, "stride": 2, "padding": 0, "output_padding": 1,
                                       "dilation": 1, "groups": 1, "bias": "true"}),
    "maxpool1d": ("[3, 32]", {"kernel": 2, "stride": 2, "padding": 0, "ceil_mode": "false", "dilation": 1}),
    "maxpool2d": ("[3, 32, 32]", {"kernel": 2, "stride": 2, "padding": 0, "ceil_mode": "false", "dilation": 1}),
    "avgpool1d": ("[3, 32]", {"kernel": 2, "stride": 2, "padding": 0, "ceil_mode": "false"}),
    "avgpool2d": ("[3, 32, 32]", {"kernel": 2, "stride": 2, "padding": 0, "ceil_mode": "false"}),
    "global_avgpool": ("[3, 8, 8]", {}), "global_maxpool": ("[3, 8, 8]", {}), "flatten": ("[3, 8, 8]", {}),
    "batchnorm": ("[3, 8, 8]", {}), "layernorm": ("[3, 8]", {}), "dropout": ("[30]", {"rate": 0.5}),
    "embedding": ("[20]", {"num": 100, "dim": 8}),
    "rnn": ("[20, 8]", {"hidden": 4, "layers": 1, "bidirectional": "false", "bias": "true", "return_sequences": "true"}),
    "lstm": ("[20, 8]", {"hidden": 4, "layers": 1, "bidirectional": "false", "bias": "true", "return_sequences": "true"}),
    "gru": ("[20, 8]", {"hidden": 4, "layers": 1, "bidirectional": "false", "bias": "true", "return_sequences": "true"}),
    "relu": ("[30]", {}), "leaky_relu": ("[30]", {"slope": 0.01}), "gelu": ("[30]", {}), "softmax": ("[30]", {}),
    "sigmoid": ("[30]", {}), "tanh": ("[30]", {}),
}
LAYER_VALUES = ["0", "-1", "1.5", "2.0", "true", "false", "null", "'x'", "[]", "[2, 2]", "[2, 2, 2]", "[[1]]", "{a: 1}",
                "1e308", "99999999999999999999999", ".nan", ".inf", "same", "valid", "[0, 0]", "[-1, 2]", "['a', 1]",
                "[1.5, 1]", "'1/2'", "ü"]
INPUT_VALUES = ["[]", "[0]", "[-1]", "[1.5]", "[true]", "null", "5", "'x'", "[[1]]", "[1, 1, 1, 1, 1]",
                "[100000, 100000, 100000]", "[1e308]", "[9223372036854775808]"]


def test_every_layer_key_with_odd_values(run, tmp_path):
    """Each layer type, each of its keys (and type, name, an unknown key) replaced by an odd
    value or deleted, and odd input shapes: all validated in one call, the accepted ones solved."""
    files = []

    def add(shape, layer):
        path = tmp_path / f"a{len(files)}.yaml"
        fields = ", ".join(f"{k}: {v}" for k, v in layer.items())
        path.write_text(f"id: t\nkind: architecture\ninput: {shape}\nlayers:\n  - {{{fields}}}\n  - {{name: B, type: relu}}\n",
                        encoding="utf-8")
        files.append(path)

    for kind, (shape, keys) in LAYERS.items():
        base = {"name": "A", "type": kind, **keys}
        for key in [*keys, "type", "name", "unknown"]:
            for value in LAYER_VALUES:
                add(shape, {**base, key: value})
            add(shape, {k: v for k, v in base.items() if k != key})
        for odd_shape in INPUT_VALUES:
            add(odd_shape, base)
    code, out, err = run("validate", *files)
    if code not in (0, 2) or "internal error" in err:
        pytest.fail(f"validate of {len(files)} layer mutations crashed: {err.strip()}\n" + culprits(run, ["validate"], files))
    assert_well_behaved(code, err, f"validate of {len(files)} layer mutations")
    for i, target in enumerate(sorted(ok_files(out))):
        code, _, err = run("solve", target, "--format", FORMATS[i % len(FORMATS)])
        assert_well_behaved(code, err, f"solve {target}: {Path(target).read_text()}")


# ---------------------------------------------------------------- graph: specific bugs


def test_output_given_as_a_list_or_mapping_is_refused(run, tmp_path):
    # graph/load.py _read_output: `if output in failed` -> TypeError: unhashable type: 'YList'
    for i, output in enumerate(["[]", "[z]", "[[1]]", "{}", "{a: 1}"]):
        path = graph_file(tmp_path, f"out{i}", {"z": "x * 2"}, extra=f"output: {output}\n")
        code, _, err = run("validate", path)
        assert_refused(code, err, f"output: {output}")
        assert f"{path}:" in err


def test_wrt_entry_that_is_a_list_or_mapping_is_refused(run, tmp_path):
    # graph/load.py _read_wrt: `if name in failed` -> TypeError: unhashable type: 'YMap' / 'YList'
    for i, wrt in enumerate(["[{}]", "[{a: 1}]", "[[x]]", "[x, [1]]"]):
        path = graph_file(tmp_path, f"wrt{i}", {"z": "x * 2"}, extra=f"wrt: {wrt}\n")
        for argv in (["validate", path], ["solve", path], ["grade", path, ALICE]):
            code, _, err = run(*argv)
            assert_refused(code, err, f"wrt: {wrt} ({argv[0]})")


def test_matmul_of_two_constants_is_refused(run, tmp_path):
    # graph/build.py _fold: constant folding lets ops.DomainError escape -> internal error, exit 3
    paths = [graph_file(tmp_path, f"c{i}", {"s": expr}) for i, expr in
             enumerate(["x + 2 @ 3", "x * (mean(0.5) @ mean(0.5))", "log(0 @ 0) + x", "(0.5 @ 1e308) ** x"])]
    code, _, err = run("validate", *paths)
    assert_refused(code, err, "constant @ constant")
    for path in paths:
        assert f"error: {path}:" in err, f"{path} not named in\n{err}"


def test_empty_matrix_is_refused_like_an_empty_list(run, tmp_path):
    # `[]` is refused ("an empty list is not a value"); `[[]]` (a 1×0 matrix) is accepted, and
    # then `solve --check` crashes (graph/check.py: np.max of an empty array -> ValueError).
    empty = graph_file(tmp_path, "empty", {"s": "sum(a)"}, inputs="{a: []}")
    code, _, err = run("validate", empty)
    assert_refused(code, err, "a: []")
    path = graph_file(tmp_path, "empty_rows", {"s": "sum(a)"}, inputs="{a: [[]]}")
    code, _, err = run("validate", path)
    assert_refused(code, err, "a: [[]]")


def test_check_on_an_empty_matrix_does_not_crash(run, tmp_path):
    path = graph_file(tmp_path, "empty_rows", {"s": "sum(a)"}, params="{a: [[]]}")
    for argv in (["solve", path, "--check"], *(["solve", path, "--format", f] for f in FORMATS)):
        code, _, err = run(*argv)
        assert_well_behaved(code, err, " ".join(map(str, argv)))


def test_empty_label_matrix_leaves_no_numpy_warning_on_stderr(tmp_path):
    # tanh_mlp with `y: [[]]`: numpy's "RuntimeWarning: Mean of empty slice" and its source
    # line are printed before the error line.
    doc = yaml.safe_load((PROBLEMS / "tanh_mlp.yaml").read_text(encoding="utf-8"))
    doc["inputs"]["y"] = [[]]
    path = tmp_path / "tanh_empty_y.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    result = run_real("validate", path)
    assert_refused(result.returncode, result.stderr, "y: [[]]")


ODD_BUT_VALID = {
    "x_pow_0_at_0": ("{x: 0.0}", {"s": "x ** 0"}),
    "zero_pow_x": ("{x: 1.0}", {"s": "0 ** x"}),
    "lit_0_pow_0": ("{x: 1.0}", {"s": "x * 0 ** 0"}),
    "log_softmax_by_hand": ("{h: [1.0, 2.0]}", {"s": "sum(log(softmax(h)))"}),
    "transpose_scalar": ("{x: 2.0}", {"s": "transpose(x)"}),
    "nested_60": ("{x: 0.5}", {"s": "relu(" * 60 + "x" + ")" * 60}),
    "abs_at_0": ("{x: 0.0}", {"s": "abs(x)"}),
    "max_tie": ("{x: 1.0, y: 1.0}", {"s": "max(x, y)"}),
    "logits_1000": ("{h: [1000.0, -1000.0], y: [0, 1]}", {"s": "cross_entropy(softmax(h), y)"}),
    "batched_softmax_ce": ("{a: [[1.0, 2.0], [3.0, 4.0]], y: [[0, 1], [1, 0]]}", {"s": "cross_entropy(softmax(a), y)"}),
    "log_softmax_2d": ("{a: [[1.0, 2.0], [3.0, 4.0]]}", {"s": "sum(log_softmax(a))"}),
    "vec_at_vec": ("{a: [1.0, 2.0], b: [3.0, 4.0]}", {"s": "a @ b"}),
    "const_only": ("{x: 1.0}", {"s": "2 * 3"}),
    "neg_base_int_pow": ("{a: -2.0}", {"s": "a ** 3"}),
    "var_exponent": ("{a: [1.0, 4.0], b: [2.0, 0.5]}", {"s": "sum(a ** b)"}),
    "sigmoid_minus_1000": ("{a: -1000.0}", {"s": "sigmoid(a)"}),
    "tanh_1000": ("{a: 1000.0}", {"s": "tanh(a)"}),
    "subnormal": ("{a: 5e-324}", {"s": "a / 2"}),
    "mean_of_transpose": ("{a: [[1.0, 2.0]]}", {"s": "mean(transpose(a))"}),
    "cross_entropy_scalars": ("{a: 0.5, y: 1.0}", {"s": "cross_entropy(a, y)"}),
    "reuse_and_chain": ("{x: 0.5}", {"a": "x * x", "b": "a + x", "c": "max(a, b) * min(a, b)"}),
    "unicode_title": ("{x: 1.0}", {"s": "x * 2"}),
}


def test_odd_but_valid_problems_in_every_format(run, tmp_path):
    paths = []
    for name, (inputs, steps) in ODD_BUT_VALID.items():
        extra = "title: 'Ω — ü 名 \\ $ % & # _ ^ ~ { } <b>'\n" if name == "unicode_title" else ""
        paths.append(graph_file(tmp_path, name, steps, inputs=inputs, extra=extra))
    code, _, err = run("validate", *paths)
    assert code == 0 and err == "", err
    for path in paths:
        for argv in ([*("solve", path, "--format", f)] for f in FORMATS):
            code, out, err = run(*argv)
            assert code == 0 and err == "" and out, (argv, err)
        for argv in (["solve", path, "--check"], ["template", path]):
            code, out, err = run(*argv)
            assert code == 0 and err == "", (argv, err)


HOSTILE = {
    "pow_half_at_negative": ("{x: -1.0}", "x ** 0.5"),
    "zero_to_negative": ("{x: 0.0}", "x ** -1"),
    "ce_mismatched": ("{h: [1.0, 2.0, 3.0], y: [0, 1]}", "cross_entropy(softmax(h), y)"),
    "sum_then_matmul": ("{x: [1.0, 2.0], w: [1.0, 2.0]}", "sum(sum(x) @ w)"),
    "matmul_incompatible": ("{a: [[1.0, 2.0]], b: [[1.0, 2.0]]}", "sum(a @ b)"),
    "matvec_incompatible": ("{a: [[1.0, 2.0]], b: [3.0, 4.0, 5.0]}", "sum(a @ b)"),
    "too_deep": ("{x: 0.5}", "relu(" * 150 + "x" + ")" * 150),
    "parens_5000": ("{x: 0.5}", "(" * 5000 + "x" + ")" * 5000),
    "overflow_1e308_times_10": ("{x: 1e308}", "x * 10"),
    "literal_overflow": ("{x: 1.0}", "x * (1e308 * 10)"),
    "exp_1000": ("{x: 1000.0}", "exp(x)"),
    "div_by_zero": ("{x: 1.0}", "x / 0"),
    "log_0_literal": ("{x: 1.0}", "x + log(0)"),
    "log_sigmoid_underflow": ("{a: -1000.0}", "log(sigmoid(a))"),
    "leaky_relu_name_slope": ("{x: 1.0, s: 0.1}", "leaky_relu(x, s)"),
    "relu_two_args": ("{x: 1.0}", "relu(x, x)"),
    "sum_no_args": ("{x: 1.0}", "sum()"),
    "dot_mismatch": ("{a: [1.0, 2.0], b: [1.0]}", "dot(a, b)"),
    "softmax_scalar": ("{a: 1.0}", "softmax(a)"),
    "ce_zero_probability": ("{p: [0.0, 1.0], y: [1.0, 0.0]}", "cross_entropy(p, y)"),
    "mse_mismatch": ("{a: [1.0, 2.0], b: [1.0, 2.0, 3.0]}", "mse(a, b)"),
    "broadcast_mismatch": ("{a: [1.0, 2.0], b: [1.0, 2.0, 3.0]}", "sum(a + b)"),
    "vector_output": ("{a: [1.0, 2.0]}", "a * 2"),
    "ragged": ("{a: [[1.0], [1.0, 2.0]]}", "sum(a)"),
    "rank3": ("{a: [[[1.0]]]}", "sum(a)"),
    "scalar_matmul": ("{a: 1.0, b: 2.0}", "a @ b"),
    "dunder_import": ("{a: 1.0}", "__import__('os').system('touch PWNED')"),
    "attribute": ("{a: 1.0}", "a.real"),
    "subscript": ("{a: [1.0, 2.0]}", "a[0]"),
    "lambda": ("{a: 1.0}", "(lambda: 1)()"),
    "nan_name": ("{a: 1.0}", "a * nan"),
    "huge_int_literal": ("{a: 1.0}", "a * " + "9" * 400),
    "hex_literal": ("{a: 1.0}", "a * 0x10"),
    "complex_literal": ("{a: 1.0}", "a * 1j"),
    "unary_3000": ("{a: 1.0}", "-" * 3000 + "a"),
    "pow_chain_500": ("{a: 1.0}", "**".join(["a"] * 500)),
    "long_sum_600": ("{a: 1.0}", "+".join(["a"] * 600)),
    "self_reference": ("{a: 1.0}", "s"),
    "negative_vector_sqrt": ("{a: [-1.0, 4.0]}", "sum(a ** 0.5)"),
    "pow_10_400": ("{a: 10.0}", "a ** 400"),
}


def test_hostile_expressions_are_refused_naming_each_file(run, tmp_path):
    paths = [graph_file(tmp_path, name, {"s": expr}, inputs=inputs) for name, (inputs, expr) in HOSTILE.items()]
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        for command in (["validate", *paths], *(["solve", p, "--format", FORMATS[i % 5]] for i, p in enumerate(paths))):
            code, _, err = run(*command)
            assert_refused(code, err, " ".join(map(str, command[:2])))
    finally:
        os.chdir(cwd)
    assert not (tmp_path / "PWNED").exists()
    code, _, err = run("validate", *paths)
    for path in paths:
        assert f"error: {path}" in err, f"{path.name} was not refused"


# ---------------------------------------------------------------- hangs and runaway memory


def test_recurrent_layer_count_below_the_limit_does_not_hang(tmp_path):
    # architecture/layers.py Recurrent.params: one Python loop turn and three Terms per stacked
    # layer; `layers` is only capped at 1e9: 1e6 takes ~10 s, 4e6 ~45 s and 3.4 GB, 1e8 is OOM-killed.
    path = tmp_path / "deep_lstm.yaml"
    path.write_text("id: t\nkind: architecture\ninput: [20, 8]\nlayers:\n"
                    "  - {name: A, type: lstm, hidden: 4, layers: 100000000}\n", encoding="utf-8")
    result = run_real("validate", path)
    assert_well_behaved(result.returncode, result.stderr, "lstm with layers: 100000000")


def _big_matmul_problem(folder: Path, n: int) -> Path:
    row = "[" + ",".join(["1"] * n) + "]"
    path = folder / f"big{n}.yaml"
    path.write_text(f"id: big\nkind: graph\ninputs:\n  x: {row}\nparams:\n  W: [{','.join([row] * n)}]\n"
                    "steps:\n  h: relu(W @ x)\n  L: mean(h)\n", encoding="utf-8")
    return path


def test_terminal_output_of_a_large_matrix_finishes(tmp_path):
    # 500×500 (250,000 values: half the loader's limit, 0.5 MB): json takes ~3 s, the terminal
    # tables ~14 s (rich lays out every element), 700×700 still running after 100 s.
    result = run_real("solve", _big_matmul_problem(tmp_path, 500))
    assert_well_behaved(result.returncode, result.stderr, "solve of a 500x500 problem")


def test_check_of_a_large_matrix_finishes(tmp_path):
    # graph/check.py: a central difference (two forward passes) per element of every leaf:
    # 300×300 takes 22 s, 700×700 (within the loader's limits) still running after 100 s.
    result = run_real("solve", _big_matmul_problem(tmp_path, 300), "--check", "--format", "json")
    assert_well_behaved(result.returncode, result.stderr, "solve --check of a 300x300 problem")


def test_problem_file_that_never_ends_is_refused(tmp_path):
    # yamldoc.read_text: st_size of a device is 0, so the 5 MB check passes and read_bytes()
    # reads /dev/zero until memory runs out (here: MemoryError -> internal error, exit 3).
    link = tmp_path / "endless.yaml"
    link.symlink_to("/dev/zero")
    result = run_real("validate", link)
    assert_refused(result.returncode, result.stderr, "validate /dev/zero")


def test_problem_file_that_is_a_fifo_does_not_hang(tmp_path):
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    result = run_real("validate", fifo)
    assert_refused(result.returncode, result.stderr, "validate FIFO")


def test_sheet_that_never_ends_is_reported_unreadable(tmp_path):
    link = tmp_path / "endless.yaml"
    link.symlink_to("/dev/zero")
    report = tmp_path / "r.json"
    result = run_real("grade", RESIDUAL, ALICE, link, "--report", report)
    no_crash(result.stderr, "grade with a /dev/zero sheet")
    assert result.returncode == 1, result.stderr
    sheets = json.loads(report.read_text(encoding="utf-8"))["sheets"]
    assert len(sheets) == 2 and sheets[1]["error"]


def test_sheet_that_is_a_fifo_does_not_hang_the_class(tmp_path):
    (tmp_path / "class").mkdir()
    (tmp_path / "class" / "alice.yaml").write_text(ALICE.read_text(encoding="utf-8"), encoding="utf-8")
    os.mkfifo(tmp_path / "class" / "bob.yaml")
    result = run_real("grade", RESIDUAL, tmp_path / "class", "--summary")
    no_crash(result.stderr, "grade with a FIFO sheet")
    assert result.returncode == 1, result.stderr


# ---------------------------------------------------------------- answer sheets

SHEET_VALUES = [
    "0.94", ".nan", ".inf", "-.inf", "true", "false", "null", "''", "'abc'", "[]", "[1]", "[[1, 2], [3]]", "[[[1]]]",
    "{a: 1}", "{a: {b: [1]}}", "1e308", "1e999", "-1e999", "1/0", "0/0", "'1e400'", "'2/5'", "'−0.2'",
    "'[0.1, 2/5]'", "'[1e999]'", "'(16, 32)'", "16x32x32", "'557,057'", "'nan'", "'-inf'", "0x10", "2001-01-01",
    "'[[]]'", "'" + "9" * 5000 + "'", "'1/" + "0" * 400 + "1'", "'" + "1" * 400 + "/3'", "'1e-400'", "'0.1.2'",
    "'--1'", "'1/-2'", "'½'", "'٣'", "'１'", "'" + "[" * 200 + "1" + "]" * 200 + "'", "'1,,2'", "'1e308x10'",
    "'999999999999999999999x2'", "'[1, [2]]'", "'[true]'", "'[null]'", "'[.nan]'",
    "123456789012345678901234567890",  # 30 digits: judge.py _truncate_sig -> decimal.InvalidOperation
]
SHEET_KEYS = {"residual_relu": ["T1.z", "dz/dw0", "T1.x0"], "mlp_params": ["T2.A", "T3"],
              "tanh_mlp": ["Q2.W2", "dL/dW1[1,0]"], "softmax_ce": ["dL/dw2", "L"], "conv_shapes": ["T2.A", "T3"]}
ODD_SHEETS = {
    "empty": "", "blank": "\n\n", "comment": "# nothing\n", "list": "- 1\n- 2\n", "scalar": "42\n",
    "answers_list": "answers:\n  - 1\n  - 2\n", "answers_str": "answers: hi\n", "answers_blank": "answers:\n",
    "nested": "answers:\n  T1.z: {a: {b: 1}}\n", "dup": "answers:\n  T1.z: 1\n  T1.z: 2\n",
    "dup_top": "answers: {}\nanswers: {}\n",
    "odd_keys": "answers:\n  1: 0.5\n  2.5: 1\n  true: 1\n  null: 3\n  2001-01-01: 3\n",
    "list_key": "answers:\n  ? [1, 2]\n  : 3\n", "map_key": "answers:\n  ? {a: 1}\n  : 3\n",
    "tag": "answers: !!python/object/apply:os.system ['touch PWNED']\n", "float_tag": "answers:\n  T1.z: !!float 1\n",
    "alias_bomb": "a: &a [1,1,1,1,1,1,1,1,1]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
                  "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
                  "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\nanswers: {T1.z: *g}\n",
    "multi_doc": "answers: {}\n---\nanswers: {}\n", "student_list": "student: [1, 2]\nanswers: {}\n",
    "student_formula": "student: '=cmd|calc'\nanswers: {T1.z: 0.62}\n",
    "student_markup": "student: '[bold red]x[/]'\nanswers: {'[bold]': 1}\n",
    "control_chars": "student: \"a\\x1b[31mb\\u0000c\"\nanswers: {T1.z: \"\\x1b[2J\"}\n",
    "deep_list": "answers: {T1.z: " + "[" * 2000 + "1" + "]" * 2000 + "}\n",
    "bad_yaml": "answers: [\n", "tab": "answers:\n\tT1.z: 1\n", "crlf": "answers:\r\n  T1.z: 0.62\r\n",
    "problem_copy": RESIDUAL.read_text(encoding="utf-8"),
    "both_id_and_ask": "answers:\n  T1.w0: -0.2\n  dz/dw0: 0.5\n",
    "long_key": "answers:\n  " + "x" * 5000 + ": 1\n",
    "many_keys": "answers:\n" + "".join(f"  k{i}: {i}\n" for i in range(3000)),
}


def _odd_sheet_files(folder: Path) -> list[Path]:
    files = []
    for name, text in ODD_SHEETS.items():
        path = folder / f"odd_{name}.yaml"
        path.write_text(text, encoding="utf-8", newline="")
        files.append(path)
    for name, data in {"utf16": "answers: {T1.z: 1}\n".encode("utf-16"), "binary": bytes(range(256)) * 4,
                       "latin1": "student: Jos\xe9\nanswers: {T1.z: 1}\n".encode("latin-1"),
                       "bom": "\ufeffanswers: {T1.z: 0.62}\n".encode("utf-8")}.items():
        path = folder / f"odd_{name}.yaml"
        path.write_bytes(data)
        files.append(path)
    (folder / "loop_a.yaml").symlink_to(folder / "loop_b.yaml")
    (folder / "loop_b.yaml").symlink_to(folder / "loop_a.yaml")
    (folder / "dangling.yaml").symlink_to("/nonexistent/x.yaml")
    return files + [folder / "loop_a.yaml", folder / "dangling.yaml", folder / "missing.yaml"]


@pytest.mark.parametrize("problem", list(SHEET_KEYS))
def test_odd_answers_are_graded_in_one_batch(run, tmp_path, problem):
    """Every odd value under every kind of question (number, vector, matrix, element, shape,
    count), all sheets in one `grade` call with both reports: exit 1, one report entry per
    sheet, nothing on stderr but errors, no crash."""
    sheets = []
    for key in SHEET_KEYS[problem]:
        for value in SHEET_VALUES:
            path = tmp_path / f"s{len(sheets)}.yaml"
            path.write_text(f"student: s{len(sheets)}\nanswers:\n  '{key}': {value}\n", encoding="utf-8")
            sheets.append(path)
    if problem == "residual_relu":
        sheets += _odd_sheet_files(tmp_path)
    report, gradebook = tmp_path / "r.json", tmp_path / "r.csv"
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        code, out, err = run("grade", PROBLEMS / f"{problem}.yaml", *sheets, "--report", report, "--report", gradebook,
                             "--show-answers")
    finally:
        os.chdir(cwd)
    if "internal error" in err:
        pytest.fail(f"grade {problem} with {len(sheets)} odd sheets crashed: {err.strip()}\n"
                    + culprits(run, ["grade", PROBLEMS / f"{problem}.yaml"], sheets))
    no_crash(err, f"grade {problem} with {len(sheets)} odd sheets")
    assert code == 1, err
    assert not (tmp_path / "PWNED").exists()
    data = json.loads(report.read_text(encoding="utf-8"))
    assert len(data["sheets"]) + len(data["skipped"]) == len(sheets)  # a copy of the problem is set aside
    code, out, err = run("grade", PROBLEMS / f"{problem}.yaml", *sheets, "--summary")
    no_crash(err, "--summary")
    assert code == 1


def test_answer_with_thirty_digits_is_graded_not_a_crash(run, tmp_path):
    # grade/judge.py rounding -> _is_cut_short -> _truncate_sig: Decimal.quantize needs more
    # than the context's 28 digits -> decimal.InvalidOperation -> internal error, exit 3,
    # and none of the other sheets is graded.
    big = tmp_path / "big.yaml"
    big.write_text("answers:\n  T1.z: 123456789012345678901234567890\n", encoding="utf-8")
    code, out, err = run("grade", RESIDUAL, ALICE, big)
    no_crash(err, "30-digit answer")
    assert code == 1
    assert "alice" in out and "big" in out


def _interact(argv, typed, timeout=120.0):  # a hang guard, generous for a loaded machine
    """Run argv on a pseudo-terminal, type each line after the prompt; (exit code, screen)."""
    pid, fd = pty.fork()
    if pid == 0:  # the child
        os.environ.update(NO_COLOR="1", COLUMNS="100")
        os.environ.pop("HWCHECK_DEBUG", None)
        os.execv(argv[0], argv)
    screen, pending, deadline = b"", list(typed), time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            screen += chunk
            if pending and screen.rstrip().endswith(b"answer>"):
                os.write(fd, pending.pop(0).encode() + b"\n")
    done, status = os.waitpid(pid, os.WNOHANG)
    while done == 0 and time.monotonic() < deadline:  # the terminal closes a moment before the child exits
        time.sleep(0.05)
        done, status = os.waitpid(pid, os.WNOHANG)
    if done == 0:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        pytest.fail(f"hang: the interactive checker still running after {timeout} s\n{screen.decode(errors='replace')[-1500:]}")
    os.close(fd)
    return os.waitstatus_to_exitcode(status), screen.decode(errors="replace")


def test_interactive_checker_survives_odd_answers():
    typed = ["nan", "inf", "1e999", "[" * 300, "[1, 2]", "h", "s", "123456789012345678901234567890", "q"]
    code, screen = _interact([*HWCHECK, "grade", str(RESIDUAL), "--tries", "1"], typed)
    assert "internal error" not in screen and "Traceback" not in screen, screen[-1500:]
    assert code == 1 and "Score:" in screen, screen[-1500:]


# ---------------------------------------------------------------- usage

USAGE_ERRORS = [
    ["--bogus"], ["solve"], ["solve", RESIDUAL, "--format"], ["solve", RESIDUAL, "--format", "xml"],
    ["solve", RESIDUAL, "--format", "JSON"], ["solve", RESIDUAL, "--format", ""],
    ["solve", RESIDUAL, "--width", "0"], ["solve", RESIDUAL, "--width", "-5"], ["solve", RESIDUAL, "--width", "abc"],
    ["solve", PROBLEMS / "mlp_params.yaml", "--check"], ["solve", "nonexistent.yaml"], ["solve", "{tmp}"],
    ["validate"], ["validate", "{tmp}", "nonexistent.yaml"], ["schema", "extra"], ["schema", "--format", "json"],
    ["template"], ["template", RESIDUAL, "-o", "/nonexistent/dir/x.yaml"], ["template", RESIDUAL, "-o", "{tmp}"],
    ["draw", RESIDUAL], ["draw", RESIDUAL, "-o", "/nonexistent/x.svg"], ["draw", RESIDUAL, "-o", "{tmp}/x.txt"],
    ["draw", RESIDUAL, "-o", "{tmp}/noext"], ["draw", RESIDUAL, "-o", "{tmp}/pic.svg"],
    ["grade"], ["grade", RESIDUAL, ALICE, "--tries", "0"], ["grade", RESIDUAL, ALICE, "--tries", "-1"],
    ["grade", RESIDUAL, "--tries", "0"], ["grade", RESIDUAL, ALICE, "--report", "{tmp}/r.txt"],
    ["grade", RESIDUAL, ALICE, "--report", "{tmp}/r"], ["grade", RESIDUAL, ALICE, "--report", "/nonexistent/r.json"],
    ["grade", RESIDUAL, ALICE, "--report", "{tmp}/folder.json"],
    ["grade", RESIDUAL, ALICE, "--gradescope", "/nonexistent/g.json"],
    ["grade", RESIDUAL, ALICE, "--width", "0"], ["grade", RESIDUAL, ALICE, "--width", "-1"],
    ["grade", RESIDUAL, ALICE, "--save", "{tmp}/x.yaml"], ["grade", RESIDUAL, ALICE, "--student", "bob"],
    ["grade", RESIDUAL, "--report", "{tmp}/r.json"], ["grade", "{tmp}", ALICE], ["grade", RESIDUAL, "{tmp}/empty"],
    ["grade", RESIDUAL, RESIDUAL],
]


def test_usage_errors_are_one_line_and_exit_2(run, tmp_path):
    (tmp_path / "pic.svg").mkdir()
    (tmp_path / "folder.json").mkdir()
    (tmp_path / "empty").mkdir()
    for argv in USAGE_ERRORS:
        argv = [str(a).replace("{tmp}", str(tmp_path)) for a in argv]
        code, _, err = run(*argv)
        assert_refused(code, err, "hwcheck " + " ".join(argv))
    assert not (tmp_path / "g.json").exists() and not (tmp_path / "r.json").exists()


def test_unknown_format_names_no_pseudo_file(run):
    # render/cli: InputError.at(None, ...) prints `error: <input>: unknown --format 'xml'`;
    # a usage error is `error: message` (there is no file called <input>).
    code, _, err = run("solve", RESIDUAL, "--format", "xml")
    assert_refused(code, err, "--format xml")
    assert "<input>" not in err, err


def test_grade_with_no_sheets_and_no_terminal_refuses_in_the_standard_form(run):
    # grade/command.py NO_SHEETS_HELP: four lines on stderr, three of them not `error: ...`.
    code, _, err = run("grade", RESIDUAL)
    assert_refused(code, err, "grade with no sheets, stdin not a terminal")


def test_tries_and_width_extremes(run):
    for argv in (["grade", RESIDUAL, ALICE, "--tries", "99999999999999999999999"],
                 ["grade", RESIDUAL, ALICE, "--width", "99999999999"], ["grade", RESIDUAL, ALICE, ALICE, "--summary"]):
        code, out, err = run(*argv)
        no_crash(err, " ".join(map(str, argv)))
        assert code == 1 and err == "", (argv, err)
    code, out, err = run("solve", RESIDUAL, "--width", "99999999999999999999")
    assert code == 0 and err == ""


def test_gradescope_with_one_sheet_named_twice_is_one_sheet(run, tmp_path):
    code, _, err = run("grade", RESIDUAL, ALICE, ALICE, "--gradescope", tmp_path / "g.json")
    assert code == 1 and err == "", err
    assert json.loads((tmp_path / "g.json").read_text(encoding="utf-8"))["tests"]


def test_output_onto_a_fifo_leaves_the_fifo(tmp_path):
    # files.write_atomic os.replace()s a temporary file over any target: a FIFO (or, run as
    # root, /dev/null or /dev/full given as -o) is replaced by a regular file, exit 0.
    fifo = tmp_path / "sheet.yaml"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # so a write into it does not block
    try:
        result = run_real("template", RESIDUAL, "-o", fifo)
    finally:
        os.close(reader)
    no_crash(result.stderr, "template -o FIFO")
    assert result.returncode in (0, 2)
    assert fifo.is_fifo(), "the FIFO given as -o was replaced by a regular file"


def test_real_subprocess_smoke(tmp_path):
    """A few runs through `python -m hwcheck` itself: usage, a bad problem, a broken sheet."""
    result = run_real("--bogus")
    assert_refused(result.returncode, result.stderr, "--bogus")
    bad = graph_file(tmp_path, "bad", {"s": "x ** 0.5"}, inputs="{x: -1.0}")
    result = run_real("solve", bad, "--format", "latex")
    assert_refused(result.returncode, result.stderr, "x ** 0.5 at x < 0")
    assert result.stdout == ""
    broken = tmp_path / "broken.yaml"
    broken.write_bytes(b"\x00\x01binary")
    result = run_real("grade", RESIDUAL, ALICE, broken, "--summary")
    no_crash(result.stderr, "binary sheet")
    assert result.returncode == 1 and "alice" in result.stdout


# ---------------------------------------------------------------- random expressions

_LEAF = st.sampled_from(["x", "v", "m", "y", "w", "s1", "0", "1", "2", "0.5", "1e308", "0.0", "-1"])


def _grow(children):
    return st.one_of(
        st.builds(lambda f, a: f"{f}({a})", st.sampled_from(
            ["relu", "sigmoid", "tanh", "exp", "log", "sqrt", "abs", "sum", "mean", "transpose", "softmax", "log_softmax"]),
            children),
        st.builds(lambda f, a, b: f"{f}({a}, {b})",
                  st.sampled_from(["max", "min", "dot", "cross_entropy", "mse", "leaky_relu"]), children, children),
        st.builds(lambda o, a, b: f"({a}) {o} ({b})", st.sampled_from(["+", "-", "*", "/", "**", "@"]), children, children),
        st.builds(lambda o, a: f"{o}{a}", st.sampled_from(["-", "--", "+"]), children),
    )


_EXPR = st.recursive(_LEAF, _grow, max_leaves=7)


@settings(max_examples=80, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(first=_EXPR, second=_EXPR, x=st.sampled_from(["0.0", "-1.5", "2.0", "1e308", "5e-324"]),
       v=st.sampled_from(["[1.0, -2.0, 0.0]", "[0.0, 0.0, 0.0]", "[0.2, 0.3, 0.5]", "[1.0]"]),
       m=st.sampled_from(["[[1.0, 2.0, 3.0], [0.0, -1.0, 0.5]]", "[[1.0, 0.0], [0.0, 1.0]]", "[[0.0]]"]),
       fmt=st.sampled_from(["validate", "check", *FORMATS]), reduce=st.booleans())
def test_random_expressions(run, tmp_path_factory, first, second, x, v, m, fmt, reduce):
    folder = tmp_path_factory.mktemp("expr", numbered=True)
    path = graph_file(folder, "rand", {"s1": second, "s2": f"sum({first})" if reduce else first},
                      inputs=f"{{x: {x}, v: {v}, y: [0.0, 1.0, 0.0]}}", params=f"{{m: {m}, w: 0.5}}")
    argv = (["validate", path] if fmt == "validate" else
            ["solve", path, "--check"] if fmt == "check" else ["solve", path, "--format", fmt])
    code, _, err = run(*argv)
    assert_well_behaved(code, err, f"{fmt}: s1 = {second!r}, s2 = {first!r}, x={x} v={v} m={m}")
