"""zsOD: ``Request: ... .`` text, image tokens and learnable box queries in one core sequence.

Each query's output goes through an MLP to ``(cx, cy, w, h, score)``: the box as sigmoids
relative to the image size (centre form), the score as a logit.  Training matches predictions
to reference boxes one-to-one at minimum total cost (Hungarian, ``scipy.optimize.linear_sum_assignment``)
with an L1, an IoU and a score term; the loss is L1 + GIoU on matched pairs (summed and divided
by the number of reference boxes) plus BCE on every query's score (target 1 only where matched; unmatched queries weigh
``NO_OBJECT_WEIGHT``).
A negative description (no reference box) thus trains all scores towards 0.  Predictions are
the boxes whose score exceeds a threshold, in pixel ``[x, y, w, h]``.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import torch
from torch import nn
from torch.nn import functional as F

from fusionbench.baselines.config import ModelConfig

if TYPE_CHECKING:
    from fusionbench.baselines.model import FusionModel

__all__ = ["ZsODHead", "detection_loss", "zsod_prompt", "cxcywh_to_xyxy", "box_iou_giou", "hungarian_match", "MATCH_COSTS",
           "LOSS_WEIGHTS", "NO_OBJECT_WEIGHT"]

#: Matching cost weights: L1 distance, negative IoU, negative score probability.
MATCH_COSTS = {"l1": 5.0, "iou": 2.0, "score": 1.0}
#: Loss weights: L1, 1 - GIoU (matched pairs), BCE (all scores).
LOSS_WEIGHTS = {"l1": 5.0, "giou": 2.0, "bce": 1.0}
#: Relative BCE weight of unmatched queries (their target score is 0).
NO_OBJECT_WEIGHT = 0.1


def zsod_prompt(description: str, architecture: str = "2023") -> str:
    """The text of a request: the 2023 paper's template, or the bare description (2021 code)."""
    return description.strip() if architecture == "2021" else f"Request: {description.strip()} ."


def cxcywh_to_xyxy(boxes: torch.Tensor) -> torch.Tensor:
    """(..., 4) centre form -> corner form."""
    cx, cy, w, h = boxes.unbind(-1)
    return torch.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], -1)


def box_iou_giou(a: torch.Tensor, b: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Pairwise IoU and generalised IoU of corner boxes (N, 4) x (M, 4) -> two (N, M) tensors."""
    area_a = (a[:, 2] - a[:, 0]).clamp(min=0) * (a[:, 3] - a[:, 1]).clamp(min=0)
    area_b = (b[:, 2] - b[:, 0]).clamp(min=0) * (b[:, 3] - b[:, 1]).clamp(min=0)
    top_left = torch.max(a[:, None, :2], b[None, :, :2])
    bottom_right = torch.min(a[:, None, 2:], b[None, :, 2:])
    inter = (bottom_right - top_left).clamp(min=0).prod(-1)
    union = area_a[:, None] + area_b[None, :] - inter
    iou = inter / union.clamp(min=1e-9)
    hull = (torch.max(a[:, None, 2:], b[None, :, 2:]) - torch.min(a[:, None, :2], b[None, :, :2])).clamp(min=0).prod(-1)
    giou = iou - (hull - union) / hull.clamp(min=1e-9)
    return iou, giou


@torch.no_grad()
def hungarian_match(boxes: torch.Tensor, scores: torch.Tensor, targets: torch.Tensor,
                    costs: dict[str, float] = MATCH_COSTS) -> tuple[torch.Tensor, torch.Tensor]:
    """One-to-one assignment of reference boxes to predictions at minimum total cost.

    Args:
        boxes: (Q, 4) predicted boxes, centre form, relative units.
        scores: (Q,) predicted probabilities.
        targets: (G, 4) reference boxes, centre form, relative units (G may be 0).

    Returns:
        (prediction indices, target indices), each of length ``min(Q, G)``.
    """
    from scipy.optimize import linear_sum_assignment

    if targets.numel() == 0:
        empty = torch.zeros(0, dtype=torch.long)
        return empty, empty
    iou, _ = box_iou_giou(cxcywh_to_xyxy(boxes.float()), cxcywh_to_xyxy(targets.float()))
    cost = (costs["l1"] * torch.cdist(boxes.float(), targets.float(), p=1) - costs["iou"] * iou
            - costs["score"] * scores.float()[:, None])
    rows, cols = linear_sum_assignment(cost.cpu().numpy())
    return torch.as_tensor(rows, dtype=torch.long), torch.as_tensor(cols, dtype=torch.long)


def detection_loss(boxes: torch.Tensor, logits: torch.Tensor, targets_per_item: list[torch.Tensor]
                   ) -> dict[str, torch.Tensor]:
    """Hungarian-matched L1 + GIoU on matched boxes and weighted BCE on every score.

    Args:
        boxes: (B, Q, 4) predicted centre-form relative boxes; logits: (B, Q) score logits.
        targets_per_item: per item a (G, 4) tensor of reference boxes (G = 0 for a negative).
    """
    score_target = torch.zeros_like(logits)
    l1 = boxes.new_zeros(())
    giou_loss = boxes.new_zeros(())
    n_targets = 0
    for b, targets in enumerate(targets_per_item):
        targets = targets.to(boxes.device)
        rows, cols = hungarian_match(boxes[b], logits[b].sigmoid(), targets)
        if len(rows) == 0:
            continue
        score_target[b, rows] = 1.0
        matched, ref = boxes[b, rows], targets[cols]
        l1 = l1 + (matched - ref).abs().sum()
        _, giou = box_iou_giou(cxcywh_to_xyxy(matched), cxcywh_to_xyxy(ref))
        giou_loss = giou_loss + (1 - giou.diagonal()).sum()
        n_targets += len(rows)
    # Unmatched queries weigh NO_OBJECT_WEIGHT (DETR's eos_coef): with one matched query in
    # 12, unweighted BCE drives every score to ~0 and no box ever passes the threshold.
    weight = torch.where(score_target > 0, 1.0, NO_OBJECT_WEIGHT)
    bce = (F.binary_cross_entropy_with_logits(logits, score_target, reduction="none") * weight).sum() / weight.sum()
    norm = max(n_targets, 1)
    loss = LOSS_WEIGHTS["l1"] * l1 / norm + LOSS_WEIGHTS["giou"] * giou_loss / norm + LOSS_WEIGHTS["bce"] * bce
    return {"loss": loss, "bce": bce.detach()}


class ZsODHead(nn.Module):
    """Learnable box queries and the box MLP."""

    def __init__(self, config: ModelConfig, width: int) -> None:
        super().__init__()
        self.queries = nn.Parameter(torch.randn(config.n_queries, width) * 0.02)
        # Each query predicts its box centre as an offset from a learnable reference point (in
        # logit space), initialised on a grid over the image: queries start spread out instead
        # of all predicting the same box, which speeds up the matching-based training.
        side = math.ceil(math.sqrt(config.n_queries))
        points = [((i % side + 0.5) / side, (i // side + 0.5) / side) for i in range(config.n_queries)]
        self.reference = nn.Parameter(torch.logit(torch.tensor(points, dtype=torch.float32)))
        self.mlp = nn.Sequential(nn.Linear(width, width), nn.ReLU(), nn.Linear(width, width), nn.ReLU(),
                                 nn.Linear(width, 5))

    def predict_raw(self, model: FusionModel, images: torch.Tensor, ids: torch.Tensor,
                    text_mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, Q, 4) centre-form relative boxes and (B, Q) score logits."""
        text = model.embed_tokens(ids)
        image = model.image_tokens(images)
        queries = self.queries.to(text.dtype).expand(ids.shape[0], -1, -1)
        embeds = torch.cat([text, image, queries], 1)
        ones = torch.ones(ids.shape[0], image.shape[1] + queries.shape[1], dtype=torch.long, device=ids.device)
        hidden, _ = model.run_core(embeds, torch.cat([text_mask, ones], 1), "zsod")
        out = self.mlp(hidden[:, -queries.shape[1]:]).float()
        centre = (out[..., :2] + self.reference.float()).sigmoid()
        return torch.cat([centre, out[..., 2:4].sigmoid()], -1), out[..., 4]

    def loss(self, model: FusionModel, batch: dict[str, Any]) -> dict[str, torch.Tensor]:
        """Batch: ``images``, ``input_ids``, ``attention_mask`` and ``boxes`` (list of (G, 4) centre-form relative)."""
        boxes, logits = self.predict_raw(model, batch["images"], batch["input_ids"], batch["attention_mask"])
        return detection_loss(boxes, logits, batch["boxes"])

    @torch.no_grad()
    def detect(self, model: FusionModel, images: torch.Tensor, ids: torch.Tensor, text_mask: torch.Tensor,
               sizes: list[tuple[int, int]], threshold: float = 0.5) -> list[list[list[float]]]:
        """Pixel ``[x, y, w, h]`` boxes (highest score first) with score > ``threshold``, per item.

        Args:
            sizes: (width, height) of each original image.
        """
        boxes, logits = self.predict_raw(model, images, ids, text_mask)
        probs = logits.sigmoid()
        results = []
        for b, (width, height) in enumerate(sizes):
            order = probs[b].argsort(descending=True).tolist()
            found = []
            for q in order:
                if probs[b, q] <= threshold:
                    break
                cx, cy, w, h = boxes[b, q].tolist()
                found.append([round((cx - w / 2) * width, 2), round((cy - h / 2) * height, 2),
                              round(w * width, 2), round(h * height, 2)])
            results.append(found)
        return results
