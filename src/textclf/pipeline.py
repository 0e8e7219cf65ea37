"""TextClassifier: featuriser, model and label names, trained and used together."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from textclf import fast_train, persist
from textclf.errors import DataError, ModelFileError, SettingsError
from textclf.features import FeatureSettings, Featurizer, featurizer_from_state, make_featurizer
from textclf.metrics import EvaluationReport, evaluate_labels
from textclf.models import (
    MODEL_KINDS,
    FeedForwardNetwork,
    LogisticRegression,
    Model,
    SoftmaxRegression,
)
from textclf.models.mlp import parse_hidden
from textclf.train import EpochCallback, TrainingSettings, default_settings, train

DEFAULT_HIDDEN = (64,)
DEFAULT_DROPOUT = 0.5

DEFAULT_FEATURES = FeatureSettings()
DEFAULT_TRAINING = default_settings("logistic")
MODEL_CHOICES = ("auto", *MODEL_KINDS)


class TextClassifier:
    """Raw text in, labels out: ``Featurizer`` → ``Model`` with the label names.

    ``model`` is "logistic" (binary, sigmoid), "softmax" (K classes), "mlp" (a feedforward
    network) or "auto": logistic for two classes, softmax for more. Training settings left
    at None take the defaults of the model kind (``textclf.train.MODEL_DEFAULTS``, chosen
    on dev data: see docs/models.md).

    Example::

        clf = TextClassifier(ngrams=2, epochs=10).fit(texts, labels)
        clf.predict(["a wonderful film"])        # -> ["pos"]
        clf.evaluate(test_texts, test_labels).accuracy
        clf.save("model.textclf"); TextClassifier.load("model.textclf")

        TextClassifier(model="mlp", hidden=(256, 64), dropout=0.5).fit(texts, labels)
    """

    def __init__(
        self,
        *,
        ngrams: int = DEFAULT_FEATURES.ngrams,
        features: str = DEFAULT_FEATURES.weighting,
        min_df: int = DEFAULT_FEATURES.min_df,
        max_features: int | None = DEFAULT_FEATURES.max_features,
        lowercase: bool = DEFAULT_FEATURES.lowercase,
        eta: float | None = None,
        epochs: int | None = None,
        batch_size: int | None = None,
        init: str | None = None,
        seed: int | None = None,
        model: str = "auto",
        hidden: int | str | Sequence[int] = DEFAULT_HIDDEN,
        activation: str = "relu",
        dropout: float = DEFAULT_DROPOUT,
        optimizer: str | None = None,
        momentum: float | None = None,
        schedule: str | None = None,
        decay: float | None = None,
        l2: float | None = None,
        l1: float | None = None,
        patience: int | None = None,
        bias_rate: float | None = None,
        quiet: bool = True,
        hash_bits: int | None = None,
        jobs: int | None = None,
        float32: bool = False,
    ):
        self.feature_settings = FeatureSettings(
            ngrams=ngrams, weighting=features, min_df=min_df, max_features=max_features,
            lowercase=lowercase, hash_bits=hash_bits,
        )
        self.feature_settings.validate()
        if model not in MODEL_CHOICES:
            raise SettingsError(f"unknown model {model!r} (known: {', '.join(MODEL_CHOICES)})")
        self.model_kind = model
        self.architecture = {"hidden": parse_hidden(hidden), "activation": activation,
                             "dropout": dropout}
        if model == "mlp":  # check the architecture now, not after featurising
            FeedForwardNetwork(**self.architecture)
        # settings given here; the rest come from the model kind's defaults at fit time
        self.training_overrides = {
            name: value for name, value in {
                "eta": eta, "epochs": epochs, "batch_size": batch_size, "init": init,
                "seed": seed, "optimizer": optimizer, "momentum": momentum,
                "schedule": schedule, "decay": decay, "l2": l2, "l1": l1,
                "patience": patience, "bias_rate": bias_rate,
            }.items() if value is not None
        }
        self.training = self._training_settings("logistic" if model == "auto" else model)
        self.quiet = quiet
        self.jobs = jobs  # workers for featurising (results do not depend on it; None: auto)
        self.dtype = np.float32 if float32 else np.float64  # of X's values (and a linear θ)
        self.labels: list[str] = []
        self.featurizer: Featurizer | None = None
        self.model: Model | None = None
        self.history: list[dict] = []
        self.tuning: dict | None = None  # the search that chose these settings (textclf tune)

    # training ---------------------------------------------------------------------------
    def _training_settings(self, kind: str) -> TrainingSettings:
        settings = default_settings(kind, self.training_overrides)
        settings.validate()
        return settings

    def _resolve_kind(self) -> str:
        kind = self.model_kind
        if kind == "auto":
            kind = "logistic" if len(self.labels) == 2 else "softmax"
        if kind == "logistic" and len(self.labels) != 2:
            raise DataError(
                f"binary logistic regression needs exactly two classes, the data has "
                f"{len(self.labels)}: {', '.join(self.labels[:10])}; use --model softmax "
                "(or auto)"
            )
        return kind

    def _choose_model(self, n_features: int) -> Model:
        kind = self._resolve_kind()
        self.training = self._training_settings(kind)
        t = self.training
        if kind == "logistic":
            return LogisticRegression(n_features, init=t.init, seed=t.seed)
        if kind == "softmax":
            return SoftmaxRegression(n_features, len(self.labels), init=t.init, seed=t.seed)
        return FeedForwardNetwork(n_features, len(self.labels), seed=t.seed,
                                  **self.architecture)

    def _targets(self, labels: Sequence[str]) -> np.ndarray:
        index = {label: i for i, label in enumerate(self.labels)}
        return np.fromiter((index[label] for label in labels), dtype=np.int64, count=len(labels))

    def fit(
        self,
        texts: Sequence[str],
        labels: Sequence[str],
        dev_texts: Sequence[str] | None = None,
        dev_labels: Sequence[str] | None = None,
        on_epoch_end: EpochCallback | None = None,
    ) -> TextClassifier:
        """Learn the vocabulary and θ from labelled texts; report on the dev set if given."""
        if len(texts) != len(labels):
            raise DataError(f"{len(texts)} texts but {len(labels)} labels")
        if len(texts) == 0:
            raise DataError("the training corpus is empty")
        if any(label is None for label in labels):
            raise DataError("every training document needs a label")
        has_dev = dev_texts is not None and dev_labels is not None and len(dev_texts) > 0
        if self.training.patience is not None and not has_dev:
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
        self.featurizer = make_featurizer(FeatureSettings(**vars(self.feature_settings)),
                                          jobs=self.jobs, dtype=self.dtype)
        X = self.featurizer.fit_transform(texts)
        self.model = self._choose_model(X.shape[1])
        if self.dtype == np.float32 and fast_train.supports(self.model, self.training):
            # θ in float32 too: the sparse SGD steps update it in place (half its memory)
            self.model.theta = self.model.theta.astype(np.float32)
        dev = None
        if dev_texts is not None and dev_labels is not None and len(dev_texts):
            dev = self._dev_set(dev_texts, dev_labels)
        self.history = train(
            self.model, X, self._targets([str(label) for label in labels]), self.training,
            dev=dev, quiet=self.quiet, on_epoch_end=on_epoch_end,
        )
        return self

    def _dev_set(self, texts: Sequence[str], labels: Sequence[str]):
        known = [i for i, label in enumerate(labels) if label in set(self.labels)]
        if len(known) < len(labels):
            warnings.warn(
                f"{len(labels) - len(known)} dev document(s) have labels not in the training "
                "data; they are left out of the dev loss and accuracy",
                UserWarning, stacklevel=3,
            )
        X_dev = self.featurizer.transform([texts[i] for i in known])
        return X_dev, self._targets([labels[i] for i in known])

    # use --------------------------------------------------------------------------------
    def _check_fitted(self) -> None:
        if self.model is None or self.featurizer is None:
            raise SettingsError("the classifier is not trained: call fit or load first")

    def transform(self, texts: Sequence[str]):
        """The feature matrix [X | 1] of ``texts``."""
        self._check_fitted()
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

    def top_features(self, k: int = 10) -> dict[str, list[tuple[str, float]]]:
        """The k terms with the strongest weight towards each class.

        Binary logistic regression: the largest wⱼ point to ``labels[1]``, the most negative
        to ``labels[0]``. Softmax regression: for each class c the largest θ[j, c].
        A network has no single weight per term; its "weight" of term j is what the term
        does alone: the logit of a document holding only term j (feature value 1) minus
        that of the empty document (for a linear model exactly θⱼ), for K classes centred
        over the classes (logit_c − mean of the logits, as softmax weights are).
        """
        self._check_fitted()
        if k < 1:
            raise SettingsError(f"k must be at least 1, got {k}")
        terms = self.featurizer.terms
        if isinstance(self.model, LogisticRegression | SoftmaxRegression):
            weights = self.model.weights
        else:
            weights = term_effects(self.model)
        if weights.ndim == 1:  # one logit: positive towards labels[1], negative towards labels[0]
            order = np.argsort(weights, kind="stable")
            strongest_positive = [(terms[j], float(weights[j])) for j in order[::-1][:k]]
            strongest_negative = [(terms[j], float(weights[j])) for j in order[:k]]
            return {self.labels[1]: strongest_positive, self.labels[0]: strongest_negative}
        top = {}
        for c, label in enumerate(self.labels):
            order = np.argsort(-weights[:, c], kind="stable")[:k]
            top[label] = [(terms[j], float(weights[j, c])) for j in order]
        return top

    # persistence ------------------------------------------------------------------------
    def save(self, path: str | Path) -> None:
        """Write the whole classifier to one model file (atomically)."""
        self._check_fitted()
        featurizer_meta, featurizer_arrays = self.featurizer.state()
        meta = {
            "labels": self.labels,
            "featurizer": featurizer_meta,
            "model": self.model.config(),
            "training": self.training.as_dict(),
            "history": self.history,
        }
        if self.tuning is not None:
            meta["tuning"] = self.tuning
        arrays = {f"featurizer.{k}": v for k, v in featurizer_arrays.items()}
        # the file holds θ in float64 whatever it was trained in (float32 with --float32)
        arrays |= {f"model.{k}": np.asarray(v, np.float64)
                   for k, v in self.model.parameters().items()}
        persist.save(path, meta, arrays)

    @classmethod
    def load(cls, path: str | Path) -> TextClassifier:
        """Read a classifier written by :meth:`save`, checking that its parts fit together."""
        meta, arrays = persist.load(path)
        try:
            featurizer = featurizer_from_state(
                meta["featurizer"],
                {k.removeprefix("featurizer."): v for k, v in arrays.items()
                 if k.startswith("featurizer.")},
            )
            kind = meta["model"]["kind"]
            if kind not in MODEL_KINDS:
                raise ModelFileError(f"{path}: unknown model kind {kind!r}")
            model = MODEL_KINDS[kind].from_config(
                meta["model"],
                {k.removeprefix("model."): v for k, v in arrays.items() if k.startswith("model.")},
            )
            training = TrainingSettings.from_dict(meta["training"])
            training.validate()
            labels = [str(label) for label in meta["labels"]]
        except (KeyError, TypeError, SettingsError) as err:
            raise ModelFileError(f"{path}: inconsistent model file ({err})") from err
        if model.config().get("n_features") != featurizer.n_features:
            raise ModelFileError(
                f"{path}: the model expects {model.config().get('n_features')} features but "
                f"the featuriser produces {featurizer.n_features}"
            )
        clf = cls(model=kind)
        if isinstance(model, FeedForwardNetwork):
            clf.architecture = {"hidden": model.hidden, "activation": model.activation,
                                "dropout": model.dropout}
        clf.training_overrides = training.as_dict()
        clf.feature_settings = featurizer.settings
        clf.training = training
        clf.featurizer, clf.model, clf.labels = featurizer, model, labels
        clf.history = list(meta.get("history", []))
        clf.tuning = meta.get("tuning")
        return clf


def term_effects(model: Model, chunk: int = 20_000) -> np.ndarray:
    """Logit(document of term j alone, value 1) − logit(empty document), for every term j.

    Shape (|F|,) for a one-logit model, (|F|, K) centred per row for K logits. The one-term
    documents are fed through the model ``chunk`` at a time.
    """
    n_terms = model.n_features - 1
    empty = sp.csr_matrix(([1.0], ([0], [n_terms])), shape=(1, n_terms + 1))
    baseline = model.decision_function(empty)[0]
    parts = []
    for start in range(0, n_terms, chunk):
        j = np.arange(start, min(start + chunk, n_terms))
        rows = np.repeat(np.arange(len(j)), 2)
        cols = np.column_stack([j, np.full(len(j), n_terms)]).ravel()
        X = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(j), n_terms + 1))
        parts.append(model.decision_function(X) - baseline)
    effects = np.concatenate(parts) if parts else np.zeros((0, *np.shape(baseline)))
    if effects.ndim == 2:
        effects = effects - effects.mean(axis=1, keepdims=True)
    return effects
