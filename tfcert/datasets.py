"""Embedded datasets: real or generated data that works offline, identically for
learner and grader.

This module holds the sets the first domain needs; the other domains' sets plug
into the same registry (:data:`DATASETS`).

Data cards
----------
``digits``
    What: scikit-learn's copy of the UCI handwritten digits, 1,797 grayscale
    images of 8x8 pixels (values 0-16, scaled here to [0, 1]), classes 0-9.
    How: read at run time from the file scikit-learn ships; nothing is copied
    into this repository. A fixed permutation (seed 1234) splits it into
    ``train`` (1,200), ``validation`` (300) and a grader-only ``heldout`` split
    (297) that :func:`load` does not serve to learners.
    Target (D1 assignment): >= 93 % accuracy on ``heldout`` with at most 5,000
    parameters and a file of at most 100 KB. A multinomial logistic regression
    reaches about 95 %; an over-sized MLP passes the accuracy and fails the
    budget, which is the lesson.

Example:
    >>> x, y = load("digits", split="train", as_numpy=True)
    >>> x.shape, y.shape, x.dtype.name
    ((1200, 8, 8), (1200,), 'float32')
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

#: Splits a learner may load. The grader-side split is never among them.
LEARNER_SPLITS = ("train", "validation")
HELDOUT_SPLIT = "heldout"


@dataclass(frozen=True)
class DatasetSpec:
    """What the registry knows about one embedded set."""

    name: str
    build: Callable[[], dict[str, tuple[np.ndarray, np.ndarray]]]
    input_shape: tuple[int, ...]
    num_classes: int
    description: str


def _digits_splits() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    from sklearn.datasets import load_digits

    bunch = load_digits()
    images = (bunch.images / 16.0).astype("float32")
    labels = bunch.target.astype("int64")
    order = np.random.default_rng(1234).permutation(len(labels))
    cut = {"train": order[:1200], "validation": order[1200:1500], HELDOUT_SPLIT: order[1500:]}
    return {split: (images[idx], labels[idx]) for split, idx in cut.items()}


DATASETS: dict[str, DatasetSpec] = {
    "digits": DatasetSpec(
        name="digits",
        build=_digits_splits,
        input_shape=(8, 8),
        num_classes=10,
        description="8x8 handwritten digits from scikit-learn, 10 classes",
    ),
}

_CACHE: dict[str, dict[str, tuple[np.ndarray, np.ndarray]]] = {}


def _splits(name: str) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    if name not in DATASETS:
        known = ", ".join(sorted(DATASETS))
        raise ValueError(f"unknown dataset {name!r}: the embedded datasets are {known}")
    if name not in _CACHE:
        _CACHE[name] = DATASETS[name].build()
    return _CACHE[name]


def load(name: str, split: str = "train", *, as_numpy: bool = False, batch_size: int | None = None):
    """Load an embedded dataset split as a ``tf.data.Dataset`` or NumPy arrays.

    Args:
        name: a key of :data:`DATASETS`, for example ``"digits"``.
        split: ``"train"`` or ``"validation"``.
        as_numpy: return ``(features, labels)`` arrays instead of a dataset.
        batch_size: batch the ``tf.data.Dataset`` (ignored with ``as_numpy``).

    Example:
        >>> ds = load("digits", split="validation", batch_size=32)
        >>> [tuple(t.shape) for t in next(iter(ds))]
        [(32, 8, 8), (32,)]
    """
    if split not in LEARNER_SPLITS:
        raise ValueError(
            f"split {split!r} is not available: choose one of {', '.join(LEARNER_SPLITS)}"
            + (" (the held-out split is kept for grading)" if split in ("test", HELDOUT_SPLIT) else "")
        )
    features, labels = _splits(name)[split]
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
    return _splits(name)[HELDOUT_SPLIT]
