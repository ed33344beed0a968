#!/usr/bin/env bash
# Builds dist/aws-wif-helper, a one-file executable, from this checkout.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-.venv/bin/python}
"$PYTHON" -m PyInstaller --noconfirm --clean --log-level WARN \
  --distpath dist --workpath build/work build/aws-wif-helper.spec
sha256sum dist/aws-wif-helper | tee dist/aws-wif-helper.sha256
