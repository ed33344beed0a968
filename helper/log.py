"""The step log: one line per step of a run, appended to a file the user names.

Protocol mode must keep stdout for the response and stderr empty, so the only
way to see what a run did is this file. It is written only when asked for,
with `--log-file PATH` among the helper options in the config's command or with
the environment variable `AWS_WIF_HELPER_LOG_FILE`; otherwise every call here
does nothing. A line reads

    2026-12-04T15:20:00.412Z pid=4242 +0.183s source   the shared credentials file (key AKIA…WXYZ)

that is: the wall-clock time, the process, the time since the run started, the
kind of line (`start`, `step`, `source`, `endpoint`, `cache`, `error`,
`outcome`) and the text. `Deadline.begin` feeds the `step` lines, so every
named step of a run is logged without code of its own.

Nothing secret is written: callers pass shortened identifiers, and every line
goes through `helper.redact.scrub` with the run's secrets registered by
`forget`. A log that cannot be written is dropped silently: logging must never
change a response.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import stat
import threading
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import helper
from helper.redact import scrub, shorten

if TYPE_CHECKING:
    from helper.credentials import AwsCredentials

__all__ = [
    "LOG_FILE_OPTION",
    "LOG_FILE_VARIABLE",
    "credentials",
    "error",
    "forget",
    "outcome",
    "record",
    "requested_path",
    "secret_option_values",
    "start",
    "start_run",
    "step",
]

# The client's variables shown on a protocol-mode `start` line (none is secret).
_SHOWN_VARIABLES = (
    ("audience", "GOOGLE_EXTERNAL_ACCOUNT_AUDIENCE"),
    ("token type", "GOOGLE_EXTERNAL_ACCOUNT_TOKEN_TYPE"),
    ("output file", "GOOGLE_EXTERNAL_ACCOUNT_OUTPUT_FILE"),
    ("impersonated", "GOOGLE_EXTERNAL_ACCOUNT_IMPERSONATED_EMAIL"),
    ("revoke", "GOOGLE_EXTERNAL_ACCOUNT_REVOKE"),
)

LOG_FILE_OPTION = "--log-file"
LOG_FILE_VARIABLE = "AWS_WIF_HELPER_LOG_FILE"

_FILE_MODE = 0o600
# Options whose values a log line shows shortened: an external ID is often a shared secret.
_SECRET_OPTIONS = ("--external-id",)
_KIND_WIDTH = 8
# Longer lines are cut: one step, one line, whatever an exception carries.
_MAX_TEXT_CHARACTERS = 2000


class _StepLog:
    """An open log file, the run's start time and the secrets to keep out of it."""

    def __init__(self, descriptor: int) -> None:
        self._descriptor = descriptor
        self._started = time.monotonic()
        self._secrets: list[str] = []
        self._lock = threading.Lock()

    def close(self) -> None:
        with self._lock, contextlib.suppress(OSError):
            os.close(self._descriptor)

    def forget(self, secrets: Sequence[str | None]) -> None:
        with self._lock:
            self._secrets.extend(secret for secret in secrets if secret)

    def record(self, kind: str, text: str) -> None:
        with self._lock:
            cleaned = scrub(" ".join(text.split()), self._secrets)[:_MAX_TEXT_CHARACTERS]
            now = datetime.datetime.now(datetime.timezone.utc)
            line = (
                f"{now.strftime('%Y-%m-%dT%H:%M:%S')}.{now.microsecond // 1000:03d}Z "
                f"pid={os.getpid()} +{time.monotonic() - self._started:.3f}s "
                f"{kind:<{_KIND_WIDTH}} {cleaned}\n"
            )
            try:
                # One write per line on an O_APPEND descriptor: concurrent runs
                # sharing the file interleave whole lines.
                os.write(self._descriptor, line.encode("utf-8", "replace"))
            except OSError:
                return


_current: _StepLog | None = None


def requested_path(argv: Sequence[str], environ: Mapping[str, str]) -> str | None:
    """The log file asked for by `--log-file PATH` (or `=PATH`) in argv, else by the variable."""
    for index, argument in enumerate(argv):
        if argument == LOG_FILE_OPTION and index + 1 < len(argv):
            return argv[index + 1] or None
        if argument.startswith(LOG_FILE_OPTION + "="):
            return argument.partition("=")[2] or None
    return environ.get(LOG_FILE_VARIABLE) or None


def start(path: str | None, description: str, secrets: Sequence[str] = ()) -> bool:
    """Open `path` for this run and log a `start` line; False (and silence) if it cannot be.

    `secrets` (option values such as --external-id) are kept out of every line,
    the `start` line included. A log file that is a symbolic link, another
    user's or writable by every user is not written: the helper would append
    to whatever the link names, or to a file someone else controls.
    """
    global _current
    if _current is not None:
        _current.close()
        _current = None
    if not path:
        return False

    try:
        descriptor = os.open(
            os.path.expanduser(path),
            os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW | os.O_NONBLOCK,
            _FILE_MODE,
        )
    except OSError:
        return False
    if not _is_own_private_file(os.fstat(descriptor)):
        os.close(descriptor)
        return False

    _current = _StepLog(descriptor)
    _current.forget(secrets)
    _current.record("start", description)
    return True


def secret_option_values(argv: Sequence[str]) -> list[str]:
    """The values in `argv` of options that may be secret (--external-id)."""
    values = []
    for index, argument in enumerate(argv):
        for option in _SECRET_OPTIONS:
            if argument == option and index + 1 < len(argv):
                values.append(argv[index + 1])
            elif argument.startswith(option + "="):
                values.append(argument.partition("=")[2])
    return values


def _is_own_private_file(status: os.stat_result) -> bool:
    return (
        stat.S_ISREG(status.st_mode)
        and status.st_uid == os.geteuid()
        and not status.st_mode & stat.S_IWOTH
    )


def start_run(argv: Sequence[str], environ: Mapping[str, str]) -> bool:
    """Start the log of a protocol-mode run, if one is asked for; name what the client asked."""
    path = requested_path(argv, environ)
    if not path:
        return False

    asked = ", ".join(
        f"{label} {environ[name]}" for label, name in _SHOWN_VARIABLES if environ.get(name)
    )
    return start(
        path,
        f"aws-wif-helper {helper.__version__} protocol mode; options: "
        f"{' '.join(argv) or '(none)'}; {asked or 'no GOOGLE_EXTERNAL_ACCOUNT_* values'}",
        secret_option_values(argv),
    )


def record(kind: str, text: str) -> None:
    """Append one line of `kind`, if a log is open."""
    if _current is not None:
        _current.record(kind, text)


def step(text: str) -> None:
    """Log the start of a named step (called by `Deadline.begin`)."""
    record("step", text)


def credentials(found: AwsCredentials) -> None:
    """Log the source credentials came from, their shortened key and expiry; hide the rest."""
    if _current is None:
        return

    _current.forget([found.secret_key, found.token])
    expiry = (
        f"expire {found.expiry.astimezone(datetime.timezone.utc).isoformat(timespec='seconds')}"
        if found.expiry
        else "no expiry"
    )
    record("source", f"{found.source_name} (key {shorten(found.access_key)}), {expiry}")


def error(exception: BaseException, during: str) -> None:
    """Log an exception's type and (scrubbed) message, with the step it broke."""
    record("error", f"{type(exception).__name__} while {during}: {exception}")


def forget(*secrets: str | None) -> None:
    """Register values that must never appear in the log, however they reach it."""
    if _current is not None:
        _current.forget(secrets)


def outcome(response: Mapping[str, object]) -> None:
    """Log how the run ended: the response's expiry, or its failure code and message."""
    if response.get("success") is not True:
        record("outcome", f"failure {response.get('code')}: {response.get('message')}")
        return

    expires = response.get("expiration_time")
    if not isinstance(expires, int):
        record("outcome", "success (no token: a revocation)")
        return
    moment = datetime.datetime.fromtimestamp(expires, datetime.timezone.utc)
    record(
        "outcome",
        f"success: {response.get('token_type')} token, expiration_time "
        f"{moment.isoformat(timespec='seconds')} (in {expires - int(time.time())} s)",
    )
