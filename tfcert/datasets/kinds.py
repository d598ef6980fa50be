"""Dataset kinds: what each domain's data can be turned into, and how a model of it is graded.

One small class per data domain, all with the same interface (the d2l-en
shape: one base class, one subclass per domain). A set's
:class:`~tfcert.datasets.DatasetSpec` holds an *instance* of its kind, which
carries the settings that only that kind has (the value columns of a series,
the record columns of a text set, the feature names of a table):

========================  =====================================  ==========
kind                      sets                                   graded by
========================  =====================================  ==========
:class:`ImageKind`        digits, glyphs, scenes, scenes_binary  accuracy
:class:`TableKind`        breast_cancer                          accuracy
:class:`RegressionKind`   diabetes                               MAE (and the
                                                                 mean's MAE)
:class:`TextKind`         reviews, complaints                    accuracy
:class:`SeriesKind`       synthetic, goog, stocks,               MAE (and the
                          seasonal_multi                         naive MAE)
:class:`CorpusKind`       verses                                 next-word
                                                                 accuracy (and
                                                                 the most
                                                                 frequent
                                                                 word's)
========================  =====================================  ==========

Each kind owns

* its **forms** (:data:`FORMS`: ``arrays``, ``csv``, ``json``, ``raw``,
  ``tfds``, ``folders``) and how a split becomes one: a table for CSV and JSON
  (:meth:`DataKind.table`), TFDS features and examples;
* the **metric** a model of it is graded by, and its :meth:`DataKind.evaluate`,
  which the grader's clean process (:mod:`tfcert._probe`) calls with a
  :class:`ProbedModel` (a name, an input signature and a ``predict``
  function), so a kind prepares data and scores predictions but never
  handles a Keras model itself;
* the **sample batch** the clean process calls a model on before evaluating
  it (:meth:`DataKind.sample_batch`).

Example:
    >>> from tfcert.datasets import DATASETS
    >>> kind = DATASETS["glyphs"].kind
    >>> kind.name, kind.metric, kind.forms
    ('image', 'accuracy', ('arrays', 'csv', 'json', 'raw', 'tfds'))
    >>> DATASETS["stocks"].kind.target
    '^GSPC'
"""

from __future__ import annotations

import abc
import functools
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Sequence

import numpy as np

from tfcert.datasets._registry import HELDOUT_SPLIT, LEARNER_SPLITS, arrays, heldout_fingerprint

if TYPE_CHECKING:
    from tfcert.datasets._registry import DatasetSpec

#: Every form a set can be materialised in, in the order messages list them.
FORMS = ("arrays", "csv", "json", "raw", "tfds", "folders")
#: How the grader can give a model the images of a set that has image files (``model_report(..., images=...)``):
#: ``"files"``: pixel values 0-255 as decoded from the files, resized (bilinear) to the model's input size, as
#: ``keras.utils.image_dataset_from_directory`` gives them; ``"original_size"``: the same pixels at each image's own
#: size, one image at a time, for a model that takes images of any size.
IMAGE_MODES = ("files", "original_size")
#: The JPEG quality the class folders are written with (:meth:`ImageKind.write_folders`).
JPEG_QUALITY = 90
#: What a model that takes raw strings is smoke-tested on when no dataset says better.
SAMPLE_SENTENCES = ("the soup was great, but the waiter was rude", "a short sentence")

Table = tuple[list[str], list[list[object]]]


class EvaluationError(ValueError):
    """A model that cannot be evaluated on a set as it is; the message is one sentence saying what to change."""


@dataclass(frozen=True)
class ModelInput:
    """The first input of a saved model: its shape per example (no batch axis) and its dtype.

    Example:
        >>> ModelInput((None,), "string").takes_strings, ModelInput((20,), "int64").is_numeric
        (True, True)
        >>> ModelInput((28, 28), "float32").batch_shape(2), ModelInput((None, 1), "float32").batch_shape(2)
        ((2, 28, 28), (2, 1, 1))
    """

    shape: tuple[int | None, ...]
    dtype: str

    @property
    def takes_strings(self) -> bool:
        return self.dtype == "string"

    @property
    def is_numeric(self) -> bool:
        return self.dtype.startswith(("float", "int", "uint", "bfloat"))

    def batch_shape(self, size: int) -> tuple[int, ...]:
        """A concrete batch shape: unknown sizes become 1."""
        return (size, *(1 if d is None else d for d in self.shape))


@dataclass(frozen=True)
class SampleBatch:
    """A batch to call a model on once, and how messages name it."""

    values: np.ndarray
    described_as: str


@dataclass(frozen=True)
class ProbedModel:
    """A loaded model as a kind sees it: its file name for messages, its input, and a ``predict`` function.

    Example:
        >>> model = ProbedModel("m.keras", ModelInput((30,), "float32"), lambda x: np.zeros((len(x), 1)))
        >>> model.predict(np.ones((3, 30))).shape
        (3, 1)
    """

    shown: str
    input: ModelInput
    predict: Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class EvaluationOptions:
    """What the grader asked for besides the held-out metric.

    ``fit_examples``: also measure the accuracy on the first N training
    examples. ``vocabulary``: the learner's vocabulary file, read only for a
    model that takes token ids (:func:`read_vocabulary`); ``vocabulary_shown``
    is its path as the learner wrote it, for messages. ``target``: the column
    a forecaster is graded on. ``images``: one of :data:`IMAGE_MODES`, for an
    image set with files; None gives the set's arrays.
    """

    fit_examples: int | None = None
    vocabulary: Path | None = None
    vocabulary_shown: str | None = None
    target: str | None = None
    images: str | None = None


def read_vocabulary(path: Path, shown: str | None = None) -> tuple[str, ...]:
    """The tokens of a vocabulary file: one per line, as ``TextVectorization.get_vocabulary()`` lists them.

    The padding token ``""`` is the empty first line; a final newline ends the
    last line and adds no token.

    Example:
        >>> import tempfile
        >>> path = Path(tempfile.mkdtemp()) / "vocab.txt"
        >>> _ = path.write_text("\\n".join(["", "[UNK]", "the", "soup"]) + "\\n")
        >>> read_vocabulary(path)
        ('', '[UNK]', 'the', 'soup')
        >>> read_vocabulary(path.with_name("none.txt"), "models/none.txt")
        Traceback (most recent call last):
        ...
        tfcert.datasets.kinds.EvaluationError: no vocabulary file at models/none.txt: write vectorize_layer.get_vocabulary() to it, one token per line
    """
    shown = shown or str(path)
    advice = "write vectorize_layer.get_vocabulary() to it, one token per line"
    if not path.is_file():
        raise EvaluationError(f"no vocabulary file at {shown}: {advice}")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise EvaluationError(
            f"the vocabulary file {shown} could not be read ({type(exc).__name__}): {advice}") from None
    lines = [line.rstrip("\r") for line in text.split("\n")]
    if lines and lines[-1] == "":
        lines.pop()
    if not any(lines):
        raise EvaluationError(f"the vocabulary file {shown} is empty: {advice}")
    return tuple(lines)


def default_sample_batch(model_input: ModelInput, size: int = 2) -> SampleBatch:
    """Zeros for a numeric input, a few short sentences for a string input.

    Example:
        >>> default_sample_batch(ModelInput((8, 8), "float32")).values.shape
        (2, 8, 8)
        >>> default_sample_batch(ModelInput((1,), "string")).values.tolist()
        [['the soup was great, but the waiter was rude'], ['a short sentence']]
    """
    shape = model_input.batch_shape(size)
    if model_input.takes_strings:
        return SampleBatch(np.resize(np.array(SAMPLE_SENTENCES), shape), "a batch of sample sentences")
    return SampleBatch(np.zeros(shape, dtype=model_input.dtype), "a batch of zeros")


def _shape_text(shape: Sequence[int | None]) -> str:
    return str(tuple(shape))


class DataKind(abc.ABC):
    """The interface every kind has; subclasses are frozen dataclasses holding their settings."""

    #: A short name for messages: ``"image"``, ``"table"``, ...
    name: ClassVar[str]
    #: The metric a model of this kind is graded by, or None when the grader measures none.
    metric: ClassVar[str | None] = None
    #: Whether TFDS gives ``(features, label)`` pairs with ``as_supervised=True``.
    supervised: ClassVar[bool] = False
    #: The forms of every set of this kind; :meth:`extra_forms` adds what one set's settings give it.
    base_forms: ClassVar[tuple[str, ...]] = ("arrays", "csv", "json", "tfds")

    def extra_forms(self) -> tuple[str, ...]:
        """Forms this set has beyond its kind's (none by default)."""
        return ()

    @property
    def forms(self) -> tuple[str, ...]:
        """The forms this set has, in the order of :data:`FORMS`."""
        return tuple(form for form in FORMS if form in (*self.base_forms, *self.extra_forms()))

    @abc.abstractmethod
    def feature_names(self, spec: DatasetSpec) -> tuple[str, ...]:
        """Names of the columns a model reads, as the CSV and JSON forms call them."""

    @abc.abstractmethod
    def table(self, spec: DatasetSpec, features: np.ndarray, labels: np.ndarray) -> Table:
        """Header and rows of a split, for the CSV and JSON forms."""

    @abc.abstractmethod
    def tfds_features(self, spec: DatasetSpec) -> dict[str, Any]:
        """The TFDS feature of each key of an example (made into a ``FeaturesDict``)."""

    @abc.abstractmethod
    def tfds_example(self, spec: DatasetSpec, features: Any, label: Any) -> dict[str, Any]:
        """One example as the TFDS builder writes it."""

    def sample_batch(self, model_input: ModelInput, spec: DatasetSpec | None = None, size: int = 2) -> SampleBatch:
        """The batch the grader calls a model on once, before evaluating it (zeros fit numeric inputs)."""
        return default_sample_batch(model_input, size)

    @abc.abstractmethod
    def evaluate(self, spec: DatasetSpec, model: ProbedModel, options: EvaluationOptions) -> dict[str, float]:
        """The held-out metrics of ``model``; EvaluationError (one sentence) when it does not fit the data."""

    def graded_target(self, spec: DatasetSpec, options: EvaluationOptions) -> str | None:
        """The column a model is graded on, where a kind has a choice (forecasters)."""
        return None


# --------------------------------------------------------------------------- classifiers


class ClassifierKind(DataKind):
    """Examples with class labels; graded by held-out accuracy (and, if asked, training accuracy)."""

    metric: ClassVar[str | None] = "accuracy"
    supervised: ClassVar[bool] = True

    def table(self, spec: DatasetSpec, features: np.ndarray, labels: np.ndarray) -> Table:
        """Numeric features (flattened), then the class index in ``label``."""
        flat = features.reshape(len(features), -1)
        rows = [[*(round(float(v), 6) for v in row), int(label)] for row, label in zip(flat, labels)]
        return [*self.feature_names(spec), "label"], rows

    def tfds_features(self, spec: DatasetSpec) -> dict[str, Any]:
        import tensorflow_datasets as tfds

        return {"features": self.tfds_feature(spec), "label": tfds.features.ClassLabel(names=spec.classes)}

    @abc.abstractmethod
    def tfds_feature(self, spec: DatasetSpec) -> Any:
        """The TFDS feature of the ``features`` key."""

    def examples(self, spec: DatasetSpec, split: str, options: EvaluationOptions) -> tuple[Any, np.ndarray]:
        """A split's features and labels as the grader gives them to a model: the set's arrays.

        Example:
            >>> from tfcert.datasets import DATASETS
            >>> features, labels = DATASETS["breast_cancer"].kind.examples(DATASETS["breast_cancer"], "validation",
            ...                                                            EvaluationOptions())
            >>> features.shape, labels.shape
            ((85, 30), (85,))
        """
        return arrays(spec.name, split)

    def model_inputs(self, spec: DatasetSpec, features: np.ndarray, model: ProbedModel, what: str,
                     options: EvaluationOptions) -> np.ndarray:
        """``features`` as the model takes them: a missing trailing channel of 1 is added, nothing else changes.

        Example:
            >>> kind = ImageKind()
            >>> model = ProbedModel("m.keras", ModelInput((8, 8, 1), "float32"), lambda x: x)
            >>> kind.model_inputs(None, np.zeros((5, 8, 8)), model, "held-out digits", EvaluationOptions()).shape
            (5, 8, 8, 1)
            >>> flat = ProbedModel("m.keras", ModelInput((64,), "float32"), lambda x: x)
            >>> kind.model_inputs(None, np.zeros((5, 8, 8)), flat, "held-out digits", EvaluationOptions())
            Traceback (most recent call last):
            ...
            tfcert.datasets.kinds.EvaluationError: m.keras takes inputs of shape (64,) per example but the held-out digits examples have shape (8, 8): build the model for the data as it is loaded (add a Flatten or Reshape layer inside the model instead of reshaping the data)
        """
        wanted = list(model.input.shape)
        if len(wanted) == features.ndim and wanted[-1] == 1:
            features = features[..., None]  # (n, 28, 28) images for a model that takes (28, 28, 1)
        if len(wanted) != features.ndim - 1 or any(w not in (None, f) for w, f in zip(wanted, features.shape[1:])):
            raise EvaluationError(
                f"{model.shown} takes inputs of shape {_shape_text(wanted)} per example but the {what} "
                f"examples have shape {tuple(features.shape[1:])}: build the model for the data as it is loaded "
                "(add a Flatten or Reshape layer inside the model instead of reshaping the data)")
        return features

    @staticmethod
    def predicted_classes(outputs: np.ndarray) -> np.ndarray:
        """Class indices: argmax of several outputs, or a single sigmoid output above 0.5.

        Example:
            >>> ClassifierKind.predicted_classes(np.array([[0.1, 0.9], [0.8, 0.2]])).tolist()
            [1, 0]
            >>> ClassifierKind.predicted_classes(np.array([[0.7], [0.2]])).tolist()
            [1, 0]
        """
        outputs = np.asarray(outputs)
        if outputs.ndim == 1 or outputs.shape[-1] == 1:
            return (outputs.reshape(len(outputs), -1)[:, 0] > 0.5).astype("int64")
        return outputs.reshape(len(outputs), -1).argmax(axis=-1)

    def accuracy(self, spec: DatasetSpec, model: ProbedModel, features: np.ndarray, labels: np.ndarray, what: str,
                 options: EvaluationOptions) -> float:
        """The share of ``labels`` the model gets right."""
        predicted = self.predicted_classes(model.predict(self.model_inputs(spec, features, model, what, options)))
        return float((predicted == labels).mean())

    def evaluate(self, spec: DatasetSpec, model: ProbedModel, options: EvaluationOptions) -> dict[str, float]:
        """Held-out ``accuracy`` and ``examples``; ``train_accuracy`` on the first ``fit_examples`` training ones.

        Example:
            >>> from tfcert.datasets import DATASETS
            >>> always_benign = ProbedModel("m.keras", ModelInput((30,), "float32"), lambda x: np.ones((len(x), 1)))
            >>> DATASETS["breast_cancer"].kind.evaluate(DATASETS["breast_cancer"], always_benign, EvaluationOptions())
            {'accuracy': 0.5833333333333334, 'examples': 84.0}
        """
        features, labels = self.examples(spec, HELDOUT_SPLIT, options)
        metrics = {"accuracy": self.accuracy(spec, model, features, labels, f"held-out {spec.name}", options),
                   "examples": float(len(labels))}
        metrics.update(self.diagnostics(spec, model, features, labels, options))
        if options.fit_examples:
            x_fit, y_fit = self.examples(spec, "train", options)
            count = options.fit_examples
            metrics["train_accuracy"] = self.accuracy(spec, model, x_fit[:count], y_fit[:count],
                                                      f"{spec.name} training", options)
        return metrics

    def diagnostics(self, spec: DatasetSpec, model: ProbedModel, features: Any, labels: np.ndarray,
                    options: EvaluationOptions) -> dict[str, float]:
        """Extra measurements that explain a low score (none by default)."""
        return {}


def folder_labels(classes: Sequence[str]) -> dict[str, int]:
    """The label each class gets from its folder: its place among the folder names in Python's sort order.

    Both ``keras.utils.image_dataset_from_directory`` (``class_names``) and
    ``ImageDataGenerator.flow_from_directory`` (``class_indices``) number the
    class folders this way, whatever order a dataset lists its classes in.

    Example:
        >>> folder_labels(["airplane", "anchor", "umbrella", "snowflake", "sun"])
        {'airplane': 0, 'anchor': 1, 'snowflake': 2, 'sun': 3, 'umbrella': 4}
        >>> folder_labels(["ant", "Zebra", "9", "10"])
        {'10': 0, '9': 1, 'Zebra': 2, 'ant': 3}
    """
    return {name: index for index, name in enumerate(sorted(classes))}


def as_decoded_file(image: Any) -> np.ndarray:
    """A PIL image as a learner's loader decodes it from its class folder: JPEG-coded, then uint8 (h, w, 3).

    Example:
        >>> from PIL import Image
        >>> as_decoded_file(Image.new("RGB", (30, 20), (200, 10, 10))).shape
        (20, 30, 3)
    """
    import io

    from PIL import Image

    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="JPEG", quality=JPEG_QUALITY)
    buffer.seek(0)
    return np.asarray(Image.open(buffer).convert("RGB"), dtype=np.uint8)


def resized_pixels(images: Sequence[np.ndarray], size: tuple[int, int]) -> np.ndarray:
    """Images of any sizes as one float32 batch of ``size`` (bilinear, values kept in 0-255), as
    ``image_dataset_from_directory(image_size=size)`` resizes them.

    Example:
        >>> batch = resized_pixels([np.full((30, 40, 3), 255, np.uint8), np.zeros((50, 20, 3), np.uint8)], (8, 8))
        >>> batch.shape, batch.dtype, float(batch.max())
        ((2, 8, 8, 3), dtype('float32'), 255.0)
    """
    import tensorflow as tf

    return np.stack([tf.image.resize(np.asarray(image, np.float32), size, method="bilinear").numpy()
                     for image in images])


@functools.lru_cache(maxsize=4)
def _decoded_split(originals: Callable[[str], tuple[list, np.ndarray]], split: str,
                   draw: str = "") -> tuple[list[np.ndarray], np.ndarray]:
    """A split's original images decoded as from their files (kept for the next model the grader probes).

    ``draw`` is the held-out fingerprint the split was drawn with (:func:`heldout_fingerprint`), so a
    secret draw and the public one are kept apart; held-out photographs are never written as files.
    """
    images, labels = originals(split)
    return [as_decoded_file(image) for image in images], labels


@dataclass(frozen=True)
class ImageKind(ClassifierKind):
    """Images (height, width[, channels]) in [0, 1] with class labels.

    ``originals(split)`` gives a split's images at their original sizes (PIL)
    and their labels; sets that have it also come as class folders
    (:func:`tfcert.datasets.to_image_folders`).

    Example:
        >>> ImageKind().forms, ImageKind(originals=lambda split: ([], np.zeros(0))).forms[-1]
        (('arrays', 'csv', 'json', 'raw', 'tfds'), 'folders')
    """

    originals: Callable[[str], tuple[list, np.ndarray]] | None = None

    name: ClassVar[str] = "image"
    base_forms: ClassVar[tuple[str, ...]] = ("arrays", "csv", "json", "raw", "tfds")

    def extra_forms(self) -> tuple[str, ...]:
        """Image folders, for a set that has its original images."""
        return ("folders",) if self.originals is not None else ()

    def feature_names(self, spec: DatasetSpec) -> tuple[str, ...]:
        """``pixel_0``, ``pixel_1``, ... one per value of a flattened image."""
        return tuple(f"pixel_{i}" for i in range(int(np.prod(spec.input_shape))))

    def tfds_feature(self, spec: DatasetSpec) -> Any:
        import tensorflow_datasets as tfds

        shape = spec.input_shape if len(spec.input_shape) == 3 else (*spec.input_shape, 1)
        return tfds.features.Image(shape=shape)  # stored as uint8, like every TFDS image set

    def tfds_example(self, spec: DatasetSpec, features: Any, label: Any) -> dict[str, Any]:
        pixels = np.round(np.asarray(features) * 255).astype(np.uint8)
        return {"features": pixels if pixels.ndim == 3 else pixels[..., None], "label": int(label)}

    def raw_table(self, images: np.ndarray) -> Table:
        """Images as a competition's raw test file: ``id``, then ``pixel_0`` ... as integers 0-255, no label.

        Example:
            >>> header, rows = ImageKind().raw_table(np.full((1, 2, 2), 0.5))
            >>> header, rows
            (['id', 'pixel_0', 'pixel_1', 'pixel_2', 'pixel_3'], [[0, 128, 128, 128, 128]])
        """
        flat = np.round(images.reshape(len(images), -1) * 255).astype(np.uint8)
        return (["id", *(f"pixel_{i}" for i in range(flat.shape[1]))],
                [[index, *row.tolist()] for index, row in enumerate(flat)])

    def examples(self, spec: DatasetSpec, split: str, options: EvaluationOptions) -> tuple[Any, np.ndarray]:
        """The set's arrays; with ``options.images``, the split's images as decoded from files (uint8, their own
        sizes) and labels numbered the way the class folders number them (:func:`folder_labels`)."""
        if not options.images:
            return super().examples(spec, split, options)
        if options.images not in IMAGE_MODES:
            raise EvaluationError(f"unknown image mode {options.images!r}: the grader has {', '.join(IMAGE_MODES)}")
        if self.originals is None:
            raise EvaluationError(f"{spec.name} has no image files to grade on: its forms are {', '.join(self.forms)}")
        images, labels = _decoded_split(self.originals, split, heldout_fingerprint() if split == HELDOUT_SPLIT else "")
        by_folder = folder_labels(spec.classes)
        relabel = np.array([by_folder[name] for name in spec.classes])
        return images, relabel[np.asarray(labels, dtype="int64")]

    def model_inputs(self, spec: DatasetSpec, features: Any, model: ProbedModel, what: str,
                     options: EvaluationOptions) -> Any:
        """The arrays as :class:`ClassifierKind` gives them; with ``options.images``, images as files hold them.

        ``"files"``: resized to the model's input size (a model that takes any
        size gets the set's own size, e.g. 150x150); ``"original_size"``: a
        list of single images at their own sizes, for a model that takes any size.

        Example:
            >>> kind, images = ImageKind(), [np.zeros((30, 40, 3), np.uint8), np.zeros((20, 20, 3), np.uint8)]
            >>> fixed = ProbedModel("m.keras", ModelInput((16, 16, 3), "float32"), lambda x: x)
            >>> kind.model_inputs(None, images, fixed, "held-out scenes", EvaluationOptions(images="files")).shape
            (2, 16, 16, 3)
            >>> kind.model_inputs(None, images, fixed, "held-out scenes", EvaluationOptions(images="original_size"))
            Traceback (most recent call last):
            ...
            tfcert.datasets.kinds.EvaluationError: m.keras takes images of 16x16 pixels only, but the held-out scenes images come in their own sizes (20 to 40 pixels a side): build it with keras.Input(shape=(None, None, 3)) and resize inside the model with keras.layers.Resizing
            >>> any_size = ProbedModel("m.keras", ModelInput((None, None, 3), "float32"), lambda x: x)
            >>> [x.shape for x in kind.model_inputs(None, images, any_size, "held-out scenes",
            ...                                     EvaluationOptions(images="original_size"))]
            [(30, 40, 3), (20, 20, 3)]
        """
        if not options.images:
            return super().model_inputs(spec, features, model, what, options)
        wanted = list(model.input.shape)
        if len(wanted) != 3 or wanted[-1] not in (None, 3):
            raise EvaluationError(
                f"{model.shown} takes inputs of shape {_shape_text(wanted)} per example, but the {what} examples are "
                "colour images (height, width, 3): build the model for images as their files hold them")
        height, width = wanted[:2]
        if options.images == "original_size":
            if height is not None or width is not None:
                sides = [side for image in features for side in image.shape[:2]]
                raise EvaluationError(
                    f"{model.shown} takes images of {height}x{width} pixels only, but the {what} images come in "
                    f"their own sizes ({min(sides)} to {max(sides)} pixels a side): build it with "
                    "keras.Input(shape=(None, None, 3)) and resize inside the model with keras.layers.Resizing")
            return [np.asarray(image, np.float32) for image in features]
        if height is None or width is None:
            height, width = spec.input_shape[:2]
        return resized_pixels(features, (height, width))

    def diagnostics(self, spec: DatasetSpec, model: ProbedModel, features: Any, labels: np.ndarray,
                    options: EvaluationOptions) -> dict[str, float]:
        """With ``options.images``: ``accuracy_on_unit_scale``, the accuracy if the grader divided the pixels by
        255 itself, which tells a model that scales outside itself (in the data pipeline) from a weak one."""
        if not options.images:
            return {}
        inputs = self.model_inputs(spec, features, model, f"held-out {spec.name}", options)
        scaled = [x / 255.0 for x in inputs] if isinstance(inputs, list) else inputs / 255.0
        predicted = self.predicted_classes(model.predict(scaled))
        return {"accuracy_on_unit_scale": float((predicted == labels).mean())}

    def write_folders(self, spec: DatasetSpec, root: Path) -> None:
        """Write ``root/{train,validation}/<class>/NNNNN.jpg``, the layout ``image_dataset_from_directory`` reads."""
        if self.originals is None:
            raise ValueError(f"{spec.name} has no original images to write as folders")
        for split in LEARNER_SPLITS:
            images, labels = self.originals(split)
            for index, (image, label) in enumerate(zip(images, labels)):
                path = root / split / spec.classes[int(label)] / f"{index:05d}.jpg"
                path.parent.mkdir(parents=True, exist_ok=True)
                image.save(path, quality=JPEG_QUALITY)


@dataclass(frozen=True)
class TableKind(ClassifierKind):
    """Rows of named numeric features with class labels.

    Example:
        >>> from tfcert.datasets import DATASETS
        >>> DATASETS["breast_cancer"].kind.feature_names(DATASETS["breast_cancer"])[:2]
        ('mean_radius', 'mean_texture')
    """

    names: Callable[[], tuple[str, ...]] | None = None

    name: ClassVar[str] = "table"

    def feature_names(self, spec: DatasetSpec) -> tuple[str, ...]:
        if self.names is not None:
            return tuple(self.names())
        return tuple(f"feature_{i}" for i in range(int(np.prod(spec.input_shape))))

    def tfds_feature(self, spec: DatasetSpec) -> Any:
        import tensorflow_datasets as tfds

        return tfds.features.Tensor(shape=spec.input_shape, dtype=np.float32)

    def tfds_example(self, spec: DatasetSpec, features: Any, label: Any) -> dict[str, Any]:
        return {"features": np.asarray(features, np.float32), "label": int(label)}


@dataclass(frozen=True)
class RegressionKind(DataKind):
    """Rows of named numeric features with a numeric target (``labels``); graded by held-out MAE.

    The grader compares the model's mean absolute error on the held-out rows
    (``mae``) with the error of always predicting the training mean
    (``baseline_mae``), the guess a model that learned nothing makes.

    Example:
        >>> from tfcert.datasets import DATASETS
        >>> spec = DATASETS["diabetes"]
        >>> spec.kind.name, spec.kind.metric, spec.kind.table(spec, np.ones((1, 10)), np.array([151.0]))[0][-1]
        ('regression', 'mae', 'target')
    """

    names: Callable[[], tuple[str, ...]] | None = None
    target_column: str = "target"

    name: ClassVar[str] = "regression"
    metric: ClassVar[str | None] = "mae"
    supervised: ClassVar[bool] = True

    def feature_names(self, spec: DatasetSpec) -> tuple[str, ...]:
        if self.names is not None:
            return tuple(self.names())
        return tuple(f"feature_{i}" for i in range(int(np.prod(spec.input_shape))))

    def table(self, spec: DatasetSpec, features: np.ndarray, labels: np.ndarray) -> Table:
        """The named features, then the target in ``target``."""
        rows = [[*(round(float(v), 6) for v in row), round(float(y), 6)] for row, y in zip(features, labels)]
        return [*self.feature_names(spec), self.target_column], rows

    def tfds_features(self, spec: DatasetSpec) -> dict[str, Any]:
        import tensorflow_datasets as tfds

        return {"features": tfds.features.Tensor(shape=spec.input_shape, dtype=np.float32),
                "label": tfds.features.Tensor(shape=(), dtype=np.float32)}

    def tfds_example(self, spec: DatasetSpec, features: Any, label: Any) -> dict[str, Any]:
        return {"features": np.asarray(features, np.float32), "label": np.float32(label)}

    def predictions(self, outputs: np.ndarray, model: ProbedModel) -> np.ndarray:
        """One number per row from the model's outputs; EvaluationError for any other output width.

        Example:
            >>> kind = RegressionKind()
            >>> kind.predictions(np.array([[1.5], [2.0]]), None).tolist()
            [1.5, 2.0]
            >>> kind.predictions(np.zeros((2, 3)), ProbedModel("m.keras", ModelInput((10,), "float32"), None))
            Traceback (most recent call last):
            ...
            tfcert.datasets.kinds.EvaluationError: m.keras outputs 3 values per row; a regression predicts one number: end the model with Dense(1) and no activation
        """
        outputs = np.asarray(outputs, dtype="float64")
        per_row = int(np.prod(outputs.shape[1:])) if outputs.ndim > 1 else 1
        if per_row != 1:
            raise EvaluationError(f"{model.shown} outputs {per_row} values per row; a regression predicts one number: "
                                  "end the model with Dense(1) and no activation")
        return outputs.reshape(len(outputs))

    def evaluate(self, spec: DatasetSpec, model: ProbedModel, options: EvaluationOptions) -> dict[str, float]:
        """Held-out ``mae``, the ``baseline_mae`` of predicting the training mean, and ``examples``.

        Example (a model that always predicts the training mean is the baseline):
            >>> from tfcert.datasets import DATASETS
            >>> spec = DATASETS["diabetes"]
            >>> mean = float(arrays("diabetes", "train")[1].mean())
            >>> guess = ProbedModel("m.keras", ModelInput((10,), "float32"), lambda x: np.full((len(x), 1), mean))
            >>> metrics = spec.kind.evaluate(spec, guess, EvaluationOptions())
            >>> metrics["mae"] == metrics["baseline_mae"], metrics["examples"]
            (True, 72.0)
        """
        features, truth = arrays(spec.name, HELDOUT_SPLIT)
        wanted = tuple(model.input.shape)
        if len(wanted) != 1 or wanted[0] not in (None, features.shape[1]):
            raise EvaluationError(
                f"{model.shown} takes inputs of shape {_shape_text(wanted)} per row but the held-out {spec.name} "
                f"rows have {features.shape[1]} features: build the model with keras.Input(shape=({features.shape[1]},))")
        predicted = self.predictions(model.predict(features.astype(model.input.dtype)), model)
        if not np.all(np.isfinite(predicted)):
            raise EvaluationError(f"{model.shown} predicts NaN or infinity on held-out {spec.name} rows: training "
                                  "diverged; normalise the inputs (a Normalization layer) or lower the learning rate")
        baseline = float(arrays(spec.name, "train")[1].mean())
        truth = truth.astype("float64")
        return {"mae": float(np.abs(predicted - truth).mean()), "baseline_mae": float(np.abs(baseline - truth).mean()),
                "examples": float(len(truth))}


@dataclass(frozen=True)
class TextKind(ClassifierKind):
    """Sentences with class labels; graded on the raw held-out sentences.

    A model that takes raw strings (``keras.Input(shape=(1,), dtype="string")``
    or ``shape=()``, a ``TextVectorization`` layer inside) gets the sentences
    themselves. A model that takes token ids (``(None, L)``) gets them
    vectorised by a ``TextVectorization(vocabulary=..., output_sequence_length=L)``
    built in the grader's process from the vocabulary file the learner saved.

    Example:
        >>> from tfcert.datasets import DATASETS
        >>> spec = DATASETS["complaints"]
        >>> spec.kind.table(spec, np.array(["the band was dull, but the bill was fair"]), np.array([4]))
        (['review', 'complaint'], [['the band was dull, but the bill was fair', 'music']])
    """

    text_column: str = "text"
    label_column: str = "label"
    #: Records carry the class name instead of its index.
    label_names_in_records: bool = False

    name: ClassVar[str] = "text"

    def feature_names(self, spec: DatasetSpec) -> tuple[str, ...]:
        return (self.text_column,)

    def table(self, spec: DatasetSpec, features: np.ndarray, labels: np.ndarray) -> Table:
        def label(y: Any) -> object:
            return spec.classes[int(y)] if self.label_names_in_records else int(y)

        return [self.text_column, self.label_column], [[str(t), label(y)] for t, y in zip(features, labels)]

    def tfds_feature(self, spec: DatasetSpec) -> Any:
        import tensorflow_datasets as tfds

        return tfds.features.Text()

    def tfds_example(self, spec: DatasetSpec, features: Any, label: Any) -> dict[str, Any]:
        return {"features": str(features), "label": int(label)}

    def sample_batch(self, model_input: ModelInput, spec: DatasetSpec | None = None, size: int = 2) -> SampleBatch:
        """A string-input model is called on the first sentences of the validation split."""
        if not model_input.takes_strings or spec is None:
            return default_sample_batch(model_input, size)
        sentences = arrays(spec.name, "validation")[0][:size]
        return SampleBatch(np.resize(sentences, model_input.batch_shape(size)), f"a batch of {spec.name} sentences")

    def model_inputs(self, spec: DatasetSpec, features: np.ndarray, model: ProbedModel, what: str,
                     options: EvaluationOptions) -> np.ndarray:
        """The sentences for a string-input model, or their token ids for a token-id model.

        Example:
            >>> kind = TextKind()
            >>> texts = np.array(["the soup was great", "the bill was steep"])
            >>> strings = ProbedModel("m.keras", ModelInput((1,), "string"), lambda x: x)
            >>> kind.model_inputs(None, texts, strings, "held-out reviews", EvaluationOptions()).shape
            (2, 1)
            >>> import tempfile
            >>> vocabulary = Path(tempfile.mkdtemp()) / "vocab.txt"
            >>> _ = vocabulary.write_text("\\n".join(["", "[UNK]", "the", "was", "soup", "great"]))
            >>> ids = ProbedModel("m.keras", ModelInput((6,), "int64"), lambda x: x)
            >>> options = EvaluationOptions(vocabulary=vocabulary)
            >>> kind.model_inputs(None, texts, ids, "held-out reviews", options).tolist()
            [[2, 4, 3, 5, 0, 0], [2, 1, 3, 1, 0, 0]]
        """
        shape = model.input.shape
        if model.input.takes_strings:
            if shape == ():
                return features
            if shape == (1,):
                return features[:, None]
        elif model.input.is_numeric and len(shape) == 1:
            return self.token_ids(features, model, options)
        raise EvaluationError(
            f"{model.shown} takes {model.input.dtype} inputs of shape {_shape_text(shape)} per example, but the "
            f"{what} examples are sentences: take raw strings (keras.Input(shape=(1,), dtype='string') followed by "
            "a TextVectorization layer) or token ids of shape (L,) with the vocabulary saved next to the model")

    def token_ids(self, texts: np.ndarray, model: ProbedModel, options: EvaluationOptions) -> np.ndarray:
        """``texts`` vectorised with the learner's vocabulary, to the model's sequence length."""
        length = model.input.shape[0]
        if options.vocabulary is None:
            raise EvaluationError(
                f"{model.shown} takes token ids of shape {_shape_text(model.input.shape)}, and no vocabulary came "
                "with it to turn the held-out sentences into ids: write vectorize_layer.get_vocabulary() to a file, "
                "one token per line (for example models/vocab.txt), or put the TextVectorization layer inside the "
                "model so it takes raw sentences")
        tokens = read_vocabulary(options.vocabulary, options.vocabulary_shown)
        import keras

        try:
            vectorize = keras.layers.TextVectorization(vocabulary=list(tokens), output_sequence_length=length)
            ids = np.asarray(vectorize(texts))
        except Exception as exc:
            text = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
            raise EvaluationError(
                f"the vocabulary file {options.vocabulary_shown or options.vocabulary} could not be used with "
                f"{model.shown} ({text}): write vectorize_layer.get_vocabulary() to it, one token per line") from None
        return ids.astype(model.input.dtype)


# --------------------------------------------------------------------------- series and corpora


@dataclass(frozen=True)
class SeriesKind(DataKind):
    """Time steps (``features``) and the values at each step (``labels``, one column or several).

    Graded as a one-step-ahead forecaster of the ``target`` column on the held-out
    steps: each held-out step is forecast from the window of values just before
    it, cut from the series as train + validation + held-out in time order, and
    compared with the truth (``mae``) and with the naive forecast, the previous
    step's value (``naive_mae``).

    Example:
        >>> kind = SeriesKind(columns=("a", "b", "c"))
        >>> kind.name, kind.metric, kind.target
        ('series', 'mae', 'a')
    """

    columns: tuple[str, ...] = ("value",)
    #: The time steps are days since 1970: the files get a ``date`` column.
    time_is_date: bool = False
    #: The column forecasters are graded on by default (else the first).
    default_target: str | None = None

    name: ClassVar[str] = "series"
    metric: ClassVar[str | None] = "mae"

    @property
    def target(self) -> str:
        return self.default_target or self.columns[0]

    def feature_names(self, spec: DatasetSpec) -> tuple[str, ...]:
        return self.columns

    def table(self, spec: DatasetSpec, features: np.ndarray, labels: np.ndarray) -> Table:
        """The time (or ``date``), then one column per value."""
        values = labels.reshape(len(labels), -1)
        times = features.astype("datetime64[D]").astype(str) if self.time_is_date else features
        rows = [[t.item() if hasattr(t, "item") else t, *(round(float(v), 6) for v in row)]
                for t, row in zip(times, values)]
        return ["date" if self.time_is_date else "time", *self.columns], rows

    def tfds_features(self, spec: DatasetSpec) -> dict[str, Any]:
        import tensorflow_datasets as tfds

        return {"time": np.int64, "values": tfds.features.Tensor(shape=spec.input_shape, dtype=np.float32)}

    def tfds_example(self, spec: DatasetSpec, features: Any, label: Any) -> dict[str, Any]:
        return {"time": int(features), "values": np.asarray(label, np.float32)}

    def graded_target(self, spec: DatasetSpec, options: EvaluationOptions) -> str:
        target = options.target or self.target
        if target not in self.columns:
            raise EvaluationError(f"{spec.name} has no column {target!r} to forecast: choose one of "
                                  f"{', '.join(self.columns)}")
        return target

    def windows(self, spec: DatasetSpec, values: np.ndarray, start: int, target: str,
                model: ProbedModel) -> np.ndarray:
        """The window before each step from ``start`` on, shaped as the model takes it.

        ``(W,)`` or ``(W, 1)``: the last W values of the target column;
        ``(W, C)``: the last W rows of all C columns.

        Example:
            >>> kind = SeriesKind(columns=("a", "b"))
            >>> values = np.arange(10.0).reshape(5, 2)
            >>> model = ProbedModel("m.keras", ModelInput((2, 2), "float32"), lambda x: x)
            >>> kind.windows(None, values, 3, "a", model).tolist()
            [[[2.0, 3.0], [4.0, 5.0]], [[4.0, 5.0], [6.0, 7.0]]]
            >>> kind.windows(None, values, 3, "b", ProbedModel("m.keras", ModelInput((2,), "float32"), None)).tolist()
            [[3.0, 5.0], [5.0, 7.0]]
        """
        shape, column = model.input.shape, self.columns.index(target)
        if model.input.is_numeric and (len(shape) == 1 or (len(shape) == 2 and shape[1] == 1)):
            series = values[:, column:column + 1]
        elif model.input.is_numeric and len(shape) == 2 and shape[1] == len(self.columns):
            series = values
        else:
            every = f", or (W, {len(self.columns)}) for all its columns" if len(self.columns) > 1 else ""
            raise EvaluationError(
                f"{model.shown} takes {model.input.dtype} inputs of shape {_shape_text(shape)} per example, but the "
                f"grader forecasts {target} from windows of past values: build the model to take windows of shape "
                f"(W,) or (W, 1) of {target}{every}")
        width = shape[0]
        if width is None:
            raise EvaluationError(
                f"{model.shown} takes windows of any length (input shape {_shape_text(shape)} per example), so the "
                "grader cannot tell which window it was trained on: give its Input a fixed window length, e.g. "
                "keras.Input(shape=(30, 1))")
        if width > start:
            raise EvaluationError(f"{model.shown} takes windows of {width} steps, but only {start} steps come "
                                  "before the held-out ones: use a shorter window")
        cut = np.stack([series[step - width:step] for step in range(start, len(values))])
        return (cut[..., 0] if len(shape) == 1 else cut).astype(model.input.dtype)

    def one_step(self, outputs: np.ndarray, target: str, model: ProbedModel) -> np.ndarray:
        """The forecast of the target column for each window, from the model's outputs.

        One value per window (``(1,)``); one per column (``(C,)``) for a model
        that forecasts every column; a sequence (``(k, 1)`` or ``(k, C)``) for a
        sequence-to-sequence model, of which the last step is the forecast.

        Example:
            >>> kind = SeriesKind(columns=("a", "b"))
            >>> model = ProbedModel("m.keras", ModelInput((3, 2), "float32"), None)
            >>> kind.one_step(np.array([[1.0, 2.0], [3.0, 4.0]]), "b", model).tolist()
            [2.0, 4.0]
            >>> kind.one_step(np.zeros((2, 5)), "a", model)
            Traceback (most recent call last):
            ...
            tfcert.datasets.kinds.EvaluationError: m.keras outputs 5 values per window; the grader compares one number with the truth, the next value of a: end the model with Dense(1) (or one unit per column)
        """
        outputs = np.asarray(outputs, dtype="float64")
        count, per_window, column = len(outputs), outputs.shape[1:], self.columns.index(target)
        several = len(self.columns) > 1
        if per_window in ((), (1,)):
            return outputs.reshape(count)
        if several and per_window == (len(self.columns),):
            return outputs[:, column]
        if len(per_window) == 2 and per_window[1] == 1:
            return outputs[:, -1, 0]
        if several and len(per_window) == 2 and per_window[1] == len(self.columns):
            return outputs[:, -1, column]
        size = int(np.prod(per_window))
        raise EvaluationError(
            f"{model.shown} outputs {size} values per window; the grader compares one number with the truth, the "
            f"next value of {target}: end the model with Dense(1){' (or one unit per column)' if several else ''}")

    def evaluate(self, spec: DatasetSpec, model: ProbedModel, options: EvaluationOptions) -> dict[str, float]:
        """``mae`` of the one-step-ahead forecast of the target on the held-out steps, the ``naive_mae``, ``examples``.

        Example (a model that repeats the last value it sees is the naive forecast):
            >>> from tfcert.datasets import DATASETS
            >>> naive = ProbedModel("m.keras", ModelInput((5,), "float32"), lambda w: w[:, -1:])
            >>> metrics = DATASETS["synthetic"].kind.evaluate(DATASETS["synthetic"], naive, EvaluationOptions())
            >>> metrics["mae"] == metrics["naive_mae"], metrics["examples"]
            (True, 180.0)
        """
        target = self.graded_target(spec, options)
        parts = [arrays(spec.name, split)[1] for split in (*LEARNER_SPLITS, HELDOUT_SPLIT)]
        values = np.concatenate([part.reshape(len(part), -1) for part in parts]).astype("float64")
        start = len(values) - len(parts[-1])
        forecast = self.one_step(model.predict(self.windows(spec, values, start, target, model)), target, model)
        column = self.columns.index(target)
        truth, previous = values[start:, column], values[start - 1:-1, column]
        return {"mae": float(np.abs(forecast - truth).mean()), "naive_mae": float(np.abs(previous - truth).mean()),
                "examples": float(len(truth))}


@dataclass(frozen=True)
class CorpusKind(DataKind):
    """Lines of text with no labels, for training a next-word model; graded by next-word accuracy.

    The grader cuts every held-out line into (the words before, the next word)
    pairs, the classic way: the ids of the words before, the last ``L`` of
    them, padded with 0 at the front to the model's input length ``L``, and
    the id of the word that follows. Ids come from the vocabulary file saved
    beside the model (``TextVectorization.get_vocabulary()``, one token per
    line), and output ``i`` of the model is read as the probability that the
    next word is ``vocabulary[i]``. ``next_word_accuracy`` is the share of
    pairs whose most probable word is right (a next word the vocabulary
    lacks, id 1, always counts as a miss, so a vocabulary that maps every
    word to ``[UNK]`` gains nothing); ``frequency_baseline`` is what
    always predicting the most frequent next word of the training lines
    scores on the same pairs.

    Example:
        >>> from tfcert.datasets import DATASETS
        >>> DATASETS["verses"].kind.table(DATASETS["verses"], np.array(["oh my heart"]), np.array([0]))
        (['line'], [['oh my heart']])
        >>> ids = np.array([[2, 5, 3, 0], [4, 0, 0, 0]])
        >>> contexts, targets = CorpusKind.next_word_pairs(ids, window=2)
        >>> contexts.tolist(), targets.tolist()
        ([[0, 2], [2, 5]], [5, 3])
    """

    column: str = "line"

    name: ClassVar[str] = "corpus"
    metric: ClassVar[str | None] = "next_word_accuracy"

    def feature_names(self, spec: DatasetSpec) -> tuple[str, ...]:
        return (self.column,)

    def table(self, spec: DatasetSpec, features: np.ndarray, labels: np.ndarray) -> Table:
        return [self.column], [[str(line)] for line in features]

    def tfds_features(self, spec: DatasetSpec) -> dict[str, Any]:
        import tensorflow_datasets as tfds

        return {self.column: tfds.features.Text()}

    def tfds_example(self, spec: DatasetSpec, features: Any, label: Any) -> dict[str, Any]:
        return {self.column: str(features)}

    @staticmethod
    def next_word_pairs(ids: np.ndarray, window: int) -> tuple[np.ndarray, np.ndarray]:
        """(contexts, next ids) of lines of token ids (0-padded at the end), contexts the last ``window`` ids, 0-padded in front."""
        contexts, targets = [], []
        for line in np.asarray(ids):
            words = line[line != 0]
            for end in range(1, len(words)):
                before = words[max(0, end - window):end]
                contexts.append(np.concatenate([np.zeros(window - len(before), dtype=words.dtype), before]))
                targets.append(words[end])
        return np.array(contexts, dtype="int64").reshape(-1, window), np.array(targets, dtype="int64")

    def evaluate(self, spec: DatasetSpec, model: ProbedModel, options: EvaluationOptions) -> dict[str, float]:
        shape = model.input.shape
        advice = ("a next-word model takes the ids of the words before, shape (L,): the last L ids, padded with 0 "
                  "in front (keras.utils.pad_sequences(..., padding='pre')), and gives one probability per word of "
                  "the vocabulary")
        if not (model.input.is_numeric and len(shape) == 1 and shape[0]):
            raise EvaluationError(f"{model.shown} takes {model.input.dtype} inputs of shape {_shape_text(shape)} per "
                                  f"example, but the grader asks it for the next word of held-out {spec.name} lines: "
                                  f"{advice}")
        if options.vocabulary is None:
            raise EvaluationError(f"{model.shown} gives word ids, and no vocabulary file came with it to read them: "
                                  "write vectorizer.get_vocabulary() to a file, one token per line, and grade the "
                                  "model with it")
        tokens = read_vocabulary(options.vocabulary, options.vocabulary_shown)
        import keras

        vectorize = keras.layers.TextVectorization(vocabulary=list(tokens))
        window = int(shape[0])
        contexts, targets = self.next_word_pairs(np.asarray(vectorize(arrays(spec.name, HELDOUT_SPLIT)[0])), window)
        outputs = np.asarray(model.predict(contexts.astype(model.input.dtype)))
        if outputs.ndim != 2 or outputs.shape[1] != len(tokens):
            raise EvaluationError(
                f"{model.shown} gives outputs of shape {_shape_text(outputs.shape[1:])} per example, but the "
                f"vocabulary file {options.vocabulary_shown or options.vocabulary} lists "
                f"{len(tokens)} tokens: end the model in Dense(len(vocabulary), activation='softmax'), so output i is "
                "the probability that the next word is vocabulary[i]")
        _, train_targets = self.next_word_pairs(np.asarray(vectorize(arrays(spec.name, "train")[0])), window)
        counts = np.bincount(train_targets, minlength=len(tokens))
        counts[:2] = 0
        named = targets > 1  # a next word the vocabulary cannot name ('[UNK]') is a miss, whatever the model says
        return {"next_word_accuracy": float(np.mean((outputs.argmax(axis=1) == targets) & named)),
                "frequency_baseline": float(np.mean(targets == int(counts.argmax()))), "examples": float(len(targets))}
