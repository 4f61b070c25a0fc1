"""The core stays light: importing fusionbench and its metrics pulls in no heavy framework."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ["torch", "datasets", "transformers", "tree_sitter", "pymorphy3"]


def modules_after(statement: str) -> set[str]:
    code = f"import sys, json; {statement}; print(json.dumps(sorted(sys.modules)))"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(json.loads(proc.stdout))


def test_import_fusionbench_loads_no_heavy_module():
    loaded = modules_after("import fusionbench")
    assert not [m for m in HEAVY if m in loaded]


def test_metrics_import_without_torch_or_datasets():
    loaded = modules_after(
        "import fusionbench.metrics.htr, fusionbench.metrics.zsod, fusionbench.metrics.vqa, "
        "fusionbench.metrics.codebleu, fusionbench.evaluation"
    )
    assert "torch" not in loaded and "datasets" not in loaded and "transformers" not in loaded
