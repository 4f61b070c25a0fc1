"""The ``fusionbench`` command line: parse, call the library, print, exit.

Exit status: 0 on success, 2 on invalid input (one line on stderr starting
``fusionbench: error:``), 1 on an internal error.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import NoReturn

from fusionbench import __version__
from fusionbench.errors import FusionBenchError

__all__ = ["main"]

EXIT_OK, EXIT_INTERNAL, EXIT_INPUT = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line, like every other input error."""

    def error(self, message: str) -> NoReturn:
        raise FusionBenchError(f"{message} (see '{self.prog} --help')")


def _add_score(subparsers: argparse._SubParsersAction) -> None:
    score = subparsers.add_parser(
        "score",
        help="score prediction files against reference files",
        description=(
            "Score prediction_<TASK>.json files in PRED_DIR against true_<TASK>.json files in "
            "REF_DIR with the official FusionBrain rules. Tasks are those with a reference file "
            "unless --tasks is given. Extensions are off unless asked for."
        ),
    )
    score.add_argument("ref_dir", metavar="REF_DIR",
                       help="directory with true_<TASK>.json files (or a challenge-layout folder with answers/)")
    score.add_argument("pred_dir", metavar="PRED_DIR", help="directory with prediction_<TASK>.json files")
    score.add_argument("--tasks", help="comma-separated tasks to score, e.g. C2C,HTR (default: all with references)")
    score.add_argument("--json", action="store_true", help="print exactly one JSON object on stdout")
    score.add_argument("--out", metavar="FILE", help="also write the JSON report to FILE (atomically)")
    _add_extensions(score)


def _add_extensions(parser: argparse.ArgumentParser) -> None:
    ext = parser.add_argument_group("extensions (each changes the signature)")
    ext.add_argument("--by-language", action="store_true", help="per-language breakdowns (HTR, zsOD, VQA)")
    ext.add_argument("--htr-error-rates", action="store_true", help="also report HTR character/word error rates")
    ext.add_argument("--zsod-matching", choices=["official", "one_to_one"], default="official",
                     help="one_to_one: each reference box matches at most once")
    ext.add_argument("--vqa-normalize-references", action="store_true",
                     help="normalise VQA reference answers as well as predictions")
    ext.add_argument("--c2c-detokenize", action="store_true",
                     help="rebuild real Python from NEW_LINE/INDENT/DEDENT before parsing")
    ext.add_argument("--c2c-dataflow-parents", choices=["official", "sorted"], default="official",
                     help="sorted: data-flow parents independent of Python's string hashing")
    ext.add_argument("--c2c-grammar", metavar="PATH|2021",
                     help="an old compiled tree-sitter grammar (e.g. the 2021 my-languages.so): "
                          "parse with py-tree-sitter 0.2.0 in a cached helper venv; '2021' fetches the "
                          "official file from its pinned commit (or $FUSIONBENCH_LEGACY_GRAMMAR) and caches it")
    ext.add_argument("--c2c-exec", action="store_true",
                     help="also report C2C execution accuracy: run each translation against its GfG test "
                          "script in a sandbox (needs bubblewrap)")
    ext.add_argument("--c2c-tests", metavar="DIR",
                     help="GfG test scripts for --c2c-exec (default: $FUSIONBENCH_C2C_TESTS)")
    ext.add_argument("--c2c-timeout", metavar="S", type=float, default=10.0,
                     help="seconds per test script for --c2c-exec (default: 10)")


def _extension_options(args: argparse.Namespace) -> dict[str, object]:
    return {
        "by_language": args.by_language, "htr_error_rates": args.htr_error_rates,
        "zsod_matching": args.zsod_matching, "vqa_normalize_references": args.vqa_normalize_references,
        "c2c_detokenize": args.c2c_detokenize, "c2c_dataflow_parents": args.c2c_dataflow_parents,
        "c2c_grammar": args.c2c_grammar,
        "c2c_execution": args.c2c_exec, "c2c_tests": args.c2c_tests, "c2c_timeout": args.c2c_timeout,
    }


def _add_export(subparsers: argparse._SubParsersAction) -> None:
    export = subparsers.add_parser("export", help="export data in other layouts")
    kinds = export.add_subparsers(dest="kind", metavar="KIND", parser_class=_Parser)
    hub = kinds.add_parser(
        "hub", help="Parquet shards per config and split plus a README card (loads with stock datasets)",
        description="Write OUT_DIR so that datasets.load_dataset(OUT_DIR, CONFIG) works; images are embedded.",
    )
    hub.add_argument("out_dir", metavar="OUT_DIR", help="folder to create (must not exist)")
    hub.add_argument("--configs", help="comma-separated configs (default: htr,zsod,vqa,c2c)")
    hub.add_argument("--data-dir", metavar="DIR",
                     help="a split in the challenge layout (input/ + answers/, or true_*.json beside input/)")
    hub.add_argument("--push", metavar="REPO_ID", help="also upload the folder to the Hugging Face Hub")
    challenge = kinds.add_parser(
        "challenge", help="a split in the challenge layout: input/ without answers, answers/ apart",
    )
    challenge.add_argument("out_dir", metavar="OUT_DIR", help="folder to create (must not exist)")
    challenge.add_argument("--split", default="test", help="split to export (default: test)")
    challenge.add_argument("--tasks", help="comma-separated tasks (default: all four)")
    challenge.add_argument("--data-dir", metavar="DIR",
                           help="read this challenge-layout folder (answers in answers/ or beside input/) instead of the sample")


def _add_audit(subparsers: argparse._SubParsersAction) -> None:
    audit = subparsers.add_parser(
        "audit", help="leakage audit: evaluation images and C2C pairs that also occur in training data",
        description="Splits default to the shipped sample (train generated on first use). Each DIR is a split in "
                    "the challenge layout, its answers in answers/ or beside input/.",
    )
    audit.add_argument("--train", metavar="DIR", help="train split in the challenge layout")
    audit.add_argument("--validation", metavar="DIR", help="validation split in the challenge layout")
    audit.add_argument("--test", metavar="DIR", help="test split in the challenge layout")
    audit.add_argument("--json", action="store_true", help="print exactly one JSON object on stdout")
    audit.add_argument("--write-clean", metavar="DIR",
                       help="write the train split without the leaked items (a new folder: input/ + answers/)")
    audit.add_argument("--c2c-real", metavar="MIRROR", nargs="?", const="",
                       help="audit C2C on real data instead: the TransCoder GfG sets and AVATAR-g4g against "
                            "AVATAR-g4g train (pinned downloads, or MIRROR: a local copy of AVATAR's data/); "
                            "--write-clean then writes a cleaned train.jsonl")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``fusionbench`` command."""
    parser = _Parser(prog="fusionbench", description="Exact FusionBrain (AIJ 2021) evaluation.")
    parser.add_argument("--version", action="version", version=f"fusionbench {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    _add_score(subparsers)
    _add_export(subparsers)
    _add_audit(subparsers)
    from fusionbench.cli_harness import add_harness_commands

    add_harness_commands(subparsers)
    from fusionbench.cli_view import add_view_commands

    add_view_commands(subparsers)
    from fusionbench.cli_integrations import add_integrations_commands

    add_integrations_commands(subparsers)
    return parser


def _run_score(args: argparse.Namespace) -> int:
    from fusionbench.evaluation import evaluate
    from fusionbench.jsonio import write_json_atomic

    from fusionbench.data.challenge import reference_dir

    report = evaluate(args.pred_dir, reference_dir(args.ref_dir), tasks=args.tasks, **_extension_options(args))
    payload = report.to_dict()
    if args.out:
        write_json_atomic(args.out, payload)
    if args.json:
        sys.stdout.write(json.dumps(payload, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(report.table() + "\n")
    return EXIT_OK


def _run_export(args: argparse.Namespace) -> int:
    from fusionbench.data.export import export_challenge, export_hub, push_to_hub

    source = "data_dir" if args.data_dir else "sample"
    if args.kind == "challenge":
        tasks = [t for t in args.tasks.split(",") if t.strip()] if args.tasks else None
        folder = export_challenge(args.out_dir, split=args.split, tasks=tasks, source=source, data_dir=args.data_dir)
        print(f"wrote {folder}", file=sys.stderr)
        return EXIT_OK
    if args.kind != "hub":
        raise FusionBenchError("export needs a kind: hub or challenge")
    configs = [c for c in args.configs.split(",") if c.strip()] if args.configs else None
    folder = export_hub(args.out_dir, configs=configs, source=source, data_dir=args.data_dir)
    print(f"wrote {folder}", file=sys.stderr)
    if args.push:
        print(push_to_hub(folder, args.push))
    return EXIT_OK


def _run_audit(args: argparse.Namespace) -> int:
    from fusionbench.data.audit import audit, write_clean_split

    if args.c2c_real is not None:
        return _run_c2c_audit(args)
    from fusionbench.data.sample_source import frozen_split, train_split

    splits = {
        "train": args.train or train_split(),
        "validation": args.validation or frozen_split("validation"),
        "test": args.test or frozen_split("test"),
    }
    report = audit(splits)
    if args.json:
        sys.stdout.write(json.dumps(report.to_dict(), ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(report.table() + "\n")
    if args.write_clean:
        print(f"wrote {write_clean_split(splits['train'], args.write_clean, report)}", file=sys.stderr)
    return EXIT_OK


def _run_c2c_audit(args: argparse.Namespace) -> int:
    from fusionbench.data.audit import c2c_leakage, real_c2c_splits, write_clean_c2c_train

    train, evaluations = real_c2c_splits(args.c2c_real or None)
    report = c2c_leakage(train, evaluations)
    if args.json:
        sys.stdout.write(json.dumps(report.to_dict(), ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(report.table() + "\n")
    if args.write_clean:
        others = {"valid": evaluations["avatar_g4g/validation"], "test": evaluations["avatar_g4g/test"]}
        folder = write_clean_c2c_train(train, report, args.write_clean, others)
        print(f"wrote {folder} ({len(train) - len(report.drop)} of {len(train)} train items)", file=sys.stderr)
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help(sys.stderr)
            return EXIT_INPUT
        runners = {"export": _run_export, "audit": _run_audit, "score": _run_score}
        if args.command not in runners:
            return args.handler(args)
        return runners[args.command](args)
    except FusionBenchError as exc:
        message = " ".join(str(exc).split())  # exactly one line
        print(f"fusionbench: error: {message}", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        print("fusionbench: error: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:  # noqa: BLE001 - the one place that maps anything else to status 1
        print(f"fusionbench: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_INTERNAL


def entry_point() -> NoReturn:
    """Console-script entry point."""
    sys.exit(main())
