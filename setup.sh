#!/usr/bin/env bash
# Create .venv (Python 3.10+) and install deltaedit with its pinned requirements.
# SETUP=conda uses environment.yml instead when conda/mamba is on PATH.
set -euo pipefail
cd "$(dirname "$0")"
if [[ "${SETUP:-pip}" == "conda" ]] && command -v conda >/dev/null; then
  conda env create -f environment.yml || conda env update -f environment.yml
  exit 0
fi
PY="${PYTHON:-python3}"
[[ -x .venv/bin/python ]] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -r requirements.txt
.venv/bin/python -m pip install -q --no-deps -e .
