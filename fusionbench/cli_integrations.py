"""The integration commands of the ``fusionbench`` CLI.

* ``fusionbench integrations path lm-eval``: print the task pack's folder (for ``--include_path``);
* ``fusionbench lm-eval ARGS...``: lm-eval's own command line, with the task pack's include path
  added and the ``fusionbench-replay`` model registered;
* ``fusionbench import lm-eval OUTPUT_DIR``: lm-eval's results and sample logs into a run record.

Exit status as elsewhere: 0 success, 2 invalid input (one ``fusionbench: error:`` line), 1 internal
error; ``fusionbench lm-eval`` returns lm-eval's own status otherwise.
"""

from __future__ import annotations

import argparse
import sys

from fusionbench.errors import FusionBenchError

__all__ = ["add_integrations_commands"]

INTEGRATIONS = ("lm-eval",)


def _require_lm_eval() -> None:
    try:
        import lm_eval  # noqa: F401
    except ImportError as exc:
        raise FusionBenchError("lm-eval is not installed", expected='pip install "fusionbench-eval[lm-eval]"') from exc


def _path(args: argparse.Namespace) -> int:
    from fusionbench.integrations.lm_eval import task_pack_path

    print(task_pack_path())
    return 0


def _forward(args: argparse.Namespace) -> int:
    from fusionbench.integrations.lm_eval.cli import run_lm_eval

    _require_lm_eval()
    return run_lm_eval(list(args.lm_eval_args))


def _import(args: argparse.Namespace) -> int:
    from fusionbench.integrations.lm_eval.importer import import_lm_eval

    record, path = import_lm_eval(args.output_dir, out=args.out, samples=args.bootstrap, seed=args.seed,
                                  name=args.name)
    for task, entry in record["tasks"].items():
        print(f"{task:5s} {entry['rounded']:.3f}  [{entry['ci']['low']:.3f}, {entry['ci']['high']:.3f}]")
    print(f"overall {record['overall']:.3f}")
    print(f"wrote {path}", file=sys.stderr)
    return 0


def add_integrations_commands(subparsers: argparse._SubParsersAction) -> None:
    """Register ``integrations``, ``lm-eval`` and ``import`` on the main parser."""
    integrations = subparsers.add_parser("integrations", help="where the integrations with other frameworks live")
    actions = integrations.add_subparsers(dest="action", metavar="ACTION", required=True)
    path = actions.add_parser("path", help="print the folder of an integration (lm-eval: the task pack)")
    path.add_argument("integration", choices=INTEGRATIONS)
    path.set_defaults(handler=_path)

    forward = subparsers.add_parser(
        "lm-eval", add_help=False, prefix_chars="\x00",
        help="run lm-eval with fusionbench's task pack and the fusionbench-replay model",
        description="Every argument goes to lm-eval's command line; --include_path is added.",
    )
    forward.add_argument("lm_eval_args", nargs="*", metavar="ARGS")
    forward.set_defaults(handler=_forward)

    importer = subparsers.add_parser("import", help="turn another framework's output into a fusionbench record")
    kinds = importer.add_subparsers(dest="framework", metavar="FRAMEWORK", required=True)
    lm_eval = kinds.add_parser(
        "lm-eval", help="lm-eval's --output_path folder (run with --log_samples) to a run record",
        description=("Read lm-eval's results_*.json and samples_fusionbench_*.jsonl, write the official prediction "
                     "files, score them against the references the run used, and write a fusionbench record "
                     "(scores, signatures, bootstrap intervals, model and lm-eval versions)."),
    )
    lm_eval.add_argument("output_dir", metavar="OUTPUT_DIR", help="lm-eval's --output_path (or a model folder in it)")
    lm_eval.add_argument("--out", default="fusionbench-results", help="results folder (default: fusionbench-results)")
    lm_eval.add_argument("--name", help="name of the run in the record (default: lm-eval's model name)")
    lm_eval.add_argument("--bootstrap", type=int, default=1000, help="bootstrap samples (default: 1000)")
    lm_eval.add_argument("--seed", type=int, default=12345, help="bootstrap seed (default: 12345)")
    lm_eval.set_defaults(handler=_import)
