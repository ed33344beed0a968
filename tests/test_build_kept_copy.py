"""The copy of the bundle the launcher keeps, one per user and build, and when it may run.

The bundle must run from a file (build/launcher/launcher.c), and writing its
11 MB on every run costs time, so the launcher keeps one copy in the unpack
folder, `.aws-wif-helper-kept-UID-BUILD`, and runs it again. These tests pin
down when it does: only a whole copy (its size) that only this user can
change (owner, mode 0700, one name); anything else at that name is replaced,
or, if it cannot be replaced, left alone while the run uses a copy of its own.
A stand-in planted at the name is a script that leaves a mark if it ever runs.
"""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import subprocess
from collections.abc import Callable

import pytest

from tests.captured import capture
from tests.standins.frozen_binary import (
    RUN_LEFTOVERS,
    Sandbox,
    kept_copy_name,
    require_binary,
    signing_access_key,
)

ACCESS_KEY = "AKIAFROZENKEPTCOPY01"
SECRET = "frozen-kept-copy-secret-not-a-real-one-0"
OTHER_USER_ID = 65534
# Eight runs at once on a small machine, each unpacking 37 MB.
CONCURRENT_TIMEOUT_SECONDS = 120
# The helper's own deadline for runs slowed down on purpose (many at once,
# strace): what is tested is the kept copy, not the 3 s default.
SLOW_RUN_OPTIONS = ("--timeout", "30")


@pytest.fixture
def sandbox(tmp_path: pathlib.Path) -> Sandbox:
    require_binary()
    box = Sandbox(tmp_path)
    box.env.update(AWS_ACCESS_KEY_ID=ACCESS_KEY, AWS_SECRET_ACCESS_KEY=SECRET)
    return box


def bundle_length() -> int:
    """How long a whole kept copy is: the binary less the launcher and the trailer."""
    data = require_binary().read_bytes()
    offset = int.from_bytes(data[-24:-16], "little")
    return len(data) - 32 - offset


def plant(path: pathlib.Path, mark: pathlib.Path, mode: int) -> None:
    """A script at `path`, as long as a whole copy, that creates `mark` if it is run."""
    script = f"#!/bin/sh\ntouch {mark}\n".encode()
    path.write_bytes(script + b"#" * (bundle_length() - len(script)))
    path.chmod(mode)


def leftovers(sandbox: Sandbox) -> list[str]:
    return [name for name in os.listdir(sandbox.unpack) if name.startswith(RUN_LEFTOVERS)]


def test_the_first_run_keeps_a_copy_and_the_next_runs_reuse_it(sandbox: Sandbox) -> None:
    kept = sandbox.unpack / kept_copy_name()

    assert signing_access_key(sandbox.response()) == ACCESS_KEY
    first = kept.stat()
    assert signing_access_key(sandbox.response()) == ACCESS_KEY
    second = kept.stat()

    assert (second.st_ino, second.st_mtime_ns) == (first.st_ino, first.st_mtime_ns)
    assert oct(first.st_mode & 0o7777) == "0o700"
    assert first.st_size == bundle_length()
    assert leftovers(sandbox) == []


def test_a_kept_copy_of_the_wrong_size_is_replaced(sandbox: Sandbox) -> None:
    kept = sandbox.unpack / kept_copy_name()
    kept.write_bytes(b"\x7fELF cut short")
    kept.chmod(0o700)

    assert signing_access_key(sandbox.response()) == ACCESS_KEY

    assert kept.stat().st_size == bundle_length()
    assert leftovers(sandbox) == []


@pytest.mark.parametrize("mode", [0o770, 0o707, 0o4700, 0o500], ids=oct)
def test_a_kept_copy_with_another_mode_is_never_run(
    sandbox: Sandbox, tmp_path: pathlib.Path, mode: int
) -> None:
    kept = sandbox.unpack / kept_copy_name()
    mark = tmp_path / "planted-copy-ran"
    plant(kept, mark, mode)

    assert signing_access_key(sandbox.response()) == ACCESS_KEY

    assert not mark.exists()
    assert oct(kept.stat().st_mode & 0o7777) == "0o700"


def test_a_kept_copy_with_a_second_name_is_never_run(
    sandbox: Sandbox, tmp_path: pathlib.Path
) -> None:
    kept = sandbox.unpack / kept_copy_name()
    mark = tmp_path / "linked-copy-ran"
    plant(kept, mark, 0o700)
    os.link(kept, tmp_path / "second-name")

    assert signing_access_key(sandbox.response()) == ACCESS_KEY

    assert not mark.exists()
    assert kept.stat().st_nlink == 1


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can give a file to another user")
def test_a_file_of_another_user_at_the_kept_name_is_never_run(
    sandbox: Sandbox, tmp_path: pathlib.Path
) -> None:
    sandbox.unpack.chmod(0o1777)
    kept = sandbox.unpack / kept_copy_name()
    mark = tmp_path / "foreign-copy-ran"
    plant(kept, mark, 0o700)
    os.chown(kept, OTHER_USER_ID, OTHER_USER_ID)

    assert signing_access_key(sandbox.response()) == ACCESS_KEY

    assert not mark.exists()
    assert leftovers(sandbox) == []


def test_making_a_kept_copy_removes_this_users_copies_of_other_builds(sandbox: Sandbox) -> None:
    own_old = sandbox.unpack / f".aws-wif-helper-kept-{os.geteuid()}-{'0' * 32}"
    someone_elses = sandbox.unpack / f".aws-wif-helper-kept-{OTHER_USER_ID}-{'0' * 32}"
    for path in (own_old, someone_elses):
        path.write_bytes(b"an older build")
        path.chmod(0o700)

    assert signing_access_key(sandbox.response()) == ACCESS_KEY

    assert sorted(os.listdir(sandbox.unpack)) == sorted([kept_copy_name(), someone_elses.name])


def another_build(tmp_path: pathlib.Path) -> pathlib.Path:
    """The binary under another build name: the same bundle, its trailer's last byte changed."""
    data = bytearray(require_binary().read_bytes())
    data[-1] ^= 0xFF
    other = tmp_path / "another-build" / "aws-wif-helper"
    other.parent.mkdir()
    other.write_bytes(bytes(data))
    other.chmod(0o755)
    return other


def run_at_once(sandbox: Sandbox, programs: list[pathlib.Path]) -> list[tuple[int, str, str]]:
    """Start every program in protocol mode at the same moment; their exit statuses and output."""
    runs = [
        subprocess.Popen(
            [str(program), *SLOW_RUN_OPTIONS],
            env=sandbox.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for program in programs
    ]
    results = []
    for run in runs:
        stdout, stderr = run.communicate(timeout=CONCURRENT_TIMEOUT_SECONDS)
        capture("the frozen binary, run with others at once", stdout + stderr)
        results.append((run.returncode, stdout, stderr))
    return results


def test_first_runs_at_once_all_answer_and_leave_nothing_behind(sandbox: Sandbox) -> None:
    """A run that makes the kept copy must not replace one another run has just started."""
    results = run_at_once(sandbox, [require_binary()] * 8)

    for returncode, stdout, stderr in results:
        assert (returncode, stderr) == (0, "")
        assert signing_access_key(json.loads(stdout)) == ACCESS_KEY
    assert leftovers(sandbox) == []
    assert (sandbox.unpack / kept_copy_name()).stat().st_nlink == 1


def test_runs_of_two_builds_at_once_all_answer(sandbox: Sandbox, tmp_path: pathlib.Path) -> None:
    """A run that removes another build's kept copy must not remove one that build is starting."""
    programs = [require_binary(), another_build(tmp_path)] * 4

    results = run_at_once(sandbox, programs)

    for returncode, stdout, stderr in results:
        assert (returncode, stderr) == (0, "")
        assert signing_access_key(json.loads(stdout)) == ACCESS_KEY
    assert leftovers(sandbox) == []


def whole_copy_of_the_bundle() -> bytes:
    data = require_binary().read_bytes()
    offset = int.from_bytes(data[-24:-16], "little")
    return data[offset:-32]


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda bundle: bytes(len(bundle)), id="all-zeros"),
        pytest.param(lambda bundle: bundle[:-4096] + bytes(4096), id="last-block-zeros"),
        pytest.param(
            lambda bundle: bundle[: len(bundle) // 2] + bytes(len(bundle) - len(bundle) // 2),
            id="second-half-zeros",
        ),
    ],
)
def test_a_kept_copy_of_the_right_size_that_lost_data_is_replaced(
    sandbox: Sandbox, damage: Callable[[bytes], bytes]
) -> None:
    """Data lost in a crash reads as zeros: such a copy would fail every later run."""
    kept = sandbox.unpack / kept_copy_name()
    kept.write_bytes(damage(whole_copy_of_the_bundle()))
    kept.chmod(0o700)

    assert signing_access_key(sandbox.response()) == ACCESS_KEY

    assert kept.read_bytes() == whole_copy_of_the_bundle()
    assert leftovers(sandbox) == []


@pytest.mark.skipif(not shutil.which("strace"), reason="strace makes flock fail as on NFS")
def test_a_folder_without_file_locks_still_keeps_and_runs_a_copy(sandbox: Sandbox) -> None:
    """Some network file systems refuse flock; the lock guards removal, not running."""
    strace = ("strace", "-f", "-o", "/dev/null", "-e", "inject=flock:error=ENOLCK")
    traced = sandbox.run(
        *SLOW_RUN_OPTIONS,
        command=[*strace, str(require_binary())],
        timeout=CONCURRENT_TIMEOUT_SECONDS,
    )

    assert (traced.returncode, traced.stderr) == (0, "")
    assert signing_access_key(json.loads(traced.stdout)) == ACCESS_KEY
    assert (sandbox.unpack / kept_copy_name()).exists()
    assert leftovers(sandbox) == []
