"""Hot reload: a replaced model file is served from the next request on; a file that cannot
be read leaves the old model in service, and the reason is logged and shown."""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from serve_support import TEXTS, binary_classifier, client, other_binary_classifier

from textclf import TextClassifier
from textclf.core import modelfile
from textclf.errors import ModelFileError
from textclf.serve.registry import ModelRegistry


@pytest.fixture(scope="module")
def classifiers() -> tuple[TextClassifier, TextClassifier]:
    return binary_classifier(), other_binary_classifier()


@pytest.fixture
def path(tmp_path: Path, classifiers) -> Path:
    path = tmp_path / "reviews.textclf"
    classifiers[0].save(path)
    return path


def replace_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` beside ``path`` and rename it over ``path``, as a careful copy does."""
    part = path.with_name(path.name + ".part")
    part.write_bytes(data)
    os.replace(part, path)


def test_a_replaced_file_is_served_after_a_reload(path, classifiers):
    registry = ModelRegistry({"reviews": str(path)})
    old = registry.get("reviews")
    assert registry.reload() == []  # nothing changed
    classifiers[1].save(path)
    assert registry.reload() == ["reviews"]
    new = registry.get("reviews")
    assert new.file.sha256 != old.file.sha256
    np.testing.assert_allclose(new.classifier.predict_proba(TEXTS),
                               classifiers[1].predict_proba(TEXTS))
    assert old.classifier.predict_proba(TEXTS).tolist() != \
        new.classifier.predict_proba(TEXTS).tolist()


def test_the_same_bytes_written_again_switch_nothing(path):
    registry = ModelRegistry({"reviews": str(path)})
    live = registry.get("reviews")
    replace_atomically(path, path.read_bytes())
    assert registry.reload() == []
    assert registry.get("reviews").classifier is live.classifier


@pytest.mark.parametrize("damage, words", [
    (lambda data: data[: len(data) // 2], "not a complete textclf model file"),
    (lambda data: b"PK not a model at all", "not a complete textclf model file"),
    (lambda data: data[:100] + bytes([data[100] ^ 1]) + data[101:], "checksum mismatch"),
])
def test_a_damaged_file_keeps_the_old_model_and_says_why(path, caplog, damage, words):
    registry = ModelRegistry({"reviews": str(path)})
    live = registry.get("reviews")
    replace_atomically(path, damage(path.read_bytes()))
    with caplog.at_level(logging.WARNING, logger="textclf.serve"):
        assert registry.reload() == []
        assert registry.reload() == []  # the same refused file: logged once
    assert registry.get("reviews") is live
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert f"keeping version {live.file.version}" in warnings[0] and words in warnings[0]
    assert words in registry.describe("reviews")["reload_error"]
    with caplog.at_level(logging.WARNING, logger="textclf.serve"):
        registry.reload(force=True)  # SIGHUP: tried and logged again
    assert len([r for r in caplog.records if r.levelno == logging.WARNING]) == 2


def test_a_file_of_another_format_version_keeps_the_old_model(path, classifiers, monkeypatch):
    registry = ModelRegistry({"reviews": str(path)})
    monkeypatch.setattr(modelfile, "FORMAT_VERSION", 99)
    classifiers[1].save(path)
    monkeypatch.undo()
    assert registry.reload() == []
    assert "format version 99" in registry.describe("reviews")["reload_error"]


def test_a_deleted_file_keeps_the_old_model_and_a_good_one_is_taken_again(path, classifiers):
    registry = ModelRegistry({"reviews": str(path)})
    path.unlink()
    assert registry.reload() == []
    assert "no such model file" in registry.describe("reviews")["reload_error"]
    classifiers[1].save(path)
    assert registry.reload() == ["reviews"]
    assert registry.describe("reviews")["reload_error"] is None


def test_a_model_that_cannot_be_read_at_start_is_an_error(tmp_path):
    bad = tmp_path / "bad.textclf"
    bad.write_bytes(b"nothing")
    with pytest.raises(ModelFileError, match="bad.textclf"):
        ModelRegistry({"bad": str(bad)})
    with pytest.raises(ModelFileError, match="missing.textclf"):
        ModelRegistry({"missing": str(tmp_path / "missing.textclf")})


def test_the_watcher_notices_a_replaced_file(path, classifiers):
    registry = ModelRegistry({"reviews": str(path)})
    before = registry.get("reviews").file.version
    registry.watch(0.05)
    try:
        classifiers[1].save(path)
        deadline = time.monotonic() + 20
        while registry.get("reviews").file.version == before and time.monotonic() < deadline:
            time.sleep(0.02)
        assert registry.get("reviews").file.version != before
    finally:
        registry.stop_watching()
    assert registry.watcher is None


def test_requests_during_a_switch_all_succeed_and_match_one_version(path, classifiers):
    """A client keeps asking while the file is replaced: every answer is a 200 from either
    the old or the new model, never a mixture, and the new one answers afterwards."""
    expected = {}
    with client({"reviews": path}) as api:
        old = api.get("/v1/models/reviews").json()["version"]
        expected[old] = classifiers[0].predict_proba(TEXTS)
        answers, stop = [], threading.Event()

        def keep_asking():
            while not stop.is_set():
                answers.append(api.post("/v1/models/reviews/predict", json={"texts": TEXTS}))

        asker = threading.Thread(target=keep_asking)
        asker.start()
        try:
            time.sleep(0.1)
            classifiers[1].save(path)
            assert api.app.state.registry.reload() == ["reviews"]
            new = api.get("/v1/models/reviews").json()["version"]
            expected[new] = classifiers[1].predict_proba(TEXTS)
            deadline = time.monotonic() + 20
            while not any(a.json().get("version") == new for a in answers[-3:]) and \
                    time.monotonic() < deadline:
                time.sleep(0.02)
        finally:
            stop.set()
            asker.join(timeout=30)
    assert answers and all(a.status_code == 200 for a in answers)
    seen = set()
    for answer in answers:
        body = answer.json()
        seen.add(body["version"])
        P = [[p["probabilities"][c] for c in ("neg", "pos")] for p in body["predictions"]]
        np.testing.assert_allclose(P, expected[body["version"]], atol=1e-12)
    assert seen == {old, new}


def test_signed_models_are_served_with_their_key_only(tmp_path):
    """``textclf serve --sign-key KEYFILE``: the registry reads (and rereads) each file with
    the key; a signed file without it, or with another, is refused at start."""
    from textclf.errors import ModelFileError
    from textclf.serve.config import ServeConfig

    key = tmp_path / "team.key"
    key.write_bytes(b"the team's secret")
    path = tmp_path / "signed.textclf"
    TextClassifier(min_df=1, epochs=3, batch_size=4).fit(
        ["a good film", "a bad film", "good acting", "bad acting"],
        ["pos", "neg", "pos", "neg"]).save(path, sign_key=key.read_bytes())
    config = ServeConfig(models={"reviews": str(path)}, sign_key_file=str(key))
    assert ServeConfig.from_json(config.to_json()) == config
    registry = ModelRegistry(config.models, config.load_options())
    assert registry.get("reviews").classifier.labels == ["neg", "pos"]
    with pytest.raises(ModelFileError, match="is signed"):
        ModelRegistry(config.models)
