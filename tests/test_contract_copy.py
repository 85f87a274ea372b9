"""tests/contract/ is a copy of the contract's examples; when ../shared is beside the
repository (a developer's machine, CI), the copy must still equal it byte for byte."""

from __future__ import annotations

import pytest

from support import CONTRACT, SHARED_CONTRACT


def _files(folder):
    return {path.relative_to(folder).as_posix(): path.read_bytes() for path in folder.rglob("*") if path.is_file()}


def test_copy_of_the_contract_examples_has_not_drifted():
    if not SHARED_CONTRACT.is_dir():
        pytest.skip("no ../shared/spec/examples beside this clone to compare with (a user's clone)")
    assert _files(CONTRACT) == _files(SHARED_CONTRACT)


def test_copy_has_the_examples_the_tests_use():
    names = _files(CONTRACT)
    assert {"residual_relu.yaml", "alice_residual_relu.yaml", "bob_mlp_params.yaml", "numpy_net.yaml",
            "hw4.yaml", "submissions/carol/hw4.py", "submissions/dave/answers.yaml"} <= set(names)
