"""Hostile candidates end as ``error`` or ``timeout`` for their own item only.

Every attack is followed by a correct candidate in the same sandbox (one worker, so in order):
that item must still succeed.  Controls run the same attack without bubblewrap
(``sandbox=False``, the protocol only) where that is safe, to show the attack works there.
"""

from __future__ import annotations

import os
import socket
import threading

import pytest

from fusionbench.metrics.execution import load_tests, run_items
from tests.c2c_real.conftest import MIRROR, gfg_split, needs_bwrap, needs_mirror
from tests.c2c_real.helpers import CORRECT, EVEN_ODD, even_odd

pytestmark = [needs_mirror, needs_bwrap]


def _run(candidates, *, sandbox=True, timeout_s=3.0):
    """Each candidate then a correct one; returns (attack statuses, follow-up statuses, outcomes)."""
    reference = gfg_split("test")[EVEN_ODD][1]
    predictions = {}
    for index, candidate in enumerate(candidates):
        predictions[f"{index}-attack"] = candidate
        predictions[f"{index}-after"] = CORRECT
    outcomes = run_items(predictions, dict.fromkeys(predictions, reference), load_tests(MIRROR),
                         timeout_s=timeout_s, sandbox=sandbox, workers=1)
    return [o.status for o in outcomes[::2]], [o.status for o in outcomes[1::2]], outcomes


def test_reading_host_files_fails_inside_and_works_without_sandbox(tmp_path):
    secret = MIRROR / "SOURCE.md"  # any host file outside the sandbox's read-only system
    attack = even_odd(f"open ( '{secret}' ) . read ( )", "return n % 2 == 0")
    attacks, after, outcomes = _run([attack])
    assert attacks == ["error"] and after == ["success"]
    assert "FileNotFoundError" in outcomes[0].error
    assert _run([attack], sandbox=False)[0] == ["success"]  # control: the file is readable on the host


def test_no_network_inside_the_sandbox():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    port = server.getsockname()[1]
    stop = threading.Event()

    def accept():
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                server.accept()[0].close()
            except OSError:
                pass

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        attack = even_odd("import socket", f"socket . create_connection ( ( '127.0.0.1' , {port} ) , timeout = 2 )",
                          "return n % 2 == 0")
        attacks, after, _ = _run([attack])
        assert attacks == ["error"] and after == ["success"]
        assert _run([attack], sandbox=False)[0] == ["success"]  # control: the host's port answers
    finally:
        stop.set()
        thread.join()
        server.close()


def _processes() -> int:
    return sum(1 for name in os.listdir("/proc") if name.isdigit())


def test_fork_bomb_infinite_loop_and_huge_output():
    before = _processes()
    attacks, after, _ = _run([
        even_odd("import os", "while True :", "    os . fork ( )"),
        even_odd("while True :", "    pass"),
        even_odd("while True :", "    print ( 'x' * 100000 )"),
        even_odd("x = bytearray ( 10 ** 12 )", "return True"),
    ])
    assert attacks[0] in ("error", "timeout")
    assert attacks[1:] == ["timeout", "error", "error"]
    assert after == ["success"] * 4
    assert _processes() <= before + 2  # nothing left running


def test_exiting_killing_the_runner_and_deleting_the_script():
    attacks, after, outcomes = _run([
        even_odd("import os", "os . _exit ( 0 )"),
        even_odd("import os", "os . kill ( os . getppid ( ) , 9 )"),
        even_odd("import os , shutil", "os . remove ( __file__ )", "shutil . rmtree ( '/tmp' , True )",
                 "raise SystemExit ( 0 )"),
        even_odd("import os", "os . kill ( - 1 , 9 )"),
    ])
    assert attacks == ["error"] * 4
    assert after == ["success"] * 4
    assert outcomes[0].error == "no outputs line"


@pytest.mark.parametrize("code", [3, 0])
def test_a_forged_result_line_does_not_pass(code):
    attacks, _, _ = _run([even_odd("print ( '#Results: ▁ 10, ▁ 10' )", "import os", f"os . _exit ( {code} )")])
    assert attacks == ["error"]


def test_calling_the_scripts_gold_function_does_not_pass():
    attacks, after, outcomes = _run([even_odd("return f_gold ( n )")])
    assert attacks == ["error"] and after == ["success"]
    assert outcomes[0].error == "NameError: name 'f_gold' is not defined"


def test_a_sandbox_that_cannot_start_is_one_clear_error(monkeypatch):
    from fusionbench.errors import SandboxError
    from fusionbench.isolation import batch

    real = batch._command
    monkeypatch.setattr(batch, "_command", lambda *a: [real(*a)[0], "--no-such-flag", *real(*a)[1:]])
    with pytest.raises(SandboxError, match="the batch sandbox did not start"):
        batch.run_scripts(["print(1)"], timeout_s=2)


def test_the_driver_refuses_to_clean_up_outside_its_sandbox():
    # run without bubblewrap but asking for sandbox clean-up: the driver must refuse, not sweep the host
    import json
    import subprocess
    import sys

    from fusionbench.isolation import batch

    driver = (batch.Path(batch.__file__).with_name("batch_driver.py")).read_text()
    request = {"script": "print(1)", "timeout": 2, "memory": 2**30, "output": 2**20, "sandboxed": True}
    out = subprocess.run([sys.executable, "-I", "-S", "-c", driver], input=json.dumps(request) + "\n",
                         capture_output=True, text=True, timeout=30, check=True).stdout
    assert json.loads(out) == {"status": "refused"}


def test_a_script_that_stops_its_driver_costs_only_its_own_item(monkeypatch):
    # SIGSTOP to the driver: it never answers; the host's own deadline kills that sandbox, reports the
    # item as a timeout and runs the next item in a fresh one.  Without the deadline this run never returns.
    import time

    from fusionbench.isolation import batch

    monkeypatch.setattr(batch, "request_deadline", lambda timeout_s: 4.0, raising=False)
    stop = even_odd("import os , signal", "os . kill ( os . getppid ( ) , signal . SIGSTOP )", "return n % 2 == 0")
    started = time.monotonic()
    attacks, after, outcomes = _run([stop])
    assert attacks == ["timeout"] and after == ["success"]
    # control: the same script without the signal passes at once, so the timeout is the frozen driver's
    assert _run([even_odd("import os , signal", "os . getppid ( )", "return n % 2 == 0")])[0] == ["success"]
    assert time.monotonic() - started < 60


def test_nothing_written_to_shared_memory_reaches_the_next_script(tmp_path):
    # the first script writes to /dev/shm (and /tmp) and makes a System V segment; a later script in the
    # same sandbox fails if it finds any of them
    import secrets

    name = "fb-" + secrets.token_hex(6)
    writer = even_odd("import ctypes", f"open ( '/dev/shm/{name}' , 'w' ) . write ( 'x' )",
                      f"open ( '/tmp/{name}' , 'w' ) . write ( 'x' )",
                      "ctypes . CDLL ( None ) . shmget ( 4242 , 4096 , 0o1600 )", "return n % 2 == 0")
    checker = even_odd("import os , ctypes", f"assert not os . path . exists ( '/dev/shm/{name}' ) , 'shm persisted'",
                       f"assert not os . path . exists ( '/tmp/{name}' ) , 'tmp persisted'",
                       "assert ctypes . CDLL ( None ) . shmget ( 4242 , 0 , 0 ) == - 1 , 'sysv persisted'",
                       "return n % 2 == 0")
    attacks, after, outcomes = _run([writer, checker])
    assert attacks == ["success", "success"] and after == ["success"] * 2, outcomes
    try:  # control: without the sandbox's clean-up the checker sees the file (the host's /dev/shm)
        attacks, _, outcomes = _run([writer, checker], sandbox=False)
        assert attacks[1] == "error" and "persisted" in outcomes[2].error
    finally:
        for leftover in (f"/dev/shm/{name}", f"/tmp/{name}"):
            if os.path.exists(leftover):
                os.unlink(leftover)
        import ctypes

        libc = ctypes.CDLL(None)
        segment = libc.shmget(4242, 0, 0)
        if segment != -1:
            libc.shmctl(segment, 0, None)


#: Candidates that look for the script's gold function (frames, the garbage collector, the script's
#: own source) and call it.
GOLD_SEEKERS = [
    even_odd("import sys", "g = sys . _getframe ( 1 ) . f_globals",
             "return [ v for k , v in g . items ( ) if k . startswith ( 'f_gold' ) ] [ 0 ] ( n )"),
    even_odd("import gc",
             "return [ o for o in gc . get_objects ( ) if getattr ( o , '__name__' , '' ) . startswith ( 'f_gold' )"
             " and o . __name__ != 'f_filled' ] [ 0 ] ( n )"),
    even_odd("src = open ( __file__ ) . read ( )", "ns = { }",
             "exec ( src [ src . index ( 'def▁f_gold' ) : src . index ( 'def▁f_filled' ) ] , ns )",
             "return [ v for k , v in ns . items ( ) if k . startswith ( 'f_gold' ) ] [ 0 ] ( n )"),
]


def test_a_candidate_cannot_reach_the_gold_function():
    # the candidate runs in its own process with no f_gold and no gold output in it: all three fail
    attacks, after, outcomes = _run(GOLD_SEEKERS)
    assert attacks == ["error"] * 3 and after == ["success"] * 3, outcomes
    # control: in TransCoder's one-process script (f_gold beside f_filled, even renamed) all three pass
    from fusionbench.isolation.batch import run_scripts
    from fusionbench.metrics.execution.candidate import fill_script, filled_function

    script = load_tests(MIRROR).script(EVEN_ODD)
    legacy = [fill_script(script, filled_function(seeker), "0123456789abcdef") for seeker in GOLD_SEEKERS]
    results = run_scripts(legacy, timeout_s=5, workers=1)
    assert ["#Results-0123456789abcdef: 10, 10" in r.stdout for r in results] == [True] * 3, results
