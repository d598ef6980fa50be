"""The embedded sets as local TensorFlow Datasets builders, and the canonical sets one switch away.

Importing this module registers one builder per embedded set, named
``tfcert_<name>``, so ``tfds.load("tfcert_glyphs")`` works offline: the
builder's "download" step reads the embedded data instead of a URL. The
grader-only split is never part of them.

:func:`tfds_load` is the one switch: the embedded stand-in by default, the
canonical TFDS dataset (``fashion_mnist``, ``horses_or_humans``,
``rock_paper_scissors``, ``imdb_reviews``) with ``canonical=True`` for learners
with a network. Both paths give ``(features, label)`` pairs with
``as_supervised=True``.

Example:
    >>> import contextlib, io, tempfile
    >>> with contextlib.redirect_stdout(io.StringIO()):  # the one-off preparation says so in a line
    ...     ds = tfds_load("breast_cancer", split="validation", data_dir=tempfile.mkdtemp())
    >>> features, label = next(iter(ds))
    >>> tuple(features.shape), label.dtype.name
    ((30,), 'int64')
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import tensorflow_datasets as tfds

from tfcert.datasets._cache import cache_dir, cached
from tfcert.datasets._registry import DATASETS, LEARNER_SPLITS, DatasetError, DatasetSpec, arrays

#: The canonical TFDS dataset each embedded set stands in for.
CANONICAL = {"glyphs": "fashion_mnist", "scenes_binary": "horses_or_humans", "scenes": "rock_paper_scissors",
             "reviews": "imdb_reviews"}


def _examples(spec: DatasetSpec, split: str):
    features, labels = arrays(spec.name, split)
    for index, (x, y) in enumerate(zip(features, labels)):
        yield index, spec.kind.tfds_example(spec, x, y)


def _builder_class(spec: DatasetSpec) -> type:
    def _info(self):
        keys = ("features", "label") if spec.kind.supervised else None
        return tfds.core.DatasetInfo(builder=self, description=spec.description, supervised_keys=keys,
                                     features=tfds.features.FeaturesDict(spec.kind.tfds_features(spec)))

    def _split_generators(self, dl_manager):
        return {split: _examples(spec, split) for split in LEARNER_SPLITS}

    def _generate_examples(self, *args):  # required by the base class; the generators above are used
        raise NotImplementedError

    attributes = {
        "VERSION": tfds.core.Version(f"{spec.version}.0.0"),
        "RELEASE_NOTES": {f"{spec.version}.0.0": "Embedded tfcert data."},
        "_info": _info,
        "_split_generators": _split_generators,
        "_generate_examples": _generate_examples,
        "__module__": __name__,
        "__doc__": spec.description,
    }
    name = "Tfcert" + "".join(part.capitalize() for part in spec.name.split("_"))
    return type(name, (tfds.core.GeneratorBasedBuilder,), attributes)


BUILDERS = {name: _builder_class(spec) for name, spec in DATASETS.items()}


def tfds_load(name: str, split: str = "train", *, canonical: bool = False, data_dir: str | None = None, **kwargs):
    """``tfds.load`` for an embedded set (offline), or for its canonical counterpart with ``canonical=True``.

    Args:
        name: an embedded set, for example ``"glyphs"``.
        split: ``"train"`` or ``"validation"`` (canonical sets: their own split names, e.g. ``"test"``).
        canonical: load the TFDS original (``fashion_mnist`` for ``glyphs`` ...); needs a network.
        data_dir: where TFDS keeps prepared data (default: the tfcert cache for embedded sets,
            see :func:`prepared_dir`).
    """
    if name not in DATASETS:
        raise DatasetError(f"unknown dataset {name!r}: the embedded datasets are {', '.join(sorted(DATASETS))}")
    if canonical:
        if name not in CANONICAL:
            raise DatasetError(f"{name} has no canonical TFDS counterpart; those that do: {', '.join(CANONICAL)}")
        return tfds.load(CANONICAL[name], split=split, as_supervised=True, data_dir=data_dir, **kwargs)
    if split not in LEARNER_SPLITS:
        raise DatasetError(f"split {split!r} is not available for {name}: choose one of {', '.join(LEARNER_SPLITS)}")
    if data_dir:
        _prepare_quietly(name, Path(data_dir))
    else:
        data_dir = str(prepared_dir(name))
    return tfds.load(BUILDERS[name].name, split=split, as_supervised=DATASETS[name].kind.supervised,
                     data_dir=data_dir, **kwargs)


def _prepare_quietly(name: str, data_dir: Path, shown: Path | None = None) -> None:
    """Write the TFDS files of an embedded set once into ``data_dir``, saying so in one line.

    TFDS's own report ("Downloading and preparing dataset...", progress bars on
    stderr) would suggest a download that never happens. ``shown`` is the folder
    the line names (where the files will end up).
    """
    builder = BUILDERS[name]
    if _is_prepared(name, data_dir):
        return
    print(f"Preparing {builder.name} once from the embedded data (no download) in {shown or data_dir} ...", flush=True)
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        builder(data_dir=str(data_dir)).download_and_prepare()


def _relative(name: str) -> Path:
    """Each set's TFDS data folder in the cache, versioned like the set."""
    return Path("tfds") / f"{name}-v{DATASETS[name].version}"


def prepared_dir(name: str) -> Path:
    """The TFDS data folder of an embedded set, prepared once: the grader's shared copy if it has a good one.

    Example:
        >>> import contextlib, io
        >>> with contextlib.redirect_stdout(io.StringIO()):
        ...     folder = prepared_dir("breast_cancer")
        >>> sorted(p.name for p in (folder / BUILDERS["breast_cancer"].name).iterdir())
        ['1.0.0']
    """
    if name not in DATASETS:
        raise DatasetError(f"unknown dataset {name!r}: the embedded datasets are {', '.join(sorted(DATASETS))}")
    relative = _relative(name)
    return cached(relative, lambda scratch: _prepare_quietly(name, scratch, shown=cache_dir() / relative),
                  what=f"{name} TFDS data")


def _is_prepared(name: str, data_dir: Path) -> bool:
    """Whether TFDS has written the files of an embedded set under ``data_dir``."""
    builder = BUILDERS[name]
    return (data_dir / builder.name / str(builder.VERSION) / "dataset_info.json").exists()
