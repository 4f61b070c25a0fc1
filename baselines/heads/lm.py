"""The language-model output layer shared by the generative heads (C2C, VQA)."""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["UntiedLMHead"]


class UntiedLMHead(nn.Module):
    """A bias-free projection from the core's width to the vocabulary, untied from the token
    embeddings (so a frozen embedding table does not freeze the output layer)."""

    def __init__(self, width: int, vocab_size: int) -> None:
        super().__init__()
        self.lm = nn.Linear(width, vocab_size, bias=False)

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        return self.lm(hidden)
