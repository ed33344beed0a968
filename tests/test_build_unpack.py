"""Where the one-file binary unpacks itself, and what a run leaves behind.

Every run unpacks the bundle under TMPDIR (`staticx-*` for the C library
layer, `_MEI*` for PyInstaller's) and removes it at exit. These tests pin the
cases around that: a run ended by SIGTERM, runs killed with SIGKILL (whose
folders, and launcher copies, the next run sweeps once they are stale and
unheld), folders that are not ours or still in use, and the library path
handed to child processes. How the folder is chosen (noexec mounts) is in
tests/test_build_launcher.py.
"""

from __future__ import annotations

import contextlib
import json
import os
import pathlib
import signal
import subprocess
import time
from collections.abc import Callable, Iterator

import pytest

from tests.standins.frozen_binary import (
    Sandbox,
    require_binary,
    signing_access_key,
)

ACCESS_KEY = "AKIAFROZENUNPACKTEST"
SECRET = "frozen-unpack-secret-not-a-real-one-0000"
STALE_AGE_SECONDS = 10 * 60
WAIT_SECONDS = 20


@pytest.fixture
def sandbox(tmp_path: pathlib.Path) -> Sandbox:
    require_binary()
    box = Sandbox(tmp_path)
    box.env.update(
        AWS_ACCESS_KEY_ID=ACCESS_KEY, AWS_SECRET_ACCESS_KEY=SECRET, AWS_DEFAULT_REGION="us-east-1"
    )
    return box


@pytest.fixture
def slow_run(sandbox: Sandbox) -> Iterator[subprocess.Popen[bytes]]:
    """A run waiting in a slow `credential_process`, in a process group of its own."""
    started = sandbox.root / "credential-process-started"
    script = sandbox.root / "slow-credential-process"
    script.write_text(f"#!/bin/sh\ntouch {started}\nexec sleep 60\n")
    script.chmod(0o755)
    sandbox.config.write_text(f"[profile slow]\ncredential_process = {script}\n")

    process = subprocess.Popen(
        [str(require_binary()), "--profile", "slow", "--timeout", "90"],
        env=sandbox.env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        _wait_for(started.exists, "the slow credential_process to start")
        yield process
    finally:
        _kill_group(process)


def test_finished_run_leaves_no_unpack_folder(sandbox: Sandbox) -> None:
    assert signing_access_key(sandbox.response()) == ACCESS_KEY

    assert sandbox.unpack_folders() == []


def test_sigterm_leaves_no_unpack_folder(
    sandbox: Sandbox, slow_run: subprocess.Popen[bytes]
) -> None:
    assert sandbox.unpack_folders() != []

    slow_run.send_signal(signal.SIGTERM)
    slow_run.wait(WAIT_SECONDS)

    assert sandbox.unpack_folders() == []


def test_next_run_removes_folders_of_killed_runs(
    sandbox: Sandbox, slow_run: subprocess.Popen[bytes]
) -> None:
    _kill_group(slow_run)
    leftovers = sandbox.unpack_folders()
    assert leftovers != []
    _age(sandbox, leftovers)

    assert signing_access_key(sandbox.response()) == ACCESS_KEY

    assert sandbox.unpack_folders() == []


def test_next_run_keeps_recent_folders_of_killed_runs(
    sandbox: Sandbox, slow_run: subprocess.Popen[bytes]
) -> None:
    _kill_group(slow_run)
    leftovers = sandbox.unpack_folders()

    assert signing_access_key(sandbox.response()) == ACCESS_KEY

    assert sandbox.unpack_folders() == leftovers


def test_next_run_keeps_folders_of_runs_still_going(
    sandbox: Sandbox, slow_run: subprocess.Popen[bytes]
) -> None:
    in_use = sandbox.unpack_folders()
    _age(sandbox, in_use)

    assert signing_access_key(sandbox.response()) == ACCESS_KEY

    assert sandbox.unpack_folders() == in_use
    assert slow_run.poll() is None


def test_next_run_removes_stale_launcher_copies_and_keeps_recent_ones(sandbox: Sandbox) -> None:
    # A run killed before the helper starts leaves the launcher's copy of the bundle.
    stale, recent = ".aws-wif-helper-launch-Stale1", ".aws-wif-helper-launch-Recnt1"
    for name in (stale, recent):
        (sandbox.unpack / name).write_bytes(b"\x7fELF a copy of the bundle")
    _age(sandbox, [stale])

    assert signing_access_key(sandbox.response()) == ACCESS_KEY

    assert sandbox.unpack_folders() == [recent]


def test_next_run_removes_folders_of_runs_killed_while_unpacking(sandbox: Sandbox) -> None:
    # Killed before the first file (empty), or in staticx's layer after the
    # program but before staticx's link to it.
    for name in ("_MEIkilled", "staticx-killed"):
        (sandbox.unpack / name).mkdir()
    partial = sandbox.unpack / "staticx-partial"
    partial.mkdir()
    for part in ("libc.so.6", "aws-wif-helper"):
        (partial / part).write_bytes(b"unpacked before the kill")
    _age(sandbox, ["_MEIkilled", "staticx-killed", "staticx-partial"])

    assert signing_access_key(sandbox.response()) == ACCESS_KEY

    assert sandbox.unpack_folders() == []


def test_next_run_leaves_other_programs_folders_alone(sandbox: Sandbox) -> None:
    foreign = ["_MEIforeign", "staticx-foreign"]
    for name in foreign:
        (sandbox.unpack / name).mkdir()
        (sandbox.unpack / name / "payload").write_text("not ours")
    _age(sandbox, foreign)

    assert signing_access_key(sandbox.response()) == ACCESS_KEY

    assert sandbox.unpack_folders() == sorted(foreign)


def test_credential_process_gets_the_callers_library_path(sandbox: Sandbox) -> None:
    seen = sandbox.root / "library-path-seen"
    document = {"Version": 1, "AccessKeyId": ACCESS_KEY, "SecretAccessKey": SECRET}
    script = sandbox.root / "credential-process"
    script.write_text(
        f'#!/bin/sh\nprintf %s "$LD_LIBRARY_PATH" > {seen}\n'
        f"cat <<'EOF'\n{json.dumps(document)}\nEOF\n"
    )
    script.chmod(0o755)
    sandbox.config.write_text(f"[profile process]\ncredential_process = {script}\n")

    response = sandbox.response(
        "--profile", "process", extra_env={"LD_LIBRARY_PATH": "/opt/caller/lib"}
    )

    assert signing_access_key(response) == ACCESS_KEY
    assert seen.read_text() == "/opt/caller/lib"


def _wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL the run's whole process group (every layer and the credential_process)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(WAIT_SECONDS)
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        try:
            os.killpg(process.pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)


def _age(sandbox: Sandbox, names: list[str]) -> None:
    """Make folders look as old as a run killed ten minutes ago."""
    then = time.time() - STALE_AGE_SECONDS
    for name in names:
        os.utime(sandbox.unpack / name, (then, then))
