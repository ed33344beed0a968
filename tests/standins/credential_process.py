"""A stand-in for a `credential_process` program: a small Python script written per test.

    command = write_credential_process(folder, key)                 # prints key, version 1
    command = write_credential_process(folder, key, exit_status=1)  # fails, secret on stderr
    command = write_credential_process(folder, key, sleep_seconds=30, pid_file=path)

The script prints the JSON botocore expects:

    {"Version": 1, "AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration"}

`stdout` replaces that output (to test malformed answers). With `pid_file`, the
script writes its process ID there first, so a test can check whether it is
still running after the helper answered.
"""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

from tests.standins.aws_keys import AwsKey

__all__ = ["LEAKED_ON_STDERR", "write_credential_process"]

# What a failing script prints on stderr; the helper must never repeat it.
LEAKED_ON_STDERR = "credential-process-secret-on-stderr"


def write_credential_process(
    folder: Path,
    key: AwsKey,
    *,
    exit_status: int = 0,
    stdout: str | None = None,
    sleep_seconds: float = 0.0,
    pid_file: Path | None = None,
) -> str:
    """Write the script into `folder`; return the credential_process command line."""
    answer: dict[str, object] = {
        "Version": 1,
        "AccessKeyId": key.access_key_id,
        "SecretAccessKey": key.secret_access_key,
    }
    if key.session_token:
        answer["SessionToken"] = key.session_token
    if key.expiration:
        answer["Expiration"] = key.expiration.strftime("%Y-%m-%dT%H:%M:%SZ")
    printed = json.dumps(answer) if stdout is None else stdout

    folder.mkdir(parents=True, exist_ok=True)
    script = folder / "credential-process.py"
    script.write_text(
        "import os, sys, time\n"
        f"pid_file = {str(pid_file) if pid_file else None!r}\n"
        "if pid_file:\n"
        "    open(pid_file, 'w').write(str(os.getpid()))\n"
        f"time.sleep({sleep_seconds!r})\n"
        f"if {exit_status!r}:\n"
        f"    sys.stderr.write({LEAKED_ON_STDERR!r})\n"
        f"    sys.exit({exit_status!r})\n"
        f"print({printed!r})\n"
    )
    return shlex.join([sys.executable, str(script)])
