"""Reaching a Dask cluster: a LocalCluster of worker processes on this machine, or a
running scheduler (started by ``dask scheduler`` / ``dask worker``, Kubernetes, YARN,
SLURM, ...). dask and distributed are imported here only, when a cluster is asked for."""

from __future__ import annotations

import importlib.util
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

from textclf.distributed.settings import LOCAL, checked_address
from textclf.errors import ClusterError, SettingsError

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
    leaving. A scheduler that cannot be reached, or has no worker, within ``timeout``
    seconds ends with a :class:`ClusterError`."""
    distributed = import_distributed()
    address = checked_address(address)
    cluster = None
    local = LOCAL.fullmatch(address)
    try:
        if local is not None:
            # one thread per worker: a worker's tasks are the numpy and compiled loops of
            # one shard at a time, and N workers share this machine's cores
            cluster = distributed.LocalCluster(
                n_workers=int(local.group(1)), threads_per_worker=1, processes=True,
                silence_logs=logging.CRITICAL, dashboard_address=":0")
            client = distributed.Client(cluster, timeout=timeout)
        else:
            where = {"scheduler_file": address} if address.endswith(".json") \
                else {"address": address}
            client = distributed.Client(**where, timeout=timeout)
    except (OSError, TimeoutError) as err:
        if cluster is not None:
            cluster.close()
        raise ClusterError(f"cannot reach the Dask scheduler at {address} within "
                           f"{timeout:g} s ({err})") from None
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
