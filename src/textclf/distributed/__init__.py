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

from textclf.core.exports import lazy_exports

__getattr__, __dir__ = lazy_exports(__name__, {  # name → the module it comes from
    "DASK_MISSING": "textclf.distributed.cluster",
    "CorpusFacts": "textclf.distributed.facts",
    "Start": "textclf.distributed.fit",
    "RowPlan": "textclf.distributed.targets",
    "connect": "textclf.distributed.cluster",
    "import_distributed": "textclf.distributed.cluster",
    "ClusterJob": "textclf.distributed.fit",
    "fit_on_cluster": "textclf.distributed.fit",
    "mode_settings": "textclf.distributed.fit",
    "DEFAULT_MODE": "textclf.distributed.settings",
    "MODES": "textclf.distributed.settings",
    "ClusterSettings": "textclf.distributed.settings",
    "ReadOptions": "textclf.distributed.shards",
    "expand_paths": "textclf.distributed.shards",
})

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
