"""``breast_cancer``: the Wisconsin diagnostic breast cancer table that scikit-learn ships.

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
"""

from __future__ import annotations

import numpy as np

from tfcert.datasets._registry import HELDOUT_SPLIT, DatasetSpec, register
from tfcert.datasets.kinds import TableKind

SPLITS = {"train": slice(0, 400), "validation": slice(400, 485), HELDOUT_SPLIT: slice(485, None)}


def feature_names() -> tuple[str, ...]:
    from sklearn.datasets import load_breast_cancer

    return tuple(str(n).replace(" ", "_") for n in load_breast_cancer().feature_names)


def build(split: str) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_breast_cancer

    bunch = load_breast_cancer()
    order = np.random.default_rng(4321).permutation(len(bunch.target))[SPLITS[split]]
    return bunch.data[order].astype("float32"), bunch.target[order].astype("int64")


SPEC = register(DatasetSpec(
    name="breast_cancer", build=build, input_shape=(30,), classes=("malignant", "benign"),
    description="breast tumour measurements from scikit-learn, binary", module=__name__,
    kind=TableKind(names=feature_names),
    sizes={"train": 400, "validation": 85, HELDOUT_SPLIT: 84},
))
