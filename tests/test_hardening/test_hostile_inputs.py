"""Hostile input, table-driven: every bad environment, option and AWS file gets a documented code.

Each case runs the helper as a client would (a fresh process, stdin closed)
with working AWS keys, the case's change, and an output file that already
holds a complete, valid (expired) response. Whatever the case, the run must
end the same way (`assert_well_formed_failure`):

* exit status 0 and exactly one JSON document on stdout, a failure with the
  case's code and a message, ASCII only;
* nothing on stderr, no traceback;
* the output file byte for byte as it was, same inode, same mtime;
* an answer within the run's deadline.

No secret may appear anywhere: the session-wide check in tests/captured.py
scans all of it.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import stat
import time
from collections.abc import Mapping
from pathlib import Path

import pytest

from helper.allowed_audience import ALLOWED_AUDIENCES_VARIABLE
from helper.options import DEFAULT_TIMEOUT_SECONDS, MAX_TIMEOUT_SECONDS
from tests.harness import (
    AUDIENCE,
    AWS_TOKEN_TYPE,
    AwsEnvironment,
    HelperCommand,
    HelperRun,
    client_variables,
    module_helper,
)
from tests.standins.aws_keys import LONG_TERM_KEY, SESSION_KEY

VARIABLE = "GOOGLE_EXTERNAL_ACCOUNT_"
AUDIENCE_VARIABLE = VARIABLE + "AUDIENCE"
TOKEN_TYPE_VARIABLE = VARIABLE + "TOKEN_TYPE"
NEAR_VARIABLE_LIMIT = 100 * 1024  # a variable may hold up to 128 KiB
EXPIRED_RESPONSE = json.dumps(
    {
        "version": 1,
        "success": True,
        "token_type": "urn:ietf:params:oauth:token-type:jwt",
        "id_token": "an-earlier-token",
        "expiration_time": 1_700_000_000,
    }
)
# Long enough for the module helper to start on a loaded machine, short enough to notice.
ANSWER_SLACK_SECONDS = 8.0


@dataclasses.dataclass(frozen=True)
class Case:
    """One hostile input and the code it must get.

    `variables` change the client's environment (None removes a variable;
    bytes are passed as they are, for values that are not UTF-8). `aws_config`
    and `aws_credentials` replace the AWS files; `{scripts}` in them is the
    folder holding `scripts` (name: shell text), made executable.
    """

    id: str
    code: str
    variables: Mapping[str, str | bytes | None] = dataclasses.field(default_factory=dict)
    args: tuple[str, ...] = ()
    aws_config: str | bytes | None = None
    aws_credentials: str | bytes | None = None
    scripts: Mapping[str, str] = dataclasses.field(default_factory=dict)
    keys: bool = True


def audience_case(id: str, audience: str | bytes | None, code: str = "INVALID_REQUEST") -> Case:
    return Case(id, code, {AUDIENCE_VARIABLE: audience})


def token_type_case(
    id: str, token_type: str | bytes | None, code: str = "UNSUPPORTED_TOKEN_TYPE"
) -> Case:
    return Case(id, code, {TOKEN_TYPE_VARIABLE: token_type})


def profile_case(id: str, code: str, config: str | bytes, **more: object) -> Case:
    """A case that selects AWS profile `app` from `config`, without keys in the environment."""
    return Case(id, code, {"AWS_PROFILE": "app"}, aws_config=config, keys=False, **more)  # type: ignore[arg-type]


def credential_process_case(id: str, code: str, script: str, timeout: str = "2") -> Case:
    return profile_case(
        id,
        code,
        "[profile app]\ncredential_process = {scripts}/credential-process\n",
        scripts={"credential-process": script},
        args=("--timeout", timeout),
    )


EXPIRED_PROCESS_ANSWER = json.dumps(
    {
        "Version": 1,
        "AccessKeyId": SESSION_KEY.access_key_id,
        "SecretAccessKey": SESSION_KEY.secret_access_key,
        "SessionToken": SESSION_KEY.session_token,
        "Expiration": "2020-01-01T00:00:00Z",
    }
)

ENVIRONMENT_CASES = [
    audience_case("audience-missing", None),
    audience_case("audience-empty", ""),
    audience_case("audience-blank", "   "),
    audience_case("audience-padded", f"  {AUDIENCE} "),
    audience_case("audience-100kb", AUDIENCE + "a" * NEAR_VARIABLE_LIMIT),
    audience_case("audience-not-utf8", AUDIENCE.encode().replace(b"aws-pool", b"aws-\xff\xfe")),
    audience_case("audience-crlf", AUDIENCE + "\r\nx-amz-security-token: injected"),
    audience_case("audience-tab", AUDIENCE.replace("/providers", "\t/providers")),
    audience_case("audience-non-ascii", AUDIENCE.replace("iam.", "\u0456am.")),
    audience_case(
        "audience-workforce-pool",
        "//iam.googleapis.com/locations/global/workforcePools/staff/providers/aws",
    ),
    audience_case("audience-no-provider", AUDIENCE.rsplit("/providers/", 1)[0]),
    audience_case("audience-no-project", AUDIENCE.replace("/projects/123456789012", "")),
    audience_case(
        "audience-lookalike-host",
        AUDIENCE.replace("iam.googleapis.com", "iam.googleapis.com.attacker.example"),
        "AUDIENCE_NOT_ALLOWED",
    ),
    audience_case(
        "audience-https-other-host",
        "https:" + AUDIENCE.replace("googleapis.com", "attacker.example"),
        "AUDIENCE_NOT_ALLOWED",
    ),
    audience_case("audience-other-service", AUDIENCE.replace("//iam.", "//sts.")),
    audience_case("audience-trailing-slash", AUDIENCE + "/"),
    audience_case("audience-query", AUDIENCE + "?alt=json"),
    audience_case("audience-uppercase-ids", AUDIENCE.replace("aws-pool", "AWS-POOL")),
    audience_case("audience-http-prefix", "http:" + AUDIENCE),
    audience_case("audience-url-encoded", AUDIENCE.replace("/", "%2F")),
    token_type_case("token-type-missing", None, "INVALID_REQUEST"),
    token_type_case("token-type-empty", "", "INVALID_REQUEST"),
    token_type_case("token-type-mis-cased", AWS_TOKEN_TYPE.upper()),
    token_type_case("token-type-padded", f" {AWS_TOKEN_TYPE}\n"),
    token_type_case("token-type-saml2", "urn:ietf:params:oauth:token-type:saml2"),
    token_type_case("token-type-100kb", AWS_TOKEN_TYPE + "x" * NEAR_VARIABLE_LIMIT),
    token_type_case("token-type-not-utf8", b"urn:ietf:params:aws:token-type:\xc0\xaf"),
    Case("interactive-true", "INVALID_REQUEST", {VARIABLE + "INTERACTIVE": "true"}),
    Case("interactive-padded", "INVALID_REQUEST", {VARIABLE + "INTERACTIVE": " 1"}),
    Case("interactive-2", "INVALID_REQUEST", {VARIABLE + "INTERACTIVE": "2"}),
    Case("revoke-yes", "INVALID_REQUEST", {VARIABLE + "REVOKE": "yes"}),
    Case("revoke-with-newline", "INVALID_REQUEST", {VARIABLE + "REVOKE": "1\n"}),
    Case("revoke-not-utf8", "INVALID_REQUEST", {VARIABLE + "REVOKE": b"\xff"}),
    Case("aws-region-not-a-region", "AWS_CONFIG_INVALID", {"AWS_REGION": "attacker.example/x"}),
    Case("aws-profile-missing", "AWS_PROFILE_NOT_FOUND", {"AWS_PROFILE": "no-such-profile"}),
    Case("aws-profile-100kb", "AWS_PROFILE_NOT_FOUND", {"AWS_PROFILE": "p" * NEAR_VARIABLE_LIMIT}),
    Case(
        "aws-secret-not-utf8",
        "AWS_CONFIG_INVALID",
        {"AWS_SECRET_ACCESS_KEY": LONG_TERM_KEY.secret_access_key.encode() + b"\xff"},
    ),
    Case("aws-key-id-with-space", "AWS_CONFIG_INVALID", {"AWS_ACCESS_KEY_ID": "AKIA EXAMPLE"}),
    Case(
        "aws-session-token-line-break",
        "AWS_CONFIG_INVALID",
        {"AWS_SESSION_TOKEN": "FwoGZXIvYXdz\nx-injected: 1"},
    ),
    Case(
        "allowed-audiences-malformed",
        "INVALID_REQUEST",
        {ALLOWED_AUDIENCES_VARIABLE: "caf\u00e9"},
    ),
    Case(
        "allowed-audiences-other-provider",
        "AUDIENCE_NOT_ALLOWED",
        {ALLOWED_AUDIENCES_VARIABLE: AUDIENCE.replace("aws-provider", "other")},
    ),
    Case("no-credentials-anywhere", "AWS_CREDENTIALS_NOT_FOUND", keys=False),
]

OPTION_CASES = [
    Case("option-unknown", "INVALID_REQUEST", args=("--frobnicate",)),
    Case("option-abbreviated", "INVALID_REQUEST", args=("--prof", "default")),
    Case("option-help-under-a-client", "INVALID_REQUEST", args=("--help",)),
    Case("option-version-under-a-client", "INVALID_REQUEST", args=("--version",)),
    Case("option-positional", "INVALID_REQUEST", args=("extra",)),
    Case("option-region-injection", "INVALID_REQUEST", args=("--region", "us-east-1;x")),
    Case("option-region-uppercase", "INVALID_REQUEST", args=("--region", "US-EAST-1")),
    Case("option-region-host", "INVALID_REQUEST", args=("--region", "attacker.example")),
    Case("option-profile-missing", "AWS_PROFILE_NOT_FOUND", args=("--profile", "nope")),
    Case("option-profile-empty", "INVALID_REQUEST", args=("--profile", "")),
    Case("option-timeout-0", "INVALID_REQUEST", args=("--timeout", "0")),
    Case("option-timeout-negative", "INVALID_REQUEST", args=("--timeout", "-5")),
    Case("option-timeout-huge", "INVALID_REQUEST", args=("--timeout", "1e9")),
    Case("option-timeout-nan", "INVALID_REQUEST", args=("--timeout", "nan")),
    Case("option-timeout-inf", "INVALID_REQUEST", args=("--timeout", "inf")),
    Case("option-timeout-missing-value", "INVALID_REQUEST", args=("--timeout",)),
    Case("option-sts-endpoint-unknown", "INVALID_REQUEST", args=("--sts-endpoint", "moon")),
    Case(
        "option-allowed-audience-other",
        "AUDIENCE_NOT_ALLOWED",
        args=("--allowed-audience", AUDIENCE + "-other"),
    ),
    Case("option-allowed-audience-blank", "INVALID_REQUEST", args=("--allowed-audience", " ")),
]

AWS_FILE_CASES = [
    profile_case("config-binary", "AWS_CONFIG_INVALID", bytes(range(256)) * 4),
    profile_case("config-not-utf8-text", "AWS_CONFIG_INVALID", b"[profile app]\nregion = \xff\n"),
    profile_case(
        "config-duplicate-profile",
        "AWS_CONFIG_INVALID",
        "[profile app]\nregion = us-east-1\n[profile app]\nregion = eu-west-1\n",
    ),
    profile_case(
        "config-source-profile-loop",
        "AWS_CONFIG_INVALID",
        "[profile app]\nrole_arn = arn:aws:iam::111122223333:role/a\nsource_profile = hop\n"
        "[profile hop]\nrole_arn = arn:aws:iam::111122223333:role/b\nsource_profile = app\n",
    ),
    profile_case(
        "config-source-profile-self",
        "AWS_CONFIG_INVALID",
        "[profile app]\nrole_arn = arn:aws:iam::111122223333:role/a\nsource_profile = app\n",
    ),
    profile_case("config-unreadable-folder", "AWS_CONFIG_INVALID", "{folder}"),
    Case(
        "credentials-binary",
        "AWS_CONFIG_INVALID",
        keys=False,
        aws_credentials=b"\x00\x01[default]\x00aws_access_key_id=\xff",
    ),
    credential_process_case(
        "credential-process-garbage", "AWS_CREDENTIAL_PROCESS_FAILED", "echo '<html>oops'"
    ),
    credential_process_case(
        "credential-process-exits-1",
        "AWS_CREDENTIAL_PROCESS_FAILED",
        f"echo 'failed for {LONG_TERM_KEY.secret_access_key}' >&2; exit 1",
    ),
    credential_process_case(
        "credential-process-version-2",
        "AWS_CREDENTIAL_PROCESS_FAILED",
        "echo '{\"Version\": 2}'",
    ),
    credential_process_case(
        "credential-process-expired",
        "AWS_CREDENTIAL_PROCESS_FAILED",
        f"echo '{EXPIRED_PROCESS_ANSWER}'",
    ),
    credential_process_case(
        "credential-process-never-exits", "DEADLINE_EXCEEDED", "exec sleep 30", timeout="1"
    ),
    profile_case(
        "profile-mfa-serial",
        "AWS_MFA_REQUIRED",
        "[profile app]\nrole_arn = arn:aws:iam::111122223333:role/a\nsource_profile = base\n"
        "mfa_serial = arn:aws:iam::111122223333:mfa/person\n"
        f"[profile base]\naws_access_key_id = {LONG_TERM_KEY.access_key_id}\n"
        f"aws_secret_access_key = {LONG_TERM_KEY.secret_access_key}\n",
    ),
]

CASES = ENVIRONMENT_CASES + OPTION_CASES + AWS_FILE_CASES
# The frozen build is slower to start: a sample of the table, one of each kind.
FROZEN_SAMPLE = {
    "audience-not-utf8",
    "audience-100kb",
    "audience-lookalike-host",
    "token-type-mis-cased",
    "revoke-not-utf8",
    "option-help-under-a-client",
    "option-timeout-nan",
    "config-binary",
    "credential-process-never-exits",
}


def test_the_table_has_at_least_40_cases_with_unique_names() -> None:
    assert len(CASES) >= 40
    assert len({case.id for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_hostile_input_gets_a_well_formed_failure(
    case: Case, aws_env: AwsEnvironment, tmp_path: Path
) -> None:
    result, elapsed, output_file, before = run_case(module_helper(), case, aws_env, tmp_path)

    assert_well_formed_failure(result, case.code)
    assert_untouched(output_file, before)
    assert elapsed < deadline_of(case) + ANSWER_SLACK_SECONDS


@pytest.mark.parametrize(
    "case",
    [case for case in CASES if case.id in FROZEN_SAMPLE],
    ids=[case.id for case in CASES if case.id in FROZEN_SAMPLE],
)
def test_the_frozen_helper_fails_the_same_way(
    case: Case, aws_env: AwsEnvironment, tmp_path: Path, frozen: HelperCommand
) -> None:
    result, _, output_file, before = run_case(frozen, case, aws_env, tmp_path)

    assert_well_formed_failure(result, case.code)
    assert_untouched(output_file, before)


def run_case(
    helper: HelperCommand, case: Case, aws_env: AwsEnvironment, tmp_path: Path
) -> tuple[HelperRun, float, Path, os.stat_result]:
    """Set the case up, run the helper once, and return what it did."""
    scripts = tmp_path / "scripts"
    scripts.mkdir()
    for name, text in case.scripts.items():
        script = scripts / name
        script.write_text("#!/bin/sh\n" + text + "\n")
        script.chmod(script.stat().st_mode | stat.S_IXUSR)
    write_aws_file(aws_env.config_file, case.aws_config, scripts, tmp_path)
    write_aws_file(aws_env.credentials_file, case.aws_credentials, scripts, tmp_path)
    if case.keys:
        aws_env.use_key(LONG_TERM_KEY)

    output_file = tmp_path / "cache" / "response.json"
    output_file.parent.mkdir(mode=0o700)
    output_file.write_text(EXPIRED_RESPONSE)
    output_file.chmod(0o600)
    before = output_file.stat()

    environ: dict[str, str | bytes] = {**aws_env.environ(client_variables(output_file=output_file))}
    for name, value in case.variables.items():
        if value is None:
            environ.pop(name, None)
        else:
            environ[name] = value

    started = time.monotonic()
    result = helper.run(environ, case.args, cwd=aws_env.work_dir)
    return result, time.monotonic() - started, output_file, before


def write_aws_file(path: Path, content: str | bytes | None, scripts: Path, tmp_path: Path) -> None:
    if content is None:
        return
    if content == "{folder}":  # an AWS file that cannot be read as one
        path.unlink()
        path.mkdir()
        return
    if isinstance(content, str):
        content = content.replace("{scripts}", str(scripts)).encode()
    path.write_bytes(content)


def deadline_of(case: Case) -> float:
    """The run's deadline: the case's --timeout when it is a usable one, else the default."""
    if "--timeout" in case.args[:-1]:
        try:
            seconds = float(case.args[case.args.index("--timeout") + 1])
        except ValueError:
            seconds = math.nan
        if 0 < seconds <= MAX_TIMEOUT_SECONDS:
            return seconds
    return DEFAULT_TIMEOUT_SECONDS


def assert_well_formed_failure(result: HelperRun, code: str) -> None:
    """Exit 0, one ASCII JSON failure document with `code` and a message, nothing on stderr."""
    assert result.returncode == 0
    assert result.stderr == b""
    assert result.stdout.isascii()
    assert b"Traceback" not in result.stdout
    response = result.response
    assert set(response) == {"version", "success", "code", "message"}, response
    assert response["version"] == 1
    assert response["success"] is False
    assert response["code"] == code, response["message"]
    assert isinstance(response["message"], str) and 20 < len(response["message"]) < 2000


def assert_untouched(output_file: Path, before: os.stat_result) -> None:
    after = output_file.stat()
    assert output_file.read_text() == EXPIRED_RESPONSE
    assert (after.st_ino, after.st_mtime_ns, after.st_size) == (
        before.st_ino,
        before.st_mtime_ns,
        before.st_size,
    )


def test_a_credential_process_that_never_exits_does_not_outlive_the_answer(
    aws_env: AwsEnvironment, tmp_path: Path
) -> None:
    pid_file = tmp_path / "credential-process.pid"
    script = tmp_path / "credential-process"
    script.write_text(f"#!/bin/sh\necho $$ > {pid_file}\nexec sleep 30\n")
    script.chmod(0o700)
    aws_env.write_config(f"[profile app]\ncredential_process = {script}\n")
    aws_env.set(AWS_PROFILE="app")

    result = module_helper().run(aws_env.environ(client_variables()), ["--timeout", "1"])

    assert_well_formed_failure(result, "DEADLINE_EXCEEDED")
    pid = int(pid_file.read_text())
    for _ in range(50):
        if not Path(f"/proc/{pid}").exists() or "Z" in process_state(pid):
            break
        time.sleep(0.05)
    else:
        os.kill(pid, 9)
        pytest.fail("the credential_process was still running after the helper answered")


def process_state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except (OSError, IndexError):
        return "gone"
