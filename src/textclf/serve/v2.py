"""The Open Inference Protocol's REST endpoints (see :mod:`textclf.serve.protocol`).

Health: ``/v2/health/live`` and ``/v2/health/ready`` (200 once every model is loaded, which
is before the server accepts connections); server and model metadata; model readiness;
inference. A model's version is its file's (the SHA-256 prefix ``GET /v1/models`` shows);
the ``/versions/{version}`` paths answer only for the live one.
"""

from __future__ import annotations

from fastapi import APIRouter, Request

from textclf.core.version import __version__
from textclf.serve import protocol
from textclf.serve.bodies import body_schema, parse
from textclf.serve.errors import ServeError
from textclf.serve.limits import check_texts
from textclf.serve.registry import ModelRegistry, ServedModel
from textclf.serve.responses import SafeJSONResponse
from textclf.serve.schemas import ErrorBody

router = APIRouter(prefix="/v2", tags=["Open Inference Protocol (v2)"])
ERRORS = {code: {"model": ErrorBody} for code in (400, 404, 413, 415, 503)}


def registry_of(request: Request) -> ModelRegistry:
    return request.app.state.registry


def served(request: Request, name: str, version: str | None = None) -> ServedModel:
    model = registry_of(request).get(name)
    if version is not None and version != model.file.version:
        raise ServeError(404, f"model {name!r} has no version {version!r}; the live version "
                         f"is {model.file.version!r}")
    return model


@router.get("", summary="Server metadata")
def server_metadata() -> SafeJSONResponse:
    return SafeJSONResponse({"name": "textclf", "version": __version__, "extensions": []})


# The probes run on the event loop itself (async): they need no worker thread, so requests
# in progress, however many or long, never hold them up.
@router.get("/health/live", summary="Server live")
async def live() -> SafeJSONResponse:
    return SafeJSONResponse({"live": True})


@router.get("/health/ready", summary="Server ready: every model is loaded and the server "
            "can take a request now (503 while it is full)")
async def ready(request: Request) -> SafeJSONResponse:
    # the models are read before the port opens, and a reload never leaves a name without one
    busy = request.app.state.load.busy()
    if busy is not None:
        return SafeJSONResponse({"ready": False, "error": f"the server is busy ({busy})"},
                                status_code=503)
    return SafeJSONResponse({"ready": True})


@router.get("/models/{name}", summary="Model metadata", responses=ERRORS)
@router.get("/models/{name}/versions/{version}", summary="Model metadata (one version)",
            responses=ERRORS)
def model_metadata(request: Request, name: str, version: str | None = None) -> SafeJSONResponse:
    model = served(request, name, version)
    return SafeJSONResponse(protocol.model_metadata(name, model.file.version,
                                                model.classifier.labels,
                                                model.classifier.multi_label))


@router.get("/models/{name}/ready", summary="Model ready", responses=ERRORS)
@router.get("/models/{name}/versions/{version}/ready", summary="Model ready (one version)",
            responses=ERRORS)
def model_ready(request: Request, name: str, version: str | None = None) -> SafeJSONResponse:
    served(request, name, version)
    return SafeJSONResponse({"name": name, "ready": True})


INFERENCE_BODY = body_schema(protocol.InferenceRequest)


@router.post("/models/{name}/infer", summary="Inference", responses=ERRORS,
             openapi_extra=INFERENCE_BODY)
@router.post("/models/{name}/versions/{version}/infer", summary="Inference (one version)",
             responses=ERRORS, openapi_extra=INFERENCE_BODY)
def infer(request: Request, name: str, version: str | None = None) -> SafeJSONResponse:
    body = parse(request, protocol.InferenceRequest)
    model = served(request, name, version)
    texts = protocol.texts_of(body)
    check_texts(texts, request.app.state.limits, field=f"input {body.inputs[0].name!r}")
    outputs = protocol.requested_outputs(body, model.classifier.multi_label)
    found = request.app.state.batcher.predict(model.classifier, texts)
    return SafeJSONResponse(protocol.inference_response(name, model.file.version, body, outputs,
                                                    found))
