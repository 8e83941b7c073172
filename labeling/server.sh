#!/usr/bin/env bash
# Start a local Label Studio for a timbre labeling session (installs it on first use).
#   bash labeling/server.sh [--data DIR] [--port 8080] [--document-root DIR]
# --data: the server's database and uploads (default $TIMBRE_HOME/labelstudio)
# --document-root: a folder holding your presets; the browser can play files under it (default ~)
# Options left out are those of the last start (one server configuration for every start).
# It listens on 127.0.0.1 only, stores its login and API token in <data>/timbre-server.json
# (mode 600) and the connection for `timbre label push/pull` in $TIMBRE_HOME/labelstudio.json.
# It stops with this script (Ctrl-C, closing the terminal).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bash "$here/install_server.sh"
timbre="$(command -v timbre || true)"
[ -n "$timbre" ] || timbre="$here/../.venv/bin/timbre"
[ -x "$timbre" ] || { echo "error: timbre is not installed: run 'make install' or 'pip install -e .[labeling]'" >&2; exit 2; }
exec "$timbre" label server --start "$@"
