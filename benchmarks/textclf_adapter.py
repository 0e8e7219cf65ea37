"""textclf behind the benchmark interface: the one place to change if its API moves.

Contract coded against::

    clf = TextClassifier(**settings)  # defaults chosen for accuracy
    clf.fit(texts, labels, dev_texts=None, dev_labels=None)
    clf.predict(texts) -> list[str]

The corpus's dev split (imdb and movie_reviews have one) is offered to every system's
``fit``. The peers ignore it, and so does textclf unless its settings stop early
(``patience``), which needs it: with the defaults, dev data would only be evaluated and
printed after each epoch, work that changes nothing in the model but the fit's time.
"""

from __future__ import annotations

from typing import Any

# Settings passed to TextClassifier on every corpus (its defaults otherwise).
# More can be given on the command line: run.py --textclf-opt KEY=VALUE.
TEXTCLF_SETTINGS: dict[str, Any] = {"seed": 0, "quiet": True}


class TextclfSystem:
    """``textclf.TextClassifier`` with ``TEXTCLF_SETTINGS`` plus any overrides."""

    def __init__(self, **overrides: Any) -> None:
        from textclf import TextClassifier

        self.clf = TextClassifier(**{**TEXTCLF_SETTINGS, **overrides})

    def fit(
        self,
        texts: list[str],
        labels: list[str],
        dev_texts: list[str] | None = None,
        dev_labels: list[str] | None = None,
    ) -> None:
        """Fit on the train split; the dev split is handed over only for early stopping."""
        # (``training`` before the layered restructure: the harness measures both versions)
        settings = getattr(self.clf, "training_settings", None) or self.clf.training
        uses_dev = settings.patience is not None
        if uses_dev and dev_texts is not None and dev_labels is not None:
            self.clf.fit(texts, labels, dev_texts=dev_texts, dev_labels=dev_labels)
        else:
            self.clf.fit(texts, labels)

    def predict(self, texts: list[str]) -> list[str]:
        """Predicted labels as strings."""
        return [str(y) for y in self.clf.predict(texts)]
