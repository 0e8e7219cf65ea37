"""The report as one offline HTML page: scores, the plots, and the most confident mistakes."""

from __future__ import annotations

import base64
import html
import math
from collections.abc import Sequence
from pathlib import Path

from textclf.explain.effects import MODEL_NAMES
from textclf.explain.render import share_level, word_segments

IMAGES = {
    "loss": "loss.png",
    "accuracy": "accuracy.png",
    "confusion": "confusion.png",
    "per_class": "per_class.png",
    "reliability": "reliability.png",
    "features": "features.png",
    "roc": "roc.png",
    "pr": "pr.png",
}
BINARY_ONLY = ("roc", "pr")

_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em;
       color: #222; line-height: 1.45; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 2em; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; margin: 0.5em 0; font-size: 0.9em; }
th, td { padding: 2px 10px; text-align: right; border-bottom: 1px solid #eee; }
th:first-child, td:first-child, td.term { text-align: left; }
figure { margin: 1em 0; } figcaption { font-size: 0.9em; color: #555; max-width: 800px; }
img { max-width: 100%; border: 1px solid #eee; }
.doc { font-family: ui-monospace, monospace; font-size: 0.85em; white-space: pre-wrap;
       background: #fafafa; padding: 0.6em; border: 1px solid #eee; }
.wrong { margin-bottom: 2em; }
.small { font-size: 0.85em; color: #555; }
"""

_CAPTIONS = {
    "loss": "Mean cross-entropy per epoch, L = −(1/N) Σᵢ log P(yᵢ | xᵢ), on the training data "
            "(running mean during the epoch) and on the dev data (after the epoch). The dotted "
            "line is ln K, the loss of giving every one of the K classes probability 1/K.",
    "accuracy": "Accuracy per epoch on the training data and the dev set, where training "
                "recorded them, and the final model's accuracy on the data of this report "
                "(dashed).",
    "confusion": "Rows: true label; columns: predicted label. Left: counts; right: each row "
                 "divided by its total, so the diagonal is each class's recall.",
    "per_class": "Precision TP/(TP+FP), recall TP/(TP+FN) and F1 = 2PR/(P+R) of each class.",
    "reliability": "The predictions cut into 15 equal-width bins of confidence: in each, the "
                   "share right against the mean confidence. A calibrated model's points lie on "
                   "the diagonal; ECE = Σ_b (n_b/N)·|acc_b − conf_b|, the Brier score is the mean "
                   "squared distance of the probabilities from the truth (docs/calibration.md).",
    "features": "The features with the strongest weights toward each class (green: toward, "
                "red: against).",
    "roc": "True positive rate against false positive rate as the threshold on "
           "P(positive | x) falls; the area (AUC) is the chance that a random positive "
           "document scores above a random negative one.",
    "pr": "Precision against recall as the threshold falls; the area is the average "
          "precision AP = Σₙ (Rₙ − Rₙ₋₁)·Pₙ.",
}


def _image_src(path: Path, embed: bool) -> str:
    if embed:
        return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")
    return html.escape(path.name)


def _figure(key: str, path: Path, embed: bool, caption: str | None = None) -> str:
    caption = caption or _CAPTIONS[key]
    return (f'<figure><img src="{_image_src(path, embed)}" alt="{html.escape(path.name)}">'
            f"<figcaption>{html.escape(caption)}</figcaption></figure>")


def _table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(cell))}</td>" for cell in row) + "</tr>"
        for row in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def _background(share: float, scale: float) -> str | None:
    """Green (toward) or red (against), as opaque as the share is large."""
    if share_level(share, scale) is None:
        return None
    alpha = 0.12 + 0.5 * abs(share) / scale
    return f"rgba(26,152,80,{alpha:.2f})" if share > 0 else f"rgba(215,48,39,{alpha:.2f})"


def coloured_html(e, shares: Sequence[float], max_chars: int = 2000) -> str:
    """The document as HTML with each word's background coloured by its share."""
    scale = max((abs(s) for s in shares), default=0.0)
    out = []
    for between, word, share in word_segments(e, list(shares), max_chars):
        out.append(html.escape(between))
        background = _background(share, scale) if word is not None else None
        if background:
            out.append(f'<span style="background:{background}" title="{share:+.4f}">'
                       f"{html.escape(word)}</span>")
        elif word is not None:
            out.append(html.escape(word))
    return "".join(out)


def _wrong_html(w, top: int = 8) -> str:
    e = w.explanation
    c = e.predicted_class
    direction = (f"score z toward {c.label} (negative: toward {c.opposite})"
                 if c.opposite is not None else f"score z of {c.label}")
    name = "contribution θⱼxⱼ" if e.exact else "attribution xⱼ·∂z/∂xⱼ"
    rows = [(f"{i.contribution:+.4f}", f"{i.weight:+.4f}", f"{i.value:.4f}", i.term)
            for i in c.top(top)]
    rest = c.contributions[top:]
    if rest:
        rows.append((f"{sum(i.contribution for i in rest):+.4f}", "", "",
                     f"({len(rest)} more features)"))
    rows.append((f"{c.baseline:+.4f}", "", "", "bias b" if e.exact else
                 "score of an empty document"))
    if not e.exact:
        rows.append((f"{c.remainder:+.4f}", "", "", "remainder (non-linearity)"))
    rows.append((f"{c.score:+.4f}", "", "", "= z"))
    return (
        f'<div class="wrong"><h3>{html.escape(w.id)}: true {html.escape(w.true_label)}, '
        f"predicted {html.escape(w.predicted)} with P = {w.confidence:.4f}</h3>"
        f'<p class="small">{html.escape(direction)}; green words push toward '
        f"{html.escape(c.label)}, red words against.</p>"
        + _table([name, "weight" if e.exact else "∂z/∂value", "value", "feature"], rows)
        + f'<div class="doc">{coloured_html(e, c.word_shares)}</div></div>'
    )


def render_html(result, clf, summary, *, data_name: str, model_name: str,
                embed_images: bool) -> str:
    """The report page: a single HTML file with inline style and no outside resources."""
    ev = result.evaluation
    binary = len(clf.labels) == 2 and not clf.multi_label
    title = f"textclf report: {model_name} on {data_name}"
    parts = [f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
             f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>",
             f"<h1>{html.escape(title)}</h1>"]
    model_rows = [
        ("model", MODEL_NAMES.get(clf.model.kind, clf.model.kind)),
        ("classes", ", ".join(clf.labels)),
        ("features", f"{len(clf.featurizer.terms)} "
                     f"{'hashed columns' if clf.featurizer.kind == 'hashing' else 'terms'} "
                     "+ bias"),
        ("epochs trained", len(clf.history)),
    ]
    rule = clf.decision_rule
    if rule is not None:  # a multi-label model: which labels a document gets
        model_rows.append(("decision threshold", f"{rule.threshold:g}"
                           + (" (chosen on the dev set)" if clf.chosen_threshold else "")
                           + (f", at most the {rule.top_k} most probable" if rule.top_k else "")
                           + (", at least the most probable" if rule.at_least_one else "")))
    model_rows += [(f"training {k}", v) for k, v in clf.training_settings.as_dict().items()]
    parts.append("<h2>Model</h2>" + _table(["", ""], model_rows))

    if getattr(ev, "multi_label", False):
        scores = [("documents", ev.n_documents), ("micro F1", f"{ev.micro_f1:.4f}"),
                  ("macro F1", f"{ev.macro_f1:.4f}"),
                  ("subset accuracy", f"{ev.subset_accuracy:.4f}"),
                  ("Hamming loss", f"{ev.hamming_loss:.5f}")]
        scores += [(f"P@{k} / R@{k}", f"{ev.precision_at_k[k]:.4f} / {ev.recall_at_k[k]:.4f}")
                   for k in ev.precision_at_k]
    else:
        scores = [("documents", ev.n_documents), ("accuracy", f"{ev.accuracy:.4f}"),
                  ("macro F1", f"{ev.macro_f1:.4f}")]
    if ev.calibration is not None:
        scores += [("expected calibration error (15 bins)", f"{ev.calibration.ece:.4f}"),
                   ("Brier score", f"{ev.calibration.brier:.4f}")]
    if clf.model.temperature != 1.0:
        scores.append(("temperature T (probabilities of z/T)", f"{clf.model.temperature:.4f}"))
    if result.roc_auc is not None:
        scores.append(("ROC AUC", _fmt(result.roc_auc)))
        scores.append(("average precision (area under PR)", _fmt(result.average_precision)))
    parts.append("<h2>Scores</h2>" + _table(["", ""], scores))
    parts.append(_table(["class", "precision", "recall", "F1", "support"],
                        [(label, f"{s.precision:.4f}", f"{s.recall:.4f}", f"{s.f1:.4f}",
                          s.support) for label, s in ev.per_class.items()]))
    if ev.unknown_labels:
        unknown = ", ".join(f"{k} ({v})" for k, v in sorted(ev.unknown_labels.items()))
        parts.append(f"<p class='small'>labels the model does not know, counted as errors: "
                     f"{html.escape(unknown)}</p>")

    parts.append("<h2>Training</h2>")
    for key in ("loss", "accuracy"):
        parts.append(_figure(key, result.images[key], embed_images))
    parts.append("<h2>Errors</h2>")
    for key in ("confusion", "per_class", "reliability"):
        if key in result.images:
            parts.append(_figure(key, result.images[key], embed_images))
    if "roc" in result.images:
        parts.append("<h2>Ranking quality (binary)</h2>")
        for key in BINARY_ONLY:
            parts.append(_figure(key, result.images[key], embed_images))
    parts.append("<h2>What the model learned</h2>")
    caption = _CAPTIONS["features"]
    if binary:
        caption = (f"One score z = Σⱼ wⱼxⱼ + b decides between {clf.labels[1]} (z > 0) and "
                   f"{clf.labels[0]} (z < 0): the largest weights (green) push toward "
                   f"{clf.labels[1]}, the most negative (red) toward {clf.labels[0]}.")
    if summary.measure != "weight":
        caption = ("For a network a term has no single weight: shown is its effect alone, "
                   "z(document of that term only) − z(empty document).")
    parts.append(_figure("features", result.images["features"], embed_images, caption))

    parts.append("<h2>Most confidently wrong</h2>")
    if not result.wrong:
        parts.append("<p>The model labelled every document correctly.</p>")
    else:
        method = ("each feature's contribution θⱼ·xⱼ (exact: they and the bias add up to z)"
                  if result.wrong[0].explanation.exact else
                  "gradient × input attributions xⱼ·∂z/∂xⱼ (a first-order estimate)")
        parts.append(f"<p class='small'>The documents the model got wrong with the highest "
                     f"probability for its wrong label, with {html.escape(method)}. An n-gram's "
                     "contribution is shared equally by its words.</p>")
        parts.extend(_wrong_html(w) for w in result.wrong)
    parts.append("<p class='small'>Made by textclf; this page loads nothing from the "
                 "network.</p></body></html>")
    return "\n".join(parts)


def _fmt(value: float | None) -> str:
    return "n/a (one class only)" if value is None or math.isnan(value) else f"{value:.4f}"
