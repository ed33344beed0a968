"""credential_process profiles: a program that prints the credentials."""

from __future__ import annotations

import datetime
import time

from tests.standins.aws_keys import SESSION_KEY, AwsKey
from tests.standins.credential_process import LEAKED_ON_STDERR, write_credential_process
from tests.test_sources.workload import (
    GENEROUS_TIMEOUT,
    Workload,
    assert_answered_before_deadline,
    assert_fails,
    assert_signed_with,
)


def _use_process(workload: Workload, command: str) -> None:
    workload.write_config(f"[profile batch]\ncredential_process = {command}\n")
    workload.set(AWS_PROFILE="batch")


def test_process_credentials_sign_the_token(workload: Workload) -> None:
    _use_process(workload, write_credential_process(workload.root / "process", SESSION_KEY))

    result = workload.run(*GENEROUS_TIMEOUT)

    assert_signed_with(result, SESSION_KEY)


def test_token_does_not_outlive_the_process_credentials(workload: Workload) -> None:
    soon = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=6)
    key = AwsKey.session("short-lived", expiration=soon.replace(microsecond=0))
    _use_process(workload, write_credential_process(workload.root / "process", key))

    result = workload.run(*GENEROUS_TIMEOUT)

    assert_signed_with(result, key)
    assert result.response["expiration_time"] == int(soon.timestamp()) - 120


def test_failing_process_is_reported_without_its_stderr(workload: Workload) -> None:
    command = write_credential_process(workload.root / "process", SESSION_KEY, exit_status=3)
    _use_process(workload, command)

    result = workload.run(*GENEROUS_TIMEOUT)

    assert_fails(result, "AWS_CREDENTIAL_PROCESS_FAILED", "'batch'", "by hand")
    assert LEAKED_ON_STDERR not in result.message


def test_process_printing_something_else_than_json_is_reported(workload: Workload) -> None:
    command = write_credential_process(
        workload.root / "process", SESSION_KEY, stdout=f"secret={SESSION_KEY.secret_access_key}"
    )
    _use_process(workload, command)

    result = workload.run(*GENEROUS_TIMEOUT)

    assert_fails(result, "AWS_CREDENTIAL_PROCESS_FAILED", "not JSON")
    assert SESSION_KEY.secret_access_key not in result.message


def test_process_that_cannot_be_started_is_reported(workload: Workload) -> None:
    _use_process(workload, str(workload.root / "no-such-program"))

    result = workload.run(*GENEROUS_TIMEOUT)

    assert_fails(result, "AWS_CREDENTIAL_PROCESS_FAILED", "could not be started")


def test_process_returning_expired_credentials_is_reported(workload: Workload) -> None:
    past = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=10)
    key = AwsKey.session("stale", expiration=past)
    _use_process(workload, write_credential_process(workload.root / "process", key))

    result = workload.run(*GENEROUS_TIMEOUT)

    assert_fails(result, "AWS_CREDENTIAL_PROCESS_FAILED", "already expired")


def test_process_that_never_exits_is_ended_when_the_deadline_passes(workload: Workload) -> None:
    pid_file = workload.root / "process.pid"
    command = write_credential_process(
        workload.root / "process", SESSION_KEY, sleep_seconds=60, pid_file=pid_file
    )
    _use_process(workload, command)
    options = ("--timeout", workload.deadline_for_a_hang())

    result = workload.run(*options)

    assert_fails(result, "DEADLINE_EXCEEDED", "credential_process")
    assert_answered_before_deadline(result, options)
    assert not _still_running(int(pid_file.read_text()))


def _still_running(pid: int) -> bool:
    """Whether `pid` is alive (a zombie waiting for its reaper counts as ended)."""
    deadline = time.monotonic() + 2.0
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat") as stream:
                state = stream.read().rpartition(")")[2].split()[0]
        except FileNotFoundError:
            return False
        if state == "Z":
            return False
        time.sleep(0.05)
    return True
