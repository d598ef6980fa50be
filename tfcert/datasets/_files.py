"""Materialised forms of the embedded sets: CSV, JSON and raw files, image folders, and :func:`prepare`.

Each form is written once into the cache (see :mod:`tfcert.datasets._cache`:
the shared read-only cache is read first, and every copy is checked against
its checksum); how a split becomes a table, a raw file or folders is up to the
set's kind (:mod:`tfcert.datasets.kinds`).
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Callable, Iterable, cast

from tfcert.datasets._cache import cached
from tfcert.datasets._errors import DatasetError
from tfcert.datasets._registry import HELDOUT_SPLIT, LEARNER_SPLITS, DatasetSpec, arrays, names, public_heldout, spec_for
from tfcert.datasets.kinds import FORMS, ImageKind

#: Bumped whenever the layout of the written files changes, so stale copies are never reused.
FILE_FORMAT = 2


def _with_form(name: str, form: str, why: str | None = None) -> DatasetSpec:
    """The spec of a set that has ``form``; DatasetError (``why``, or the forms it has) if it has not.

    Example:
        >>> _with_form("glyphs", "raw").name
        'glyphs'
        >>> _with_form("synthetic", "raw")
        Traceback (most recent call last):
        ...
        tfcert.datasets._errors.DatasetError: synthetic has no form 'raw': its forms are arrays, csv, json, tfds
    """
    spec = spec_for(name)
    if form not in FORMS:
        raise DatasetError(f"unknown form {form!r}: the forms are {', '.join(FORMS)}")
    if form not in spec.kind.forms:
        raise DatasetError(why or f"{name} has no form {form!r}: its forms are {', '.join(spec.kind.forms)}")
    return spec


def _sets_with(form: str) -> str:
    """The sets that have ``form``, as a phrase.

    Example:
        >>> _sets_with("folders")
        'scenes and scenes_binary'
    """
    found = [name for name in names() if form in spec_for(name).kind.forms]
    return " and ".join(", ".join(found).rsplit(", ", 1))


def _learner_split(name: str, split: str) -> None:
    """DatasetError unless ``split`` is one a learner may have as a file.

    Example:
        >>> _learner_split("digits", "heldout")
        Traceback (most recent call last):
        ...
        tfcert.datasets._errors.DatasetError: split 'heldout' cannot be written for digits: choose one of train, validation
    """
    if split not in LEARNER_SPLITS:
        raise DatasetError(f"split {split!r} cannot be written for {name}: choose one of {', '.join(LEARNER_SPLITS)}")


def _relative(spec: DatasetSpec, split: str, suffix: str) -> Path:
    """Where a split's file goes in the cache: the set's version and the file format are in its name.

    Example:
        >>> _relative(spec_for("digits"), "train", "csv").as_posix()
        'files/digits-v1.2-train.csv'
    """
    return Path("files") / f"{spec.name}-v{spec.version}.{FILE_FORMAT}-{split}.{suffix}"


def _csv_text(header: list[str], rows: Iterable[list[object]]) -> str:
    """A table as CSV text: a header row, then one row per example; text with commas is quoted.

    Example:
        >>> _csv_text(["review", "label"], [["good, but slow", 0]])
        'review,label\\n"good, but slow",0\\n'
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")  # quotes text that holds commas
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def _text_file(relative: Path, make: Callable[[], str], what: str) -> Path:
    """A cached UTF-8 text file, written from ``make()`` when no good copy exists.

    Example:
        >>> _text_file(Path("files/example-v1.txt"), lambda: "hello", "example file").read_text()
        'hello'
    """
    return cached(relative, lambda scratch: scratch.write_text(make(), encoding="utf-8"), what=what)


def to_csv(name: str, split: str = "train") -> Path:
    """Write a split as CSV (header row, one example per row) and return its path.

    Example:
        >>> import pandas as pd
        >>> table = pd.read_csv(to_csv("breast_cancer", "validation"))
        >>> table.shape, table.columns[-1]
        ((85, 31), 'label')
    """
    spec = _with_form(name, "csv")
    _learner_split(name, split)
    return _text_file(_relative(spec, split, "csv"),
                      lambda: _csv_text(*spec.kind.table(spec, *arrays(name, split))), f"{name}/{split} CSV file")


def to_json(name: str, split: str = "train") -> Path:
    """Write a split as a JSON list of records (``{"column": value, ...}``) and return its path.

    Example:
        >>> records = json.loads(to_json("synthetic", "validation").read_text())
        >>> sorted(records[0]), len(records)
        (['time', 'value'], 361)
    """
    spec = _with_form(name, "json")
    _learner_split(name, split)

    def make() -> str:
        header, rows = spec.kind.table(spec, *arrays(name, split))
        return json.dumps([dict(zip(header, row)) for row in rows])

    return _text_file(_relative(spec, split, "json"), make, f"{name}/{split} JSON file")


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
    spec = _with_form(name, "raw", f"{name} is not an image set: raw pixel files exist for {_sets_with('raw')}")
    _learner_split(name, split)
    kind = cast(ImageKind, spec.kind)  # the raw form is an image kind's
    return _text_file(Path("files") / f"{name}-v{spec.version}.{FILE_FORMAT}-{split}-raw{limit}.csv",
                      lambda: _csv_text(*kind.raw_table(arrays(name, split)[0][:limit])), f"{name}/{split} raw file")


def to_image_folders(name: str) -> Path:
    """Write ``<name>/{train,validation}/<class>/NNNNN.jpg`` under the cache folder; return ``<name>/``.

    The images keep their original sizes. The folder is checked against its
    checksum on every call (a missing or damaged file makes the whole folder be
    written again), and a good copy in the grader's shared cache is used as it is.

    Example:
        >>> root = to_image_folders("scenes_binary")
        >>> sorted(p.name for p in (root / "train").iterdir())
        ['horse', 'king']
    """
    spec = _with_form(name, "folders",
                      f"{name!r} has no image-folder form: image folders exist for {_sets_with('folders')}")
    kind = cast(ImageKind, spec.kind)  # the folders form is an image kind's
    return cached(Path("files") / f"{name}-v{spec.version}", lambda root: kind.write_folders(spec, root),
                  what=f"{name} image folders")


def _prepare_tfds(name: str) -> None:
    from tfcert.datasets import tfds_builders

    tfds_builders.prepared_dir(name)


def _prepare_arrays(name: str) -> None:
    """Every split in the cache; the held-out one as its public draw, the one sandboxed kernels may see.

    A held-out split drawn from the instructor secret is never cached (see
    :func:`tfcert.datasets.grader_seed`): each grading process builds it.
    """
    for split in LEARNER_SPLITS:
        arrays(name, split)
    with public_heldout():
        arrays(name, HELDOUT_SPLIT)


#: How :func:`prepare` materialises each form.
PREPARERS: dict[str, Callable[[str], object]] = {
    "arrays": _prepare_arrays,
    "csv": lambda name: [to_csv(name, split) for split in LEARNER_SPLITS],
    "json": lambda name: [to_json(name, split) for split in LEARNER_SPLITS],
    "raw": lambda name: to_raw_csv(name, "validation"),
    "tfds": _prepare_tfds,
    "folders": to_image_folders,
}


def prepare(name: str, forms: Iterable[str]) -> list[str]:
    """Materialise forms of a set in the cache, once, before learners or graders need them; return the forms done.

    ``"arrays"``: every split, the held-out one included (large sets are
    cached; the held-out split as its public draw, never the instructor
    secret's); ``"csv"``, ``"json"``: both learner splits; ``"raw"``:
    :func:`to_raw_csv` of the validation split; ``"tfds"``: the local TFDS
    builder, prepared; ``"folders"``: :func:`to_image_folders`. Every form is
    checked before anything is written.

    Example:
        >>> prepare("breast_cancer", ["arrays", "csv"])
        ['arrays', 'csv']
        >>> prepare("glyphs", ["folders"])
        Traceback (most recent call last):
        ...
        tfcert.datasets._errors.DatasetError: glyphs has no form 'folders': its forms are arrays, csv, json, raw, tfds
    """
    wanted = [forms] if isinstance(forms, str) else list(dict.fromkeys(forms))
    for form in wanted:
        _with_form(name, form)
    for form in wanted:
        PREPARERS[form](name)
    return wanted
