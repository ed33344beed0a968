"""End to end: the real Google clients run the helper from a credential config and get a token.

Each test runs for both clients (Python google-auth, Node google-auth-library)
and both helpers (the frozen binary and `python -m helper`). The client is a
fresh process for every call, as clients keep access tokens in memory. The
Google STS stand-in accepts the token only if the AWS signature verifies for
a registered key, and records whose key it was.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.harness import AUDIENCE, AwsEnvironment, Client, MakeConfig, RunCounter
from tests.standins.aws_keys import LONG_TERM_KEY, SESSION_KEY
from tests.standins.google_sts import GoogleStsStandIn

SERVICE_ACCOUNT = "workload@aws-wif-helper-tests.iam.gserviceaccount.com"


def test_long_term_keys_get_an_access_token_for_the_iam_user(
    client: Client,
    aws_env: AwsEnvironment,
    run_counter: RunCounter,
    make_config: MakeConfig,
    google_sts: GoogleStsStandIn,
) -> None:
    aws_env.use_key(LONG_TERM_KEY)

    result = client.get_token(make_config(run_counter.command))

    assert result.ok, result.error
    assert google_sts.subject_of(result.token or "") == LONG_TERM_KEY.arn
    assert google_sts.accepted_subjects == [LONG_TERM_KEY.arn]


def test_session_credentials_get_an_access_token_for_the_assumed_role(
    client: Client,
    aws_env: AwsEnvironment,
    run_counter: RunCounter,
    make_config: MakeConfig,
    google_sts: GoogleStsStandIn,
) -> None:
    aws_env.use_key(SESSION_KEY)

    result = client.get_token(make_config(run_counter.command))

    assert result.ok, result.error
    assert google_sts.accepted_subjects == [SESSION_KEY.arn]
    assert run_counter.environments[0]["GOOGLE_EXTERNAL_ACCOUNT_AUDIENCE"] == AUDIENCE


def test_a_second_client_uses_the_output_file_instead_of_running_the_helper(
    client: Client,
    aws_env: AwsEnvironment,
    run_counter: RunCounter,
    make_config: MakeConfig,
    google_sts: GoogleStsStandIn,
    tmp_path: Path,
) -> None:
    aws_env.use_key(LONG_TERM_KEY)
    output_file = tmp_path / "cache" / "response.json"
    config = make_config(run_counter.command, output_file=output_file)

    first = client.get_token(config)
    second = client.get_token(config)

    assert first.ok, first.error
    assert second.ok, second.error
    assert run_counter.runs == 1
    assert json.loads(output_file.read_text())["success"] is True
    assert google_sts.accepted_subjects == [LONG_TERM_KEY.arn, LONG_TERM_KEY.arn]


def test_without_an_output_file_every_client_runs_the_helper(
    client: Client,
    aws_env: AwsEnvironment,
    run_counter: RunCounter,
    make_config: MakeConfig,
    google_sts: GoogleStsStandIn,
) -> None:
    aws_env.use_key(LONG_TERM_KEY)
    config = make_config(run_counter.command)

    first = client.get_token(config)
    second = client.get_token(config)

    assert first.ok, first.error
    assert second.ok, second.error
    assert run_counter.runs == 2
    assert google_sts.accepted_subjects == [LONG_TERM_KEY.arn, LONG_TERM_KEY.arn]


def test_a_helper_failure_reaches_the_client_with_its_code_and_message(
    client: Client,
    run_counter: RunCounter,
    make_config: MakeConfig,
    google_sts: GoogleStsStandIn,
) -> None:
    result = client.get_token(make_config(run_counter.command))

    assert not result.ok
    assert "AWS_CREDENTIALS_NOT_FOUND" in (result.error or "")
    assert "No AWS credentials found" in (result.error or "")
    assert "Traceback" not in (result.error or "")
    assert google_sts.exchanges == []


def test_service_account_impersonation_uses_the_federated_token(
    client: Client,
    aws_env: AwsEnvironment,
    run_counter: RunCounter,
    make_config: MakeConfig,
    google_sts: GoogleStsStandIn,
) -> None:
    aws_env.use_key(SESSION_KEY)
    config = make_config(
        run_counter.command,
        service_account_impersonation_url=google_sts.impersonation_url(SERVICE_ACCOUNT),
    )

    result = client.get_token(config)

    assert result.ok, result.error
    assert (result.token or "").startswith("standin-impersonated-")
    assert [(item.service_account, item.subject) for item in google_sts.impersonations] == [
        (SERVICE_ACCOUNT, SESSION_KEY.arn)
    ]
