"""The legacy route: reproduce the 2021 C2C numbers with the grammar and runtime of that year.

The 2021 run parsed with py-tree-sitter 0.2.0 and an ABI-11 build of tree-sitter-python
(commit f45949f), which no modern runtime loads.  Given that compiled grammar (for example the
``my-languages.so`` of the official repository), fusionbench creates, once, a helper virtual
environment under the user cache directory with ``tree_sitter==0.2.0`` (built from source: a C
compiler is needed), and runs the parsing and the structural counts there, under
``PYTHONHASHSEED=0``.  fusionbench never ships that grammar file.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from fusionbench.cache import cache_root
from fusionbench.errors import FusionBenchError, MissingFileError

__all__ = ["GRAMMAR_2021", "LEGACY_GRAMMAR_ENV", "LEGACY_RUNTIME", "ensure_legacy_env", "legacy_structural_counts",
           "official_2021_grammar"]

LEGACY_RUNTIME = "tree_sitter==0.2.0"
#: Environment variable naming a local copy of the 2021 grammar (a mirror; its sha256 is checked).
LEGACY_GRAMMAR_ENV = "FUSIONBENCH_LEGACY_GRAMMAR"
#: The official 2021 grammar: the organisers' repository at its pinned commit, and its sha256.
GRAMMAR_2021 = {
    "url": "https://raw.githubusercontent.com/ai-forever/fusion_brain_aij2021/"
           "aa73ba3042874d44e481d52b5d6c4a4bba457c37/evaluation/C2C_codeBLEU/parser/my-languages.so",
    "sha256": "66d01dcb2f38f3ff418839a10b856d4a5e2ef38f472c21ad7c6fb4bd14fc307d",
}
_READY = ".fusionbench-ready"


def _env_dir() -> Path:
    return cache_root() / f"legacy-tree-sitter-0.2.0-py{sys.version_info[0]}{sys.version_info[1]}"


def _python_in(env: Path) -> Path:
    return env / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def ensure_legacy_env() -> Path:
    """The helper environment's Python, creating the environment on first use (atomically)."""
    env = _env_dir()
    if (env / _READY).is_file():
        return _python_in(env)
    env.parent.mkdir(parents=True, exist_ok=True)
    with open(env.parent / f"{env.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another process may be building it right now
        if (env / _READY).is_file():
            return _python_in(env)
        staging = Path(tempfile.mkdtemp(prefix=f".{env.name}-", dir=env.parent))
        try:
            subprocess.run([sys.executable, "-m", "venv", str(staging)], check=True, capture_output=True)
            build = subprocess.run(
                [str(_python_in(staging)), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                 LEGACY_RUNTIME],
                capture_output=True, text=True, check=False,
            )
            if build.returncode != 0:
                tail = " ".join(build.stderr.strip().splitlines()[-3:])
                raise FusionBenchError(
                    f"could not build {LEGACY_RUNTIME} for the legacy C2C route (it compiles from source: "
                    f"install a C compiler and the Python headers, e.g. apt-get install gcc python3-dev): {tail}"
                )
            (staging / _READY).write_text(LEGACY_RUNTIME + "\n")
            shutil.rmtree(env, ignore_errors=True)
            # Renaming the finished folder makes creation atomic; only its bin/python is used
            # afterwards, which finds its environment relative to itself.
            os.replace(staging, env)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    return _python_in(env)


def official_2021_grammar() -> Path:
    """The official 2021 ``my-languages.so``: ``$FUSIONBENCH_LEGACY_GRAMMAR`` if set, else the cached
    download, else downloaded now from the pinned commit; the sha256 is checked in every case.

    Raises:
        FusionBenchError: offline (names the URL and where to place the file) or a sha256 mismatch.
    """
    from fusionbench.pinned import fetch_pinned

    local = [os.environ[LEGACY_GRAMMAR_ENV]] if os.environ.get(LEGACY_GRAMMAR_ENV) else []
    destination = cache_root() / "grammars" / f"fusionbrain-2021-{GRAMMAR_2021['sha256'][:12]}-my-languages.so"
    return fetch_pinned(GRAMMAR_2021["url"], GRAMMAR_2021["sha256"], destination, local=local)


def legacy_structural_counts(
    pairs: Sequence[tuple[str, str]],
    grammar: str | os.PathLike[str],
    *,
    parents: str = "official",
    detokenize: bool = False,
) -> list[tuple[int, int, int, int]]:
    """Structural counts computed with py-tree-sitter 0.2.0 and the given compiled grammar."""
    grammar_path = Path(grammar).resolve()
    if not grammar_path.is_file():
        raise MissingFileError("compiled grammar not found", file=str(grammar),
                               expected="a tree-sitter grammar library such as my-languages.so")
    python = ensure_legacy_env()
    runner = Path(__file__).with_name("legacy_runner.py")
    request = json.dumps({"grammar": str(grammar_path), "pairs": list(pairs), "parents": parents,
                          "detokenize": detokenize})
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env["PYTHONHASHSEED"] = "0"
    proc = subprocess.run([str(python), str(runner)], input=request.encode("utf-8"),
                          capture_output=True, env=env, check=False)
    if proc.returncode != 0:
        detail = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise FusionBenchError(
            f"the legacy parser failed on {grammar}: {detail[-1] if detail else proc.returncode} "
            "(is it a python grammar built for tree-sitter's ABI 11 or older?)"
        )
    return [tuple(x) for x in json.loads(proc.stdout)]
