#!/usr/bin/env bash
# What the Label Studio integration tests need besides the project venv's ".[test,labeling]" extras:
# the server in its own virtualenv and Debian's Chromium (Playwright drives it; no browser download).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bash "$here/install_server.sh"
if ! command -v chromium >/dev/null 2>&1; then
    if [ "$(id -u)" -eq 0 ]; then
        apt-get update -qq && apt-get install -y -qq chromium
    else
        echo "chromium missing: run 'sudo apt-get install -y chromium' (the browser test skips without it)" >&2
    fi
fi
