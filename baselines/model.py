"""``FusionModel``: one shared GPT-2 core, one shared image backbone, a head per task.

Paths through the model (what each task uses):

* C2C: token embeddings -> core -> C2C LM head.
* HTR: strip projection -> core -> BiLSTM -> alphabet.
* VQA: backbone -> image projection -> core (with token embeddings) -> VQA LM head.
* zsOD: token embeddings, backbone -> image projection, box queries -> core -> box MLP.

The core's transformer blocks, position embeddings and final LayerNorm are used by all four
paths (the shared part in the challenge's M/N criterion).
"""

from __future__ import annotations

import functools
import inspect
from typing import Any

import torch
from torch import nn

from fusionbench.baselines.backbone import build_backbone
from fusionbench.baselines.config import ModelConfig
from fusionbench.baselines.heads import C2CHead, HTRHead, VQAHead, ZsODHead
from fusionbench.baselines.heads.fb2021 import CrossAttentionStack, VQAHead2021, ZsODHead2021
from fusionbench.baselines.tokenizer import TextTokenizer

__all__ = ["TASKS", "FusionModel", "build_core", "apply_freeze"]

#: Config names of the tasks, in a fixed order (task-token ids follow it).
TASKS = ("c2c", "htr", "vqa", "zsod")
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


@functools.lru_cache(maxsize=None)
def _cache_argument(core_class: type) -> str:
    """The name of the KV-cache argument and output field of this transformers version."""
    return "cache" if "cache" in inspect.signature(core_class.forward).parameters else "past_key_values"


def build_core(config: ModelConfig, vocab_size: int, weights: str | None = None,
               core_config: dict[str, Any] | None = None, bos_id: int | None = None,
               eos_id: int | None = None) -> nn.Module:
    """The GPT-2 core: random (``core="random"``), rebuilt from a saved config, or pretrained."""
    from transformers import GPT2Config, GPT2Model

    if core_config is not None:
        return GPT2Model(GPT2Config.from_dict(core_config))
    if config.core == "random":
        return GPT2Model(GPT2Config(
            vocab_size=vocab_size, n_positions=config.n_positions, n_embd=config.n_embd, n_layer=config.n_layer,
            n_head=config.n_head, resid_pdrop=config.dropout, embd_pdrop=config.dropout, attn_pdrop=config.dropout,
            bos_token_id=bos_id, eos_token_id=eos_id,
        ))
    from fusionbench.baselines.weights import load_pretrained

    core = load_pretrained(GPT2Model, config.core, weights)
    core.resize_token_embeddings(vocab_size, mean_resizing=False)
    return core


def apply_freeze(core: nn.Module, policy: str, train_layernorm: bool = True) -> None:
    """Set ``requires_grad`` on the core's parameters by policy.

    ``all`` freezes every core parameter (token and position embeddings included) except, with
    ``train_layernorm``, the LayerNorms; ``ffn`` freezes only the feed-forward (``mlp``) blocks;
    ``none`` trains everything.
    """
    for name, param in core.named_parameters():
        if policy == "none":
            param.requires_grad_(True)
        elif policy == "ffn":
            param.requires_grad_(".mlp." not in name)
        else:
            param.requires_grad_(train_layernorm and (".ln_" in name or name.startswith("ln_f")))


class FusionModel(nn.Module):
    """The multitask model; ``forward(task, batch)`` returns ``{"loss": tensor, ...}``.

    Args:
        config: the model config.
        tokenizer: the text tokenizer (its vocabulary size sizes the embeddings and LM heads).
        alphabet: the HTR characters (class ``i + 1``; class 0 is the CTC blank).
        weights: a local directory of pretrained GPT-2 weights (overrides the Hub id).
        core_config: a saved GPT-2 config, to rebuild without loading weights (checkpoints).
    """

    def __init__(self, config: ModelConfig, tokenizer: TextTokenizer, alphabet: str,
                 weights: str | None = None, core_config: dict[str, Any] | None = None) -> None:
        super().__init__()
        self.config = config
        self.tokenizer = tokenizer
        self.alphabet = alphabet
        self.core = build_core(config, tokenizer.vocab_size, weights, core_config, tokenizer.bos_id, tokenizer.eos_id)
        width = self.core.config.n_embd
        self.width = width
        self.backbone = build_backbone(config.backbone, config.backbone_width, config.backbone_blocks)
        self.image_proj = nn.Conv2d(self.backbone.out_channels, width, 1)
        # A learned 2-D position per image token: the core's own positions of image tokens shift
        # with the length of the text before them (zsOD), so they cannot tell where a cell is.
        grid = -(-config.image_size // self.backbone.stride)
        legacy = config.architecture == "2021"
        self.image_pos = None if legacy else nn.Parameter(torch.randn(1, grid * grid, width) * 0.02)
        self.cross = CrossAttentionStack(width, config.cross_layers, config.cross_heads, config.cross_ffn) \
            if legacy else None
        self.task_embedding = nn.Embedding(len(TASKS), width) if config.task_tokens else None
        vocab = tokenizer.vocab_size
        self.heads = nn.ModuleDict({
            "c2c": C2CHead(width, vocab),
            "htr": HTRHead(config, width, len(alphabet) + 1),
            "vqa": VQAHead2021(width, vocab) if legacy else VQAHead(width, vocab),
            "zsod": ZsODHead2021(width, config.n_queries) if legacy else ZsODHead(config, width),
        })
        self.register_buffer("pixel_mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("pixel_std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1), persistent=False)
        apply_freeze(self.core, config.freeze, config.train_layernorm)

    # -- shared pieces ---------------------------------------------------------------------------
    def forward(self, task: str, batch: dict[str, Any]) -> dict[str, torch.Tensor]:
        """Training loss of one mini-batch of ``task``."""
        return self.heads[task].loss(self, batch)

    def embed_tokens(self, ids: torch.Tensor) -> torch.Tensor:
        """Token embeddings from the core's (shared) table."""
        return self.core.wte(ids)

    def image_tokens(self, images: torch.Tensor) -> torch.Tensor:
        """(B, 3, S, S) uint8 images -> (B, N, width) tokens (row-major over the feature map)."""
        x = (images.float() / 255.0 - self.pixel_mean) / self.pixel_std
        features = self.image_proj(self.backbone(x))
        tokens = features.flatten(2).transpose(1, 2)
        return tokens if self.image_pos is None else tokens + self.image_pos.to(features.dtype)

    def run_core(self, embeds: torch.Tensor, mask: torch.Tensor, task: str,
                 past: Any = None, use_cache: bool = False) -> tuple[torch.Tensor, Any]:
        """Run the core on input embeddings.

        Args:
            embeds: (B, L, width) new input embeddings.
            mask: (B, P + L) attention mask over the cached (P) and new positions (1 = real token);
                positions are counted over real tokens only, so left padding is safe.
            task: the task (for its optional task token, prepended on the first call).
            past: the cache of an earlier call, for incremental decoding.

        Returns:
            (B, L, width) hidden states of the new positions and the cache.
        """
        mask = mask.long()
        prepended = False
        if self.task_embedding is not None:
            mask = torch.cat([mask.new_ones(mask.shape[0], 1), mask], 1)
            if past is None:
                token = self.task_embedding.weight[TASKS.index(task)].to(embeds.dtype)
                embeds = torch.cat([token.expand(embeds.shape[0], 1, -1), embeds], 1)
                prepended = True
        positions = (mask.cumsum(1) - 1).clamp(min=0)[:, -embeds.shape[1]:]
        cache_kwarg = _cache_argument(type(self.core))  # "cache" (transformers 5) or "past_key_values"
        out = self.core(inputs_embeds=embeds, attention_mask=mask, position_ids=positions,
                        use_cache=use_cache or past is not None, **({cache_kwarg: past} if past is not None else {}))
        hidden = out.last_hidden_state
        return (hidden[:, 1:] if prepended else hidden), getattr(out, cache_kwarg, None)

    # -- bookkeeping -----------------------------------------------------------------------------
    def task_parameters(self, task: str) -> list[tuple[str, nn.Parameter]]:
        """The (name, parameter) pairs that ``task``'s path uses (trainable or not)."""
        uses_text = task in ("c2c", "vqa", "zsod")
        uses_image = task in ("vqa", "zsod")
        chosen = []
        for name, param in self.named_parameters():
            top = name.split(".")[0]
            if top == "core":
                if ".wte." in f".{name[5:]}" and not uses_text:
                    continue
                chosen.append((name, param))
            elif top in ("backbone", "image_proj", "image_pos", "cross"):
                if uses_image:
                    chosen.append((name, param))
            elif top == "task_embedding":
                chosen.append((name, param))
            elif top == "heads" and name.split(".")[1] == task:
                chosen.append((name, param))
        return chosen

    def extra_state(self) -> dict[str, Any]:
        """What a checkpoint needs besides the state dict to rebuild this model."""
        return {"config": self.config.to_dict(), "tokenizer": self.tokenizer.to_dict(), "alphabet": self.alphabet,
                "core_config": self.core.config.to_dict()}

    @classmethod
    def from_extra_state(cls, extra: dict[str, Any]) -> FusionModel:
        """Rebuild an (untrained) model of the same shape from :meth:`extra_state`."""
        from fusionbench.baselines.config import ModelConfig
        from fusionbench.baselines.tokenizer import tokenizer_from_dict

        return cls(ModelConfig.from_dict(extra["config"]), tokenizer_from_dict(extra["tokenizer"]),
                   extra["alphabet"], core_config=extra["core_config"])
