"""Each config has a Hugging Face dataset card with the metadata the Hub reads."""

from __future__ import annotations

from pathlib import Path

import pytest

CARDS = Path(__file__).resolve().parents[2] / "fusionbench" / "data" / "dataset_cards"


@pytest.mark.parametrize("config", ["htr", "zsod", "vqa", "c2c"])
def test_card_has_yaml_metadata_and_sections(config):
    text = (CARDS / f"{config}.md").read_text(encoding="utf-8")
    assert text.startswith("---\n")
    header = text.split("---", 2)[1]
    for key in ("language:", "license:", "task_categories:", "size_categories:", "pretty_name:"):
        assert key in header, key
    for section in ("## Structure and fields", "## Sources", "## Biases and limitations", "## Citation"):
        assert section in text, section
