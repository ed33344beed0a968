#!/usr/bin/env bash
# Benchmarks cold runs of dist/aws-wif-helper against two baselines built here.
#
#   bash build/bench.sh [RUNS]        # default 30 runs of each binary
#
# The baselines come from our own minimal scripts, built into build/work/bench
# (never dist/) with the same Python and PyInstaller as the helper:
#   hello                a stripped one-file "hello world": the floor of any
#                        one-file binary from this interpreter
#   minimal-boto3-sign   a plain one-file build of a boto3 script that signs
#                        GetCallerIdentity: what the helper replaces
# Also timed, for the cost of the portability wrapper: the helper before
# staticx wraps it (build/work/onefile) and the hello world wrapped likewise.
# Every binary makes an AWS-mode token (or prints) from environment keys in a
# sealed environment: its own HOME and AWS files, no metadata service.
# build/bench/measure.py interleaves the runs and prints size, median wall
# time, CPU time, peak RSS and the two ratios against the goals. Timing lives
# here only; no test fails on it.
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${1:-30}
PYTHON=${PYTHON:-.venv/bin/python}
BENCH=build/work/bench
export PATH="$(dirname "$PYTHON"):$PATH" PYTHONHASHSEED=0
export PYINSTALLER_CONFIG_DIR="$PWD/build/work/pyinstaller-config"

if [[ ! -x dist/aws-wif-helper ]]; then
  bash build/build.sh
fi

build_baseline() { # NAME SCRIPT [PYINSTALLER OPTIONS]
  local name=$1 script=$2
  shift 2
  if [[ ! -x $BENCH/dist/$name || $script -nt $BENCH/dist/$name ]]; then
    echo "building baseline $name"
    "$PYTHON" -m PyInstaller --noconfirm --clean --log-level ERROR --onefile "$@" \
      --name "$name" --distpath "$BENCH/dist" --workpath "$BENCH/work" \
      --specpath "$BENCH/work" "$script"
  fi
}
build_baseline hello build/bench/hello.py --strip
build_baseline minimal-boto3-sign build/bench/minimal_sign.py
if [[ ! -x $BENCH/dist/hello-staticx || $BENCH/dist/hello -nt $BENCH/dist/hello-staticx ]]; then
  "$PYTHON" -m staticx --no-compress "$BENCH/dist/hello" "$BENCH/dist/hello-staticx"
fi

SANDBOX=$(mktemp -d)
trap 'rm -rf "$SANDBOX"' EXIT
touch "$SANDBOX/config" "$SANDBOX/credentials"
cat >"$SANDBOX/env" <<ENV
PATH=/usr/bin:/bin
HOME=$SANDBOX
TMPDIR=${TMPDIR:-/tmp}
LANG=C.UTF-8
AWS_CONFIG_FILE=$SANDBOX/config
AWS_SHARED_CREDENTIALS_FILE=$SANDBOX/credentials
AWS_EC2_METADATA_DISABLED=true
AWS_ACCESS_KEY_ID=AKIABENCHMARKEXAMPLE
AWS_SECRET_ACCESS_KEY=benchmark-secret-key-not-a-real-one-0000
AWS_DEFAULT_REGION=us-east-1
GOOGLE_CLOUD_PROJECT=benchmark
GOOGLE_EXTERNAL_ACCOUNT_AUDIENCE=//iam.googleapis.com/projects/123456/locations/global/workloadIdentityPools/pool/providers/bench
GOOGLE_EXTERNAL_ACCOUNT_TOKEN_TYPE=urn:ietf:params:aws:token-type:aws4_request
ENV

echo "host: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $(uname -r)"
"$PYTHON" build/bench/measure.py --runs "$RUNS" --env-file "$SANDBOX/env" \
  --json "$BENCH/results.json" \
  hello="$BENCH/dist/hello" \
  minimal-boto3-sign="$BENCH/dist/minimal-boto3-sign" \
  helper=dist/aws-wif-helper \
  helper-unwrapped=build/work/onefile/aws-wif-helper \
  hello-staticx="$BENCH/dist/hello-staticx"
echo "figures also in $BENCH/results.json"
