"""Regenerate the shipped example files used by ``make demo``.

    python examples/make_examples.py

Writes a small deterministic set (about 1% of the public-test size) into ``examples/score/true``
(references) and ``examples/score/pred`` (predictions) with :mod:`fusionbench.synthetic`.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from fusionbench.synthetic import write_set

HERE = Path(__file__).resolve().parent / "score"


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        counts = write_set(Path(tmp), seed=2021, scale=0.01, indent=1)
        for role, folder in (("true_", "true"), ("prediction_", "pred")):
            target = HERE / folder
            target.mkdir(parents=True, exist_ok=True)
            for file in sorted(Path(tmp).glob(f"{role}*.json")):
                shutil.copyfile(file, target / file.name)
    print(f"wrote {counts} into {HERE}")


if __name__ == "__main__":
    main()
