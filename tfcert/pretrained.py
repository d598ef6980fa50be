"""Pretrained bases for transfer learning: the course's own (offline), or ImageNet's (online).

No ImageNet weights can be downloaded offline, so the course plays that part
itself: :func:`scenes_base` is a small convolutional base trained once, on this
machine, on the five-class ``scenes`` set (objects over photographs), and then
reused on another set, ``scenes_binary`` (knights and kings), whose classes it
never saw. It is cached as a checksummed ``.keras`` file like the datasets'
files (see :mod:`tfcert.datasets._cache`: the grader's shared copy first); the
first call trains it in a separate process (about a minute on a 2-core CPU,
seconds on a GPU) and shows the epochs as they go.

:func:`imagenet_base` is the same idea with a network that has seen ImageNet
(MobileNetV2); it needs a network connection to fetch the weights. Both bases
take images in [0, 1] of shape ``(side, side, 3)`` and return one flat vector
of features per image, so a transfer model switches between them by changing
one line:

    base = pretrained.load_base("course")      # offline, 64x64 inputs
    base = pretrained.load_base("imagenet")    # online, 96x96 inputs

Example:
    >>> SCENES_BASE_INPUT, SCENES_BASE_PARAMS
    ((64, 64, 3), 23584)
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

#: Bumped whenever the base's architecture or training changes, so a stale cache is never reused.
SCENES_BASE_VERSION = 1
SCENES_BASE_INPUT = (64, 64, 3)
#: Weights in the course's base: a frozen base keeps at least this many non-trainable parameters.
SCENES_BASE_PARAMS = 23_584
PRETRAIN_EPOCHS = 30
IMAGENET_SIDE = 96


def _relative() -> Path:
    return Path("pretrained") / f"scenes_base-v{SCENES_BASE_VERSION}.keras"


def cached_scenes_base() -> Path | None:
    """The cached course base if there is a good copy (shared cache first, checked against its checksum), else None.

    Never trains.

    Example:
        >>> cached_scenes_base() is None or cached_scenes_base().suffix == ".keras"
        True
    """
    from tfcert.datasets._cache import find

    return find(_relative())


def scenes_base_path() -> Path:
    """The cached course base, training it first (in a separate process) if no good copy exists.

    A copy is good when it matches its checksum; the grader's shared cache
    (``$TFCERT_DATA_SHARED``) is looked at first, so sandboxed kernels never
    train it again.
    """
    from tfcert.datasets._cache import cache_dir, cached

    return cached(_relative(), lambda scratch: _train_in_child(scratch, cache_dir() / _relative()),
                  what="course's pretrained base")


def _train_in_child(partial: Path, shown: Path) -> None:
    """Train the base in a separate process, saving it to ``partial``; show its epochs as they go."""
    print(f"Training the course's pretrained base on `scenes` once (about a minute on a CPU); "
          f"it is cached at {shown}", flush=True)
    with subprocess.Popen([sys.executable, "-m", "tfcert.pretrained", str(partial)], env=_training_env(), text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL) as child:
        assert child.stdout is not None
        lines = []
        for line in child.stdout:
            lines.append(line)
            if "accuracy" in line or line.startswith("Epoch"):
                print("   ", line.rstrip(), flush=True)
    if child.returncode != 0 or not partial.exists():
        tail = "".join(lines[-5:]).strip()
        raise RuntimeError(f"training the course's base failed (exit {child.returncode}): {tail}")


def _training_env() -> dict[str, str]:
    """This environment without ``KERAS_MAX_EPOCHS``: a base trained for two epochs would be cached as if finished."""
    from tfcert import QUIET_TF_ENV

    return {**QUIET_TF_ENV, **{k: v for k, v in os.environ.items() if k != "KERAS_MAX_EPOCHS"}}


def scenes_base() -> Any:
    """The course's convolutional base, pretrained on ``scenes``: (64, 64, 3) images in [0, 1] -> 2,304 features.

    Each call returns a fresh copy whose layers are trainable; freeze it with
    ``base.trainable = False`` before compiling a transfer model.
    """
    import keras

    return keras.models.load_model(scenes_base_path(), compile=False)


def imagenet_base(side: int = IMAGENET_SIDE, weights: str | None = "imagenet") -> Any:
    """MobileNetV2 with ImageNet weights (downloaded: needs a network), taking images in [0, 1].

    The Rescaling layer maps [0, 1] to the [-1, 1] MobileNetV2 was trained on,
    so the same images feed either base. ``weights=None`` builds the layers
    without the download (for tests).
    """
    import keras

    try:
        network = keras.applications.MobileNetV2(input_shape=(side, side, 3), include_top=False,
                                                 weights=weights, pooling="avg")
    except Exception as exc:
        raise RuntimeError(f"the ImageNet weights could not be fetched ({type(exc).__name__}): this needs a network "
                           "connection; offline, use pretrained.load_base('course')") from None
    return keras.Sequential([keras.Input((side, side, 3)), keras.layers.Rescaling(2.0, offset=-1.0), network],
                            name="imagenet_base")


def load_base(source: str = "course") -> Any:
    """``"course"``: :func:`scenes_base` (offline); ``"imagenet"``: :func:`imagenet_base` (online)."""
    if source == "course":
        return scenes_base()
    if source == "imagenet":
        return imagenet_base()
    raise ValueError(f"unknown base {source!r}: choose 'course' (offline) or 'imagenet' (needs a network)")


def _train_scenes_base(path: Path) -> None:
    """Train the base on ``scenes`` at 64x64 and save it to ``path`` (run in its own process)."""
    import keras
    import tensorflow as tf

    from tfcert.datasets import arrays

    keras.utils.set_random_seed(0)
    side = SCENES_BASE_INPUT[:2]
    x_train, y_train = arrays("scenes", "train")
    x_val, y_val = arrays("scenes", "validation")
    x_train, x_val = (tf.image.resize(x, side).numpy() for x in (x_train, x_val))
    base = keras.Sequential([
        keras.Input(SCENES_BASE_INPUT),
        keras.layers.Conv2D(16, 3, activation="relu"), keras.layers.MaxPooling2D(),
        keras.layers.Conv2D(32, 3, activation="relu"), keras.layers.MaxPooling2D(),
        keras.layers.Conv2D(64, 3, activation="relu"), keras.layers.MaxPooling2D(),
        keras.layers.Flatten(),
    ], name="scenes_base")
    classifier = keras.Sequential([
        keras.Input(SCENES_BASE_INPUT), keras.layers.RandomFlip("horizontal"), base,
        keras.layers.Dropout(0.5), keras.layers.Dense(64, activation="relu"), keras.layers.Dense(5, activation="softmax"),
    ])
    classifier.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = classifier.fit(x_train, y_train, epochs=PRETRAIN_EPOCHS, batch_size=32,
                             validation_data=(x_val, y_val), verbose=2)
    print(f"base trained: validation accuracy on scenes {history.history['val_accuracy'][-1]:.3f}", flush=True)
    base.save(path)


if __name__ == "__main__":
    _train_scenes_base(Path(sys.argv[1]))
