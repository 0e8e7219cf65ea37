"""Every Python example of the README and of docs/ runs as written.

Each page's blocks run in order as one session (a later block may use what an earlier one
made), in a fresh folder. Where a page's example needs data that its text makes earlier
(``texts``, a model file trained on the command line, ``big.jsonl``), :data:`SETUP` makes
a small stand-in first; where an example spends a budget of time, :data:`SHORTER`
shortens it.

The pages that mark the outputs they show (``docs/make_outputs.py``) are run by
tests/test_docs_outputs.py instead, their python blocks with their commands, in page order,
and what the blocks print is compared with what the page shows.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from docs_pages import session_pages

ROOT = Path(__file__).resolve().parents[1]
SESSIONS = {page.name for page in session_pages()}  # run by tests/test_docs_outputs.py
PAGES = [page for page in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
         if page.name not in SESSIONS]

# builtin:rt is sorted by label: every 11th sentence mixes both
CORPUS = """
from textclf import read_corpus
_rt = read_corpus("builtin:rt", split="train")
texts, labels = _rt.texts[::11], _rt.labels[::11]
train_texts, train_labels = texts[:500], labels[:500]
dev_texts, dev_labels = texts[500:], labels[500:]
"""
# multi-label stand-ins: topic words, any subset of three topics per text
MULTI = """
import numpy as np
_rng = np.random.default_rng(0)
_topics = {"joy": ["great", "happy", "love"], "anger": ["hate", "awful", "mad"],
           "gratitude": ["thanks", "thank", "grateful"]}
def _corpus(n):
    texts, sets = [], []
    for _ in range(n):
        chosen = [t for t in _topics if _rng.random() < 0.4]
        words = [w for t in chosen for w in _rng.choice(_topics[t], 2)] + ["so", "much"]
        texts.append(" ".join(words)); sets.append(chosen)
    return texts, sets
texts, label_lists = _corpus(300)
dev_texts, dev_label_lists = _corpus(80)
test_texts, test_label_lists = _corpus(80)
Y = np.array([[t in s for t in sorted(_topics)] for s in label_lists], dtype=int)
"""
SETUP = {
    "compression.md": CORPUS + """
from textclf import TextClassifier
TextClassifier(min_df=1, epochs=2).fit(train_texts, train_labels).save("model.textclf")
""",
    "calibration.md": CORPUS,
    "continued-training.md": CORPUS + """
from textclf import TextClassifier
TextClassifier(min_df=1, epochs=2).fit(train_texts, train_labels).save("model.textclf")
new_texts, new_labels = dev_texts, dev_labels
batches = [(texts[i:i + 100], labels[i:i + 100]) for i in range(0, 300, 100)]
""",
    "multilabel.md": MULTI,
    "weights.md": CORPUS + """
labels = ["spam" if label == "pos" else "ham" for label in labels]
weights = [2.0 if label == "spam" else 1.0 for label in labels]
import numpy as np
X = np.random.default_rng(0).normal(size=(60, 4))
y, s = (X[:, 0] > 0).astype(int), np.ones(60)
""",
    "sklearn.md": CORPUS,
    "speed.md": CORPUS,
    "serving.md": CORPUS + """
from textclf import TextClassifier
TextClassifier(min_df=1, epochs=3).fit(texts, labels).save("imdb.textclf")
""",
}
FILES = {  # made before a page's blocks run
    "speed.md": CORPUS + """
import json
with open("big.jsonl", "w") as handle:
    for text, label in zip(texts, labels):
        handle.write(json.dumps({"text": text, "label": label}) + "\\n")
""",
}
SHORTER = {"budget_seconds=60": "budget_seconds=3"}


def python_blocks(page: Path) -> list[str]:
    return re.findall(r"```python\n(.*?)```", page.read_text(encoding="utf-8"), re.S)


def run_python(code: str, folder: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], cwd=folder, capture_output=True,
                          text=True, timeout=600)


@pytest.mark.parametrize("page", [page for page in PAGES if python_blocks(page)],
                         ids=lambda page: page.name)
def test_python_examples_run(page: Path, tmp_path: Path) -> None:
    blocks = python_blocks(page)
    if page.name in FILES:
        made = run_python(FILES[page.name], tmp_path)
        assert made.returncode == 0, made.stderr
    code = "\n".join(blocks)
    for long, short in SHORTER.items():
        code = code.replace(long, short)
    result = run_python(SETUP.get(page.name, "") + code, tmp_path)
    assert result.returncode == 0, f"{page.name}:\n{code}\n{result.stderr}"


def test_the_pages_with_examples_are_all_run() -> None:
    with_examples = {page.name for page in PAGES if python_blocks(page)} | SESSIONS
    assert {"README.md", "models.md", "tutorial.md", "speed.md"} <= with_examples
    assert not set(SETUP) & SESSIONS, "a page run as a session makes its own data"


def test_the_xor_example_shows_what_it_says(tmp_path: Path) -> None:
    """docs/models.md: a line cannot separate XOR, one hidden layer can."""
    blocks = python_blocks(ROOT / "docs" / "models.md")  # (models.md is a session page)
    xor = next(block for block in blocks if "[1.0, 1.0]" in block)
    result = run_python(xor, tmp_path)
    lines = result.stdout.splitlines()
    assert float(lines[0].split(":")[1]) <= 0.75
    assert float(lines[1].split(":")[1]) == 1.0
