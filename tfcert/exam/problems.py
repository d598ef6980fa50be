"""The mock exam's five problems: each attempt's variant, its data files, its held-out data and its score.

One class per problem, one problem per category of the certificate exam:

====  =====================  ==========================================================  ==========================
no.   script                 the task                                                    the variant (from the seed)
====  =====================  ==========================================================  ==========================
1     ``p1_regression.py``   predict a flat's monthly rent from a CSV table              which columns, the target
2     ``p2_small_images.py`` classify 28x28 glyph images (an ``.npz`` file)               which classes, the target
3     ``p3_image_folders.py``a CNN on photographs read from class folders                which classes, image size
4     ``p4_text_json.py``    which part of a restaurant a review complains about (JSON)  which complaints
5     ``p5_forecast.py``     forecast a daily series one step ahead, MAE threshold       the series, window, target
====  =====================  ==========================================================  ==========================

A variant is a small JSON-able dictionary drawn from the attempt's seed
(:meth:`Problem.variant`); ``tfcert exam start`` writes it at the top of each
starter and writes the data files (:meth:`Problem.write_data`), and the grader
draws the same variant again from the seed in ``exam.json``: what the starter
says is for the learner, never read back. The held-out data
(:meth:`Problem.heldout`) depends on the seed *and* the grader's seed
(:func:`tfcert.datasets.grader_seed`: the instructor's secret where one is set),
so no file in the exam folder holds it.

Each problem scores 0-5 (:func:`points`): 5 when the model meets the target on
the held-out data, else the share of the way from a baseline (chance, the mean,
the naive forecast) to the target, in fifths, at most 4.

Example:
    >>> [p.id for p in PROBLEMS]
    ['p1_regression', 'p2_small_images', 'p3_image_folders', 'p4_text_json', 'p5_forecast']
    >>> PROBLEMS[1].variant(7) == PROBLEMS[1].variant(7) != PROBLEMS[1].variant(8)
    True
"""

from __future__ import annotations

import abc
import json
import math
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

Variant = dict[str, Any]

#: Where a starter's variant block starts and ends; ``tfcert exam start`` rewrites what lies between.
VARIANT_BEGIN = "# ---- this attempt's variant (written by `tfcert exam start`; the grader keeps its own copy) ----"
VARIANT_END = "# ---- end of the variant ----"


@dataclass(frozen=True)
class Judgement:
    """A problem's result: its score out of 5, the measured figure, and the sentence behind a lost point."""

    score: int
    measured: str
    sentence: str = ""


def points(measured: float, baseline: float, target: float) -> int:
    """A score out of 5: 5 when ``measured`` meets ``target``, else fifths of the way from ``baseline`` to it.

    Works both ways: accuracy (higher is better, target above the baseline) and
    error (lower is better, target below it). At most 4 without meeting the
    target; never below 0.

    Example:
        >>> points(0.95, baseline=0.2, target=0.9), points(0.74, 0.2, 0.9), points(0.1, 0.2, 0.9)
        (5, 3, 0)
        >>> points(4.0, baseline=10.0, target=5.0), points(7.0, 10.0, 5.0), points(float("nan"), 10.0, 5.0)
        (5, 3, 0)
    """
    if not math.isfinite(measured):
        return 0
    better = measured >= target if target > baseline else measured <= target
    if better:
        return 5
    share = (measured - baseline) / (target - baseline)
    return int(max(0, min(4, math.floor(5 * share + 1e-9))))


def _rng(*key: int) -> np.random.Generator:
    return np.random.default_rng([int(k) & 0xFFFF_FFFF_FFFF_FFFF for k in key])


def _heldout_key() -> int:
    from tfcert.datasets import grader_seed

    return grader_seed()


class ExamError(RuntimeError):
    """An exam folder, problem or request that cannot be used; the message says what to do."""


class ModelMismatch(ValueError):
    """The model cannot take this problem's input or give its output: the sentence says which and what to do."""


def _shape_text(shape: Any) -> str:
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + (",)" if len(shape) == 1 else ")")


def _fit_to_model(model: Any, values: np.ndarray, what: str, shown: str) -> np.ndarray:
    """``values`` reshaped to the model's input (a trailing axis of 1 added or dropped); ModelMismatch if impossible."""
    wanted = tuple(model.inputs[0].shape)[1:]
    if None not in wanted and int(np.prod(wanted)) == int(np.prod(values.shape[1:])):
        return values.reshape(len(values), *wanted)
    raise ModelMismatch(f"{shown} takes inputs of shape {_shape_text((None, *wanted))}, but this problem gives it "
                        f"{what} of shape {_shape_text((None, *values.shape[1:]))}: build the model with "
                        f"keras.Input(shape={tuple(values.shape[1:])})")


def _predict(model: Any, values: Any, outputs: int, shown: str) -> np.ndarray:
    """The model's outputs on ``values`` as an (n, outputs) array; ModelMismatch when it gives another width."""
    out = np.asarray(model.predict(values, batch_size=256, verbose=0), dtype="float64")
    out = out.reshape(len(out), -1)
    if out.shape[1] != outputs:
        unit = "one number per example" if outputs == 1 else f"one probability per class ({outputs})"
        last = "Dense(1)" if outputs == 1 else f'Dense({outputs}, activation="softmax")'
        raise ModelMismatch(f"{shown} gives {out.shape[1]} output(s) per example; this problem needs {unit}: "
                            f"end the model with {last}")
    return out


def _accuracy_judgement(model: Any, values: Any, labels: np.ndarray, classes: list[str], target: float,
                        shown: str, advice: str) -> Judgement:
    probabilities = _predict(model, values, len(classes), shown)
    accuracy = float(np.mean(probabilities.argmax(axis=1) == labels))
    chance = 1.0 / len(classes)
    score = points(accuracy, chance, target)
    measured = f"accuracy {accuracy:.3f} (target {target:.2f})"
    if score == 5:
        return Judgement(5, measured)
    return Judgement(score, measured, f"{shown} is {accuracy:.1%} right on the held-out data; the target is "
                                      f"{target:.0%} (guessing scores {chance:.0%}): {advice}")


class Problem(abc.ABC):
    """One exam problem: its script and model file, its variant, its data and how the grader scores it."""

    number: ClassVar[int]
    id: ClassVar[str]
    title: ClassVar[str]

    @property
    def script(self) -> str:
        return f"{self.id}.py"

    @property
    def model_file(self) -> str:
        return f"{self.id}.keras"

    def rng(self, seed: int) -> np.random.Generator:
        """The variant's random numbers: the attempt's seed and this problem's number."""
        return _rng(seed, self.number)

    def heldout_rng(self, seed: int) -> np.random.Generator:
        """The held-out data's random numbers: the grader's seed too, which learner code never sees."""
        return _rng(_heldout_key(), seed, self.number, 0x4E1D)

    @abc.abstractmethod
    def variant(self, seed: int) -> Variant:
        """This attempt's variant: what the starter states and the grader checks against."""

    @abc.abstractmethod
    def variant_lines(self, variant: Variant) -> list[str]:
        """The starter's constants for ``variant``, as Python lines."""

    @abc.abstractmethod
    def write_data(self, variant: Variant, data: Path) -> None:
        """Write the learner's data files for ``variant`` into the exam's ``data/`` folder."""

    @abc.abstractmethod
    def judge(self, model: Any, variant: Variant, seed: int) -> Judgement:
        """Score the loaded model on held-out data (in the grader's clean process); ModelMismatch when it cannot."""

    def variant_block(self, variant: Variant) -> str:
        """The block :func:`tfcert.exam.start` writes at the top of the starter.

        Example:
            >>> block = PROBLEMS[4].variant_block(PROBLEMS[4].variant(1))
            >>> block.splitlines()[0] == VARIANT_BEGIN, "WINDOW = " in block
            (True, True)
        """
        return "\n".join([VARIANT_BEGIN, *self.variant_lines(variant), VARIANT_END])


# ----------------------------------------------------------------------------- 1: regression on a table

class TableRegression(Problem):
    """Predict a flat's monthly rent from a table: 1,200 rows, six of eight possible columns shown.

    The rent depends on the floor area times a price per m² that falls with the
    distance to the centre (not a straight line), the building's age, street
    noise, the floor, a balcony and the minutes to a station, plus noise. The
    variant shows the area, the distance and four of the other six columns, in
    its own order; the target is 0.8 times the error a straight line (least
    squares on the training rows) makes on the validation rows, so a linear
    model falls short and a small network on normalised inputs passes.
    """

    number, id, title = 1, "p1_regression", "Regression on a table"
    COLUMNS = ("area_m2", "distance_km", "age_years", "noise_db", "floor", "balcony", "transit_min", "rooms")
    SIZES = {"train": 1000, "validation": 200, "heldout": 1000}
    TARGET_RATIO = 0.8

    @staticmethod
    def table(rng: np.random.Generator, rows: int) -> tuple[dict[str, np.ndarray], np.ndarray]:
        """Every column and the rent for ``rows`` flats."""
        area = rng.uniform(25, 140, rows)
        columns = {
            "area_m2": area,
            "distance_km": np.clip(rng.exponential(6.0, rows), 0.3, 30.0),
            "age_years": rng.integers(0, 81, rows).astype(float),
            "noise_db": rng.uniform(40, 75, rows),
            "floor": rng.integers(0, 13, rows).astype(float),
            "balcony": (rng.random(rows) < 0.5).astype(float),
            "transit_min": rng.uniform(1, 25, rows),
        }
        columns["rooms"] = np.clip(np.round(area / 25 + rng.normal(0, 0.6, rows)), 1, 6)
        per_m2 = 9 + 16 * np.exp(-columns["distance_km"] / 4.0)
        rent = (area * per_m2 * (1 - 0.004 * columns["age_years"]) + 60 * columns["balcony"]
                - 5 * (columns["noise_db"] - 40) + 6 * np.minimum(columns["floor"], 8) - 8 * columns["transit_min"]
                + rng.normal(0, 40, rows))
        return columns, np.round(rent, 0)

    def split(self, variant: Variant, seed: int, split: str) -> tuple[np.ndarray, np.ndarray]:
        """``(features in the variant's column order, rent)`` of a split."""
        if split == "heldout":
            columns, rent = self.table(self.heldout_rng(seed), self.SIZES["heldout"])
        else:
            columns, rent = self.table(self.rng(seed + 1), self.SIZES["train"] + self.SIZES["validation"])
            part = slice(0, self.SIZES["train"]) if split == "train" else slice(self.SIZES["train"], None)
            columns, rent = {k: v[part] for k, v in columns.items()}, rent[part]
        return np.stack([columns[c] for c in variant["columns"]], axis=1).astype("float32"), rent.astype("float32")

    def variant(self, seed: int) -> Variant:
        rng = self.rng(seed)
        others = [str(c) for c in rng.choice(self.COLUMNS[2:], 4, replace=False)]
        columns = [str(c) for c in rng.permutation(["area_m2", "distance_km", *others])]
        variant: Variant = {"columns": columns}
        x, y = self.split(variant, seed, "train")
        xv, yv = self.split(variant, seed, "validation")
        design = np.c_[x, np.ones(len(x))]
        weights = np.linalg.lstsq(design, y, rcond=None)[0]
        linear_mae = float(np.mean(np.abs(np.c_[xv, np.ones(len(xv))] @ weights - yv)))
        variant["linear_mae"] = round(linear_mae, 1)
        variant["target_mae"] = round(self.TARGET_RATIO * linear_mae, 1)
        return variant

    def variant_lines(self, variant: Variant) -> list[str]:
        return [f"FEATURES = {variant['columns']!r}  # the CSV's input columns, in the order the model takes them",
                "LABEL = 'rent'",
                f"TARGET_MAE = {variant['target_mae']}  # held-out mean absolute error to reach, in rent units"]

    def write_data(self, variant: Variant, data: Path, seed: int | None = None) -> None:
        seed = variant["seed"] if seed is None else seed
        for split in ("train", "validation"):
            x, y = self.split(variant, seed, split)
            lines = [",".join([*variant["columns"], "rent"])]
            lines += [",".join([*(f"{v:g}" for v in np.round(row, 2)), f"{target:g}"]) for row, target in zip(x, y)]
            (data / f"rents_{split}.csv").write_text("\n".join(lines) + "\n")

    def judge(self, model: Any, variant: Variant, seed: int) -> Judgement:
        shown = self.model_file
        x, y = self.split(variant, seed, "heldout")
        x = np.round(x, 2)
        predicted = _predict(model, _fit_to_model(model, x, "rows of the feature columns", shown), 1, shown)[:, 0]
        mae = float(np.mean(np.abs(predicted - y)))
        baseline = float(np.mean(np.abs(y - np.mean(self.split(variant, seed, "train")[1]))))
        target = float(variant["target_mae"])
        score = points(mae, baseline, target)
        measured = f"MAE {mae:,.1f} (target {target:,.1f})"
        if score == 5:
            return Judgement(5, measured)
        return Judgement(score, measured, (
            f"{shown} is off by {mae:,.1f} on average on the held-out flats; the target is {target:,.1f} "
            f"(predicting the mean is off by {baseline:,.1f}, a straight line by about {variant['linear_mae']:,.1f}): "
            "normalise the columns inside the model (keras.layers.Normalization, adapted to the training rows), "
            "give it hidden layers with relu so it can bend, and train until the validation error stops falling"))


# ----------------------------------------------------------------------------- 2: small images

class SmallImages(Problem):
    """Classify 28x28 grayscale glyph images: five of the ten ``glyphs`` classes, 6,000 training images."""

    number, id, title = 2, "p2_small_images", "Multi-class classifier on small images"
    TRAIN, VALIDATION = 4000, 1000
    TARGETS = (0.85, 0.87, 0.89)

    def classes(self) -> list[str]:
        from tfcert.datasets.glyphs import CLASSES

        return list(CLASSES)

    def variant(self, seed: int) -> Variant:
        rng = self.rng(seed)
        chosen = sorted(int(i) for i in rng.choice(len(self.classes()), 5, replace=False))
        return {"classes": [self.classes()[i] for i in chosen], "target_accuracy": float(rng.choice(self.TARGETS))}

    def variant_lines(self, variant: Variant) -> list[str]:
        return [f"CLASS_NAMES = {variant['classes']!r}  # label i is CLASS_NAMES[i]",
                f"TARGET_ACCURACY = {variant['target_accuracy']}  # on held-out images"]

    def _subset(self, variant: Variant, split: str, limit: int | None) -> tuple[np.ndarray, np.ndarray]:
        from tfcert.datasets import arrays

        x, y = arrays("glyphs", split)
        index = {self.classes().index(name): i for i, name in enumerate(variant["classes"])}
        keep = np.flatnonzero(np.isin(y, list(index)))[:limit]
        pixels = np.round(x[keep] * 255).astype("uint8")
        return pixels, np.array([index[int(label)] for label in y[keep]], dtype="int64")

    def write_data(self, variant: Variant, data: Path, seed: int | None = None) -> None:
        x, y = self._subset(variant, "train", self.TRAIN)
        xv, yv = self._subset(variant, "validation", self.VALIDATION)
        with (data / "glyphs.npz").open("wb") as handle:
            np.savez_compressed(handle, x_train=x, y_train=y, x_validation=xv, y_validation=yv,
                                class_names=np.array(variant["classes"]))

    def judge(self, model: Any, variant: Variant, seed: int) -> Judgement:
        x, y = self._subset(variant, "heldout", None)
        values = _fit_to_model(model, x.astype("float32")[..., None], "28x28 grayscale images", self.model_file)
        return _accuracy_judgement(model, values, y, variant["classes"], variant["target_accuracy"], self.model_file,
                                   "scale the pixels to 0-1 inside the model (keras.layers.Rescaling(1 / 255)), "
                                   "use Conv2D and MaxPooling2D layers before the Dense ones, and train for more epochs")


# ----------------------------------------------------------------------------- 3: image folders

class ImageFolders(Problem):
    """A CNN on photographs of every size read from class folders: three of the five ``scenes`` classes."""

    number, id, title = 3, "p3_image_folders", "Convolutional network on photographs in class folders"
    SIDES = (56, 64, 72)
    TARGET = 0.75
    HELDOUT = 240

    def variant(self, seed: int) -> Variant:
        from tfcert.datasets.scenes import SETS

        rng = self.rng(seed)
        classes = sorted(str(c) for c in rng.choice(list(SETS["scenes"]["classes"]), 3, replace=False))
        return {"classes": classes, "side": int(rng.choice(self.SIDES)), "target_accuracy": self.TARGET}

    def variant_lines(self, variant: Variant) -> list[str]:
        return [f"CLASS_NAMES = {variant['classes']!r}  # the folder names; label i is CLASS_NAMES[i] (sorted)",
                f"IMAGE_SIZE = ({variant['side']}, {variant['side']})  # the model takes RGB images of this size, "
                "values 0-255",
                f"TARGET_ACCURACY = {variant['target_accuracy']}  # on held-out photographs"]

    def write_data(self, variant: Variant, data: Path, seed: int | None = None) -> None:
        from tfcert.datasets import to_image_folders

        source = to_image_folders("scenes")
        for split in ("train", "validation"):
            for name in variant["classes"]:
                shutil.copytree(source / split / name, data / "scenes" / split / name)

    def judge(self, model: Any, variant: Variant, seed: int) -> Judgement:
        from tfcert.datasets import kinds, scenes

        symbols = scenes.SETS["scenes"]["classes"]
        rng = self.heldout_rng(seed)
        labels = rng.integers(0, len(variant["classes"]), self.HELDOUT)
        images = [kinds.as_decoded_file(scenes._scene(rng, symbols[variant["classes"][label]])) for label in labels]
        side = variant["side"]
        values = _fit_to_model(model, kinds.resized_pixels(images, (side, side)), f"RGB photographs {side}x{side}",
                               self.model_file)
        return _accuracy_judgement(model, values, labels, variant["classes"], variant["target_accuracy"],
                                   self.model_file,
                                   "read the folders with keras.utils.image_dataset_from_directory(image_size="
                                   "IMAGE_SIZE), rescale inside the model, stack two or three Conv2D + MaxPooling2D "
                                   "blocks, add RandomFlip/RandomZoom against overfitting, and train longer")


# ----------------------------------------------------------------------------- 4: text from JSON

class TextFromJson(Problem):
    """Which part of a restaurant a one-sentence review complains about: three of the five ``complaints`` groups."""

    number, id, title = 4, "p4_text_json", "Text classifier from a JSON file"
    TARGET = 0.90

    def variant(self, seed: int) -> Variant:
        from tfcert.datasets.text import GROUPS

        rng = self.rng(seed)
        chosen = sorted(int(i) for i in rng.choice(len(GROUPS), 3, replace=False))
        return {"classes": [GROUPS[i] for i in chosen], "target_accuracy": self.TARGET}

    def variant_lines(self, variant: Variant) -> list[str]:
        return [f"CLASS_NAMES = {variant['classes']!r}  # label i is CLASS_NAMES[i]",
                f"TARGET_ACCURACY = {variant['target_accuracy']}  # on held-out reviews"]

    def _subset(self, variant: Variant, split: str) -> tuple[np.ndarray, np.ndarray]:
        from tfcert.datasets import arrays
        from tfcert.datasets.text import GROUPS

        texts, labels = arrays("complaints", split)
        index = {GROUPS.index(name): i for i, name in enumerate(variant["classes"])}
        keep = np.flatnonzero(np.isin(labels, list(index)))
        return texts[keep], np.array([index[int(label)] for label in labels[keep]], dtype="int64")

    def write_data(self, variant: Variant, data: Path, seed: int | None = None) -> None:
        records = []
        for split in ("train", "validation"):
            texts, labels = self._subset(variant, split)
            records += [{"review": str(text), "complaint": variant["classes"][int(label)]}
                        for text, label in zip(texts, labels)]
        (data / "complaints.json").write_text(json.dumps(records, indent=0) + "\n")

    def judge(self, model: Any, variant: Variant, seed: int) -> Judgement:
        import tensorflow as tf

        texts, labels = self._subset(variant, "heldout")
        wanted = tuple(model.inputs[0].shape)[1:]
        if model.inputs[0].dtype != "string":
            raise ModelMismatch(f"{self.model_file} takes {model.inputs[0].dtype} inputs of shape "
                                f"{_shape_text((None, *wanted))}, but this problem gives it the reviews as raw "
                                "text: start the model with keras.Input(shape=(1,), dtype='string') and a "
                                "TextVectorization layer adapted to the training reviews")
        values = tf.constant(texts.reshape(len(texts), *(1 for _ in wanted)))
        return _accuracy_judgement(model, values, labels, variant["classes"], variant["target_accuracy"],
                                   self.model_file,
                                   "word order decides which aspect is the complaint (\"X, but Y\"), so averaging "
                                   "word vectors is not enough: put an LSTM, GRU or Conv1D after the Embedding, "
                                   "and train until the validation accuracy leaves its plateau")


# ----------------------------------------------------------------------------- 5: forecast

class Forecast(Problem):
    """Forecast a daily series one step ahead: trend, a yearly and a weekly season, noise; an MAE threshold.

    Each variant draws its level, trend, the two seasons' sizes, the noise and
    the window (20, 24 or 30 days). The target is a ratio to the naive
    forecast's MAE on the same held-out days: what a straight line on the window
    (least squares on all but the last 300 learner days) reaches on those 300
    days, plus :data:`MARGIN`. The seasons are smooth on purpose: a season with
    a jump (as the ``synthetic`` set's) makes a forecaster's held-out error
    depend on where the jump falls, and the threshold with it.
    """

    number, id, title = 5, "p5_forecast", "Time-series forecaster with an MAE threshold"
    DAYS = 1461
    HELDOUT_DAYS = 180
    WINDOWS = (20, 24, 30)
    VALIDATION_DAYS = 300
    #: The target's margin over the ratio a straight line (least squares on the window) reaches on the validation
    #: days: on 40 variants the same line's ratio on the held-out days was within 0.07 of it (0.006 lower on average).
    MARGIN = 0.1

    def variant(self, seed: int) -> Variant:
        rng = self.rng(seed)
        variant: Variant = {
            "level": round(float(rng.uniform(10, 30)), 1), "trend": round(float(rng.uniform(0.02, 0.06)), 3),
            "yearly": round(float(rng.uniform(25, 45)), 1), "weekly": round(float(rng.uniform(6, 10)), 1),
            "noise": round(float(rng.uniform(2.5, 4)), 2), "window": int(rng.choice(self.WINDOWS))}
        values = self.series(variant, seed).astype("float64")
        window, cut = variant["window"], self.DAYS - self.VALIDATION_DAYS
        line = np.linalg.lstsq(self._design(values, window, window, cut), values[window:cut], rcond=None)[0]
        linear = float(np.mean(np.abs(self._design(values, window, cut, self.DAYS) @ line - values[cut:])))
        variant["ratio"] = round(linear / self.naive_mae(values[:self.DAYS], cut) + self.MARGIN, 2)
        return variant

    @staticmethod
    def _design(values: np.ndarray, window: int, start: int, stop: int) -> np.ndarray:
        """The windows before each step from ``start`` to ``stop``, with a column of ones."""
        return np.c_[np.stack([values[t - window:t] for t in range(start, stop)]), np.ones(stop - start)]

    def curve(self, variant: Variant, days: np.ndarray) -> np.ndarray:
        """The series without noise: a smooth yearly shape (a rise and a longer fall) and a weekly swing."""
        year = 2 * np.pi * days / 365
        return (variant["level"] + variant["trend"] * days
                + variant["yearly"] * (np.sin(year) + 0.4 * np.sin(2 * year)) / 1.3
                + variant["weekly"] * np.sin(2 * np.pi * days / 7))

    def series(self, variant: Variant, seed: int, heldout: bool = False) -> np.ndarray:
        """The learner's days (0-1460), and with ``heldout`` the next 180 days after them, drawn with the grader's seed."""
        days = np.arange(self.DAYS)
        values = self.curve(variant, days) + variant["noise"] * self.rng(seed + 1).normal(0, 1, self.DAYS)
        values = np.round(values, 3)
        if heldout:
            more = np.arange(self.DAYS, self.DAYS + self.HELDOUT_DAYS)
            later = self.curve(variant, more) + variant["noise"] * self.heldout_rng(seed).normal(0, 1, len(more))
            values = np.concatenate([values, np.round(later, 3)])
        return values.astype("float32")

    def naive_mae(self, values: np.ndarray, start: int) -> float:
        """The naive forecast's (tomorrow = today) MAE from step ``start`` to the end."""
        return float(np.mean(np.abs(values[start:] - values[start - 1:-1])))

    def variant_lines(self, variant: Variant) -> list[str]:
        return [f"WINDOW = {variant['window']}  # the model takes the last WINDOW values, shape (WINDOW, 1)",
                f"TARGET_RATIO = {variant['ratio']}  # held-out MAE at most this times the naive forecast's "
                "(tomorrow = today)"]

    def write_data(self, variant: Variant, data: Path, seed: int | None = None) -> None:
        seed = variant["seed"] if seed is None else seed
        values = self.series(variant, seed)
        lines = ["day,value", *(f"{day},{value:.3f}" for day, value in enumerate(values))]
        (data / "daily.csv").write_text("\n".join(lines) + "\n")

    def judge(self, model: Any, variant: Variant, seed: int) -> Judgement:
        values = self.series(variant, seed, heldout=True)
        window, start = variant["window"], self.DAYS
        windows = np.stack([values[t - window:t] for t in range(start, len(values))])[..., None]
        wanted = tuple(model.inputs[0].shape)[1:]
        if wanted and wanted[0] is not None and wanted[0] != window:
            raise ModelMismatch(f"{self.model_file} takes windows of {wanted[0]} values; this attempt's WINDOW is "
                                f"{window}: build the model with keras.Input(shape=({window}, 1))")
        forecast = _predict(model, _fit_to_model(model, windows, f"windows of {window} days", self.model_file), 1,
                            self.model_file)[:, 0]
        mae = float(np.mean(np.abs(forecast - values[start:])))
        naive = self.naive_mae(values, start)
        target = variant["ratio"] * naive
        score = points(mae, naive, target)
        measured = f"MAE {mae:.2f} (target {target:.2f}, naive {naive:.2f})"
        if score == 5:
            return Judgement(5, measured)
        return Judgement(score, measured, (
            f"{self.model_file} forecasts the held-out days with an MAE of {mae:.2f}; the target is {target:.2f} "
            f"({variant['ratio']} times the naive forecast's {naive:.2f}): make windows of WINDOW values with the "
            "next day as the label (never inside the window), scale inside the model (Normalization), train on "
            "every day you have, and lower the learning rate if the loss jumps"))


PROBLEMS: tuple[Problem, ...] = (TableRegression(), SmallImages(), ImageFolders(), TextFromJson(), Forecast())


def problem(name: str) -> Problem:
    """A problem by id, script name or number.

    Example:
        >>> problem("3").id, problem("p4_text_json.py").number, problem("p5_forecast").title.split()[0]
        ('p3_image_folders', 4, 'Time-series')
    """
    for candidate in PROBLEMS:
        if name in (candidate.id, candidate.script, str(candidate.number), f"p{candidate.number}"):
            return candidate
    raise ExamError(f"no exam problem {name!r}: choose one of "
                     f"{', '.join(f'{p.number} ({p.id})' for p in PROBLEMS)}")


def variants(seed: int) -> dict[str, Variant]:
    """Every problem's variant for an attempt, each with the seed in it (the data writers need it)."""
    return {p.id: {**p.variant(seed), "seed": seed} for p in PROBLEMS}
