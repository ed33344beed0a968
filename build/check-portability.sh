#!/usr/bin/env bash
# Checks that dist/aws-wif-helper runs on the oldest host it supports: Debian 11
# (glibc 2.31). It builds a Debian 11 root file system with debootstrap once,
# caches it in .rootfs/ (gitignored), and runs build/check_portability.py,
# which runs the binary there with chroot against loopback stand-ins.
#
#   sudo bash build/check-portability.sh
#
# Needs root (debootstrap, chroot, mount namespaces) and the Debian mirror.
# Every step is bounded by a timeout; mounts live in private mount namespaces,
# so an interrupted run leaves none behind. Delete .rootfs/ to start over.
set -euo pipefail
cd "$(dirname "$0")/.."

SUITE=bullseye
ROOTFS=${ROOTFS:-.rootfs/$SUITE}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
PYTHON=${PYTHON:-.venv/bin/python}
DEBOOTSTRAP_TIMEOUT_SECONDS=900
CHECK_TIMEOUT_SECONDS=300

if [[ $(id -u) != 0 ]]; then
  echo "check-portability: run as root (debootstrap, chroot and mount need it)." >&2
  exit 1
fi

if ! command -v debootstrap >/dev/null; then
  echo "check-portability: installing debootstrap"
  timeout 300 apt-get install -y -qq debootstrap >/dev/null ||
    { timeout 300 apt-get update -qq && timeout 300 apt-get install -y -qq debootstrap >/dev/null; }
fi

if [[ ! -f $ROOTFS/.complete ]]; then
  echo "check-portability: building a Debian $SUITE root file system in $ROOTFS (a few minutes)"
  mkdir -p "$(dirname "$ROOTFS")"
  for attempt in 1 2; do
    rm -rf "$ROOTFS.partial"
    # A private mount namespace: debootstrap's own mounts vanish with it.
    if timeout "$DEBOOTSTRAP_TIMEOUT_SECONDS" unshare --mount --propagation private \
      debootstrap --variant=minbase "$SUITE" "$ROOTFS.partial" "$MIRROR" \
      >"$ROOTFS.log" 2>&1; then
      break
    fi
    echo "check-portability: debootstrap attempt $attempt failed; tail of $ROOTFS.log:" >&2
    tail -n 5 "$ROOTFS.log" >&2
    if [[ $attempt == 2 ]]; then
      exit 1
    fi
  done
  rm -rf "$ROOTFS"
  mv "$ROOTFS.partial" "$ROOTFS"
  touch "$ROOTFS/.complete"
fi

if [[ ! -x dist/aws-wif-helper ]]; then
  bash build/build.sh
fi

timeout "$CHECK_TIMEOUT_SECONDS" "$PYTHON" build/check_portability.py "$ROOTFS"
