"""``textclf serve`` as a real process on 127.0.0.1: readiness, requests over HTTP, a model
file replaced while a client keeps sending, SIGHUP, a body refused before it is read,
SIGTERM. Every wait is bounded."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from serve_support import (
    TEXTS,
    Server,
    binary_classifier,
    environment,
    other_binary_classifier,
)


@pytest.fixture
def model_path(tmp_path: Path) -> Path:
    path = tmp_path / "reviews.textclf"
    binary_classifier().save(path)
    return path


def version_of(url: str) -> str:
    return httpx.get(f"{url}/v1/models/reviews", timeout=10).json()["version"]


def test_serve_reload_while_busy_and_stop(model_path: Path, tmp_path: Path):
    server = Server(str(model_path))
    try:
        server.wait_ready()
        first = binary_classifier()
        with httpx.Client(base_url=server.url, timeout=30) as http:
            body = http.post("/v1/models/reviews/predict", json={"texts": TEXTS}).json()
            assert [p["label"] for p in body["predictions"]] == first.predict(TEXTS)
            old_version = body["version"]

            # a client keeps sending while the file is replaced (atomically, as save does)
            statuses, versions, stop = [], set(), threading.Event()

            def keep_asking():
                with httpx.Client(base_url=server.url, timeout=30) as own:
                    while not stop.is_set():
                        try:
                            answer = own.post("/v1/models/reviews/predict",
                                              json={"texts": TEXTS})
                            statuses.append(answer.status_code)
                            versions.add(answer.json().get("version"))
                        except httpx.HTTPError as err:
                            statuses.append(repr(err))

            asker = threading.Thread(target=keep_asking)
            asker.start()
            try:
                time.sleep(0.3)
                second = other_binary_classifier()
                second.save(model_path)
                deadline = time.monotonic() + 30
                while version_of(server.url) == old_version and time.monotonic() < deadline:
                    time.sleep(0.05)
                time.sleep(0.3)
            finally:
                stop.set()
                asker.join(timeout=60)
            assert statuses and set(statuses) == {200}, statuses[:5]
            new_version = version_of(server.url)
            assert new_version != old_version and versions == {old_version, new_version}
            server.wait_for_log(f"now serving version {new_version}")
            body = http.post("/v1/models/reviews/predict", json={"texts": TEXTS}).json()
            probabilities = [p["probabilities"]["pos"] for p in body["predictions"]]
            assert probabilities == pytest.approx(second.predict_proba(TEXTS)[:, 1].tolist(),
                                                  abs=1e-12)

            # a corrupt file: the old model stays, the log says why
            part = model_path.with_name("reviews.part")
            part.write_bytes(model_path.read_bytes()[:1000])
            os.replace(part, model_path)
            server.wait_for_log("the new file was not loaded")
            assert http.post("/v1/models/reviews/predict",
                             json={"texts": TEXTS}).json()["version"] == new_version
            assert "not a complete" in http.get("/v1/models").json()["models"][0]["reload_error"]

            # SIGHUP reads the files again
            second.save(model_path)
            server.process.send_signal(signal.SIGHUP)
            server.wait_for_log("SIGHUP")
            deadline = time.monotonic() + 30
            while http.get("/v1/models/reviews").json()["reload_error"] is not None and \
                    time.monotonic() < deadline:
                time.sleep(0.05)
            assert http.get("/v1/models/reviews").json()["reload_error"] is None
    finally:
        status = server.stop(signal.SIGTERM)
    assert status == 0, server.log()
    requests = [line for line in server.lines if '"POST /v1/models/reviews/predict"' in line]
    assert len(requests) >= len(statuses) + 2
    assert all(" ms" in line and " 200 " in line for line in requests)
    assert "Traceback" not in server.log()


def test_a_body_over_the_limit_is_refused_before_it_is_sent(model_path: Path):
    """Content-Length over --max-body: 413 arrives while the client has sent only the headers
    and a little of the body; the server never waits for the rest."""
    server = Server(str(model_path), "--max-body", "1MB")
    try:
        server.wait_ready()
        with socket.create_connection(("127.0.0.1", server.port), timeout=20) as conn:
            conn.sendall(b"POST /v1/models/reviews/predict HTTP/1.1\r\nHost: x\r\n"
                         b"Content-Type: application/json\r\nContent-Length: 50000000\r\n\r\n"
                         + b'{"texts": ["' + b"x" * 10_000)
            reply = b""
            while b"\r\n\r\n" not in reply or not reply.rstrip().endswith(b"}"):
                chunk = conn.recv(65536)
                if not chunk:
                    break
                reply += chunk
        assert reply.startswith(b"HTTP/1.1 413"), reply[:200]
        assert b"--max-body" in reply
        # and the server goes on answering
        assert httpx.get(f"{server.url}/v2/health/ready", timeout=10).status_code == 200
    finally:
        assert server.stop(signal.SIGINT) == 0, server.log()


def test_a_request_in_progress_finishes_when_the_server_is_stopped(model_path: Path):
    """SIGTERM while a large batch is being classified: the answer still arrives, complete,
    then the server exits with status 0."""
    import json

    server = Server(str(model_path))
    texts = [f"{i} a wonderful film, " * 40 for i in range(4000)]  # about 4 MB
    body = json.dumps({"texts": texts}).encode()
    signalled = False
    try:
        server.wait_ready()
        with socket.create_connection(("127.0.0.1", server.port), timeout=60) as conn:
            # All but the body's last bytes go before the signal and the rest after it, so
            # the request is in progress at the signal however fast this machine is.
            conn.sendall(b"POST /v1/models/reviews/predict HTTP/1.1\r\nHost: x\r\n"
                         b"Content-Type: application/json\r\nConnection: close\r\n"
                         + f"Content-Length: {len(body)}\r\n\r\n".encode() + body[:-10])
            time.sleep(0.5)
            server.process.send_signal(signal.SIGTERM)
            signalled = True
            server.wait_for_log("Shutting down")
            conn.sendall(body[-10:])
            reply = b""
            while chunk := conn.recv(1 << 20):
                reply += chunk
        head, _, payload = reply.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200"), reply[:300]
        assert len(json.loads(payload)["predictions"]) == len(texts)
    finally:
        status = server.stop(None if signalled else signal.SIGTERM)
    assert status == 0, server.log()
    shutting = next(i for i, line in enumerate(server.lines) if "Shutting down" in line)
    answered = next(i for i, line in enumerate(server.lines) if '"POST /v1/' in line)
    assert shutting < answered, server.log()  # the request was in progress at the signal


def test_several_workers_serve_and_stop_cleanly(model_path: Path):
    server = Server("--name", f"reviews={model_path}", "--workers", "2")
    try:
        server.wait_ready()
        answer = httpx.post(f"{server.url}/v1/models/reviews/predict",
                            json={"texts": TEXTS}, timeout=30)
        assert answer.status_code == 200
        assert [p["label"] for p in answer.json()["predictions"]] == \
            binary_classifier().predict(TEXTS)
    finally:
        status = server.stop(signal.SIGTERM)
    assert status == 0, server.log()


def run_serve(*args: str, prelude: str = "") -> subprocess.CompletedProcess:
    code = (f"import sys\n{prelude}\nfrom textclf.cli import main\n"
            f"sys.exit(main(sys.argv[1:]))")
    return subprocess.run([sys.executable, "-c", code, "serve", *args], capture_output=True,
                          text=True, timeout=120, env=environment())


def test_bad_model_files_and_a_busy_port_are_one_line_errors(model_path: Path, tmp_path):
    missing = run_serve(str(tmp_path / "missing.textclf"))
    assert missing.returncode == 1
    assert missing.stderr.strip().splitlines() == [
        f"textclf: error: {tmp_path / 'missing.textclf'}: no such model file"]
    twice = run_serve(str(model_path), "--name", f"reviews={model_path}")
    assert twice.returncode == 1 and "two models are named 'reviews'" in twice.stderr
    bad_name = run_serve("--name", f"a/b={model_path}")
    assert bad_name.returncode == 1 and "model name 'a/b'" in bad_name.stderr
    nothing = run_serve()
    assert nothing.returncode == 1 and "no model to serve" in nothing.stderr
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        busy = run_serve(str(model_path), "--port", str(port))
    assert busy.returncode == 1
    assert busy.stderr.strip().splitlines()[-1].startswith(
        f"textclf: error: cannot listen on 127.0.0.1:{port}")
    size = run_serve(str(model_path), "--max-body", "ten")
    assert size.returncode == 2 and "is not a size" in size.stderr


def test_without_the_extra_the_verb_says_what_to_install(model_path: Path):
    result = run_serve(str(model_path), prelude="sys.modules['fastapi'] = None")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "textclf: error: textclf serve needs FastAPI and uvicorn (fastapi is not installed): "
        "pip install 'textclf[serve]'"]


@pytest.mark.parametrize("option, value, words", [
    ("--port", "70000", "is not a port number"),
    ("--port", "http", "is not a port number"),
    ("--watch-interval", "-1", "is not a number of seconds"),
    ("--graceful-timeout", "nan", "is not a number of seconds"),
    ("--max-body", "10 parsecs", "is not a size"),
])
def test_bad_options_are_refused_before_anything_starts(capsys, option, value, words):
    from conftest import run_cli
    with pytest.raises(SystemExit) as stopped:
        run_cli(capsys, "serve", "model.textclf", option, value)
    assert stopped.value.code == 2 and words in capsys.readouterr().err


@pytest.mark.parametrize("option, value, words", [
    ("--max-batch", "0", "--max-batch must be a positive integer"),
    ("--max-concurrency", "-3", "--max-concurrency must be a positive integer"),
    ("--workers", "0", "--workers must be at least 1"),
])
def test_bad_limits_are_one_line_errors(capsys, model_path, option, value, words):
    from conftest import run_cli
    status, _, err = run_cli(capsys, "serve", model_path, option, value)
    assert status == 1 and len(err.strip().splitlines()) == 1
    assert err.startswith(f"textclf: error: {words}")
