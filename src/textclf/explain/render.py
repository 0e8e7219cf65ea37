"""Explanations as text: contribution tables per score, and the words coloured by share."""

from __future__ import annotations

from collections.abc import Iterator

from textclf.explain.effects import MODEL_NAMES

_ANSI = {"strong+": "\033[1;32m", "weak+": "\033[32m", "strong-": "\033[1;31m",
         "weak-": "\033[31m"}
_RESET = "\033[0m"


def share_level(share: float, scale: float) -> str | None:
    """'strong+', 'weak+', 'weak-', 'strong-' or None, relative to the largest |share|."""
    if scale <= 0 or abs(share) < 0.1 * scale:
        return None
    strength = "strong" if abs(share) >= 0.5 * scale else "weak"
    return strength + ("+" if share > 0 else "-")


def word_segments(explanation, shares: list[float],
                  max_chars: int) -> Iterator[tuple[str, str | None, float]]:
    """The shown text in order as (text between words, word or None, its share), up to
    ``max_chars`` characters, then a note of how many more there are."""
    text = explanation.display_text
    position = 0
    for token, share in zip(explanation.tokens, shares, strict=True):
        if token.start >= max_chars:
            break
        yield text[position : token.start], text[token.start : token.end], share
        position = token.end
    rest = text[position:max_chars]
    if len(text) > max_chars:
        rest += f" … ({len(text) - max_chars} more characters)"
    yield rest, None, 0.0


def colour_words(explanation, shares: list[float], max_chars: int = 3000) -> str:
    """The document with ANSI colours on its words: green toward the class, red against."""
    scale = max((abs(s) for s in shares), default=0.0)
    out = []
    for between, word, share in word_segments(explanation, shares, max_chars):
        level = share_level(share, scale) if word is not None else None
        out.append(between + (f"{_ANSI[level]}{word}{_RESET}" if level else word or ""))
    return "".join(out)


def class_header(c) -> str:
    toward = f"score z toward {c.label}"
    if c.opposite is not None:
        toward += f" (negative: toward {c.opposite})"
    return toward


def format_class(e, c, top: int | None) -> list[str]:
    """The table of one score: contributions sorted by size, bias, sum, probability."""
    exact = e.exact
    lines = [class_header(c)]
    weight_name = "weight" if exact else "∂z/∂value"
    name = "contribution" if exact else "attribution"
    lines.append(f"  {name:>12} {weight_name:>10} {'value':>9}  feature")
    shown = c.top(top)
    for item in shown:
        lines.append(f"  {item.contribution:>+12.4f} {item.weight:>+10.4f} "
                     f"{item.value:>9.4f}  {item.term}")
    if not c.contributions:
        lines.append("  (no word of this document is in the model's vocabulary)")
    rest = c.contributions[len(shown):]
    if rest:
        lines.append(f"  {sum(i.contribution for i in rest):>+12.4f} {'':>10} {'':>9}  "
                     f"({len(rest)} more features)")
    baseline = "bias b" if exact else "baseline: score of an empty document"
    lines.append(f"  {c.baseline:>+12.4f} {'':>10} {'':>9}  {baseline}")
    if not exact:
        lines.append(f"  {c.remainder:>+12.4f} {'':>10} {'':>9}  remainder not captured by "
                     "gradient × input (the network's non-linearity)")
    lines.append(f"  {'─' * 12}")
    z = "z" if e.temperature == 1.0 else f"z/T, T = {e.temperature:.3f}"
    if c.opposite is not None or e.multi_label:
        prob = f"P({c.label}) = σ({z}) = {c.probability:.4f}"
    else:
        prob = f"P({c.label}) = softmax({z})[{c.label}] = {c.probability:.4f}"
    lines.append(f"  {c.score:>+12.4f} {'':>10} {'':>9}  = z;  {prob}")
    return lines


VALUE_NAMES = {"count": "its count in the document", "binary": "1 (present)",
               "tfidf": "its tf-idf value", "nb": "1 (present), scaled with the row",
               "tfidf-nb": "its tf-idf value, scaled with the row"}


def values_line(weighting: str, exact: bool, model_kind: str = "") -> str:
    """What a term's value and weight are for this weighting (docs/explain.md)."""
    value = VALUE_NAMES.get(weighting, "its feature value")
    gain = "θⱼ" if exact else "∂z/∂xⱼ"
    if model_kind == "nb":
        return (f"a term's value: {value}; its weight: θⱼ = log p(term | class) as naive "
                "Bayes counted it, centred over the classes (two classes: the "
                "log-likelihood ratio)")
    if weighting in ("nb", "tfidf-nb"):
        return (f"a term's value: {value} (never negative); its weight: {gain}·rⱼ, with rⱼ "
                "its naive Bayes log-count ratio (two classes: negative where the term is "
                "more frequent in the first; more: its largest size over the classes)")
    return f"a term's value: {value}; its weight: {gain}"


def format_explanation(e, top: int | None = 20, classes: list[str] | None = None,
                       color: bool = False, max_chars: int = 3000) -> str:
    """Prediction, one contribution table per explained class, and the coloured words."""
    probabilities = ", ".join(f"{label} {p:.4f}" for label, p in e.probabilities.items())
    if e.multi_label:  # the labels the text gets, the most probable first
        chosen = sorted(e.predicted_labels or [], key=lambda label: -e.probabilities[label])
        ranked = sorted(e.probabilities.items(), key=lambda kv: -kv[1])[:5]
        lines = [f"labels: {', '.join(chosen) or '(none)'} (each label's own P = σ(z): "
                 + ", ".join(f"{label} {p:.4f}" for label, p in ranked)
                 + (", ..." if len(e.probabilities) > 5 else "") + ")"]
    else:
        lines = [f"prediction: {e.predicted} (P = {e.probabilities[e.predicted]:.4f}; "
                 f"{probabilities})"]
    if e.exact:
        lines.append(f"model: {MODEL_NAMES.get(e.model_kind, e.model_kind)}; each contribution "
                     "is weight × value (= θⱼ·xⱼ), and the contributions plus the bias add up "
                     "to the score z")
    else:
        lines.append(f"model: {MODEL_NAMES.get(e.model_kind, e.model_kind)}; attributions are "
                     "gradient × input, xⱼ·∂z/∂xⱼ: a first-order estimate of each feature's "
                     "part, not an exact decomposition")
    lines.append(values_line(e.weighting, e.exact, e.model_kind))
    default = (e.predicted_labels or [e.predicted]) if e.multi_label else [e.predicted]
    wanted = [e.for_class(label) for label in (classes or default)]
    seen: list = []
    for c in wanted:
        if any(c is s for s in seen):
            continue
        seen.append(c)
        lines.append("")
        lines.extend(format_class(e, c, top))
    if e.n_unknown_tokens:
        lines.append(f"\n{e.n_unknown_tokens} of {len(e.tokens)} words are in no feature of the "
                     "vocabulary and do not count")
    if e.tokens:
        c = seen[0]
        if c.opposite is not None:
            legend = f"green: toward {c.label}, red: toward {c.opposite}"
        else:
            legend = f"green: toward {c.label}, red: against it"
        lines.append(f"\nwords ({legend}; bold: the strongest; an n-gram's contribution is "
                     "shared equally by its words):" if color else
                     "\nwords with the largest shares (an n-gram's contribution is shared "
                     "equally by its words):")
        if color:
            lines.append(colour_words(e, c.word_shares, max_chars))
        else:
            lines.append("  " + strongest_words(e, c.word_shares))
    return "\n".join(lines)


def strongest_words(e, shares: list[float], n: int = 10) -> str:
    per_word: dict[str, float] = {}
    for token, share in zip(e.tokens, shares, strict=True):
        per_word[token.text] = per_word.get(token.text, 0.0) + share
    ranked = sorted(per_word.items(), key=lambda kv: (-abs(kv[1]), kv[0]))[:n]
    return ", ".join(f"{word} ({share:+.3f})" for word, share in ranked if share) or "(none)"
