"""What a server is asked to do: the models to serve under their names, and its limits.

A :class:`ServeConfig` travels to each worker process of ``textclf serve --workers N`` as
JSON in an environment variable (:data:`CONFIG_VARIABLE`): uvicorn starts the workers
afresh, and each builds its app from that description.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from textclf.errors import SettingsError

CONFIG_VARIABLE = "TEXTCLF_SERVE_CONFIG"
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")  # safe in a URL path segment


SECONDS = ("header_timeout", "body_timeout")  # the limits that are times, not counts


@dataclass(frozen=True)
class ServeLimits:
    """What one request may ask for, how many may be in progress at once, and how long a
    client may take to send one."""

    max_body: int = 10_000_000  # bytes of a request body
    max_batch: int = 10_000  # texts in one request
    max_chars: int = 100_000  # characters of one text
    max_concurrency: int = 64  # requests in progress; more are refused with 503
    max_pending_bytes: int = 100_000_000  # bytes of their bodies; more are refused with 503
    max_connections: int = 1000  # open connections; more are closed at once (with a 503)
    header_timeout: float = 10.0  # seconds to send a request's line and headers (else 408)
    body_timeout: float = 30.0  # seconds to send its body (else 408)

    def __post_init__(self) -> None:
        for name, value in asdict(self).items():
            flag = f"--{name.replace('_', '-')}"
            if name in SECONDS:
                if not (isinstance(value, int | float) and not isinstance(value, bool)
                        and 0 < value < float("inf")):
                    raise SettingsError(f"{flag} must be a positive number of seconds, got "
                                        f"{value!r}")
            elif not (isinstance(value, int) and not isinstance(value, bool) and value >= 1):
                raise SettingsError(f"{flag} must be a positive integer, got {value!r}")
        if self.max_pending_bytes < self.max_body:
            raise SettingsError(f"--max-pending-bytes ({self.max_pending_bytes}) must be at "
                                f"least --max-body ({self.max_body})")


@dataclass(frozen=True)
class ServeConfig:
    """The models (name → file) and the limits; ``watch_interval`` seconds between looks
    at the model files for a new version (0: only on SIGHUP)."""

    models: dict[str, str]
    limits: ServeLimits = field(default_factory=ServeLimits)
    watch_interval: float = 2.0
    access_log: bool = True
    trust_pattern: bool = False  # run the files' own token patterns (docs/reliability.md)
    sign_key_file: str | None = None  # signed model files: the file holding their key
    graceful_timeout: float = 30.0  # seconds requests may take to finish after SIGTERM

    def __post_init__(self) -> None:
        if not self.models:
            raise SettingsError("no model to serve: give at least one MODEL file")
        for name in self.models:
            check_name(name)
        for flag, value in (("--watch-interval", self.watch_interval),
                            ("--graceful-timeout", self.graceful_timeout)):
            if not 0 <= value < float("inf"):
                raise SettingsError(f"{flag} must be 0 or more seconds, got {value!r}")

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> ServeConfig:
        data = json.loads(text)
        return cls(models=data["models"], limits=ServeLimits(**data["limits"]),
                   watch_interval=data["watch_interval"], access_log=data["access_log"],
                   trust_pattern=data.get("trust_pattern", False),
                   sign_key_file=data.get("sign_key_file"),
                   graceful_timeout=data.get("graceful_timeout", 30.0))

    def load_options(self) -> dict[str, Any]:
        """How each model file is read (TextClassifier.load's options); the key is read from
        its file here, in each worker, never passed around."""
        key = None
        if self.sign_key_file is not None:
            try:
                key = Path(self.sign_key_file).read_bytes()
            except OSError as err:
                raise SettingsError(f"{self.sign_key_file}: cannot be read "
                                    f"({err.strerror or err}) (--sign-key)") from err
            if not key.strip():  # an unmounted secret must not turn signing off
                raise SettingsError(f"{self.sign_key_file}: the key file is empty "
                                    "(--sign-key)")
        return {"trust_pattern": self.trust_pattern, "sign_key": key}

    @classmethod
    def from_environment(cls) -> ServeConfig:
        text = os.environ.get(CONFIG_VARIABLE)
        if not text:
            raise SettingsError(f"{CONFIG_VARIABLE} is not set: start the server with "
                                "`textclf serve MODEL ...`")
        return cls.from_json(text)


def check_name(name: str) -> str:
    """A model's name must be usable as it is in a URL path."""
    if not NAME_PATTERN.fullmatch(name):
        raise SettingsError(f"model name {name!r}: use letters, digits, '_', '.' and '-', "
                            "starting with a letter or digit")
    return name


def model_name(path: str | Path) -> str:
    """The name a file is served under: its name without the suffix (``imdb.textclf`` →
    ``imdb``)."""
    return Path(path).stem


def named_models(paths: list[str], named: list[str]) -> dict[str, str]:
    """name → path for MODEL arguments (named by their stem) and ``NAME=PATH`` pairs."""
    pairs = [(model_name(path), path) for path in paths]
    for item in named:
        name, sep, path = item.partition("=")
        if not sep or not name or not path:
            raise SettingsError(f"--name {item!r}: write it as NAME=PATH")
        pairs.append((name, path))
    models: dict[str, str] = {}
    for name, path in pairs:
        check_name(name)
        if name in models:
            raise SettingsError(f"two models are named {name!r} ({models[name]} and {path}); "
                                "name one with --name NAME=PATH")
        models[name] = str(path)
    return models
