"""The Google STS stand-in answers token exchanges and impersonation the way Google does."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

import pytest

from tests.harness import AUDIENCE
from tests.standins.aws_keys import LONG_TERM_KEY, SESSION_KEY, AwsKey
from tests.standins.google_sts import (
    ACCESS_TOKEN_TYPE,
    AWS_TOKEN_TYPE,
    TOKEN_EXCHANGE_GRANT,
    ExchangeRequest,
    GoogleStsStandIn,
    Identity,
    TokenRejected,
)
from tests.standins.sigv4 import sign_subject_token

JWT_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:jwt"
SERVICE_ACCOUNT = "workload@aws-wif-helper-tests.iam.gserviceaccount.com"
SCOPE = "https://www.googleapis.com/auth/cloud-platform"


def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def exchange(
    standin: GoogleStsStandIn, subject_token: str, **fields: str
) -> tuple[int, dict[str, Any]]:
    form = {
        "grant_type": TOKEN_EXCHANGE_GRANT,
        "audience": AUDIENCE,
        "scope": SCOPE,
        "requested_token_type": ACCESS_TOKEN_TYPE,
        "subject_token": subject_token,
        "subject_token_type": AWS_TOKEN_TYPE,
        **fields,
    }
    body = urllib.parse.urlencode(form).encode()
    return post(standin.token_url, body, {"Content-Type": "application/x-www-form-urlencoded"})


def aws_token(key: AwsKey = LONG_TERM_KEY, audience: str = AUDIENCE) -> str:
    return sign_subject_token(
        access_key_id=key.access_key_id,
        secret_access_key=key.secret_access_key,
        session_token=key.session_token,
        audience=audience,
        region="us-west-2",
    ).serialize()


def test_a_valid_aws_token_gets_an_access_token(google_sts: GoogleStsStandIn) -> None:
    status, answer = exchange(google_sts, aws_token())

    assert status == 200
    assert answer["access_token"]
    assert answer["issued_token_type"] == ACCESS_TOKEN_TYPE
    assert answer["token_type"] == "Bearer"
    assert answer["expires_in"] == 3600


def test_an_accepted_exchange_records_the_aws_identity(google_sts: GoogleStsStandIn) -> None:
    status, answer = exchange(google_sts, aws_token(SESSION_KEY))

    assert status == 200
    assert google_sts.accepted_subjects == [SESSION_KEY.arn]
    assert google_sts.subject_of(answer["access_token"]) == SESSION_KEY.arn
    assert google_sts.exchanges[0].identity is not None
    assert google_sts.exchanges[0].identity.details["region"] == "us-west-2"


def test_a_rejected_token_gets_invalid_grant_with_the_reason(
    google_sts: GoogleStsStandIn,
) -> None:
    other_audience = AUDIENCE.replace("aws-provider", "other-provider")

    status, answer = exchange(google_sts, aws_token(audience=other_audience))

    assert status == 400
    assert answer["error"] == "invalid_grant"
    assert "x-goog-cloud-target-resource" in answer["error_description"]
    assert google_sts.accepted_subjects == []
    assert len(google_sts.rejections) == 1


def test_an_unregistered_key_is_rejected(google_sts: GoogleStsStandIn) -> None:
    status, answer = exchange(google_sts, aws_token(AwsKey.long_term("stranger")))

    assert status == 400
    assert "not known" in answer["error_description"]


def test_a_session_token_other_than_the_registered_one_is_rejected(
    google_sts: GoogleStsStandIn,
) -> None:
    impostor = AwsKey(
        access_key_id=SESSION_KEY.access_key_id,
        secret_access_key=SESSION_KEY.secret_access_key,
        arn=SESSION_KEY.arn,
        session_token="another-session",
    )

    status, answer = exchange(google_sts, aws_token(impostor))

    assert status == 400
    assert "session token" in answer["error_description"]


def test_session_keys_without_their_session_token_are_rejected(
    google_sts: GoogleStsStandIn,
) -> None:
    bare = AwsKey(SESSION_KEY.access_key_id, SESSION_KEY.secret_access_key, SESSION_KEY.arn)

    status, _ = exchange(google_sts, aws_token(bare))

    assert status == 400


def test_expired_session_keys_are_rejected(google_sts: GoogleStsStandIn) -> None:
    expired = AwsKey.session("expired-role")
    google_sts.register(
        AwsKey(
            expired.access_key_id,
            expired.secret_access_key,
            expired.arn,
            expired.session_token,
            expiration=google_sts.aws.now(),
        )
    )

    status, answer = exchange(google_sts, aws_token(expired))

    assert status == 400
    assert "expired" in answer["error_description"]


@pytest.mark.parametrize(
    "field", ["grant_type", "audience", "requested_token_type", "subject_token_type"]
)
def test_a_missing_field_is_an_invalid_request(google_sts: GoogleStsStandIn, field: str) -> None:
    status, answer = exchange(google_sts, aws_token(), **{field: ""})

    assert status == 400
    assert answer["error"] == "invalid_request"


def test_a_token_type_without_a_verifier_is_an_invalid_request(
    google_sts: GoogleStsStandIn,
) -> None:
    status, answer = exchange(google_sts, "a.b.c", subject_token_type=JWT_TOKEN_TYPE)

    assert status == 400
    assert answer["error"] == "invalid_request"


def test_a_verifier_can_be_added_for_another_token_type(google_sts: GoogleStsStandIn) -> None:
    def accept_fixed_jwt(request: ExchangeRequest) -> Identity:
        if request.subject_token != "header.claims.signature":
            raise TokenRejected("unknown JWT")
        return Identity(subject="oidc-subject", details={"audience": request.audience})

    google_sts.verifiers[JWT_TOKEN_TYPE] = accept_fixed_jwt

    accepted, _ = exchange(google_sts, "header.claims.signature", subject_token_type=JWT_TOKEN_TYPE)
    refused, answer = exchange(google_sts, "other.jwt.value", subject_token_type=JWT_TOKEN_TYPE)

    assert (accepted, refused) == (200, 400)
    assert answer == {"error": "invalid_grant", "error_description": "unknown JWT"}
    assert google_sts.accepted_subjects == ["oidc-subject"]


def test_impersonation_with_an_exchanged_token_is_granted(google_sts: GoogleStsStandIn) -> None:
    _, exchanged = exchange(google_sts, aws_token())
    body = json.dumps({"scope": [SCOPE], "lifetime": "3600s"}).encode()

    status, answer = post(
        google_sts.impersonation_url(SERVICE_ACCOUNT),
        body,
        {
            "Authorization": f"Bearer {exchanged['access_token']}",
            "Content-Type": "application/json",
        },
    )

    assert status == 200
    assert answer["accessToken"]
    assert answer["expireTime"].endswith("Z")
    assert [(item.service_account, item.subject) for item in google_sts.impersonations] == [
        (SERVICE_ACCOUNT, LONG_TERM_KEY.arn)
    ]


def test_impersonation_without_an_exchanged_token_is_unauthenticated(
    google_sts: GoogleStsStandIn,
) -> None:
    body = json.dumps({"scope": [SCOPE]}).encode()

    status, answer = post(
        google_sts.impersonation_url(SERVICE_ACCOUNT),
        body,
        {"Authorization": "Bearer made-up", "Content-Type": "application/json"},
    )

    assert status == 401
    assert answer["error"]["status"] == "UNAUTHENTICATED"
    assert google_sts.impersonations == []
