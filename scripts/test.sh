#!/usr/bin/env bash
# The test suite: installs textclf with its test extras into .venv, checks style and the
# import layers (import-linter's contracts in pyproject.toml), runs pytest.
source "$(dirname "${BASH_SOURCE[0]}")/_venv.sh"
ensure_venv test
cd "$ROOT"

# The web page's test drives Debian's Chromium (Playwright cannot download its own here):
# install it when it is missing and this is a root shell with apt-get. Without it the test
# is skipped, saying so (an error under CI: TEXTCLF_REQUIRE_BROWSER, set by .ci/run).
if ! command -v chromium >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 \
        && [ "$(id -u)" = 0 ]; then
    echo "installing chromium for the web page's test (apt-get install -y chromium)" >&2
    apt-get update -qq >/dev/null 2>&1 || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null 2>&1 \
        || echo "could not install chromium; the browser test will say so" >&2
fi

"$VENV/bin/ruff" check .
"$VENV/bin/lint-imports" --no-cache
# On every core (pytest-xdist); the slow end-to-end tests are marked `slow` and run here too
# (`bash scripts/test.sh -m "not slow"` leaves them out for a quick run).
"$VENV/bin/python" -m pytest -n auto "$@"
# The numpy paths on their own (pip install textclf without the fast extra): the everyday
# commands and the default settings, with the compiled kernels switched off.
TEXTCLF_NO_JIT=1 "$VENV/bin/python" -m pytest -q -p no:cacheprovider \
    tests/test_everyday.py tests/test_default_settings.py
