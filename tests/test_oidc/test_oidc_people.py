"""The commands for people in OIDC mode: create-config, token --decode, doctor, the step log."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from helper.checks.report import Status
from helper.commands.doctor import diagnose
from helper.options import HelperOptions
from tests.harness import AwsEnvironment, HelperCommand, missing, node_client_installed, run_client
from tests.standins.aws_keys import AwsKey
from tests.standins.google_sts import GoogleStsStandIn
from tests.test_oidc.conftest import AUDIENCE, JWT_TOKEN_TYPE, REGION

module_only = pytest.mark.parametrize("helper_command", ["module"], indirect=True)


@pytest.fixture(params=["python-default", "node"])
def oidc_client(request: pytest.FixtureRequest) -> str:
    if request.param == "node" and not node_client_installed():
        missing("the Node client is not installed; run `make node`")
    return str(request.param)


def _create_oidc_config(
    helper_command: HelperCommand, aws_env: AwsEnvironment, google_sts: GoogleStsStandIn
) -> Path:
    path = aws_env.root / "wif.json"
    created = helper_command.run(
        aws_env.environ(),
        ["create-config", "--audience", AUDIENCE, "--mode", "oidc", "-o", str(path),
         "--", "--region", REGION],
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    assert b"gcloud" not in created.stderr

    config = json.loads(path.read_text())
    config["token_url"] = google_sts.token_url
    path.write_text(json.dumps(config))
    return path


def test_oidc_config_from_create_config_works_in_pythons_default_loader_and_node(
    oidc_client: str,
    helper_command: HelperCommand,
    oidc_aws_env: AwsEnvironment,
    google_sts_oidc: GoogleStsStandIn,
    workload: AwsKey,
) -> None:
    config = _create_oidc_config(helper_command, oidc_aws_env, google_sts_oidc)

    result = run_client(oidc_client, config, oidc_aws_env.environ(), oidc_aws_env.work_dir)

    assert result.ok, result
    assert google_sts_oidc.accepted_subjects == [workload.arn]
    assert json.loads(config.read_text())["subject_token_type"] == JWT_TOKEN_TYPE


@module_only
def test_token_decode_shows_the_jwt_claims_with_the_signature_shortened(
    helper_command: HelperCommand, oidc_aws_env: AwsEnvironment
) -> None:
    plain = helper_command.run(
        oidc_aws_env.environ(), ["token", "--audience", AUDIENCE, "--mode", "oidc"]
    )
    decoded = helper_command.run(
        oidc_aws_env.environ(), ["token", "--audience", AUDIENCE, "--mode", "oidc", "--decode"]
    )

    document = json.loads(decoded.stdout)
    token = plain.response["id_token"]
    assert document["subject_token"]["kind"] == "jwt"
    assert document["subject_token"]["payload"]["aud"] in (
        "https:" + AUDIENCE,
        ["https:" + AUDIENCE],
    )
    assert document["subject_token"]["signature"].count("…") == 1
    assert token.split(".")[2] not in decoded.stdout.decode()


@module_only
def test_doctor_exchange_passes_for_an_oidc_config(
    helper_command: HelperCommand,
    oidc_aws_env: AwsEnvironment,
    google_sts_oidc: GoogleStsStandIn,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = _create_oidc_config(helper_command, oidc_aws_env, google_sts_oidc)
    for name, value in oidc_aws_env.environ().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("GOOGLE_EXTERNAL_ACCOUNT_ALLOW_EXECUTABLES", "1")

    report = diagnose(str(config), HelperOptions(), os.environ, exchange=True)

    assert report.failed == [], report.as_text("")
    assert report.status_of("config.token_type") is Status.OK
    assert report.status_of("exchange.sts") is Status.OK


@module_only
def test_oidc_run_logs_its_region_and_source_but_not_the_token(
    helper_command: HelperCommand,
    oidc_environment: dict[str, str],
    workload: AwsKey,
    tmp_path: Path,
) -> None:
    log = tmp_path / "oidc.log"

    run = helper_command.run(oidc_environment, ["--log-file", str(log)])

    text = log.read_text()
    assert f"STS GetWebIdentityToken in {REGION}" in text
    assert "outcome  success" in text
    for secret in (run.response["id_token"], workload.secret_access_key, workload.access_key_id):
        assert secret not in text
