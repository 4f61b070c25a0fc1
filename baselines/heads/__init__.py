"""One head per task: its training loss and its prediction, given the shared model."""

from fusionbench.baselines.heads.c2c import C2CHead
from fusionbench.baselines.heads.htr import HTRHead
from fusionbench.baselines.heads.vqa import VQAHead
from fusionbench.baselines.heads.zsod import ZsODHead

__all__ = ["C2CHead", "HTRHead", "VQAHead", "ZsODHead"]
