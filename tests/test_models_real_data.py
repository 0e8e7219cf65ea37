"""Multi-class real data: softmax regression on 20 Newsgroups (../shared/datasets/news20).

The test trains on a seeded subset of 6,000 of the 11,314 training posts with unigram
features, to stay within seconds, and tests on a seeded 2,000 of the 7,532 test posts. On
the whole corpus with the default uni+bigram features softmax regression reaches 0.856
(benchmarks/results-nn.md).
"""

from __future__ import annotations

import numpy as np
from conftest import shared_corpus

from textclf import TextClassifier, read_corpus
from textclf.models import SoftmaxRegression

NEWS20_MIN_ACCURACY = 0.83


def test_softmax_regression_on_news20() -> None:
    root = shared_corpus("news20")
    train = read_corpus(root / "train.jsonl.gz")
    test = read_corpus(root / "test.jsonl.gz")
    rows = np.random.default_rng(0).permutation(len(train))[:6000]
    test_rows = np.random.default_rng(0).permutation(len(test))[:2000]
    clf = TextClassifier(ngrams=1).fit([train.texts[i] for i in rows],
                                       [train.labels[i] for i in rows])
    assert isinstance(clf.model, SoftmaxRegression)  # chosen for 20 classes by default
    assert len(clf.labels) == 20
    report = clf.evaluate([test.texts[i] for i in test_rows], [test.labels[i] for i in test_rows])
    assert report.accuracy >= NEWS20_MIN_ACCURACY, (
        f"softmax regression reaches {report.accuracy:.4f} on news20 (6,000 training posts, "
        f"2,000 test posts), below {NEWS20_MIN_ACCURACY}"
    )
    assert report.confusion.shape == (20, 20)
    assert report.macro_f1 > 0.8
