"""How training on a Dask cluster is run: each setting declared once (see
:mod:`textclf.core.settings`); ``textclf train`` options and ``TextClassifier`` arguments."""

from __future__ import annotations

import re

from textclf.core.settings import Setting, Settings
from textclf.errors import SettingsError
from textclf.training.settings import LBFGS_ITERATIONS

MODES = ("exact", "average")
# The mode with the better accuracy (and speed) in benchmarks/RESULTS.md, section 12.
DEFAULT_MODE = "average"
LOCAL = re.compile(r"local:(\d+)")


def checked_address(address: str) -> str:
    """``local:N`` (N ≥ 1 worker processes here), a scheduler's address (``tcp://HOST:PORT``,
    ``tls://...``; a bare ``HOST:PORT`` means tcp) or a scheduler file (``.json``)."""
    local = LOCAL.fullmatch(address)
    if local is not None and int(local.group(1)) >= 1:
        return address
    if address.endswith(".json") or re.fullmatch(r"([a-z+]+://)?[^\s/:]+:\d+", address) \
            or re.fullmatch(r"[a-z+]+://\S+", address):
        return address
    raise SettingsError(f"dask must be local:N (N ≥ 1 worker processes on this machine), a "
                        f"scheduler address such as tcp://HOST:8786, or a scheduler file "
                        f"(.json), got {address!r}")


class ClusterSettings(Settings):
    """Where and how a cluster trains; not stored in the model file (the history records
    the mode)."""

    dask = Setting(str, None, "train on a Dask cluster: local:N starts N worker processes "
                   "here, tcp://HOST:PORT (or a scheduler file .json) joins a running one; "
                   "DATA is then one or more files or globs, each a shard "
                   "(docs/distributed.md)", metavar="CLUSTER", check=checked_address)
    distributed = Setting(str, DEFAULT_MODE, "on a cluster: exact (full-batch L-BFGS on the "
                          "sum of the shards' gradients, the θ of one process) or average "
                          "(an SGD epoch per worker at η times its inverse share of the "
                          "data, θ averaged by document count after each)", choices=MODES)
    max_iter = Setting(int, None, "exact mode: L-BFGS iterations at most (default "
                       f"{LBFGS_ITERATIONS}; --epochs counts SGD epochs, of the average "
                       "mode)", minimum=1, metavar="N")
    dask_timeout = Setting(float, 30.0, "seconds to wait for the Dask scheduler and a "
                           "worker, when connecting and after losing the connection",
                           above=0.0, metavar="SECONDS")
