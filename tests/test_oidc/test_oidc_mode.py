"""OIDC mode: a jwt or id_token request is answered with an AWS-issued OIDC token."""

from __future__ import annotations

import datetime
import json
import sys
import textwrap
import time
from pathlib import Path

import pytest

from helper.expiry import SAFETY_MARGIN_SECONDS
from tests.standins.aws_keys import AwsKey
from tests.standins.aws_oidc import AwsOidcStandIn, b64url_decode
from tests.standins.oidc_verify import OidcProvider, verify_oidc_token
from tests.test_oidc.conftest import AUDIENCE, ID_TOKEN_TYPE, JWT_TOKEN_TYPE, REGION, OidcAnswer


def _header(token: str) -> dict[str, object]:
    header: dict[str, object] = json.loads(b64url_decode(token.split(".")[0]))
    return header


def test_jwt_request_gets_a_token_the_google_provider_accepts(
    oidc_answer: OidcAnswer, provider: OidcProvider, workload: AwsKey
) -> None:
    response = oidc_answer()

    assert response["success"] is True, response
    assert response["token_type"] == JWT_TOKEN_TYPE
    claims = verify_oidc_token(response["id_token"], provider)
    assert claims["sub"] == workload.arn


def test_id_token_request_echoes_the_id_token_type(
    oidc_answer: OidcAnswer, provider: OidcProvider
) -> None:
    response = oidc_answer(GOOGLE_EXTERNAL_ACCOUNT_TOKEN_TYPE=ID_TOKEN_TYPE)

    assert response["success"] is True, response
    assert response["token_type"] == ID_TOKEN_TYPE
    verify_oidc_token(response["id_token"], provider)


def test_default_audience_is_https_and_the_provider_name(
    oidc_answer: OidcAnswer, aws_oidc: AwsOidcStandIn
) -> None:
    oidc_answer()

    assert [call.audiences for call in aws_oidc.token_requests] == [["https:" + AUDIENCE]]


def test_https_audience_in_the_config_is_used_as_it_is(
    oidc_answer: OidcAnswer, aws_oidc: AwsOidcStandIn
) -> None:
    oidc_answer(GOOGLE_EXTERNAL_ACCOUNT_AUDIENCE="https:" + AUDIENCE)

    assert [call.audiences for call in aws_oidc.token_requests] == [["https:" + AUDIENCE]]


def test_jwt_audience_options_replace_the_default_audience(
    oidc_answer: OidcAnswer, aws_oidc: AwsOidcStandIn
) -> None:
    allowed = ["https://gcp.example.com/aws", "sts.googleapis.com"]
    response = oidc_answer("--jwt-audience", allowed[0], "--jwt-audience", allowed[1])

    assert response["success"] is True, response
    assert [call.audiences for call in aws_oidc.token_requests] == [allowed]
    provider = OidcProvider(AUDIENCE, aws_oidc.issuer_url, allowed_audiences=(allowed[1],))
    verify_oidc_token(response["id_token"], provider)


def test_token_is_signed_rs256_by_default(
    oidc_answer: OidcAnswer, aws_oidc: AwsOidcStandIn
) -> None:
    response = oidc_answer()

    assert _header(response["id_token"])["alg"] == "RS256"
    assert aws_oidc.token_requests[0].signing_algorithm == "RS256"


def test_signing_algorithm_es384_gives_an_es384_token_the_provider_accepts(
    oidc_answer: OidcAnswer, provider: OidcProvider
) -> None:
    response = oidc_answer("--signing-algorithm", "ES384")

    assert response["success"] is True, response
    assert _header(response["id_token"])["alg"] == "ES384"
    verify_oidc_token(response["id_token"], provider)


def test_token_lives_300_seconds_by_default(
    oidc_answer: OidcAnswer, aws_oidc: AwsOidcStandIn, provider: OidcProvider
) -> None:
    response = oidc_answer()

    claims = verify_oidc_token(response["id_token"], provider)
    assert aws_oidc.token_requests[0].duration_seconds == 300
    assert claims["exp"] - claims["iat"] == 300


def test_token_lifetime_option_sets_the_requested_duration(
    oidc_answer: OidcAnswer, aws_oidc: AwsOidcStandIn
) -> None:
    oidc_answer("--token-lifetime", "3600")

    assert aws_oidc.token_requests[0].duration_seconds == 3600


def test_expiration_time_is_the_token_expiry_minus_the_safety_margin(
    oidc_answer: OidcAnswer, provider: OidcProvider
) -> None:
    response = oidc_answer("--token-lifetime", "900")

    claims = verify_oidc_token(response["id_token"], provider)
    assert response["expiration_time"] == claims["exp"] - SAFETY_MARGIN_SECONDS


def test_request_goes_to_sts_signed_for_the_configured_region(
    oidc_answer: OidcAnswer, aws_oidc: AwsOidcStandIn
) -> None:
    oidc_answer()
    oidc_answer("--region", "ap-southeast-2")

    assert [call.signing_region for call in aws_oidc.token_requests] == [
        REGION,
        "ap-southeast-2",
    ]


def test_region_comes_from_the_profile_when_no_variable_names_one(
    oidc_answer: OidcAnswer, aws_oidc: AwsOidcStandIn, tmp_path: Path
) -> None:
    config = tmp_path / "profile-config"
    config.write_text("[default]\nregion = ca-central-1\n")

    response = oidc_answer(AWS_REGION=None, AWS_CONFIG_FILE=str(config))

    assert response["success"] is True, response
    assert aws_oidc.token_requests[0].signing_region == "ca-central-1"


def test_session_credentials_get_a_token_no_longer_than_their_session(
    oidc_answer: OidcAnswer, aws_oidc: AwsOidcStandIn, tmp_path: Path, provider: OidcProvider
) -> None:
    session_end = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=10)
    session = AwsKey.session("oidc-role", expiration=session_end)
    aws_oidc.register(session)
    script = tmp_path / "credential-process.py"
    script.write_text(
        textwrap.dedent(
            f"""\
            import json
            print(json.dumps({{"Version": 1, "AccessKeyId": {session.access_key_id!r},
                "SecretAccessKey": {session.secret_access_key!r},
                "SessionToken": {session.session_token!r},
                "Expiration": {session_end.isoformat()!r}}}))
            """
        )
    )
    config = tmp_path / "process-config"
    config.write_text(f"[default]\ncredential_process = {sys.executable} {script}\n")

    response = oidc_answer(
        "--token-lifetime",
        "3600",
        AWS_ACCESS_KEY_ID=None,
        AWS_SECRET_ACCESS_KEY=None,
        AWS_CONFIG_FILE=str(config),
    )

    assert response["success"] is True, response
    claims = verify_oidc_token(response["id_token"], provider)
    assert claims["exp"] <= session_end.timestamp()
    assert 500 <= aws_oidc.token_requests[0].duration_seconds <= 600  # type: ignore[operator]


def test_token_request_carries_no_credentials_in_the_response(
    oidc_answer: OidcAnswer, workload: AwsKey
) -> None:
    response = oidc_answer()

    assert workload.secret_access_key not in json.dumps(response)


@pytest.mark.parametrize("delay", [2.0])
def test_slow_sts_gives_deadline_exceeded_naming_the_token_request(
    oidc_answer: OidcAnswer, aws_oidc: AwsOidcStandIn, delay: float
) -> None:
    aws_oidc.delay_seconds = delay
    started = time.monotonic()

    response = oidc_answer("--timeout", "1")

    assert time.monotonic() - started < delay
    assert response["code"] == "DEADLINE_EXCEEDED"
    assert "GetWebIdentityToken" in response["message"]
