"""Deprecated module path: streaming training is :meth:`TextClassifier.fit_stream`."""

import warnings
from collections.abc import Callable, Iterable

from textclf.classifier import TextClassifier
from textclf.corpus import Document

warnings.warn("textclf.stream is deprecated: call TextClassifier.fit_stream",
              DeprecationWarning, stacklevel=2)


def fit_stream(clf: TextClassifier, open_documents: Callable[[], Iterable[Document]],
               **options) -> TextClassifier:
    """``clf.fit_stream(open_documents, **options)``."""
    return clf.fit_stream(open_documents, **options)
