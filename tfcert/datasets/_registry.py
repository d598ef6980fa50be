"""The registry of embedded datasets: their specs, their splits, their arrays, and the held-out seed.

Held-out splits of generated sets are drawn from :func:`grader_seed`: with an
instructor secret (:func:`heldout_secret`: ``TFCERT_HELDOUT_SECRET``, or the
private file ``TFCERT_HELDOUT_SECRET_FILE`` names) a seed derived from it,
which no learner can rebuild; without one the public :data:`GRADER_SEED`, which
anyone with tfcert can. The grading sandbox never sees the secret, so learner
code that asks for the held-out split always gets the public draw. A
secret-derived split is kept in memory only, never in the data cache that
sandboxed kernels read.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import hashlib
import io
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator

import numpy as np

from tfcert.datasets._cache import SHARED_ENV, cache_candidates, cache_dir, cached
from tfcert.datasets._errors import DatasetError

if TYPE_CHECKING:
    from tfcert.datasets.kinds import DataKind

__all__ = ["ALL_SPLITS", "DATASETS", "GRADER_SEED", "HELDOUT_SPLIT", "LEARNER_SPLITS", "SECRET_ENV", "SECRET_FILE_ENV",
           "SHARED_ENV", "DatasetError", "DatasetSpec", "HeldoutReproducibleWarning", "HeldoutSecretError", "arrays",
           "cache_candidates", "cache_dir", "card", "forms", "grader_seed", "heldout_fingerprint", "heldout_is_secret",
           "heldout_secret", "load", "load_heldout", "names", "public_heldout", "register", "set_heldout_secret",
           "spec_for", "warn_if_reproducible"]

#: Splits a learner may load. The grader-side split is never among them.
LEARNER_SPLITS = ("train", "validation")
HELDOUT_SPLIT = "heldout"
#: The public seed of generated held-out splits when no instructor secret is set (see :func:`grader_seed`).
#: No learner split uses it, but it ships in the package: anyone can rebuild what it draws.
GRADER_SEED = 0x6AD3_5EED
ALL_SPLITS = (*LEARNER_SPLITS, HELDOUT_SPLIT)

# ----------------------------------------------------------------------------- the held-out seed

#: The instructor secret held-out splits are drawn from, on the grading machine only.
SECRET_ENV = "TFCERT_HELDOUT_SECRET"
#: A private file (mode 600, outside every course directory) whose text is the secret.
SECRET_FILE_ENV = "TFCERT_HELDOUT_SECRET_FILE"
#: How an instructor makes a secret file (quoted by the messages that ask for one).
MAKE_SECRET = ("python -c 'import secrets; print(secrets.token_urlsafe(32))' > ~/.tfcert-heldout-secret && "
               "chmod 600 ~/.tfcert-heldout-secret")

_SECRET: dict[str, str | None] = {"value": None}  # set_heldout_secret's, this process only
_PUBLIC = contextvars.ContextVar("tfcert_public_heldout", default=False)
_WARNED: dict[str, bool] = {"done": False}


class HeldoutSecretError(DatasetError):
    """The held-out secret's file cannot be used; the message says why and what to do."""


class HeldoutReproducibleWarning(UserWarning):
    """Grading runs without an instructor secret: anyone with tfcert can rebuild the held-out data."""


def set_heldout_secret(text: str | None) -> None:
    """Use ``text`` as the instructor secret in this process, before the environment (None: the environment's again).

    The out-of-kernel verifier receives the secret this way, on its standard
    input, so that nothing it starts (a learner's script) inherits it.

    Example:
        >>> set_heldout_secret("example secret"); heldout_is_secret()
        True
        >>> set_heldout_secret(None)
    """
    _SECRET["value"] = text or None


def heldout_secret() -> str | None:
    """The instructor secret held-out data is drawn from, or None: the grader's side only.

    In order: the value :func:`set_heldout_secret` gave this process; the
    environment variable ``TFCERT_HELDOUT_SECRET``; the text of the file that
    ``TFCERT_HELDOUT_SECRET_FILE`` names, which must be private (no access for
    group or others) and outside every course directory (HeldoutSecretError,
    saying what to do, otherwise). The grading sandbox removes both variables
    and hides the file, so learner code always finds None here.

    Example:
        >>> import os
        >>> os.environ["TFCERT_HELDOUT_SECRET"] = "  from the environment  "
        >>> heldout_secret()
        'from the environment'
        >>> del os.environ["TFCERT_HELDOUT_SECRET"]
    """
    if _SECRET["value"]:
        return _SECRET["value"]
    text = os.environ.get(SECRET_ENV, "").strip()
    if text:
        return text
    named = os.environ.get(SECRET_FILE_ENV, "").strip()
    if not named:
        return None
    path = Path(named).expanduser()
    try:
        info = path.stat()
    except OSError as exc:
        raise HeldoutSecretError(
            f"{SECRET_FILE_ENV} names {path}, which cannot be read ({exc.strerror or exc}): create the secret with "
            f"{MAKE_SECRET} and point {SECRET_FILE_ENV} at it, or unset {SECRET_FILE_ENV}") from None
    return _secret_from_file(str(path.resolve()), info.st_mtime_ns, info.st_size, info.st_mode)


@functools.lru_cache(maxsize=4)
def _secret_from_file(path: str, mtime_ns: int, size: int, mode: int) -> str:
    """The secret in the file at ``path`` (resolved), checked: private, outside every course, not empty."""
    import stat

    file = Path(path)
    shown = f"{SECRET_FILE_ENV} names {os.environ.get(SECRET_FILE_ENV, path)}"
    if not stat.S_ISREG(mode):
        raise HeldoutSecretError(f"{shown}, which is not a file: point it at a file that holds the secret ({MAKE_SECRET})")
    course = next((folder for folder in file.parents if (folder / "nbgrader_config.py").exists()), None)
    if course is not None:
        raise HeldoutSecretError(
            f"{shown}, inside the course directory {course} (it holds nbgrader_config.py), where a copy of the course "
            f"or a sandbox could show it: move the file outside the course (for example to ~/.tfcert-heldout-secret, "
            f"with chmod 600) and point {SECRET_FILE_ENV} there")
    if mode & 0o077:
        raise HeldoutSecretError(
            f"{shown}, which other users can access (mode {stat.S_IMODE(mode):03o}): make it private with "
            f"chmod 600 {path}")
    text = file.read_text(encoding="utf-8").strip()
    if not text:
        raise HeldoutSecretError(f"{shown}, which is empty: write a long random text into it ({MAKE_SECRET})")
    return text


def heldout_is_secret() -> bool:
    """True when held-out splits of generated sets are drawn from an instructor secret here.

    Example:
        >>> set_heldout_secret("s3cret"); heldout_is_secret()
        True
        >>> with public_heldout():
        ...     heldout_is_secret()
        False
        >>> set_heldout_secret(None)
    """
    return not _PUBLIC.get() and heldout_secret() is not None


def grader_seed() -> int:
    """The seed generated held-out splits are drawn from: the secret's, or :data:`GRADER_SEED` without one.

    With a secret, the first 63 bits of SHA-256 of ``tfcert-heldout:`` and the
    secret's text; learner splits never depend on it.

    Example:
        >>> with public_heldout():
        ...     grader_seed() == GRADER_SEED
        True
        >>> set_heldout_secret("s3cret"); seed = grader_seed(); set_heldout_secret(None)
        >>> seed != GRADER_SEED, seed < 2**63
        (True, True)
    """
    if _PUBLIC.get():
        return GRADER_SEED
    secret = heldout_secret()
    if secret is None:
        return GRADER_SEED
    return int.from_bytes(hashlib.sha256(b"tfcert-heldout:" + secret.encode("utf-8")).digest()[:8], "big") >> 1


def heldout_fingerprint() -> str:
    """What tells one held-out draw from another: ``"public"``, or 12 hex digits hashed from the seed (never the secret).

    Example:
        >>> with public_heldout():
        ...     heldout_fingerprint()
        'public'
    """
    seed = grader_seed()
    if seed == GRADER_SEED:
        return "public"
    return hashlib.sha256(f"tfcert-heldout-fingerprint:{seed}".encode()).hexdigest()[:12]


@contextlib.contextmanager
def public_heldout() -> Iterator[None]:
    """Within it, held-out splits are the public (reproducible) draw whatever the secret: what the data cache keeps.

    Example:
        >>> set_heldout_secret("s3cret")
        >>> with public_heldout():
        ...     grader_seed() == GRADER_SEED
        True
        >>> grader_seed() == GRADER_SEED
        False
        >>> set_heldout_secret(None)
    """
    token = _PUBLIC.set(True)
    try:
        yield
    finally:
        _PUBLIC.reset(token)


REPRODUCIBLE = ("held-out data is reproducible: anyone with tfcert can rebuild it; set TFCERT_HELDOUT_SECRET (or "
                "TFCERT_HELDOUT_SECRET_FILE) on the grading machine to draw it from a secret")


def warn_if_reproducible() -> bool:
    """Warn once per process (:class:`HeldoutReproducibleWarning`) when grading runs without a secret; True if it warned.

    The grader calls it once per batch; a secret file that cannot be used
    raises HeldoutSecretError here, before anything is graded. Kernels and the
    verifier never call it (a test cell must not write to stderr).

    Example:
        >>> set_heldout_secret("s3cret"); warn_if_reproducible(); set_heldout_secret(None)
        False
    """
    if heldout_is_secret() or _WARNED["done"]:
        return False
    _WARNED["done"] = True
    # Shown as "tfcert: HeldoutReproducibleWarning: ...", without a source line an instructor has no use for.
    warnings.warn_explicit(REPRODUCIBLE, HeldoutReproducibleWarning, filename="tfcert", lineno=0,
                           module="tfcert.datasets")
    return True


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
#: Splits built in this process, by (name, split, held-out fingerprint; "" for learner splits).
_MEMORY: dict[tuple[str, str, str], tuple[np.ndarray, np.ndarray]] = {}


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
    """A split of a large set, stored once as ``<name>/v<version>/<split>.npz`` in the cache.

    A held-out split drawn from the instructor secret is built and never
    stored: the cache is shown to sandboxed kernels (``TFCERT_DATA_SHARED``).
    Rebuilding it costs each grading process 1-3 s per set on a 2-core CPU.
    """
    if split == HELDOUT_SPLIT and heldout_fingerprint() != "public":
        return spec.build(split)

    def build(scratch: Path) -> None:
        features, labels = spec.build(split)
        with scratch.open("wb") as handle:
            np.savez(handle, features=features, labels=labels)

    path = cached(Path(spec.name) / f"v{spec.version}" / f"{split}.npz", build, what=f"{spec.name}/{split} data")
    with np.load(io.BytesIO(path.read_bytes())) as stored:
        return stored["features"], stored["labels"]


def arrays(name: str, split: str) -> tuple[np.ndarray, np.ndarray]:
    """``(features, labels)`` of any split, the held-out one included (graders use this).

    The held-out split of a generated set is drawn from :func:`grader_seed`:
    the instructor's secret on the grading machine, the public seed anywhere
    else (learner code in the grading sandbox included).

    Example:
        >>> [len(part) for part in arrays("digits", "heldout")]
        [297, 297]
    """
    spec = spec_for(name)
    if split not in ALL_SPLITS:
        raise DatasetError(f"split {split!r} is not available for {name}: choose one of {', '.join(LEARNER_SPLITS)}")
    key = (name, split, heldout_fingerprint() if split == HELDOUT_SPLIT else "")
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
