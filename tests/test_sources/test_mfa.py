"""A profile that needs an MFA code fails at once, naming the profile, and never prompts."""

from __future__ import annotations

import fcntl
import os
import pty
import termios
from collections.abc import Iterator

import pytest

from tests.standins.aws_keys import ACCOUNT_ID, LONG_TERM_KEY
from tests.test_sources.workload import GENEROUS_TIMEOUT, Workload, assert_fails

APP_ROLE = f"arn:aws:iam::{ACCOUNT_ID}:role/app"
MFA_DEVICE = f"arn:aws:iam::{ACCOUNT_ID}:mfa/operator"
TYPED_CODE = b"123456\n"
BASE_PROFILE = (
    "[profile base]\n"
    f"aws_access_key_id = {LONG_TERM_KEY.access_key_id}\n"
    f"aws_secret_access_key = {LONG_TERM_KEY.secret_access_key}\n"
)


def _mfa_profile(header: str, source_profile: str = "base") -> str:
    return (
        f"[{header}]\nrole_arn = {APP_ROLE}\nsource_profile = {source_profile}\n"
        f"mfa_serial = {MFA_DEVICE}\n"
    )


@pytest.fixture
def terminal() -> Iterator[tuple[int, int]]:
    """A pseudo-terminal (controller, terminal) with an MFA code already typed into it."""
    controller, terminal = pty.openpty()
    os.write(controller, TYPED_CODE)
    yield controller, terminal
    os.close(controller)
    os.close(terminal)


def _make_controlling_terminal() -> None:
    """In the child: a new session whose controlling terminal is stdin, as in a shell."""
    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def _unread_input(terminal: int) -> bytes:
    flags = fcntl.fcntl(terminal, fcntl.F_GETFL)
    fcntl.fcntl(terminal, fcntl.F_SETFL, flags | os.O_NONBLOCK)
    try:
        return os.read(terminal, 100)
    except BlockingIOError:
        return b""


def test_mfa_profile_fails_at_once_without_reading_the_terminal(
    workload: Workload, terminal: tuple[int, int]
) -> None:
    controller, tty = terminal
    workload.write_config(BASE_PROFILE + _mfa_profile("profile admin"))
    start_up = workload.start_up_seconds()

    with os.fdopen(os.dup(tty), "rb", buffering=0) as stdin:
        result = workload.run(
            "--profile",
            "admin",
            *GENEROUS_TIMEOUT,
            stdin=stdin,
            preexec_fn=_make_controlling_terminal,
        )

    assert_fails(result, "AWS_MFA_REQUIRED", "'admin'", "mfa_serial")
    assert result.seconds < start_up + 1.0
    assert _unread_input(tty) == TYPED_CODE
    assert b"MFA" not in _unread_input(controller)  # no prompt on the terminal, only the echo


def test_mfa_on_a_source_profile_names_that_profile(workload: Workload) -> None:
    workload.write_config(
        BASE_PROFILE
        + _mfa_profile("profile hop")
        + f"[profile app]\nrole_arn = {APP_ROLE}-2\nsource_profile = hop\n"
    )

    result = workload.run("--profile", "app", *GENEROUS_TIMEOUT)

    assert_fails(result, "AWS_MFA_REQUIRED", "'hop'")


def test_mfa_profile_is_not_consulted_when_environment_keys_come_first(
    workload: Workload,
) -> None:
    workload.write_config(
        BASE_PROFILE
        + f"[default]\nrole_arn = {APP_ROLE}\nsource_profile = base\nmfa_serial = {MFA_DEVICE}\n"
    )
    workload.use_key(LONG_TERM_KEY)

    result = workload.run(*GENEROUS_TIMEOUT)

    assert result.response["success"] is True
