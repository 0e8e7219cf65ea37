"""The JSON bodies of the simple API (/v1), as pydantic models: FastAPI checks requests
against them and documents them in the OpenAPI schema at ``/docs``."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr


class PredictRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    texts: list[StrictStr] = Field(min_length=1, description="the documents to label")
    top_k: StrictInt | None = Field(
        default=None, ge=1,
        description="give only the k most probable classes per document (default: all)")


class Prediction(BaseModel):
    label: str = Field(description="the most probable class")
    probability: float = Field(description="its probability")
    probabilities: dict[str, float] = Field(description="class → probability")
    labels: list[str] | None = Field(
        default=None, description="a multi-label model's labels for the text (those its "
        "threshold or top k gives; each label's probability is its own); null otherwise")


class PredictResponse(BaseModel):
    model: str
    version: str = Field(description="the version of the model file that answered")
    predictions: list[Prediction] = Field(description="one per text, in the order given")


class ExplainRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: StrictStr = Field(description="the document to explain")


class ModelList(BaseModel):
    models: list[dict[str, Any]] = Field(
        description="per model: name, version (SHA-256 prefix), labels, model kind, "
        "number of features, settings, training history summary, strongest features, "
        "file (path, sha256, size, modified), loaded_at, reload_error")


class ErrorBody(BaseModel):
    error: str = Field(description="what was wrong, in one line")
