"""C2C: Java functions and their Python translations, both as AVATAR-style token strings."""

from __future__ import annotations

import datasets

from fusionbench.data.builders.base import ChallengeLayoutBuilder


class C2CBuilder(ChallengeLayoutBuilder):
    """Python uses ``NEW_LINE``/``INDENT``/``DEDENT`` tokens for layout.

    With ``source="transcoder_gfg"`` rows also say whether the function has a GfG test script
    (``has_test``), the items execution accuracy can score.
    """

    TASK = "C2C"
    DESCRIPTION = "FusionBrain C2C: Java-to-Python translation scored by CodeBLEU."
    FEATURES = datasets.Features({
        "id": datasets.Value("string"),
        "java": datasets.Value("string"),
        "python": datasets.Value("string"),
    })

    def _info(self) -> datasets.DatasetInfo:
        features = self.FEATURES
        if self.config.source == "transcoder_gfg":
            features = datasets.Features({**self.FEATURES, "has_test": datasets.Value("bool")})
        return datasets.DatasetInfo(description=self.DESCRIPTION, features=features)
