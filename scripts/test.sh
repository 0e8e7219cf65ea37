#!/usr/bin/env bash
# The test suite: installs textclf with its test extras into .venv, checks style, runs pytest.
source "$(dirname "${BASH_SOURCE[0]}")/_venv.sh"
ensure_venv test
cd "$ROOT"
"$VENV/bin/ruff" check .
"$VENV/bin/python" -m pytest "$@"
