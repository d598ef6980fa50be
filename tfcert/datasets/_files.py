"""Materialised forms of the embedded sets: CSV and JSON files in the cache folder."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from pathlib import Path
from typing import Callable

import numpy as np

from tfcert.datasets._registry import LEARNER_SPLITS, DatasetError, arrays, cache_candidates, cache_dir, spec_for

#: Bumped whenever the layout of the written files changes, so stale copies are never reused.
FILE_FORMAT = 2


def _relative(name: str, split: str, suffix: str) -> Path:
    return Path("files") / f"{name}-v{spec_for(name).version}.{FILE_FORMAT}-{split}.{suffix}"


def _table(name: str, split: str) -> tuple[list[str], list[list[object]]]:
    """Header and rows of a split as a table: features then the label, or time then the values."""
    spec = spec_for(name)
    if split not in LEARNER_SPLITS:
        raise DatasetError(f"split {split!r} cannot be written for {name}: choose one of {', '.join(LEARNER_SPLITS)}")
    features, labels = arrays(name, split)
    if spec.kind == "series":
        values = labels.reshape(len(labels), -1)
        times = features.astype("datetime64[D]").astype(str) if spec.time_is_date else features
        rows = [[t.item() if hasattr(t, "item") else t, *(round(float(v), 6) for v in row)]
                for t, row in zip(times, values)]
        return ["date" if spec.time_is_date else "time", *spec.columns], rows
    if spec.kind == "corpus":
        return list(spec.columns), [[str(line)] for line in features]
    if spec.kind == "text":
        label = (lambda y: spec.classes[int(y)]) if spec.label_names_in_records else int
        return list(spec.columns), [[str(t), label(y)] for t, y in zip(features, labels)]
    flat = features.reshape(len(features), -1)
    names = list(spec.feature_names()) if spec.feature_names else [f"pixel_{i}" for i in range(flat.shape[1])]
    rows = [[*(round(float(v), 6) for v in row), int(label)] for row, label in zip(flat, labels)]
    return [*names, "label"], rows


def _write_checked(relative: Path, make: Callable[[], str]) -> Path:
    """Write ``make()`` under the cache unless a copy with a matching checksum is there already."""
    for candidate in cache_candidates(relative):
        checksum = candidate.with_name(candidate.name + ".sha256")
        if candidate.exists() and checksum.exists():
            if hashlib.sha256(candidate.read_bytes()).hexdigest() == checksum.read_text().strip():
                return candidate
    path = cache_dir() / relative
    checksum = path.with_name(path.name + ".sha256")
    text = make()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".partial")
        partial.write_text(text, encoding="utf-8")
        checksum.write_text(hashlib.sha256(text.encode("utf-8")).hexdigest() + "\n")
        partial.replace(path)
    except OSError as exc:
        raise DatasetError(f"cannot write {path} ({type(exc).__name__}): set the environment variable "
                           "TFCERT_DATA_DIR to a writable folder") from None
    return path


def to_csv(name: str, split: str = "train") -> Path:
    """Write a split as CSV (header row, one example per row) and return its path.

    Example:
        >>> import pandas as pd
        >>> table = pd.read_csv(to_csv("breast_cancer", "validation"))
        >>> table.shape, table.columns[-1]
        ((85, 31), 'label')
    """
    def make() -> str:
        header, rows = _table(name, split)
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")  # quotes text that holds commas
        writer.writerow(header)
        writer.writerows(rows)
        return buffer.getvalue()

    return _write_checked(_relative(name, split, "csv"), make)


def to_json(name: str, split: str = "train") -> Path:
    """Write a split as a JSON list of records (``{"column": value, ...}``) and return its path.

    Example:
        >>> records = json.loads(to_json("synthetic", "validation").read_text())
        >>> sorted(records[0]), len(records)
        (['time', 'value'], 361)
    """
    def make() -> str:
        header, rows = _table(name, split)
        return json.dumps([dict(zip(header, row)) for row in rows])

    return _write_checked(_relative(name, split, "json"), make)



def to_raw_csv(name: str = "glyphs", split: str = "validation", limit: int = 1000) -> Path:
    """Write the first ``limit`` images of a split as a raw, unlabelled test file and return its path.

    Like a competition's test file: one flat row per image, ``id`` then
    ``pixel_0`` ... as integers 0-255, no label. Whoever reads it must restore
    the shape and the scale a model expects.

    Example:
        >>> import pandas as pd
        >>> table = pd.read_csv(to_raw_csv("glyphs", limit=5))
        >>> table.shape, table.columns[0], int(table.iloc[:, 1:].to_numpy().max()) > 1
        ((5, 785), 'id', True)
    """
    spec = spec_for(name)
    if len(spec.input_shape) < 2 or spec.kind != "classification":
        raise DatasetError(f"{name} is not an image set: raw pixel files exist for "
                           "digits, glyphs, scenes and scenes_binary")
    if split not in LEARNER_SPLITS:
        raise DatasetError(f"split {split!r} cannot be written for {name}: choose one of {', '.join(LEARNER_SPLITS)}")

    def make() -> str:
        images = arrays(name, split)[0][:limit]
        flat = np.round(images.reshape(len(images), -1) * 255).astype(np.uint8)
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(["id", *(f"pixel_{i}" for i in range(flat.shape[1]))])
        writer.writerows([index, *row.tolist()] for index, row in enumerate(flat))
        return buffer.getvalue()

    return _write_checked(Path("files") / f"{name}-v{spec.version}.{FILE_FORMAT}-{split}-raw{limit}.csv", make)
