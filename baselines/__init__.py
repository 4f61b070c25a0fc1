"""The FusionBrain reference baseline: a (mostly frozen) GPT-2 core shared by four task heads.

Needs the ``baselines`` extra (``pip install "fusionbench[baselines]"``: torch, transformers,
scipy).  Nothing in the core ``fusionbench`` package imports this subpackage.

Entry points: :class:`~fusionbench.baselines.model.FusionModel`,
:func:`~fusionbench.baselines.train.train`, :mod:`~fusionbench.baselines.predict`,
:func:`~fusionbench.baselines.describe.describe`, and ``python -m fusionbench.baselines``.
"""

from __future__ import annotations

try:
    import torch  # noqa: F401
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError('fusionbench.baselines needs the baselines extra: pip install "fusionbench[baselines]"') from exc
