"""The registry of embedded datasets: their specs, their splits, and their arrays."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import numpy as np

from tfcert.datasets._cache import SHARED_ENV, cache_candidates, cache_dir, cached
from tfcert.datasets._errors import DatasetError

if TYPE_CHECKING:
    from tfcert.datasets.kinds import DataKind

__all__ = ["ALL_SPLITS", "DATASETS", "GRADER_SEED", "HELDOUT_SPLIT", "LEARNER_SPLITS", "SHARED_ENV", "DatasetError",
           "DatasetSpec", "arrays", "cache_candidates", "cache_dir", "card", "forms", "load", "load_heldout", "names",
           "register", "spec_for"]

#: Splits a learner may load. The grader-side split is never among them.
LEARNER_SPLITS = ("train", "validation")
HELDOUT_SPLIT = "heldout"
#: The seed that generated held-out splits derive from; no learner split uses it.
GRADER_SEED = 0x6AD3_5EED
ALL_SPLITS = (*LEARNER_SPLITS, HELDOUT_SPLIT)


@dataclass(frozen=True)
class DatasetSpec:
    """One embedded set: how to build a split, what it holds, and its kind.

    ``build(split)`` returns ``(features, labels)`` as NumPy arrays, the same
    bytes on every machine. ``cached`` sets are stored under :func:`cache_dir`.
    ``kind`` is a :mod:`tfcert.datasets.kinds` instance (image, table, text,
    series or corpus) that knows the set's forms, how it is graded and the
    settings only that kind has. ``classes`` names the class indices of the
    labels (empty for series and corpora).

    Example:
        >>> spec = DATASETS["digits"]
        >>> spec.kind.name, spec.num_classes, spec.feature_names()[:2]
        ('image', 10, ('pixel_0', 'pixel_1'))
    """

    name: str
    build: Callable[[str], tuple[np.ndarray, np.ndarray]]
    input_shape: tuple[int, ...]
    classes: tuple[str, ...]
    description: str
    module: str
    kind: DataKind
    version: int = 1
    cached: bool = False
    sizes: dict[str, int] = field(default_factory=dict)

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    def feature_names(self) -> tuple[str, ...]:
        """Names of the columns a model reads, as the CSV and JSON forms call them."""
        return self.kind.feature_names(self)


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
    """The spec of a set; DatasetError naming the embedded sets if there is none.

    Example:
        >>> spec_for("glyphs").input_shape
        (28, 28)
    """
    if name not in DATASETS:
        raise DatasetError(f"unknown dataset {name!r}: the embedded datasets are {', '.join(names())}")
    return DATASETS[name]


def forms(name: str) -> tuple[str, ...]:
    """The forms a set can be materialised in (see :func:`tfcert.datasets.prepare`).

    Example:
        >>> forms("glyphs")
        ('arrays', 'csv', 'json', 'raw', 'tfds')
        >>> forms("scenes_binary")[-1], forms("synthetic")
        ('folders', ('arrays', 'csv', 'json', 'tfds'))
    """
    return spec_for(name).kind.forms


def card(name: str) -> str:
    """The data card of a set: what it is, how it is made, sizes, classes, the target.

    Example:
        >>> card("digits").splitlines()[0]
        "``digits``: scikit-learn's copy of the UCI handwritten digits."
    """
    import importlib

    return importlib.import_module(spec_for(name).module).__doc__ or ""


def _cached_arrays(spec: DatasetSpec, split: str) -> tuple[np.ndarray, np.ndarray]:
    """A split of a large set, stored once as ``<name>/v<version>/<split>.npz`` in the cache."""
    def build(scratch: Path) -> None:
        features, labels = spec.build(split)
        with scratch.open("wb") as handle:
            np.savez(handle, features=features, labels=labels)

    path = cached(Path(spec.name) / f"v{spec.version}" / f"{split}.npz", build, what=f"{spec.name}/{split} data")
    with np.load(io.BytesIO(path.read_bytes())) as stored:
        return stored["features"], stored["labels"]


def arrays(name: str, split: str) -> tuple[np.ndarray, np.ndarray]:
    """``(features, labels)`` of any split, the held-out one included (graders use this).

    Example:
        >>> [len(part) for part in arrays("digits", "heldout")]
        [297, 297]
    """
    spec = spec_for(name)
    if split not in ALL_SPLITS:
        raise DatasetError(f"split {split!r} is not available for {name}: choose one of {', '.join(LEARNER_SPLITS)}")
    key = (name, split)
    if key not in _MEMORY:
        _MEMORY[key] = _cached_arrays(spec, split) if spec.cached else spec.build(split)
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
    """The grader's held-out split, as NumPy arrays. Used by the grader's clean process.

    Example:
        >>> x, y = load_heldout("digits")
        >>> len(x)
        297
    """
    return arrays(name, HELDOUT_SPLIT)
