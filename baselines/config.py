"""Model presets and freeze policies of the reference baseline.

A preset is a :class:`ModelConfig`; ``get_config(name, **overrides)`` returns a copy with fields
replaced.  The default preset (``gpt2-medium``) follows the 2023 journal paper (Computer Optics
47(1)): a pretrained GPT-2 Medium core, the first three ResNet-50 stages for images (224 px ->
14 x 14 x 1024 -> 196 tokens), 12 learnable box queries for zsOD.  ``tiny`` is a randomly
initialised, narrow version of the same architecture for tests and CPU training.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

__all__ = ["ModelConfig", "PRESETS", "FREEZE_POLICIES", "DEFAULT_PRESET", "get_config"]

#: ``all``: the whole core is frozen (LayerNorms trainable when ``train_layernorm``); ``ffn``:
#: only the core's feed-forward blocks are frozen (the FusionBrain concept); ``none``: all trainable.
FREEZE_POLICIES = ("all", "ffn", "none")
DEFAULT_PRESET = "gpt2-medium"


@dataclass
class ModelConfig:
    """Everything needed to rebuild the model (saved in every checkpoint).

    Attributes:
        preset: the preset name this config came from.
        core: ``"random"`` (GPT-2 shaped, random init) or a Hugging Face id / local directory of
            pretrained GPT-2 weights (``gpt2``, ``gpt2-medium``, ``gpt2-large``).
        n_layer, n_embd, n_head, n_positions: the core's shape (ignored when weights are loaded).
        tokenizer: ``"local-bpe"`` (a byte-level BPE trained offline on the training texts; with
            ``tokenizer_vocab`` <= 260 it is a pure byte tokenizer) or ``"gpt2"`` (the GPT-2 BPE).
        tokenizer_vocab: target vocabulary size of the local BPE.
        freeze: one of :data:`FREEZE_POLICIES`.
        train_layernorm: with ``freeze="all"``, keep the core's LayerNorms trainable.
        backbone: ``"resnet50"`` (bottleneck blocks, first three stages) or ``"resnet18"``
            (basic blocks, four stages).
        backbone_width: width of the stem (64 in ResNet-50/18); stages use 1x, 2x, 4x (8x).
        backbone_blocks: blocks per stage.
        image_size: VQA and zsOD images are resized to this square size.
        htr_height, htr_width, htr_strip: HTR canvas and strip width (strips = width / strip).
        htr_channels: 3 (RGB strips, as published) or 1 (grey).
        htr_frontend: ``"strips"`` (as published: each strip flattened and projected linearly) or
            ``"conv"`` (three strided 3x3 conv + BatchNorm + ReLU blocks with
            ``htr_conv_channels``; height / 8 and width / ``htr_strip``, so one frame per strip;
            each frame's column of features is projected linearly).  The conv front end leaves
            CTC's all-blank plateau in far fewer updates, which is what a CPU budget needs.
        htr_conv_channels: output channels of the three conv blocks.
        htr_adapter_hidden: 0 for a single linear strip projection; else the hidden width of a
            two-layer (Linear, ReLU, Linear) projection, as in the 2021 code.
        lstm_layers: BiLSTM layers of the HTR head (hidden size n_embd / 2 per direction).
        n_queries: zsOD box queries.
        task_tokens: prepend one learned token per task to the core's input.
        max_answer_tokens, max_c2c_tokens: generation limits.
        dropout: dropout inside the core and heads.
        architecture: ``"2023"`` (the journal paper: one core sequence per task, 12 box queries)
            or ``"2021"`` (the released code: separate image and text passes, shared
            cross-attention for VQA and zsOD, ``n_queries`` max-pooled box slots; see
            :mod:`fusionbench.baselines.heads.fb2021`).
        cross_layers, cross_heads, cross_ffn: the 2021 cross-attention stack.
    """

    preset: str = DEFAULT_PRESET
    core: str = "gpt2-medium"
    n_layer: int = 24
    n_embd: int = 1024
    n_head: int = 16
    n_positions: int = 1024
    tokenizer: str = "gpt2"
    tokenizer_vocab: int = 50257
    freeze: str = "all"
    train_layernorm: bool = True
    backbone: str = "resnet50"
    backbone_width: int = 64
    backbone_blocks: tuple[int, ...] = (3, 4, 6)
    image_size: int = 224
    htr_height: int = 128
    htr_width: int = 512
    htr_strip: int = 8
    htr_channels: int = 3
    htr_adapter_hidden: int = 0
    htr_frontend: str = "strips"
    htr_conv_channels: tuple[int, ...] = (16, 32, 64)
    lstm_layers: int = 2
    n_queries: int = 12
    task_tokens: bool = False
    max_answer_tokens: int = 8
    architecture: str = "2023"
    cross_layers: int = 3
    cross_heads: int = 8
    cross_ffn: int = 2048
    max_c2c_tokens: int = 400
    dropout: float = 0.1
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.freeze not in FREEZE_POLICIES:
            raise ValueError(f"unknown freeze policy {self.freeze!r}; expected one of {', '.join(FREEZE_POLICIES)}")
        if self.backbone not in ("resnet50", "resnet18"):
            raise ValueError(f"unknown backbone {self.backbone!r}; expected resnet50 or resnet18")
        if self.htr_width % self.htr_strip:
            raise ValueError("htr_width must be a multiple of htr_strip")
        if self.htr_frontend not in ("strips", "conv"):
            raise ValueError(f"unknown htr_frontend {self.htr_frontend!r}; expected strips or conv")
        if self.htr_frontend == "conv":
            if self.htr_height % 8 or self.htr_strip & (self.htr_strip - 1) or len(self.htr_conv_channels) != 3:
                raise ValueError("htr_frontend='conv' needs htr_height divisible by 8, htr_strip a power of two "
                                 "and three htr_conv_channels")
        self.htr_conv_channels = tuple(self.htr_conv_channels)
        if self.architecture not in ("2023", "2021"):
            raise ValueError(f"unknown architecture {self.architecture!r}; expected 2023 or 2021")
        self.backbone_blocks = tuple(self.backbone_blocks)

    @property
    def htr_steps(self) -> int:
        """Number of HTR strips (CTC frames)."""
        return self.htr_width // self.htr_strip

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly dict (round-trips through :meth:`from_dict`)."""
        data = dataclasses.asdict(self)
        data["backbone_blocks"] = list(self.backbone_blocks)
        data["htr_conv_channels"] = list(self.htr_conv_channels)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelConfig:
        """Rebuild a config, ignoring unknown keys (written by newer versions)."""
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


PRESETS: dict[str, ModelConfig] = {
    # CPU/test scale: random init, narrow widths, small images, a conv HTR front end (32 frames);
    # tuned to learn the sample in minutes.
    "tiny": ModelConfig(
        preset="tiny", core="random", n_layer=2, n_embd=128, n_head=4, n_positions=512,
        tokenizer="local-bpe", tokenizer_vocab=1024, freeze="none", backbone="resnet50",
        backbone_width=16, backbone_blocks=(1, 1, 1), image_size=128, htr_height=64, htr_width=256,
        htr_strip=8, htr_channels=1, htr_frontend="conv", lstm_layers=1, dropout=0.0,
    ),
    "gpt2": ModelConfig(preset="gpt2", core="gpt2", n_layer=12, n_embd=768, n_head=12),
    "gpt2-medium": ModelConfig(preset="gpt2-medium"),
    # The released 2021 code's architecture with its bugs fixed (heads/fb2021.py lists them).
    "fusionbrain-2021": ModelConfig(
        preset="fusionbrain-2021", core="gpt2", n_layer=12, n_embd=768, n_head=12, freeze="none",
        backbone="resnet18", backbone_blocks=(2, 2, 2, 2), htr_adapter_hidden=3072, lstm_layers=3,
        n_queries=8, max_answer_tokens=10, architecture="2021",
    ),
    "gpt2-large": ModelConfig(preset="gpt2-large", core="gpt2-large", n_layer=36, n_embd=1280, n_head=20),
}


def get_config(name: str = DEFAULT_PRESET, **overrides: Any) -> ModelConfig:
    """A fresh copy of preset ``name`` with ``overrides`` applied.

    Raises:
        ValueError: unknown preset or field.
    """
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; expected one of {', '.join(PRESETS)}")
    fields = {f.name for f in dataclasses.fields(ModelConfig)}
    unknown = set(overrides) - fields
    if unknown:
        raise ValueError(f"unknown config field(s): {', '.join(sorted(unknown))}")
    return dataclasses.replace(PRESETS[name], **overrides)
