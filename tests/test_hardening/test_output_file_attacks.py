"""The output file under attack: bad paths, other people's files, links, full disks.

The client trusts whatever the output file holds, and so does the helper when
it reuses a response. Each test runs the helper process with working keys and
checks the answer and the files around it. Where the helper refuses, it
answers OUTPUT_FILE_ERROR with the reason, and every file is left as it was.

Decisions these tests pin down:

* a symbolic link at the output path (or the lock path) is refused, not
  followed and not replaced: its target is never read or changed;
* a file owned by another user, or writable by every user, is refused, and so
  is a folder every user can write that has no sticky bit (`/tmp` has one);
* a corrupt, truncated or oversized file is replaced by a valid response;
* a write that fails half-way (a full disk, simulated with a file size limit)
  leaves the old file and no temporary file.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import shutil
import stat
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from helper.output_file import temporary_file_prefix
from tests.harness import AwsEnvironment, HelperRun, client_variables, module_helper
from tests.standins.aws_keys import LONG_TERM_KEY

OTHER_USER_ID = 65534  # "nobody" on Debian
VALID_RESPONSE = json.dumps(
    {
        "version": 1,
        "success": True,
        "token_type": "urn:ietf:params:oauth:token-type:jwt",
        "id_token": "an-earlier-token",
        "expiration_time": 1_700_000_000,
    }
)
RUNNING_AS_ROOT = os.geteuid() == 0


@pytest.fixture(autouse=True)
def long_term_key(aws_env: AwsEnvironment) -> None:
    aws_env.use_key(LONG_TERM_KEY)


def run(
    aws_env: AwsEnvironment,
    output_file: Path | str,
    *,
    before_exec: Callable[[], None] | None = None,
    cwd: Path | None = None,
    **more: str,
) -> HelperRun:
    """Run the module helper once for `output_file`; fail on any byte on stderr."""
    environ = aws_env.environ(client_variables(output_file=output_file, **more))
    result = module_helper().run(
        environ, cwd=cwd or aws_env.work_dir, before_exec=before_exec, timeout=30
    )
    assert result.returncode == 0
    assert result.stderr == b""
    return result


def refusal(result: HelperRun) -> str:
    """The message of an OUTPUT_FILE_ERROR answer."""
    assert result.response["code"] == "OUTPUT_FILE_ERROR", result.response
    return str(result.response["message"])


def snapshot(path: Path) -> tuple[bytes, int, int, int]:
    """What must not change about a file: its bytes, inode, mtime and mode."""
    status = path.lstat()
    return path.read_bytes(), status.st_ino, status.st_mtime_ns, status.st_mode


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def leftovers(folder: Path) -> list[str]:
    return sorted(name for name in os.listdir(folder) if name.endswith(".tmp"))


@contextlib.contextmanager
def folder_another_user_can_reach() -> Iterator[Path]:
    """A folder outside pytest's private ones, reachable by `OTHER_USER_ID`."""
    folder = Path(tempfile.mkdtemp(prefix="aws-wif-helper-other-user-"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def as_other_user() -> None:
    os.setgid(OTHER_USER_ID)
    os.setgroups([])
    os.setuid(OTHER_USER_ID)


def test_missing_parent_folders_are_created_0700_and_the_file_0600(
    aws_env: AwsEnvironment, tmp_path: Path
) -> None:
    output_file = tmp_path / "a" / "b" / "c" / "response.json"

    result = run(aws_env, output_file)

    assert result.response["success"] is True
    assert json.loads(output_file.read_text()) == result.response
    assert mode_of(output_file) == 0o600
    assert mode_of(Path(str(output_file) + ".lock")) == 0o600
    for folder in (tmp_path / "a", tmp_path / "a" / "b", tmp_path / "a" / "b" / "c"):
        assert mode_of(folder) == 0o700


def test_a_parent_folder_that_cannot_be_written_is_an_output_file_error(
    aws_env: AwsEnvironment,
) -> None:
    with folder_another_user_can_reach() as shared:
        locked = shared / "locked"
        locked.mkdir()
        output_file = locked / "response.json"
        output_file.write_text(VALID_RESPONSE)
        output_file.chmod(0o600)
        if RUNNING_AS_ROOT:  # root writes anywhere: run the helper as a user who cannot
            os.chown(output_file, OTHER_USER_ID, OTHER_USER_ID)
            os.chown(locked, OTHER_USER_ID, OTHER_USER_ID)
        locked.chmod(0o555)
        before = snapshot(output_file)

        result = run(
            aws_env,
            output_file,
            before_exec=as_other_user if RUNNING_AS_ROOT else None,
            cwd=shared,
        )

        assert "lock file" in refusal(result)
        assert snapshot(output_file) == before
        assert sorted(os.listdir(locked)) == ["response.json"]


def test_a_parent_that_is_a_file_is_an_output_file_error(
    aws_env: AwsEnvironment, tmp_path: Path
) -> None:
    not_a_folder = tmp_path / "not-a-folder"
    not_a_folder.write_text("a file\n")

    result = run(aws_env, not_a_folder / "response.json")

    assert "output_file" in refusal(result)
    assert not_a_folder.read_text() == "a file\n"


def test_a_folder_at_the_output_path_is_refused_and_left_alone(
    aws_env: AwsEnvironment, tmp_path: Path
) -> None:
    output_file = tmp_path / "response.json"
    output_file.mkdir()
    (output_file / "inside").write_text("kept\n")

    assert "is a folder" in refusal(run(aws_env, output_file))
    assert (output_file / "inside").read_text() == "kept\n"


def test_a_symbolic_link_is_refused_and_its_target_never_changes(
    aws_env: AwsEnvironment, tmp_path: Path
) -> None:
    target = tmp_path / "precious.json"
    target.write_text(VALID_RESPONSE)
    output_file = tmp_path / "response.json"
    output_file.symlink_to(target)
    before = snapshot(target)

    message = refusal(run(aws_env, output_file))

    assert "symbolic link" in message
    assert snapshot(target) == before
    assert output_file.is_symlink() and os.readlink(output_file) == str(target)


def test_a_dangling_symbolic_link_is_refused_and_nothing_is_created(
    aws_env: AwsEnvironment, tmp_path: Path
) -> None:
    target = tmp_path / "would-be-created.json"
    output_file = tmp_path / "response.json"
    output_file.symlink_to(target)

    assert "symbolic link" in refusal(run(aws_env, output_file))
    assert not target.exists()


def test_a_symbolic_link_at_the_lock_path_is_refused(
    aws_env: AwsEnvironment, tmp_path: Path
) -> None:
    target = tmp_path / "precious.txt"
    target.write_text("not a lock\n")
    output_file = tmp_path / "response.json"
    Path(str(output_file) + ".lock").symlink_to(target)
    before = snapshot(target)

    assert "lock file" in refusal(run(aws_env, output_file))
    assert snapshot(target) == before
    assert not output_file.exists()


def test_a_hard_link_is_replaced_without_changing_the_other_name(
    aws_env: AwsEnvironment, tmp_path: Path
) -> None:
    other_name = tmp_path / "other-name.json"
    other_name.write_text(VALID_RESPONSE)
    other_name.chmod(0o600)
    output_file = tmp_path / "response.json"
    os.link(other_name, output_file)

    result = run(aws_env, output_file)

    assert result.response["success"] is True
    assert other_name.read_text() == VALID_RESPONSE
    assert json.loads(output_file.read_text()) == result.response


@pytest.mark.parametrize(
    "content",
    [
        b"{not json",
        VALID_RESPONSE.encode()[: len(VALID_RESPONSE) // 2],
        b"",
        b"\x00" * 100,
        b'{"version": 1, "success": true}',
        b"[" * 100_000,
        b" " * 100_000 + VALID_RESPONSE.encode(),
    ],
    ids=["corrupt", "truncated", "empty", "nul-bytes", "no-token", "deeply-nested", "oversized"],
)
def test_a_broken_output_file_is_replaced_by_a_valid_response(
    aws_env: AwsEnvironment, tmp_path: Path, content: bytes
) -> None:
    output_file = tmp_path / "response.json"
    output_file.write_bytes(content)
    output_file.chmod(0o600)

    result = run(aws_env, output_file)

    assert result.response["success"] is True
    assert json.loads(output_file.read_text()) == result.response
    assert mode_of(output_file) == 0o600


@pytest.mark.skipif(not RUNNING_AS_ROOT, reason="only root can give a file to another user")
def test_a_file_owned_by_another_user_is_refused_and_left_alone(
    aws_env: AwsEnvironment, tmp_path: Path
) -> None:
    output_file = tmp_path / "response.json"
    output_file.write_text(VALID_RESPONSE)
    output_file.chmod(0o600)
    os.chown(output_file, OTHER_USER_ID, OTHER_USER_ID)
    before = snapshot(output_file)

    message = refusal(run(aws_env, output_file))

    assert f"belongs to user id {OTHER_USER_ID}" in message
    assert snapshot(output_file) == before


@pytest.mark.skipif(not RUNNING_AS_ROOT, reason="only root can give a file to another user")
def test_a_lock_file_owned_by_another_user_is_refused(
    aws_env: AwsEnvironment, tmp_path: Path
) -> None:
    output_file = tmp_path / "response.json"
    lock = Path(str(output_file) + ".lock")
    lock.touch(mode=0o600)
    os.chown(lock, OTHER_USER_ID, OTHER_USER_ID)

    assert "lock file" in refusal(run(aws_env, output_file))
    assert not output_file.exists()


def test_a_world_writable_file_is_refused_and_left_alone(
    aws_env: AwsEnvironment, tmp_path: Path
) -> None:
    output_file = tmp_path / "response.json"
    output_file.write_text(VALID_RESPONSE)
    output_file.chmod(0o666)
    before = snapshot(output_file)

    message = refusal(run(aws_env, output_file))

    assert "writable by every user" in message
    assert snapshot(output_file) == before


def test_a_world_writable_folder_without_the_sticky_bit_is_refused(
    aws_env: AwsEnvironment, tmp_path: Path
) -> None:
    folder = tmp_path / "shared"
    folder.mkdir()
    folder.chmod(0o777)
    output_file = folder / "response.json"

    message = refusal(run(aws_env, output_file))

    assert "every user can write and which has no sticky bit" in message
    assert os.listdir(folder) == []


def test_a_world_writable_folder_with_the_sticky_bit_is_used(
    aws_env: AwsEnvironment, tmp_path: Path
) -> None:
    folder = tmp_path / "like-tmp"
    folder.mkdir()
    folder.chmod(0o1777)
    output_file = folder / "response.json"

    result = run(aws_env, output_file)

    assert result.response["success"] is True
    assert json.loads(output_file.read_text()) == result.response


def test_a_fifo_at_the_output_path_is_refused_at_once(
    aws_env: AwsEnvironment, tmp_path: Path
) -> None:
    output_file = tmp_path / "response.json"
    os.mkfifo(output_file, 0o600)
    started = time.monotonic()

    message = refusal(run(aws_env, output_file))

    assert "not a regular file" in message
    assert time.monotonic() - started < 3.0
    assert stat.S_ISFIFO(output_file.lstat().st_mode)


def test_a_full_disk_mid_write_keeps_the_old_file_and_leaves_no_temporary_file(
    aws_env: AwsEnvironment, tmp_path: Path
) -> None:
    output_file = tmp_path / "cache" / "response.json"
    output_file.parent.mkdir()
    output_file.write_text(VALID_RESPONSE)
    output_file.chmod(0o600)
    before = snapshot(output_file)

    def file_size_limit() -> None:
        # Writes past 256 bytes fail with EFBIG, as they would on a full disk.
        resource.setrlimit(resource.RLIMIT_FSIZE, (256, 256))

    message = refusal(run(aws_env, output_file, before_exec=file_size_limit))

    assert "cannot be written" in message
    assert snapshot(output_file) == before
    assert leftovers(output_file.parent) == []


def test_a_very_long_output_path_gets_a_short_message(
    aws_env: AwsEnvironment, tmp_path: Path
) -> None:
    output_file = str(tmp_path / ("x" * 100_000))

    message = refusal(run(aws_env, output_file))

    assert len(message) < 1000


def test_temporary_files_of_killed_runs_are_removed_and_others_kept(
    aws_env: AwsEnvironment, tmp_path: Path
) -> None:
    folder = tmp_path / "cache"
    folder.mkdir()
    output_file = folder / "response.json"
    abandoned = folder / (temporary_file_prefix(str(output_file)) + "killed.tmp")
    someone_elses = folder / (temporary_file_prefix(str(folder / "other.json")) + "busy.tmp")
    for path in (abandoned, someone_elses):
        path.write_text('{"version": 1, "succ')

    assert run(aws_env, output_file).response["success"] is True
    assert leftovers(folder) == [someone_elses.name]


def test_revocation_refuses_to_remove_a_file_that_is_not_the_helpers(
    aws_env: AwsEnvironment, tmp_path: Path
) -> None:
    target = tmp_path / "precious.json"
    target.write_text(VALID_RESPONSE)
    output_file = tmp_path / "response.json"
    output_file.symlink_to(target)

    message = refusal(run(aws_env, output_file, REVOKE="1"))

    assert "symbolic link" in message
    assert output_file.is_symlink() and target.read_text() == VALID_RESPONSE
