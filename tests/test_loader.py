"""Loading problem files: every refusal names the file (and the line and column where
there is one), through the library and through the real CLI (`hwcheck validate`, exit 2,
one `error: FILE:LINE:COL: message` or `error: FILE: message` line per fault, never a
traceback)."""

from __future__ import annotations

import contextlib
import io
import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import hwcheck
from hwcheck import InputError
from hwcheck.cli import main


def write(tmp_path: Path, body, name="p.yaml") -> Path:
    path = tmp_path / name
    if isinstance(body, bytes):
        path.write_bytes(body)
    else:
        path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


def faults_of(path) -> list[str]:
    with pytest.raises(InputError) as info:
        hwcheck.load_problem(path)
    return [str(f) for f in info.value.faults]


def check_cli_output(returncode: int, stderr: str, paths) -> list[str]:
    """Exit 2, and every stderr line is `error: FILE:LINE:COL: message` or `error: FILE: message`."""
    assert "Traceback" not in stderr, stderr
    assert returncode == 2, (returncode, stderr)
    lines = stderr.splitlines()
    assert lines, "no message on stderr"
    files = "|".join(re.escape(str(p)) for p in paths)
    form = re.compile(rf"error: ({files})(:\d+:\d+)?: \S.*")
    for line in lines:
        assert form.fullmatch(line), f"bad stderr line: {line!r}"
    return lines


FAULTY_FILES: list[Path] = []  # every file given to validate(), run again through a real subprocess at the end


def validate(path) -> list[str]:
    """`hwcheck validate PATH` through the CLI's own entry point, in this process (fast);
    test_every_faulty_file_through_the_real_cli repeats all of them in one subprocess."""
    FAULTY_FILES.append(Path(path))
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            main(["validate", str(path)])
            code = 0
        except SystemExit as exit:
            code = exit.code
    return check_cli_output(code, err.getvalue(), [path])


GOOD = textwrap.dedent("""\
    id: ok
    kind: graph
    inputs: {x: 1.0}
    params: {w: 0.5}
    steps:
      y: x * w
    """)


def test_a_good_file_validates(tmp_path):
    path = write(tmp_path, GOOD)
    result = subprocess.run([sys.executable, "-m", "hwcheck", "validate", str(path)], capture_output=True, text=True)
    assert result.returncode == 0
    assert result.stderr == ""
    assert str(path) in result.stdout and "ok" in result.stdout


# -- the file itself -------------------------------------------------------------------


def test_missing_file(tmp_path):
    path = tmp_path / "nope.yaml"
    assert faults_of(path) == [f"{path}: no such problem file; check the path"]
    assert validate(path) == [f"error: {path}: no such problem file; check the path"]


def test_a_directory(tmp_path):
    (tmp_path / "dir").mkdir()
    path = tmp_path / "dir"
    assert "is a directory" in faults_of(path)[0]
    assert "is a directory" in validate(path)[0]


@pytest.mark.parametrize("body", ["", "\n\n", "# only a comment\n"])
def test_an_empty_file(tmp_path, body):
    path = write(tmp_path, body)
    assert "is empty" in faults_of(path)[0]
    assert "is empty" in validate(path)[0]


def test_a_binary_file(tmp_path):
    path = write(tmp_path, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    assert "binary" in faults_of(path)[0]
    assert "binary" in validate(path)[0]


def test_invalid_utf8(tmp_path):
    path = write(tmp_path, b"id: a\xff\xfe\nkind: graph\n")
    message = faults_of(path)[0]
    assert message.endswith(":1:6: is not UTF-8 text (byte 0xFF here; Latin-1 or Windows-1252?); save it as UTF-8")
    assert "not UTF-8" in validate(path)[0]


def test_a_utf8_bom_is_accepted(tmp_path):
    path = write(tmp_path, b"\xef\xbb\xbf" + GOOD.encode())
    assert hwcheck.load_problem(path).id == "ok"


def test_a_control_character_is_one_clean_line(tmp_path):
    # YAML forbids most C0 control characters; the refusal must still be one line per fault.
    path = write(tmp_path, b"id: a\x01\nkind: graph\n")
    assert len(faults_of(path)) == 1
    result = subprocess.run([sys.executable, "-m", "hwcheck", "validate", str(path)], capture_output=True, text=True, timeout=60)
    lines = check_cli_output(result.returncode, result.stderr, [path])
    assert len(lines) == 1


def test_a_file_that_is_not_a_mapping(tmp_path):
    path = write(tmp_path, "- 1\n- 2\n")
    assert "a problem file is a YAML mapping" in faults_of(path)[0]
    validate(path)


# -- YAML ------------------------------------------------------------------------------


def test_yaml_syntax_error_has_line_and_column(tmp_path):
    path = write(tmp_path, """\
        id: a
        kind: graph
        inputs: {x: 1
        steps:
          y: x
        """)
    (message,) = faults_of(path)
    assert re.match(rf"{re.escape(str(path))}:4:\d+: YAML syntax error", message)
    validate(path)


def test_duplicate_keys_name_both_lines(tmp_path):
    path = write(tmp_path, """\
        id: a
        kind: graph
        inputs:
          x: 1
          x: 2
        steps:
          y: x
        """)
    (message,) = faults_of(path)
    assert message.startswith(f"{path}:5:3: duplicate key 'x' (first at line 4)")
    validate(path)


def test_duplicate_top_level_keys(tmp_path):
    path = write(tmp_path, GOOD + "steps:\n  z: x\n")
    (message,) = faults_of(path)
    assert ":7:1: duplicate key 'steps' (first at line 5)" in message


@pytest.mark.parametrize(
    "value",
    ["!!python/object:os.system {}", "!!python/object/apply:os.system ['echo hi']", "!!python/name:os.system", "!!binary aGVsbG8=", "!custom 1"],
)
def test_yaml_tags_are_refused(tmp_path, value):
    path = write(tmp_path, f"id: a\nkind: graph\ninputs:\n  x: {value}\nsteps:\n  y: x\n")
    (message,) = faults_of(path)
    assert message.startswith(f"{path}:4:6: YAML tag")
    assert "not allowed" in message
    validate(path)


def test_billion_laughs_is_refused_quickly(tmp_path):
    lines = ["id: a", "kind: graph", 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi"):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    path = write(tmp_path, "\n".join(lines) + "\n")  # 9⁹ ≈ 387 million strings if expanded
    (message,) = faults_of(path)
    assert "expands to more than" in message
    assert re.match(rf"{re.escape(str(path))}:\d+:\d+: ", message)
    validate(path)


def test_small_aliases_are_fine(tmp_path):
    path = write(tmp_path, """\
        id: a
        kind: graph
        inputs: {x: &v [1, 2]}
        params: {w: *v}
        steps:
          y: dot(x, w)
        """)
    problem = hwcheck.load_problem(path)
    assert float(problem.values[problem.graph.index["y"]]) == 5.0  # 1·1 + 2·2


def test_deep_nesting_is_refused(tmp_path):
    path = write(tmp_path, "id: a\nkind: graph\ninputs:\n  x: " + "[" * 500 + "1" + "]" * 500 + "\nsteps:\n  y: x\n")
    (message,) = faults_of(path)
    assert "nesting deeper than" in message
    assert message.startswith(f"{path}:4:")
    validate(path)


def test_several_documents_are_refused(tmp_path):
    path = write(tmp_path, GOOD + "---\nid: b\n")
    assert "more than one YAML document" in faults_of(path)[0]


# -- keys and names --------------------------------------------------------------------


def test_unknown_top_level_key_with_did_you_mean(tmp_path):
    path = write(tmp_path, """\
        id: a
        kind: graph
        inputs: {x: 1}
        stepz:
          y: x
        steps:
          y: x
        """)
    (message,) = faults_of(path)
    assert message.startswith(f"{path}:4:1: unknown key 'stepz' (did you mean 'steps'?)")
    validate(path)


def test_missing_and_unknown_kind(tmp_path):
    path = write(tmp_path, "id: a\nkind: grpah\n")
    (message,) = faults_of(path)
    assert ":2:7: unknown kind 'grpah' (did you mean 'graph'?)" in message
    path = write(tmp_path, "id: a\n", name="q.yaml")
    assert "missing 'kind'" in faults_of(path)[0]


def test_missing_steps(tmp_path):
    path = write(tmp_path, "id: a\nkind: graph\ninputs: {x: 1}\n")
    assert "missing 'steps'" in faults_of(path)[0]
    validate(path)


def test_bad_names(tmp_path):
    path = write(tmp_path, """\
        id: a
        kind: graph
        inputs: {2x: 1, x-y: 2, ok: 3}
        steps:
          y: ok
          3z: ok
        """)
    messages = faults_of(path)
    assert len(messages) == 3
    assert messages[0].startswith(f"{path}:3:10: bad name '2x'")
    assert messages[1].startswith(f"{path}:3:17: bad name 'x-y'")
    assert messages[2].startswith(f"{path}:6:3: bad name '3z'")
    validate(path)


def test_bad_problem_id(tmp_path):
    path = write(tmp_path, GOOD.replace("id: ok", "id: 'has space'"))
    assert "id 'has space' must be letters" in faults_of(path)[0]


def test_names_reused_across_inputs_params_and_steps(tmp_path):
    path = write(tmp_path, """\
        id: a
        kind: graph
        inputs: {x: 1}
        params: {x: 2, w: 1}
        steps:
          w: x
          y: x
          y2: x
        """)
    messages = faults_of(path)
    assert len(messages) == 2
    assert messages[0].startswith(f"{path}:4:10: name 'x' is already used (line 3)")
    assert messages[1].startswith(f"{path}:6:3: name 'w' is already used (line 4)")
    validate(path)


# -- values ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, words",
    [
        ("[[1, 2], [3]]", "ragged matrix"),
        ("abc", "'abc' is not a number"),
        (".nan", "not a finite number"),
        (".inf", "not a finite number"),
        ("-.inf", "not a finite number"),
        ("true", "True is not a number"),
        ("[1, true]", "True is not a number"),
        ("[]", "empty list"),
        ("[1, [2]]", "mixes numbers and lists"),
        ("[[[1]]]", "nested deeper than a matrix"),
        ("null", "None is not a number"),
        ("1/0", "divides by zero"),
        ("{a: 1}", "not a number"),
    ],
)
def test_bad_values(tmp_path, value, words):
    path = write(tmp_path, f"id: a\nkind: graph\ninputs:\n  v: {value}\n  x: 1\nsteps:\n  y: x\n")
    (message,) = faults_of(path)
    assert message.startswith(f"{path}:4:6: input 'v': ")
    assert words in message
    validate(path)


@pytest.mark.parametrize(
    "written, value",
    [("1e-6", 1e-6), ("2/5", 0.4), ("-3/4", -0.75), ("1.5e3", 1500.0), (".5", 0.5), ("+2", 2.0), ("'1e-6'", 1e-6), ("[1e-3, 1/8]", [0.001, 0.125]), ("[[1/2, 2], [3, 4e0]]", [[0.5, 2.0], [3.0, 4.0]])],
)
def test_scientific_notation_and_fractions_are_numbers(tmp_path, written, value):
    path = write(tmp_path, f"id: a\nkind: graph\ninputs:\n  v: {written}\nsteps:\n  y: sum(v)\n")
    problem = hwcheck.load_problem(path)
    np.testing.assert_allclose(problem.inputs["v"], value, rtol=1e-15)
    assert problem.inputs["v"].dtype == np.float64


# -- steps, output, wrt, questions -----------------------------------------------------


def test_a_step_using_a_later_step_and_a_step_using_itself(tmp_path):
    path = write(tmp_path, """\
        id: a
        kind: graph
        inputs: {x: 1}
        steps:
          a: b * x
          b: b + x
          c: x
        """)
    messages = faults_of(path)
    assert len(messages) == 2
    assert messages[0].startswith(f"{path}:5:6: step 'a': uses 'b', which is defined later")
    assert messages[1].startswith(f"{path}:6:6: step 'b': uses itself")
    validate(path)


def test_a_step_using_a_failed_step_is_not_blamed_again(tmp_path):
    path = write(tmp_path, """\
        id: a
        kind: graph
        inputs: {x: 1}
        steps:
          a: x ^ 2
          b: a + x
        """)
    messages = faults_of(path)
    assert len(messages) == 1 and "step 'a'" in messages[0]


def test_a_step_using_a_bad_leaf_is_not_called_unknown(tmp_path):
    # W is defined (with a bad value, reported once); the step using it must not be told
    # that W is an unknown name.
    path = write(tmp_path, """\
        id: a
        kind: graph
        inputs: {W: [[1, 2], [3]], x: [1, 2]}
        steps:
          y: sum(W @ x)
        """)
    messages = faults_of(path)
    assert "ragged matrix" in messages[0]
    assert not any("unknown name 'W'" in m for m in messages), messages


def test_unknown_output(tmp_path):
    path = write(tmp_path, GOOD + "output: yy\n")
    (message,) = faults_of(path)
    assert message.startswith(f"{path}:7:9: output 'yy' is not a step (did you mean 'y'?)")
    validate(path)


def test_output_that_is_a_leaf(tmp_path):
    path = write(tmp_path, GOOD + "output: x\n")
    assert "output 'x' is not a step" in faults_of(path)[0]


def test_non_scalar_output(tmp_path):
    path = write(tmp_path, """\
        id: a
        kind: graph
        inputs: {x: [1, 2]}
        steps:
          y: x * 2
          z: sum(y)
        output: y
        """)
    (message,) = faults_of(path)
    assert message.startswith(f"{path}:7:9: output 'y' has shape [2]")
    assert "scalar" in message
    validate(path)


def test_non_scalar_default_output(tmp_path):
    path = write(tmp_path, "id: a\nkind: graph\ninputs: {x: [1, 2]}\nsteps:\n  y: x * 2\n")
    (message,) = faults_of(path)
    assert "output 'y' has shape [2]" in message
    validate(path)


def test_unknown_wrt(tmp_path):
    path = write(tmp_path, GOOD + "wrt: [w, ww]\n")
    (message,) = faults_of(path)
    assert message.startswith(f"{path}:7:10: wrt: unknown name 'ww' (did you mean 'w'?)")
    validate(path)


@pytest.mark.parametrize(
    "ask, words",
    [
        ("what?", "cannot read ask 'what?'"),
        ("dy/dq", "unknown name 'q'"),
        ("dq/dw", "unknown name 'q'"),
        ("w[3]", "index [3] does not fit 'w' of shape []"),
        ("dy/dw[0, 1]", "does not fit"),
        ("dh/dw", "needs a scalar 'h'"),
        ("", "question needs 'ask'"),
    ],
)
def test_bad_question_asks(tmp_path, ask, words):
    path = write(tmp_path, f"""\
        id: a
        kind: graph
        inputs: {{x: [1.0, 2.0]}}
        params: {{w: 0.5}}
        steps:
          h: x * w
          y: sum(h)
        questions:
          - {{id: q1, ask: y}}
          - {{id: q2, ask: {json.dumps(ask)}}}
        """)
    (message,) = faults_of(path)
    assert message.startswith(f"{path}:10:")
    assert words in message
    validate(path)


def test_good_question_asks(tmp_path):
    path = write(tmp_path, """\
        id: a
        kind: graph
        inputs: {x: [1.0, 2.0]}
        params: {w: 0.5}
        steps:
          h: x * w
          y: sum(h)
        questions:
          - {id: q1, ask: "h[1]"}
          - {id: q2, ask: "dy/dx[0]", points: 2}
          - {id: q3, ask: "∂y/∂w", tolerance: {abs: 0.1}}
        """)
    problem = hwcheck.load_problem(path)
    assert [q.id for q in problem.questions] == ["q1", "q2", "q3"]
    assert problem.questions[1].points == 2.0
    assert problem.questions[2].tolerance.abs == 0.1
    solution = hwcheck.solve(problem)
    assert float(solution.expected("h[1]").value) == 1.0  # 2 · 0.5
    assert float(solution.expected("dy/dx[0]").value) == 0.5  # w
    assert float(solution.expected("∂y/∂w").value) == 3.0  # 1 + 2


def test_duplicate_question_ids(tmp_path):
    path = write(tmp_path, GOOD + "questions:\n  - {id: a, ask: y}\n  - {id: a, ask: dy/dw}\n")
    (message,) = faults_of(path)
    assert message.startswith(f"{path}:9:")
    assert "question id 'a' is used twice (first at line 8)" in message
    validate(path)


def test_bad_tolerance_and_points(tmp_path):
    path = write(tmp_path, GOOD + "tolerance: {rel: -1, absolute: 2}\nquestions:\n  - {id: a, ask: y, points: lots}\n")
    messages = faults_of(path)
    assert any("tolerance rel must be ≥ 0" in m for m in messages)
    assert any("unknown tolerance key 'absolute'" in m for m in messages)
    assert any("points:" in m and "'lots' is not a number" in m for m in messages)


# -- several faults, all reported ------------------------------------------------------


def test_several_faults_in_one_pass_are_all_reported(tmp_path):
    path = write(tmp_path, """\
        id: a
        kind: graph
        colour: blue
        inputs: {x: 1, 2y: 2, M: [[1], [2, 3]], v: abc}
        params: {x: 3, b: .nan}
        steps:
          a: later + x
          later: x ^ 2
          c: sigmod(x)
        """)
    messages = faults_of(path)
    expected = [
        ":3:1: unknown key 'colour'",
        ":4:16: bad name '2y'",
        ":4:26: input 'M': ragged matrix",
        ":4:44: input 'v': 'abc' is not a number",
        ":5:10: name 'x' is already used (line 4)",
        ":5:19: param 'b': nan is not a finite number",
        ":7:6: step 'a': uses 'later', which is defined later",
        ":8:12: step 'later': '^' is not a power here",
        ":9:6: step 'c': unknown function 'sigmod' (did you mean 'sigmoid'?)",
    ]
    for part in expected:
        assert any(part in m for m in messages), (part, messages)
    assert len(messages) == len(expected), messages
    lines = validate(path)
    assert len(lines) == len(expected)


def test_output_wrt_and_question_faults_are_all_reported(tmp_path):
    path = write(tmp_path, GOOD + "output: yy\nwrt: [q]\nquestions:\n  - {id: a, ask: y}\n  - {id: a, ask: y}\n")
    messages = faults_of(path)
    assert len(messages) == 3
    assert "output 'yy' is not a step" in messages[0]
    assert "wrt: unknown name 'q'" in messages[1]
    assert "question id 'a' is used twice" in messages[2]
    assert len(validate(path)) == 3


def test_step_faults_do_not_hide_output_and_wrt_faults(tmp_path):
    # A fault in a step must not stop the rest of the file from being checked: the
    # unknown output and the unknown wrt name are independent of the broken step.
    path = write(tmp_path, """\
        id: a
        kind: graph
        inputs: {x: 1}
        params: {w: 1}
        steps:
          y: x ^ w
        output: yy
        wrt: [q]
        """)
    messages = faults_of(path)
    assert any("'^' is not a power" in m for m in messages)
    assert any("output 'yy'" in m for m in messages), messages
    assert any("wrt: unknown name 'q'" in m for m in messages), messages


def test_validate_reports_every_file(tmp_path):
    good = write(tmp_path, GOOD, name="good.yaml")
    bad = write(tmp_path, GOOD + "output: yy\n", name="bad.yaml")
    result = subprocess.run([sys.executable, "-m", "hwcheck", "validate", str(good), str(bad), str(tmp_path / "none.yaml")], capture_output=True, text=True)
    assert result.returncode == 2
    assert f"{good}: ok" in result.stdout
    lines = result.stderr.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"error: {bad}:7:9: output 'yy'")
    assert lines[1] == f"error: {tmp_path / 'none.yaml'}: no such problem file; check the path"
    assert "Traceback" not in result.stderr


def test_every_faulty_file_through_the_real_cli(tmp_path):
    """All files the tests above gave to validate() (plus a few of its own, so that it also
    runs alone), in one real `python -m hwcheck validate` process."""
    own = [
        tmp_path / "missing.yaml",
        write(tmp_path, "id: a\nkind: graph\nkind: graph\n", name="dup.yaml"),
        write(tmp_path, "id: a\nkind: graph\ninputs: {x: abc}\nsteps:\n  y: x\n", name="value.yaml"),
        write(tmp_path, GOOD + "colour: blue\n", name="key.yaml"),
        write(tmp_path, GOOD.replace("x * w", "x ^ w"), name="expr.yaml"),
    ]
    paths = [p for p in FAULTY_FILES if p.exists() or p.name == "nope.yaml"] + own
    result = subprocess.run([sys.executable, "-m", "hwcheck", "validate", *map(str, paths)], capture_output=True, text=True, timeout=120)
    lines = check_cli_output(result.returncode, result.stderr, paths)
    for path in paths:
        assert any(line.startswith(f"error: {path}") for line in lines), path
