"""Small requests classified together: opportunistic batching across concurrent requests.

A single document costs far more to featurise and predict alone than as one row of a batch
(numpy and scipy have a fixed cost per call). So requests of a few texts are not predicted
one by one: each puts its texts on a queue and waits; one batcher thread takes everything
that is waiting, up to :data:`GATHER_DOCS` texts, makes one vectorised call
(:func:`textclf.serve.predictions.predict`), and hands each request its rows. Nothing
waits for a batch to fill: a request that finds the batcher idle is predicted at once,
alone; under load, the requests that arrive while a batch is computed form the next one.
Serving platforms call this dynamic batching (Triton, TorchServe, Ray Serve).

Every document of a batch is featurised and scored on its own, so its row is the one it
would get alone (up to floating-point rounding where a network's matrix products sum in
another order): batching changes speed, not answers. Requests of
more than :data:`SMALL_REQUEST` texts are batches already and go straight to the
classifier from their own worker thread. Every computation, gathered or not, and every
explanation, runs on one pool of a thread per core (:class:`~textclf.serve.predictions.
ComputePool`). Texts for different classifiers (two models, or
the old and new version of one during a reload) are never mixed in one call.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field

from textclf.classifier import TextClassifier
from textclf.serve.predictions import PIECE_CHARS, ComputePool, Predictions, explain, predict

SMALL_REQUEST = 16  # texts; larger requests are predicted on their own
GATHER_DOCS = 256  # texts in one gathered call at most
GATHER_CHARS = PIECE_CHARS  # and characters


@dataclass
class Job:
    classifier: TextClassifier
    texts: Sequence[str]
    result: Future = field(default_factory=Future)


class Batcher:
    """Gathers the small requests of concurrent clients into vectorised calls."""

    def __init__(self) -> None:
        self.jobs: queue.SimpleQueue[Job | None] = queue.SimpleQueue()
        self.thread: threading.Thread | None = None
        self.lock = threading.Lock()
        self.pool = ComputePool()  # where every prediction and explanation is computed

    def predict(self, clf: TextClassifier, texts: Sequence[str]) -> Predictions:
        """The predictions of ``texts``, alone or as part of a gathered batch."""
        if len(texts) > SMALL_REQUEST:
            return predict(clf, texts, self.pool)
        job = Job(clf, texts)
        self.start()
        self.jobs.put(job)
        return job.result.result()

    def explain(self, clf: TextClassifier, text: str) -> dict:
        """The explanation of ``text``, computed on the pool."""
        return explain(clf, text, self.pool)

    def start(self) -> None:
        if self.thread is None:
            with self.lock:
                if self.thread is None:
                    self.thread = threading.Thread(target=self.run, name="textclf-batcher",
                                                   daemon=True)
                    self.thread.start()

    def stop(self) -> None:
        """Finish what is queued, then end the thread (and the pool's)."""
        with self.lock:
            if self.thread is not None:
                self.jobs.put(None)
                self.thread.join(timeout=30)
                self.thread = None
        self.pool.stop()

    def run(self) -> None:
        while True:
            job = self.jobs.get()
            if job is None:
                return
            gathered, stop = self.gather(job)
            for batch in by_classifier(gathered):
                answer(batch, self.pool)
            if stop:
                return

    def gather(self, first: Job) -> tuple[list[Job], bool]:
        """``first`` and the jobs already waiting behind it, within the batch's bounds;
        True when the stop signal was among them."""
        gathered, docs, chars = [first], len(first.texts), sum(map(len, first.texts))
        while docs < GATHER_DOCS and chars < GATHER_CHARS:
            try:
                job = self.jobs.get_nowait()
            except queue.Empty:
                break
            if job is None:
                return gathered, True
            gathered.append(job)
            docs += len(job.texts)
            chars += sum(map(len, job.texts))
        return gathered, False


def by_classifier(jobs: list[Job]) -> list[list[Job]]:
    """The jobs grouped by their classifier, in the order they came."""
    groups: dict[int, list[Job]] = {}
    for job in jobs:
        groups.setdefault(id(job.classifier), []).append(job)
    return list(groups.values())


def answer(jobs: list[Job], pool: ComputePool | None = None) -> None:
    """One vectorised call for the jobs' texts; each job gets its rows (or the error)."""
    texts = [text for job in jobs for text in job.texts]
    try:
        found = predict(jobs[0].classifier, texts, pool)
    except BaseException as err:  # every waiting request must hear of it
        for job in jobs:
            job.result.set_exception(err)
        return
    start = 0
    for job in jobs:
        job.result.set_result(found.rows(start, start + len(job.texts)))
        start += len(job.texts)
