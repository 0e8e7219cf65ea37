# Sourced by the other scripts: make sure .venv exists and holds textclf with the given extras.
# Usage: ensure_venv EXTRAS   (e.g. "builtin" or "test")
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"

ensure_venv() {
    local extras="$1"
    local python="${PYTHON:-python3}"
    if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
        echo "textclf needs Python 3.11 or newer ($python is $("$python" --version 2>&1))" >&2
        exit 1
    fi
    if [ ! -x "$VENV/bin/python" ]; then
        echo "creating virtual environment in $VENV" >&2
        "$python" -m venv "$VENV"
    fi
    # Re-install when pyproject.toml changed since the last install (or on first use).
    local stamp="$VENV/.textclf-installed-$extras"
    if [ ! -f "$stamp" ] || [ "$ROOT/pyproject.toml" -nt "$stamp" ]; then
        "$VENV/bin/python" -m pip install --quiet --upgrade pip
        "$VENV/bin/python" -m pip install --quiet -e "$ROOT[$extras]"
        touch "$stamp"
    fi
}
