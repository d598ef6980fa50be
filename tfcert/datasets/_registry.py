"""The registry of embedded datasets, their splits, and the on-disk cache."""

from __future__ import annotations

import hashlib
import io
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

#: Splits a learner may load. The grader-side split is never among them.
LEARNER_SPLITS = ("train", "validation")
HELDOUT_SPLIT = "heldout"
#: The seed that generated held-out splits derive from; no learner split uses it.
GRADER_SEED = 0x6AD3_5EED
ALL_SPLITS = (*LEARNER_SPLITS, HELDOUT_SPLIT)


class DatasetError(ValueError):
    """A dataset request that cannot be served; the message says what to do instead."""


@dataclass(frozen=True)
class DatasetSpec:
    """One embedded set: how to build a split, and what it holds.

    ``build(split)`` returns ``(features, labels)`` as NumPy arrays, the same
    bytes on every machine. ``cached`` sets are stored under :func:`cache_dir`.
    ``kind`` is ``"classification"`` (labels are class indices into ``classes``),
    or ``"series"`` (features are time steps, labels the values at those steps;
    ``columns`` names the value columns).
    """

    name: str
    build: Callable[[str], tuple[np.ndarray, np.ndarray]]
    input_shape: tuple[int, ...]
    classes: tuple[str, ...]
    description: str
    module: str
    version: int = 1
    cached: bool = False
    sizes: dict[str, int] = field(default_factory=dict)
    kind: str = "classification"
    columns: tuple[str, ...] = ()
    #: Files only: series whose time steps are days since 1970 get a ``date`` column.
    time_is_date: bool = False
    #: Files only: records carry the class name instead of its index.
    label_names_in_records: bool = False
    #: Files only: names of the feature columns (default ``pixel_0`` ...).
    feature_names: Callable[[], tuple[str, ...]] | None = None

    @property
    def num_classes(self) -> int:
        return len(self.classes)


DATASETS: dict[str, DatasetSpec] = {}
_MEMORY: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = {}


def register(spec: DatasetSpec) -> DatasetSpec:
    """Add a set to :data:`DATASETS` (each data module calls this once)."""
    DATASETS[spec.name] = spec
    return spec


def names() -> list[str]:
    """The embedded sets, sorted.

    Example:
        >>> "digits" in names()
        True
    """
    return sorted(DATASETS)


def spec_for(name: str) -> DatasetSpec:
    if name not in DATASETS:
        raise DatasetError(f"unknown dataset {name!r}: the embedded datasets are {', '.join(names())}")
    return DATASETS[name]


def cache_dir() -> Path:
    """Where materialised data goes: ``$TFCERT_DATA_DIR``, else ``~/.cache/tfcert/data``."""
    return Path(os.environ.get("TFCERT_DATA_DIR") or Path.home() / ".cache" / "tfcert" / "data")


#: A read-only cache the grader fills before grading and shows to sandboxed kernels.
SHARED_ENV = "TFCERT_DATA_SHARED"


def cache_candidates(relative: str | Path) -> list[Path]:
    """Where a cached item may already be: the shared read-only cache first, then :func:`cache_dir`.

    Writes always go to :func:`cache_dir`; the shared cache (``$TFCERT_DATA_SHARED``)
    saves every sandboxed grading kernel from regenerating the same data.

    Example:
        >>> cache_candidates("glyphs/v1/train.npz")[-1] == cache_dir() / "glyphs/v1/train.npz"
        True
    """
    shared = os.environ.get(SHARED_ENV)
    roots = [Path(shared)] if shared and Path(shared) != cache_dir() else []
    return [root / relative for root in [*roots, cache_dir()]]


def card(name: str) -> str:
    """The data card of a set: what it is, how it is made, sizes, classes, the target."""
    import importlib

    return importlib.import_module(spec_for(name).module).__doc__ or ""


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _cached_build(spec: DatasetSpec, split: str) -> tuple[np.ndarray, np.ndarray]:
    relative = Path(spec.name) / f"v{spec.version}" / f"{split}.npz"
    for data_file in cache_candidates(relative):
        if not data_file.exists():
            continue
        try:
            raw = data_file.read_bytes()
            if data_file.with_suffix(".sha256").read_text().strip() != _sha256(raw):
                raise ValueError("checksum mismatch")
            with np.load(io.BytesIO(raw)) as stored:
                return stored["features"], stored["labels"]
        except Exception as exc:  # corrupt, truncated or tampered: never used
            warnings.warn(f"the cached {spec.name}/{split} data at {data_file} was unusable ({exc}); rebuilding it",
                          stacklevel=3)
    data_file = cache_dir() / relative
    folder, sum_file = data_file.parent, data_file.with_suffix(".sha256")
    features, labels = spec.build(split)
    buffer = io.BytesIO()
    np.savez(buffer, features=features, labels=labels)
    raw = buffer.getvalue()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        partial = data_file.with_suffix(".partial")
        partial.write_bytes(raw)
        sum_file.write_text(_sha256(raw) + "\n")
        partial.replace(data_file)
    except OSError as exc:
        raise DatasetError(f"cannot write the dataset cache in {folder} ({type(exc).__name__}: {exc.strerror or exc}): "
                           "set the environment variable TFCERT_DATA_DIR to a writable folder") from None
    return features, labels


def arrays(name: str, split: str) -> tuple[np.ndarray, np.ndarray]:
    """``(features, labels)`` of any split, the held-out one included (graders use this)."""
    spec = spec_for(name)
    if split not in ALL_SPLITS:
        raise DatasetError(f"split {split!r} is not available for {name}: choose one of {', '.join(LEARNER_SPLITS)}")
    key = (name, split)
    if key not in _MEMORY:
        _MEMORY[key] = _cached_build(spec, split) if spec.cached else spec.build(split)
    return _MEMORY[key]


def load(name: str, split: str = "train", *, as_numpy: bool = False, batch_size: int | None = None):
    """Load an embedded dataset split as a ``tf.data.Dataset`` or NumPy arrays.

    Args:
        name: one of :func:`names`, for example ``"glyphs"``.
        split: ``"train"`` or ``"validation"``.
        as_numpy: return ``(features, labels)`` arrays instead of a dataset.
        batch_size: batch the ``tf.data.Dataset`` (ignored with ``as_numpy``).

    Example:
        >>> ds = load("digits", split="validation", batch_size=32)
        >>> [tuple(t.shape) for t in next(iter(ds))]
        [(32, 8, 8), (32,)]
    """
    spec_for(name)
    if split not in LEARNER_SPLITS:
        hint = " (the held-out split is kept for grading)" if split in ("test", HELDOUT_SPLIT) else ""
        raise DatasetError(f"split {split!r} is not available for {name}: choose one of "
                           f"{', '.join(LEARNER_SPLITS)}{hint}")
    features, labels = arrays(name, split)
    if as_numpy:
        return features.copy(), labels.copy()
    import tensorflow as tf

    ds = tf.data.Dataset.from_tensor_slices((features, labels))
    return ds.batch(batch_size) if batch_size else ds


def load_heldout(name: str) -> tuple[np.ndarray, np.ndarray]:
    """The grader's held-out split, as NumPy arrays. Used by :mod:`tfcert.grading`.

    Example:
        >>> x, y = load_heldout("digits")
        >>> len(x)
        297
    """
    return arrays(name, HELDOUT_SPLIT)
