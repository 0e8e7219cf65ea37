"""Running the app on uvicorn: one process, or ``workers`` processes sharing the socket.

Shutdown: on SIGINT or SIGTERM uvicorn stops accepting connections, finishes the requests
in progress (for at most ``graceful_timeout`` seconds) and the process exits with status 0;
a request that cannot be cancelled (a worker thread's) does not keep it longer
(:func:`textclf.serve.app.bounded_shutdown`).
SIGHUP reads the model files again: in one process the app does it; with several workers
uvicorn's supervisor replaces the workers one at a time, each new one reading the files
afresh (and each worker also watches its files).
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
from dataclasses import dataclass, replace
from functools import partial

import uvicorn
from fastapi import FastAPI

from textclf.errors import TextclfError
from textclf.serve.app import create_app
from textclf.serve.config import CONFIG_VARIABLE, ServeConfig, ServeLimits
from textclf.serve.connections import GuardedHttpProtocol
from textclf.serve.registry import ModelRegistry

log = logging.getLogger("textclf.serve")
FACTORY = "textclf.serve.app:app_from_environment"
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
CUT_OFF = "a request in progress was cut off by the shutdown (--graceful-timeout)"
FILES_KEPT = 64  # open files besides the connections: model files, logs, sockets, pipes


@dataclass(frozen=True)
class Listen:
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    graceful_timeout: float = 30.0
    keep_alive: float = 30.0  # longer than clients' idle timeouts (httpx: 5 s), see run_app
    log_level: str = "info"


class CutOffRequests(logging.Filter):
    """uvicorn logs each request it cancels after the graceful timeout as an exception with
    its traceback: one line each instead."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, asyncio.CancelledError):
            record.msg, record.args, record.exc_info = CUT_OFF, (), None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


def logging_config(level: str) -> dict:
    """textclf's lines and uvicorn's in one format on standard error (uvicorn's own access
    log is off: the app writes one line per request)."""
    handler = {"class": "logging.StreamHandler", "formatter": "plain",
               "stream": "ext://sys.stderr", "filters": ["cut_off"]}
    return {
        "version": 1, "disable_existing_loggers": False,
        "formatters": {"plain": {"format": LOG_FORMAT}},
        "filters": {"cut_off": {"()": CutOffRequests}},
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
        run_app(create_app(config, registry), listen, config.limits)
    else:
        del registry  # each worker reads the files itself
        os.environ[CONFIG_VARIABLE] = config.to_json()
        run_app(FACTORY, listen, config.limits)


def open_files_allowed() -> int | None:
    """The soft limit on this process's open files (None where unknown or unlimited)."""
    try:
        import resource
    except ImportError:  # not on Unix
        return None
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    return None if soft == resource.RLIM_INFINITY else soft


def connection_limits(limits: ServeLimits) -> ServeLimits:
    """``limits`` with ``max_connections`` within the open files this process may have
    (:data:`FILES_KEPT` left for the model files, the log and the listening socket), so
    that a flood of connections is refused by the server, not by the system."""
    allowed = open_files_allowed()
    if allowed is None or limits.max_connections <= allowed - FILES_KEPT:
        return limits
    fitted = max(allowed - FILES_KEPT, 1)
    log.warning("--max-connections %d is more than this process may open files (%d): "
                "using %d", limits.max_connections, allowed, fitted)
    return replace(limits, max_connections=fitted)


def run_app(app: FastAPI | str, listen: Listen, limits: ServeLimits | None = None) -> None:
    """Run ``app`` (or, for several workers, the import path of its factory) on uvicorn,
    its connections bounded by ``limits`` (:mod:`textclf.serve.connections`)."""
    if listen.workers < 1:
        raise TextclfError(f"--workers must be at least 1, got {listen.workers}")
    check_port_free(listen.host, listen.port)
    guarded = partial(GuardedHttpProtocol, limits=connection_limits(limits or ServeLimits()))
    options = {"host": listen.host, "port": listen.port, "access_log": False,
               "log_config": logging_config(listen.log_level), "log_level": listen.log_level,
               "timeout_graceful_shutdown": listen.graceful_timeout, "http": guarded,
               # a server closing an idle connection as a client reuses it fails that
               # request: the server's idle timeout must be the longer one
               "timeout_keep_alive": listen.keep_alive}
    if listen.workers > 1:
        options |= {"factory": True, "workers": listen.workers}
    with ExitQuietly():
        uvicorn.run(app, **options)
