"""Opportunistic batching: small requests of concurrent clients gathered into one
vectorised call, each answered with its own rows."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from serve_support import TEXTS, TOPIC_TEXTS, binary_classifier, topic_classifier

from textclf.serve import batching
from textclf.serve.batching import SMALL_REQUEST, Batcher


@pytest.fixture(scope="module")
def classifiers():
    return binary_classifier(), topic_classifier()


class Calls(list):
    """Texts per call, and the event that lets the first call go on."""

    def __init__(self):
        super().__init__()
        self.release = threading.Event()


@pytest.fixture
def calls(monkeypatch):
    """The batcher's calls to the classifier (texts per call); the first one waits for
    ``calls.release`` so that requests pile up behind it."""
    made = Calls()
    release = made.release
    original = batching.predict

    def recorded(clf, texts, pool=None):
        made.append(len(texts))
        if len(made) == 1:
            assert release.wait(timeout=30)
        return original(clf, texts, pool)

    monkeypatch.setattr(batching, "predict", recorded)
    return made


def wait_until(condition, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.005)
    assert condition()


def test_waiting_requests_are_gathered_into_one_call_and_get_their_own_rows(classifiers,
                                                                            calls):
    clf = classifiers[0]
    batcher = Batcher()
    requests = [[TEXTS[i % len(TEXTS)], TEXTS[(i + 1) % len(TEXTS)]] for i in range(12)]
    with ThreadPoolExecutor(13) as pool:
        first = pool.submit(batcher.predict, clf, ["a first request"])
        wait_until(lambda: len(calls) == 1)  # the batcher is busy with it
        waiting = [pool.submit(batcher.predict, clf, texts) for texts in requests]
        wait_until(lambda: batcher.jobs.qsize() == len(requests))
        calls.release.set()
        answers = [future.result(timeout=30) for future in waiting]
        first.result(timeout=30)
    assert calls == [1, 2 * len(requests)]  # the twelve waiting requests: one call
    for texts, found in zip(requests, answers, strict=True):
        np.testing.assert_allclose(found.probabilities, clf.predict_proba(texts), atol=1e-12)
        assert [found.label_of(i) for i in range(len(texts))] == clf.predict(texts)
    batcher.stop()
    assert batcher.thread is None


def test_two_classifiers_are_never_mixed_in_one_call(classifiers, calls):
    reviews, topics = classifiers
    batcher = Batcher()
    with ThreadPoolExecutor(8) as pool:
        first = pool.submit(batcher.predict, reviews, ["first"])
        wait_until(lambda: len(calls) == 1)
        jobs = [(clf, texts, pool.submit(batcher.predict, clf, texts))
                for clf, texts in [(reviews, TEXTS[:2]), (topics, TOPIC_TEXTS),
                                   (reviews, TEXTS[2:4]), (topics, TOPIC_TEXTS[:1])]]
        wait_until(lambda: batcher.jobs.qsize() == 4)
        calls.release.set()
        first.result(timeout=30)
        for clf, texts, future in jobs:
            found = future.result(timeout=30)
            assert found.labels == clf.labels
            np.testing.assert_allclose(found.probabilities, clf.predict_proba(texts),
                                       atol=1e-12)
    assert sorted(calls[1:]) == [4, 4]  # reviews 2+2, topics 3+1
    batcher.stop()


def test_a_large_request_goes_straight_to_the_classifier(classifiers, calls):
    calls.release.set()
    batcher = Batcher()
    texts = (TEXTS * 10)[: SMALL_REQUEST + 1]
    found = batcher.predict(classifiers[0], texts)
    assert calls == [len(texts)] and batcher.thread is None  # no batcher thread needed
    np.testing.assert_allclose(found.probabilities, classifiers[0].predict_proba(texts))


def test_an_error_reaches_every_waiting_request(classifiers, monkeypatch):
    def broken(clf, texts, pool=None):
        raise RuntimeError("the classifier failed")

    monkeypatch.setattr(batching, "predict", broken)
    batcher = Batcher()
    with ThreadPoolExecutor(4) as pool:
        futures = [pool.submit(batcher.predict, classifiers[0], ["x"]) for _ in range(4)]
        for future in futures:
            with pytest.raises(RuntimeError, match="the classifier failed"):
                future.result(timeout=30)
    batcher.stop()
