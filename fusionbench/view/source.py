"""Find what a record was scored on: its predictions, and the split it names (references, inputs).

A record does not copy the data; it names it (``dataset.source``, ``location``, ``split``) with
content hashes.  The viewer resolves the same split again, and says so plainly when the folder is
gone or no longer holds what the record was scored on (the hashes differ), instead of failing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fusionbench.errors import FusionBenchError
from fusionbench.harness.datasource import DataSplit, hash_file, hash_tree, resolve_data
from fusionbench.harness.record import PREDICTIONS_DIR, RECORD_NAME, read_record

__all__ = ["LoadedRecord", "load_record"]


@dataclass
class LoadedRecord:
    """A record, where it lies, and the split it names (``None`` when it cannot be found)."""

    path: Path
    record: dict[str, Any]
    data: DataSplit | None
    notes: list[str] = field(default_factory=list)
    #: tasks whose references differ from the ones the record was scored on
    stale_references: set[str] = field(default_factory=set)
    #: tasks whose input folder (images, questions, requests) is gone or differs
    missing_inputs: set[str] = field(default_factory=set)

    @property
    def predictions(self) -> Path:
        return self.path.parent / PREDICTIONS_DIR

    @property
    def name(self) -> str:
        return str(self.record["submission"].get("name") or self.path.parent.name)

    def fingerprint(self, task: str) -> tuple[str, str, str, str]:
        """What makes two records' items of ``task`` comparable: same data, split and references."""
        dataset = self.record["dataset"]
        return (dataset.get("source", ""), dataset.get("location", ""), dataset.get("split", ""),
                dataset.get("references_sha256", {}).get(task, ""))


def load_record(path: str | Path) -> LoadedRecord:
    """Read a record (a ``record.json`` or its folder) and resolve the split it names.

    Raises:
        FusionBenchError: the file is not a readable run record.
    """
    path = Path(path)
    if path.is_dir():
        path = path / RECORD_NAME
    record = read_record(path)
    dataset = record["dataset"]
    where = "the sample benchmark" if dataset.get("source") == "sample" else f"the data folder {dataset.get('location')}"
    try:
        data = resolve_data(dataset.get("location", "sample"), dataset.get("split", "test"))
    except FusionBenchError as exc:
        loaded = LoadedRecord(path, record, None)
        loaded.notes.append(f"The split this record names ({where}, split {dataset.get('split')!r}) cannot be "
                            f"read any more ({' '.join(str(exc).split())}); per-sample tables need its "
                            "references, so only the summary is shown.")
        return loaded
    loaded = LoadedRecord(path, record, data)
    for task in record.get("tasks", {}):
        try:
            same = hash_file(data.reference_file(task)) == dataset.get("references_sha256", {}).get(task)
        except FusionBenchError:
            same = False
        if not same:
            loaded.stale_references.add(task)
            loaded.notes.append(f"{task}: the references in {where} are not the ones this record was scored on "
                                "(their hash differs); its per-sample table is left out.")
        inputs = data.inputs / task
        if not inputs.is_dir():
            loaded.missing_inputs.add(task)
            loaded.notes.append(f"{task}: the inputs ({inputs}) are gone; the table is shown without images "
                                "or requests.")
        elif hash_tree(inputs) != dataset.get("inputs_sha256", {}).get(task):
            loaded.notes.append(f"{task}: the inputs in {inputs} differ from the ones the record was run on; "
                                "images are shown as they are now.")
    return loaded
