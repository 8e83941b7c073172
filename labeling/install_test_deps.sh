#!/usr/bin/env bash
# What the Label Studio integration tests need besides the project venv's ".[test,labeling]" extras:
# the server in its own virtualenv and a Chromium (Playwright drives it; no browser download).
# Neither is required: where one cannot be installed (no apt on macOS, no root, no network) this
# says why and the tests that need it skip with the same reason, so `make test` still runs.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

if ! bash "$here/install_server.sh"; then
    echo "skipping the Label Studio server: labeling/install_server.sh failed (see above); its tests will skip" >&2
fi

chromium_found() {
    if [ -n "${TIMBRE_CHROMIUM:-}" ]; then
        [ -x "$TIMBRE_CHROMIUM" ] && return 0
        echo "TIMBRE_CHROMIUM=$TIMBRE_CHROMIUM is not executable" >&2
        return 1
    fi
    for name in chromium chromium-browser google-chrome google-chrome-stable; do
        command -v "$name" >/dev/null 2>&1 && return 0
    done
    for app in "/Applications/Chromium.app/Contents/MacOS/Chromium" \
               "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome" \
               "$HOME/Applications/Chromium.app/Contents/MacOS/Chromium" \
               "$HOME/Applications/Google Chrome.app/Contents/MacOS/Google Chrome"; do
        [ -x "$app" ] && return 0
    done
    return 1
}

if chromium_found; then
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "skipping the Chromium install: no apt-get on this system ($(uname -s)); install Chromium or Google Chrome" \
         "(macOS: brew install --cask chromium) or set TIMBRE_CHROMIUM=/path/to/it — the browser tests skip" \
         "without it" >&2
elif [ "$(id -u)" -eq 0 ]; then
    apt-get update -qq && apt-get install -y -qq chromium
else
    echo "chromium missing: run 'sudo apt-get install -y chromium' (the browser tests skip without it)" >&2
fi
