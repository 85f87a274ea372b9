"""yamldoc.read_text asks for the size the stat gave (a read of n bytes allocates n bytes
first); a file whose size was misreported must still be read whole, and still bounded."""

import os

import pytest

from hwcheck import yamldoc
from hwcheck.errors import InputError
from hwcheck.yamldoc import MAX_FILE_BYTES, read_text


def misreport_size(monkeypatch, target, size):
    """os.stat says ``target`` holds ``size`` bytes (as a growing file or a /proc file would)."""
    real = os.stat

    def stat(path, *args, **kwargs):
        result = real(path, *args, **kwargs)
        if os.fspath(path) != os.fspath(target):
            return result
        fields = list(result)
        fields[6] = size  # st_size
        return os.stat_result(fields)

    monkeypatch.setattr(yamldoc.os, "stat", stat)


@pytest.mark.parametrize("claimed", [0, 1, 20, 39])
def test_a_file_larger_than_its_stat_said_is_read_whole(tmp_path, monkeypatch, claimed):
    sheet = tmp_path / "s.yaml"
    text = "answers:\n  T1.z: 0.62\n  T1.w0: -0.2\n"  # 39 bytes
    sheet.write_text(text, encoding="utf-8")
    misreport_size(monkeypatch, sheet, claimed)
    assert read_text(sheet) == text


def test_a_file_smaller_than_its_stat_said_is_read_as_it_is(tmp_path, monkeypatch):
    sheet = tmp_path / "s.yaml"
    sheet.write_bytes("\ufeffanswers: {T1.z: 0.62}\n".encode("utf-8"))  # with a byte-order mark
    misreport_size(monkeypatch, sheet, 4096)
    assert read_text(sheet) == "answers: {T1.z: 0.62}\n"


def test_the_bound_holds_when_the_stat_says_the_file_is_empty(tmp_path, monkeypatch):
    big = tmp_path / "big.yaml"
    big.write_bytes(b"# " + b"x" * MAX_FILE_BYTES + b"\n")
    misreport_size(monkeypatch, big, 0)
    with pytest.raises(InputError, match="larger than 5,000,000 bytes"):
        read_text(big, "answer sheet")


def test_a_file_of_exactly_the_bound_is_read(tmp_path):
    edge = tmp_path / "edge.yaml"
    edge.write_bytes(b"#" * (MAX_FILE_BYTES - 1) + b"\n")
    assert len(read_text(edge)) == MAX_FILE_BYTES
