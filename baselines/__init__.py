"""The FusionBrain reference baseline: a (mostly frozen) GPT-2 core shared by four task heads.

Needs the ``baselines`` extra (``pip install "fusionbench-eval[baselines]"``: torch, transformers,
scipy).  Nothing in the core ``fusionbench`` package imports this subpackage.

Entry points: :class:`~fusionbench.baselines.model.FusionModel`,
:func:`~fusionbench.baselines.train.train`, :mod:`~fusionbench.baselines.predict`,
:func:`~fusionbench.baselines.describe.describe`, and ``python -m fusionbench.baselines``.
"""

from __future__ import annotations

import sys

_NEEDS = 'fusionbench.baselines needs the baselines extra (torch, transformers): pip install "fusionbench-eval[baselines]"'

try:
    import torch  # noqa: F401
except ImportError:
    # ``python -m fusionbench.baselines ...`` imports this package before its __main__: answer the
    # command line with one line on stderr (exit status 2), not a chained traceback.
    _argv = list(getattr(sys, "orig_argv", []))
    if "-m" in _argv[:-1] and _argv[_argv.index("-m") + 1].startswith(__name__):
        print(f"python -m {__name__}: error: {_NEEDS}", file=sys.stderr)
        raise SystemExit(2) from None
    raise ImportError(_NEEDS) from None
