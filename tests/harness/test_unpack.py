"""Submission archives: dangerous ones are refused before anything is written."""

from __future__ import annotations

import stat
import zipfile

import pytest

from fusionbench.errors import SandboxError
from fusionbench.harness.unpack import UnpackLimits, safe_unpack


def make_zip(path, members):
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in members:
            zf.writestr(name, data)
    return path


def test_a_normal_submission_unpacks(tmp_path):
    archive = make_zip(tmp_path / "s.zip", [("metadata.json", '{"entrypoint": "python run.py"}'),
                                            ("run.py", "print(1)"), ("pkg/util.py", "x = 1")])
    out = safe_unpack(archive, tmp_path / "out")
    assert (out / "pkg/util.py").read_text() == "x = 1"


@pytest.mark.parametrize(
    ("name", "pattern"),
    [("../../x", "escapes"), ("a/../../x", "escapes"), ("/etc/passwd", "absolute"), ("C:/x", "absolute")],
)
def test_escaping_members_are_refused_and_nothing_is_written(tmp_path, name, pattern):
    archive = make_zip(tmp_path / "s.zip", [("run.py", "ok"), (name, "evil")])
    with pytest.raises(SandboxError, match=pattern):
        safe_unpack(archive, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_symlinks_are_refused(tmp_path):
    archive = tmp_path / "s.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        link = zipfile.ZipInfo("link")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(link, "/etc/passwd")
    with pytest.raises(SandboxError, match="link"):
        safe_unpack(archive, tmp_path / "out")


def test_zip_bomb_is_refused_on_declared_sizes(tmp_path):
    archive = make_zip(tmp_path / "bomb.zip", [("zeros", b"\0" * (64 * 1024**2))])
    with pytest.raises(SandboxError, match="zip bomb"):
        safe_unpack(archive, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_file_count_and_total_size_caps(tmp_path):
    archive = make_zip(tmp_path / "many.zip", [(f"f{i}", "x") for i in range(20)])
    with pytest.raises(SandboxError, match="20 members"):
        safe_unpack(archive, tmp_path / "out", UnpackLimits(max_files=10))
    with pytest.raises(SandboxError, match="unpacks to 20 bytes"):
        safe_unpack(archive, tmp_path / "out2", UnpackLimits(max_total_bytes=10))


def test_not_a_zip(tmp_path):
    (tmp_path / "x.zip").write_text("hello")
    with pytest.raises(SandboxError, match="not a zip"):
        safe_unpack(tmp_path / "x.zip", tmp_path / "out")
