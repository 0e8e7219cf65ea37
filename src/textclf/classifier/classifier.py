"""TextClassifier: a featuriser, a model and the label names, trained and used together."""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from textclf.classifier import persistence
from textclf.classifier.settings import ARGUMENTS, signature, split_arguments
from textclf.classifier.streaming import DEFAULT_CHUNK_DOCS, featurised_chunks, scan
from textclf.corpus.documents import Document
from textclf.errors import DataError, SettingsError
from textclf.evaluation.metrics import EvaluationReport, evaluate_labels
from textclf.explain.contributions import explain
from textclf.explain.effects import term_effects
from textclf.explain.inspection import ModelSummary, inspect_model
from textclf.explain.records import Explanation
from textclf.features.featurizer import Featurizer
from textclf.features.hashing import HashingFeaturizer
from textclf.features.naive_bayes import interpolate_trained
from textclf.features.settings import CLASSIFIER_DEFAULTS, FeatureSettings
from textclf.models import FeedForwardNetwork, Model, new_model
from textclf.models.settings import ModelSettings
from textclf.training.loop import EpochCallback, Trainer
from textclf.training.settings import TrainingSettings, default_settings
from textclf.training.sources import InMemoryRows, StreamedRows
from textclf.training.sparse_step import supports


class TextClassifier:
    """Raw text in, labels out: a featuriser → a model, with the label names.

    ``model`` is "logistic" (binary, sigmoid), "softmax" (K classes), "mlp" (a feedforward
    network) or "auto": logistic for two classes, softmax for more. Training settings left
    at None take the defaults of the model kind (``textclf.training.MODEL_DEFAULTS``, chosen
    on dev data: see docs/models.md). Every argument is declared once with its allowed
    values (:data:`textclf.classifier.settings.ARGUMENTS`).

    Example::

        clf = TextClassifier(ngrams=2, epochs=10).fit(texts, labels)
        clf.predict(["a wonderful film"])        # -> ["pos"]
        clf.evaluate(test_texts, test_labels).accuracy
        clf.save("model.textclf"); TextClassifier.load("model.textclf")

        TextClassifier(model="mlp", hidden=(256, 64), dropout=0.5).fit(texts, labels)

    Learned, after ``fit`` or ``load``: ``labels``, ``featurizer``, ``model``, ``history``
    (one record per epoch) and ``training_settings`` (the settings used). ``fit`` again
    starts afresh.
    """

    def __init__(self, **settings: Any):
        grouped = split_arguments(settings)
        self.feature_settings = FeatureSettings(**{**CLASSIFIER_DEFAULTS, **grouped["features"]})
        self.model_settings = ModelSettings(**grouped["model"])
        self.training_overrides = {name: TrainingSettings.declared[name].check(value)
                                   for name, value in grouped["training"].items()
                                   if value is not None}
        run = grouped["run"]
        self.quiet = ARGUMENTS["quiet"].setting.check(run.get("quiet", True))
        self.jobs = ARGUMENTS["jobs"].setting.check(run.get("jobs"))
        self.float32 = ARGUMENTS["float32"].setting.check(run.get("float32", False))
        kind = self.model_settings.model
        self.training_settings = default_settings("logistic" if kind == "auto" else kind,
                                                  self.training_overrides)
        if kind == "mlp":  # check the architecture now, not after featurising
            FeedForwardNetwork(**self.architecture())
        self.labels: list[str] = []
        self.featurizer: Featurizer | None = None
        self.model: Model | None = None
        self.history: list[dict] = []
        self.tuning: dict | None = None  # the search that chose these settings (textclf tune)

    __init__.__signature__ = signature()  # type: ignore[attr-defined]

    @property
    def dtype(self) -> type:
        """The type of X's values (and of a linear model's θ during training)."""
        return np.float32 if self.float32 else np.float64

    def get_settings(self) -> dict[str, Any]:
        """The arguments this classifier was made with (training ones: None = default)."""
        values = {s.argument: getattr(self.feature_settings, s.name)
                  for s in FeatureSettings.declared.values()}
        values |= {s.argument: getattr(self.model_settings, s.name)
                   for s in ModelSettings.declared.values()}
        values |= {s.argument: self.training_overrides.get(s.name)
                   for s in TrainingSettings.declared.values()}
        return values | {"quiet": self.quiet, "jobs": self.jobs, "float32": self.float32}

    def __repr__(self) -> str:
        changed = {k: v for k, v in self.get_settings().items() if v != ARGUMENTS[k].default}
        return f"TextClassifier({', '.join(f'{k}={v!r}' for k, v in changed.items())})"

    # the model ----------------------------------------------------------------------------------
    def architecture(self) -> dict[str, Any]:
        s = self.model_settings
        return {"hidden": s.hidden, "activation": s.activation, "dropout": s.dropout}

    def model_kind(self) -> str:
        """The model for the labels: ``model``, or for auto logistic/softmax by K."""
        kind = self.model_settings.model
        if kind == "auto":
            kind = "logistic" if len(self.labels) == 2 else "softmax"
        if kind == "logistic" and len(self.labels) != 2:
            raise DataError(
                f"binary logistic regression needs exactly two classes, the data has "
                f"{len(self.labels)}: {', '.join(self.labels[:10])}; use --model softmax "
                "(or auto)"
            )
        return kind

    def build_model(self, n_features: int) -> Model:
        """A fresh model for ``n_features`` columns and the labels; settles
        ``training_settings`` for its kind."""
        kind = self.model_kind()
        self.training_settings = t = default_settings(kind, self.training_overrides)
        model = new_model(kind, n_features, len(self.labels), init=t.init, seed=t.seed,
                          **self.architecture())
        if self.float32 and supports(model, t):
            # θ in float32 too: the sparse SGD steps update it in place (half its memory)
            model.theta = model.theta.astype(np.float32)
        return model

    def targets(self, labels: Sequence[str]) -> np.ndarray:
        """Class indices of ``labels`` (which must be known)."""
        index = {label: i for i, label in enumerate(self.labels)}
        return np.fromiter((index[str(label)] for label in labels), dtype=np.int64,
                           count=len(labels))

    def dev_set(self, texts: Sequence[str], labels: Sequence[str]):
        """(X, y) of the dev documents whose labels the model knows (warning of the rest)."""
        known_labels = set(self.labels)
        known = [i for i, label in enumerate(labels) if label in known_labels]
        if len(known) < len(labels):
            warnings.warn(
                f"{len(labels) - len(known)} dev document(s) have labels not in the training "
                "data; they are left out of the dev loss and accuracy",
                UserWarning, stacklevel=3,
            )
        X_dev = self.featurizer.transform([texts[i] for i in known])
        return X_dev, self.targets([labels[i] for i in known])

    def trainer(self, on_epoch_end: EpochCallback | None) -> Trainer:
        return Trainer(self.model, self.training_settings, quiet=self.quiet,
                       on_epoch_end=on_epoch_end)

    # training -----------------------------------------------------------------------------------
    def fit(
        self,
        texts: Sequence[str],
        labels: Sequence[str],
        dev_texts: Sequence[str] | None = None,
        dev_labels: Sequence[str] | None = None,
        on_epoch_end: EpochCallback | None = None,
    ) -> TextClassifier:
        """Learn the features and θ from labelled texts; report on the dev set if given."""
        if len(texts) != len(labels):
            raise DataError(f"{len(texts)} texts but {len(labels)} labels")
        if len(texts) == 0:
            raise DataError("the training corpus is empty")
        if any(label is None for label in labels):
            raise DataError("every training document needs a label")
        has_dev = dev_texts is not None and dev_labels is not None and len(dev_texts) > 0
        if self.training_overrides.get("patience") is not None and not has_dev:
            raise SettingsError(
                "early stopping (patience) needs dev data to watch: give dev texts and "
                "labels (on the command line --dev DATA, or data with a dev split)"
            )
        self.labels = sorted(set(map(str, labels)))
        if len(self.labels) < 2:
            raise DataError(
                f"the training data has only one class ({self.labels[0]!r}); "
                "a classifier needs at least two"
            )
        if self.feature_settings.nb_beta is not None and self.model_kind() != "logistic":
            raise SettingsError("nb_beta interpolates binary logistic regression's weights: "
                                f"it does not apply to model {self.model_kind()!r}")
        self.featurizer = Featurizer(self.feature_settings.replace(), jobs=self.jobs,
                                     dtype=self.dtype)
        X = self.featurizer.fit_transform(texts, labels)
        self.model = self.build_model(X.shape[1])
        dev = self.dev_set(dev_texts, dev_labels) if has_dev else None
        self.history = self.trainer(on_epoch_end).fit(InMemoryRows(X, self.targets(labels)),
                                                      dev)
        self.interpolate_naive_bayes()
        return self

    def interpolate_naive_bayes(self) -> None:
        """With nb features and ``nb_beta``: Wang and Manning's interpolation of the trained
        weights, w ← (1 − β)·mean|w| + β·w (:func:`textclf.features.naive_bayes.interpolate`)."""
        interpolate_trained(self.model, self.feature_settings)

    def fit_stream(
        self,
        open_documents: Callable[[], Iterable[Document]],
        *,
        dev: tuple[Sequence[str], Sequence[str]] | None = None,
        chunk_docs: int = DEFAULT_CHUNK_DOCS,
        shuffle: bool = True,
        on_epoch_end: EpochCallback | None = None,
    ) -> TextClassifier:
        """Train on the documents that ``open_documents()`` yields, reading them anew for
        every pass, in bounded memory (needs ``hash_bits``: no vocabulary to hold).

        A first pass finds the labels and N (and for tf-idf the document frequencies);
        each epoch then reads ``chunk_docs`` documents at a time, featurises them,
        shuffles them within the chunk and takes their mini-batch steps. ``chunk_docs`` is
        rounded to whole mini-batches, so the batches are those of the in-memory loop over
        the same documents in the same order. A file sorted by label should be shuffled
        once beforehand (``shuf`` for line formats).
        """
        if self.feature_settings.hash_bits is None:
            raise SettingsError("streaming training needs hashed features: give hash_bits "
                                "(--hash-bits)")
        if not (isinstance(chunk_docs, int) and chunk_docs >= 1):
            raise SettingsError(f"chunk_docs must be at least 1, got {chunk_docs!r}")
        settings = self.feature_settings.replace()
        if settings.char_ngrams == "auto":  # decided on the first chunk of the stream
            first = [doc.text for doc in itertools.islice(open_documents(), chunk_docs)]
            settings = settings.resolved(first)
        featurizer = HashingFeaturizer(settings, jobs=self.jobs, dtype=self.dtype)
        self.featurizer = featurizer
        labels, n = scan(open_documents, featurizer, chunk_docs)
        if n == 0:
            raise DataError("the training corpus is empty")
        if len(labels) < 2:
            raise DataError(f"the training data has only one class ({labels[0]!r}); "
                            "a classifier needs at least two")
        self.labels = labels
        self.model = self.build_model(featurizer.n_features)
        m = self.training_settings.batch_size
        chunk_docs = max(m, chunk_docs // m * m)  # whole batches per chunk
        index = {label: k for k, label in enumerate(labels)}
        source = StreamedRows(
            lambda: featurised_chunks(open_documents, featurizer, chunk_docs, index), n)
        dev_set = self.dev_set(*dev) if dev is not None else None
        self.history = self.trainer(on_epoch_end).fit(source, dev_set, shuffle=shuffle)
        return self

    # use ----------------------------------------------------------------------------------------
    def check_fitted(self) -> None:
        """Refuse to predict before ``fit`` or ``load``."""
        if self.model is None or self.featurizer is None:
            raise SettingsError("the classifier is not trained: call fit or load first")

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        """The feature matrix [X | 1] of ``texts``."""
        self.check_fitted()
        return self.featurizer.transform(texts)

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """P(class | text), shape (n, K), columns in ``self.labels`` order."""
        return self.model.predict_proba(self.transform(texts))

    def predict(self, texts: Sequence[str]) -> list[str]:
        """The most probable label of each text."""
        return [self.labels[i] for i in self.model.predict(self.transform(texts))]

    def evaluate(self, texts: Sequence[str], labels: Sequence[str]) -> EvaluationReport:
        """Accuracy, per-class precision/recall/F1 and confusion matrix on labelled texts."""
        return evaluate_labels([str(label) for label in labels], self.predict(texts), self.labels)

    def explain(self, text: str) -> Explanation:
        """Each feature's part in the score of ``text`` (see :mod:`textclf.explain`)."""
        return explain(self, text)

    def inspect(self, top: int = 10) -> ModelSummary:
        """The strongest features of each class, the bias, settings and history."""
        return inspect_model(self, top)

    def top_features(self, k: int = 10) -> dict[str, list[tuple[str, float]]]:
        """The k terms with the strongest weight towards each class.

        Binary logistic regression: the largest wⱼ point to ``labels[1]``, the most negative
        to ``labels[0]``. Softmax regression: for each class c the largest θ[j, c].
        A network has no single weight per term; its "weight" of term j is what the term
        does alone: the logit of a document holding only term j minus that of the empty
        document (for a linear model exactly θⱼ), for K classes centred over the classes
        (logit_c − mean of the logits, as softmax weights are). With the nb weightings a
        term alone has the value sign(rⱼ), so its weight is θⱼ·sign(rⱼ)
        (``Featurizer.lone_values``).
        """
        self.check_fitted()
        if k < 1:
            raise SettingsError(f"k must be at least 1, got {k}")
        terms = self.featurizer.terms
        weights, _ = term_effects(self.model, len(terms), values=self.featurizer.lone_values())
        if weights.shape[1] == 1:  # one logit: positive toward labels[1], negative labels[0]
            w = weights[:, 0]
            order = np.argsort(w, kind="stable")
            strongest_positive = [(terms[j], float(w[j])) for j in order[::-1][:k]]
            strongest_negative = [(terms[j], float(w[j])) for j in order[:k]]
            return {self.labels[1]: strongest_positive, self.labels[0]: strongest_negative}
        top = {}
        for c, label in enumerate(self.labels):
            order = np.argsort(-weights[:, c], kind="stable")[:k]
            top[label] = [(terms[j], float(weights[j, c])) for j in order]
        return top

    # persistence --------------------------------------------------------------------------------
    def save(self, path: str | Path) -> None:
        """Write the whole classifier to one model file (atomically)."""
        self.check_fitted()
        persistence.write(path, persistence.ClassifierParts(
            self.featurizer, self.model, self.labels, self.training_settings, self.history,
            self.tuning))

    @classmethod
    def load(cls, path: str | Path) -> TextClassifier:
        """Read a classifier written by :meth:`save`, checking that its parts fit together."""
        parts = persistence.read(path)
        model = parts.model
        architecture = ({"hidden": model.hidden, "activation": model.activation,
                         "dropout": model.dropout} if isinstance(model, FeedForwardNetwork)
                        else {})
        features = parts.featurizer.settings
        clf = cls(**{s.argument: getattr(features, s.name)
                     for s in FeatureSettings.declared.values()},
                  model=model.kind, **architecture,
                  **{s.argument: getattr(parts.training_settings, s.name)
                     for s in TrainingSettings.declared.values()})
        clf.training_settings = parts.training_settings
        clf.featurizer, clf.model, clf.labels = parts.featurizer, model, parts.labels
        clf.history, clf.tuning = parts.history, parts.tuning
        return clf
