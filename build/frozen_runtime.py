"""Start-up chores of the one-file binary, run before the helper's own code.

One-file mode unpacks the bundle into a fresh folder under TMPDIR on every run
(`_MEI*`, made by PyInstaller's bootloader; with the portable build also a
`staticx-*` folder holding the bundle's C library) and removes it when the run
ends. Before that, the launcher at the front of the file (build/launcher/
launcher.c) chose a TMPDIR that allows running programs and ran the bundle
from a copy there: the one it keeps, or, where it cannot keep one, a copy of
this run's own. Three things need help:

* A copy of this run's own (AWS_WIF_HELPER_LAUNCH_COPY) is no longer needed
  once this code runs, and the caller's TMPDIR, which the launcher may have
  changed, belongs to the programs the helper starts. Both are put right
  first.

* The bootloader puts the unpack folder on LD_LIBRARY_PATH so the bundled
  interpreter finds its libraries. Programs the helper starts (a
  `credential_process`) must not inherit it: they would load the bundle's
  libssl or libz instead of their own, and on an older host fail outright.
* A run killed with SIGKILL (clients kill a helper that runs past their
  timeout) leaves its folders behind, and a run killed within its first
  moments its launcher's copy. Each run therefore holds a shared `flock` on
  its own folders for as long as it lives, and removes the folders of earlier
  runs that are ours, older than `STALE_AFTER_SECONDS`, and held by no
  process. The age check covers the moment between unpacking and taking the
  lock; the lock covers runs that live long. A launcher's copy older than that
  belongs to a dead run, since a live one deletes its copy at once.

Nothing here may fail a run: every error is swallowed.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import sys
import time

__all__ = ["STALE_AFTER_SECONDS", "prepare"]

# Far beyond the time from unpacking to taking the lock (well under a second)
# and below any sensible gap between two token refreshes.
STALE_AFTER_SECONDS = 60
UNPACK_MARKER = "aws-wif-helper.unpacked"
PROGRAM_NAME = "aws-wif-helper"
LAUNCH_COPY_PREFIX = ".aws-wif-helper-launch-"  # as in build/launcher/launcher.c
_LEFTOVER_PREFIXES = ("_MEI", "staticx-", LAUNCH_COPY_PREFIX)

# Descriptors holding this run's locks; kept open until the process ends.
_held: list[int] = []


def prepare() -> None:
    """Undo the launcher's changes, lock this run's folders, sweep stale ones."""
    if not getattr(sys, "frozen", False):
        return
    with contextlib.suppress(Exception):
        _remove_launch_copy()
    with contextlib.suppress(Exception):
        _restore_temporary_folder()
    with contextlib.suppress(Exception):
        _restore_library_path()
    with contextlib.suppress(Exception):
        own = _own_folders()
        for folder in own:
            _hold(folder)
        for parent in {os.path.dirname(folder) for folder in own}:
            _sweep(parent, own)


def _remove_launch_copy() -> None:
    copy = os.environ.pop("AWS_WIF_HELPER_LAUNCH_COPY", None)
    if copy and os.path.basename(copy).startswith(LAUNCH_COPY_PREFIX):
        os.unlink(copy)


def _restore_temporary_folder() -> None:
    """Give back the caller's TMPDIR, which the launcher kept when it changed it.

    AWS_WIF_HELPER_CALLER_TMPDIR is set only then; empty means the caller had
    none. The unpack folders stay where they are;
    only programs the helper starts, and its own temporary files, see the
    caller's TMPDIR again.
    """
    caller = os.environ.pop("AWS_WIF_HELPER_CALLER_TMPDIR", None)
    if caller is None:
        return
    if caller:
        os.environ["TMPDIR"] = caller
    else:
        os.environ.pop("TMPDIR", None)


def _restore_library_path() -> None:
    original = os.environ.pop("LD_LIBRARY_PATH_ORIG", None)
    if original is None:
        os.environ.pop("LD_LIBRARY_PATH", None)
    else:
        os.environ["LD_LIBRARY_PATH"] = original


def _own_folders() -> list[str]:
    folders = [os.path.realpath(sys._MEIPASS)]  # type: ignore[attr-defined]
    staticx = os.environ.get("STATICX_BUNDLE_DIR")
    if staticx:
        folders.append(os.path.realpath(staticx))
    return folders


def _hold(folder: str) -> None:
    descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    fcntl.flock(descriptor, fcntl.LOCK_SH)
    _held.append(descriptor)


def _is_ours(path: str, name: str) -> bool:
    """Whether the unpack folder `path` (named `name`) was made by a run of this program.

    PyInstaller's `_MEI*` folders get the marker before any other file (the
    spec sees to it), and staticx's `staticx-*` folders get the program,
    named like this one, before the link to it. So a folder of ours lacks
    both only when its run was killed at once: then it is empty, and an empty
    folder of this user's holds nothing of anyone's. (A staticx folder killed
    within its first milliseconds, holding only C libraries, is not
    recognised.)
    """
    if not os.listdir(path):
        return os.stat(path).st_uid == os.geteuid()
    if name.startswith("_MEI"):
        return os.path.isfile(os.path.join(path, UNPACK_MARKER))
    if name.startswith("staticx-"):
        program = os.path.join(path, PROGRAM_NAME)
        with contextlib.suppress(OSError):
            if os.readlink(os.path.join(path, ".staticx.prog")) == PROGRAM_NAME:
                return True
        return os.path.isfile(program) and not os.path.islink(program)
    return False


def _sweep(parent: str, own: list[str]) -> None:
    now = time.time()
    for entry in os.scandir(parent):
        if not entry.name.startswith(_LEFTOVER_PREFIXES):  # most of a busy /tmp
            continue
        with contextlib.suppress(OSError):
            if entry.name.startswith(LAUNCH_COPY_PREFIX):
                _remove_stale_launch_copy(entry, now)
                continue
            path = os.path.realpath(entry.path)
            if path in own or not entry.is_dir(follow_symlinks=False):
                continue
            if not _is_ours(path, entry.name):
                continue
            if now - entry.stat(follow_symlinks=False).st_mtime < STALE_AFTER_SECONDS:
                continue
            _remove_if_unheld(path)


def _remove_stale_launch_copy(entry: os.DirEntry[str], now: float) -> None:
    status = entry.stat(follow_symlinks=False)
    if not entry.is_file(follow_symlinks=False) or status.st_uid != os.geteuid():
        return
    if now - status.st_mtime >= STALE_AFTER_SECONDS:
        os.unlink(entry.path)


def _remove_if_unheld(path: str) -> None:
    descriptor = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(descriptor)
        return
    try:
        shutil.rmtree(path, ignore_errors=True)
    finally:
        os.close(descriptor)
