"""tfcert.datasets: determinism, disjoint splits, clear errors, a cache that heals."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from tfcert import datasets
from tfcert.datasets import glyphs, kinds


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


@pytest.fixture(scope="module")
def built_cache(tmp_path_factory) -> Path:
    """One fresh cache for the tests that only read the sets: each set is generated from its seed once here, not
    once per test (the tests that damage a cache get a fresh one of their own)."""
    cache = tmp_path_factory.mktemp("built") / "data"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TFCERT_DATA_DIR", str(cache))
        datasets._registry._MEMORY.clear()
        yield cache
    datasets._registry._MEMORY.clear()


@pytest.fixture()
def read_cache(built_cache, monkeypatch) -> Path:
    monkeypatch.setenv("TFCERT_DATA_DIR", str(built_cache))
    return built_cache


@pytest.fixture(scope="module")
def folder_cache(tmp_path_factory) -> Path:
    """A cache that holds the scenes_binary image folders, built once for the tests that read them."""
    cache = tmp_path_factory.mktemp("folders") / "data"
    before = os.environ.get("TFCERT_DATA_DIR")
    os.environ["TFCERT_DATA_DIR"] = str(cache)
    try:
        datasets.to_image_folders("scenes_binary")
    finally:
        if before is None:
            del os.environ["TFCERT_DATA_DIR"]
        else:
            os.environ["TFCERT_DATA_DIR"] = before
    return cache


def test_same_seed_same_bytes_across_runs_and_processes():
    here = digest(*glyphs.generate(300, seed=7))
    assert digest(*glyphs.generate(300, seed=7)) == here
    code = ("import hashlib, numpy as np; from tfcert.datasets import glyphs; h = hashlib.sha256(); "
            "[h.update(np.ascontiguousarray(a).tobytes()) for a in glyphs.generate(300, seed=7)]; print(h.hexdigest())")
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert other == here
    assert digest(*glyphs.generate(300, seed=8)) != here


@pytest.mark.parametrize("name", datasets.names())
def test_splits_have_their_sizes_and_never_overlap(name, read_cache):
    spec = datasets.DATASETS[name]
    rows = {}
    for split in ("train", "validation", "heldout"):
        x, y = datasets.arrays(name, split)
        assert len(x) == len(y) == spec.sizes[split]
        if isinstance(spec.kind, (kinds.ImageKind, kinds.TableKind)):
            assert x.shape[1:] == spec.input_shape and x.dtype == np.float32
            assert set(np.unique(y)) == set(range(spec.num_classes)), "every class in every split"
            rows[split] = {row.tobytes() for row in x.reshape(len(x), -1)}
        elif isinstance(spec.kind, kinds.RegressionKind):
            assert x.shape[1:] == spec.input_shape and x.dtype == np.float32 and y.dtype == np.float32
            assert np.isfinite(y).all() and len(np.unique(y)) > len(y) // 4, "a numeric target, not a few classes"
            rows[split] = {row.tobytes() for row in x}
        elif isinstance(spec.kind, (kinds.TextKind, kinds.CorpusKind)):
            assert x.dtype.kind == "U" and all(len(t) > 0 for t in x)
            if isinstance(spec.kind, kinds.TextKind):
                assert set(np.unique(y)) == set(range(spec.num_classes))
            rows[split] = set(x.tolist())
        else:
            assert isinstance(spec.kind, kinds.SeriesKind)
            assert y.shape[1:] == spec.input_shape and y.dtype == np.float32 and np.isfinite(y).all()
            assert np.all(np.diff(x) > 0), "time runs forward within a split"
            rows[split] = set(x.tolist())
    if not isinstance(spec.kind, kinds.CorpusKind):
        assert not rows["train"] & rows["validation"]
        assert not rows["train"] & rows["heldout"]
        assert not rows["validation"] & rows["heldout"]
    if isinstance(spec.kind, kinds.SeriesKind):
        assert max(rows["train"]) < min(rows["validation"]) < min(rows["heldout"]), "splits follow each other in time"



def test_image_sets_are_scaled_to_unit_range(read_cache):
    for name in ("digits", "glyphs", "scenes_binary"):
        x, _ = datasets.arrays(name, "train")
        assert 0 <= x.min() and x.max() <= 1


def test_generated_heldout_noise_is_the_graders_own():
    from tfcert.datasets import series

    _, learner = series.build_synthetic("validation")
    _, heldout = series.build_synthetic("heldout")
    naive_mae = float(np.abs(np.diff(np.concatenate([learner[-1:], heldout]))).mean())
    assert 5.0 < naive_mae < 7.0, "the data card's naive baseline (about 6) holds"


def test_learner_facing_load_forms(read_cache):
    x, y = datasets.load("glyphs", split="validation", as_numpy=True)
    ds = datasets.load("glyphs", split="validation", batch_size=64)
    first_x, first_y = next(iter(ds))
    assert tuple(first_x.shape) == (64, 28, 28) and np.array_equal(first_x.numpy(), x[:64])
    assert np.array_equal(first_y.numpy(), y[:64])
    x[0, 0, 0] = 99  # a copy: the learner cannot change what the next caller gets
    assert datasets.load("glyphs", split="validation", as_numpy=True)[0][0, 0, 0] != 99


@pytest.mark.parametrize("name, split, message", [
    ("fashion", "train", "unknown dataset 'fashion': the embedded datasets are breast_cancer, complaints, diabetes, digits, glyphs, goog, reviews, scenes"),
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
    is_series = isinstance(datasets.DATASETS[name].kind, kinds.SeriesKind)
    values = table.iloc[:, 1:] if is_series else table["label"]
    expected = labels.reshape(len(labels), -1) if is_series else labels
    assert np.allclose(np.asarray(values, dtype="float64").reshape(expected.shape), expected, rtol=1e-5)


def test_a_damaged_csv_is_written_again(fresh_cache):
    path = datasets.to_csv("breast_cancer", "train")
    good = path.read_text()
    path.write_text(good[:100])
    with pytest.warns(UserWarning, match="unusable .*; rebuilding it"):
        assert datasets.to_csv("breast_cancer", "train").read_text() == good


def test_files_are_only_written_for_learner_splits():
    with pytest.raises(datasets.DatasetError, match="cannot be written for digits: choose one of train, validation"):
        datasets.to_csv("digits", "heldout")


def test_image_folders_are_labelled_by_directory_and_vary_in_size(folder_cache, monkeypatch):
    import keras
    from PIL import Image

    monkeypatch.setenv("TFCERT_DATA_DIR", str(folder_cache))
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


def test_a_damaged_image_folder_is_written_again(folder_cache, fresh_cache):
    shutil.copytree(folder_cache, fresh_cache)
    root = datasets.to_image_folders("scenes_binary")
    assert root.is_relative_to(fresh_cache)
    victim = next((root / "train" / "king").glob("*.jpg"))
    good = victim.read_bytes()
    victim.write_bytes(b"not a jpeg")
    with pytest.warns(UserWarning, match="scenes_binary image folders .* unusable"):
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
        monkeypatch.setenv(datasets._cache.SHARED_ENV, str(shared))
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


def test_each_kind_names_its_forms_and_metric():
    assert datasets.forms("glyphs") == ("arrays", "csv", "json", "raw", "tfds")
    assert datasets.forms("scenes_binary") == ("arrays", "csv", "json", "raw", "tfds", "folders")
    assert datasets.forms("breast_cancer") == datasets.forms("reviews") == datasets.forms("synthetic") \
        == datasets.forms("verses") == ("arrays", "csv", "json", "tfds")
    metrics = {name: datasets.DATASETS[name].kind.metric for name in datasets.names()}
    assert metrics["glyphs"] == metrics["breast_cancer"] == metrics["reviews"] == "accuracy"
    assert metrics["stocks"] == "mae" and metrics["verses"] == "next_word_accuracy"
    assert datasets.DATASETS["breast_cancer"].feature_names()[0] == "mean_radius", "the lesson's table columns"


def test_prepare_materialises_the_forms_an_assignment_names(fresh_cache, capsys):
    assert datasets.prepare("breast_cancer", ["arrays", "csv", "json"]) == ["arrays", "csv", "json"]
    written = sorted(p.name for p in (fresh_cache / "files").iterdir())
    assert written == sorted(f"breast_cancer-v1.2-{split}.{suffix}{checksum}" for split in ("train", "validation")
                             for suffix in ("csv", "json") for checksum in ("", ".sha256"))
    assert datasets.prepare("digits", ["arrays", "tfds", "raw", "tfds"]) == ["arrays", "tfds", "raw"]
    assert "Preparing tfcert_digits once" in capsys.readouterr().out
    assert (fresh_cache / "tfds" / "digits-v1.sha256").exists()
    assert list((fresh_cache / "files").glob("digits-v1.2-validation-raw1000.csv"))
    before = {p: p.stat().st_mtime_ns for p in fresh_cache.rglob("*")}
    datasets.prepare("breast_cancer", ["csv", "json"])
    datasets.prepare("digits", ["tfds"])
    assert {p: p.stat().st_mtime_ns for p in fresh_cache.rglob("*")} == before, "prepared once, then only read"


@pytest.mark.parametrize("name, forms, message", [
    ("glyphs", ["arrays", "folders"], "glyphs has no form 'folders': its forms are arrays, csv, json, raw, tfds"),
    ("breast_cancer", ["raw"], "breast_cancer has no form 'raw': its forms are arrays, csv, json, tfds"),
    ("glyphs", ["pictures"], "unknown form 'pictures': the forms are arrays, csv, json, raw, tfds, folders"),
    ("fashion", ["arrays"], "unknown dataset 'fashion': the embedded datasets are breast_cancer"),
])
def test_prepare_refuses_a_form_the_set_does_not_have_before_writing_anything(name, forms, message, fresh_cache):
    with pytest.raises(datasets.DatasetError, match=message):
        datasets.prepare(name, forms)
    assert not fresh_cache.exists(), "nothing was written"


def test_image_folders_are_read_from_the_shared_cache_without_writing(folder_cache, tmp_path, monkeypatch):
    """Sandboxed grading kernels use the folders the grader prepared instead of writing their own."""
    folder_cache.chmod(0o555)
    try:
        mine = tmp_path / "private"
        monkeypatch.setenv("TFCERT_DATA_DIR", str(mine))
        monkeypatch.setenv(datasets._cache.SHARED_ENV, str(folder_cache))
        assert datasets.to_image_folders("scenes_binary") == folder_cache / "files" / "scenes_binary-v2"
        assert not mine.exists(), "nothing was written"
    finally:
        folder_cache.chmod(0o755)


def test_a_damaged_shared_copy_is_never_used(fresh_cache, tmp_path, monkeypatch):
    path = datasets.to_csv("breast_cancer", "validation")
    good = path.read_text()
    shared = tmp_path / "shared"
    fresh_cache.rename(shared)
    (shared / path.relative_to(fresh_cache)).write_text(good.replace("1\n", "0\n"))  # labels flipped
    monkeypatch.setenv(datasets._cache.SHARED_ENV, str(shared))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        again = datasets.to_csv("breast_cancer", "validation")
    assert again == fresh_cache / path.relative_to(fresh_cache) and again.read_text() == good
    assert any("unusable (checksum mismatch); rebuilding it" in str(w.message) for w in caught)
