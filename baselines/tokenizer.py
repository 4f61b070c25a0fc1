"""Text tokenizers: an offline byte-level BPE (``local-bpe``) and the GPT-2 BPE (``gpt2``).

Both expose the same small interface (:class:`TextTokenizer`): ``encode``, ``decode``, the ids
of the four special tokens and ``to_dict`` so the tokenizer is saved with the model.  The local
BPE starts from the 256 byte symbols, so every string is encodable; trained on the training
texts it shortens sequences (Java/Python code) several times over pure bytes.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = ["SPECIAL_TOKENS", "TextTokenizer", "train_local_bpe", "load_gpt2_tokenizer", "tokenizer_from_dict"]

#: pad, begin (unused by the heads but reserved), end of sequence, separator (C2C).
SPECIAL_TOKENS = ("<pad>", "<s>", "</s>", "<|SEP|>")


class TextTokenizer:
    """A ``tokenizers.Tokenizer`` with the four special tokens registered.

    Args:
        backend: a ``tokenizers.Tokenizer``.
        kind: ``local-bpe`` or ``gpt2`` (saved in checkpoints).
        source: for ``gpt2``, where it was loaded from.
    """

    def __init__(self, backend: Any, kind: str, source: str | None = None) -> None:
        self.backend = backend
        self.kind = kind
        self.source = source
        ids = [backend.token_to_id(t) for t in SPECIAL_TOKENS]
        if any(i is None for i in ids):
            raise ValueError("tokenizer lacks a special token: " + ", ".join(SPECIAL_TOKENS))
        self.pad_id, self.bos_id, self.eos_id, self.sep_id = ids

    @property
    def vocab_size(self) -> int:
        """Number of ids (the embedding size)."""
        return self.backend.get_vocab_size(with_added_tokens=True)

    def encode(self, text: str) -> list[int]:
        """Token ids of ``text`` (no special tokens added)."""
        return self.backend.encode(text, add_special_tokens=False).ids

    def decode(self, ids: Iterable[int]) -> str:
        """The text of ``ids``, special tokens dropped."""
        return self.backend.decode(list(ids), skip_special_tokens=True)

    def to_dict(self) -> dict[str, Any]:
        """Serialisable state: the whole vocabulary and merges (a checkpoint needs no other file)."""
        return {"kind": self.kind, "source": self.source, "json": self.backend.to_str()}


def train_local_bpe(texts: Iterable[str], vocab_size: int = 1024) -> TextTokenizer:
    """Train a byte-level BPE on ``texts`` offline (deterministic for equal input).

    With ``vocab_size <= 260`` no merges are learnt: a pure byte tokenizer.
    """
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    backend = Tokenizer(models.BPE())
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    backend.decoder = decoders.ByteLevel()
    alphabet = pre_tokenizers.ByteLevel.alphabet()
    trainer = trainers.BpeTrainer(
        vocab_size=max(vocab_size, len(alphabet) + len(SPECIAL_TOKENS)), special_tokens=list(SPECIAL_TOKENS),
        initial_alphabet=alphabet, show_progress=False,
    )
    backend.train_from_iterator(list(texts), trainer)
    return TextTokenizer(backend, "local-bpe")


def load_gpt2_tokenizer(name: str = "gpt2", weights: str | None = None) -> TextTokenizer:
    """The GPT-2 BPE from a local directory or Hub id, with the special tokens appended.

    Raises:
        WeightsNotFoundError: offline and no local copy (see :mod:`fusionbench.baselines.weights`).
    """
    from transformers import GPT2TokenizerFast

    from fusionbench.baselines.weights import load_pretrained, resolve_pretrained

    fast = load_pretrained(GPT2TokenizerFast, name, weights)
    fast.add_special_tokens({"pad_token": SPECIAL_TOKENS[0], "bos_token": SPECIAL_TOKENS[1],
                             "eos_token": SPECIAL_TOKENS[2], "sep_token": SPECIAL_TOKENS[3]})
    return TextTokenizer(fast.backend_tokenizer, "gpt2", resolve_pretrained(name, weights))


def tokenizer_from_dict(data: dict[str, Any]) -> TextTokenizer:
    """Inverse of :meth:`TextTokenizer.to_dict`."""
    from tokenizers import Tokenizer

    return TextTokenizer(Tokenizer.from_str(data["json"]), data["kind"], data.get("source"))
