"""C2C: Java functions and their Python translations, both as AVATAR-style token strings."""

from __future__ import annotations

import datasets

from fusionbench.data.builders.base import ChallengeLayoutBuilder


class C2CBuilder(ChallengeLayoutBuilder):
    """Python uses ``NEW_LINE``/``INDENT``/``DEDENT`` tokens for layout."""

    TASK = "C2C"
    DESCRIPTION = "FusionBrain C2C: Java-to-Python translation scored by CodeBLEU."
    FEATURES = datasets.Features({
        "id": datasets.Value("string"),
        "java": datasets.Value("string"),
        "python": datasets.Value("string"),
    })
