"""Embedded datasets: real or generated data that works offline, identical for learner and grader.

Every set is made or read locally and deterministically; nothing is downloaded.
Generated sets are drawn from fixed seeds, and their ``heldout`` split, which
only the graders use, from the grader's seed (:func:`grader_seed`): on a
grading machine with an instructor secret (``TFCERT_HELDOUT_SECRET`` or
``TFCERT_HELDOUT_SECRET_FILE``) a seed derived from it, which the grading
sandbox never sees, so learner code there gets only the public draw; without
one, a public seed that no learner split shares (:func:`warn_if_reproducible`
says so once per batch). The real sets (``digits``, ``breast_cancer``,
``goog``, ``stocks``) hold out a fixed part of their real data, which no
secret can hide.

Each set has a kind (:mod:`tfcert.datasets.kinds`: image, table, text, series
or corpus) that decides its forms (:func:`forms`), how a split becomes a file,
and how the grader measures a model of it (accuracy for classifiers, MAE
against the naive forecast for forecasters). :func:`prepare` materialises
forms ahead of time: large sets as ``.npz`` arrays, CSV and JSON files
(:func:`to_csv`, :func:`to_json`), raw unlabelled image files
(:func:`to_raw_csv`), image folders (:func:`to_image_folders`) and the local
TFDS builders (:mod:`tfcert.datasets.tfds_builders`). They all go through one
cache (:mod:`tfcert.datasets._cache`): outside the repository
(:func:`cache_dir`, ``$TFCERT_DATA_DIR``), the grader's shared read-only copy
(``$TFCERT_DATA_SHARED``) read first, every copy checked against its SHA-256
and rebuilt if corrupt.

Each set's data card is the docstring of the module that builds it
(:func:`card` returns it): ``digits`` (:mod:`tfcert.datasets.digits`),
``glyphs`` (:mod:`tfcert.datasets.glyphs`), ``breast_cancer`` and ``diabetes``
(:mod:`tfcert.datasets.tabular`), and ``synthetic``, ``seasonal_multi``,
``goog`` and ``stocks`` (:mod:`tfcert.datasets.series`), ``reviews``,
``complaints`` and ``verses`` (:mod:`tfcert.datasets.text`), ``scenes`` and
``scenes_binary`` (:mod:`tfcert.datasets.scenes`).

Example:
    >>> x, y = load("digits", split="train", as_numpy=True)
    >>> x.shape, y.shape, x.dtype.name
    ((1200, 8, 8), (1200,), 'float32')
    >>> load("digits", split="test")
    Traceback (most recent call last):
    ...
    tfcert.datasets._errors.DatasetError: split 'test' is not available for digits: choose one of train, validation (the held-out split is kept for grading)
"""

from __future__ import annotations

from tfcert.datasets._cache import cache_candidates, cache_dir
from tfcert.datasets._errors import DatasetError
from tfcert.datasets._registry import (
    DATASETS,
    HELDOUT_SPLIT,
    LEARNER_SPLITS,
    DatasetSpec,
    HeldoutReproducibleWarning,
    HeldoutSecretError,
    arrays,
    card,
    forms,
    grader_seed,
    heldout_is_secret,
    heldout_secret,
    load,
    load_heldout,
    names,
    public_heldout,
    set_heldout_secret,
    warn_if_reproducible,
)
from tfcert.datasets import digits as _digits  # noqa: F401  (registers)
from tfcert.datasets import glyphs as _glyphs  # noqa: F401  (registers)
from tfcert.datasets import series as _series  # noqa: F401  (registers)
from tfcert.datasets import tabular as _tabular  # noqa: F401  (registers)
from tfcert.datasets import text as _text  # noqa: F401  (registers)
from tfcert.datasets import scenes as _scenes  # noqa: F401  (registers)
from tfcert.datasets._files import prepare, to_csv, to_image_folders, to_json, to_raw_csv

__all__ = ["DATASETS", "HELDOUT_SPLIT", "LEARNER_SPLITS", "DatasetError", "DatasetSpec", "HeldoutReproducibleWarning",
           "HeldoutSecretError", "arrays", "cache_candidates", "cache_dir", "card", "forms", "grader_seed",
           "heldout_is_secret", "heldout_secret", "load", "load_heldout", "names", "prepare", "public_heldout",
           "set_heldout_secret", "to_csv", "to_json", "to_raw_csv", "to_image_folders", "warn_if_reproducible"]
