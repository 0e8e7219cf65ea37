"""The Open Inference Protocol (v2), as KServe, MLServer and Triton speak it over REST.

A text classifier takes one input tensor of datatype ``BYTES``: the documents, shape
``[n]`` (or ``[n, 1]``), data in row-major order, flat or nested. It returns three output
tensors: ``label`` (BYTES, ``[n]``), ``probability`` (FP64, ``[n]``: the label's) and
``probabilities`` (FP64, ``[n, K]``, columns in the order of the model's labels, which the
model metadata and the tensor's ``parameters.labels`` give as a JSON list). A multi-label
model gives each text its set of labels: ``label`` holds them joined by ``,`` (the most
probable first; none: the empty string), ``probability`` the most probable label's, and a
fourth tensor ``labels`` (BOOL, ``[n, L]``) which labels each text gets, as its threshold
and top k decide. A request may ask for some of them with ``outputs``. Errors are
``{"error": "..."}`` with a 4xx status.

The specification: https://github.com/kserve/open-inference-protocol
(specification/protocol/inference_rest.md).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from pydantic import BaseModel, Field, StrictBool, StrictFloat, StrictInt, StrictStr

from textclf.serve.errors import ServeError
from textclf.serve.predictions import Predictions

TEXT_DATATYPE = "BYTES"
TEXT_CONTENT_TYPES = (None, "str")  # MLServer marks strings with content_type "str"
OUTPUTS = ("label", "probability", "probabilities")
MULTI_LABEL_OUTPUTS = (*OUTPUTS, "labels")  # + which labels each text gets (BOOL, [n, L])
SEPARATOR = ","  # between a multi-label text's labels in its ``label``
PLATFORM = "textclf"

Parameter = StrictStr | StrictInt | StrictFloat | StrictBool


class RequestInput(BaseModel):
    name: StrictStr
    shape: list[StrictInt]
    datatype: StrictStr
    parameters: dict[str, Parameter] | None = None
    data: list[Any] = Field(description="the texts, row-major, flat or nested")


class RequestOutput(BaseModel):
    name: StrictStr
    parameters: dict[str, Parameter] | None = None


class InferenceRequest(BaseModel):
    id: StrictStr | None = None
    parameters: dict[str, Parameter] | None = None
    inputs: list[RequestInput] = Field(min_length=1)
    outputs: list[RequestOutput] | None = None


def flatten(data: list[Any]) -> list[Any]:
    """Row-major elements of nested lists."""
    flat: list[Any] = []
    stack = [iter(data)]
    while stack:
        for item in stack[-1]:
            if isinstance(item, list):
                stack.append(iter(item))
                break
            flat.append(item)
        else:
            stack.pop()
    return flat


def texts_of(request: InferenceRequest) -> list[str]:
    """The documents of an inference request, checked against the protocol's rules."""
    if len(request.inputs) != 1:
        raise ServeError(400, f"a text classifier takes one input tensor (datatype BYTES, "
                         f"the texts); the request has {len(request.inputs)}")
    tensor = request.inputs[0]
    name = tensor.name
    if tensor.datatype != TEXT_DATATYPE:
        raise ServeError(400, f"input {name!r}: datatype {tensor.datatype!r}; a text "
                         f"classifier takes {TEXT_DATATYPE} (one string per document)")
    content_type = (tensor.parameters or {}).get("content_type")
    if content_type not in TEXT_CONTENT_TYPES:
        raise ServeError(400, f"input {name!r}: content_type {content_type!r}; the texts "
                         "are read as strings (content_type 'str')")
    shape = tensor.shape
    if not (len(shape) == 1 or (len(shape) == 2 and shape[1] == 1)) or shape[0] < 0:
        raise ServeError(400, f"input {name!r}: shape {shape}; give the texts as shape [n] "
                         "or [n, 1]")
    texts = flatten(tensor.data)
    if len(texts) != shape[0]:
        raise ServeError(400, f"input {name!r}: shape {shape} holds {shape[0]} texts but "
                         f"data has {len(texts)}")
    if not texts:
        raise ServeError(400, f"input {name!r}: no texts")
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise ServeError(400, f"input {name!r}: data[{i}] is {type(text).__name__}, "
                             "not a string")
    return texts


def requested_outputs(request: InferenceRequest, multi_label: bool = False) -> list[str]:
    """The outputs asked for (all of them when none are named), each once."""
    known = MULTI_LABEL_OUTPUTS if multi_label else OUTPUTS
    if not request.outputs:
        return list(known)
    names = [output.name for output in request.outputs]
    for i, name in enumerate(names):
        if name not in known:
            raise ServeError(400, f"no output named {name!r}; the outputs are "
                             f"{', '.join(known)}")
        if name in names[:i]:
            raise ServeError(400, f"output {name!r} is asked for twice")
    return names


def labels_parameter(labels: list[str]) -> dict[str, str]:
    """The class order, as the protocol's parameters allow (a string): a JSON list."""
    return {"labels": json.dumps(labels, ensure_ascii=False)}


def inference_response(model: str, version: str, request: InferenceRequest,
                       outputs: list[str], found: Predictions) -> dict[str, Any]:
    """The response object: the ``outputs`` asked for, the request's id (or a new one)."""
    n, k = found.probabilities.shape
    multi_label = found.decisions is not None
    tensors = {
        "label": {"name": "label", "shape": [n], "datatype": "BYTES",
                  **({"parameters": {"separator": SEPARATOR}} if multi_label else {}),
                  "data": [found.label_of(i, SEPARATOR) for i in range(n)]},
        "probability": {"name": "probability", "shape": [n], "datatype": "FP64",
                        "data": found.probabilities[range(n), found.best].tolist()},
        "probabilities": {"name": "probabilities", "shape": [n, k], "datatype": "FP64",
                          "parameters": labels_parameter(found.labels),
                          "data": found.probabilities.ravel().tolist()},
    }
    if multi_label:
        tensors["labels"] = {"name": "labels", "shape": [n, k], "datatype": "BOOL",
                             "parameters": labels_parameter(found.labels),
                             "data": found.decisions.ravel().tolist()}
    return {"model_name": model, "model_version": version,
            "id": request.id if request.id is not None else uuid.uuid4().hex,
            "outputs": [tensors[name] for name in outputs]}


def model_metadata(name: str, version: str, labels: list[str],
                   multi_label: bool = False) -> dict[str, Any]:
    outputs = [
        {"name": "label", "datatype": "BYTES", "shape": [-1]},
        {"name": "probability", "datatype": "FP64", "shape": [-1]},
        {"name": "probabilities", "datatype": "FP64", "shape": [-1, len(labels)]},
    ]
    if multi_label:
        outputs.append({"name": "labels", "datatype": "BOOL", "shape": [-1, len(labels)]})
    return {
        "name": name,
        "versions": [version],
        "platform": PLATFORM,
        "inputs": [{"name": "text", "datatype": TEXT_DATATYPE, "shape": [-1]}],
        "outputs": outputs,
        "parameters": labels_parameter(labels),
    }
