"""Reaching a Dask cluster: a LocalCluster of worker processes on this machine, or a
running scheduler (started by ``dask scheduler`` / ``dask worker``, Kubernetes, YARN,
SLURM, ...). dask and distributed are imported here only, when a cluster is asked for."""

from __future__ import annotations

import importlib.util
import logging
import os
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

from textclf.distributed.settings import LOCAL, checked_address
from textclf.errors import ClusterError, SettingsError

OWN_ERROR_MARGIN = 1.0  # seconds
DASK_MISSING = ("training on a Dask cluster needs dask and distributed: "
                "pip install 'textclf[dask]'")


def import_distributed() -> Any:
    """The ``distributed`` package, or a one-line error saying how to install it."""
    try:
        import distributed
    except ImportError:
        raise SettingsError(DASK_MISSING) from None
    return distributed


def say(message: str, quiet: bool) -> None:
    if not quiet:
        print(message, file=sys.stderr, flush=True)


@contextmanager
def connect(address: str, timeout: float, quiet: bool = True) -> Iterator[Any]:
    """A ``distributed.Client`` for ``address`` (see :func:`~textclf.distributed.settings.
    checked_address`), with at least one worker; closed (and a local cluster stopped) on
    leaving. A scheduler that cannot be reached, does not answer, answers in another
    protocol or has no worker within ``timeout`` seconds (a scheduler file that does not
    appear in that time, too) ends with a :class:`ClusterError`."""
    distributed = import_distributed()
    address = checked_address(address)
    cluster = None
    local = LOCAL.fullmatch(address)
    if local is not None:
        # one thread per worker: a worker's tasks are the numpy and compiled loops of
        # one shard at a time, and N workers share this machine's cores
        try:
            cluster = distributed.LocalCluster(
                n_workers=int(local.group(1)), threads_per_worker=1, processes=True,
                silence_logs=logging.CRITICAL, dashboard_address=":0")
            client = distributed.Client(cluster, timeout=timeout)
        except (OSError, TimeoutError) as err:
            if cluster is not None:
                cluster.close()
            raise ClusterError(f"cannot start a local Dask cluster ({err})") from None
    else:
        client = remote_client(distributed, address, timeout)
    try:
        try:
            client.wait_for_workers(1, timeout=timeout)
        except TimeoutError:
            raise ClusterError(f"no Dask worker joined the scheduler at {address} within "
                               f"{timeout:g} s (start workers with: dask worker "
                               f"{client.scheduler.address})") from None
        workers = client.scheduler_info()["workers"]
        threads = sum(worker["nthreads"] for worker in workers.values())
        say(f"Dask cluster {client.scheduler.address}: {len(workers)} worker(s), {threads} "
            f"thread(s); dashboard {dashboard(client)}", quiet)
        yield client
    finally:
        close(client, cluster, timeout)


def remote_client(distributed: Any, address: str, timeout: float) -> Any:
    """A client of the scheduler at ``address`` (or named by a scheduler file), within
    ``timeout`` seconds whatever the other end does.

    distributed's own timeout does not cover every case: it waits for a scheduler file
    to appear, and for a service that accepts the connection but never answers, without
    end; and it takes a reply in another protocol for the length of a frame (exabytes, a
    MemoryError). So the client is made in a thread of its own, waited for at most
    ``timeout`` seconds (and :data:`OWN_ERROR_MARGIN`, for distributed's own error, the more
    precise, to arrive first; one that comes later is closed), and every failure is one
    line."""
    where = {"scheduler_file": address} if address.endswith(".json") else {"address": address}
    made: dict[str, Any] = {}
    done = threading.Event()
    late = threading.Event()

    def make() -> None:
        try:
            with dask_logs_silenced():
                made["client"] = distributed.Client(**where, timeout=timeout)
        except BaseException as err:  # noqa: BLE001 (reported to the caller, in one line)
            made["error"] = err
        done.set()
        if late.is_set() and "client" in made:
            close(made["client"], None, timeout)

    if address.endswith(".json") and not wait_for_file(address, timeout):
        raise ClusterError(f"the Dask scheduler file {address} does not exist (waited "
                           f"{timeout:g} s; --dask-timeout)")
    threading.Thread(target=make, name="textclf-dask-connect", daemon=True).start()
    if not done.wait(timeout + OWN_ERROR_MARGIN):
        late.set()
        raise ClusterError(f"the Dask scheduler at {address} did not answer within "
                           f"{timeout:g} s (is it a Dask scheduler? --dask-timeout)")
    error = made.get("error")
    if error is None:
        return made["client"]
    if isinstance(error, OSError | TimeoutError):
        raise ClusterError(f"cannot reach the Dask scheduler at {address} within "
                           f"{timeout:g} s ({error})") from None
    if isinstance(error, ValueError) and "scheme" in str(error):
        raise ClusterError(f"{address}: not an address Dask can reach ({error})") from None
    if isinstance(error, Exception):  # a reply in another protocol (a MemoryError), say
        raise ClusterError(f"{address} does not answer as a Dask scheduler "
                           f"({type(error).__name__})") from None
    raise error


def wait_for_file(path: str, timeout: float) -> bool:
    """Whether ``path`` exists, or appears within ``timeout`` seconds (a scheduler writes
    its file once it has started)."""
    deadline = time.monotonic() + timeout
    while not os.path.exists(path):
        if time.monotonic() >= deadline:
            return False
        time.sleep(min(0.1, max(deadline - time.monotonic(), 0.0)))
    return True


def dashboard(client: Any) -> str:
    """The dashboard's address, and what it needs if it cannot show anything."""
    if "dashboard" not in client.scheduler_info().get("services", {}):
        return "off"
    if importlib.util.find_spec("bokeh") is None and client.cluster is not None:
        return f"{client.dashboard_link} (needs bokeh: pip install bokeh)"
    return client.dashboard_link


def dask_loggers() -> list[logging.Logger]:
    """distributed's loggers (it sets the levels of several of its own)."""
    names = [name for name in logging.root.manager.loggerDict
             if name == "distributed" or name.startswith("distributed.")]
    return [logging.getLogger(name) for name in ["distributed", *names]]


@contextmanager
def dask_logs_silenced() -> Iterator[None]:
    """distributed logs nothing below CRITICAL inside (e.g. a client giving up on a lost
    scheduler, which textclf reports in one line of its own)."""
    with suppress(ImportError):
        import distributed  # noqa: F401  (its import sets the levels of its loggers)
    loggers = dask_loggers()
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


def close(client: Any, cluster: Any, timeout: float) -> None:
    """Close the client and stop a local cluster, quietly: at the end of a run, or after
    losing the scheduler (then there is nothing left to close cleanly)."""
    with dask_logs_silenced():
        for part in (client, cluster):
            if part is not None:
                with suppress(OSError, TimeoutError, RuntimeError):
                    part.close(timeout=timeout)
