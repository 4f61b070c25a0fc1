"""The M/N sharing criterion on hand-made models."""

from __future__ import annotations

import pytest
from torch import nn

from fusionbench.metrics import sharing_ratio


class Toy(nn.Module):
    def __init__(self):
        super().__init__()
        self.core = nn.Linear(10, 10)  # 110
        self.a = nn.Linear(10, 2)  # 22
        self.b = nn.Linear(10, 3)  # 33


def test_one_module_with_per_task_parameter_names():
    toy = Toy()
    paths = {"x": ["core.weight", "core.bias", "a.weight", "a.bias"],
             "y": ["core.weight", "core.bias", "b.weight", "b.bias"]}
    report = sharing_ratio(toy, paths)
    assert (report.shared, report.total) == (110, 165)
    assert report.ratio == pytest.approx(110 / 165)
    assert report.per_task == {"x": 132, "y": 143} and report.paths_total == 275
    assert report.meets == {0.25: True, 0.3: True}


def test_four_separate_modules_share_only_common_tensors():
    core = nn.Linear(4, 4)  # 20, held by every task model
    models = {t: nn.Sequential(core, nn.Linear(4, 10)) for t in ("c2c", "htr", "vqa", "zsod")}  # 50 each
    report = sharing_ratio(models)
    assert report.shared == 20 and report.total == 20 + 4 * 50
    assert report.ratio == pytest.approx(20 / 220)
    assert report.meets == {0.25: False, 0.3: False}


def test_fusion_model_paths(tiny_model):
    report = sharing_ratio(tiny_model, tiny_model.task_parameters)
    core_without_wte = sum(p.numel() for n, p in tiny_model.core.named_parameters() if not n.startswith("wte"))
    assert report.shared == core_without_wte  # HTR does not read token embeddings
    assert report.total == sum(p.numel() for p in tiny_model.parameters())
