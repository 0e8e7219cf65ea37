"""Running the app on uvicorn: one process, or ``workers`` processes sharing the socket.

Shutdown: on SIGINT or SIGTERM uvicorn stops accepting connections, finishes the requests
in progress (for at most ``graceful_timeout`` seconds) and the process exits with status 0.
SIGHUP reads the model files again: in one process the app does it; with several workers
uvicorn's supervisor replaces the workers one at a time, each new one reading the files
afresh (and each worker also watches its files).
"""

from __future__ import annotations

import logging
import os
import signal
import socket
from dataclasses import dataclass

import uvicorn
from fastapi import FastAPI

from textclf.errors import TextclfError
from textclf.serve.app import create_app
from textclf.serve.config import CONFIG_VARIABLE, ServeConfig
from textclf.serve.registry import ModelRegistry

log = logging.getLogger("textclf.serve")
FACTORY = "textclf.serve.app:app_from_environment"
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


@dataclass(frozen=True)
class Listen:
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    graceful_timeout: float = 30.0
    keep_alive: float = 30.0  # longer than clients' idle timeouts (httpx: 5 s), see run_app
    log_level: str = "info"


def logging_config(level: str) -> dict:
    """textclf's lines and uvicorn's in one format on standard error (uvicorn's own access
    log is off: the app writes one line per request)."""
    handler = {"class": "logging.StreamHandler", "formatter": "plain",
               "stream": "ext://sys.stderr"}
    return {
        "version": 1, "disable_existing_loggers": False,
        "formatters": {"plain": {"format": LOG_FORMAT}},
        "handlers": {"stderr": handler},
        "loggers": {name: {"handlers": ["stderr"], "level": level.upper(), "propagate": False}
                    for name in ("textclf", "uvicorn", "uvicorn.error")},
    }


def check_port_free(host: str, port: int) -> None:
    """Fail with one clear line when the address cannot be listened on."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as err:
            raise TextclfError(f"cannot listen on {host}:{port} ({err.strerror or err})") \
                from err


class ExitQuietly:
    """SIGINT/SIGTERM handlers in place while uvicorn runs: uvicorn raises the signal again
    after its graceful shutdown, and a clean shutdown is exit status 0, not death by signal."""

    def __enter__(self) -> ExitQuietly:
        self.previous = {sig: signal.signal(sig, self.note)
                         for sig in (signal.SIGINT, signal.SIGTERM)}
        return self

    def note(self, sig: int, frame) -> None:
        log.info("stopped by %s", signal.Signals(sig).name)

    def __exit__(self, *exc) -> None:
        for sig, handler in self.previous.items():
            signal.signal(sig, handler)


def serve(config: ServeConfig, listen: Listen) -> None:
    """Load the models (failing at once on a bad file), then serve until stopped."""
    if listen.workers < 1:
        raise TextclfError(f"--workers must be at least 1, got {listen.workers}")
    registry = ModelRegistry(config.models, config.load_options())  # all checked first
    if listen.workers == 1:
        run_app(create_app(config, registry), listen)
    else:
        del registry  # each worker reads the files itself
        os.environ[CONFIG_VARIABLE] = config.to_json()
        run_app(FACTORY, listen)


def run_app(app: FastAPI | str, listen: Listen) -> None:
    """Run ``app`` (or, for several workers, the import path of its factory) on uvicorn."""
    if listen.workers < 1:
        raise TextclfError(f"--workers must be at least 1, got {listen.workers}")
    check_port_free(listen.host, listen.port)
    options = {"host": listen.host, "port": listen.port, "access_log": False,
               "log_config": logging_config(listen.log_level), "log_level": listen.log_level,
               "timeout_graceful_shutdown": listen.graceful_timeout,
               # a server closing an idle connection as a client reuses it fails that
               # request: the server's idle timeout must be the longer one
               "timeout_keep_alive": listen.keep_alive}
    if listen.workers > 1:
        options |= {"factory": True, "workers": listen.workers}
    with ExitQuietly():
        uvicorn.run(app, **options)
