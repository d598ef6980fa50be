"""The TFDS paths: embedded sets as local builders (offline), canonical sets tested with mock data."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow_datasets as tfds

from tfcert import datasets
from tfcert.datasets.tfds_builders import BUILDERS, CANONICAL, tfds_load


@pytest.mark.parametrize("name", ["breast_cancer", "digits", "reviews", "synthetic", "verses"])
def test_embedded_sets_load_through_tfds_offline(name, tmp_path):
    ds = tfds_load(name, split="validation", data_dir=str(tmp_path))
    items = list(ds)
    spec = datasets.DATASETS[name]
    assert len(items) == spec.sizes["validation"]
    _, labels = datasets.arrays(name, "validation")
    if spec.kind.supervised:
        got = np.array([int(label) for _, label in items])
        assert np.bincount(got).tolist() == np.bincount(labels).tolist(), "the same examples, shuffled"
    assert tfds.builder(BUILDERS[name].name, data_dir=str(tmp_path)).info.splits.keys() == {"train", "validation"}


def test_image_sets_become_uint8_images(tmp_path):
    x, _ = next(iter(tfds_load("digits", split="train", data_dir=str(tmp_path))))
    assert tuple(x.shape) == (8, 8, 1) and x.dtype.name == "uint8"


@pytest.mark.parametrize("name, shape, dtype", [
    ("glyphs", (28, 28, 1), "uint8"),
    ("scenes_binary", (300, 300, 3), "uint8"),
    ("scenes", (300, 300, 3), "uint8"),
    ("reviews", (), "string"),
])
def test_canonical_counterparts_load_with_mock_data(name, shape, dtype):
    with tfds.testing.mock_data(num_examples=3):
        ds = tfds_load(name, split="train", canonical=True)
        features, label = next(iter(ds))
    assert tuple(features.shape) == shape and features.dtype.name == dtype
    assert label.dtype.name == "int64"
    assert CANONICAL[name] in tfds.list_builders()


@pytest.mark.parametrize("kwargs, message", [
    ({"name": "mnist"}, "unknown dataset 'mnist'"),
    ({"name": "digits", "canonical": True}, "digits has no canonical TFDS counterpart"),
    ({"name": "digits", "split": "heldout"}, "split 'heldout' is not available for digits"),
])
def test_bad_tfds_requests_are_clear(kwargs, message):
    with pytest.raises(datasets.DatasetError, match=message):
        tfds_load(**kwargs)


def test_preparing_an_embedded_set_says_so_in_one_line_and_no_download(tmp_path, capfd):
    tfds_load("digits", split="validation", data_dir=str(tmp_path))
    out, err = capfd.readouterr()
    assert out.strip().splitlines() == [f"Preparing tfcert_digits once from the embedded data (no download) in {tmp_path} ..."]
    assert "Downloading" not in out + err and "Generating" not in err
    tfds_load("digits", split="train", data_dir=str(tmp_path))
    assert capfd.readouterr().out == "", "prepared once: silent afterwards"
