"""Wire the public sources into the builders: which files each split needs, and where they come from.

Every file is looked up first in ``data_dir`` (a local mirror holding files under their original
names, or already extracted folders of the same stem), then downloaded and extracted through
``datasets``' download manager (progress bars, caching).  A failed download becomes one
:class:`~fusionbench.errors.FusionBenchError` that names the URL and the file to put in
``data_dir`` instead.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fusionbench.errors import FusionBenchError, MissingFileError

__all__ = ["SOURCES_BY_TASK", "split_kwargs", "source_rows"]

#: Public sources each task can read (besides ``sample`` and ``data_dir``).
SOURCES_BY_TASK = {
    "HTR": ("fusionbrain", "school_notebooks"),
    "zsOD": ("fusionbrain", "visual_genome"),
    "VQA": ("fusionbrain", "vqa_v2"),
    "C2C": ("fusionbrain", "avatar", "transcoder_gfg", "avatar_g4g"),
}


#: What downloading over HTTP(S) needs beyond the core install: the ``sources`` extra.
SOURCES_EXTRA = ("requests", "aiohttp")


def require_sources_extra(what: str) -> None:
    """Raise one clear error naming the ``sources`` extra when a package for downloading is missing.

    ``datasets`` downloads through fsspec, whose HTTP file system needs these; without them the
    failure would be a message about fsspec protocols.
    """
    missing = []
    for module in SOURCES_EXTRA:
        try:
            __import__(module)
        except ImportError:
            missing.append(module)
    if missing:
        raise FusionBenchError(
            f"downloading {what} needs {' and '.join(missing)}: pip install 'fusionbench-eval[sources]' "
            "(or pass data_dir= pointing at a local copy of the files)"
        )


def _fetch(dl_manager: Any, url: str, data_dir: str | None) -> Path:
    name = url.rsplit("/", 1)[-1]
    if data_dir:
        local = Path(data_dir) / name
        extracted = Path(data_dir) / name.split(".")[0]
        if extracted.is_dir():
            return extracted
        if local.exists():
            return Path(dl_manager.extract(str(local))) if local.suffix == ".zip" else local
    require_sources_extra(url)
    try:
        return Path(dl_manager.download_and_extract(url))
    except Exception as exc:  # noqa: BLE001 - any network or HTTP failure
        raise FusionBenchError(
            f"could not download {url} ({type(exc).__name__}: {exc}); download it yourself and pass "
            f"data_dir= pointing at a folder that holds {name}"
        ) from None


def _fetch_avatar(dl_manager: Any, name: str, data_dir: str | None) -> Path:
    """One pinned AVATAR file (``name`` relative to its ``data/``): from ``data_dir`` or downloaded,
    sha256-checked either way; a corrupt download is removed from the cache."""
    from fusionbench.metrics.execution.pins import AVATAR_URL, avatar_sums
    from fusionbench.pinned import sha256_of

    expected = avatar_sums()[name]
    if data_dir:
        for local in (Path(data_dir) / name, Path(data_dir) / Path(name).name):
            if local.is_file():
                found = sha256_of(local)
                if found != expected:
                    raise FusionBenchError(f"{local}: sha256 mismatch: expected {expected}, found {found} "
                                           "(not the file of AVATAR commit a246ee5)")
                return local
    url = AVATAR_URL + name
    try:
        path = Path(dl_manager.download(url))
    except Exception as exc:  # noqa: BLE001 - any network or HTTP failure
        raise FusionBenchError(
            f"could not download {url} ({type(exc).__name__}: {exc}); download it yourself and pass "
            f"data_dir= pointing at a folder that holds {name} (sha256 {expected})"
        ) from None
    found = sha256_of(path)
    if found != expected:
        path.unlink(missing_ok=True)  # never leave a corrupt file in the cache
        raise FusionBenchError(f"{url}: sha256 mismatch of the download {path}: expected {expected}, found {found}; "
                               "it was removed from the cache")
    return path


def _needs_data_dir(data_dir: str | None, what: str) -> Path:
    if not data_dir or not Path(data_dir).is_dir():
        raise FusionBenchError(f"this source needs data_dir= pointing at {what}")
    return Path(data_dir)


def _find(root: Path, pattern: str) -> Path:
    found = sorted(root.rglob(pattern))
    if not found:
        raise MissingFileError(f"no file matching {pattern!r}", file=str(root))
    return found[0]


def _challenge_dir(dl_manager: Any, data_dir: str | None) -> Path:
    """The organisers' sample_data zips merged into one challenge-layout folder."""
    from fusionbench.data.sources.fusionbrain import URLS

    inputs = _fetch(dl_manager, URLS["sample"]["input"], data_dir)
    answers = _fetch(dl_manager, URLS["sample"]["true"], data_dir)
    task_folder = next((p.parent for p in sorted(inputs.rglob("requests.json"))), None)
    if task_folder is None:
        raise MissingFileError("no task folders in the sample input archive", file=str(inputs))
    merged = inputs.parent / f"{inputs.name}-challenge"
    if not merged.exists():
        staging = inputs.parent / f".{merged.name}-tmp"
        shutil.rmtree(staging, ignore_errors=True)
        shutil.copytree(task_folder.parent, staging / "input")
        for truth in answers.rglob("true_*.json"):
            shutil.copy(truth, staging / truth.name)
        staging.rename(merged)
    return merged


def split_kwargs(task: str, source: str, dl_manager: Any, data_dir: str | None) -> dict[str, dict[str, Any]]:
    """Split name to the keyword arguments of :func:`source_rows` for one task and source."""
    if source == "fusionbrain":
        from fusionbench.data.sources.fusionbrain import URLS

        test = {"kind": "challenge", "directory": str(_challenge_dir(dl_manager, data_dir))}
        if task == "HTR":
            train = {"kind": "fb_htr", "root": str(_fetch(dl_manager, URLS["htr"]["train"], data_dir))}
        elif task == "zsOD":
            images = _needs_data_dir(data_dir, "a folder whose images/ holds the Visual Genome images") / "images"
            train = {"kind": "fb_zsod", "images": str(images),
                     "files": [str(_fetch(dl_manager, URLS["zsod"][k], data_dir)) for k in ("train_en", "train_ru")]}
        elif task == "VQA":
            train = {"kind": "fb_vqa", "roots": [(str(_fetch(dl_manager, URLS["vqa"][k], data_dir)), lang)
                                                 for k, lang in (("train_en", "en"), ("train_ru", "ru"))]}
        else:
            train = {"kind": "fb_c2c", "path": str(_fetch(dl_manager, URLS["c2c"]["train"], data_dir))}
        return {"train": train, "test": test}
    if source == "avatar":
        from fusionbench.data.sources.avatar import SPLITS

        root = _needs_data_dir(data_dir, "the AVATAR data folder (train.jsonl, valid.jsonl, test.jsonl)")
        return {split: {"kind": "avatar", "path": str(_find(root, f"{stem}.jsonl"))} for split, stem in SPLITS.items()}
    if source == "transcoder_gfg":
        from fusionbench.data.sources.transcoder_gfg import SPLITS as GFG_SPLITS
        from fusionbench.data.sources.transcoder_gfg import file_names

        return {split: {"kind": "transcoder_gfg",
                        "files": {part: str(_fetch_avatar(dl_manager, name, data_dir))
                                  for part, name in file_names(stem).items()}}
                for split, stem in GFG_SPLITS.items()}
    if source == "avatar_g4g":
        from fusionbench.data.sources.avatar import G4G_ZIP, SPLITS

        archive = _fetch_avatar(dl_manager, G4G_ZIP, data_dir)
        root = Path(dl_manager.extract(str(archive)))
        return {split: {"kind": "avatar", "path": str(_find(root, f"{stem}.jsonl"))} for split, stem in SPLITS.items()}
    if source == "visual_genome":
        from fusionbench.data.sources.visual_genome import URLS

        image_data = _fetch(dl_manager, URLS["image_data"], data_dir)
        regions = _fetch(dl_manager, URLS["region_descriptions"], data_dir)
        images = [str(_fetch(dl_manager, URLS[k], data_dir)) for k in ("images", "images2")]
        image_data = _find(image_data, "image_data.json") if image_data.is_dir() else image_data
        regions = _find(regions, "region_descriptions.json") if regions.is_dir() else regions
        dirs = [str(p.parent) for d in images for p in [next(Path(d).rglob("*.jpg"), Path(d) / "x")]]
        return {"train": {"kind": "vg", "image_data": str(image_data), "regions": str(regions), "images": dirs}}
    if source == "vqa_v2":
        from fusionbench.data.sources.vqa_v2 import URLS

        splits = {}
        for split, coco in (("train", "train"), ("validation", "val")):
            questions = _fetch(dl_manager, URLS[f"{coco}_questions"], data_dir)
            annotations = _fetch(dl_manager, URLS[f"{coco}_annotations"], data_dir)
            images = _fetch(dl_manager, URLS[f"{coco}_images"], data_dir)
            image_dir = next((p.parent for p in images.rglob(f"COCO_{coco}2014_*.jpg")), images)
            splits[split] = {"kind": "vqa_v2", "coco": coco, "images": str(image_dir),
                             "questions": str(_find(questions, f"*{coco}2014_questions.json")),
                             "annotations": str(_find(annotations, f"*{coco}2014_annotations.json"))}
        return splits
    if source == "school_notebooks":
        root = Path(data_dir) if data_dir else _hub_snapshot()
        splits = {}
        for split, names in (("train", ("train",)), ("validation", ("val", "valid")), ("test", ("test",))):
            found = [p for n in names for p in sorted(root.rglob(f"*annotations*{n}*.json"))]
            if found:
                splits[split] = {"kind": "notebooks", "annotations": str(found[0]),
                                 "images": str(found[0].parent / "images")}
        if not splits:
            raise MissingFileError("no annotations_<split>.json found", file=str(root))
        return splits
    raise FusionBenchError(f"source {source!r} does not provide {task}")


def _hub_snapshot() -> Path:
    from fusionbench.data.sources.school_notebooks import HUB_REPOS

    try:
        from huggingface_hub import snapshot_download

        return Path(snapshot_download(HUB_REPOS["ru"], repo_type="dataset"))
    except Exception as exc:  # noqa: BLE001 - offline, gated, renamed
        raise FusionBenchError(
            f"could not download {HUB_REPOS['ru']} from the Hugging Face Hub ({type(exc).__name__}); "
            "pass data_dir= with its files (annotations_*.json and images/)"
        ) from None


def source_rows(task: str, kind: str, **kwargs: Any) -> Iterator[dict[str, Any]]:
    """Rows of one split, dispatched by the ``kind`` chosen in :func:`split_kwargs`."""
    from fusionbench.data.sources import avatar, fusionbrain, school_notebooks, visual_genome, vqa_v2

    if kind == "challenge":
        from fusionbench.data.challenge import read_split

        yield from read_split(kwargs["directory"], task)
    elif kind == "fb_htr":
        yield from fusionbrain.htr_rows(kwargs["root"])
    elif kind == "fb_zsod":
        for path in kwargs["files"]:
            yield from fusionbrain.zsod_rows(path, kwargs["images"])
    elif kind == "fb_vqa":
        for root, lang in kwargs["roots"]:
            for row in fusionbrain.vqa_rows(root, lang):
                yield {**row, "id": f"{lang}-{row['id']}"}
    elif kind == "fb_c2c":
        yield from fusionbrain.c2c_rows(kwargs["path"])
    elif kind == "avatar":
        yield from avatar.rows(kwargs["path"])
    elif kind == "transcoder_gfg":
        from fusionbench.data.sources import transcoder_gfg

        yield from transcoder_gfg.rows(kwargs["files"])
    elif kind == "vg":
        yield from visual_genome.rows(kwargs["image_data"], kwargs["regions"], kwargs["images"])
    elif kind == "vqa_v2":
        yield from vqa_v2.rows(kwargs["questions"], kwargs["annotations"], kwargs["images"], kwargs["coco"])
    elif kind == "notebooks":
        yield from school_notebooks.rows(kwargs["annotations"], kwargs["images"])
    else:
        raise FusionBenchError(f"unknown split kind {kind!r}")
