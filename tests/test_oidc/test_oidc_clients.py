"""OIDC mode end to end: real Google clients run the helper and get an access token.

Each test writes a credential config whose `subject_token_type` is jwt or
id_token, names the helper (frozen binary and module) as its command, and lets
a real client run it: Python's default loader (`google.auth.default()`, the
path gcloud and every Python client library take) and Node's
google-auth-library. The helper gets its
token from the AWS stand-in; the Google STS stand-in verifies it as the pool's
OIDC provider would and answers with an access token.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.harness import (
    AWS_TOKEN_TYPE,
    AwsEnvironment,
    ClientResult,
    HelperCommand,
    MakeConfig,
    RunCounter,
    missing,
    node_client_installed,
    run_client,
)
from tests.standins.aws_keys import AwsKey
from tests.standins.aws_oidc import AwsOidcStandIn
from tests.standins.google_sts import GoogleStsStandIn
from tests.standins.oidc_verify import OidcProvider, oidc_verifier
from tests.test_oidc.conftest import AUDIENCE, ID_TOKEN_TYPE, JWT_TOKEN_TYPE

CLIENTS = ["python-default", "node"]


@pytest.fixture(params=CLIENTS)
def oidc_client(request: pytest.FixtureRequest) -> str:
    if request.param == "node" and not node_client_installed():
        missing("the Node client is not installed; run `make node`")
    return str(request.param)


def _get_token(client: str, config: Path, aws_env: AwsEnvironment) -> ClientResult:
    return run_client(client, config, aws_env.environ(), aws_env.work_dir)


def test_client_gets_an_access_token_through_a_jwt_config(
    oidc_client: str,
    helper_command: HelperCommand,
    make_config: MakeConfig,
    google_sts_oidc: GoogleStsStandIn,
    oidc_aws_env: AwsEnvironment,
    workload: AwsKey,
) -> None:
    config = make_config(helper_command.command_line, subject_token_type=JWT_TOKEN_TYPE)

    result = _get_token(oidc_client, config, oidc_aws_env)

    assert result.ok, result
    assert google_sts_oidc.subject_of(str(result.token)) == workload.arn
    assert [item.request.subject_token_type for item in google_sts_oidc.exchanges] == [
        JWT_TOKEN_TYPE
    ]


def test_client_gets_an_access_token_through_an_id_token_config(
    oidc_client: str,
    helper_command: HelperCommand,
    make_config: MakeConfig,
    google_sts_oidc: GoogleStsStandIn,
    oidc_aws_env: AwsEnvironment,
    workload: AwsKey,
) -> None:
    config = make_config(helper_command.command_line, subject_token_type=ID_TOKEN_TYPE)

    result = _get_token(oidc_client, config, oidc_aws_env)

    assert result.ok, result
    assert google_sts_oidc.subject_of(str(result.token)) == workload.arn


def test_python_default_loader_builds_pluggable_credentials_for_a_jwt_config(
    helper_command: HelperCommand,
    make_config: MakeConfig,
    google_sts_oidc: GoogleStsStandIn,
    oidc_aws_env: AwsEnvironment,
) -> None:
    config = make_config(helper_command.command_line, subject_token_type=JWT_TOKEN_TYPE)

    result = _get_token("python-default", config, oidc_aws_env)

    assert result.ok, result
    assert '"credentials": "google.auth.pluggable.Credentials"' in result.stdout


def test_python_default_loader_never_runs_the_helper_for_an_aws_type_config(
    run_counter: RunCounter,
    make_config: MakeConfig,
    google_sts_oidc: GoogleStsStandIn,
    oidc_aws_env: AwsEnvironment,
) -> None:
    config = make_config(run_counter.command, subject_token_type=AWS_TOKEN_TYPE)

    result = _get_token("python-default", config, oidc_aws_env)

    assert not result.ok
    assert run_counter.runs == 0
    assert google_sts_oidc.exchanges == []


def test_provider_with_other_allowed_audiences_rejects_the_default_audience(
    oidc_client: str,
    helper_command: HelperCommand,
    make_config: MakeConfig,
    google_sts_oidc: GoogleStsStandIn,
    aws_oidc: AwsOidcStandIn,
    oidc_aws_env: AwsEnvironment,
) -> None:
    strict = OidcProvider(AUDIENCE, aws_oidc.issuer_url, allowed_audiences=("https://gcp",))
    google_sts_oidc.verifiers[JWT_TOKEN_TYPE] = oidc_verifier(strict)
    config = make_config(helper_command.command_line, subject_token_type=JWT_TOKEN_TYPE)

    rejected = _get_token(oidc_client, config, oidc_aws_env)
    with_option = make_config(
        f"{helper_command.command_line} --jwt-audience https://gcp",
        subject_token_type=JWT_TOKEN_TYPE,
        name="with-jwt-audience.json",
    )
    accepted = _get_token(oidc_client, with_option, oidc_aws_env)

    assert not rejected.ok and "audience" in str(rejected.error)
    assert accepted.ok, accepted


def test_failure_reaches_the_client_with_its_code_and_message(
    oidc_client: str,
    helper_command: HelperCommand,
    make_config: MakeConfig,
    google_sts_oidc: GoogleStsStandIn,
    aws_oidc: AwsOidcStandIn,
    oidc_aws_env: AwsEnvironment,
) -> None:
    aws_oidc.federation_enabled = False
    config = make_config(helper_command.command_line, subject_token_type=JWT_TOKEN_TYPE)

    result = _get_token(oidc_client, config, oidc_aws_env)

    assert not result.ok
    assert "AWS_OIDC_FEDERATION_DISABLED" in str(result.error)
    assert "enable-outbound-web-identity-federation" in str(result.error)


def test_second_client_run_uses_the_cached_response_without_running_the_helper(
    oidc_client: str,
    run_counter: RunCounter,
    make_config: MakeConfig,
    google_sts_oidc: GoogleStsStandIn,
    oidc_aws_env: AwsEnvironment,
    tmp_path: Path,
) -> None:
    config = make_config(
        run_counter.command,
        subject_token_type=JWT_TOKEN_TYPE,
        output_file=tmp_path / "cache" / "oidc.json",
    )

    first = _get_token(oidc_client, config, oidc_aws_env)
    second = _get_token(oidc_client, config, oidc_aws_env)

    assert first.ok and second.ok, (first, second)
    assert run_counter.runs == 1
    assert len(google_sts_oidc.exchanges) == 2
