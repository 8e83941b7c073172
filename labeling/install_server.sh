#!/usr/bin/env bash
# Create labeling/.venv-server with Label Studio 1.23.x (about 1 GB; a few minutes).
# Idempotent: an existing, working venv is kept. Usage: bash labeling/install_server.sh [PYTHON]
# TIMBRE_LABELSTUDIO_VENV: install there instead (timbre looks for the server there too).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="${TIMBRE_LABELSTUDIO_VENV:-${LABEL_STUDIO_VENV:-$here/.venv-server}}"
python="${1:-${PYTHON:-python3}}"

if [ -x "$venv/bin/label-studio" ] && "$venv/bin/python" -c "import label_studio" 2>/dev/null; then
    echo "label-studio server venv ready: $venv"
    exit 0
fi
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip
"$venv/bin/python" -m pip install -q --disable-pip-version-check -r "$here/requirements-server.txt"
"$venv/bin/python" -c "import label_studio; print('label-studio', label_studio.__version__, 'installed in $venv')"
