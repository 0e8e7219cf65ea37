"""The report's pictures, drawn with matplotlib (the optional ``plots`` extra).

Figures are made with ``matplotlib.figure.Figure`` and the Agg renderer, never pyplot, so
no screen is needed and no global state is touched. Each function writes one PNG.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from textclf.errors import TextclfError

INSTALL_HINT = "pip install 'textclf[plots]'"
TOWARD = "#1a9850"  # green: toward the class
AGAINST = "#d73027"  # red: against it
TRAIN, DEV, DATA = "#1f77b4", "#ff7f0e", "#555555"
DPI = 110


class PlotsUnavailableError(TextclfError):
    """matplotlib is not installed."""


def require_matplotlib():
    """A maker of Agg-backed figures, or an error saying how to install matplotlib."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as err:
        raise PlotsUnavailableError(
            f"plots need matplotlib, which is not installed; install it with: {INSTALL_HINT}"
        ) from err

    def agg_figure(**kwargs):
        figure = Figure(**kwargs)
        FigureCanvasAgg(figure)  # the Agg renderer: no screen, no global backend switch
        return figure

    return agg_figure


def _save(fig, path: Path) -> Path:
    fig.savefig(path, dpi=DPI, bbox_inches="tight")
    return path


def _note(ax, message: str) -> None:
    ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes,
            fontsize=10, color=DATA, wrap=True)
    ax.set_xticks([])
    ax.set_yticks([])


def _series(history: list[dict], key: str) -> tuple[list[int], list[float]]:
    points = [(r["epoch"], r[key]) for r in history if r.get(key) is not None]
    return [e for e, _ in points], [v for _, v in points]


def _epoch_axis(ax, history: list[dict]) -> None:
    ax.set_xlabel("epoch")
    epochs = len(history)
    if epochs <= 20:
        ax.set_xticks(range(1, epochs + 1))
    ax.grid(alpha=0.3)


def plot_loss(history: list[dict], path: Path, n_classes: int | None = None) -> Path:
    """Mean cross-entropy per epoch on the training data and on the dev data.

    With ``n_classes`` K, a dotted line marks ln K: the loss of a model that gives every
    class probability 1/K (θ = 0), the level a model must get below to have learned anything.
    """
    Figure = require_matplotlib()
    fig = Figure(figsize=(6, 4))
    ax = fig.subplots()
    ax.set_title("loss per epoch (mean cross-entropy)")
    if not history:
        _note(ax, "no training history in this model file")
        return _save(fig, path)
    for key, name, colour in (("train_loss", "training", TRAIN), ("dev_loss", "dev", DEV)):
        epochs, values = _series(history, key)
        if values:
            ax.plot(epochs, values, marker="o", color=colour, label=name)
    if n_classes:
        ax.axhline(math.log(n_classes), linestyle=":", color=DATA,
                   label=f"ln {n_classes} = {math.log(n_classes):.3f} (P = 1/{n_classes} for all)")
    ax.set_ylabel("loss")
    _epoch_axis(ax, history)
    ax.legend()
    return _save(fig, path)


def plot_accuracy(history: list[dict], path: Path, data_accuracy: float | None = None,
                  data_name: str = "this data") -> Path:
    """Accuracy per epoch (training and dev, where recorded) and the final one on DATA."""
    Figure = require_matplotlib()
    fig = Figure(figsize=(6, 4))
    ax = fig.subplots()
    ax.set_title("accuracy per epoch")
    drawn = False
    for key, name, colour in (("train_accuracy", "training (progressive)", TRAIN),
                              ("dev_accuracy", "dev", DEV)):
        epochs, values = _series(history, key)
        if values:
            ax.plot(epochs, values, marker="o", color=colour, label=name)
            drawn = True
    if data_accuracy is not None and history:
        ax.axhline(data_accuracy, color=DATA, linestyle="--",
                   label=f"final model on {data_name}: {data_accuracy:.3f}")
        drawn = True
    if not drawn:
        _note(ax, "no accuracy was recorded during training (no dev set)")
        return _save(fig, path)
    if not any("dev_accuracy" in r or "train_accuracy" in r for r in history):
        ax.text(0.02, 0.02, "accuracy per epoch was not recorded (no dev set)",
                transform=ax.transAxes, fontsize=8, color=DATA)
    ax.set_ylabel("accuracy")
    _epoch_axis(ax, history)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2, fontsize=8,
              frameon=False)
    return _save(fig, path)


def plot_confusion(confusion: np.ndarray, labels: Sequence[str], path: Path) -> Path:
    """Confusion matrix: counts, and normalised by row (each true class sums to 1)."""
    Figure = require_matplotlib()
    k = len(labels)
    cell = 0.45 if k > 6 else 0.9
    side = max(3.5, cell * k + 1.5)
    fig = Figure(figsize=(2 * side + 1.5, side + 0.6))
    axes = fig.subplots(1, 2)
    counts = np.asarray(confusion, dtype=np.float64)
    totals = counts.sum(axis=1, keepdims=True)
    normalised = np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0)
    annotate = k <= 12
    font = 9 if k <= 6 else 6
    for ax, matrix, title, fmt in ((axes[0], counts, "counts", "{:.0f}"),
                                   (axes[1], normalised, "normalised by row (recall)",
                                    "{:.2f}")):
        vmax = matrix.max() if matrix.size and matrix.max() > 0 else 1.0
        image = ax.imshow(matrix, cmap="Blues", vmin=0, vmax=vmax)
        fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
        ax.set_title(f"confusion matrix: {title}")
        ax.set_xticks(range(k))
        ax.set_yticks(range(k))
        ax.set_xticklabels(labels, rotation=45 if k > 2 else 0, ha="right" if k > 2 else "center",
                           fontsize=font + 1)
        ax.set_yticklabels(labels, fontsize=font + 1)
        ax.set_xlabel("predicted label")
        ax.set_ylabel("true label")
        if annotate:
            for i in range(k):
                for j in range(k):
                    value = matrix[i, j]
                    ax.text(j, i, fmt.format(value), ha="center", va="center", fontsize=font,
                            color="white" if value > 0.6 * vmax else "black")
    fig.tight_layout()
    return _save(fig, path)


def plot_per_class(per_class: dict, path: Path) -> Path:
    """Precision, recall and F1 of each class as grouped horizontal bars."""
    Figure = require_matplotlib()
    labels = list(per_class)
    k = len(labels)
    fig = Figure(figsize=(7, max(2.5, 0.55 * k + 1.2)))
    ax = fig.subplots()
    height = 0.26
    y = np.arange(k)
    for offset, name, colour in ((-height, "precision", "#4c72b0"), (0.0, "recall", "#dd8452"),
                                 (height, "F1", "#55a868")):
        values = [getattr(per_class[label], name.lower()) for label in labels]
        bars = ax.barh(y + offset, values, height, label=name, color=colour)
        if k <= 12:
            ax.bar_label(bars, fmt="%.2f", fontsize=7, padding=2)
    ax.set_yticks(y)
    ax.set_yticklabels(labels)
    ax.invert_yaxis()
    ax.set_xlim(0, 1.12)
    ax.set_xlabel("score")
    ax.set_title("precision, recall and F1 per class", pad=20)
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=3, fontsize=8, frameon=False)
    ax.grid(axis="x", alpha=0.3)
    return _save(fig, path)


def plot_features(strongest: dict, path: Path, measure: str = "weight",
                  binary: bool = False) -> Path:
    """The strongest features of each class as horizontal bar charts, one panel per class.

    ``strongest`` maps a class to its ``FeatureWeight`` list (strongest first).
    """
    Figure = require_matplotlib()
    classes = list(strongest)
    n = len(classes)
    columns = min(n, 2 if n <= 4 else 4)
    rows = math.ceil(n / columns)
    top = max((len(v) for v in strongest.values()), default=1) or 1
    fig = Figure(figsize=(4.6 * columns, rows * (0.3 * top + 1.0) + 0.4), layout="constrained")
    axes = np.atleast_1d(fig.subplots(rows, columns)).ravel()
    for ax, label in zip(axes, classes, strict=False):
        features = strongest[label]
        names = [f.term for f in features]
        values = [f.weight for f in features]
        # binary: one score, so green = toward labels[1], red = toward labels[0], as in explain
        colours = [TOWARD if v >= 0 else AGAINST for v in values]
        ax.barh(range(len(values)), values, color=colours)
        ax.set_yticks(range(len(values)))
        ax.set_yticklabels(names, fontsize=8)
        ax.invert_yaxis()
        ax.axvline(0, color="black", linewidth=0.6)
        ax.set_title(f"toward {label}", fontsize=10)
        ax.set_xlabel(measure if len(measure) < 30 else "effect alone", fontsize=8)
        ax.grid(axis="x", alpha=0.3)
        if not features:
            _note(ax, "no features")
    for ax in axes[n:]:
        ax.set_visible(False)
    fig.suptitle("strongest features per class", fontsize=12)
    return _save(fig, path)


def plot_roc(curve, path: Path, positive: str) -> Path:
    """The ROC curve (false positive rate against true positive rate) with its area."""
    Figure = require_matplotlib()
    fig = Figure(figsize=(5, 5))
    ax = fig.subplots()
    ax.plot([0, 1], [0, 1], linestyle=":", color=DATA, label="chance (AUC 0.5)")
    if math.isnan(curve.area):
        _note(ax, "the data holds only one class: no ROC curve")
    else:
        ax.plot(curve.x, curve.y, color=TRAIN, label=f"model (AUC {curve.area:.4f})")
        ax.fill_between(curve.x, curve.y, alpha=0.1, color=TRAIN)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.01)
    ax.set_xlabel("false positive rate FP/N")
    ax.set_ylabel(f"true positive rate TP/P (recall of {positive})")
    ax.set_title(f"ROC curve, positive class {positive}")
    ax.legend(loc="lower right")
    ax.grid(alpha=0.3)
    return _save(fig, path)


def plot_precision_recall(curve, path: Path, positive: str, base_rate: float) -> Path:
    """The precision-recall curve with its area (average precision)."""
    Figure = require_matplotlib()
    fig = Figure(figsize=(5, 5))
    ax = fig.subplots()
    ax.axhline(base_rate, linestyle=":", color=DATA,
               label=f"chance (share of {positive}: {base_rate:.3f})")
    if math.isnan(curve.area):
        _note(ax, f"the data holds no {positive} document: no precision-recall curve")
    else:
        ax.step(curve.x, curve.y, where="post", color=TRAIN,
                label=f"model (average precision {curve.area:.4f})")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.01)
    ax.set_xlabel(f"recall of {positive}")
    ax.set_ylabel(f"precision of {positive}")
    ax.set_title(f"precision-recall curve, positive class {positive}")
    ax.legend(loc="lower left")
    ax.grid(alpha=0.3)
    return _save(fig, path)


def plot_reliability(calibration, path: Path) -> Path:
    """The reliability diagram: in each bin of confidence, the share right (bars) against
    the mean confidence (the diagonal is perfect calibration), with ECE and Brier."""
    Figure = require_matplotlib()
    fig = Figure(figsize=(5.5, 5))
    ax = fig.subplots()
    ax.plot([0, 1], [0, 1], linestyle=":", color=DATA, label="perfect calibration")
    bins = [b for b in calibration.bins if b.count]
    width = 1.0 / calibration.n_bins
    ax.bar([b.low for b in bins], [b.accuracy for b in bins], width=width, align="edge",
           color=TRAIN, alpha=0.75, edgecolor="white", label="share right in the bin")
    ax.plot([b.confidence for b in bins], [b.accuracy for b in bins], marker="o",
            color=DEV, linewidth=1, label="(mean confidence, share right)")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.01)
    what = "P(label | x) of each document-label pair" if calibration.unit != "document" \
        else "confidence: P of the predicted class"
    ax.set_xlabel(what)
    ax.set_ylabel("share right" if calibration.unit == "document" else "share with the label")
    ax.set_title(f"reliability: ECE {calibration.ece:.4f}, Brier {calibration.brier:.4f}")
    ax.legend(loc="upper left", fontsize=8)
    ax.grid(alpha=0.3)
    return _save(fig, path)
