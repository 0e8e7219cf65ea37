#!/usr/bin/env bash
# Paired whole-process fits of two source trees, alternating, two rounds per corpus: wall,
# user and system seconds and peak RSS of `textclf train DATA/train.jsonl.gz -o M --quiet`
# (/usr/bin/time), then the test split's accuracy by `textclf test` (benchmarks/RESULTS.md §20).
#
#   bash benchmarks/paired_fit.sh BEFORE_SRC AFTER_SRC DATA_DIR... [> paired.log]
#
# e.g. bash benchmarks/paired_fit.sh /tmp/before/src src ../shared/datasets/news20 /tmp/sp/data/imdb
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PY=${PYTHON:-$ROOT/.venv/bin/python}
BEFORE=$(realpath "$1"); AFTER=$(realpath "$2"); shift 2
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
TEXTCLF='import sys; from textclf.cli import main; sys.exit(main())'
for data in "$@"; do
  for round in 1 2; do
    for label in before after; do
      src=$BEFORE; [[ $label = after ]] && src=$AFTER
      model=$WORK/$label.textclf
      rm -f "$model"
      env -u PYTHONDONTWRITEBYTECODE PYTHONPATH="$src" /usr/bin/time -o "$WORK/time" \
          -f "%e %U %S %M" "$PY" -c "$TEXTCLF" train "$data/train.jsonl.gz" -o "$model" \
          --quiet > /dev/null
      accuracy=$(PYTHONPATH="$src" "$PY" -c "$TEXTCLF" test "$model" "$data/test.jsonl.gz" \
                 | grep -m1 -o "accuracy: [0-9.]*")
      echo "$(basename "$data") round $round $label: wall user sys maxKB = $(cat "$WORK/time"); $accuracy"
    done
  done
done
