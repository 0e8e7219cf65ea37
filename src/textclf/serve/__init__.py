"""textclf over HTTP: ``textclf serve MODEL...`` (extra ``serve``: FastAPI and uvicorn).

An interface on top of the classifier, like the command line: no math here. The simple
JSON API is under ``/v1``, the Open Inference Protocol under ``/v2``, a page to try the
models at ``/``. See docs/serving.md.

Example::

    from fastapi.testclient import TestClient
    from textclf.serve import ServeConfig, create_app

    app = create_app(ServeConfig(models={"imdb": "imdb.textclf"}))
    TestClient(app).post("/v1/models/imdb/predict", json={"texts": ["a fine film"]})
"""

from textclf.serve.app import app_from_environment, create_app
from textclf.serve.config import ServeConfig, ServeLimits
from textclf.serve.registry import ModelRegistry, ServedModel

__all__ = ["ModelRegistry", "ServeConfig", "ServeLimits", "ServedModel", "app_from_environment",
           "create_app"]
