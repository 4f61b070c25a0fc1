"""The released FusionBrain 2021 architecture for VQA and zsOD (preset ``fusionbrain-2021``).

Image tokens (ResNet-18, 224 px -> 7 x 7 x 512 -> 1x1 conv -> 49 tokens) and text tokens go
through the GPT-2 core in **separate** passes; three post-LN cross-attention layers (shared by
VQA and zsOD) then mix them.  VQA: text states query the image, an LM head (with bias) predicts
the answer.  zsOD: image states query the text, an adaptive max-pool over the 49 tokens gives 8
box slots, an MLP + sigmoid gives ``[x, y, w, h, score]`` (top-left box, relative units).

Bugs of the released code fixed here (see ``shared/design/baseline-2021-code-facts.md``):

1. images are normalised once (the code divided by 255 a second time after ImageNet scaling);
2. the C2C/VQA separator is ``<|SEP|>`` (the code used ``<s>``), with ``</s>`` ending answers;
3. zsOD matching is a one-to-one Hungarian assignment (the code let several reference boxes
   share the slot of maximal GIoU);
4. VQA feeds back the argmax token it reports (the code fed back a *sampled* token while
   reporting the argmax) and is evaluated without the gold answer in the prompt;
5. predicted boxes are rounded to two decimals, not truncated to int32, and requests are
   never joined/split on ``';'``;
6. the inference-only similarity gate (patches with mean cosine > 0.12) and the contrastive loss
   with its e^0.07 multiplier are left out (the gate was never trained for; the loss is optional
   in the paper);
7. the loss-list ``zip`` truncation does not exist here (each batch has one task).

Kept as in the code: GPT-2's causal mask also applies to the image-only pass; the image tokens
carry only GPT-2's 1-D positions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import torch
from fusionbench.baselines.heads.zsod import detection_loss
from torch import nn
from torch.nn import functional as F

if TYPE_CHECKING:
    from fusionbench.baselines.model import FusionModel

__all__ = ["CrossAttentionLayer", "CrossAttentionStack", "VQAHead2021", "ZsODHead2021"]


class CrossAttentionLayer(nn.Module):
    """Post-LN: ``x = LN(x + MHA(q=x, kv=other))``, then ``x = LN(x + FFN(x))`` (no self-attention)."""

    def __init__(self, width: int, heads: int, ffn: int) -> None:
        super().__init__()
        self.attn = nn.MultiheadAttention(width, heads, batch_first=True)
        self.norm1 = nn.LayerNorm(width)
        self.ffn = nn.Sequential(nn.Linear(width, ffn), nn.ReLU(), nn.Linear(ffn, width))
        self.norm2 = nn.LayerNorm(width)

    def forward(self, x: torch.Tensor, other: torch.Tensor, other_mask: torch.Tensor | None = None) -> torch.Tensor:
        padding = None if other_mask is None else other_mask == 0
        attended, _ = self.attn(x, other, other, key_padding_mask=padding, need_weights=False)
        x = self.norm1(x + attended)
        return self.norm2(x + self.ffn(x))


class CrossAttentionStack(nn.Module):
    """The cross-attention layers shared by VQA and zsOD."""

    def __init__(self, width: int, layers: int, heads: int, ffn: int) -> None:
        super().__init__()
        self.layers = nn.ModuleList(CrossAttentionLayer(width, heads, ffn) for _ in range(layers))

    def forward(self, x: torch.Tensor, other: torch.Tensor, other_mask: torch.Tensor | None = None) -> torch.Tensor:
        for layer in self.layers:
            x = layer(x, other, other_mask)
        return x


def _image_states(model: FusionModel, images: torch.Tensor, task: str) -> torch.Tensor:
    tokens = model.image_tokens(images)
    mask = torch.ones(tokens.shape[:2], dtype=torch.long, device=tokens.device)
    return model.run_core(tokens, mask, task)[0]


def _text_states(model: FusionModel, ids: torch.Tensor, mask: torch.Tensor, task: str) -> torch.Tensor:
    return model.run_core(model.embed_tokens(ids), mask, task)[0]


class VQAHead2021(nn.Module):
    """Text states attend to image states; an LM head with bias predicts the answer."""

    def __init__(self, width: int, vocab_size: int) -> None:
        super().__init__()
        self.lm = nn.Linear(width, vocab_size)

    def _logits(self, model: FusionModel, images: torch.Tensor, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        image = _image_states(model, images, "vqa")
        text = _text_states(model, ids, mask, "vqa")
        return self.lm(model.cross(text, image))

    def loss(self, model: FusionModel, batch: dict[str, Any]) -> dict[str, torch.Tensor]:
        """Batch as :class:`~fusionbench.baselines.heads.vqa.VQAHead` (question, separator, answer)."""
        logits = self._logits(model, batch["images"], batch["input_ids"], batch["attention_mask"])
        labels = batch["labels"][:, 1:]
        chosen = labels != -100
        return {"loss": F.cross_entropy(logits[:, :-1][chosen].float(), labels[chosen])}

    @torch.no_grad()
    def answer(self, model: FusionModel, images: torch.Tensor, questions: list[str]) -> list[str]:
        """Greedy answers, re-encoding the text each step (no cache), at most ``max_answer_tokens``."""
        tok = model.tokenizer
        answers = []
        for index, question in enumerate(questions):
            ids = tok.encode(question.strip())[: model.core.config.n_positions // 2] + [tok.sep_id]
            out: list[int] = []
            for _ in range(model.config.max_answer_tokens):
                tensor = torch.tensor([ids + out], device=images.device)
                logits = self._logits(model, images[index:index + 1], tensor, torch.ones_like(tensor))
                token = int(logits[0, -1].argmax())
                if token == tok.eos_id:
                    break
                out.append(token)
            answers.append(" ".join(tok.decode(out).split()))
        return answers


class ZsODHead2021(nn.Module):
    """Image states attend to the request; max-pooled box slots; MLP + sigmoid."""

    def __init__(self, width: int, slots: int) -> None:
        super().__init__()
        self.slots = slots
        self.mlp = nn.Sequential(nn.Linear(width, width), nn.ReLU(), nn.Linear(width, width), nn.ReLU(),
                                 nn.Linear(width, 5))

    def predict_raw(self, model: FusionModel, images: torch.Tensor, ids: torch.Tensor,
                    text_mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, slots, 4) centre-form relative boxes and (B, slots) score logits."""
        image = _image_states(model, images, "zsod")
        text = _text_states(model, ids, text_mask, "zsod")
        mixed = model.cross(image, text, text_mask)
        pooled = F.adaptive_max_pool1d(mixed.transpose(1, 2), self.slots).transpose(1, 2)
        out = self.mlp(pooled).float()
        x, y, w, h = out[..., :4].sigmoid().unbind(-1)
        return torch.stack([x + w / 2, y + h / 2, w, h], -1), out[..., 4]

    def loss(self, model: FusionModel, batch: dict[str, Any]) -> dict[str, torch.Tensor]:
        """The same matching and losses as :class:`~fusionbench.baselines.heads.zsod.ZsODHead`."""
        boxes, logits = self.predict_raw(model, batch["images"], batch["input_ids"], batch["attention_mask"])
        return detection_loss(boxes, logits, batch["boxes"])

    def detect(self, model: FusionModel, images: torch.Tensor, ids: torch.Tensor, text_mask: torch.Tensor,
               sizes: list[tuple[int, int]], threshold: float = 0.5) -> list[list[list[float]]]:
        """Pixel boxes above ``threshold``, as :meth:`ZsODHead.detect`."""
        from fusionbench.baselines.heads.zsod import ZsODHead

        return ZsODHead.detect(self, model, images, ids, text_mask, sizes, threshold)
