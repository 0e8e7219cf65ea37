"""TextClassifier: a featuriser, a model and the label names, trained and used together."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from textclf.classifier import compression, devset, incremental, persistence, scoring
from textclf.classifier.checkpoints import COMPLETED, Checkpoints, run_fingerprint
from textclf.classifier.cluster import fit_on_dask
from textclf.classifier.settings import (
    ARGUMENTS,
    DecisionSettings,
    RunSettings,
    signature,
    split_arguments,
)
from textclf.classifier.streaming import DEFAULT_CHUNK_DOCS, train_streamed
from textclf.classifier.targets import (
    encode,
    label_names,
    label_names_of,
    read_targets,
    typed_label,
)
from textclf.corpus.documents import Document, checked_texts
from textclf.errors import DataError, NotFittedError
from textclf.evaluation.decisions import chosen_labels, decide
from textclf.evaluation.metrics import EvaluationReport
from textclf.evaluation.multilabel import MultiLabelReport
from textclf.explain.contributions import explain
from textclf.explain.inspection import ModelSummary, inspect_model, top_features
from textclf.explain.records import Explanation
from textclf.features.featurizer import Featurizer
from textclf.features.naive_bayes import Targets, check_interpolation, interpolate_trained
from textclf.features.settings import CLASSIFIER_DEFAULTS, FeatureSettings
from textclf.models import FeedForwardNetwork, Model, new_model
from textclf.models.settings import ModelSettings
from textclf.training.loop import EpochCallback, Trainer
from textclf.training.settings import TrainingSettings, default_settings
from textclf.training.sources import InMemoryRows, RowSource
from textclf.training.sparse_step import supports
from textclf.training.weights import checked_sample_weights, document_weights, weighted_rows


class TextClassifier:
    """Raw text in, labels out: a featuriser → a model, with the label names.

    ``model`` is "logistic" (binary, sigmoid), "softmax" (K classes), "mlp" (a feedforward
    network) or "auto": logistic for two classes, softmax for more. Labels given as lists
    (any number per document) where a document has zero or several make a multi-label
    classifier (or ``multi_label=True``): a sigmoid per label, and ``predict`` gives each
    text a list of labels (docs/multilabel.md). Training settings left at None take the
    defaults of the model kind (``textclf.training.MODEL_DEFAULTS``, chosen on dev data: see
    docs/models.md). Every argument is declared once with its allowed values
    (:data:`textclf.classifier.settings.ARGUMENTS`).

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
        self.decision_settings = DecisionSettings(**grouped["decision"])
        self.multi_label = bool(self.model_settings.multi_label)  # settled by fit
        self.chosen_threshold: float | None = None  # threshold "auto": chosen on dev data
        self.calibration: dict | None = None  # the temperature fitted on dev data, and why
        run = RunSettings(**grouped["run"])  # quiet, jobs, float32, the cluster's
        for name in RunSettings.declared:
            setattr(self, name, getattr(run, name))
        kind = self.model_settings.model
        self.training_settings = default_settings("logistic" if kind == "auto" else kind,
                                                  self.training_overrides)
        if kind == "mlp":  # check the architecture now, not after featurising
            FeedForwardNetwork(**self.architecture())
        self.labels: list[str] = []  # the label names, in the order of predict_proba's columns
        self.label_type = "str"  # the type they were given in: str, int or bool
        self.featurizer: Featurizer | None = None
        self.model: Model | None = None
        self.history: list[dict] = []
        self.tuning: dict | None = None  # the search that chose these settings (textclf tune)
        self.checkpoint: tuple[dict, dict] | None = None  # resume state the next save writes
        self.optimizer_state: tuple[dict, dict] | None = None  # a loaded checkpoint's averages
        self.partial_trainer: Trainer | None = None  # partial_fit's, kept between calls
        self.compression: dict | None = None  # how save writes it small (compress)
        self.cluster_report: dict | None = None  # after fit_dask: shards, groups, sizes

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
        values |= {s.argument: getattr(self.decision_settings, s.name)
                   for s in DecisionSettings.declared.values()}
        return values | {s.argument: getattr(self, s.name) for s in RunSettings.declared.values()}

    def __repr__(self) -> str:
        changed = {k: v for k, v in self.get_settings().items() if v != ARGUMENTS[k].default}
        return f"TextClassifier({', '.join(f'{k}={v!r}' for k, v in changed.items())})"

    # the model ----------------------------------------------------------------------------------
    def architecture(self) -> dict[str, Any]:
        s = self.model_settings
        return {"hidden": s.hidden, "activation": s.activation, "dropout": s.dropout}

    def model_kind(self) -> str:
        """The model for the labels: ``model``, or for auto logistic/softmax by K; for
        multi-label data the multi-label logistic regression (or the network)."""
        kind = self.model_settings.model
        if self.multi_label:
            if kind == "softmax":
                raise DataError("softmax regression gives each document one class; multi-label "
                                "data needs --model logistic (a sigmoid per label, the default) "
                                "or --model mlp")
            return "mlp" if kind == "mlp" else "multilabel"
        if kind == "auto":
            kind = "logistic" if len(self.labels) == 2 else "softmax"
        if kind == "logistic" and len(self.labels) != 2:
            raise DataError(f"binary logistic regression needs exactly two classes, the data "
                            f"has {len(self.labels)}: {', '.join(self.labels[:10])}; use "
                            "--model softmax (or auto)")
        return kind

    def build_model(self, n_features: int, overrides: dict[str, Any] | None = None) -> Model:
        """A fresh model for ``n_features`` columns and the labels; settles
        ``training_settings`` for its kind (with ``overrides`` on top of the arguments)."""
        kind = self.model_kind()
        check_interpolation(self.feature_settings, kind)
        self.training_settings = t = default_settings(
            kind, {**self.training_overrides, **(overrides or {})})
        model = new_model(kind, n_features, len(self.labels), init=t.init, seed=t.seed,
                          multi_label=self.multi_label, **self.architecture())
        if self.float32 and supports(model, t):
            # θ in float32 too: the sparse SGD steps update it in place (half its memory)
            model.theta = model.theta.astype(np.float32)
        return model

    def targets(self, labels: Sequence) -> np.ndarray:
        """Class indices of ``labels`` (known ones), or a multi-label classifier's 0/1 matrix."""
        sets, _ = read_targets(labels, self.multi_label)
        return encode(sets, self.labels, self.multi_label)

    def dev_set(self, texts: Sequence[str], labels: Sequence,
                sample_weight: Sequence[float] | None = None) -> tuple:
        """(X, y) or (X, y, weights) of the dev documents (:func:`devset.dev_rows`)."""
        return devset.dev_rows(self, texts, labels, sample_weight)

    # training -----------------------------------------------------------------------------------
    def fit(
        self,
        texts: Iterable[str],
        labels: Iterable[str | int],
        dev_texts: Iterable[str] | None = None,
        dev_labels: Iterable[str | int] | None = None,
        on_epoch_end: EpochCallback | None = None,
        *,
        sample_weight: Sequence[float] | None = None,
        dev_sample_weight: Sequence[float] | None = None,
        checkpoint: str | Path | None = None,
        resume: bool = False,
        sign_key: bytes | None = None,
    ) -> TextClassifier:
        """Learn the features and θ from labelled texts; report on the dev set if given.

        Labels are strings or integers (kept as their decimal strings). ``sample_weight``:
        one weight ≥ 0 per text, multiplying its loss and gradient term (with
        ``class_weight``, times its class's weight; docs/weights.md); ``dev_sample_weight``
        weighs the dev loss the same way. ``checkpoint``: a model file rewritten after every
        epoch with what the run needs to go on; ``resume``: go on from it (see
        :mod:`textclf.classifier.checkpoints`); ``sign_key`` signs the checkpoints (and
        checks the one resumed).
        """
        texts = checked_texts(texts)
        labels, self.label_type = label_names_of(labels)
        sets, self.multi_label = read_targets(labels, self.model_settings.multi_label)
        if len(texts) != len(sets):
            raise DataError(f"{len(texts)} texts but {len(sets)} labels")
        if len(texts) == 0:
            raise DataError("the training corpus is empty")
        dev_texts, dev_labels, has_dev = devset.checked_dev(dev_texts, dev_labels)
        devset.check_dev_needs(self, has_dev)
        self.labels = label_names(sets, self.multi_label, self.label_type)
        check_interpolation(self.feature_settings, self.model_kind())
        y = encode(sets, self.labels, self.multi_label)
        weights = self.document_weights(y, checked_sample_weights(sample_weight, len(texts)))
        self.featurizer = Featurizer(self.feature_settings.replace(), jobs=self.jobs,
                                     dtype=self.dtype)
        X = self.featurizer.fit_transform(texts, self.nb_targets(y), weights)
        self.model = self.build_model(X.shape[1])
        rows, weights = weighted_rows(weights)
        if rows is not None and len(rows) < len(y):  # documents of weight 0 take no step
            X, y = X[rows], y[rows]
        dev = self.dev_set(dev_texts, dev_labels, dev_sample_weight) if has_dev else None
        self.train(InMemoryRows(X, y, weights), dev, on_epoch_end, checkpoint, resume,
                   lambda: run_fingerprint(self.get_settings(), self.labels, X, y, dev,
                                           weights),
                   sign_key=sign_key)
        return self

    def nb_targets(self, y: np.ndarray) -> Targets:
        """What the nb ratios learn from: ``y`` over every label of the classifier."""
        return Targets(y, len(self.labels), self.multi_label)

    def document_weights(self, y: np.ndarray,
                         sample_weight: np.ndarray | None) -> np.ndarray | None:
        """Each document's weight: its class's weight times its own (None: all 1)."""
        return document_weights(y, self.labels, self.training_settings.class_weight,
                                sample_weight)

    def train(self, source: RowSource, dev, on_epoch_end: EpochCallback | None,
              checkpoint: str | Path | None, resume: bool,
              fingerprint: Callable[[], str], shuffle: bool = True,
              step_state: tuple[dict, dict] | None = None,
              sign_key: bytes | None = None) -> None:
        """Run the training loop on ``source``, with checkpoints and resuming if asked;
        ``step_state``: the optimiser's averages to start from; ``sign_key`` signs the
        checkpoints."""
        self.checkpoint, self.partial_trainer = None, None
        checkpoints = Checkpoints(checkpoint, fingerprint(), sign_key) if checkpoint else None
        trainer = Trainer(self.model, self.training_settings, quiet=self.quiet)
        trainer.step_state = step_state
        state = checkpoints.resume(self) if checkpoints and resume else None
        if state == COMPLETED:  # θ is back: fit on the dev set again (the same T, threshold)
            devset.fit_on_dev(self, dev)
            checkpoints.finish(self)
            return

        def after_epoch(epoch: int, record: dict) -> None:
            if on_epoch_end is not None:
                on_epoch_end(epoch, record)
            if checkpoints is not None:
                checkpoints.write(self, trainer)

        trainer.on_epoch_end = after_epoch
        self.history = trainer.fit(source, dev, shuffle=shuffle, resume=state)
        interpolate_trained(self.model, self.featurizer.settings)  # nb_beta, if any
        devset.fit_on_dev(self, dev)
        if checkpoints is not None:
            checkpoints.finish(self)

    def fit_stream(
        self,
        open_documents: Callable[[], Iterable[Document]],
        *,
        dev: tuple | None = None,
        chunk_docs: int = DEFAULT_CHUNK_DOCS,
        shuffle: bool = True,
        on_epoch_end: EpochCallback | None = None,
        checkpoint: str | Path | None = None,
        resume: bool = False,
        sign_key: bytes | None = None,
    ) -> TextClassifier:
        """Train on the documents that ``open_documents()`` yields, reading them anew for
        every pass, in bounded memory (needs ``hash_bits``: no vocabulary to hold).

        A first pass finds the labels and N (and for tf-idf the document frequencies);
        each epoch then reads ``chunk_docs`` documents at a time, featurises them,
        shuffles them within the chunk and takes their mini-batch steps. ``chunk_docs`` is
        rounded to whole mini-batches, so the batches are those of the in-memory loop over
        the same documents in the same order. A file sorted by label should be shuffled
        once beforehand (``shuf`` for line formats). ``dev``: (texts, labels) or (texts,
        labels, weights).
        """
        train_streamed(self, open_documents, dev, chunk_docs, shuffle, on_epoch_end,
                       checkpoint, resume, sign_key)
        return self

    def continue_training(self, texts: Iterable[str], labels: Iterable,
                          dev_texts: Iterable[str] | None = None,
                          dev_labels: Iterable | None = None, *,
                          extend_vocabulary: bool = False, **options: Any) -> int:
        """Train this fitted (or loaded) classifier on new documents: from its θ (and its
        optimiser's averages where a checkpoint file kept them), with its featuriser and
        labels; ``extend_vocabulary`` adds the new documents' terms (rows of θ at 0).
        ``options``: training settings to change (epochs, eta, ...), ``sample_weight``,
        ``dev_sample_weight``, ``checkpoint``, ``resume``, ``on_epoch_end``, ``sign_key``.
        Returns the number of terms added (docs/continued-training.md)."""
        return incremental.continue_training(self, texts, labels, dev_texts, dev_labels,
                                             extend_vocabulary=extend_vocabulary, **options)

    def partial_fit(self, texts: Iterable[str], labels: Iterable, classes: Iterable | None = None,
                    sample_weight: Sequence[float] | None = None) -> TextClassifier:
        """One pass of mini-batch SGD over one batch, as scikit-learn's partial_fit: the
        first call names every class (``classes``) and fits the featuriser on its batch
        (use ``hash_bits`` for a stream); η is constant; the optimiser's state carries over
        from call to call."""
        incremental.partial_fit(self, texts, labels, classes, sample_weight)
        return self

    def fit_dask(self, client: Any, data: Any, **options: Any) -> TextClassifier:
        """Train on a Dask cluster (docs/distributed.md). ``data``: files, globs or fsspec
        URLs the workers read (each file a shard), a ``dask.bag`` of documents or a
        ``dask.dataframe`` with text and label columns; ``client``: a
        ``distributed.Client``, an address (``local:N``, ``tcp://HOST:PORT``) or None (the
        ``dask`` argument); ``options``: ``dev`` (texts, labels), ``fmt``, ``text_field``,
        ``label_field``, ``on_epoch_end``. Mode: the ``distributed`` argument."""
        return fit_on_dask(self, client, data, **options)

    # use ----------------------------------------------------------------------------------------
    def check_fitted(self) -> None:
        """Refuse to predict before ``fit`` or ``load``."""
        if self.model is None or self.featurizer is None:
            raise NotFittedError("the classifier is not trained: call fit or load first")

    def transform(self, texts: Iterable[str]) -> sp.csr_matrix:
        """The feature matrix [X | 1] of ``texts`` (any iterable of strings)."""
        self.check_fitted()
        return self.featurizer.transform(checked_texts(texts))

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """P(class | text), shape (n, K), columns in ``self.labels`` order; for a multi-label
        classifier each label's own probability (rows need not sum to 1)."""
        X = self.transform(texts)  # (checks that the classifier is trained)
        return self.model.predict_proba(X)

    @property
    def classes(self) -> list:
        """The labels in the order of :meth:`predict_proba`'s columns, in the type they were
        given in (str, int or bool)."""
        return [typed_label(name, self.label_type) for name in self.labels]

    def predict(self, texts: Sequence[str]) -> list:
        """The most probable label of each text, in the type the training labels were given
        in; for a multi-label classifier, the list of the labels each text gets
        (:meth:`decide`)."""
        X = self.transform(texts)
        classes = self.classes
        if self.multi_label:
            return chosen_labels(self.decide(self.model.predict_proba(X)), classes)
        return [classes[i] for i in self.model.predict(X)]

    def decide(self, probabilities: np.ndarray) -> np.ndarray:
        """Multi-label: the boolean matrix of the labels each document gets from their
        probabilities, by the decision settings (threshold, top_k, at_least_one)."""
        s = self.decision_settings
        return decide(probabilities, s.effective_threshold(self.chosen_threshold), s.top_k,
                      s.at_least_one)

    def evaluate(self, texts: Iterable[str],
                 labels: Iterable) -> EvaluationReport | MultiLabelReport:
        """Accuracy, per-class precision/recall/F1 and confusion matrix on labelled texts;
        for a multi-label classifier micro/macro scores, subset accuracy, Hamming loss,
        P@k and R@k (:mod:`textclf.evaluation.multilabel`); and the calibration of the
        probabilities, ECE and Brier (:mod:`textclf.evaluation.calibration`)."""
        return scoring.evaluate(self, texts, labels)

    def explain(self, text: str) -> Explanation:
        """Each feature's part in the score of ``text`` (see :mod:`textclf.explain`)."""
        return explain(self, text)

    def inspect(self, top: int = 10) -> ModelSummary:
        """The strongest features of each class, the bias, settings and history."""
        return inspect_model(self, top)

    def top_features(self, k: int = 10) -> dict[str, list[tuple[str, float]]]:
        """The k terms with the strongest weight towards each class
        (:func:`textclf.explain.inspection.top_features`)."""
        return top_features(self, k)

    # persistence --------------------------------------------------------------------------------
    def save(self, path: str | Path, sign_key: bytes | None = None) -> None:
        """Write the whole classifier to one model file (atomically); ``sign_key`` seals it
        with an HMAC-SHA256 that only holders of the key can make."""
        self.check_fitted()
        resume, resume_arrays = self.checkpoint or (None, {})
        decision = {**self.decision_settings.as_dict(), "chosen_threshold": self.chosen_threshold}
        persistence.write(path, persistence.ClassifierParts(
            self.featurizer, self.model, self.labels, self.training_settings, self.history,
            self.tuning, self.float32, resume, resume_arrays, decision, self.calibration,
            self.compression, self.label_type), sign_key)

    def compress(self, quantize: str | None = "int8",
                 prune_below: float | None = None) -> dict:
        """Make the model file small: θ saved as int8 (one scale per output column) or
        float16, the vocabulary sorted and front-coded, the terms whose weights are all
        below ``prune_below`` dropped (docs/compression.md). Returns what was done."""
        return compression.compress(self, quantize, prune_below)

    @classmethod
    def load(cls, path: str | Path, trust_pattern: bool = False,
             sign_key: bytes | None = None) -> TextClassifier:
        """Read a classifier written by :meth:`save`, checking every part and that the parts
        fit together (a model file is untrusted input: docs/reliability.md). A token pattern
        other than textclf's own runs only with ``trust_pattern``; a signed file loads only
        with its ``sign_key`` (and then only a file that key signed)."""
        return persistence.restore(cls, persistence.read(path, trust_pattern, sign_key))
