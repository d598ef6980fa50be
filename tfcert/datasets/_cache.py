"""The one checksummed cache: every materialised file or folder, the shared read-only cache read first.

Everything the package materialises (the ``.npz`` arrays of large sets, CSV,
JSON and raw files, image folders, prepared TFDS data, the course's pretrained
base) goes through :func:`cached`, under a *relative* path that carries the
versions of the data and of its format, so a format change never reuses a
stale copy. An item is a file or a folder; next to it, ``<item>.sha256`` holds
the SHA-256 :func:`digest` of its content. A copy is used only when that
checksum file matches:

1. the shared read-only cache (``$TFCERT_DATA_SHARED``, filled by the grader
   before grading and shown to sandboxed kernels) is looked at first, then the
   private one, :func:`cache_dir` (``$TFCERT_DATA_DIR``);
2. a copy whose checksum does not match is never used (a warning says so);
3. otherwise the item is built into a temporary sibling and moved into place
   with one rename, so no reader ever sees half of it, and its checksum is
   written last.

Example:
    >>> import os, tempfile
    >>> os.environ["TFCERT_DATA_DIR"] = tempfile.mkdtemp()
    >>> path = cached("notes/v1/hello.txt", lambda scratch: scratch.write_text("hello"))
    >>> path.read_text(), checksum_file(path).read_text().strip() == digest(path)
    ('hello', True)
    >>> cached("notes/v1/hello.txt", lambda scratch: 1 / 0) == path  # a good copy is never built again
    True
    >>> del os.environ["TFCERT_DATA_DIR"]
"""

from __future__ import annotations

import hashlib
import os
import shutil
import uuid
import warnings
from pathlib import Path
from typing import Callable

from tfcert.datasets._errors import DatasetError

#: A read-only cache the grader fills before grading and shows to sandboxed kernels.
SHARED_ENV = "TFCERT_DATA_SHARED"
#: The learner's own, writable cache.
DATA_DIR_ENV = "TFCERT_DATA_DIR"


def cache_dir() -> Path:
    """Where materialised data goes: ``$TFCERT_DATA_DIR``, else ``~/.cache/tfcert/data``.

    Example:
        >>> cache_dir().name
        'data'
    """
    return Path(os.environ.get(DATA_DIR_ENV) or Path.home() / ".cache" / "tfcert" / "data")


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


def checksum_file(item: Path) -> Path:
    """The checksum file of a cached file or folder: its sibling ``<name>.sha256``.

    Example:
        >>> checksum_file(Path("files/scenes-v2")).as_posix(), checksum_file(Path("glyphs/v1/train.npz")).name
        ('files/scenes-v2.sha256', 'train.npz.sha256')
    """
    return item.with_name(item.name + ".sha256")


def digest(item: Path) -> str:
    """SHA-256 of a file's bytes, or of a folder's files (each one's relative path and digest, sorted).

    A folder's digest does not depend on where the folder is, so a copy moved
    into place keeps the checksum it was built with.

    Example:
        >>> import tempfile
        >>> folder = Path(tempfile.mkdtemp())
        >>> _ = (folder / "a.txt").write_text("x")
        >>> digest(folder / "a.txt") == hashlib.sha256(b"x").hexdigest(), len(digest(folder))
        (True, 64)
    """
    if item.is_dir():
        lines = sorted(f"{path.relative_to(item).as_posix()}\t{digest(path)}\n"
                       for path in item.rglob("*") if path.is_file())
        return hashlib.sha256("".join(lines).encode("utf-8")).hexdigest()
    sha = hashlib.sha256()
    with item.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()


def _problem(item: Path) -> str | None:
    """Why ``item`` cannot be used (``"missing"`` when there is no complete copy), or None if it is good.

    Example:
        >>> _problem(Path("/no/such/item"))
        'missing'
    """
    checksum = checksum_file(item)
    if not item.exists() or not checksum.exists():
        return "missing"  # never built, or its build was interrupted before the checksum was written
    try:
        expected = checksum.read_text().strip()
        return None if digest(item) == expected else "checksum mismatch"
    except OSError as exc:
        return f"{type(exc).__name__}: {exc.strerror or exc}"


def find(relative: str | Path) -> Path | None:
    """The first good copy of a cached item (shared cache first), or None; never builds anything.

    Example:
        >>> find("no/such/item.npz") is None
        True
    """
    return next((item for item in cache_candidates(relative) if _problem(item) is None), None)


def cached(relative: str | Path, build: Callable[[Path], object], what: str | None = None) -> Path:
    """A good copy of a cached file or folder, built with ``build(scratch)`` if no copy is good.

    Args:
        relative: the item's path inside the cache, versions included
            (``"glyphs/v1/train.npz"``, ``"files/scenes-v2"``).
        build: writes the item (a file, or a folder and its files) at the path
            it is given, a temporary sibling of the final place.
        what: how warnings name the item (default: ``relative``).

    Raises:
        DatasetError: the private cache is not writable (the message says to set ``TFCERT_DATA_DIR``).

    Example:
        >>> import os, tempfile
        >>> os.environ["TFCERT_DATA_DIR"] = tempfile.mkdtemp()
        >>> def write_folder(scratch):
        ...     (scratch / "train").mkdir(parents=True)
        ...     (scratch / "train" / "0.txt").write_text("zero")
        >>> root = cached("files/tiny-v1", write_folder)
        >>> sorted(p.name for p in root.rglob("*")), checksum_file(root).exists()
        (['0.txt', 'train'], True)
        >>> del os.environ["TFCERT_DATA_DIR"]
    """
    for item in cache_candidates(relative):
        problem = _problem(item)
        if problem is None:
            return item
        if problem != "missing":  # corrupt, truncated or tampered: never used
            warnings.warn(f"the cached {what or relative} at {item} was unusable ({problem}); rebuilding it",
                          stacklevel=3)
    target = cache_dir() / relative
    token = uuid.uuid4().hex[:12]
    scratch = target.with_name(f".{target.stem}.{token}.partial{target.suffix}")
    try:
        try:
            _writable(target.parent)
        except OSError as exc:
            raise _unwritable(target.parent, exc) from None
        try:
            build(scratch)
        except OSError as exc:
            if exc.filename and str(exc.filename).startswith(str(scratch)):
                raise _unwritable(target.parent, exc) from None
            raise  # the data itself could not be read or made: not a cache problem
        if not scratch.exists():
            raise RuntimeError(f"building {what or relative} wrote nothing at {scratch}")
        try:
            value = digest(scratch)
            _install(scratch, target, token)
            partial_sum = checksum_file(scratch)
            partial_sum.write_text(value + "\n")
            partial_sum.replace(checksum_file(target))
        except OSError as exc:
            raise _unwritable(target.parent, exc) from None
    finally:
        _remove(scratch)
        _remove(checksum_file(scratch))
    return target


def _writable(folder: Path) -> None:
    """Create ``folder`` (and its parents); OSError if that is impossible."""
    folder.mkdir(parents=True, exist_ok=True)
    if not os.access(folder, os.W_OK | os.X_OK):
        raise PermissionError(13, "Permission denied", str(folder))


def _install(scratch: Path, target: Path, token: str) -> None:
    """Move a finished item into place in one rename (a folder replaces any older copy)."""
    if not scratch.is_dir():
        scratch.replace(target)
        return
    old = target.with_name(f".{target.name}.{token}.old")
    if target.exists():
        target.rename(old)
    try:
        scratch.rename(target)
    except OSError:
        if _problem(target) is not None:  # not someone else's good copy that landed first
            raise
    finally:
        _remove(old)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    elif path.exists() or path.is_symlink():
        path.unlink(missing_ok=True)


def _unwritable(folder: Path, exc: OSError) -> DatasetError:
    return DatasetError(f"cannot write the dataset cache in {folder} ({type(exc).__name__}: {exc.strerror or exc}): "
                        "set the environment variable TFCERT_DATA_DIR to a writable folder")
