"""Shared fixtures: a tiny model built from the sample benchmark (skipped without torch)."""

from __future__ import annotations

import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("scipy")


@pytest.fixture(scope="session")
def rows():
    from fusionbench.baselines.data import load_rows

    return {t: load_rows(t, "train") for t in ("c2c", "htr", "vqa", "zsod")}


@pytest.fixture(scope="session")
def vocab(rows):
    from fusionbench.baselines.data import training_texts
    from fusionbench.baselines.heads.htr import build_alphabet
    from fusionbench.baselines.tokenizer import train_local_bpe

    return train_local_bpe(training_texts(rows), 1024), build_alphabet([r["text"] for r in rows["htr"]])


@pytest.fixture()
def tiny_model(vocab):
    import torch

    from fusionbench.baselines.config import get_config
    from fusionbench.baselines.model import FusionModel

    torch.manual_seed(0)
    return FusionModel(get_config("tiny"), *vocab)
