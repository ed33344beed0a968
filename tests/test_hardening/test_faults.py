"""Bad networks: every fault of an AWS endpoint gets a specific code within the deadline.

The helper reaches the network only to fetch credentials: STS for an
assume-role profile (its endpoint set with AWS_ENDPOINT_URL_STS), the
container credentials agent (AWS_CONTAINER_CREDENTIALS_FULL_URI) and the
instance metadata service (AWS_EC2_METADATA_SERVICE_ENDPOINT). Each of them is
replaced in turn by a loopback fault from tests/standins/faults.py. Every run
must answer, before its --timeout plus the time to start, with the fault's
code, a well-formed failure and nothing on stderr; an existing output file is
left as it was.
"""

from __future__ import annotations

import dataclasses
import datetime
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Protocol

import pytest

from tests.harness import AwsEnvironment, client_variables, module_helper
from tests.standins import faults
from tests.standins.aws_keys import LONG_TERM_KEY, AwsKey
from tests.standins.server import Reply
from tests.test_hardening.test_hostile_inputs import (
    EXPIRED_RESPONSE,
    assert_untouched,
    assert_well_formed_failure,
)

# Above the default 3 s, so that a slow start on a loaded machine is not taken for the
# fault's answer; the default itself is covered by tests/test_sources/test_deadline.py.
TIMEOUT_SECONDS = 5.0
# Starting the module helper on a loaded two-core machine, and writing the answer.
START_SLACK_SECONDS = 2.0
ROLE_ARN = "arn:aws:iam::111122223333:role/app"


class Endpoint(Protocol):
    @property
    def url(self) -> str: ...

    def close(self) -> None: ...


@dataclasses.dataclass(frozen=True)
class Refused:
    """No server at all."""

    url: str = dataclasses.field(default_factory=faults.refused_url)

    def close(self) -> None:
        return


def short_lived_key() -> AwsKey:
    """Session credentials that expire a minute and a half from now: too soon to sign with."""
    expiration = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=90)
    return AwsKey.session("short-lived", expiration=expiration)


@dataclasses.dataclass(frozen=True)
class Source:
    """A credential source that calls an endpoint, and how to point it at one."""

    name: str
    success: Callable[[], Reply]
    malformed: Reply
    server_error: Reply
    throttled: Reply

    def point_at(self, aws_env: AwsEnvironment, url: str) -> None:
        if self.name == "sts":
            aws_env.write_config(
                f"[profile app]\nrole_arn = {ROLE_ARN}\nsource_profile = base\n"
                "region = us-east-1\n"
                f"[profile base]\naws_access_key_id = {LONG_TERM_KEY.access_key_id}\n"
                f"aws_secret_access_key = {LONG_TERM_KEY.secret_access_key}\n"
            )
            aws_env.set(AWS_PROFILE="app", AWS_ENDPOINT_URL_STS=url)
        elif self.name == "container":
            aws_env.set(AWS_CONTAINER_CREDENTIALS_FULL_URI=url + "/v1/credentials")
        else:
            aws_env.variables.pop("AWS_EC2_METADATA_DISABLED")
            aws_env.set(AWS_EC2_METADATA_SERVICE_ENDPOINT=url)


STS = Source(
    "sts",
    lambda: faults.sts_credentials_reply(short_lived_key()),
    faults.MALFORMED_XML,
    faults.STS_SERVER_ERROR,
    faults.STS_THROTTLED,
)
CONTAINER = Source(
    "container",
    lambda: faults.container_credentials_reply(short_lived_key()),
    faults.MALFORMED_JSON,
    Reply(status=500, body=b"Internal Server Error", content_type="text/plain"),
    faults.THROTTLED_429,
)
IMDS = Source(
    "imds",
    lambda: Reply(status=200, body=b"a-token"),
    faults.MALFORMED_JSON,
    Reply(status=500, body=b"", content_type="text/plain"),
    faults.THROTTLED_429,
)


def endpoint_for(fault: str, source: Source) -> Endpoint:
    """Start the server that plays `fault` for `source`."""
    if fault == "refused":
        return Refused()
    if fault == "silent":
        return faults.SilentServer()
    if fault in ("half-then-close", "half-then-silent"):
        body = source.success().body
        return faults.HalfAnswerServer(body, hang=fault == "half-then-silent")
    replies = {
        "server-error": source.server_error,
        "throttled": source.throttled,
        "malformed": source.malformed,
        "clock-skew": faults.STS_CLOCK_SKEW,
        "expires-before-signing": source.success(),
    }
    return faults.CannedServer(replies[fault])


# (source, fault, code): what the client must be told.
FAULTS = [
    (STS, "refused", "AWS_UNREACHABLE"),
    (STS, "silent", "DEADLINE_EXCEEDED"),
    (STS, "half-then-close", "AWS_UNREACHABLE"),
    (STS, "half-then-silent", "DEADLINE_EXCEEDED"),
    (STS, "server-error", "AWS_UNREACHABLE"),
    (STS, "throttled", "AWS_THROTTLED"),
    (STS, "malformed", "AWS_UNREACHABLE"),
    (STS, "clock-skew", "AWS_CLOCK_SKEW"),
    (STS, "expires-before-signing", "AWS_CREDENTIALS_EXPIRED"),
    (CONTAINER, "refused", "AWS_UNREACHABLE"),
    (CONTAINER, "silent", "AWS_UNREACHABLE"),
    (CONTAINER, "half-then-close", "AWS_UNREACHABLE"),
    (CONTAINER, "half-then-silent", "AWS_UNREACHABLE"),
    (CONTAINER, "server-error", "AWS_UNREACHABLE"),
    (CONTAINER, "throttled", "AWS_THROTTLED"),
    (CONTAINER, "malformed", "AWS_UNREACHABLE"),
    (CONTAINER, "expires-before-signing", "AWS_CREDENTIALS_EXPIRED"),
    # Off EC2 the metadata service does not answer: the chain finds nothing there.
    (IMDS, "refused", "AWS_CREDENTIALS_NOT_FOUND"),
    (IMDS, "silent", "AWS_CREDENTIALS_NOT_FOUND"),
    (IMDS, "server-error", "AWS_UNREACHABLE"),
    (IMDS, "throttled", "AWS_THROTTLED"),
]


@pytest.fixture
def output_file(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "cache" / "response.json"
    path.parent.mkdir(mode=0o700)
    path.write_text(EXPIRED_RESPONSE)
    path.chmod(0o600)
    yield path


@pytest.mark.parametrize(
    ("source", "fault", "code"),
    FAULTS,
    ids=[f"{source.name}-{fault}" for source, fault, _ in FAULTS],
)
def test_a_faulty_endpoint_gets_its_code_within_the_deadline(
    aws_env: AwsEnvironment, output_file: Path, source: Source, fault: str, code: str
) -> None:
    endpoint = endpoint_for(fault, source)
    try:
        source.point_at(aws_env, endpoint.url)
        before = output_file.stat()
        started = time.monotonic()

        result = module_helper().run(
            aws_env.environ(client_variables(output_file=output_file)),
            ["--timeout", str(TIMEOUT_SECONDS)],
            cwd=aws_env.work_dir,
        )
        elapsed = time.monotonic() - started
    finally:
        endpoint.close()

    assert_well_formed_failure(result, code)
    assert elapsed < TIMEOUT_SECONDS + START_SLACK_SECONDS
    assert_untouched(output_file, before)
