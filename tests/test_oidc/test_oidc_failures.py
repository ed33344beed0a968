"""OIDC mode's own failures: each has its own code and a message that says what to change."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest

from tests.standins.aws_keys import AwsKey
from tests.standins.aws_oidc import AwsOidcStandIn
from tests.test_oidc.conftest import AUDIENCE, OidcAnswer


def test_no_known_region_fails_with_a_hint_to_set_one(
    oidc_answer: OidcAnswer, aws_oidc: AwsOidcStandIn
) -> None:
    response = oidc_answer(AWS_REGION=None)

    assert response["code"] == "AWS_REGION_REQUIRED"
    assert "--region" in response["message"] and "AWS_REGION" in response["message"]
    assert aws_oidc.token_requests == []


def test_global_sts_endpoint_is_refused_because_it_issues_no_oidc_tokens(
    oidc_answer: OidcAnswer, aws_oidc: AwsOidcStandIn
) -> None:
    response = oidc_answer("--sts-endpoint", "global")

    assert response["code"] == "INVALID_REQUEST"
    assert "--sts-endpoint global" in response["message"]
    assert aws_oidc.token_requests == []


def test_account_without_outbound_federation_gets_the_enable_hint(
    oidc_answer: OidcAnswer, aws_oidc: AwsOidcStandIn
) -> None:
    aws_oidc.federation_enabled = False

    response = oidc_answer()

    assert response["code"] == "AWS_OIDC_FEDERATION_DISABLED"
    assert "enable-outbound-web-identity-federation" in response["message"]


def test_audience_outside_the_iam_condition_is_denied_and_named(
    oidc_answer: OidcAnswer, aws_oidc: AwsOidcStandIn
) -> None:
    aws_oidc.allowed_audiences = {"https://only.this.audience"}

    response = oidc_answer()

    assert response["code"] == "AWS_OIDC_ACCESS_DENIED"
    assert "https:" + AUDIENCE in response["message"]
    assert "sts:IdentityTokenAudience" in response["message"]


def test_audience_inside_the_iam_condition_is_issued(
    oidc_answer: OidcAnswer, aws_oidc: AwsOidcStandIn
) -> None:
    aws_oidc.allowed_audiences = {"https:" + AUDIENCE}

    response = oidc_answer()

    assert response["success"] is True, response


@pytest.mark.parametrize("algorithm", ["HS256", "RS384", "none", ""])
def test_unknown_signing_algorithm_is_refused_before_any_call(
    oidc_answer: OidcAnswer, aws_oidc: AwsOidcStandIn, algorithm: str
) -> None:
    response = oidc_answer("--signing-algorithm", algorithm)

    assert response["code"] == "INVALID_SIGNING_ALGORITHM"
    assert "RS256 or ES384" in response["message"]
    assert aws_oidc.token_requests == []


def test_signing_algorithm_is_read_without_regard_to_case(
    oidc_answer: OidcAnswer, aws_oidc: AwsOidcStandIn
) -> None:
    response = oidc_answer("--signing-algorithm", "es384")

    assert response["success"] is True, response
    assert aws_oidc.token_requests[0].signing_algorithm == "ES384"


@pytest.mark.parametrize("lifetime", ["59", "179", "3601", "300.5", "five minutes"])
def test_token_lifetime_outside_180_to_3600_is_refused_before_any_call(
    oidc_answer: OidcAnswer, aws_oidc: AwsOidcStandIn, lifetime: str
) -> None:
    response = oidc_answer("--token-lifetime", lifetime)

    assert response["code"] == "INVALID_TOKEN_LIFETIME"
    assert "180 to 3600" in response["message"]
    assert aws_oidc.token_requests == []


def test_more_than_ten_jwt_audiences_are_refused(oidc_answer: OidcAnswer) -> None:
    argv = [part for n in range(11) for part in ("--jwt-audience", f"https://a{n}.example")]

    response = oidc_answer(*argv)

    assert response["code"] == "INVALID_REQUEST"
    assert "at most 10" in response["message"]


def test_session_that_ends_before_the_token_would_gets_the_lifetime_code(
    oidc_answer: OidcAnswer, aws_oidc: AwsOidcStandIn
) -> None:
    # Session keys in environment variables carry no expiry the helper could see,
    # so only AWS knows the session is too short.
    session_end = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=400)
    session = AwsKey.session("short-role", expiration=session_end)
    aws_oidc.register(session)

    response = oidc_answer(
        "--token-lifetime",
        "900",
        **session.environment(),
    )

    assert response["code"] == "INVALID_TOKEN_LIFETIME"
    assert "--token-lifetime" in response["message"]


def test_keys_sts_does_not_know_are_reported_without_the_secret(
    oidc_answer: OidcAnswer,
) -> None:
    response = oidc_answer(
        AWS_ACCESS_KEY_ID="AKIAUNKNOWNKEY000001",
        AWS_SECRET_ACCESS_KEY="unknown-secret-never-shown",
    )

    assert response["code"] == "AWS_ACCESS_DENIED"
    assert "unknown-secret-never-shown" not in json.dumps(response)


def test_failures_leave_the_output_file_alone(
    oidc_answer: OidcAnswer, aws_oidc: AwsOidcStandIn, tmp_path: Path
) -> None:
    output_file = tmp_path / "response.json"
    aws_oidc.federation_enabled = False

    response = oidc_answer(GOOGLE_EXTERNAL_ACCOUNT_OUTPUT_FILE=str(output_file))

    assert response["success"] is False
    assert not output_file.exists()
