"""The application: the simple API (/v1), the Open Inference Protocol (/v2), the page (/),
the limits and the access log around them, and reloading models in the background.

``create_app(config)`` is what ``textclf serve`` runs; ``app_from_environment`` is the
factory each worker process of ``--workers N`` calls (the configuration arrives as JSON in
an environment variable).
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI

from textclf.core.version import __version__
from textclf.serve import v1, v2
from textclf.serve.access_log import AccessLogMiddleware
from textclf.serve.batching import Batcher
from textclf.serve.bodies import add_schemas
from textclf.serve.config import ServeConfig
from textclf.serve.errors import install_error_handlers
from textclf.serve.limits import HeadAsGet, LimitsMiddleware, Load
from textclf.serve.page import install_page
from textclf.serve.protocol import InferenceRequest
from textclf.serve.registry import ModelRegistry
from textclf.serve.schemas import ExplainRequest, PredictRequest

log = logging.getLogger("textclf.serve")
SHUTDOWN_MARGIN = 2.0  # seconds after --graceful-timeout: uvicorn's own cancellations
DESCRIPTION = """Text classifiers trained with textclf, served over HTTP.

* `/v1`: a simple JSON API: list the models, label texts, explain one text.
* `/v2`: the Open Inference Protocol (KServe, MLServer, Triton): health, metadata, inference
  with a BYTES input tensor of texts.
* `/`: a web page to try the models.
"""


def reload_on_hangup(registry: ModelRegistry) -> bool:
    """SIGHUP reads every model file again (in a worker thread); False where signals
    cannot be caught (not the main thread, or no Unix signals)."""
    if threading.current_thread() is not threading.main_thread() or \
            not hasattr(signal, "SIGHUP"):
        return False
    loop = asyncio.get_running_loop()

    def hangup() -> None:
        log.info("SIGHUP: reading the model files again")
        loop.run_in_executor(None, registry.reload, True)

    try:
        loop.add_signal_handler(signal.SIGHUP, hangup)
    except (NotImplementedError, RuntimeError, ValueError):
        return False
    return True


def bounded_shutdown(timeout: float) -> Callable[[], None]:
    """From the first SIGINT or SIGTERM on, the process ends at most ``timeout`` +
    :data:`SHUTDOWN_MARGIN` seconds later, with the requests still running or not: work
    in a thread cannot be cancelled, and uvicorn, the thread pools and the interpreter's
    exit would each wait for it. (The computations run on the compute pool, whose queue is
    dropped at shutdown: what still runs then is one piece per thread, so the process
    normally ends sooner, with status 0.) Returns what puts the previous handlers back
    (nothing where signals cannot be caught: not the main thread)."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    deadline = threading.Timer(timeout + SHUTDOWN_MARGIN, exit_now, args=(timeout,))
    deadline.daemon = True

    def stopping(sig: int, frame) -> None:
        if deadline.ident is None:
            deadline.start()
        handler = previous[sig]
        if callable(handler):
            handler(sig, frame)

    for sig in previous:
        signal.signal(sig, stopping)

    def restore() -> None:
        for sig, handler in previous.items():
            signal.signal(sig, handler)

    return restore


def exit_now(timeout: float) -> None:
    """End the process at once (SIGKILL: nothing in it can wait any longer; its exit
    status is 137, not a clean shutdown's 0)."""
    log.warning("requests were still running %g s after the signal to stop "
                "(--graceful-timeout %g): exiting without them", timeout + SHUTDOWN_MARGIN,
                timeout)
    logging.shutdown()
    os.kill(os.getpid(), signal.SIGKILL)


def service_app(config: ServeConfig, lifespan=None) -> FastAPI:
    """A FastAPI app with the service's error handling, limits and access log, and no
    routes yet (the benchmark's constant endpoint is served by one of these too)."""
    app = FastAPI(title="textclf", version=__version__, description=DESCRIPTION,
                  lifespan=lifespan)
    app.state.limits = config.limits
    app.state.load = Load(config.limits)  # what the readiness probe reads
    install_error_handlers(app)
    app.add_middleware(LimitsMiddleware, limits=config.limits, load=app.state.load)
    app.add_middleware(HeadAsGet)
    if config.access_log:
        app.add_middleware(AccessLogMiddleware)  # outermost: refusals are logged too
    return app


def create_app(config: ServeConfig, registry: ModelRegistry | None = None) -> FastAPI:
    """The service for ``config``'s models (read now, unless a ``registry`` is given)."""
    registry = registry if registry is not None else ModelRegistry(config.models,
                                                                   config.load_options())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        registry.watch(config.watch_interval)
        hangup = reload_on_hangup(registry)
        restore_handlers = bounded_shutdown(config.graceful_timeout)
        try:
            yield
        finally:
            if hangup:
                asyncio.get_running_loop().remove_signal_handler(signal.SIGHUP)
            restore_handlers()
            registry.stop_watching()
            app.state.batcher.stop()

    app = service_app(config, lifespan)
    app.state.registry = registry
    app.state.batcher = Batcher()
    app.include_router(v1.router)
    app.include_router(v2.router)
    add_schemas(app, [PredictRequest, ExplainRequest, InferenceRequest])
    install_page(app)
    return app


def app_from_environment() -> FastAPI:
    """The app of one worker process (``textclf serve --workers N``)."""
    return create_app(ServeConfig.from_environment())
