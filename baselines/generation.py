"""Autoregressive decoding over the core with a KV cache: batched greedy and per-item beam search."""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from torch import nn

if TYPE_CHECKING:
    from fusionbench.baselines.model import FusionModel

__all__ = ["greedy_decode", "beam_decode"]


@torch.no_grad()
def greedy_decode(model: FusionModel, task: str, embeds: torch.Tensor, mask: torch.Tensor, head: nn.Module,
                  max_new: int) -> list[list[int]]:
    """Greedy continuation of a batch of (left-padded) prefixes until ``</s>`` or ``max_new`` tokens.

    Returns the generated ids per item, ``</s>`` excluded.
    """
    eos = model.tokenizer.eos_id
    hidden, past = model.run_core(embeds, mask, task, use_cache=True)
    batch = embeds.shape[0]
    done = torch.zeros(batch, dtype=torch.bool, device=embeds.device)
    out: list[list[int]] = [[] for _ in range(batch)]
    for _ in range(max_new):
        token = head(hidden[:, -1]).argmax(-1)
        for i in range(batch):
            if not done[i] and token[i].item() != eos:
                out[i].append(int(token[i]))
        done |= token == eos
        if bool(done.all()):
            break
        mask = torch.cat([mask, mask.new_ones(batch, 1)], 1)
        hidden, past = model.run_core(model.embed_tokens(token[:, None]), mask, task, past)
    return out


@torch.no_grad()
def beam_decode(model: FusionModel, task: str, embeds: torch.Tensor, head: nn.Module, max_new: int,
                beams: int = 5, length_penalty: float = 0.0) -> list[int]:
    """Beam search for ONE prefix ``embeds`` (1, L, width); the best hypothesis's ids, ``</s>`` excluded.

    Scores are summed log-probabilities divided by ``len ** length_penalty`` (0: no penalty, as
    in the 2021 code).  Search stops when ``beams`` hypotheses have ended and none alive can beat
    the best ended one (log-probabilities only decrease).
    """
    eos = model.tokenizer.eos_id
    embeds = embeds.expand(beams, -1, -1)
    mask = torch.ones(beams, embeds.shape[1], dtype=torch.long, device=embeds.device)
    hidden, past = model.run_core(embeds, mask, task, use_cache=True)
    scores = torch.full((beams,), float("-inf"), device=embeds.device)
    scores[0] = 0.0  # all beams start identical: expand only the first
    sequences: list[list[int]] = [[] for _ in range(beams)]
    finished: list[tuple[float, list[int]]] = []

    def final(score: float, length: int) -> float:
        return score / max(length, 1) ** length_penalty

    for step in range(max_new):
        logp = torch.log_softmax(head(hidden[:, -1]).float(), -1)
        total = (scores[:, None] + logp).flatten()
        top_scores, top_index = total.topk(min(2 * beams, total.numel()))
        vocab = logp.shape[1]
        keep_beam, keep_token, keep_score = [], [], []
        for score, index in zip(top_scores.tolist(), top_index.tolist()):
            beam, token = divmod(index, vocab)
            if score == float("-inf"):
                break
            if token == eos:
                finished.append((final(score, step + 1), sequences[beam]))
            else:
                keep_beam.append(beam)
                keep_token.append(token)
                keep_score.append(score)
            if len(keep_beam) == beams:
                break
        best_done = max((s for s, _ in finished), default=float("-inf"))
        if not keep_beam or (len(finished) >= beams and best_done >= final(max(keep_score), max_new)):
            break
        while len(keep_beam) < beams:  # pad with dead copies
            keep_beam.append(keep_beam[0])
            keep_token.append(keep_token[0])
            keep_score.append(float("-inf"))
        index = torch.tensor(keep_beam, device=embeds.device)
        past.reorder_cache(index)
        sequences = [sequences[b] + [t] for b, t in zip(keep_beam, keep_token)]
        scores = torch.tensor(keep_score, device=embeds.device)
        mask = torch.cat([mask, mask.new_ones(beams, 1)], 1)
        tokens = torch.tensor(keep_token, device=embeds.device)[:, None]
        hidden, past = model.run_core(model.embed_tokens(tokens), mask, task, past)
    else:
        for beam in range(beams):
            if scores[beam] > float("-inf"):
                finished.append((final(float(scores[beam]), max_new), sequences[beam]))
    if not finished:
        return []
    return max(finished, key=lambda item: item[0])[1]
