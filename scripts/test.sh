#!/usr/bin/env bash
# The test suite: installs textclf with its test extras into .venv, checks style and the
# import layers (import-linter's contracts in pyproject.toml), runs pytest.
source "$(dirname "${BASH_SOURCE[0]}")/_venv.sh"
ensure_venv test
cd "$ROOT"
"$VENV/bin/ruff" check .
"$VENV/bin/lint-imports" --no-cache
"$VENV/bin/python" -m pytest "$@"
