"""Shared test data and helpers.

The small corpus below is written, by ``tests/fixtures/make_fixtures.py``, in every input
format under ``tests/fixtures/``; tests compare what each reader returns with these lists.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from textclf import TextClassifier
from textclf.cli import main

FIXTURES = Path(__file__).resolve().parent / "fixtures"
# The shared corpora beside the repository (../shared/datasets). Tests that need one skip,
# saying what is missing, when a clone has none beside it; CI sets TEXTCLF_REQUIRE_DATASETS
# (.ci/run), which makes a missing corpus an error.
DATASETS = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"
REQUIRE_DATASETS = os.environ.get("TEXTCLF_REQUIRE_DATASETS", "") not in ("", "0")


def shared_corpus(name: str) -> Path:
    """The folder of the shared corpus ``name``; skip the test without it (fail under CI)."""
    folder = DATASETS / name
    if not folder.is_dir():
        message = (f"{folder} is missing: the shared data sets belong beside the repository "
                   "(../shared/datasets)")
        if REQUIRE_DATASETS:
            pytest.fail(message + "; TEXTCLF_REQUIRE_DATASETS is set, so this is an error")
        pytest.skip(message)
    return folder
CORPUS = FIXTURES / "corpus"  # the training documents in every format
SPLITS = FIXTURES / "splits"  # a folder tree with train/dev/test split folders

# (text, label) in the order every format stores them: label folders sorted, files sorted.
TRAIN_DOCS: list[tuple[str, str]] = [
    ("a terrible film, with awful acting and a boring plot", "neg"),
    ("I hated it: dull, boring and far too long", "neg"),
    ("the worst movie of the year; awful script, terrible music", "neg"),
    ("don't waste your time on this dull mess", "neg"),
    ("boring from start to end, the acting is terrible", "neg"),
    ('an awful, "clever" idea ruined by dull dialogue', "neg"),
    ("i hated the ending and the terrible jokes", "neg"),
    ("café scenes cannot save this naïve, boring story", "neg"),
    ("a wonderful film with great acting and a clever plot", "pos"),
    ("I loved it: brilliant, moving and never too long", "pos"),
    ("the best movie of the year; great script, wonderful music", "pos"),
    ("don't miss this brilliant, enjoyable story", "pos"),
    ("enjoyable from start to end, the acting is great", "pos"),
    ("a great idea carried by wonderful dialogue", "pos"),
    ("i loved the ending and the brilliant jokes", "pos"),
    ("the café scenes are charming, a wonderful, enjoyable treat", "pos"),
]
DEV_DOCS: list[tuple[str, str]] = [
    ("a dull and terrible movie", "neg"),
    ("awful acting, boring story", "neg"),
    ("a great and wonderful movie", "pos"),
    ("brilliant acting, enjoyable story", "pos"),
]
TEST_DOCS: list[tuple[str, str]] = [
    ("terrible and boring", "neg"),
    ("i hated this awful film", "neg"),
    ("great and enjoyable", "pos"),
    ("i loved this wonderful film", "pos"),
]
# fastText lines with several labels: a multi-label corpus.
MULTILABEL_LINES: list[tuple[str, list[str]]] = [
    ("a great film", ["pos", "good"]),
    ("a terrible film", ["neg"]),
    ("an awful film", ["neg", "bad", "worse"]),
]

TRAIN_TEXTS = [t for t, _ in TRAIN_DOCS]
TRAIN_LABELS = [label for _, label in TRAIN_DOCS]

# Settings that make the tiny corpus learnable in a few milliseconds.
# words alone: the fixture corpora are made of marker words (tests of character n-grams
# ask for them)
SMALL = {"min_df": 1, "epochs": 20, "batch_size": 4, "eta": 1.0, "char_ngrams": None}


def in_order_fit(options: dict, texts, labels, **fit_options):
    """The in-memory fit of textclf's one fitting route with the rows in their own order
    (no shuffling): what a stream read in order must reproduce."""
    from textclf.fitting import FitSettings, RunOptions, fit

    return fit(FitSettings.from_arguments(**options), texts, labels,
               options=RunOptions(shuffle=False), **fit_options)


def sealed(contents) -> bytes:
    """A zip of ``contents`` (a dict, or (name, content) pairs, duplicates allowed; a content
    that is an int is that many spaces, streamed) with a valid checksum trailer, as
    ``modelfile.model_bytes`` seals a file: what someone crafting a model file writes."""
    import hashlib
    import io
    import zipfile

    from textclf.core import modelfile

    pairs = contents.items() if isinstance(contents, dict) else contents
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in pairs:
            if isinstance(content, int):
                with archive.open(name, "w", force_zip64=True) as member:
                    for _ in range(content // (1 << 20)):
                        member.write(b" " * (1 << 20))
            else:
                archive.writestr(name, content)
        archive.comment = b"\0" * modelfile.TRAILER_LENGTH
    body = buffer.getvalue()[: -modelfile.TRAILER_LENGTH]
    return body + modelfile.CHECKSUM_PREFIX + hashlib.sha256(body).hexdigest().encode("ascii")


def run_cli(capsys: pytest.CaptureFixture, *argv: str) -> tuple[int, str, str]:
    """Run ``textclf ARGV`` in-process; return (exit status, stdout, stderr)."""
    capsys.readouterr()  # drop anything printed before
    status = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture(scope="session")
def small_classifier() -> TextClassifier:
    """A classifier trained on the fixture corpus, with the dev split for its history."""
    return TextClassifier(**SMALL).fit(
        TRAIN_TEXTS, TRAIN_LABELS, [t for t, _ in DEV_DOCS], [lab for _, lab in DEV_DOCS]
    )


@pytest.fixture
def model_file(tmp_path: Path, small_classifier: TextClassifier) -> Path:
    path = tmp_path / "model.textclf"
    small_classifier.save(path)
    return path
