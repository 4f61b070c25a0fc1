"""VQA: image tokens, then ``Question: ... Answer: ...`` text tokens, in one core sequence.

The LM loss covers the answer tokens and ``</s>``; answers are generated greedily.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import torch
from fusionbench.baselines.generation import greedy_decode
from fusionbench.baselines.heads.lm import UntiedLMHead
from torch.nn import functional as F

if TYPE_CHECKING:
    from fusionbench.baselines.model import FusionModel

__all__ = ["VQAHead", "vqa_prompt", "vqa_prefix_ids"]


def vqa_prompt(question: str) -> str:
    """The text template before the answer (the 2023 paper's)."""
    return f"Question: {question.strip()} Answer:"


def vqa_prefix_ids(model: FusionModel, question: str) -> list[int]:
    """Token ids before the answer: the template (2023) or the question and ``<|SEP|>`` (2021)."""
    tok = model.tokenizer
    if model.config.architecture == "2021":
        return tok.encode(question.strip()) + [tok.sep_id]
    return tok.encode(vqa_prompt(question))


class VQAHead(UntiedLMHead):
    """An LM head for answers (untied from the token embeddings)."""

    def loss(self, model: FusionModel, batch: dict[str, Any]) -> dict[str, torch.Tensor]:
        """Batch: ``images`` (B, 3, S, S) uint8, ``input_ids``/``attention_mask``/``labels`` (B, L) of the text."""
        image = model.image_tokens(batch["images"])
        ids, labels = batch["input_ids"], batch["labels"]
        embeds = torch.cat([image, model.embed_tokens(ids)], 1)
        mask = torch.cat([torch.ones(image.shape[:2], dtype=torch.long, device=ids.device), batch["attention_mask"]], 1)
        hidden, _ = model.run_core(embeds, mask, "vqa")
        text_hidden = hidden[:, image.shape[1] - 1:-1]  # position of token t - 1 predicts token t
        chosen = labels != -100
        logits = self.lm(text_hidden[chosen])
        return {"loss": F.cross_entropy(logits.float(), labels[chosen])}

    @torch.no_grad()
    def answer(self, model: FusionModel, images: torch.Tensor, questions: list[str]) -> list[str]:
        """Greedy answers for a batch (prompts left-padded after the image tokens)."""
        tok = model.tokenizer
        prompts = [vqa_prefix_ids(model, q)[-(model.core.config.n_positions // 2):] for q in questions]
        length = max(len(p) for p in prompts)
        ids = torch.full((len(prompts), length), tok.pad_id, dtype=torch.long, device=images.device)
        text_mask = torch.zeros_like(ids)
        for i, p in enumerate(prompts):
            ids[i, length - len(p):] = torch.tensor(p)
            text_mask[i, length - len(p):] = 1
        image = model.image_tokens(images)
        embeds = torch.cat([image, model.embed_tokens(ids)], 1)
        mask = torch.cat([torch.ones(image.shape[:2], dtype=torch.long, device=ids.device), text_mask], 1)
        out = greedy_decode(model, "vqa", embeds, mask, self.lm, model.config.max_answer_tokens)
        return [" ".join(tok.decode(o).split()) for o in out]
