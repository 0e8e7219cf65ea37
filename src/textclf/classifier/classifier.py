"""TextClassifier: the settings of a fit and what the fit made (a Fitted), used together."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

from textclf.corpus.documents import Document
from textclf.errors import NotFittedError
from textclf.evaluation.decisions import DecisionRule
from textclf.fitting.fitted import Fitted, classifier_arguments, read_model_file, write_model_file
from textclf.fitting.settings import (
    ARGUMENTS,
    DEFAULT_CHUNK_DOCS,
    DecisionSettings,
    FitSettings,
    RunOptions,
    signature,
)

if TYPE_CHECKING:
    from textclf.evaluation.metrics import EvaluationReport
    from textclf.evaluation.multilabel import MultiLabelReport
    from textclf.explain.inspection import ModelSummary
    from textclf.explain.records import Explanation
    from textclf.fitting.incremental import PartialFit
    from textclf.training.history import EpochCallback

# The ways of training (textclf.fitting's routes), scoring, explaining and compressing are
# imported by the method that does it: a command that only predicts pays for none of them.


class FittedPart:
    """A read-only view of one part of the classifier's :class:`Fitted` (``default``
    before ``fit`` or ``load``)."""

    def __init__(self, default: Any = None):
        self.default = default

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, clf: TextClassifier | None, owner: type) -> Any:
        if clf is None:
            return self
        fitted = clf.fitted
        return self.default if fitted is None else getattr(fitted, self.name)


class TextClassifier:
    """Raw text in, labels out: a featuriser → a model, with the label names.

    ``model`` is "logistic" (binary, sigmoid), "softmax" (K classes), "mlp" (a feedforward
    network) or "auto": logistic for two classes, softmax for more. Labels given as lists
    (any number per document) where a document has zero or several make a multi-label
    classifier (or ``multi_label=True``): a sigmoid per label, and ``predict`` gives each
    text a list of labels (docs/multilabel.md). Labels may be strings, integers or booleans;
    ``predict`` gives them back in that type. Training settings left at None take the
    defaults of the model kind (``textclf.training.MODEL_DEFAULTS``, chosen on dev data: see
    docs/models.md). Every argument is declared once with its allowed values
    (:data:`textclf.fitting.settings.ARGUMENTS`).

    Example::

        clf = TextClassifier(ngrams=2, epochs=10).fit(texts, labels)
        clf.predict(["a wonderful film"])        # -> ["pos"]
        clf.evaluate(test_texts, test_labels).accuracy
        clf.save("model.textclf"); TextClassifier.load("model.textclf")

        TextClassifier(model="mlp", hidden=(256, 64), dropout=0.5).fit(texts, labels)

    ``settings`` (:class:`~textclf.fitting.settings.FitSettings`) are the arguments, and
    ``fitted`` (:class:`~textclf.fitting.fitted.Fitted`) what ``fit`` or ``load`` made:
    ``labels``, ``classes``, ``featurizer``, ``model``, ``history`` (one record per epoch)
    and ``training_settings`` (the settings used) read it. ``fit`` again starts afresh.
    """

    featurizer = FittedPart()
    model = FittedPart()
    labels = FittedPart([])  # the label names, in the order of predict_proba's columns
    label_type = FittedPart("str")  # the type the labels were given in: str, int or bool
    classes = FittedPart([])  # the labels in that type
    history = FittedPart([])
    calibration = FittedPart()  # the temperature fitted on dev data, and why
    chosen_threshold = FittedPart()  # threshold "auto": the one chosen on dev data
    cluster_report = FittedPart()  # after fit_dask: shards, groups, sizes
    compression = FittedPart()  # how save writes it small (compress)
    provenance = FittedPart({})  # where the model came from: its model card

    def __init__(self, **settings: Any):
        self.settings = FitSettings.from_arguments(**settings)
        if self.settings.model.model == "mlp":  # the network's shape now, not after featurising
            from textclf.fitting.problem import check_network

            check_network(self.settings.model)
        self.fitted: Fitted | None = None
        self._partial: PartialFit | None = None  # partial_fit's trainer, kept between calls

    __init__.__signature__ = signature()  # type: ignore[attr-defined]

    def get_settings(self) -> dict[str, Any]:
        """The arguments this classifier was made with (training ones: None = default)."""
        return self.settings.arguments()

    def __repr__(self) -> str:
        changed = {k: v for k, v in self.get_settings().items() if v != ARGUMENTS[k].default}
        return f"TextClassifier({', '.join(f'{k}={v!r}' for k, v in changed.items())})"

    @property
    def feature_settings(self):
        return self.settings.features if self.fitted is None \
            else self.fitted.featurizer.settings

    @property
    def training_settings(self):
        """The training settings used (before ``fit``: those the model asked for would get;
        ``auto`` previews logistic regression's, and so does ``ensemble``, whose members
        train with their own kind's: logistic or softmax regression's)."""
        if self.fitted is not None:
            return self.fitted.training_settings
        kind = self.settings.model.model
        return self.settings.training_for("logistic" if kind in ("auto", "ensemble") else kind)

    @property
    def multi_label(self) -> bool:
        """Whether the classifier gives each text a set of labels (settled by ``fit``)."""
        return self.fitted.multi_label if self.fitted is not None \
            else bool(self.settings.model.multi_label)

    @property
    def decision_settings(self) -> DecisionSettings:
        """How a multi-label classifier decides (threshold, top_k, at_least_one)."""
        return self.settings.decision if self.fitted is None else self.fitted.decision

    @decision_settings.setter
    def decision_settings(self, decision: DecisionSettings) -> None:
        self.settings.decision = decision
        if self.fitted is not None:
            self.fitted.decision = decision

    @property
    def decision_rule(self) -> DecisionRule | None:
        """How a multi-label classifier chooses each text's labels (None: single-label)."""
        return None if self.fitted is None else self.fitted.decision_rule

    @property
    def tuning(self) -> dict | None:
        """The search that chose these settings (``textclf tune``), if any."""
        return None if self.fitted is None else self.fitted.tuning

    @tuning.setter
    def tuning(self, search: dict | None) -> None:
        self.check_fitted()
        self.fitted.tuning = search

    # training -----------------------------------------------------------------------------------
    def run_options(self, on_epoch_end: EpochCallback | None = None,
                    checkpoint: str | Path | None = None, resume: bool = False,
                    sign_key: bytes | None = None, shuffle: bool = True) -> RunOptions:
        return RunOptions(on_epoch_end, checkpoint, resume, sign_key, self.settings.run.quiet,
                          shuffle)

    def fit(
        self,
        texts: Iterable[str],
        labels: Iterable,
        dev_texts: Iterable[str] | None = None,
        dev_labels: Iterable | None = None,
        on_epoch_end: EpochCallback | None = None,
        *,
        sample_weight: Sequence[float] | None = None,
        dev_sample_weight: Sequence[float] | None = None,
        validation_fraction: float | None = None,
        classes: Iterable | None = None,
        checkpoint: str | Path | None = None,
        resume: bool = False,
        sign_key: bytes | None = None,
    ) -> TextClassifier:
        """Learn the features and θ from labelled texts; report on the dev set if given.

        Labels are strings, integers (Python or numpy) or booleans, or per document a list
        of them (multi-label). ``sample_weight``: one weight ≥ 0 per text, multiplying its
        loss and gradient term (with ``class_weight``, times its class's weight;
        docs/weights.md); ``dev_sample_weight`` weighs the dev loss the same way.
        ``validation_fraction``: without dev texts, the share of the texts held out as the
        dev set where early stopping, calibration or the threshold ``auto`` needs one;
        ``classes``: every label the model is to know (default: the labels of the data).
        ``checkpoint``: a model file rewritten after every epoch with what the run needs to
        go on; ``resume``: go on from it (see :mod:`textclf.fitting.checkpoints`);
        ``sign_key`` signs the checkpoints (and checks the one resumed).
        """
        from textclf.fitting.pipeline import fit

        self.fitted, self._partial = None, None
        self.fitted = fit(self.settings, texts, labels, dev_texts=dev_texts,
                          dev_labels=dev_labels, sample_weight=sample_weight,
                          dev_sample_weight=dev_sample_weight,
                          validation_fraction=validation_fraction, classes=classes,
                          options=self.run_options(on_epoch_end, checkpoint, resume, sign_key))
        return self

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
        from textclf.fitting.streaming import fit_stream

        self.fitted, self._partial = None, None
        self.fitted = fit_stream(self.settings, open_documents, dev, chunk_docs,
                                 self.run_options(on_epoch_end, checkpoint, resume, sign_key,
                                                  shuffle))
        return self

    def continue_training(self, texts: Iterable[str], labels: Iterable,
                          dev_texts: Iterable[str] | None = None,
                          dev_labels: Iterable | None = None, *,
                          extend_vocabulary: bool = False, sample_weight=None,
                          dev_sample_weight=None, checkpoint=None, resume: bool = False,
                          on_epoch_end: EpochCallback | None = None,
                          sign_key: bytes | None = None, **training: Any) -> int:
        """Train this fitted (or loaded) classifier on new documents: from its θ (and its
        optimiser's averages where a checkpoint file kept them), with its featuriser and
        labels; ``extend_vocabulary`` adds the new documents' terms (rows of θ at 0).
        ``training``: training settings to change (epochs, eta, ...). Returns the number of
        terms added (docs/continued-training.md)."""
        from textclf.fitting.incremental import continue_fit

        self.check_fitted()
        self.fitted, added = continue_fit(
            self.fitted, self.settings, texts, labels, dev_texts, dev_labels,
            extend_vocabulary=extend_vocabulary, sample_weight=sample_weight,
            dev_sample_weight=dev_sample_weight,
            options=self.run_options(on_epoch_end, checkpoint, resume, sign_key), **training)
        self.settings = self.settings.replace(**{k: v for k, v in training.items()
                                                 if v is not None})
        self._partial = None
        return added

    def partial_fit(self, texts: Iterable[str], labels: Iterable, classes: Iterable | None = None,
                    sample_weight: Sequence[float] | None = None) -> TextClassifier:
        """One pass of mini-batch SGD over one batch, as scikit-learn's partial_fit: the
        first call names every class (``classes``) and fits the featuriser on its batch
        (use ``hash_bits`` for a stream); η is constant; the optimiser's state carries over
        from call to call."""
        from textclf.fitting.incremental import PartialFit

        if self._partial is None:
            self._partial = PartialFit(self.settings, self.fitted)
        self.fitted = self._partial.step(texts, labels, classes, sample_weight)
        return self

    def fit_dask(self, client: Any, data: Any, *, dev: tuple | None = None,
                 fmt: str | None = None, text_field: str = "text", label_field: str = "label",
                 weight_field: str | None = None, label_sep: str | None = None,
                 on_epoch_end: EpochCallback | None = None,
                 checkpoint: str | Path | None = None, resume: bool = False,
                 sign_key: bytes | None = None) -> TextClassifier:
        """Train on a Dask cluster (docs/distributed.md). ``data``: files, globs or fsspec
        URLs the workers read (each file a shard), a ``dask.bag`` of documents or a
        ``dask.dataframe`` with text and label columns; ``client``: a
        ``distributed.Client``, an address (``local:N``, ``tcp://HOST:PORT``) or None (the
        ``dask`` argument); ``dev``: (texts, labels) or (texts, labels, weights). Mode: the
        ``distributed`` argument. The workers read each file as ``fmt`` (None: by its
        name), documents' weights from ``weight_field``, several labels from a CSV label
        field split at ``label_sep``. ``checkpoint``: a model file written after every
        epoch or iteration; ``resume``: go on from it."""
        self.fitted, self._partial = None, None
        self.fitted = self._fit_on_cluster(
            client, data, dev, None, None, self.run_options(on_epoch_end, checkpoint, resume,
                                                            sign_key=sign_key),
            fmt=fmt, text_field=text_field, label_field=label_field,
            weight_field=weight_field, label_sep=label_sep)
        return self

    def continue_training_dask(self, client: Any, data: Any, *, dev: tuple | None = None,
                               fmt: str | None = None, text_field: str = "text",
                               label_field: str = "label", weight_field: str | None = None,
                               label_sep: str | None = None,
                               on_epoch_end: EpochCallback | None = None,
                               checkpoint: str | Path | None = None, resume: bool = False,
                               sign_key: bytes | None = None,
                               **changes: Any) -> TextClassifier:
        """Train this fitted (or loaded) classifier on with a Dask cluster, from its θ with
        its featuriser and labels, as :meth:`continue_training` does in one process (and
        ``textclf train --dask ... --init-from MODEL``). ``changes``: settings to change (the
        training ones, e.g. ``l2``, and how it runs, e.g. ``max_iter``); the other arguments
        as :meth:`fit_dask`."""
        self.check_fitted()
        settings = self.settings.replace(**changes)
        training = {name: value for name, value in changes.items()
                    if ARGUMENTS[name].group == "training"}
        self.fitted = self._fit_on_cluster(
            client, data, dev, self.fitted, training,
            self.run_options(on_epoch_end, checkpoint, resume, sign_key=sign_key),
            settings=settings, fmt=fmt, text_field=text_field, label_field=label_field,
            weight_field=weight_field, label_sep=label_sep)
        self.settings, self._partial = settings, None
        return self

    def _fit_on_cluster(self, client: Any, data: Any, dev: tuple | None,
                        start: Fitted | None, overrides: dict | None, options: RunOptions,
                        settings: FitSettings | None = None, **reading: Any) -> Fitted:
        from textclf.fitting.cluster import fit_cluster

        return fit_cluster(settings or self.settings, client, data, dev=dev, options=options,
                           start=start, overrides=overrides, **reading)

    # use ----------------------------------------------------------------------------------------
    def check_fitted(self) -> None:
        """Refuse to predict before ``fit`` or ``load``."""
        if self.fitted is None or self.fitted.model is None:
            raise NotFittedError("the classifier is not trained: call fit or load first")

    def transform(self, texts: Iterable[str]) -> sp.csr_matrix:
        """The feature matrix [X | 1] of ``texts`` (any iterable of strings)."""
        self.check_fitted()
        return self.fitted.transform(texts)

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """P(class | text), shape (n, K), columns in ``labels`` order; for a multi-label
        classifier each label's own probability (rows need not sum to 1)."""
        self.check_fitted()
        return self.fitted.predict_proba(texts)

    def predict(self, texts: Sequence[str]) -> list:
        """The most probable label of each text, in the type the training labels were given
        in; for a multi-label classifier, the list of the labels each text gets
        (:meth:`decide`)."""
        self.check_fitted()
        return self.fitted.predict(texts)

    def decide(self, probabilities: np.ndarray) -> np.ndarray:
        """Multi-label: the boolean matrix of the labels each document gets from their
        probabilities, by the decision settings (threshold, top_k, at_least_one)."""
        self.check_fitted()
        return self.fitted.decide(probabilities)

    def evaluate(self, texts: Iterable[str],
                 labels: Iterable) -> EvaluationReport | MultiLabelReport:
        """Accuracy, per-class precision/recall/F1 and confusion matrix on labelled texts;
        for a multi-label classifier micro/macro scores, subset accuracy, Hamming loss,
        P@k and R@k (:mod:`textclf.evaluation.multilabel`); and the calibration of the
        probabilities, ECE and Brier (:mod:`textclf.evaluation.calibration`). Labels the
        model does not know are counted as errors, with a warning; data none of whose
        labels it knows is refused."""
        from textclf.classifier import scoring

        self.check_fitted()
        return scoring.evaluate(self.fitted, texts, labels)

    def explain(self, text: str) -> Explanation:
        """Each feature's part in the score of ``text`` (see :mod:`textclf.explain`)."""
        from textclf.explain.contributions import explain

        self.check_fitted()
        return explain(self.fitted, text)

    def inspect(self, top: int = 10) -> ModelSummary:
        """The strongest features of each class, the bias, settings, history and the
        model card."""
        from textclf.explain.inspection import inspect_model

        self.check_fitted()
        return inspect_model(self.fitted, top)

    def top_features(self, k: int = 10) -> dict[str, list[tuple[str, float]]]:
        """The k terms with the strongest weight towards each class
        (:func:`textclf.explain.inspection.top_features`)."""
        from textclf.explain.inspection import top_features

        self.check_fitted()
        return top_features(self.fitted, k)

    # persistence --------------------------------------------------------------------------------
    def save(self, path: str | Path, sign_key: bytes | None = None) -> None:
        """Write the whole classifier to one model file (atomically); ``sign_key`` seals it
        with an HMAC-SHA256 that only holders of the key can make."""
        self.check_fitted()
        write_model_file(path, self.fitted, sign_key)

    def compress(self, quantize: str | None = "int8",
                 prune_below: float | None = None) -> dict:
        """Make the model file small: θ saved as int8 (one scale per output column) or
        float16, the vocabulary sorted and front-coded, the terms whose weights are all
        below ``prune_below`` dropped (docs/compression.md). Returns what was done."""
        from textclf.fitting import compression

        self.check_fitted()
        return compression.compress(self.fitted, quantize, prune_below)

    @classmethod
    def load(cls, path: str | Path, trust_pattern: bool = False,
             sign_key: bytes | None = None) -> TextClassifier:
        """Read a classifier written by :meth:`save`, checking every part and that the parts
        fit together (a model file is untrusted input: docs/reliability.md). A token pattern
        other than textclf's own runs only with ``trust_pattern``; a signed file loads only
        with its ``sign_key`` (and then only a file that key signed)."""
        fitted = read_model_file(path, trust_pattern, sign_key)
        clf = cls(**classifier_arguments(fitted))
        clf.fitted = fitted
        return clf
