"""The failed-run summary shows the submission's stderr with control characters escaped: a
submission cannot move the cursor and repaint the score table on the terminal."""

from __future__ import annotations

import json

from harness_helpers import needs_bwrap, write_submission

from fusionbench.cli import main

pytestmark = needs_bwrap

#: Moves the cursor up over the table, erases its lines and prints a fake one; then fails.
SPOOF = r"""
import sys
E = "\x1b"
sys.stderr.write("Traceback (most recent call last):\n")
sys.stderr.write(f"{E}[13A\r{E}[2KHTR      0.964  0.950-0.977  scored\n{E}[J\u202eevil\x9b2J\tkept\n")
sys.exit(1)
"""


def test_stderr_control_characters_are_escaped_in_the_summary(tmp_path, capsys):
    submission = write_submission(tmp_path / "sub", SPOOF)
    out = tmp_path / "results"
    assert main(["run", str(submission), "--tasks", "HTR", "--out", str(out), "--bootstrap", "10"]) == 4
    shown = capsys.readouterr().out
    record = json.loads(next(out.rglob("record.json")).read_text(encoding="utf-8"))
    assert "\x1b[13A" in record["execution"]["stderr"]["text"]  # the record keeps the bytes as written
    assert not any(ord(c) < 32 and c not in "\n\t" for c in shown)  # nothing reaches the terminal raw
    assert "\x9b" not in shown and "\u202e" not in shown
    assert r"  | \x1b[13A\x0d\x1b[2KHTR      0.964" in shown
    assert r"\x1b[J\u202eevil\x9b2J" + "\tkept" in shown
