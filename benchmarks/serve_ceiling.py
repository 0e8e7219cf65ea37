"""The framework's ceiling for benchmarks/serve_load.py: the same server, with the
classifier taken out.

A separate tiny app, started the same way as ``textclf serve`` (``run_app`` with the same
uvicorn settings: one process, uvloop and httptools when installed, the same log
configuration), built by the same ``service_app`` (the same limits middleware, access log
and error handlers), with the same route, ``POST /v1/models/{name}/predict``, whose body
is parsed and checked against the same ``PredictRequest`` model in the same way
(``textclf.serve.bodies.parse``, in the same thread pool). It answers a constant: a
prediction of the right shape for each text, computed once. So the difference between the
two servers is exactly textclf's own work per request (featurising, predicting, building
the records). It is a separate app rather than a hidden flag of ``textclf serve``, so that
the product carries no benchmark-only code path.

Usage: ``python benchmarks/serve_ceiling.py --port 8001`` (``--no-access-log`` as for serve).
"""

from __future__ import annotations

import argparse

from fastapi import Request

from textclf.serve.app import service_app
from textclf.serve.bodies import body_schema, parse
from textclf.serve.config import ServeConfig
from textclf.serve.responses import SafeJSONResponse
from textclf.serve.schemas import PredictRequest
from textclf.serve.server import Listen, run_app

ANSWER = {"label": "pos", "probability": 0.75, "probabilities": {"neg": 0.25, "pos": 0.75}}


def ceiling_app(access_log: bool = True):
    config = ServeConfig(models={"constant": "-"}, access_log=access_log)
    app = service_app(config)

    @app.get("/v2/health/ready")
    def ready() -> SafeJSONResponse:
        return SafeJSONResponse({"ready": True})

    @app.post("/v1/models/{name}/predict", openapi_extra=body_schema(PredictRequest))
    def predict(name: str, request: Request) -> SafeJSONResponse:
        body = parse(request, PredictRequest)
        return SafeJSONResponse({"model": name, "version": "constant",
                                 "predictions": [ANSWER] * len(body.texts)})

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--no-access-log", dest="access_log", action="store_false")
    args = parser.parse_args()
    run_app(ceiling_app(args.access_log), Listen(host=args.host, port=args.port))


if __name__ == "__main__":
    main()
