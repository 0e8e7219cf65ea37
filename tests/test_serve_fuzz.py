"""Property tests: whatever a client sends to any endpoint (random JSON, random bytes, odd
model names and versions), the answer is a 2xx or a 4xx, never a 5xx, and the server is
still ready afterwards."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from serve_support import binary_classifier, client

ENDPOINTS = [  # (method, path template); {name} a model name, {version} a version
    ("POST", "/v1/models/{name}/predict"),
    ("POST", "/v1/models/{name}/explain"),
    ("GET", "/v1/models"),
    ("GET", "/v1/models/{name}"),
    ("POST", "/v2/models/{name}/infer"),
    ("POST", "/v2/models/{name}/versions/{version}/infer"),
    ("GET", "/v2/models/{name}"),
    ("GET", "/v2/models/{name}/ready"),
    ("GET", "/v2/models/{name}/versions/{version}"),
    ("GET", "/v2/health/ready"),
    ("GET", "/v2/health/live"),
    ("GET", "/v2"),
    ("GET", "/"),
    ("GET", "/static/page.js"),
]
FUZZ = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=8), inner,
                                                                 max_size=5),
    max_leaves=30,
)
texts = st.text(max_size=200)
tensor = st.fixed_dictionaries({
    "name": st.text(max_size=8) | json_values,
    "shape": st.lists(st.integers(-2, 6), max_size=3) | json_values,
    "datatype": st.sampled_from(["BYTES", "FP32", "INT64", "bytes"]) | json_values,
    "data": st.lists(texts | json_values, max_size=6) | json_values,
}, optional={"parameters": st.dictionaries(st.sampled_from(["content_type", "x"]),
                                           st.sampled_from(["str", "np"]) | json_values)})
# bodies shaped like real requests, with random parts, reach past the first validation
bodies = st.one_of(
    json_values,
    st.fixed_dictionaries({"texts": st.lists(texts, max_size=5) | json_values},
                          optional={"top_k": st.integers(-2, 5) | json_values}),
    st.fixed_dictionaries({"text": texts | json_values}),
    st.fixed_dictionaries({"inputs": st.lists(tensor, max_size=2) | json_values},
                          optional={"id": st.text(max_size=8) | json_values,
                                    "outputs": st.lists(st.fixed_dictionaries(
                                        {"name": st.sampled_from(["label", "probabilities",
                                                                  "x"]) | json_values}),
                                        max_size=3) | json_values,
                                    "parameters": json_values}),
)
names = st.sampled_from(["reviews", "nothing"]) | st.text(max_size=12)


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    path = Path(tmp_path_factory.mktemp("served")) / "reviews.textclf"
    binary_classifier().save(path)
    with client({"reviews": path}, max_body=20_000, max_batch=4, max_chars=100) as test_client:
        test_client.version = test_client.get("/v2/models/reviews").json()["versions"][0]
        yield test_client


def url(template: str, name: str, version: str) -> str:
    from urllib.parse import quote
    return template.format(name=quote(name, safe=""), version=quote(version, safe=""))


def check(answer) -> None:
    event(f"status {answer.status_code}")  # --hypothesis-show-statistics: what was reached
    assert answer.status_code < 500, (answer.status_code, answer.text[:500])


@FUZZ
@given(endpoint=st.sampled_from(ENDPOINTS), name=names, body=bodies,
       live_version=st.booleans())
def test_random_json_never_gets_a_5xx(api, endpoint, name, body, live_version):
    method, template = endpoint
    # json.dumps writes NaN and Infinity as Python's json.loads reads them: a client may too
    answer = api.request(method, url(template, name, api.version if live_version else name),
                         content=json.dumps(body).encode(),
                         headers={"content-type": "application/json"})
    check(answer)


@FUZZ
@given(endpoint=st.sampled_from(ENDPOINTS), name=names, body=st.binary(max_size=300),
       content_type=st.sampled_from([None, "application/json", "text/plain",
                                     "application/json; charset=latin-1", "multipart/form-data"]))
def test_random_bytes_never_get_a_5xx(api, endpoint, name, body, content_type):
    method, template = endpoint
    headers = {"content-type": content_type} if content_type else {}
    check(api.request(method, url(template, name, api.version), content=body, headers=headers))


@FUZZ
@given(path=st.text(max_size=40), method=st.sampled_from(["GET", "POST", "PUT", "DELETE",
                                                          "OPTIONS", "HEAD", "PATCH"]))
def test_random_paths_and_methods_never_get_a_5xx(api, path, method):
    from urllib.parse import quote
    check(api.request(method, "/" + quote(path, safe="/?=&"), content=b"{}"))


def test_the_server_is_still_ready_afterwards(api):
    assert api.get("/v2/health/ready").json() == {"ready": True}
    assert api.post("/v1/models/reviews/predict", json={"texts": ["good"]}).status_code == 200
