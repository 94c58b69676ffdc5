#!/usr/bin/env bash
# Create the project's virtualenv and install the package (editable) with its dev extras.
#   scripts/setup-venv.sh [VENV_DIR]      (default .venv)
set -euo pipefail
venv="${1:-.venv}"
python="${PYTHON:-python3}"
command -v "$python" >/dev/null 2>&1 || { echo "error: $python not found (Python >= 3.10 is needed)" >&2; exit 1; }
"$python" - <<'PY' || { echo "error: Python >= 3.10 is needed" >&2; exit 1; }
import sys
sys.exit(0 if sys.version_info >= (3, 10) else 1)
PY
[ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet -e ".[dev]"
touch "$venv/.installed"
echo "==> virtualenv ready: $venv" >&2
