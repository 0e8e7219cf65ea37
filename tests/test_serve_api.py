"""The HTTP service's JSON API (/v1), its limits and its errors, through FastAPI's
TestClient (the app in-process)."""

from __future__ import annotations

import json
import re
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from serve_support import TEXTS, TOPIC_TEXTS, api_fixture, client, loaded_fixture, models_fixture  # noqa: F401

from textclf.serve.config import ServeLimits


# listing the models ------------------------------------------------------------------------------
def test_models_lists_each_model_with_its_facts_and_file_version(api, models, loaded):
    listing = api.get("/v1/models").json()["models"]
    assert [m["name"] for m in listing] == ["reviews", "topics"]
    import hashlib
    for entry in listing:
        clf = loaded[entry["name"]]
        digest = hashlib.sha256(models[entry["name"]].read_bytes()).hexdigest()
        assert entry["labels"] == clf.labels
        assert entry["model_kind"] == clf.model.kind
        assert entry["n_features"] == clf.featurizer.n_features
        assert entry["file"]["sha256"] == digest and entry["version"] == digest[:12]
        assert entry["file"]["size"] == models[entry["name"]].stat().st_size
        assert entry["settings"]["training"]["epochs"] == clf.training_settings.epochs
        assert entry["history"]["epochs"] == len(clf.history)
        assert entry["history"]["last"] == clf.history[-1]
        assert entry["loaded_at"].endswith("Z") and entry["reload_error"] is None
        assert set(entry["strongest"]) == set(clf.labels)


def test_one_model_is_described_and_an_unknown_one_is_a_404(api):
    assert api.get("/v1/models/topics").json()["labels"] == ["cooking", "football", "space"]
    answer = api.get("/v1/models/nothing")
    assert answer.status_code == 404
    assert "nothing" in answer.json()["error"] and "reviews" in answer.json()["error"]


# predicting --------------------------------------------------------------------------------------
@pytest.mark.parametrize("name, texts", [("reviews", TEXTS), ("topics", TOPIC_TEXTS)])
def test_predictions_equal_the_classifiers(api, loaded, name, texts):
    answer = api.post(f"/v1/models/{name}/predict", json={"texts": texts})
    assert answer.status_code == 200
    body = answer.json()
    clf = loaded[name]
    assert body["model"] == name and len(body["version"]) == 12
    assert [p["label"] for p in body["predictions"]] == clf.predict(texts)
    P = np.array([[p["probabilities"][label] for label in clf.labels]
                  for p in body["predictions"]])
    np.testing.assert_allclose(P, clf.predict_proba(texts), rtol=0, atol=1e-12)
    for p, row in zip(body["predictions"], P, strict=True):
        assert p["probability"] == pytest.approx(row.max())


def test_a_batch_is_one_vectorised_call(api, loaded, monkeypatch):
    from textclf.classifier import TextClassifier
    calls = []
    original = TextClassifier.predict_proba

    def counted(self, texts):
        calls.append(len(texts))
        return original(self, texts)

    monkeypatch.setattr(TextClassifier, "predict_proba", counted)
    api.post("/v1/models/reviews/predict", json={"texts": TEXTS * 50})
    assert calls == [len(TEXTS) * 50]


def test_top_k_keeps_the_most_probable_classes_in_order(api, loaded):
    body = api.post("/v1/models/topics/predict",
                    json={"texts": TOPIC_TEXTS, "top_k": 2}).json()
    P = loaded["topics"].predict_proba(TOPIC_TEXTS)
    for p, row in zip(body["predictions"], P, strict=True):
        expected = [loaded["topics"].labels[k] for k in np.argsort(-row)[:2]]
        assert list(p["probabilities"]) == expected
        assert p["label"] == expected[0]
    body = api.post("/v1/models/topics/predict", json={"texts": ["x"], "top_k": 99}).json()
    assert len(body["predictions"][0]["probabilities"]) == 3


def test_explain_is_what_textclf_explain_json_prints(api, models, capsys):
    from conftest import run_cli
    text = "a great film, with terrible music"
    status, out, _ = run_cli(capsys, "explain", models["reviews"], text, "--json")
    assert status == 0
    body = api.post("/v1/models/reviews/explain", json={"text": text}).json()
    assert body.pop("model") == "reviews" and len(body.pop("version")) == 12
    assert body == json.loads(out)


def test_concurrent_requests_from_many_threads_get_their_own_answers(api, loaded):
    """The endpoints run in FastAPI's thread pool: many predictions and explanations at
    once, on two models, must not mix their state."""
    texts = TEXTS + TOPIC_TEXTS
    expected = {name: clf.predict_proba(texts) for name, clf in loaded.items()}
    explained = {text: loaded["reviews"].explain(text).to_dict() for text in texts}
    barrier = threading.Barrier(8)

    def ask(i: int):
        if i < 8:
            barrier.wait(timeout=30)  # the first eight start together
        shift = i % len(texts)
        if i % 3 == 2:
            text = texts[shift]
            return "explain", text, api.post("/v1/models/reviews/explain",
                                             json={"text": text}).json()
        name = ("reviews", "topics")[i % 2]
        batch = texts[shift:] + texts[:shift]
        return name, shift, api.post(f"/v1/models/{name}/predict", json={"texts": batch}).json()

    with ThreadPoolExecutor(8) as pool:
        for name, key, body in pool.map(ask, range(96)):
            if name == "explain":
                body.pop("model"), body.pop("version")
                assert body == explained[key]
                continue
            labels = loaded[name].labels
            P = np.array([[p["probabilities"][c] for c in labels] for p in body["predictions"]])
            np.testing.assert_allclose(P, np.roll(expected[name], -key, axis=0), atol=1e-12)


def test_the_page_and_its_files_come_from_the_package_with_nothing_from_outside(api):
    from textclf.serve.page import STATIC
    page = api.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert 'src="static/page.js"' in page.text and 'href="static/page.css"' in page.text
    for path in STATIC.iterdir():
        served = api.get(f"/static/{path.name}")
        assert served.status_code == 200 and served.content == path.read_bytes()
        assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}/", path.read_text()), \
            f"{path.name} refers to another site"
    assert api.get("/static/nothing.js").status_code == 404


# errors ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("body, status, words", [
    (b'{"texts": ["a"', 400, "not valid JSON"),
    (b"[1, 2]", 422, "valid dictionary"),
    (b'{"texts": "one text"}', 422, "texts"),
    (b'{"texts": [1, 2]}', 422, "texts[0]"),
    (b'{"texts": []}', 422, "at least 1"),
    (b'{}', 422, "texts: Field required"),
    (b'{"text": ["a"]}', 422, "texts: Field required"),
    (b'{"texts": ["a"], "top_k": 0}', 422, "top_k"),
    (b'{"texts": ["a"], "top_k": "2"}', 422, "top_k"),
    (b'{"texts": ["a"], "top_k": 1.5}', 422, "top_k"),
    (b'{"texts": ["a"], "extra": 1}', 422, "extra"),
    (b"", 422, "Field required"),
    (b'{"texts": ["\xff"]}', 400, "not valid UTF-8 (byte 0xff at position 12)"),
])
def test_bad_bodies_get_a_4xx_naming_the_problem(api, body, status, words):
    answer = api.post("/v1/models/reviews/predict", content=body,
                      headers={"content-type": "application/json"})
    assert answer.status_code == status, answer.text
    assert words in answer.json()["error"]
    assert "\n" not in answer.json()["error"]


def test_explain_checks_its_body_too(api):
    answer = api.post("/v1/models/reviews/explain", json={"text": 3})
    assert answer.status_code == 422 and answer.json()["error"].startswith("text:")
    assert api.post("/v1/models/nope/explain", json={"text": "a"}).status_code == 404


def test_an_unknown_model_is_a_404(api):
    answer = api.post("/v1/models/nope/predict", json={"texts": ["a"]})
    assert answer.status_code == 404 and "nope" in answer.json()["error"]


def test_a_body_that_is_not_declared_json_is_a_415(api):
    """(A body without any Content-Type was once read as JSON: issue 25 item 8.)"""
    answer = api.post("/v1/models/reviews/predict", content=b"texts=a",
                      headers={"content-type": "application/x-www-form-urlencoded"})
    assert answer.status_code == 415 and "application/json" in answer.json()["error"]
    no_type = api.post("/v1/models/reviews/predict", content=b'{"texts": ["great"]}')
    assert "content-type" not in no_type.request.headers
    assert no_type.status_code == 415 and "without a Content-Type" in no_type.json()["error"]
    typed = api.post("/v1/models/reviews/predict", content=b'{"texts": ["great"]}',
                     headers={"content-type": "application/json; charset=utf-8"})
    assert typed.status_code == 200 and len(typed.json()["predictions"]) == 1


def test_wrong_methods_and_paths_are_4xx(api):
    assert api.get("/v1/models/reviews/predict").status_code == 405
    assert api.get("/v1/nothing").status_code == 404
    assert api.delete("/v1/models").status_code == 405


# limits ------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def strict(models):
    with client(models, max_body=2000, max_batch=3, max_chars=50) as test_client:
        yield test_client


def test_more_texts_than_max_batch_is_a_413(strict):
    answer = strict.post("/v1/models/reviews/predict", json={"texts": ["a"] * 4})
    assert answer.status_code == 413 and "--max-batch" in answer.json()["error"]
    assert strict.post("/v1/models/reviews/predict", json={"texts": ["a"] * 3}).status_code \
        == 200


def test_a_text_over_max_chars_is_a_413_naming_it(strict):
    answer = strict.post("/v1/models/reviews/predict", json={"texts": ["a", "b" * 51]})
    assert answer.status_code == 413 and answer.json()["error"].startswith("texts[1]: 51")
    answer = strict.post("/v1/models/reviews/explain", json={"text": "b" * 51})
    assert answer.status_code == 413 and "--max-chars" in answer.json()["error"]


def test_a_body_over_max_body_is_a_413(strict):
    answer = strict.post("/v1/models/reviews/predict", json={"texts": ["x" * 3000]})
    assert answer.status_code == 413 and "--max-body" in answer.json()["error"]


def test_a_streamed_body_without_length_is_refused_once_it_passes_max_body(strict):
    def chunks():
        yield b'{"texts": ["'
        for _ in range(100):
            yield b"x" * 100
        yield b'"]}'

    answer = strict.post("/v1/models/reviews/predict", content=chunks(),
                         headers={"content-type": "application/json"})
    assert "content-length" not in answer.request.headers
    assert answer.status_code == 413 and "--max-body" in answer.json()["error"]


def test_limits_must_be_positive():
    from textclf.errors import SettingsError
    with pytest.raises(SettingsError, match="--max-batch"):
        ServeLimits(max_batch=0)


def held_app():
    """An ASGI app that reads the body and answers only once ``release`` is set."""
    import asyncio

    release = asyncio.Event()

    async def app(scope, receive, send):
        await receive()
        await release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"done"})

    return app, release


def test_a_full_server_answers_503_at_once_and_recovers():
    """--max-concurrency: one request more than the limit is refused without waiting; the
    health probes are never refused; once a request finishes, the next is served."""
    import asyncio

    import httpx

    from textclf.serve.limits import LimitsMiddleware


    async def scenario():
        slow_app, release = held_app()
        app = LimitsMiddleware(slow_app, ServeLimits(max_concurrency=2))
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            held = [asyncio.create_task(http.post("/v1/x", json={"texts": ["a"]}))
                    for _ in range(2)]
            await asyncio.sleep(0.05)
            refused = await http.post("/v1/x", json={"texts": ["a"]})
            probe = asyncio.create_task(http.get("/v2/health/ready"))
            await asyncio.sleep(0.05)
            release.set()
            finished = await asyncio.gather(*held, probe)
            after = await http.post("/v1/x", json={"texts": ["a"]})
            return refused, finished, after

    refused, finished, after = asyncio.run(scenario())
    assert refused.status_code == 503 and refused.headers["retry-after"] == "1"
    assert "--max-concurrency" in refused.json()["error"]
    assert [r.status_code for r in finished] == [200, 200, 200]
    assert after.status_code == 200


def test_bodies_in_progress_are_bounded_in_bytes_too():
    """--max-pending-bytes: bodies held at once, in all; one more is refused as soon as
    the bytes received pass the budget (what a Content-Length announces is not held in
    advance: a slow client cannot reserve the budget with a large length)."""
    import asyncio

    import httpx

    from textclf.serve.limits import LimitsMiddleware


    def body(size: int) -> bytes:
        return json.dumps({"texts": ["x" * (size - 15)]}).encode()

    async def streamed():
        for _ in range(10):
            yield b" " * 100

    async def scenario():
        slow_app, release = held_app()
        limits = ServeLimits(max_body=1000, max_pending_bytes=1500, max_concurrency=10)
        app = LimitsMiddleware(slow_app, limits)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            held = [asyncio.create_task(http.post("/v1/x", content=body(700),
                                                  headers={"content-type": "application/json"}))
                    for _ in range(2)]
            await asyncio.sleep(0.05)
            assert app.pending_bytes == 1400
            by_length = await http.post("/v1/x", content=body(700),
                                        headers={"content-type": "application/json"})
            by_bytes = await http.post("/v1/x", content=streamed(),
                                       headers={"content-type": "application/json"})
            release.set()
            finished = await asyncio.gather(*held)
            after = await http.post("/v1/x", content=body(700),
                                    headers={"content-type": "application/json"})
            return by_length, by_bytes, finished, after, app.pending_bytes

    by_length, by_bytes, finished, after, pending = asyncio.run(scenario())
    for refused in (by_length, by_bytes):
        assert refused.status_code == 503 and "--max-pending-bytes" in refused.json()["error"]
    assert [r.status_code for r in finished] == [200, 200] and after.status_code == 200
    assert pending == 0


def test_the_byte_budget_holds_at_least_one_body():
    from textclf.errors import SettingsError
    with pytest.raises(SettingsError, match="--max-pending-bytes"):
        ServeLimits(max_body=1000, max_pending_bytes=999)


def test_the_openapi_schema_documents_every_body_and_its_references_resolve(api):
    schema = api.get("/openapi.json").json()
    components = schema["components"]["schemas"]
    bodies = {path: operation["post"]["requestBody"]["content"]["application/json"]["schema"]
              for path, operation in schema["paths"].items() if "post" in operation}
    assert bodies == {
        "/v1/models/{name}/predict": {"$ref": "#/components/schemas/PredictRequest"},
        "/v1/models/{name}/explain": {"$ref": "#/components/schemas/ExplainRequest"},
        "/v2/models/{name}/infer": {"$ref": "#/components/schemas/InferenceRequest"},
        "/v2/models/{name}/versions/{version}/infer":
            {"$ref": "#/components/schemas/InferenceRequest"},
    }
    references = re.findall(r'"\$ref": ?"#/components/schemas/([^"]+)"', json.dumps(schema))
    assert references and all(name in components for name in references)
    assert components["PredictRequest"]["properties"]["texts"]["minItems"] == 1
    assert api.get("/docs").status_code == 200


def test_a_multilabel_model_is_served_with_the_labels_it_gives(tmp_path):
    """A multi-label model: each text's labels are those its threshold gives (as
    TextClassifier.predict), and every label has its own probability."""
    from textclf import TextClassifier

    texts = ["rocket launch orbit", "bake bread oven", "rocket oven", "goal striker",
             "bake a cake", "launch a rocket", "the striker scored", "orbit the moon"] * 4
    labels = [["space"], ["cooking"], ["space", "cooking"], ["football"], ["cooking"],
              ["space"], ["football"], ["space"]] * 4
    clf = TextClassifier(min_df=1, epochs=20, threshold=0.4).fit(texts, labels)
    assert clf.multi_label
    clf.save(tmp_path / "tags.textclf")
    asked = ["a rocket in orbit", "bake it in the oven", "rocket oven", "nothing at all"]
    with client({"tags": tmp_path / "tags.textclf"}) as api:
        body = api.post("/v1/models/tags/predict", json={"texts": asked}).json()
    loaded = TextClassifier.load(tmp_path / "tags.textclf")
    assert [p["labels"] for p in body["predictions"]] == loaded.predict(asked)
    P = np.array([[p["probabilities"][label] for label in loaded.labels]
                  for p in body["predictions"]])
    np.testing.assert_allclose(P, loaded.predict_proba(asked), rtol=0, atol=1e-12)


def test_a_single_label_models_predictions_have_no_label_list(api):
    body = api.post("/v1/models/reviews/predict", json={"texts": ["a fine film"]}).json()
    assert body["predictions"][0]["labels"] is None
