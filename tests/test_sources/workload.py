"""A workload's AWS set-up and the helper it runs, for the credential-source tests.

`Workload` is the shared `AwsEnvironment` (tests/harness.py: a temporary HOME,
AWS files made for the test, the instance metadata service disabled) plus the
helper build under test. `run(*options)` starts the helper in protocol mode as
a Google client would and times its answer; `point_at(...)` sends botocore to
the AWS stand-ins. `assert_signed_with` checks the subject token as AWS would
(tests/standins/sigv4.py, through the Google STS stand-in's verifier), for
exactly the key the source should have produced.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from tests.harness import (
    AUDIENCE,
    AWS_TOKEN_TYPE,
    AwsEnvironment,
    HelperCommand,
    HelperRun,
    capture_helper_run,
    client_variables,
)
from tests.standins.aws_keys import AwsKey
from tests.standins.aws_sts import AwsStsStandIn
from tests.standins.container import ContainerCredentialsStandIn
from tests.standins.google_sts import AwsTokenVerifier, ExchangeRequest, TokenRejected
from tests.standins.imds import InstanceMetadataStandIn
from tests.standins.misbehaving import MisbehavingStandIn, refused_url
from tests.standins.sso import SsoStandIn

__all__ = [
    "AUDIENCE",
    "GENEROUS_TIMEOUT",
    "SERVICE_TROUBLE_CODES",
    "TROUBLES",
    "HelperResult",
    "Workload",
    "assert_answered_before_deadline",
    "assert_fails",
    "assert_signed_with",
    "make_trouble",
]

# Long enough for a frozen run on a loaded machine; tests about time pass --timeout.
GENEROUS_TIMEOUT = ("--timeout", "20")
_PROCESS_TIMEOUT_SECONDS = 60
# What a test that hangs a stand-in leaves the helper beyond its own start-up.
_HANG_BUDGET_SECONDS = 2.5
# The pipe and the test's own scheduling, after the answer is written.
_ANSWER_SLACK_SECONDS = 0.5

# The ways an AWS service endpoint can let the helper down, and the code each gives.
SERVICE_TROUBLE_CODES = {
    "refused": "AWS_UNREACHABLE",
    "server error": "AWS_UNREACHABLE",
    "throttled": "AWS_THROTTLED",
    "hanging": "DEADLINE_EXCEEDED",
}
TROUBLES = tuple(SERVICE_TROUBLE_CODES)


@dataclasses.dataclass(frozen=True)
class HelperResult:
    """One protocol-mode run: the response, what else was printed, and how long it took.

    `answered_seconds` is when the response line arrived on stdout; `seconds`
    when the process ended (a frozen build then still removes its unpacked
    files, which takes long on a loaded machine).
    """

    response: dict[str, Any]
    stderr: bytes
    answered_seconds: float
    seconds: float

    @property
    def code(self) -> str | None:
        return self.response.get("code")

    @property
    def message(self) -> str:
        return str(self.response.get("message", ""))

    def token_headers(self) -> dict[str, str]:
        """The headers of the signed GetCallerIdentity request in the subject token."""
        assert self.response["success"] is True, self.response
        document = json.loads(urllib.parse.unquote(self.response["id_token"]))
        return {item["key"].lower(): item["value"] for item in document["headers"]}

    @property
    def signing_key_id(self) -> str:
        """The access key named in the token's `Authorization: ... Credential=KEY/...`."""
        credential = self.token_headers()["authorization"].split("Credential=", 1)[1]
        return credential.split("/", 1)[0]


@dataclasses.dataclass
class Workload(AwsEnvironment):
    """A workload's AWS set-up (the shared `AwsEnvironment`), and the helper it runs."""

    helper: HelperCommand

    def write_file(self, name: str, text: str) -> Path:
        path = self.root / name
        path.write_text(text)
        return path

    def point_at(
        self,
        *,
        sts: AwsStsStandIn | None = None,
        imds: InstanceMetadataStandIn | None = None,
        container_agent: ContainerCredentialsStandIn | None = None,
        sso: SsoStandIn | None = None,
    ) -> None:
        """Send botocore to these stand-ins instead of AWS."""
        if sts is not None:
            self.set(AWS_ENDPOINT_URL_STS=sts.url, AWS_DEFAULT_REGION="us-east-1")
        if imds is not None:
            self.set(AWS_EC2_METADATA_DISABLED="false", AWS_EC2_METADATA_SERVICE_ENDPOINT=imds.url)
        if container_agent is not None:
            assert container_agent.authorization_token is not None
            token_file = self.write_file("pod-identity-token", container_agent.authorization_token)
            self.set(
                AWS_CONTAINER_CREDENTIALS_FULL_URI=container_agent.full_uri,
                AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=str(token_file),
            )
        if sso is not None:
            self.set(AWS_ENDPOINT_URL_SSO=sso.url, AWS_ENDPOINT_URL_SSO_OIDC=sso.url)

    def start_up_seconds(self) -> float:
        """How long the helper takes to start and exit here and now (`--version`)."""
        started = time.monotonic()
        subprocess.run(
            [*self.helper.argv, "--version"],
            env=self.variables,
            capture_output=True,
            timeout=_PROCESS_TIMEOUT_SECONDS,
            check=True,
        )
        return time.monotonic() - started

    def deadline_for_a_hang(self) -> str:
        """A --timeout that leaves the helper 2.5 s after its start-up, as measured now.

        A frozen build may take seconds to unpack on a loaded machine; a fixed
        deadline would then run out before the hanging endpoint is reached.
        """
        return f"{self.start_up_seconds() + _HANG_BUDGET_SECONDS:.1f}"

    def run(
        self,
        *options: str,
        stdin: int | IO[Any] = subprocess.DEVNULL,
        preexec_fn: Callable[[], None] | None = None,
    ) -> HelperResult:
        """Run the helper as a Google client would, with a clean environment."""
        started = time.monotonic()
        environ = self.environ(client_variables())
        with subprocess.Popen(
            [*self.helper.argv, *options],
            env=environ,
            cwd=self.work_dir,
            stdin=stdin,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            preexec_fn=preexec_fn,
        ) as process:
            assert process.stdout is not None
            first_line = process.stdout.readline()
            answered = time.monotonic() - started
            rest, stderr = process.communicate(timeout=_PROCESS_TIMEOUT_SECONDS)
        seconds = time.monotonic() - started
        outcome = HelperRun(process.returncode, first_line + rest, stderr)
        capture_helper_run(self.helper.name, environ, options, outcome)

        assert process.returncode == 0, (process.returncode, first_line, rest, stderr)
        text = (first_line + rest).decode("ascii")
        document, end = json.JSONDecoder().raw_decode(text)
        assert text[end:].strip() == "", f"more than one document on stdout: {text!r}"
        return HelperResult(document, stderr, answered, seconds)


def assert_signed_with(result: HelperResult, key: AwsKey) -> None:
    """AWS would accept the token as signed by `key`, and no other key it knows of."""
    assert result.response["success"] is True, result.response
    assert result.stderr == b""
    assert result.signing_key_id == key.access_key_id

    verifier = AwsTokenVerifier()
    verifier.register(key)
    exchange = ExchangeRequest(
        audience=AUDIENCE,
        scope="",
        subject_token_type=AWS_TOKEN_TYPE,
        subject_token=result.response["id_token"],
        fields={},
    )
    try:
        identity = verifier(exchange)
    except TokenRejected as rejected:
        raise AssertionError(f"AWS would refuse the token: {rejected.reason}") from None
    assert identity.subject == key.arn


def assert_fails(result: HelperResult, code: str, *fragments: str) -> None:
    """A failure response with `code`, a message holding `fragments`, nothing on stderr."""
    assert result.response["success"] is False, result.response
    assert result.code == code, result.response
    for fragment in fragments:
        assert fragment in result.message, result.message
    assert result.stderr == b""


def make_trouble(
    trouble: str, standin: MisbehavingStandIn, workload: Workload, variable: str, path: str = ""
) -> tuple[str, ...]:
    """Make `standin` (reached through `variable`) misbehave; return the options to run with.

    "refused" points `variable` at a loopback port with no listener (plus `path`).
    """
    if trouble == "refused":
        workload.set(**{variable: refused_url() + path})
    elif trouble == "server error":
        standin.fail_as_server_error()
    elif trouble == "throttled":
        standin.throttle()
    elif trouble == "hanging":
        standin.hang()
        return ("--timeout", workload.deadline_for_a_hang())
    else:
        raise ValueError(trouble)
    return GENEROUS_TIMEOUT


def assert_answered_before_deadline(result: HelperResult, options: tuple[str, ...]) -> None:
    """The answer came before the run's --timeout (counted from the helper's start) ran out."""
    timeout = float(options[options.index("--timeout") + 1])
    assert result.answered_seconds < timeout + _ANSWER_SLACK_SECONDS, (result, timeout)
