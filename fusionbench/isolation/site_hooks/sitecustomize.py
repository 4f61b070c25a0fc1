"""Loaded by every Python process of a sandboxed run (the harness puts this folder on PYTHONPATH).

Python ignores SIGXFSZ, so a write cut at the per-file size limit (``RLIMIT_FSIZE``) only raises
``OSError(EFBIG)`` in the writer and leaves no trace the harness could see if the program carries
on.  This hook notes each such signal in the file named by ``FUSIONBENCH_LIMIT_LOG`` (in the work
folder) so that the run is flagged ``file_size_limit_hit``; the write still fails as before.  It is
a convenience for honest submissions, not a security boundary (a program can undo it), and then
hands over to the next ``sitecustomize`` on the path, if any.
"""

import os
import signal
import sys


def _note_file_size_limit(signum, frame):  # noqa: ARG001
    path = os.environ.get("FUSIONBENCH_LIMIT_LOG")
    if not path:
        return
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            os.write(fd, b"SIGXFSZ\n")
        finally:
            os.close(fd)
    except OSError:
        pass


try:
    signal.signal(signal.SIGXFSZ, _note_file_size_limit)
except (AttributeError, ValueError, OSError):
    pass


def _chain():
    here = os.path.dirname(os.path.abspath(__file__))
    for entry in sys.path:
        folder = os.path.abspath(entry or ".")
        candidate = os.path.join(folder, "sitecustomize.py")
        if folder != here and os.path.isfile(candidate):
            with open(candidate, encoding="utf-8") as handle:
                code = compile(handle.read(), candidate, "exec")
            exec(code, {"__name__": "sitecustomize", "__file__": candidate})  # noqa: S102
            return


try:
    _chain()
except Exception:  # noqa: BLE001 - never break the submission's start-up
    pass
