"""One error family: every exception hwcheck defines that can reach the command line is a
HwcheckError, shown as one line `error: FILE:LINE:COL: ...` with exit code 2."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import hwcheck
from hwcheck.errors import Fault, HwcheckError, InputError, Pos, UnknownAsk
from support import PROBLEMS, run_cli

# Exceptions that never leave the code that catches them (each says so in its docstring).
INTERNAL = {
    "hwcheck.code.sandbox.ChildFailed",  # becomes a submission's verdict in code/grade.py
    "hwcheck.code.train.CallFailed",  # becomes a verdict in training and the reference
    "hwcheck.code.train._Stop",  # ends a training run inside train()
    "hwcheck.code.protocol.Malformed",  # becomes a ChildFailed in the sandbox
    "hwcheck.grade.interactive._Quit",  # the student typed quit
    "hwcheck.record.FrozenRecordError",  # only a bug assigns to a record: exit 3
    "hwcheck.render.tex.UnknownSymbol",  # a glyph the solver wrote without TeX for it: a bug, exit 3
}


def _exception_classes() -> dict[str, type]:
    found = {}
    for module in pkgutil.walk_packages(hwcheck.__path__, "hwcheck."):
        if module.name == "hwcheck.__main__":
            continue  # running it runs the CLI
        loaded = importlib.import_module(module.name)
        for _, value in inspect.getmembers(loaded, inspect.isclass):
            if issubclass(value, BaseException) and value.__module__ == module.name:
                found[f"{value.__module__}.{value.__qualname__}"] = value
    return found


def test_every_exception_that_can_reach_the_cli_is_a_hwcheck_error():
    classes = _exception_classes()
    assert {"hwcheck.errors.HwcheckError", "hwcheck.graph.expr.ExprError", "hwcheck.numbers.NotANumber"} <= set(classes)
    strays = sorted(name for name, cls in classes.items() if name not in INTERNAL and not issubclass(cls, HwcheckError))
    assert strays == []


def test_the_internal_exceptions_say_why_they_stay_internal():
    classes = _exception_classes()
    assert INTERNAL <= set(classes), "an internal exception was removed or renamed: update INTERNAL"
    for name in INTERNAL:
        assert "Internal" in (classes[name].__doc__ or ""), name


def test_a_hwcheck_error_shows_its_place_and_exit_code():
    error = HwcheckError("unknown name 'q'; use x or y", "hw.yaml", Pos(3, 7))
    assert str(error) == "hw.yaml:3:7: unknown name 'q'; use x or y"
    assert error.exit_code == 2
    assert [str(f) for f in error.faults] == ["hw.yaml:3:7: unknown name 'q'; use x or y"]


def test_placing_a_positionless_fault_keeps_its_message():
    error = UnknownAsk("'dz/dq' is not a question about this problem").placed("hw.yaml", Pos(9, 3), "question q4: ")
    assert isinstance(error, InputError)
    assert error.faults == [Fault("hw.yaml", "question q4: 'dz/dq' is not a question about this problem", Pos(9, 3))]


def test_an_input_error_keeps_every_fault_and_the_first_as_its_place():
    error = InputError([Fault("a.yaml", "one", Pos(1, 1)), Fault("a.yaml", "two", Pos(2, 5))])
    assert (error.file, error.pos, error.message) == ("a.yaml", Pos(1, 1), "one")
    assert str(error) == "a.yaml:1:1: one\na.yaml:2:5: two"


def test_an_unknown_ask_is_its_own_error_not_a_key_error():
    solution = hwcheck.solve(hwcheck.load_problem(PROBLEMS / "residual_relu.yaml"))
    with pytest.raises(UnknownAsk, match="'dz/dq' is not a question about this problem") as caught:
        solution.expected("dz/dq")
    assert not isinstance(caught.value, KeyError)


# -- the command line: one line, exit 2 ------------------------------------------------

def _one_error_line(result) -> str:
    assert result.returncode == 2, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


def test_a_click_usage_error_is_one_line():
    line = _one_error_line(run_cli("solve", PROBLEMS / "residual_relu.yaml", "--quux"))
    assert line == "error: No such option: --quux (try 'python -m hwcheck solve --help')"


def test_a_missing_argument_is_one_line():
    line = _one_error_line(run_cli("solve"))
    assert line == "error: Missing argument 'problem'. (try 'python -m hwcheck solve --help')"


def test_an_unknown_ask_in_a_problem_is_one_line(tmp_path):
    problem = tmp_path / "ask.yaml"
    problem.write_text("id: x\nkind: graph\ninputs: {a: 1.0}\nsteps:\n  b: 2 * a\nquestions:\n  - ask: dz/dq\n")
    line = _one_error_line(run_cli("solve", problem))
    assert line.startswith(f"error: {problem}:7:")
    assert "dz/dq" in line


def test_a_bad_file_is_one_line(tmp_path):
    problem = tmp_path / "bad.yaml"
    problem.write_text("id: x\nkind: graph\ninputs: {a: 1}\nsteps:\n  b: sigmod(a)\n")
    line = _one_error_line(run_cli("solve", problem))
    assert line == f"error: {problem}:5:6: step 'b': unknown function 'sigmod' (did you mean 'sigmoid'?)"


def test_no_arguments_prints_the_help():
    result = run_cli()
    assert result.returncode == 0
    assert result.stdout.startswith("Usage: ") and "solve" in result.stdout
