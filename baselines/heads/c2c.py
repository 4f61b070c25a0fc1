"""C2C: decoder-only Java -> Python translation.

The sequence is ``java tokens, <|SEP|>, python tokens, </s>``; the LM loss covers the Python
tokens and ``</s>`` only.  Decoding (greedy or beam) continues ``java, <|SEP|>`` and returns
space-separated AVATAR tokens.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import torch
from fusionbench.baselines.generation import beam_decode, greedy_decode
from fusionbench.baselines.heads.lm import UntiedLMHead
from torch.nn import functional as F

if TYPE_CHECKING:
    from fusionbench.baselines.model import FusionModel

__all__ = ["C2CHead", "c2c_source_ids"]


def c2c_source_ids(model: FusionModel, java: str) -> list[int]:
    """Java ids (cut to leave room for the translation) followed by ``<|SEP|>``."""
    limit = model.core.config.n_positions // 2 - 1
    return model.tokenizer.encode(java)[:limit] + [model.tokenizer.sep_id]


class C2CHead(UntiedLMHead):
    """An LM head (untied from the token embeddings) for Python tokens."""

    def loss(self, model: FusionModel, batch: dict[str, Any]) -> dict[str, torch.Tensor]:
        """Batch: ``input_ids``, ``attention_mask`` (B, L) and ``labels`` (B, L; -100 where no loss)."""
        ids, mask, labels = batch["input_ids"], batch["attention_mask"], batch["labels"]
        hidden, _ = model.run_core(model.embed_tokens(ids), mask, "c2c")
        target = labels[:, 1:]
        chosen = target != -100  # position t predicts token t + 1
        logits = self.lm(hidden[:, :-1][chosen])
        return {"loss": F.cross_entropy(logits.float(), target[chosen])}

    @torch.no_grad()
    def translate(self, model: FusionModel, java: list[str], beams: int = 1, max_new: int | None = None) -> list[str]:
        """AVATAR Python for each Java string: batched greedy (``beams == 1``) or beam search per item."""
        device = next(model.parameters()).device
        tok = model.tokenizer
        sources = [c2c_source_ids(model, j) for j in java]
        limit = max_new or model.config.max_c2c_tokens
        if beams > 1:
            outputs = []
            for source in sources:
                embeds = model.embed_tokens(torch.tensor([source], device=device))
                budget = min(limit, model.core.config.n_positions - len(source))
                outputs.append(beam_decode(model, "c2c", embeds, self.lm, budget, beams))
        else:
            length = max(len(s) for s in sources)
            ids = torch.full((len(sources), length), tok.pad_id, dtype=torch.long, device=device)
            mask = torch.zeros_like(ids)
            for i, s in enumerate(sources):  # left padding: generation continues every row at the end
                ids[i, length - len(s):] = torch.tensor(s)
                mask[i, length - len(s):] = 1
            budget = min(limit, model.core.config.n_positions - length)
            outputs = greedy_decode(model, "c2c", model.embed_tokens(ids), mask, self.lm, budget)
        return [" ".join(tok.decode(ids).split()) for ids in outputs]
