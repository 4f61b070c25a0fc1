"""What the four builders share: the config dataclass and the split logic."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import datasets

from fusionbench.errors import FusionBenchError

__all__ = ["SOURCES", "FusionBenchConfig", "ChallengeLayoutBuilder", "directory_fingerprint"]

#: Sources a config can read: the shipped sample, a local challenge-layout folder, and the public
#: sources (each provides some tasks, see ``fusionbench.data.source_splits.SOURCES_BY_TASK``).
SOURCES = ("sample", "data_dir", "fusionbrain", "avatar", "transcoder_gfg", "avatar_g4g", "visual_genome", "vqa_v2",
           "school_notebooks")


def directory_fingerprint(directory: str | Path) -> str:
    """A cheap fingerprint (names, sizes, modification times) so a changed folder is re-read."""
    digest = hashlib.sha256()
    for path in sorted(Path(directory).rglob("*")):
        if path.is_file():
            stat = path.stat()
            digest.update(f"{path.relative_to(directory)}|{stat.st_size}|{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:16]


@dataclass
class FusionBenchConfig(datasets.BuilderConfig):
    """Builder configuration.

    Attributes:
        source: where the data comes from (see :data:`SOURCES`).
        fingerprint: content fingerprint of ``data_dir`` (part of the cache key).
    """

    source: str = "sample"
    fingerprint: str | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.source not in SOURCES:
            raise FusionBenchError(f"unknown source {self.source!r}; expected one of {', '.join(SOURCES)}")
        if self.source == "data_dir" and not self.data_dir:
            raise FusionBenchError("source 'data_dir' needs data_dir= pointing at a challenge-layout folder")


class ChallengeLayoutBuilder(datasets.GeneratorBasedBuilder):
    """Base builder: reads a challenge-layout folder as a ``test`` split.

    Subclasses set ``TASK`` and ``FEATURES`` and may convert rows in :meth:`to_example`.
    """

    BUILDER_CONFIG_CLASS = FusionBenchConfig
    TASK: str = ""
    FEATURES: datasets.Features
    DESCRIPTION: str = ""

    def _info(self) -> datasets.DatasetInfo:
        return datasets.DatasetInfo(description=self.DESCRIPTION, features=self.FEATURES)

    def _split_generators(self, dl_manager: Any) -> list[datasets.SplitGenerator]:
        if self.config.source == "sample":
            from fusionbench.data.sample_source import frozen_split

            return [
                datasets.SplitGenerator(name=datasets.Split.TRAIN, gen_kwargs={"directory": None, "split": "train"}),
                datasets.SplitGenerator(name=datasets.Split.VALIDATION,
                                        gen_kwargs={"directory": str(frozen_split("validation")), "split": "validation"}),
                datasets.SplitGenerator(name=datasets.Split.TEST,
                                        gen_kwargs={"directory": str(frozen_split("test")), "split": "test"}),
            ]
        if self.config.source == "data_dir":
            return [datasets.SplitGenerator(name=datasets.Split.TEST,
                                            gen_kwargs={"directory": self.config.data_dir, "split": "test"})]
        from fusionbench.data.source_splits import SOURCES_BY_TASK, split_kwargs

        if self.config.source not in SOURCES_BY_TASK[self.TASK]:
            valid = ", ".join(("sample", "data_dir", *SOURCES_BY_TASK[self.TASK]))
            raise FusionBenchError(f"source {self.config.source!r} has no {self.TASK} data; for {self.TASK} use {valid}")
        splits = split_kwargs(self.TASK, self.config.source, dl_manager, self.config.data_dir)
        return [datasets.SplitGenerator(name=name, gen_kwargs={"directory": None, "split": name, "source_kwargs": kw})
                for name, kw in splits.items()]

    def _generate_examples(self, directory: str | None, split: str, source_kwargs: dict | None = None):
        from fusionbench.data.challenge import read_split

        if source_kwargs is not None:
            from fusionbench.data.source_splits import source_rows

            rows = source_rows(self.TASK, **source_kwargs)
        else:
            if directory is None:  # the sample's train split is generated on first use
                from fusionbench.data.sample_source import train_split

                directory = str(train_split())
            rows = read_split(directory, self.TASK)
        for index, row in enumerate(rows):
            yield f"{split}-{index}", self.to_example(row)

    def to_example(self, row: dict[str, Any]) -> dict[str, Any]:
        """Turn a validated row into an example of ``FEATURES`` (identity by default)."""
        return row
