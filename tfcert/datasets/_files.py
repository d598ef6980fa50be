"""Materialised forms of the embedded sets: CSV and JSON files in the cache folder."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from pathlib import Path
from typing import Callable

from tfcert.datasets._registry import LEARNER_SPLITS, DatasetError, arrays, cache_dir, spec_for

#: Bumped whenever the layout of the written files changes, so stale copies are never reused.
FILE_FORMAT = 2


def _file_path(name: str, split: str, suffix: str) -> Path:
    return cache_dir() / "files" / f"{name}-v{spec_for(name).version}.{FILE_FORMAT}-{split}.{suffix}"


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


def _write_checked(path: Path, make: Callable[[], str]) -> Path:
    """Write ``make()`` to ``path`` unless a copy with a matching checksum is there already."""
    checksum = path.with_name(path.name + ".sha256")
    if path.exists() and checksum.exists():
        if hashlib.sha256(path.read_bytes()).hexdigest() == checksum.read_text().strip():
            return path
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

    return _write_checked(_file_path(name, split, "csv"), make)


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

    return _write_checked(_file_path(name, split, "json"), make)

