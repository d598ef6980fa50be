"""tfcert.datasets: determinism, disjoint splits, clear errors, a cache that heals."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import warnings

import numpy as np
import pytest

from tfcert import datasets
from tfcert.datasets import glyphs


def digest(*arrays: np.ndarray) -> str:
    h = hashlib.sha256()
    for a in arrays:
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()


@pytest.fixture()
def fresh_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("TFCERT_DATA_DIR", str(tmp_path / "data"))
    datasets._registry._MEMORY.clear()
    yield tmp_path / "data"
    datasets._registry._MEMORY.clear()


def test_same_seed_same_bytes_across_runs_and_processes():
    here = digest(*glyphs.generate(300, seed=7))
    assert digest(*glyphs.generate(300, seed=7)) == here
    code = ("import hashlib, numpy as np; from tfcert.datasets import glyphs; h = hashlib.sha256(); "
            "[h.update(np.ascontiguousarray(a).tobytes()) for a in glyphs.generate(300, seed=7)]; print(h.hexdigest())")
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert other == here
    assert digest(*glyphs.generate(300, seed=8)) != here


@pytest.mark.parametrize("name", datasets.names())
def test_splits_have_their_sizes_and_never_overlap(name, fresh_cache):
    spec = datasets.DATASETS[name]
    rows = {}
    for split in ("train", "validation", "heldout"):
        x, y = datasets.arrays(name, split)
        assert len(x) == len(y) == spec.sizes[split]
        if spec.kind == "classification":
            assert x.shape[1:] == spec.input_shape and x.dtype == np.float32
            assert set(np.unique(y)) == set(range(spec.num_classes)), "every class in every split"
            rows[split] = {row.tobytes() for row in x.reshape(len(x), -1)}
        elif spec.kind in ("text", "corpus"):
            assert x.dtype.kind == "U" and all(len(t) > 0 for t in x)
            if spec.kind == "text":
                assert set(np.unique(y)) == set(range(spec.num_classes))
            rows[split] = set(x.tolist())
        else:
            assert y.shape[1:] == spec.input_shape and y.dtype == np.float32 and np.isfinite(y).all()
            assert np.all(np.diff(x) > 0), "time runs forward within a split"
            rows[split] = set(x.tolist())
    if spec.kind != "corpus":
        assert not rows["train"] & rows["validation"]
        assert not rows["train"] & rows["heldout"]
        assert not rows["validation"] & rows["heldout"]
    if spec.kind == "series":
        assert max(rows["train"]) < min(rows["validation"]) < min(rows["heldout"]), "splits follow each other in time"



def test_image_sets_are_scaled_to_unit_range(fresh_cache):
    for name in ("digits", "glyphs", "scenes_binary"):
        x, _ = datasets.arrays(name, "train")
        assert 0 <= x.min() and x.max() <= 1


def test_generated_heldout_noise_is_the_graders_own():
    from tfcert.datasets import series

    _, learner = series.build_synthetic("validation")
    _, heldout = series.build_synthetic("heldout")
    naive_mae = float(np.abs(np.diff(np.concatenate([learner[-1:], heldout]))).mean())
    assert 5.0 < naive_mae < 7.0, "the data card's naive baseline (about 6) holds"


def test_learner_facing_load_forms(fresh_cache):
    x, y = datasets.load("glyphs", split="validation", as_numpy=True)
    ds = datasets.load("glyphs", split="validation", batch_size=64)
    first_x, first_y = next(iter(ds))
    assert tuple(first_x.shape) == (64, 28, 28) and np.array_equal(first_x.numpy(), x[:64])
    assert np.array_equal(first_y.numpy(), y[:64])
    x[0, 0, 0] = 99  # a copy: the learner cannot change what the next caller gets
    assert datasets.load("glyphs", split="validation", as_numpy=True)[0][0, 0, 0] != 99


@pytest.mark.parametrize("name, split, message", [
    ("fashion", "train", "unknown dataset 'fashion': the embedded datasets are breast_cancer, complaints, digits, glyphs, goog, reviews, scenes"),
    ("glyphs", "training", "split 'training' is not available for glyphs: choose one of train, validation"),
    ("glyphs", "heldout", "the held-out split is kept for grading"),
    ("digits", "test", "the held-out split is kept for grading"),
])
def test_bad_requests_say_what_to_do(name, split, message):
    with pytest.raises(datasets.DatasetError, match=message.replace("(", r"\(").replace(")", r"\)")):
        datasets.load(name, split=split)


def test_an_unwritable_cache_is_a_clear_error(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("TFCERT_DATA_DIR", str(blocker / "data"))
    datasets._registry._MEMORY.clear()
    with pytest.raises(datasets.DatasetError, match="cannot write the dataset cache .* set the environment variable "
                                                    "TFCERT_DATA_DIR to a writable folder"):
        datasets.load("glyphs", split="validation", as_numpy=True)
    datasets._registry._MEMORY.clear()


def test_a_corrupt_cache_file_is_rebuilt_not_used(fresh_cache):
    good = digest(*datasets.arrays("glyphs", "validation"))
    stored = fresh_cache / "glyphs" / "v1" / "validation.npz"
    assert stored.exists()
    stored.write_bytes(stored.read_bytes()[:1000] + b"garbage")
    datasets._registry._MEMORY.clear()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        again = datasets.arrays("glyphs", "validation")
    assert any("unusable" in str(w.message) and "rebuilding" in str(w.message) for w in caught)
    assert digest(*again) == good
    datasets._registry._MEMORY.clear()
    assert digest(*datasets.arrays("glyphs", "validation")) == good, "the rebuilt file is good again"


def test_every_set_has_a_data_card():
    for name in datasets.names():
        text = datasets.card(name)
        for part in ("What:", "How:", "Target"):
            assert part in text, f"{name}'s data card lacks {part!r}"


def test_text_records_survive_csv_quoting(fresh_cache):
    import json

    import pandas as pd

    texts, labels = datasets.arrays("complaints", "validation")
    table = pd.read_csv(datasets.to_csv("complaints", "validation"))
    assert list(table.columns) == ["review", "complaint"]
    assert table["review"].tolist() == texts.tolist(), "commas inside reviews are quoted"
    records = json.loads(datasets.to_json("complaints", "validation").read_text())
    assert [r["complaint"] for r in records] == [datasets.DATASETS["complaints"].classes[i] for i in labels]


@pytest.mark.parametrize("name", ["breast_cancer", "digits", "synthetic", "stocks"])
def test_csv_and_json_files_hold_the_same_data(name, fresh_cache):
    import json

    import pandas as pd

    features, labels = datasets.arrays(name, "validation")
    table = pd.read_csv(datasets.to_csv(name, "validation"))
    records = json.loads(datasets.to_json(name, "validation").read_text())
    assert len(table) == len(records) == len(labels)
    assert list(table.columns) == list(records[0])
    values = table.iloc[:, 1:] if datasets.DATASETS[name].kind == "series" else table["label"]
    expected = labels.reshape(len(labels), -1) if datasets.DATASETS[name].kind == "series" else labels
    assert np.allclose(np.asarray(values, dtype="float64").reshape(expected.shape), expected, rtol=1e-5)


def test_a_damaged_csv_is_written_again(fresh_cache):
    path = datasets.to_csv("breast_cancer", "train")
    good = path.read_text()
    path.write_text(good[:100])
    assert datasets.to_csv("breast_cancer", "train").read_text() == good


def test_files_are_only_written_for_learner_splits():
    with pytest.raises(datasets.DatasetError, match="cannot be written for digits: choose one of train, validation"):
        datasets.to_csv("digits", "heldout")


def test_image_folders_are_labelled_by_directory_and_vary_in_size(fresh_cache):
    import keras
    from PIL import Image

    root = datasets.to_image_folders("scenes_binary")
    files = sorted((root / "train").rglob("*.jpg"))
    assert len(files) == datasets.DATASETS["scenes_binary"].sizes["train"]
    sizes = {Image.open(f).size for f in files[:50]}
    assert len(sizes) > 10, "real-world images come in many shapes and sizes"
    ds = keras.utils.image_dataset_from_directory(root / "validation", image_size=(150, 150), batch_size=32,
                                                  shuffle=False, verbose=False)
    assert ds.class_names == ["horse", "king"]
    _, labels = datasets.arrays("scenes_binary", "validation")
    folder_labels = np.concatenate([y.numpy() for _, y in ds])
    assert np.bincount(folder_labels).tolist() == np.bincount(labels).tolist()


def test_a_damaged_image_folder_is_written_again(fresh_cache):
    root = datasets.to_image_folders("scenes_binary")
    victim = next((root / "train" / "king").glob("*.jpg"))
    good = victim.read_bytes()
    victim.write_bytes(b"not a jpeg")
    assert datasets.to_image_folders("scenes_binary") == root
    assert victim.read_bytes() == good


def test_a_shared_read_only_cache_is_used_without_writing(fresh_cache, tmp_path, monkeypatch):
    """Sandboxed grading kernels read the grader's cache and never rebuild what is there."""
    want = digest(*datasets.arrays("glyphs", "validation"))
    csv_path = datasets.to_csv("breast_cancer", "validation")
    shared = tmp_path / "shared"
    fresh_cache.rename(shared)
    shared.chmod(0o555)
    try:
        mine = tmp_path / "private"
        monkeypatch.setenv("TFCERT_DATA_DIR", str(mine))
        monkeypatch.setenv(datasets._registry.SHARED_ENV, str(shared))
        datasets._registry._MEMORY.clear()
        assert digest(*datasets.arrays("glyphs", "validation")) == want
        assert datasets.to_csv("breast_cancer", "validation") == shared / csv_path.relative_to(fresh_cache)
        assert not (mine / "glyphs").exists(), "nothing was regenerated"
        datasets.arrays("digits", "train")  # not cached at all: fine
        datasets.to_json("breast_cancer", "validation")  # missing from the shared cache: written privately
        assert list((mine / "files").glob("breast_cancer-*-validation.json"))
    finally:
        shared.chmod(0o755)


def test_raw_csv_is_unlabelled_flat_integer_pixels(fresh_cache):
    import pandas as pd

    table = pd.read_csv(datasets.to_raw_csv("glyphs", split="validation", limit=20))
    images = datasets.arrays("glyphs", "validation")[0][:20]
    assert list(table.columns[:2]) == ["id", "pixel_0"] and "label" not in table.columns
    assert table["id"].tolist() == list(range(20))
    pixels = table.iloc[:, 1:].to_numpy()
    assert pixels.dtype.kind == "i" and pixels.min() >= 0 and pixels.max() <= 255
    assert np.abs(pixels.reshape(20, 28, 28) / 255 - images).max() <= 0.5 / 255 + 1e-6
    with pytest.raises(datasets.DatasetError, match="not an image set"):
        datasets.to_raw_csv("breast_cancer")
    with pytest.raises(datasets.DatasetError, match="cannot be written"):
        datasets.to_raw_csv("glyphs", split="heldout")
