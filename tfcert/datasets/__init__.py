"""Embedded datasets: real or generated data that works offline, identical for learner and grader.

Every set is made or read locally and deterministically; nothing is downloaded.
Generated sets are drawn from fixed seeds, and their ``heldout`` split, which
only the graders use, from a grader-side seed that no learner split shares.
Large sets are cached as ``.npz`` files under :func:`cache_dir` (outside the
repository), checked against a SHA-256 on every load, and rebuilt if corrupt.

Each set's data card is the docstring of the module that builds it
(:func:`card` returns it): ``digits`` (:mod:`tfcert.datasets.digits`),
``glyphs`` (:mod:`tfcert.datasets.glyphs`), ``breast_cancer``
(:mod:`tfcert.datasets.tabular`), and ``synthetic``, ``seasonal_multi``,
``goog`` and ``stocks`` (:mod:`tfcert.datasets.series`), ``reviews``,
``complaints`` and ``verses`` (:mod:`tfcert.datasets.text`), ``scenes`` and
``scenes_binary`` (:mod:`tfcert.datasets.scenes`, also as image folders through
:func:`to_image_folders`). :func:`to_csv` and
:func:`to_json` write a split as a file for the lessons on data formats;
:func:`to_raw_csv` writes images as a raw, unlabelled test file.

Example:
    >>> x, y = load("digits", split="train", as_numpy=True)
    >>> x.shape, y.shape, x.dtype.name
    ((1200, 8, 8), (1200,), 'float32')
    >>> load("digits", split="test")
    Traceback (most recent call last):
    ...
    tfcert.datasets._registry.DatasetError: split 'test' is not available for digits: choose one of train, validation (the held-out split is kept for grading)
"""

from __future__ import annotations

from tfcert.datasets._registry import (
    DATASETS,
    HELDOUT_SPLIT,
    LEARNER_SPLITS,
    DatasetError,
    DatasetSpec,
    arrays,
    cache_candidates,
    cache_dir,
    card,
    load,
    load_heldout,
    names,
)
from tfcert.datasets import digits as _digits  # noqa: F401  (registers)
from tfcert.datasets import glyphs as _glyphs  # noqa: F401  (registers)
from tfcert.datasets import series as _series  # noqa: F401  (registers)
from tfcert.datasets import tabular as _tabular  # noqa: F401  (registers)
from tfcert.datasets import text as _text  # noqa: F401  (registers)
from tfcert.datasets import scenes as _scenes  # noqa: F401  (registers)
from tfcert.datasets._files import to_csv, to_json, to_raw_csv
from tfcert.datasets.scenes import to_image_folders

__all__ = ["DATASETS", "HELDOUT_SPLIT", "LEARNER_SPLITS", "DatasetError", "DatasetSpec", "arrays", "cache_candidates", "cache_dir",
           "card", "load", "load_heldout", "names", "to_csv", "to_json", "to_raw_csv", "to_image_folders"]
