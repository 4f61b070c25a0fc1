"""Convolutional image backbones in plain torch (no torchvision on CPU here).

* ``resnet50``: the stem and the first three stages of ResNet-50 (bottleneck blocks, expansion
  4).  With the standard width 64 and blocks (3, 4, 6), a 224 x 224 image gives 14 x 14 x 1024.
* ``resnet18``: the stem and four stages of basic blocks (2, 2, 2, 2), 224 px -> 7 x 7 x 512
  (the released 2021 code).

Weights start random; ImageNet weights can be loaded into the same parameter names with
:func:`load_state_dict` if a local copy exists.
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["BasicBlock", "Bottleneck", "ResNetStages", "build_backbone"]


def _conv_bn(c_in: int, c_out: int, kernel: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(c_in, c_out, kernel, stride, kernel // 2, bias=False), nn.BatchNorm2d(c_out))


class BasicBlock(nn.Module):
    """Two 3x3 convolutions with a residual connection (ResNet-18/34)."""

    expansion = 1

    def __init__(self, c_in: int, width: int, stride: int = 1) -> None:
        super().__init__()
        self.body = nn.Sequential(_conv_bn(c_in, width, 3, stride), nn.ReLU(inplace=True), _conv_bn(width, width, 3))
        self.shortcut = _conv_bn(c_in, width, 1, stride) if stride != 1 or c_in != width else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.body(x) + self.shortcut(x))


class Bottleneck(nn.Module):
    """1x1 reduce, 3x3 (strided), 1x1 expand x4, with a residual connection (ResNet-50)."""

    expansion = 4

    def __init__(self, c_in: int, width: int, stride: int = 1) -> None:
        super().__init__()
        c_out = width * self.expansion
        self.body = nn.Sequential(
            _conv_bn(c_in, width, 1), nn.ReLU(inplace=True),
            _conv_bn(width, width, 3, stride), nn.ReLU(inplace=True),
            _conv_bn(width, c_out, 1),
        )
        self.shortcut = _conv_bn(c_in, c_out, 1, stride) if stride != 1 or c_in != c_out else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.body(x) + self.shortcut(x))


class ResNetStages(nn.Module):
    """Stem (7x7/2 conv, 3x3/2 max-pool) then stages; stage ``i`` has width ``width * 2**i``.

    Args:
        block: :class:`Bottleneck` or :class:`BasicBlock`.
        blocks: blocks per stage; the first stage keeps the resolution, later ones halve it.
        width: the stem width (64 in the standard networks).
    """

    def __init__(self, block: type[nn.Module], blocks: tuple[int, ...], width: int = 64) -> None:
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(3, width, 7, 2, 3, bias=False), nn.BatchNorm2d(width), nn.ReLU(inplace=True),
            nn.MaxPool2d(3, 2, 1),
        )
        layers: list[nn.Module] = []
        c_in = width
        for index, count in enumerate(blocks):
            stage_width = width * 2**index
            for j in range(count):
                layers.append(block(c_in, stage_width, 2 if (j == 0 and index > 0) else 1))
                c_in = stage_width * block.expansion
        self.stages = nn.Sequential(*layers)
        self.out_channels = c_in
        #: total downsampling factor (stem 4, then 2 per stage after the first)
        self.stride = 4 * 2 ** (len(blocks) - 1)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """(B, 3, H, W) normalised images -> (B, C, H / stride, W / stride)."""
        return self.stages(self.stem(images))


def build_backbone(kind: str, width: int, blocks: tuple[int, ...]) -> ResNetStages:
    """``resnet50`` (bottleneck) or ``resnet18`` (basic) stages."""
    return ResNetStages(Bottleneck if kind == "resnet50" else BasicBlock, tuple(blocks), width)
