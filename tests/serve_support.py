"""Shared by the serve tests: small models on disk, an app around them, a real server."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from conftest import SMALL, TRAIN_LABELS, TRAIN_TEXTS
from fastapi.testclient import TestClient
from topic_corpus import TRAIN as TOPIC_TRAIN

from textclf import TextClassifier
from textclf.serve import ServeConfig, ServeLimits, create_app

TEXTS = ["a wonderful film with great acting", "a dull, boring and terrible movie",
         "i loved the brilliant music", "awful", "", "café scenes, naïve story — 映画"]
TOPIC_TEXTS = ["the rocket will launch to orbit", "bake the dough in the oven",
               "the striker scored a penalty goal"]


def binary_classifier() -> TextClassifier:
    return TextClassifier(**SMALL).fit(TRAIN_TEXTS, TRAIN_LABELS)


def topic_classifier() -> TextClassifier:
    return TextClassifier(min_df=1, epochs=10).fit(*TOPIC_TRAIN)


def other_binary_classifier() -> TextClassifier:
    """Another model of the same corpus: unigrams, so its probabilities differ."""
    return TextClassifier(**SMALL, ngrams=1, weighting="count").fit(TRAIN_TEXTS, TRAIN_LABELS)


# Fixtures shared by the serve tests: a test module imports them (``models_fixture`` ...)
# and asks for them by their names (``models`` ...).
@pytest.fixture(scope="module", name="models")
def models_fixture(tmp_path_factory) -> dict[str, Path]:
    """A binary model ("reviews") and a three-class one ("topics"), saved."""
    folder = tmp_path_factory.mktemp("served")
    paths = {"reviews": folder / "reviews.textclf", "topics": folder / "topics.textclf"}
    binary_classifier().save(paths["reviews"])
    topic_classifier().save(paths["topics"])
    return paths


@pytest.fixture(scope="module", name="api")
def api_fixture(models):
    """The app serving ``models``, through FastAPI's TestClient."""
    with client(models) as test_client:
        yield test_client


@pytest.fixture(scope="module", name="loaded")
def loaded_fixture(models):
    """The classifiers of ``models``, as TextClassifier.load reads them."""
    return {name: TextClassifier.load(path) for name, path in models.items()}


def client(models: dict[str, Path], **limits) -> TestClient:
    config = ServeConfig(models={name: str(path) for name, path in models.items()},
                         limits=ServeLimits(**limits), watch_interval=0)
    return TestClient(create_app(config), raise_server_exceptions=False)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


ROOT = Path(__file__).resolve().parents[1]
START_SECONDS = 60  # importing numpy, numba, FastAPI and compiling the kernels, on a busy machine
STOP_SECONDS = 20


def environment() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), env.get("PYTHONPATH", "")])
    return env


def textclf_command() -> str:
    """The ``textclf`` script installed beside this Python (pip install -e '.[test]')."""
    command = shutil.which("textclf", path=str(Path(sys.executable).parent)) or \
        shutil.which("textclf")
    assert command, "the textclf command is not installed: pip install -e '.[serve,test]'"
    return command


class Server:
    """``textclf serve ARGS`` on a free port, its standard error collected."""

    def __init__(self, *args: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [textclf_command(), "serve", *args, "--port", str(self.port),
                   "--watch-interval", "0.2"]
        self.process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True,
                                        env=environment())
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self.read_log, daemon=True)
        self.reader.start()

    def read_log(self) -> None:
        for line in self.process.stderr:
            self.lines.append(line.rstrip("\n"))

    def log(self) -> str:
        return "\n".join(self.lines)

    def wait_ready(self) -> None:
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"the server exited with {self.process.returncode}:\n{self.log()}")
            try:
                if httpx.get(f"{self.url}/v2/health/ready", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        pytest.fail(f"the server was not ready within {START_SECONDS} s:\n{self.log()}")

    def wait_for_log(self, words: str, seconds: float = 20) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if any(words in line for line in self.lines):
                return
            time.sleep(0.05)
        pytest.fail(f"no log line with {words!r} within {seconds} s:\n{self.log()}")

    def stop(self, sig: int | None = signal.SIGTERM) -> int:
        """Send ``sig`` (None: it was sent already) and wait for the exit status."""
        if sig is not None and self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            return self.process.wait(timeout=STOP_SECONDS)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait(timeout=STOP_SECONDS)
            self.reader.join(timeout=STOP_SECONDS)
