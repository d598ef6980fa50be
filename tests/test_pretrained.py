"""tfcert.pretrained: the course's own base (offline) and the ImageNet switch."""

from __future__ import annotations

import shutil
import warnings

import pytest
from shared_runs import course_base

from tfcert import pretrained
from tfcert.datasets._cache import checksum_file


@pytest.fixture(scope="module", autouse=True)
def _trained_once(tmp_path_factory):
    """The base is trained at most once, even while another test process grades an assignment that needs it."""
    course_base(tmp_path_factory)


def test_the_course_base_is_a_frozen_ready_feature_extractor():
    base = pretrained.scenes_base()
    assert base.input_shape == (None, *pretrained.SCENES_BASE_INPUT)
    assert base.output_shape == (None, 2304)
    assert base.count_params() == pretrained.SCENES_BASE_PARAMS
    assert base.trainable, "each copy comes trainable; the learner freezes it"


def test_a_shared_copy_is_used_instead_of_training_again(tmp_path, monkeypatch):
    built = pretrained.scenes_base_path()
    shared = tmp_path / "shared"
    (shared / "pretrained").mkdir(parents=True)
    shutil.copy(built, shared / "pretrained" / built.name)
    shutil.copy(checksum_file(built), shared / "pretrained")
    monkeypatch.setenv("TFCERT_DATA_SHARED", str(shared))
    monkeypatch.setenv("TFCERT_DATA_DIR", str(tmp_path / "empty"))
    assert pretrained.scenes_base_path() == shared / "pretrained" / built.name
    assert not (tmp_path / "empty").exists()


def test_a_corrupt_base_file_is_not_used(tmp_path, monkeypatch):
    """A shared copy that does not match its checksum is passed over (with a warning) for a good one."""
    built = pretrained.scenes_base_path()
    shared = tmp_path / "shared" / "pretrained"
    shared.mkdir(parents=True)
    (shared / built.name).write_bytes(built.read_bytes()[:-100] + b"\0" * 100)
    shutil.copy(checksum_file(built), shared)
    monkeypatch.setenv("TFCERT_DATA_SHARED", str(shared.parent))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert pretrained.scenes_base_path() == built
    assert any("unusable (checksum mismatch)" in str(w.message) for w in caught)
    assert pretrained.cached_scenes_base() == built


def test_the_pretraining_process_is_never_epoch_capped(monkeypatch):
    monkeypatch.setenv("KERAS_MAX_EPOCHS", "2")
    assert "KERAS_MAX_EPOCHS" not in pretrained._training_env()


def test_the_imagenet_switch_builds_the_same_interface():
    base = pretrained.imagenet_base(weights=None)  # the layers without the download
    assert base.input_shape == (None, pretrained.IMAGENET_SIDE, pretrained.IMAGENET_SIDE, 3)
    assert len(base.output_shape) == 2
    with pytest.raises(ValueError, match="choose 'course'"):
        pretrained.load_base("resnet")
