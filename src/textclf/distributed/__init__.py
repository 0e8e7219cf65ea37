"""Training on a Dask cluster: the corpus in shards on the workers, only θ and sums on the
network (docs/distributed.md).

A layer beside the classifier, on the training layer: shards give
``Model.loss_and_gradient_sum`` sums for full-batch L-BFGS (``exact``), or run the
training loop's own SGD epochs (``average``). ``settings`` declares ``dask``,
``distributed``, ``max_iter`` and ``dask_timeout``; ``cluster`` connects; ``shards`` reads;
``facts`` sums up the corpus; ``targets`` makes rows of documents; ``featurising`` counts,
merges and featurises on the workers; ``reduction`` adds results up; ``progress`` keeps
what a checkpoint needs; ``fit`` runs it all. dask and distributed are imported only when a
cluster is used (extra ``dask``).
"""

from textclf.distributed.cluster import DASK_MISSING, connect, import_distributed
from textclf.distributed.facts import CorpusFacts
from textclf.distributed.fit import ClusterJob, Start, fit_on_cluster, mode_settings
from textclf.distributed.settings import DEFAULT_MODE, MODES, ClusterSettings
from textclf.distributed.shards import ReadOptions, expand_paths
from textclf.distributed.targets import RowPlan

__all__ = [
    "DASK_MISSING",
    "DEFAULT_MODE",
    "MODES",
    "ClusterJob",
    "ClusterSettings",
    "CorpusFacts",
    "ReadOptions",
    "RowPlan",
    "Start",
    "connect",
    "expand_paths",
    "fit_on_cluster",
    "import_distributed",
    "mode_settings",
]
