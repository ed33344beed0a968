"""The launcher at the front of the binary: where it unpacks, and what it does when it cannot.

The bundle unpacks under TMPDIR and runs code from there, so the launcher
(build/launcher/launcher.c) picks the first folder that allows running
programs: AWS_WIF_HELPER_UNPACK_DIR if set, else TMPDIR, /tmp, /var/tmp,
/dev/shm, XDG_RUNTIME_DIR, ~/.cache/aws-wif-helper. The noexec cases run in a
private mount namespace where every candidate is a fresh tmpfs, mounted with
or without `noexec` as the test needs, so that nothing outside the test is
touched and what a run leaves behind can be counted. A `credential_process`
reports which folder the run used (the path of its parent, the helper's
Python process, lies in the unpack folder) and the TMPDIR it was given.
"""

from __future__ import annotations

import dataclasses
import json
import os
import pathlib
import re
import shutil
import subprocess
from typing import Any

import pytest

from helper.cli import COMMAND_NAMES
from helper.request import PROTOCOL_VARIABLES
from tests.standins.frozen_binary import (
    AUDIENCE,
    AWS_TOKEN_TYPE,
    RUN_LEFTOVERS,
    Sandbox,
    kept_copy_name,
    require_binary,
    signing_access_key,
)

ACCESS_KEY = "AKIAFROZENLAUNCHTEST"
SECRET = "frozen-launch-secret-not-a-real-one-000"
WAIT_SECONDS = 30
ERROR_CODE = "UNPACK_FOLDER_UNAVAILABLE"

# Inside the namespace: /mnt is an exec tmpfs holding the binary, its config
# and the folders a test may offer (HOME, XDG_RUNTIME_DIR, a chosen folder).
MNT = "/mnt"
CANDIDATES = ("/tmp", "/var/tmp", "/dev/shm")
_NAMESPACE_SCRIPT = r"""
set -e
binary=$1 noexec=$2 exec=$3 small=$6
mount -t tmpfs -o exec,size=64m aws-wif-launch /mnt
cp "$binary" /mnt/aws-wif-helper
mkdir -p /mnt/home /mnt/runtime /mnt/chosen
cp "$4" /mnt/config
cp "$5" /mnt/credential-process
chmod 0755 /mnt/credential-process
for folder in $noexec; do mount -t tmpfs -o noexec,nosuid,size=64m aws-wif-noexec "$folder"; done
for folder in $exec; do mount -t tmpfs -o exec,nosuid,size=64m aws-wif-exec "$folder"; done
for folder in $small; do mount -t tmpfs -o exec,nosuid,size=24m aws-wif-small "$folder"; done
set +e
/mnt/aws-wif-helper >/mnt/stdout 2>/mnt/stderr
echo "status=$?"
for folder in /tmp /var/tmp /dev/shm /mnt/home/.cache/aws-wif-helper /mnt/runtime /mnt/chosen; do
  [ -d "$folder" ] && ls -A "$folder" | sed "s|^|leftover=$folder/|"
done
[ -f /mnt/seen ] && sed 's/^/seen-/' /mnt/seen
echo "stdout=$(cat /mnt/stdout)"
cat /mnt/stderr >&2
"""


@dataclasses.dataclass
class Outcome:
    """What a run in the namespace printed and left."""

    status: int
    stdout: str
    stderr: str
    leftovers: list[str]  # unpack folders and launcher copies left in any candidate folder
    seen: dict[str, str]

    @property
    def response(self) -> dict[str, Any]:
        assert self.status == 0, self.stderr
        assert self.stderr == ""
        document: dict[str, Any] = json.loads(self.stdout)
        return document

    @property
    def unpack_folder(self) -> str:
        """The folder the run unpacked into, as the credential_process saw it."""
        return str(pathlib.PurePath(self.seen["exe"]).parent.parent)


@pytest.fixture
def namespace(tmp_path: pathlib.Path) -> pathlib.Path:
    """Skip unless root may make a private mount namespace; the files the script copies in."""
    require_binary()
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        pytest.skip("needs root and unshare(1) to mount private noexec folders")
    probe = subprocess.run(
        ["unshare", "--mount", "true"], capture_output=True, timeout=WAIT_SECONDS, check=False
    )
    if probe.returncode != 0:
        pytest.skip("this host does not allow a private mount namespace")

    document = {"Version": 1, "AccessKeyId": ACCESS_KEY, "SecretAccessKey": SECRET}
    (tmp_path / "config").write_text(
        "[profile launch]\ncredential_process = /mnt/credential-process\n"
    )
    (tmp_path / "credential-process").write_text(
        "#!/bin/sh\n"
        'echo "exe=$(readlink /proc/$PPID/exe)" >> /mnt/seen\n'
        'echo "tmpdir=${TMPDIR-(unset)}" >> /mnt/seen\n'
        f"echo '{json.dumps(document)}'\n"
    )
    return tmp_path


def run_in_namespace(
    files: pathlib.Path,
    noexec: tuple[str, ...] = (),
    env: dict[str, str] | None = None,
    small: tuple[str, ...] = (),
) -> Outcome:
    """Run the binary once with `noexec` candidates mounted noexec, the others exec.

    `small` candidates are exec but only 24 MB: room for the launcher's copy of
    the bundle, not for what the bundle then unpacks beside it.
    """
    exec_folders = tuple(folder for folder in CANDIDATES if folder not in (*noexec, *small))
    variables = {
        "PATH": "/usr/bin:/bin",
        "HOME": f"{MNT}/home",
        "AWS_CONFIG_FILE": f"{MNT}/config",
        "AWS_SHARED_CREDENTIALS_FILE": f"{MNT}/no-credentials-file",
        "AWS_PROFILE": "launch",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_DEFAULT_REGION": "us-east-1",
        "GOOGLE_CLOUD_PROJECT": "frozen-binary-tests",
        "GOOGLE_EXTERNAL_ACCOUNT_AUDIENCE": AUDIENCE,
        "GOOGLE_EXTERNAL_ACCOUNT_TOKEN_TYPE": AWS_TOKEN_TYPE,
        **(env or {}),
    }
    completed = subprocess.run(
        [
            *("unshare", "--mount", "--propagation", "private"),
            *("sh", "-c", _NAMESPACE_SCRIPT, "sh", str(require_binary())),
            *(" ".join(noexec), " ".join(exec_folders)),
            *(str(files / "config"), str(files / "credential-process")),
            " ".join(small),
        ],
        env=variables,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=WAIT_SECONDS,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr

    lines = completed.stdout.splitlines()
    fields = [line.partition("=") for line in lines]
    stdout_at = next(index for index, line in enumerate(lines) if line.startswith("stdout="))
    return Outcome(
        status=int(next(value for name, _, value in fields if name == "status")),
        stdout="\n".join([lines[stdout_at].partition("=")[2], *lines[stdout_at + 1 :]]),
        stderr=completed.stderr,
        leftovers=[
            value
            for name, _, value in fields
            if name == "leftover" and pathlib.PurePath(value).name.startswith(RUN_LEFTOVERS)
        ],
        seen={
            name.removeprefix("seen-"): value
            for name, _, value in fields
            if name.startswith("seen-")
        },
    )


def test_unpacks_under_tmp_when_it_allows_running_programs(namespace: pathlib.Path) -> None:
    outcome = run_in_namespace(namespace)

    assert signing_access_key(outcome.response) == ACCESS_KEY
    assert outcome.unpack_folder == "/tmp"
    assert outcome.seen["tmpdir"] == "(unset)"
    assert outcome.leftovers == []


def test_noexec_tmp_falls_back_to_var_tmp(namespace: pathlib.Path) -> None:
    outcome = run_in_namespace(namespace, noexec=("/tmp",))

    assert signing_access_key(outcome.response) == ACCESS_KEY
    assert outcome.unpack_folder == "/var/tmp"
    assert outcome.leftovers == []


def test_noexec_tmpdir_falls_back_and_children_get_the_callers_tmpdir(
    namespace: pathlib.Path,
) -> None:
    outcome = run_in_namespace(namespace, noexec=("/tmp",), env={"TMPDIR": "/tmp"})

    assert signing_access_key(outcome.response) == ACCESS_KEY
    assert outcome.unpack_folder == "/var/tmp"
    assert outcome.seen["tmpdir"] == "/tmp"
    assert outcome.leftovers == []


def test_every_temporary_folder_noexec_falls_back_to_the_runtime_folder(
    namespace: pathlib.Path,
) -> None:
    outcome = run_in_namespace(
        namespace, noexec=CANDIDATES, env={"XDG_RUNTIME_DIR": f"{MNT}/runtime"}
    )

    assert signing_access_key(outcome.response) == ACCESS_KEY
    assert outcome.unpack_folder == f"{MNT}/runtime"
    assert outcome.leftovers == []


def test_last_resort_is_a_private_folder_in_the_users_cache(namespace: pathlib.Path) -> None:
    outcome = run_in_namespace(namespace, noexec=CANDIDATES)

    assert signing_access_key(outcome.response) == ACCESS_KEY
    assert outcome.unpack_folder == f"{MNT}/home/.cache/aws-wif-helper"
    assert outcome.leftovers == []


def test_unpack_dir_variable_wins_over_every_default(namespace: pathlib.Path) -> None:
    outcome = run_in_namespace(namespace, env={"AWS_WIF_HELPER_UNPACK_DIR": f"{MNT}/chosen"})

    assert signing_access_key(outcome.response) == ACCESS_KEY
    assert outcome.unpack_folder == f"{MNT}/chosen"
    assert outcome.seen["tmpdir"] == "(unset)"
    assert outcome.leftovers == []


def test_noexec_unpack_dir_is_refused_with_a_protocol_answer(namespace: pathlib.Path) -> None:
    outcome = run_in_namespace(
        namespace, noexec=("/tmp",), env={"AWS_WIF_HELPER_UNPACK_DIR": "/tmp"}
    )

    response = outcome.response
    assert response["success"] is False
    assert response["code"] == ERROR_CODE
    assert "AWS_WIF_HELPER_UNPACK_DIR (/tmp) is on a noexec mount" in response["message"]
    assert outcome.seen == {}
    assert outcome.leftovers == []


def test_no_usable_folder_anywhere_is_a_protocol_answer_saying_what_to_set(
    namespace: pathlib.Path,
) -> None:
    outcome = run_in_namespace(namespace, noexec=CANDIDATES, env={"HOME": "/tmp"})

    response = outcome.response
    assert response["success"] is False
    assert response["code"] == ERROR_CODE
    assert "set AWS_WIF_HELPER_UNPACK_DIR" in response["message"]
    # Each folder tried, and why it would not do.
    for folder in CANDIDATES:
        assert f"{folder} is on a noexec mount;" in response["message"]
    assert (
        "the cache folder (/tmp/.cache/aws-wif-helper) is on a noexec mount;"
        in (response["message"])
    )
    assert outcome.leftovers == []


def test_tmp_without_room_to_unpack_falls_back_to_var_tmp(namespace: pathlib.Path) -> None:
    # 24 MB holds the launcher's copy but not the bundle's own unpacking beside it,
    # which would fail on stderr with no response.
    outcome = run_in_namespace(namespace, small=("/tmp",))

    assert signing_access_key(outcome.response) == ACCESS_KEY
    assert outcome.unpack_folder == "/var/tmp"
    assert outcome.leftovers == []


def test_unpack_dir_without_room_to_unpack_is_refused_with_a_protocol_answer(
    namespace: pathlib.Path,
) -> None:
    outcome = run_in_namespace(
        namespace, small=("/tmp",), env={"AWS_WIF_HELPER_UNPACK_DIR": "/tmp"}
    )

    response = outcome.response
    assert response["code"] == ERROR_CODE
    assert "AWS_WIF_HELPER_UNPACK_DIR (/tmp) has too little free space" in response["message"]
    assert outcome.leftovers == []


def test_unpack_dir_variable_on_an_ordinary_host(tmp_path: pathlib.Path) -> None:
    sandbox = Sandbox(tmp_path)
    chosen = tmp_path / "chosen"
    chosen.mkdir(mode=0o700)
    sandbox.env.update(AWS_ACCESS_KEY_ID=ACCESS_KEY, AWS_SECRET_ACCESS_KEY=SECRET)

    response = sandbox.response(extra_env={"AWS_WIF_HELPER_UNPACK_DIR": str(chosen)})

    assert signing_access_key(response) == ACCESS_KEY
    assert os.listdir(chosen) == [kept_copy_name()]
    assert sandbox.unpack_folders() == []


def test_missing_unpack_dir_outside_protocol_mode_is_a_message_on_stderr(
    tmp_path: pathlib.Path,
) -> None:
    missing = tmp_path / "missing"

    completed = subprocess.run(
        [str(require_binary()), "--version"],
        env={"PATH": "/usr/bin:/bin", "AWS_WIF_HELPER_UNPACK_DIR": str(missing)},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=WAIT_SECONDS,
        check=False,
    )

    assert completed.returncode == 1
    assert completed.stdout == ""
    assert f"AWS_WIF_HELPER_UNPACK_DIR ({missing}) does not exist" in completed.stderr


def _refusal(sandbox: Sandbox, folder: str | bytes) -> str:
    """The message of a protocol run refused because AWS_WIF_HELPER_UNPACK_DIR is `folder`."""
    response = sandbox.response(extra_env={"AWS_WIF_HELPER_UNPACK_DIR": os.fsdecode(folder)})

    assert response["success"] is False
    assert response["code"] == ERROR_CODE
    message: str = response["message"]
    return message


def test_client_switch_alone_does_not_make_launcher_failures_json(tmp_path: pathlib.Path) -> None:
    # People export GOOGLE_EXTERNAL_ACCOUNT_ALLOW_EXECUTABLES=1 in their shell for
    # the clients; the helper does not count it as protocol mode, nor may the launcher.
    completed = subprocess.run(
        [str(require_binary()), "--version"],
        env={
            "PATH": "/usr/bin:/bin",
            "GOOGLE_EXTERNAL_ACCOUNT_ALLOW_EXECUTABLES": "1",
            "AWS_WIF_HELPER_UNPACK_DIR": str(tmp_path / "missing"),
        },
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=WAIT_SECONDS,
        check=False,
    )

    assert (completed.returncode, completed.stdout) == (1, "")
    assert "AWS_WIF_HELPER_UNPACK_DIR" in completed.stderr


@pytest.mark.parametrize("command", ["token", "create-config", "doctor"])
def test_commands_for_people_get_launcher_failures_on_stderr_under_a_client(
    tmp_path: pathlib.Path, command: str
) -> None:
    # The helper runs these commands for a person even with the client's variables set.
    sandbox = Sandbox(tmp_path)

    completed = sandbox.run(
        command, extra_env={"AWS_WIF_HELPER_UNPACK_DIR": str(tmp_path / "missing")}
    )

    assert (completed.returncode, completed.stdout) == (1, "")
    assert "AWS_WIF_HELPER_UNPACK_DIR" in completed.stderr


def test_unpack_dir_others_may_write_without_the_sticky_bit_is_refused(
    tmp_path: pathlib.Path,
) -> None:
    # Another user could swap the copy or an unpacked library before it runs.
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)

    message = _refusal(Sandbox(tmp_path), str(shared))

    assert "other users" in message
    assert os.listdir(shared) == []


def test_unpack_dir_inside_a_folder_others_may_change_is_refused(tmp_path: pathlib.Path) -> None:
    shared = tmp_path / "shared"
    mine = shared / "mine"
    mine.mkdir(parents=True, mode=0o700)
    shared.chmod(0o777)

    message = _refusal(Sandbox(tmp_path), str(mine))

    assert "other users" in message
    assert os.listdir(mine) == []


def test_unpack_dir_owned_by_another_user_is_refused(tmp_path: pathlib.Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root to give a folder to another user")
    theirs = tmp_path / "theirs"
    theirs.mkdir(mode=0o755)
    os.chown(theirs, 65534, 65534)

    message = _refusal(Sandbox(tmp_path), str(theirs))

    assert "other users" in message
    assert os.listdir(theirs) == []


def test_unpack_dir_shared_with_the_sticky_bit_is_used(tmp_path: pathlib.Path) -> None:
    sandbox = Sandbox(tmp_path)
    sandbox.env.update(AWS_ACCESS_KEY_ID=ACCESS_KEY, AWS_SECRET_ACCESS_KEY=SECRET)
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)

    response = sandbox.response(extra_env={"AWS_WIF_HELPER_UNPACK_DIR": str(shared)})

    assert signing_access_key(response) == ACCESS_KEY
    assert os.listdir(shared) == [kept_copy_name()]


def test_unpack_dir_too_long_for_the_bundles_loader_is_refused(tmp_path: pathlib.Path) -> None:
    # staticx's loader keeps TMPDIR/staticx-XXXXXX/.staticx.interp in 256 bytes.
    folder = tmp_path / ("x" * (226 - len(str(tmp_path)) - 1))
    folder.mkdir()
    assert len(str(folder)) == 226

    message = _refusal(Sandbox(tmp_path), str(folder))

    assert "too long" in message
    assert os.listdir(folder) == []


def test_unpack_dir_that_is_not_utf8_is_refused(tmp_path: pathlib.Path) -> None:
    # The bundled Python cannot start from such a folder.
    folder = os.fsencode(tmp_path) + b"/caf\xe9"
    os.mkdir(folder)

    message = _refusal(Sandbox(tmp_path), folder)

    assert "UTF-8" in message
    assert os.listdir(folder) == []


def test_a_stray_caller_tmpdir_variable_does_not_change_the_credential_process_tmpdir(
    tmp_path: pathlib.Path,
) -> None:
    # The launcher sets AWS_WIF_HELPER_CALLER_TMPDIR only when it changes TMPDIR;
    # when it keeps TMPDIR, one inherited from elsewhere must not be applied.
    sandbox = Sandbox(tmp_path)
    seen = tmp_path / "tmpdir-seen"
    document = {"Version": 1, "AccessKeyId": ACCESS_KEY, "SecretAccessKey": SECRET}
    script = tmp_path / "credential-process"
    script.write_text(
        f"#!/bin/sh\nprintf %s \"$TMPDIR\" > {seen}\ncat <<'EOF'\n{json.dumps(document)}\nEOF\n"
    )
    script.chmod(0o755)
    sandbox.config.write_text(f"[profile process]\ncredential_process = {script}\n")

    response = sandbox.response(
        "--profile",
        "process",
        extra_env={"AWS_WIF_HELPER_CALLER_TMPDIR": str(tmp_path / "elsewhere")},
    )

    assert signing_access_key(response) == ACCESS_KEY
    assert seen.read_text() == str(sandbox.unpack)


def test_a_damaged_binary_says_so(tmp_path: pathlib.Path) -> None:
    damaged = tmp_path / "aws-wif-helper"
    data = require_binary().read_bytes()
    damaged.write_bytes(data[: len(data) // 2])
    damaged.chmod(0o755)
    sandbox = Sandbox(tmp_path)

    completed = sandbox.run(command=[str(damaged)])

    assert (completed.returncode, completed.stderr) == (0, "")
    response = json.loads(completed.stdout)
    assert response["success"] is False
    assert response["code"] == "LAUNCH_FAILED"
    assert "damaged" in response["message"]
    assert not any(name.startswith(RUN_LEFTOVERS) for name in os.listdir(sandbox.unpack))


def test_launcher_and_helper_agree_on_what_protocol_mode_is() -> None:
    source = (pathlib.Path(__file__).parents[1] / "build" / "launcher" / "launcher.c").read_text()
    variables = source.partition("protocol_variables[] = {")[2].partition("};")[0]
    commands = source.partition("people_commands[] = {")[2].partition("};")[0]

    assert re.findall(r'"([A-Z_]+)"', variables) == list(PROTOCOL_VARIABLES)
    assert re.findall(r'"([a-z-]+)"', commands) == list(COMMAND_NAMES)
