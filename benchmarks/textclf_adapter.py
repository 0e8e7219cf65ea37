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
        try:
            settings = getattr(self.clf, "training_settings", None) or self.clf.training
        except KeyError:  # model="ensemble" before fit (textclf raises there): its
            settings = self.clf.settings.training_for("logistic")  # patience is the user's
        uses_dev = settings.patience is not None
        if uses_dev and dev_texts is not None and dev_labels is not None:
            self.clf.fit(texts, labels, dev_texts=dev_texts, dev_labels=dev_labels)
        else:
            self.clf.fit(texts, labels)

    def predict(self, texts: list[str]) -> list[str]:
        """Predicted labels as strings."""
        return [str(y) for y in self.clf.predict(texts)]


class TextclfTuneSystem:
    """``textclf tune`` as its command line runs it on the train split: ``tune_cv`` (5-fold
    cross-validation of the training texts) under 50,000 documents, else a stratified 10%
    held out as the dev set; the budget (``budget``, seconds) covers the whole fit. The
    model it chooses is trained on all the training texts and predicts the test split."""

    def __init__(self, budget: float = 60.0, seed: int = 0) -> None:
        from textclf import tune  # noqa: F401 (imported here, off the clock)

        self.budget, self.seed = float(budget), seed
        self.clf = None

    def fit(
        self,
        texts: list[str],
        labels: list[str],
        dev_texts: list[str] | None = None,
        dev_labels: list[str] | None = None,
    ) -> None:
        """Search within the budget on the train split alone (the dev split is not used:
        the command line cross-validates the training data)."""
        from textclf.tune import DEFAULT_DEV_FRACTION, DEFAULT_FOLDS, hold_out, tune, tune_cv

        if len(texts) < 50_000:
            result = tune_cv(texts, labels, self.budget, folds=DEFAULT_FOLDS, seed=self.seed)
        else:
            kept, held = hold_out(labels, DEFAULT_DEV_FRACTION, self.seed)
            result = tune([texts[i] for i in kept], [labels[i] for i in kept],
                          [texts[i] for i in held], [labels[i] for i in held], self.budget,
                          seed=self.seed)
        self.clf = result.classifier
        best = result.best
        defaults = result.trials[0]
        self.chosen = (f"{best.model} ngrams {best.ngrams} chars {best.char_ngrams} "
                       f"{best.weighting} {best.other()} eta {best.eta:g} l2 {best.l2:g} "
                       f"epochs {best.epochs}; tune score {best.score:.4f}, defaults' "
                       f"{defaults.score:.4f}; {len(result.trials)} trials"
                       + (" (defaults)" if best is defaults else ""))

    def predict(self, texts: list[str]) -> list[str]:
        return [str(y) for y in self.clf.predict(texts)]
