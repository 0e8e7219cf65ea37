"""The simple JSON API: list the models, label a batch of texts, explain one text.

Labelling goes through :mod:`textclf.serve.predictions` (one vectorised call per batch;
small requests of concurrent clients gathered into one, :mod:`textclf.serve.batching`);
the endpoints are plain functions, which FastAPI runs in its thread pool, and they parse
their bodies there too (:mod:`textclf.serve.bodies`), so a large batch never holds up the
event loop (the classifier is safe to call from many threads).
"""

from __future__ import annotations

from fastapi import APIRouter, Request

from textclf.serve.bodies import body_schema, parse
from textclf.serve.limits import check_length, check_texts
from textclf.serve.registry import ModelRegistry
from textclf.serve.responses import SafeJSONResponse
from textclf.serve.schemas import (
    ErrorBody,
    ExplainRequest,
    ModelList,
    PredictRequest,
    PredictResponse,
)

router = APIRouter(prefix="/v1", tags=["simple API"])
ERRORS = {code: {"model": ErrorBody} for code in (400, 404, 413, 415, 503)}


def registry_of(request: Request) -> ModelRegistry:
    return request.app.state.registry


@router.get("/models", response_model=ModelList, summary="The models served")
def list_models(request: Request) -> SafeJSONResponse:
    registry = registry_of(request)
    return SafeJSONResponse({"models": [registry.describe(name) for name in registry.names]})


@router.get("/models/{name}", summary="One model: labels, kind, settings, file version",
            responses=ERRORS)
def describe_model(name: str, request: Request) -> SafeJSONResponse:
    return SafeJSONResponse(registry_of(request).describe(name))


@router.post("/models/{name}/predict", response_model=PredictResponse, responses=ERRORS,
             summary="Label texts: the most probable class and every class's probability",
             openapi_extra=body_schema(PredictRequest))
def predict(name: str, request: Request) -> SafeJSONResponse:
    body = parse(request, PredictRequest)
    check_texts(body.texts, request.app.state.limits)
    served = registry_of(request).get(name)
    found = request.app.state.batcher.predict(served.classifier, body.texts)
    return SafeJSONResponse({"model": name, "version": served.file.version,
                         "predictions": found.records(body.top_k)})


@router.post("/models/{name}/explain", responses=ERRORS,
             summary="Each term's contribution θⱼ·xⱼ to the score of one text, the bias, "
             "the score and the probability (what `textclf explain --json` prints)",
             openapi_extra=body_schema(ExplainRequest))
def explain(name: str, request: Request) -> SafeJSONResponse:
    body = parse(request, ExplainRequest)
    check_length(body.text, request.app.state.limits)
    served = registry_of(request).get(name)
    return SafeJSONResponse(request.app.state.batcher.explain(served.classifier, body.text)
                            | {"model": name, "version": served.file.version})
