"""The web page in a real browser: Debian's Chromium, driven headless by Playwright.

Playwright's own browser download cannot work here, so it is pointed at the system's
``chromium`` (``apt-get install -y chromium``; ``scripts/test.sh`` installs it when it can).
Without a browser the test is skipped, saying what is missing, except under CI
(``TEXTCLF_REQUIRE_BROWSER=1``, set by ``.ci/run``), where that is an error.

``TEXTCLF_SCREENSHOT=docs/images/serve.png`` also saves the page's screenshot there (the one
in docs/serving.md).
"""

from __future__ import annotations

import os
import shutil
import signal
from urllib.parse import urlencode

import numpy as np
import pytest
from serve_support import Server

from textclf import TextClassifier, read_corpus

REQUIRE_BROWSER = os.environ.get("TEXTCLF_REQUIRE_BROWSER", "") not in ("", "0")
BROWSERS = ("chromium", "chromium-browser")
# Flags for a headless Chromium in a sandboxless container with no network: without the
# background-networking ones it keeps trying to reach Google's services.
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--disable-dev-shm-usage"]
DOCUMENT = ("A moving, beautifully acted film, though the plot is thin and the ending "
            "is a dull mess.")
LINKED = "an utterly charming and funny delight"
WAIT_MS = 30_000


def missing(what: str) -> None:
    message = f"{what}; the browser test needs it"
    if REQUIRE_BROWSER:
        pytest.fail(message + " (TEXTCLF_REQUIRE_BROWSER is set, so this is an error)")
    pytest.skip(message)


@pytest.fixture(scope="module")
def browser_path() -> str:
    found = next((shutil.which(name) for name in BROWSERS if shutil.which(name)), None)
    if found is None:
        missing("no Chromium found (apt-get install -y chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing("Playwright is not installed (pip install playwright)")
    return found


@pytest.fixture(scope="module")
def served(tmp_path_factory, browser_path):
    """A model of Rotten Tomatoes sentences, served by a real ``textclf serve``."""
    folder = tmp_path_factory.mktemp("page")
    train = read_corpus("builtin:rt", split="train")
    clf = TextClassifier(epochs=3).fit(train.texts, train.labels)
    clf.save(folder / "rt.textclf")
    server = Server(str(folder / "rt.textclf"))
    try:
        server.wait_ready()
        yield server, clf
    finally:
        assert server.stop(signal.SIGTERM) == 0, server.log()


@pytest.fixture
def page(browser_path, tmp_path):
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=browser_path, headless=True,
            args=CHROMIUM_FLAGS, viewport={"width": 1100, "height": 1500})
        try:
            yield context.new_page()
        finally:
            context.close()


def bar_widths(page) -> dict[str, float]:
    """class → the width of its bar, as a fraction of the track."""
    return dict(page.eval_on_selector_all(
        "#bars .bar", "bars => bars.map(b => [b.dataset.label, parseFloat(b.style.width) / 100])"))


def test_type_a_document_and_see_label_bars_and_highlighted_terms(served, page, tmp_path):
    server, clf = served
    page.goto(server.url + "/", timeout=WAIT_MS)
    page.wait_for_selector("body[data-ready=true]", timeout=WAIT_MS)
    assert page.locator("#model option").all_inner_texts() == ["rt"]
    assert "rt" in page.locator("#facts-list").inner_text()
    page.fill("#text", DOCUMENT)
    page.click("#classify")
    page.wait_for_selector("#result:not([hidden])", timeout=WAIT_MS)

    probabilities = clf.predict_proba([DOCUMENT])[0]
    assert page.inner_text("#label") == clf.predict([DOCUMENT])[0]
    widths = bar_widths(page)
    assert set(widths) == set(clf.labels)
    np.testing.assert_allclose([widths[c] for c in clf.labels], probabilities, atol=0.0006)
    towards, against = page.locator(".term.towards"), page.locator(".term.against")
    assert towards.count() > 0 and against.count() > 0
    strongest = clf.explain(DOCUMENT).predicted_class.contributions[0].term
    assert strongest.split()[0] in page.inner_text("#contributions")
    assert page.inner_text("#highlighted") == DOCUMENT
    assert "model=rt" in page.url and "text=" in page.url  # a link to share

    shot = tmp_path / "serve.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    if os.environ.get("TEXTCLF_SCREENSHOT"):
        shutil.copyfile(shot, os.environ["TEXTCLF_SCREENSHOT"])


def test_a_link_opens_the_page_with_the_document_classified(served, page):
    server, clf = served
    page.goto(f"{server.url}/?{urlencode({'model': 'rt', 'text': LINKED})}", timeout=WAIT_MS)
    page.wait_for_selector("#result:not([hidden])", timeout=WAIT_MS)
    assert page.input_value("#text") == LINKED
    assert page.inner_text("#label") == clf.predict([LINKED])[0]
    assert page.locator("#bars .bar").count() == len(clf.labels)


def test_a_link_to_an_unknown_model_says_so(served, page):
    server, _ = served
    page.goto(f"{server.url}/?{urlencode({'model': 'nope', 'text': 'x'})}", timeout=WAIT_MS)
    page.wait_for_selector("#error:not([hidden])", timeout=WAIT_MS)
    assert 'No model named "nope"' in page.inner_text("#error")
    assert page.locator("#result").is_hidden()
