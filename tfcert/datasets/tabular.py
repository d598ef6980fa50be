"""Tables that scikit-learn ships: ``breast_cancer`` (binary classes) and ``diabetes`` (a numeric target).

``breast_cancer``: the Wisconsin diagnostic breast cancer table that scikit-learn ships.

What: 569 tumours described by 30 real-valued measurements of their cell nuclei
(radius, texture, perimeter, ... as mean, standard error and worst value);
classes ``malignant`` (0) and ``benign`` (1). Real data, read at run time from
scikit-learn's copy; nothing is copied into this repository. The features are
left unscaled (they range from 0.001 to 4,254), so preprocessing matters.

How: a fixed permutation (seed 4321) splits it into ``train`` (400),
``validation`` (85) and the grader-only ``heldout`` (84). As a table (CSV or
JSON, :func:`tfcert.datasets.to_csv`) each row holds the 30 named features and
``label``.

Target (binary classification tasks): at least 95 % held-out accuracy.
Measured on a 2-core CPU: predicting the majority class scores 58 %; a
Dense(16) network on standardised features reaches 99 % in 2 s.

``diabetes``: the diabetes table that scikit-learn ships (Efron et al., 2004),
unscaled. What: 442 patients described by 10 baseline measurements (``age``,
``sex`` coded 1 or 2, body mass index ``bmi``, blood pressure ``bp`` and six
blood serum values ``s1`` to ``s6``); the target is a number from 25 to 346
that measures how far the disease progressed one year later. Real data, read at
run time from scikit-learn's copy. The features differ in scale by two orders
of magnitude, so normalising them matters.

How: a fixed permutation (seed 4321) splits it into ``train`` (300),
``validation`` (70) and the grader-only ``heldout`` (72). As a table each row
holds the 10 named features and ``target``.

Target (regression tasks): a held-out mean absolute error (MAE) of at most 50.
Measured on a 2-core CPU: always predicting the training mean is off by 74 on
average on the held-out rows; scikit-learn's linear regression by 41; a
Dense(16) network behind a Normalization layer, trained with the MAE loss and
Adam at 0.01 for 50 epochs, by 43 in 3 s. The same network without
normalisation, at Adam's default rate, stays at 62 after 100 epochs, and with
normalisation at the default rate between 80 and 125 depending on the seed (the
output must climb to about 150, one small step per batch): scale the inputs,
and pick a rate for the target's scale.
"""

from __future__ import annotations

import numpy as np

from tfcert.datasets._registry import HELDOUT_SPLIT, DatasetSpec, register
from tfcert.datasets.kinds import RegressionKind, TableKind

SPLITS = {"train": slice(0, 400), "validation": slice(400, 485), HELDOUT_SPLIT: slice(485, None)}


def feature_names() -> tuple[str, ...]:
    from sklearn.datasets import load_breast_cancer

    return tuple(str(n).replace(" ", "_") for n in load_breast_cancer().feature_names)


def build(split: str) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_breast_cancer

    bunch = load_breast_cancer()
    order = np.random.default_rng(4321).permutation(len(bunch.target))[SPLITS[split]]
    return bunch.data[order].astype("float32"), bunch.target[order].astype("int64")


DIABETES_SPLITS = {"train": slice(0, 300), "validation": slice(300, 370), HELDOUT_SPLIT: slice(370, None)}


def diabetes_feature_names() -> tuple[str, ...]:
    from sklearn.datasets import load_diabetes

    return tuple(str(n) for n in load_diabetes().feature_names)


def build_diabetes(split: str) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_diabetes

    bunch = load_diabetes(scaled=False)
    order = np.random.default_rng(4321).permutation(len(bunch.target))[DIABETES_SPLITS[split]]
    return bunch.data[order].astype("float32"), bunch.target[order].astype("float32")


SPEC = register(DatasetSpec(
    name="breast_cancer", build=build, input_shape=(30,), classes=("malignant", "benign"),
    description="breast tumour measurements from scikit-learn, binary", module=__name__,
    kind=TableKind(names=feature_names),
    sizes={"train": 400, "validation": 85, HELDOUT_SPLIT: 84},
))

DIABETES = register(DatasetSpec(
    name="diabetes", build=build_diabetes, input_shape=(10,), classes=(),
    description="diabetes progression from 10 measurements, scikit-learn, regression", module=__name__,
    kind=RegressionKind(names=diabetes_feature_names),
    sizes={"train": 300, "validation": 70, HELDOUT_SPLIT: 72},
))
