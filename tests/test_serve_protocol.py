"""The Open Inference Protocol (v2) endpoints, checked against the protocol's published
request and response examples and its response schemas.

The examples and the required fields below are those of the specification,
https://github.com/kserve/open-inference-protocol, specification/protocol/inference_rest.md
and open_inference_rest.yaml (the same text as KServe's docs/predict-api/v2/required_api.md).
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from serve_support import TEXTS, TOPIC_TEXTS, api_fixture, client, loaded_fixture, models_fixture  # noqa: F401

# The specification's inference request example, verbatim: two inputs, one requested output.
SPEC_REQUEST = {
    "id": "42",
    "inputs": [
        {"name": "input0", "shape": [2, 2], "datatype": "UINT32", "data": [1, 2, 3, 4]},
        {"name": "input1", "shape": [3], "datatype": "BOOL", "data": [True]},
    ],
    "outputs": [{"name": "output0"}],
}
# ... and its response for a model returning a [3, 2] FP32 tensor.
SPEC_RESPONSE = {
    "id": "42",
    "outputs": [{"name": "output0", "shape": [3, 2], "datatype": "FP32",
                 "data": [1.0, 1.1, 2.0, 2.1, 3.0, 3.1]}],
}
DATATYPES = {"BOOL", "UINT8", "UINT16", "UINT32", "UINT64", "INT8", "INT16", "INT32", "INT64",
             "FP16", "FP32", "FP64", "BYTES"}


def check_response_output(tensor: dict) -> None:
    """$response_output: name, shape, datatype, data required; data fills the shape."""
    assert {"name", "shape", "datatype", "data"} <= set(tensor)
    assert isinstance(tensor["name"], str) and tensor["datatype"] in DATATYPES
    assert all(isinstance(d, int) and d >= 0 for d in tensor["shape"])
    assert len(tensor["data"]) == int(np.prod(tensor["shape"]))  # flat, row-major
    for value in tensor.get("parameters", {}).values():
        assert isinstance(value, str | int | float | bool)


def check_inference_response(body: dict) -> None:
    """$inference_response: model_name and outputs required; id a string."""
    assert isinstance(body["model_name"], str) and isinstance(body["outputs"], list)
    assert isinstance(body.get("id", ""), str)
    assert isinstance(body.get("model_version", ""), str)
    for tensor in body["outputs"]:
        check_response_output(tensor)


def check_error(answer, status: int = 400) -> str:
    """$inference_error_response / $metadata_*_error_response: {"error": $string}."""
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert set(body) == {"error"} and isinstance(body["error"], str) and body["error"]
    return body["error"]


def test_the_published_response_example_passes_the_checks():
    """The checks accept the specification's own response (with model_name added, which
    the schema requires and the example leaves out)."""
    check_inference_response({"model_name": "mymodel", **SPEC_RESPONSE})


def text_request(texts, shape=None, **extra) -> dict:
    """The specification's example request, with a BYTES tensor of texts as its input."""
    tensor = {"name": "text", "shape": shape or [len(texts)], "datatype": "BYTES",
              "data": texts}
    return {"id": "42", "inputs": [tensor], **extra}


# health and metadata ------------------------------------------------------------------------------
def test_health_endpoints_answer_200(api):
    assert api.get("/v2/health/live").status_code == 200
    assert api.get("/v2/health/live").json() == {"live": True}
    assert api.get("/v2/health/ready").json() == {"ready": True}
    assert api.get("/v2/models/reviews/ready").json() == {"name": "reviews", "ready": True}
    check_error(api.get("/v2/models/nothing/ready"), 404)


def test_server_metadata(api):
    body = api.get("/v2").json()
    assert body["name"] == "textclf" and isinstance(body["version"], str)
    assert body["extensions"] == []


def test_model_metadata_describes_the_text_input_and_the_three_outputs(api, loaded):
    body = api.get("/v2/models/topics").json()
    assert body["name"] == "topics" and body["platform"] == "textclf"
    assert len(body["versions"]) == 1 and len(body["versions"][0]) == 12
    assert body["inputs"] == [{"name": "text", "datatype": "BYTES", "shape": [-1]}]
    assert [(t["name"], t["datatype"], t["shape"]) for t in body["outputs"]] == [
        ("label", "BYTES", [-1]), ("probability", "FP64", [-1]),
        ("probabilities", "FP64", [-1, 3])]
    assert json.loads(body["parameters"]["labels"]) == loaded["topics"].labels
    check_error(api.get("/v2/models/nothing"), 404)


def test_a_version_path_answers_for_the_live_version_only(api):
    version = api.get("/v2/models/reviews").json()["versions"][0]
    assert api.get(f"/v2/models/reviews/versions/{version}").status_code == 200
    assert api.get(f"/v2/models/reviews/versions/{version}/ready").status_code == 200
    answer = api.post(f"/v2/models/reviews/versions/{version}/infer",
                      json=text_request(["great"]))
    assert answer.json()["model_version"] == version
    assert "live version" in check_error(api.get("/v2/models/reviews/versions/000/ready"), 404)


# inference ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("name, texts", [("reviews", TEXTS), ("topics", TOPIC_TEXTS)])
def test_inference_returns_labels_and_probabilities_of_the_classifier(api, loaded, name, texts):
    answer = api.post(f"/v2/models/{name}/infer", json=text_request(texts))
    assert answer.status_code == 200
    body = answer.json()
    check_inference_response(body)
    assert body["id"] == "42" and body["model_name"] == name
    outputs = {t["name"]: t for t in body["outputs"]}
    clf = loaded[name]
    n, k = len(texts), len(clf.labels)
    assert outputs["label"]["data"] == clf.predict(texts)
    assert outputs["label"]["shape"] == [n] and outputs["label"]["datatype"] == "BYTES"
    P = clf.predict_proba(texts)
    assert outputs["probabilities"]["shape"] == [n, k]
    np.testing.assert_allclose(np.reshape(outputs["probabilities"]["data"], (n, k)), P,
                               atol=1e-12)
    assert json.loads(outputs["probabilities"]["parameters"]["labels"]) == clf.labels
    np.testing.assert_allclose(outputs["probability"]["data"], P.max(axis=1), atol=1e-12)


def test_texts_may_come_as_n_by_1_nested_with_mlserver_content_type(api, loaded):
    request = text_request([[t] for t in TEXTS], shape=[len(TEXTS), 1])
    request["inputs"][0]["parameters"] = {"content_type": "str"}
    body = api.post("/v2/models/reviews/infer", json=request).json()
    check_inference_response(body)
    assert body["outputs"][0]["data"] == loaded["reviews"].predict(TEXTS)


def test_requested_outputs_only_in_the_order_asked(api):
    body = api.post("/v2/models/reviews/infer", json=text_request(
        TEXTS, outputs=[{"name": "probabilities"}, {"name": "label"}])).json()
    assert [t["name"] for t in body["outputs"]] == ["probabilities", "label"]


def test_a_request_without_id_gets_one(api):
    request = text_request(["great"])
    del request["id"]
    body = api.post("/v2/models/reviews/infer", json=request).json()
    assert isinstance(body["id"], str) and body["id"]


def test_the_published_request_example_is_refused_with_the_error_object(api):
    """The specification's example request (a UINT32 and a BOOL tensor) is not one a text
    classifier can answer: a 400 with the protocol's error object, naming why."""
    message = check_error(api.post("/v2/models/reviews/infer", json=SPEC_REQUEST))
    assert "one input tensor" in message and "BYTES" in message


@pytest.mark.parametrize("change, words", [
    ({"datatype": "UINT32", "data": [1, 2]}, "datatype 'UINT32'"),
    ({"shape": [3]}, "shape [3] holds 3 texts but data has 2"),
    ({"shape": [2, 2], "data": ["a", "b", "c", "d"]}, "shape [2, 2]"),
    ({"shape": []}, "shape []"),
    ({"shape": [0], "data": []}, "no texts"),
    ({"data": ["a", 3]}, "data[1] is int"),
    ({"data": ["a", None]}, "data[1] is NoneType"),
    ({"parameters": {"content_type": "np"}}, "content_type 'np'"),
    ({"shape": "2"}, "shape"),
    ({"name": 7}, "name"),
])
def test_bad_tensors_are_400s_naming_the_problem(api, change, words):
    request = text_request(["good", "bad"])
    request["inputs"][0] |= change
    assert words in check_error(api.post("/v2/models/reviews/infer", json=request))


@pytest.mark.parametrize("request_body, words", [
    ({"inputs": []}, "inputs"),
    ({}, "inputs: Field required"),
    ({"inputs": "x"}, "inputs"),
    ({"id": 42, "inputs": [{"name": "t", "shape": [1], "datatype": "BYTES", "data": ["a"]}]},
     "id"),
    ({"inputs": [{"name": "t", "shape": [1], "datatype": "BYTES", "data": ["a"]}],
      "outputs": [{"name": "output0"}]}, "no output named 'output0'"),
])
def test_bad_requests_are_400s_with_the_error_object(api, request_body, words):
    assert words in check_error(api.post("/v2/models/reviews/infer", json=request_body))


def test_malformed_json_and_unknown_models(api):
    assert "not valid JSON" in check_error(api.post(
        "/v2/models/reviews/infer", content=b"{", headers={"content-type": "application/json"}))
    assert "nothing" in check_error(api.post("/v2/models/nothing/infer",
                                             json=text_request(["a"])), 404)


def test_the_limits_apply_to_tensors_too(models):
    with client(models, max_batch=2, max_chars=10) as strict:
        message = check_error(strict.post("/v2/models/reviews/infer",
                                          json=text_request(["a", "b", "c"])), 413)
        assert "--max-batch" in message
        message = check_error(strict.post("/v2/models/reviews/infer",
                                          json=text_request(["a", "b" * 11])), 413)
        assert message.startswith("input 'text'[1]: 11 characters")


def test_a_multi_label_model_answers_each_texts_label_set(tmp_path):
    """/v2 infer gave a multi-label model's arg max; it gives each text its labels (as /v1
    and the command line), and which labels as a BOOL tensor."""
    from textclf import TextClassifier

    texts = ["goal match team", "vote senate law", "rocket orbit moon",
             "goal and a rocket launch", "senate"] * 6
    sets = [["sport"], ["politics"], ["space"], ["sport", "space"], ["politics"]] * 6
    path = tmp_path / "multi.textclf"
    clf = TextClassifier(min_df=1, char_ngrams=None, epochs=30, eta=2.0).fit(texts, sets)
    clf.save(path)
    probe = ["a goal and a rocket launch", "the senate votes", "zzz"]
    expected = TextClassifier.load(path).predict(probe)
    with client({"multi": path}) as api:
        metadata = api.get("/v2/models/multi").json()
        assert [o["name"] for o in metadata["outputs"]][-1] == "labels"
        body = {"inputs": [{"name": "text", "shape": [3], "datatype": "BYTES", "data": probe}]}
        answer = api.post("/v2/models/multi/infer", json=body)
        assert answer.status_code == 200, answer.text
        check_inference_response(answer.json())
        tensors = {t["name"]: t for t in answer.json()["outputs"]}
        got = [set(label.split(",")) - {""} for label in tensors["label"]["data"]]
        assert got == [set(labels) for labels in expected]
        assert expected[0] and len(expected[0]) == 2  # a set, not the arg max
        chosen = np.array(tensors["labels"]["data"]).reshape(tensors["labels"]["shape"])
        order = json.loads(tensors["labels"]["parameters"]["labels"])
        assert [{order[j] for j in np.flatnonzero(row)} for row in chosen] == got
        facts = next(m for m in api.get("/v1/models").json()["models"] if m["name"] == "multi")
        assert facts["multi_label"] and facts["decision"]["threshold"] == 0.5
        wrong = {**body, "outputs": [{"name": "labels"}]}
        assert api.post("/v2/models/multi/infer", json=wrong).status_code == 200
