"""HTR: 64 vertical strips -> linear projection -> core -> BiLSTM -> alphabet, CTC loss.

Images are resized keeping their proportions to fit the canvas (``htr_height`` x
``htr_width``; 128 x 512 by default), pasted left-aligned and vertically centred, ink bright on a
zero background.  The canvas is cut into ``htr_width / htr_strip`` strips (64 strips of 8 px by
default); each strip flattens in (row, column, channel) order and is projected linearly to the
core's width.  With ``htr_frontend="conv"`` (the ``tiny`` preset) three strided conv blocks
replace the flattening: they reduce the height by 8 and the width by ``htr_strip``, so there is
still one frame per strip, and each frame's feature column is projected to the core's width.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import torch
from torch import nn
from torch.nn import functional as F

from fusionbench.baselines.config import ModelConfig

if TYPE_CHECKING:
    from fusionbench.baselines.model import FusionModel

#: Rough mean and spread of canvas pixels (mostly empty background): centring and scaling the
#: strips shortens CTC's initial all-blank plateau considerably.
INK_MEAN, INK_STD = 0.1, 0.25

__all__ = ["HTRHead", "build_alphabet", "encode_text", "ctc_greedy_decode"]


def build_alphabet(texts: Sequence[str]) -> str:
    """The sorted characters of the training labels (class ``i + 1`` is ``alphabet[i]``)."""
    return "".join(sorted(set("".join(texts))))


def encode_text(text: str, alphabet: str) -> list[int]:
    """Class ids of ``text``; characters outside the alphabet are dropped (no crash)."""
    index = {c: i + 1 for i, c in enumerate(alphabet)}
    return [index[c] for c in text if c in index]


def ctc_greedy_decode(frames: Sequence[int], alphabet: str, blank: int = 0) -> str:
    """Best-path decoding: collapse repeated frame classes, then drop blanks.

    >>> ctc_greedy_decode([1, 1, 0, 1, 2, 2, 0], "ab")
    'aab'
    """
    chars = []
    previous = None
    for cls in frames:
        if cls != previous and cls != blank:
            chars.append(alphabet[cls - 1])
        previous = cls
    return "".join(chars)


def _width_strides(strip: int) -> tuple[int, int, int]:
    """Width strides of the three conv blocks whose product is ``strip`` (a power of two)."""
    first = min(strip, 2)
    second = min(strip // first, 2)
    return first, second, strip // (first * second)


def conv_frontend(config: ModelConfig) -> nn.Sequential:
    """Three 3x3 conv + BatchNorm + ReLU blocks: height / 8, width / ``htr_strip``."""
    blocks: list[nn.Module] = []
    channels = config.htr_channels
    for out, stride in zip(config.htr_conv_channels, _width_strides(config.htr_strip)):
        blocks += [nn.Conv2d(channels, out, 3, (2, stride), 1, bias=False), nn.BatchNorm2d(out), nn.ReLU(inplace=True)]
        channels = out
    return nn.Sequential(*blocks)


class HTRHead(nn.Module):
    """Strip projection (or conv front end), BiLSTM and classifier around the shared core."""

    def __init__(self, config: ModelConfig, width: int, n_classes: int) -> None:
        super().__init__()
        self.strip = config.htr_strip
        self.conv = conv_frontend(config) if config.htr_frontend == "conv" else None
        if self.conv is not None:
            strip_dim = config.htr_conv_channels[-1] * (config.htr_height // 8)
        else:
            strip_dim = config.htr_height * config.htr_strip * config.htr_channels
        hidden = config.htr_adapter_hidden
        if hidden:  # the 2021 code's adapter: Linear, ReLU, Dropout, Linear
            self.proj = nn.Sequential(nn.Linear(strip_dim, hidden), nn.ReLU(), nn.Dropout(config.dropout),
                                      nn.Linear(hidden, width), nn.Dropout(config.dropout))
        else:
            self.proj = nn.Sequential(nn.Linear(strip_dim, width), nn.Dropout(config.dropout))
        self.lstm = nn.LSTM(width, width // 2, num_layers=config.lstm_layers, bidirectional=True, batch_first=True,
                            dropout=config.dropout if config.lstm_layers > 1 else 0.0)
        self.classifier = nn.Linear(2 * (width // 2), n_classes)

    def strips(self, images: torch.Tensor) -> torch.Tensor:
        """(B, C, H, W) -> (B, W / strip, H * strip * C), each strip in (row, column, channel) order."""
        b, c, h, w = images.shape
        x = images.view(b, c, h, w // self.strip, self.strip).permute(0, 3, 2, 4, 1)
        return x.reshape(b, w // self.strip, h * self.strip * c)

    def frames(self, images: torch.Tensor) -> torch.Tensor:
        """(B, C, H, W) uint8 canvases -> (B, T, features) frames before the projection."""
        x = (images.float() / 255.0 - INK_MEAN) / INK_STD
        if self.conv is None:
            return self.strips(x)
        features = self.conv(x)  # (B, C', H / 8, T)
        b, c, h, t = features.shape
        return features.permute(0, 3, 1, 2).reshape(b, t, c * h)

    def logits(self, model: FusionModel, images: torch.Tensor) -> torch.Tensor:
        """(B, C, H, W) uint8 canvases -> (B, T, classes) logits."""
        x = self.proj(self.frames(images))
        mask = torch.ones(x.shape[:2], dtype=torch.long, device=x.device)
        hidden, _ = model.run_core(x, mask, "htr")
        hidden, _ = self.lstm(hidden.float())
        return self.classifier(hidden)

    def loss(self, model: FusionModel, batch: dict[str, Any]) -> dict[str, torch.Tensor]:
        """Batch: ``images`` (B, C, H, W) uint8, ``targets`` (concatenated class ids), ``target_lengths``."""
        logits = self.logits(model, batch["images"])
        log_probs = logits.float().log_softmax(-1).transpose(0, 1)  # (T, B, C)
        lengths = torch.full((logits.shape[0],), logits.shape[1], dtype=torch.long)
        loss = F.ctc_loss(log_probs, batch["targets"].cpu(), lengths, batch["target_lengths"].cpu(),
                          blank=0, zero_infinity=True)
        return {"loss": loss}

    @torch.no_grad()
    def recognise(self, model: FusionModel, images: torch.Tensor) -> list[str]:
        """Greedy CTC transcriptions of a batch of canvases."""
        frames = self.logits(model, images).argmax(-1).tolist()
        return [" ".join(ctc_greedy_decode(f, model.alphabet).split()) for f in frames]
