"""``textclf serve MODEL [MODEL...]``: the models over HTTP, with a page to try them.

The options here are the server's, not a classifier's settings, so they are written out
by hand. FastAPI and uvicorn come with the extra ``serve``; without them the verb says how
to install them.
"""

from __future__ import annotations

import argparse
import re

from textclf.cli.common import add_key_option
from textclf.errors import SettingsError, TextclfError

EXTRA_MODULES = ("fastapi", "uvicorn", "starlette", "pydantic", "anyio", "h11")
SIZE = re.compile(r"(\d+)\s*([kmg]?)b?", re.IGNORECASE)
UNITS = {"": 1, "k": 1000, "m": 1000**2, "g": 1000**3}


def byte_size(text: str) -> int:
    """``10MB``, ``512k``, ``1000000`` → bytes (decimal units)."""
    match = SIZE.fullmatch(text.strip())
    if not match:
        raise argparse.ArgumentTypeError(f"{text!r} is not a size (e.g. 10MB, 512kB, 1000000)")
    return int(match.group(1)) * UNITS[match.group(2).lower()]


def port_number(text: str) -> int:
    if not (text.isdigit() and 0 <= int(text) <= 65535):
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (0 to 65535)")
    return int(text)


def seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0:  # also refuses nan
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds (0 or more)")
    return value


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "serve", help="serve models over HTTP (JSON API, Open Inference Protocol, web page)",
        description="Serve MODEL files over HTTP: a JSON API under /v1, the Open Inference "
        "Protocol (KServe, MLServer, Triton) under /v2, a page to try the models at /, the "
        "OpenAPI documentation at /docs. Each model is served under its file's name "
        "without the suffix, or the NAME of --name NAME=PATH. A replaced model file (or "
        "SIGHUP) is loaded without stopping; a file that cannot be loaded leaves the old "
        "model in service. Needs the extra: pip install 'textclf[serve]'.",
    )
    parser.add_argument("models", metavar="MODEL", nargs="*", help="model files to serve")
    parser.add_argument("--name", action="append", default=[], metavar="NAME=PATH",
                        help="serve PATH under NAME (repeatable)")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default 127.0.0.1; 0.0.0.0 for all)")
    parser.add_argument("--port", type=port_number, default=8000,
                        help="port (default 8000)")
    parser.add_argument("--workers", type=int, default=1, metavar="N",
                        help="worker processes sharing the port (default 1)")
    limits = parser.add_argument_group("limits (a request over them gets 413; a full server 503)")
    limits.add_argument("--max-body", type=byte_size, default="10MB", metavar="SIZE",
                        help="largest request body (default 10MB)")
    limits.add_argument("--max-batch", type=int, default=10_000, metavar="N",
                        help="most texts in one request (default 10000)")
    limits.add_argument("--max-chars", type=int, default=100_000, metavar="N",
                        help="longest text, in characters (default 100000)")
    limits.add_argument("--max-concurrency", type=int, default=64, metavar="N",
                        help="requests in progress at once per worker; more are answered "
                        "503 (default 64)")
    limits.add_argument("--max-pending-bytes", type=byte_size, default="100MB",
                        metavar="SIZE", help="request bodies received or in progress at once "
                        "per worker, in all; more are answered 503 (default 100MB)")
    limits.add_argument("--max-connections", type=int, default=1000, metavar="N",
                        help="open connections per worker; more are answered 503 and closed "
                        "(default 1000, fewer where the system allows fewer open files)")
    limits.add_argument("--header-timeout", type=seconds, default=10.0, metavar="SECONDS",
                        help="time a client has to send a request's line and headers; then "
                        "408 and the connection is closed (default 10)")
    limits.add_argument("--body-timeout", type=seconds, default=30.0, metavar="SECONDS",
                        help="time a client has to send a request's body; then 408 "
                        "(default 30)")
    parser.add_argument("--keep-alive", type=seconds, default=30.0, metavar="SECONDS",
                        help="close a connection idle this long (default 30; more than "
                        "clients' and proxies' own idle timeouts)")
    parser.add_argument("--watch-interval", type=seconds, default=2.0, metavar="SECONDS",
                        help="look for a replaced model file every SECONDS (default 2; 0 = "
                        "only on SIGHUP)")
    parser.add_argument("--graceful-timeout", type=seconds, default=30.0, metavar="SECONDS",
                        help="on SIGINT/SIGTERM, wait this long for requests in progress, "
                        "then exit without them (default 30)")
    parser.add_argument("--no-access-log", dest="access_log", action="store_false",
                        help="no log line per request")
    parser.add_argument("--trust-pattern", action="store_true",
                        help="run the model files' own token patterns even if they are not "
                        "ones textclf writes (only for files you trust)")
    add_key_option(parser, "check the models' signatures with the key in this file (signed "
                   "model files load only so)")
    parser.add_argument("--log-level", default="info",
                        choices=("debug", "info", "warning", "error"),
                        help="log level (default info)")
    parser.set_defaults(run=run)


def missing_extra(err: ModuleNotFoundError) -> bool:
    return (err.name or "").split(".")[0] in EXTRA_MODULES


def run(args: argparse.Namespace) -> int:
    try:  # the extra's packages are imported only here, when the verb runs
        from textclf.serve.config import ServeConfig, ServeLimits, named_models
        from textclf.serve.server import Listen, serve
    except ModuleNotFoundError as err:
        if missing_extra(err):
            raise TextclfError(f"textclf serve needs FastAPI and uvicorn ({err.name} is not "
                               "installed): pip install 'textclf[serve]'") from err
        raise
    if not args.models and not args.name:
        raise SettingsError("no model to serve: give MODEL files or --name NAME=PATH")
    limits = ServeLimits(max_body=args.max_body, max_batch=args.max_batch,
                         max_chars=args.max_chars, max_concurrency=args.max_concurrency,
                         max_pending_bytes=args.max_pending_bytes,
                         max_connections=args.max_connections,
                         header_timeout=args.header_timeout, body_timeout=args.body_timeout)
    config = ServeConfig(models=named_models(args.models, args.name), limits=limits,
                         watch_interval=args.watch_interval, access_log=args.access_log,
                         trust_pattern=args.trust_pattern, sign_key_file=args.sign_key,
                         graceful_timeout=args.graceful_timeout)
    serve(config, Listen(host=args.host, port=args.port, workers=args.workers,
                         graceful_timeout=args.graceful_timeout, keep_alive=args.keep_alive,
                         log_level=args.log_level))
    return 0
