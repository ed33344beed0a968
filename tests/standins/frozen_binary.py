"""Running the built one-file binary (dist/aws-wif-helper) in a sealed environment.

The build tests run the real artifact, not the Python package, because what
they check exists only there: trimmed modules and data, the unpack folder, the
bootloader's handling of signals. `Sandbox` gives each run its own HOME, AWS
config files, unpack folder (TMPDIR) and the protocol variables a Google
client would set; nothing in it reaches past loopback.
"""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import urllib.parse
from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from tests.captured import capture

__all__ = [
    "AUDIENCE",
    "AWS_TOKEN_TYPE",
    "BINARY",
    "RUN_LEFTOVERS",
    "Sandbox",
    "kept_copy_name",
    "require_binary",
    "signing_access_key",
]

REPO = pathlib.Path(__file__).resolve().parents[2]
BINARY = REPO / "dist" / "aws-wif-helper"
AUDIENCE = (
    "//iam.googleapis.com/projects/123456/locations/global/workloadIdentityPools/pool"
    "/providers/frozen"
)
AWS_TOKEN_TYPE = "urn:ietf:params:aws:token-type:aws4_request"
RUN_TIMEOUT_SECONDS = 30
RUN_LEFTOVERS = ("_MEI", "staticx-", ".aws-wif-helper-launch-")


def require_binary() -> pathlib.Path:
    """The built binary; skipped outside CI when it has not been built yet."""
    if BINARY.is_file():
        return BINARY
    if os.environ.get("CI"):
        pytest.fail(f"{BINARY} is missing; CI must run `bash build/build.sh` before the tests.")
    pytest.skip(f"{BINARY} is not built; run `bash build/build.sh` first.")


def kept_copy_name() -> str:
    """The name of the copy of the bundle the launcher keeps for this user and build.

    `.aws-wif-helper-kept-UID-BUILD`, BUILD being the last 16 bytes of the
    binary (the start of the bundle's SHA-256) in hexadecimal.
    """
    with require_binary().open("rb") as binary:
        binary.seek(-16, os.SEEK_END)
        build = binary.read(16).hex()
    return f".aws-wif-helper-kept-{os.geteuid()}-{build}"


class Sandbox:
    """A HOME, AWS files and an unpack folder of its own, under `root`."""

    def __init__(self, root: pathlib.Path) -> None:
        self.root = root
        self.home = root / "home"
        self.unpack = root / "unpack"
        self.config = self.home / ".aws" / "config"
        self.credentials = self.home / ".aws" / "credentials"
        for folder in (self.home / ".aws", self.unpack):
            folder.mkdir(parents=True, exist_ok=True)
        self.config.write_text("")
        self.credentials.write_text("")

        self.env: dict[str, str] = {
            "PATH": "/usr/bin:/bin",
            "HOME": str(self.home),
            "TMPDIR": str(self.unpack),
            "AWS_CONFIG_FILE": str(self.config),
            "AWS_SHARED_CREDENTIALS_FILE": str(self.credentials),
            "AWS_EC2_METADATA_DISABLED": "true",
            "GOOGLE_CLOUD_PROJECT": "frozen-binary-tests",
            "GOOGLE_EXTERNAL_ACCOUNT_AUDIENCE": AUDIENCE,
            "GOOGLE_EXTERNAL_ACCOUNT_TOKEN_TYPE": AWS_TOKEN_TYPE,
            "GOOGLE_EXTERNAL_ACCOUNT_INTERACTIVE": "0",
        }

    def unpack_folders(self) -> list[str]:
        """What runs put in this sandbox's TMPDIR and may leave there.

        The unpack folders (`_MEI*`, `staticx-*`) and the launcher's copies of
        the bundle (`.aws-wif-helper-launch-*`).
        """
        return sorted(name for name in os.listdir(self.unpack) if name.startswith(RUN_LEFTOVERS))

    def run(
        self,
        *arguments: str,
        extra_env: Mapping[str, str] | None = None,
        timeout: float = RUN_TIMEOUT_SECONDS,
        command: Sequence[str] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Run the binary as a Google client would: no stdin, stdout and stderr captured.

        `command` replaces the built binary: another copy of it, or the binary
        under a tool that runs it.
        """
        completed = subprocess.run(
            [*(command or [str(require_binary())]), *arguments],
            env={**self.env, **(extra_env or {})},
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        capture("the frozen binary in a sandbox", completed.stdout + completed.stderr)
        return completed

    def response(
        self, *arguments: str, extra_env: Mapping[str, str] | None = None
    ) -> dict[str, Any]:
        """The one JSON response of a protocol-mode run, checked for protocol hygiene."""
        completed = self.run(*arguments, extra_env=extra_env)
        assert completed.returncode == 0, completed.stderr
        assert completed.stderr == ""
        document: dict[str, Any] = json.loads(completed.stdout)
        return document


def signing_access_key(response: Mapping[str, object]) -> str:
    """The access key ID that signed a successful response's subject token."""
    assert response.get("success") is True, response
    token = json.loads(urllib.parse.unquote(str(response["id_token"])))
    authorization = next(
        header["value"] for header in token["headers"] if header["key"] == "Authorization"
    )
    credential = str(authorization).split("Credential=", 1)[1]
    return credential.split("/", 1)[0]
