"""The harness commands of the ``fusionbench`` CLI: ``run``, ``verify``, ``compare``, ``leaderboard``.

Kept apart from :mod:`fusionbench.cli` so that each file stays small; the exit-status rules are
the same (0 success, 2 invalid input, 1 internal error), plus 3 for a record that fails
verification and, for ``run``, 4 when the submission did not finish cleanly (timeout, limit, non-zero
exit) although a record was written.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from typing import Any

from fusionbench.errors import FusionBenchError

__all__ = ["EXIT_RUN_FAILED", "EXIT_VERIFY_FAILED", "add_harness_commands"]

EXIT_VERIFY_FAILED = 3
EXIT_RUN_FAILED = 4
_UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}
_TIME_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600}


def parse_bytes(text: str) -> int:
    """``"512M"``, ``"16G"``, ``"1048576"`` to bytes."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?\s*", text.lower())
    if not match:
        raise FusionBenchError(f"not a size: {text!r}", expected="a number with an optional K/M/G/T suffix")
    return int(float(match.group(1)) * _UNITS[match.group(2)])


def parse_seconds(text: str) -> float:
    """``"90m"``, ``"1.5h"``, ``"30"`` (seconds) to seconds."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smh]?)\s*", text.lower())
    if not match:
        raise FusionBenchError(f"not a duration: {text!r}", expected="a number with an optional s/m/h suffix")
    return float(match.group(1)) * _TIME_UNITS[match.group(2)]


def add_harness_commands(subparsers: argparse._SubParsersAction) -> None:
    """Register the four harness commands on the main parser."""
    from fusionbench.cli import _add_extensions

    run = subparsers.add_parser(
        "run", help="run a submission on a split's inputs in a sandbox, score it, write a record",
        description=(
            "Run SUBMISSION (a folder or zip with metadata.json {\"entrypoint\": \"python run.py\"}) on the "
            "inputs of a split (answers are never visible to it), inside bubblewrap with no network, then score "
            "its output/prediction_<TASK>.json files and write OUT/<name>-<split>-<hash>/record.json."
        ),
    )
    run.add_argument("submission", metavar="SUBMISSION", help="submission folder or .zip")
    run.add_argument("--data", default="sample",
                     help="'sample' (the shipped sample benchmark) or a challenge-layout folder (default: sample)")
    run.add_argument("--split", default="test", help="split to run on (default: test)")
    run.add_argument("--tasks", help="comma-separated tasks (default: every task with a reference)")
    run.add_argument("--out", default="fusionbench-results", help="results folder (default: fusionbench-results)")
    run.add_argument("--no-sandbox", action="store_true",
                     help="run as a plain process group without bubblewrap (no file-system or network isolation; "
                          "recorded in the record)")
    run.add_argument("--time-limit", default="90m", help="wall-time limit, e.g. 90m, 2h, 600 (default: 90m)")
    run.add_argument("--memory", help="memory limit, e.g. 16G (default: 75%% of RAM, at most 16G)")
    run.add_argument("--max-processes", type=int, default=512, help="process-count limit (default: 512)")
    run.add_argument("--max-output", default="1G",
                     help="bytes the entrypoint may write anywhere in its work folder, sparse files at their "
                          "apparent size; also the per-file size limit, e.g. 1G (default: 1G)")
    run.add_argument("--max-files", type=int, default=100_000,
                     help="files and folders the entrypoint may create in its work folder (default: 100000)")
    run.add_argument("--max-prediction", default="64M",
                     help="largest prediction file read, by apparent size (default: 64M; parsing may use up to "
                          "32 times this in a separate process)")
    run.add_argument("--max-score-time", default="10m",
                     help="wall time to score each task's prediction file, e.g. 10m, 600 (default: 10m); "
                          "past it the task is invalid")
    run.add_argument("--env", action="append", default=[], metavar="KEY=VALUE",
                     help="environment variable for the entrypoint (repeatable; nothing else is passed)")
    run.add_argument("--bootstrap", type=int, default=1000, metavar="N", help="bootstrap samples (default: 1000)")
    run.add_argument("--seed", type=int, default=12345, help="bootstrap seed (default: 12345)")
    run.add_argument("--json", action="store_true", help="print the record as one JSON object on stdout")
    _add_extensions(run)
    run.set_defaults(handler=_run)

    verify = subparsers.add_parser("verify", help="re-score a record's saved predictions and confirm it")
    verify.add_argument("record", metavar="RECORD", help="record.json or its run folder")
    verify.add_argument("--data", help="where the data is now, if moved (hashes must still match)")
    verify.add_argument("--submission", help="the submission folder or zip, to check its files against the record")
    verify.set_defaults(handler=_verify)

    compare = subparsers.add_parser("compare", help="paired significance test between two records")
    compare.add_argument("a", metavar="A", help="baseline record (record.json or run folder)")
    compare.add_argument("b", metavar="B", help="other record")
    compare.add_argument("--method", choices=["bootstrap", "ar"], default="bootstrap",
                         help="paired bootstrap (default) or approximate randomisation")
    compare.add_argument("--trials", type=int, default=1000, help="resamples / permutations (default: 1000)")
    compare.add_argument("--seed", type=int, default=12345)
    compare.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    compare.set_defaults(handler=_compare)

    board = subparsers.add_parser("leaderboard", help="rank the records in a results folder (md, html, png)")
    board.add_argument("results", metavar="RESULTS_DIR", help="folder searched recursively for record.json")
    board.add_argument("--out", help="where to write leaderboard.{md,html,png} (default: RESULTS_DIR)")
    board.add_argument("--no-png", action="store_true", help="skip the PNG chart (it needs matplotlib)")
    board.set_defaults(handler=_leaderboard)


def _err(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def render_run(record: dict[str, Any], path: Any) -> str:
    """The table ``fusionbench run`` prints: per task score, interval, status; overall; where the record is."""
    rows = [("task", "score", "95% CI", "status")]
    for task, entry in record["tasks"].items():
        ci = entry["ci"]
        status = entry["status"] if entry["status"] == "scored" else f"{entry['status']}: {entry.get('reason', '')}"
        rows.append((task, f"{entry['rounded']:.3f}", f"{ci['low']:.3f}–{ci['high']:.3f}",
                     escape_controls(status)[:100]))
        for lang, sub in (entry.get("languages") or {}).items():
            rows.append((f"  {lang}", f"{sub['rounded']:.3f}", "", ""))
        if entry.get("execution"):  # C2C --c2c-exec: execution accuracy rides along (not in overall)
            exe = entry["execution"]
            rows.append(("  exec", f"{exe['accuracy']:.3f}", "", f"execution accuracy ({exe['counts']['success']}/"
                                                              f"{exe['with_test']} items with a test)"))
    ci = record["overall_ci"]
    total = ("overall", f"{record['overall']:.3f}", f"{ci['low']:.3f}–{ci['high']:.3f}", "")
    widths = [max(len(r[i]) for r in [*rows, total]) for i in range(3)]

    def fmt(row: tuple[str, ...]) -> str:
        return "  ".join([row[0].ljust(widths[0]), row[1].rjust(widths[1]), row[2].rjust(widths[2]), row[3]]).rstrip()

    rule = "  ".join("-" * w for w in widths) + "  ------"
    lines = [fmt(rows[0]), rule, *(fmt(r) for r in rows[1:]), rule,
             fmt(total)]
    execution = record.get("execution") or {}
    boot = record["bootstrap"]
    if execution and execution.get("status") != "ok":
        lines += ["", f"the entrypoint ended with {execution.get('status')} (exit status {execution.get('exit_code')})"
                  + (f", flags: {', '.join(execution['flags'])}" if execution.get("flags") else "")
                  + "; last lines of its stderr:"]
        lines += [f"  | {line}" for line in _tail_lines((execution.get("stderr") or {}).get("text", ""))]
    lines += ["", f"intervals: {boot['method']}, {boot['samples']} samples, seed {boot['seed']}",
              (f"run: {execution.get('status')} (exit status {execution.get('exit_code')}), "
               f"isolation: {record['isolation'].get('mode')}, {record['timings'].get('total_s', 0):.1f} s in all"),
              f"record: {path}"]
    return "\n".join(lines)


#: Bidirectional-text controls, which can reorder what a terminal shows.
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def escape_controls(text: str) -> str:
    """``text`` with every control character but newline and tab written as an escape (``\\x1b``,
    ``\\u202e``), so that what a submission printed cannot move the cursor, repaint the summary or
    reorder it on the terminal."""
    import unicodedata

    def shown(char: str) -> str:
        if char in "\n\t":
            return char
        if unicodedata.category(char) == "Cc" or char in _BIDI:
            code = ord(char)
            return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
        return char

    return "".join(shown(c) for c in text)


def _tail_lines(text: str, lines: int = 12, width: int = 200) -> list[str]:
    """The last ``lines`` non-empty lines of ``text`` (control characters escaped), each cut to
    ``width`` characters."""
    text = escape_controls(text.replace("\r\n", "\n"))
    kept = [line.rstrip() for line in text.splitlines() if line.strip()][-lines:]
    return [line if len(line) <= width else line[: width - 3] + "..." for line in kept] or ["(nothing on stderr)"]


def _run(args: argparse.Namespace) -> int:
    from fusionbench.cli import _extension_options
    from fusionbench.harness.runner import run_submission
    from fusionbench.isolation.sandbox import Limits

    env = {}
    for item in args.env:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise FusionBenchError(f"--env needs KEY=VALUE, not {item!r}")
        env[key] = value
    limit_args: dict[str, Any] = {"wall_time_s": parse_seconds(args.time_limit), "max_processes": args.max_processes,
                                  "output_bytes": parse_bytes(args.max_output), "max_files": args.max_files,
                                  "prediction_bytes": parse_bytes(args.max_prediction),
                                  "score_time_s": parse_seconds(args.max_score_time)}
    if args.memory:
        limit_args["memory_bytes"] = parse_bytes(args.memory)
    if args.no_sandbox:
        _err("fusionbench: warning: --no-sandbox: the submission runs without file-system or network isolation")
    record, path = run_submission(
        args.submission, data=args.data, split=args.split, tasks=args.tasks, out=args.out,
        limits=Limits(**limit_args), sandbox=not args.no_sandbox, options=_extension_options(args),
        bootstrap_samples=args.bootstrap, seed=args.seed, env=env,
        log=lambda line: _err(f"fusionbench: {line}"),
    )
    if args.json:
        sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(render_run(record, path) + "\n")
    status = (record.get("execution") or {}).get("status")
    return 0 if status == "ok" else EXIT_RUN_FAILED


def _verify(args: argparse.Namespace) -> int:
    from fusionbench.harness.verify import verify_record

    result = verify_record(args.record, data=args.data, submission=args.submission)
    sys.stdout.write(result.summary() + "\n")
    return 0 if result.ok else EXIT_VERIFY_FAILED


def _compare(args: argparse.Namespace) -> int:
    from fusionbench.harness.compare import compare_records

    comparison = compare_records(args.a, args.b, method=args.method, trials=args.trials, seed=args.seed)
    if args.json:
        sys.stdout.write(json.dumps(comparison.to_dict(), ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(comparison.table() + "\n")
    return 0


def _leaderboard(args: argparse.Namespace) -> int:
    from fusionbench.harness.leaderboard import write_leaderboard

    result = write_leaderboard(args.results, args.out, png=not args.no_png)
    for warning in result["warnings"]:
        _err(f"fusionbench: warning: {warning}")
    sys.stdout.write(result["markdown"])
    _err("fusionbench: wrote " + ", ".join(result["files"]))
    return 0
