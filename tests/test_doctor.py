"""`aws-wif-helper doctor`: every misconfiguration is caught by the check that names it."""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from helper.checks.report import Report, Status
from helper.commands import create_config
from helper.commands.doctor import diagnose
from helper.options import HelperOptions
from tests.captured import capture
from tests.harness import AUDIENCE, AwsEnvironment
from tests.standins.aws_keys import LONG_TERM_KEY, SESSION_KEY, AwsKey
from tests.standins.google_sts import AWS_TOKEN_TYPE, GoogleStsStandIn, TokenRejected

SERVICE_ACCOUNT = "app@my-project.iam.gserviceaccount.com"
ATTRIBUTE_CONDITION_REFUSAL = "The given credential is rejected by the attribute condition."


@pytest.fixture
def doctor_env(monkeypatch: pytest.MonkeyPatch, aws_env: AwsEnvironment) -> AwsEnvironment:
    """A workload's environment as doctor sees it: a long-term key, executables allowed."""
    _use_key(monkeypatch, LONG_TERM_KEY)
    monkeypatch.setenv("GOOGLE_EXTERNAL_ACCOUNT_ALLOW_EXECUTABLES", "1")
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    return aws_env


def _use_key(monkeypatch: pytest.MonkeyPatch, key: AwsKey) -> None:
    for name, value in key.environment().items():
        monkeypatch.setenv(name, value)


def _good_config(tmp_path: Path, *helper_options: str, **changes: Any) -> dict[str, Any]:
    """What create-config writes, with `changes` merged into credential_source.executable."""
    path = tmp_path / "created.json"
    arguments = ["--audience", AUDIENCE, "--no-output-file", "-o", str(path)]
    if helper_options:
        arguments += ["--", *helper_options]
    assert create_config.run(arguments) == 0

    config: dict[str, Any] = json.loads(path.read_text())
    config["credential_source"]["executable"]["output_file"] = str(tmp_path / "cache" / "r.json")
    config["credential_source"]["executable"].update(changes)
    return config


def _doctor(tmp_path: Path, config: dict[str, Any] | None, **flags: bool) -> Report:
    path = None
    if config is not None:
        path = tmp_path / "config.json"
        path.write_text(json.dumps(config))
    report = diagnose(str(path) if path else None, HelperOptions(), os.environ, **flags)
    capture("doctor's report", report.as_text("doctor") + report.as_json("doctor"))
    return report


# Each case breaks one thing in a good set-up and names the check that must fail.
Breakage = Callable[[dict[str, Any], Path, pytest.MonkeyPatch], None]


def _not_json(config: dict[str, Any], tmp: Path, env: pytest.MonkeyPatch) -> None:
    config["__write_raw__"] = '{"type": "external_account",'


def _executable(config: dict[str, Any]) -> dict[str, Any]:
    executable: dict[str, Any] = config["credential_source"]["executable"]
    return executable


def _make_folder(path: Path, mode: int) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(mode)
    return path


def _cached(config: dict[str, Any], tmp: Path, text: str) -> None:
    cache = _make_folder(tmp / "private-cache", 0o700) / "response.json"
    cache.write_text(text)
    cache.chmod(0o600)
    _executable(config)["output_file"] = str(cache)


def _cached_token_for_another_audience(config: dict[str, Any], tmp: Path) -> None:
    from helper.aws_token import sign_get_caller_identity
    from helper.credentials import AwsCredentials
    from helper.endpoint import StsEndpoint

    other = AUDIENCE.replace("aws-provider", "other-provider")
    credentials = AwsCredentials(
        LONG_TERM_KEY.access_key_id, LONG_TERM_KEY.secret_access_key, None, None, "env"
    )
    signed = sign_get_caller_identity(
        credentials, other, StsEndpoint("sts.amazonaws.com", "us-east-1")
    )
    response = {
        "version": 1,
        "success": True,
        "token_type": "urn:ietf:params:oauth:token-type:jwt",
        "id_token": signed.token,
        "expiration_time": int(signed.signed_at.timestamp()) + 600,
    }
    _cached(config, tmp, json.dumps(response))


BROKEN: list[tuple[str, Breakage, str]] = [
    ("config that is not JSON", _not_json, "config.file"),
    ("wrong type", lambda c, t, e: c.update(type="service_account"), "config.type"),
    (
        "workforce pool audience",
        lambda c, t, e: c.update(
            audience="//iam.googleapis.com/locations/global/workforcePools/staff/providers/okta"
        ),
        "config.audience",
    ),
    (
        "audience with a trailing slash",
        lambda c, t, e: c.update(audience=AUDIENCE + "/"),
        "config.audience",
    ),
    (
        "SAML subject token type",
        lambda c, t, e: c.update(subject_token_type="urn:ietf:params:oauth:token-type:saml2"),
        "config.token_type",
    ),
    (
        "built-in AWS source instead of the executable",
        lambda c, t, e: c["credential_source"].update(environment_id="aws1"),
        "config.credential_source",
    ),
    (
        "token_url over plain http",
        lambda c, t, e: c.update(token_url="http://sts.googleapis.com/v1/token"),
        "config.token_url",
    ),
    (
        "token_url with the wrong path",
        lambda c, t, e: c.update(token_url="https://sts.googleapis.com/v1/oauth"),
        "config.token_url",
    ),
    (
        "impersonation URL without a service account",
        lambda c, t, e: c.update(
            service_account_impersonation_url="https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/"
        ),
        "config.impersonation",
    ),
    (
        "impersonated token lifetime below what Google grants",
        lambda c, t, e: c.update(
            service_account_impersonation_url="https://iamcredentials.googleapis.com/v1/projects/-/"
            f"serviceAccounts/{SERVICE_ACCOUNT}:generateAccessToken",
            service_account_impersonation={"token_lifetime_seconds": 100},
        ),
        "config.impersonation_lifetime",
    ),
    (
        "timeout_millis below 5000",
        lambda c, t, e: _executable(c).update(timeout_millis=1000),
        "config.timeout",
    ),
    (
        "quoted path with a space",
        lambda c, t, e: _executable(c).update(command='"/opt/my tools/aws-wif-helper" --profile x'),
        "command.split",
    ),
    (
        "program that does not exist",
        lambda c, t, e: _executable(c).update(command="/opt/nowhere/aws-wif-helper"),
        "command.program",
    ),
    (
        "program that is not executable",
        lambda c, t, e: _executable(c).update(command=str(_not_executable(t))),
        "command.program",
    ),
    (
        "program that is not the helper",
        lambda c, t, e: _executable(c).update(command="/bin/true"),
        "command.starts",
    ),
    (
        "helper option the helper refuses",
        lambda c, t, e: _executable(c).update(command=f"{sys.executable} -m helper --region Mars"),
        "command.options",
    ),
    (
        "helper deadline longer than the client waits",
        lambda c, t, e: _executable(c).update(
            command=f"{sys.executable} -m helper --timeout 30", timeout_millis=10000
        ),
        "command.timeout",
    ),
    (
        "output folder anyone can write",
        lambda c, t, e: _executable(c).update(
            output_file=str(_make_folder(t / "shared", 0o777) / "r.json")
        ),
        "output_file.folder",
    ),
    (
        "output folder that cannot be made",
        lambda c, t, e: _executable(c).update(output_file=str(_a_file(t) / "cache" / "r.json")),
        "output_file.folder",
    ),
    (
        "corrupt cached response",
        lambda c, t, e: _cached(c, t, '{"version": 1, "succ'),
        "output_file.cache",
    ),
    (
        "cached success without expiration_time",
        lambda c, t, e: _cached(
            c, t, json.dumps({"version": 1, "success": True, "token_type": "x", "id_token": "t"})
        ),
        "output_file.cache",
    ),
    (
        "cached token for another audience",
        lambda c, t, e: _cached_token_for_another_audience(c, t),
        "output_file.cache",
    ),
    (
        "executables not allowed",
        lambda c, t, e: e.delenv("GOOGLE_EXTERNAL_ACCOUNT_ALLOW_EXECUTABLES"),
        "env.allow_executables",
    ),
    ("no AWS credentials", lambda c, t, e: _no_credentials(e), "aws.source"),
    (
        "AWS profile that does not exist",
        lambda c, t, e: _executable(c).update(command=f"{sys.executable} -m helper --profile nope"),
        "aws.source",
    ),
    (
        "regional STS endpoint without a region",
        lambda c, t, e: _executable(c).update(
            command=f"{sys.executable} -m helper --sts-endpoint regional"
        ),
        "aws.endpoint",
    ),
    (
        "OIDC mode without a region",
        lambda c, t, e: c.update(subject_token_type="urn:ietf:params:oauth:token-type:jwt"),
        "aws.endpoint",
    ),
]


def _not_executable(tmp: Path) -> Path:
    program = tmp / "aws-wif-helper"
    program.write_text("#!/bin/sh\n")
    program.chmod(0o644)
    return program


def _a_file(tmp: Path) -> Path:
    path = tmp / "plain-file"
    path.write_text("")
    return path


def _no_credentials(env: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        env.delenv(name, raising=False)


def test_the_table_covers_at_least_fifteen_distinct_breakages() -> None:
    assert len(BROKEN) >= 15
    assert len({name for name, _, _ in BROKEN}) == len(BROKEN)


@pytest.mark.parametrize(
    ("breakage", "expected"), [(b, e) for _, b, e in BROKEN], ids=[n for n, _, _ in BROKEN]
)
def test_each_misconfiguration_fails_the_check_that_names_it(
    doctor_env: AwsEnvironment,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    breakage: Breakage,
    expected: str,
) -> None:
    config = _good_config(tmp_path)
    breakage(config, tmp_path, monkeypatch)

    raw = config.pop("__write_raw__", None)
    if raw is not None:
        (tmp_path / "config.json").write_text(raw)
        report = diagnose(str(tmp_path / "config.json"), HelperOptions(), os.environ)
    else:
        report = _doctor(tmp_path, config)

    assert report.status_of(expected) is Status.FAIL, report.as_text("")
    assert all(check.fix for check in report.failed)
    assert report.exit_status() == 1


def test_good_set_up_passes_with_warnings_only(doctor_env: AwsEnvironment, tmp_path: Path) -> None:
    report = _doctor(tmp_path, _good_config(tmp_path))

    assert report.failed == [], report.as_text("")
    assert report.exit_status() == 0
    assert report.status_of("config.token_type") is Status.WARN


def test_aws_side_names_the_source_the_region_and_the_endpoint(
    doctor_env: AwsEnvironment, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_REGION", "eu-west-1")

    report = _doctor(tmp_path, None)

    text = report.as_text("")
    assert (
        f"env: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (key {LONG_TERM_KEY.access_key_id[:4]}…"
        in text
    )
    assert "Region eu-west-1 from AWS_REGION" in text
    assert "https://sts.eu-west-1.amazonaws.com" in text
    assert LONG_TERM_KEY.secret_access_key not in text


def test_aws_side_names_the_profile_that_holds_the_keys(
    doctor_env: AwsEnvironment, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _no_credentials(monkeypatch)
    doctor_env.write_credentials(
        "[workload]\n"
        f"aws_access_key_id = {LONG_TERM_KEY.access_key_id}\n"
        f"aws_secret_access_key = {LONG_TERM_KEY.secret_access_key}\n"
    )

    report = _doctor(tmp_path, _good_config(tmp_path, "--profile", "workload"))

    check = next(c for c in report.checks if c.name == "aws.source")
    assert check.detail.startswith("profile workload:")


def test_session_credentials_show_their_expiry(
    doctor_env: AwsEnvironment, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert SESSION_KEY.expiration is not None
    answer = {
        "Version": 1,
        "AccessKeyId": SESSION_KEY.access_key_id,
        "SecretAccessKey": SESSION_KEY.secret_access_key,
        "SessionToken": SESSION_KEY.session_token,
        "Expiration": SESSION_KEY.expiration.isoformat(),
    }
    process = tmp_path / "credential-process.json"
    process.write_text(json.dumps(answer))
    doctor_env.write_config(f"[profile worker]\ncredential_process = /bin/cat {process}\n")
    _no_credentials(monkeypatch)

    report = _doctor(tmp_path, _good_config(tmp_path, "--profile", "worker"))

    assert "process: credential_process" in next(
        c.detail for c in report.checks if c.name == "aws.source"
    )
    assert "min)" in next(c.detail for c in report.checks if c.name == "aws.expiry")


def test_command_check_shows_how_each_client_splits_a_disputed_command(
    doctor_env: AwsEnvironment, tmp_path: Path
) -> None:
    config = _good_config(tmp_path, command="'/opt/a b/aws-wif-helper'")

    report = _doctor(tmp_path, config)

    check = next(c for c in report.checks if c.name == "command.split")
    assert "Python: /opt/a b/aws-wif-helper" in check.detail
    assert "Go: '/opt/a | b/aws-wif-helper'" in check.detail


def test_valid_cached_response_is_reported_with_its_expiry(
    doctor_env: AwsEnvironment, tmp_path: Path
) -> None:
    config = _good_config(tmp_path)
    output_file = Path(config["credential_source"]["executable"]["output_file"])
    env = {
        **os.environ,
        "GOOGLE_EXTERNAL_ACCOUNT_AUDIENCE": AUDIENCE,
        "GOOGLE_EXTERNAL_ACCOUNT_TOKEN_TYPE": AWS_TOKEN_TYPE,
        "GOOGLE_EXTERNAL_ACCOUNT_OUTPUT_FILE": str(output_file),
    }
    subprocess.run(
        [sys.executable, "-m", "helper"], env=env, check=True, timeout=60, capture_output=True
    )

    report = _doctor(tmp_path, config)

    assert report.status_of("output_file.cache") is Status.OK
    assert "valid until" in next(c.detail for c in report.checks if c.name == "output_file.cache")


def test_cached_response_readable_by_others_is_a_warning(
    doctor_env: AwsEnvironment, tmp_path: Path
) -> None:
    config = _good_config(tmp_path)
    _cached(
        config, tmp_path, json.dumps({"version": 1, "success": False, "code": "X", "message": "m"})
    )
    Path(_executable(config)["output_file"]).chmod(0o644)

    report = _doctor(tmp_path, config)

    assert report.status_of("output_file.cache") is Status.WARN


def test_loopback_token_url_is_only_a_warning(doctor_env: AwsEnvironment, tmp_path: Path) -> None:
    config = _good_config(tmp_path)
    config["token_url"] = "http://127.0.0.1:9/v1/token"

    report = _doctor(tmp_path, config)

    assert report.status_of("config.token_url") is Status.WARN


def _exchange_config(
    tmp_path: Path, google_sts: GoogleStsStandIn, impersonate: bool = False
) -> dict[str, Any]:
    config = _good_config(tmp_path)
    config["token_url"] = google_sts.token_url
    if impersonate:
        config["service_account_impersonation_url"] = google_sts.impersonation_url(SERVICE_ACCOUNT)
    return config


def test_exchange_gets_a_federated_token_without_printing_it(
    doctor_env: AwsEnvironment, tmp_path: Path, google_sts: GoogleStsStandIn
) -> None:
    report = _doctor(tmp_path, _exchange_config(tmp_path, google_sts), exchange=True)

    assert report.status_of("exchange.helper") is Status.OK
    assert report.status_of("exchange.sts") is Status.OK
    assert google_sts.accepted_subjects == [LONG_TERM_KEY.arn]
    issued = google_sts.exchanges[-1].access_token
    assert issued and issued not in report.as_text("") + report.as_json("")


def test_exchange_impersonates_the_service_account(
    doctor_env: AwsEnvironment, tmp_path: Path, google_sts: GoogleStsStandIn
) -> None:
    report = _doctor(
        tmp_path, _exchange_config(tmp_path, google_sts, impersonate=True), exchange=True
    )

    assert report.status_of("exchange.impersonation") is Status.OK, report.as_text("")
    assert [i.service_account for i in google_sts.impersonations] == [SERVICE_ACCOUNT]


def test_exchange_shows_the_services_refusal_as_it_came(
    doctor_env: AwsEnvironment, tmp_path: Path, google_sts: GoogleStsStandIn
) -> None:
    def attribute_condition(request: Any) -> Any:
        google_sts.aws(request)
        raise TokenRejected(ATTRIBUTE_CONDITION_REFUSAL)

    google_sts.verifiers[AWS_TOKEN_TYPE] = attribute_condition

    report = _doctor(tmp_path, _exchange_config(tmp_path, google_sts), exchange=True)

    check = next(c for c in report.checks if c.name == "exchange.sts")
    assert check.status is Status.FAIL
    assert "HTTP 400" in check.detail
    assert ATTRIBUTE_CONDITION_REFUSAL in check.detail


def test_exchange_shows_the_helpers_own_failure(
    doctor_env: AwsEnvironment,
    tmp_path: Path,
    google_sts: GoogleStsStandIn,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _no_credentials(monkeypatch)

    report = _doctor(tmp_path, _exchange_config(tmp_path, google_sts), exchange=True)

    check = next(c for c in report.checks if c.name == "exchange.helper")
    assert check.status is Status.FAIL
    assert "AWS_CREDENTIALS_NOT_FOUND" in check.detail
    assert google_sts.exchanges == []


def test_exchange_refuses_a_helper_that_writes_on_stderr(
    doctor_env: AwsEnvironment, tmp_path: Path, google_sts: GoogleStsStandIn
) -> None:
    wrapper = tmp_path / "noisy-helper"
    wrapper.write_text(f'#!/bin/sh\necho starting >&2\nexec {sys.executable} -m helper "$@"\n')
    wrapper.chmod(0o755)
    config = _exchange_config(tmp_path, google_sts)
    _executable(config)["command"] = str(wrapper)

    report = _doctor(tmp_path, config, exchange=True)

    assert report.status_of("exchange.helper") is Status.FAIL


def test_cli_exits_1_on_failure_and_prints_json_on_request(
    doctor_env: AwsEnvironment, tmp_path: Path
) -> None:
    config = _good_config(tmp_path)
    config["type"] = "wrong"
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))

    finished = subprocess.run(
        [sys.executable, "-m", "helper", "doctor", "--config", str(path), "--json"],
        capture_output=True,
        timeout=120,
        check=False,
    )
    capture("doctor run as a process", finished.stdout + finished.stderr)

    assert finished.returncode == 1
    document = json.loads(finished.stdout)
    assert "config.type" in document["failed"]
    assert finished.stderr == b""


def test_cli_text_report_has_one_line_per_check_with_the_fix(
    doctor_env: AwsEnvironment, tmp_path: Path
) -> None:
    config = _good_config(tmp_path)
    _executable(config)["timeout_millis"] = 1000
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))

    finished = subprocess.run(
        [sys.executable, "-m", "helper", "doctor", "--config", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    capture("doctor run as a process", finished.stdout + finished.stderr)

    line = next(line for line in finished.stdout.splitlines() if "config.timeout" in line)
    assert line.split()[0] == "fail"
    assert "Fix: Set timeout_millis" in line
    assert finished.returncode == 1


def test_cli_uses_google_application_credentials_without_config(
    doctor_env: AwsEnvironment, tmp_path: Path
) -> None:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(_good_config(tmp_path)))

    finished = subprocess.run(
        [sys.executable, "-m", "helper", "doctor"],
        env={**os.environ, "GOOGLE_APPLICATION_CREDENTIALS": str(path)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    capture("doctor run as a process", finished.stdout + finished.stderr)

    assert finished.returncode == 0, finished.stdout
    assert str(path) in finished.stdout.splitlines()[0]


def test_world_writable_program_fails(doctor_env: AwsEnvironment, tmp_path: Path) -> None:
    program = tmp_path / "bin" / "aws-wif-helper"
    program.parent.mkdir()
    program.write_text(f'#!/bin/sh\nexec {sys.executable} -m helper "$@"\n')
    program.chmod(0o777)
    config = _good_config(tmp_path)
    _executable(config)["command"] = str(program)

    report = _doctor(tmp_path, config)

    assert report.status_of("command.program") is Status.FAIL
    assert stat.S_IMODE(program.stat().st_mode) == 0o777


def test_online_check_calls_only_the_endpoint_in_aws_endpoint_url_sts(
    doctor_env: AwsEnvironment, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", f"http://127.0.0.1:{port}")

    report = _doctor(tmp_path, None, online=True)

    check = next(c for c in report.checks if c.name == "aws.caller")
    assert check.status is Status.FAIL
    assert "AWS_UNREACHABLE" in check.detail
    assert f"127.0.0.1:{port}" in report.as_text("")
