#!/usr/bin/env bash
# The main job: train on the built-in IMDB corpus (train split, reporting on dev), evaluate on its
# held-out test split, print the report and the strongest features, save the model.
source "$(dirname "${BASH_SOURCE[0]}")/_venv.sh"
ensure_venv builtin,fast
MODEL="${1:-$ROOT/runs/imdb.textclf}"
mkdir -p "$(dirname "$MODEL")"
"$VENV/bin/textclf" train builtin:imdb -o "$MODEL"
echo
echo "== evaluation on the held-out test split of builtin:imdb =="
"$VENV/bin/textclf" test "$MODEL" builtin:imdb
