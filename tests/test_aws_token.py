"""The AWS subject token: a signed GetCallerIdentity request, serialized as URL-encoded JSON."""

from __future__ import annotations

import datetime
import json
import urllib.parse
from typing import Any

from helper.aws_token import SignedToken, sign_get_caller_identity
from helper.credentials import AwsCredentials
from helper.endpoint import choose_sts_endpoint
from tests.harness import AUDIENCE
from tests.standins.aws_keys import LONG_TERM_KEY, SESSION_KEY, AwsKey
from tests.standins.sigv4 import parse_subject_token, verify_get_caller_identity

HTTPS_AUDIENCE = "https:" + AUDIENCE


def sign(key: AwsKey, region: str | None = None, audience: str = AUDIENCE) -> SignedToken:
    credentials = AwsCredentials(
        access_key=key.access_key_id,
        secret_key=key.secret_access_key,
        token=key.session_token,
        expiry=key.expiration,
        source="env",
    )
    return sign_get_caller_identity(credentials, audience, choose_sts_endpoint(region, "auto"))


def decode(signed: SignedToken) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(urllib.parse.unquote(signed.token))
    return document


def headers_of(signed: SignedToken) -> dict[str, str]:
    return {item["key"].lower(): item["value"] for item in decode(signed)["headers"]}


def signed_headers_of(signed: SignedToken) -> list[str]:
    authorization = headers_of(signed)["authorization"]
    return authorization.split("SignedHeaders=")[1].split(",")[0].split(";")


def test_token_is_url_encoded_json_with_url_method_and_headers() -> None:
    signed = sign(LONG_TERM_KEY)

    assert all(character not in signed.token for character in '{}":, ')
    document = decode(signed)
    assert set(document) == {"url", "method", "headers"}
    assert all(set(item) == {"key", "value"} for item in document["headers"])


def test_token_posts_get_caller_identity_to_the_global_endpoint_without_a_region() -> None:
    document = decode(sign(LONG_TERM_KEY))

    assert document["method"] == "POST"
    assert document["url"] == (
        "https://sts.amazonaws.com?Action=GetCallerIdentity&Version=2011-06-15"
    )
    assert headers_of(sign(LONG_TERM_KEY))["host"] == "sts.amazonaws.com"


def test_token_names_the_regional_endpoint_and_is_signed_for_its_region() -> None:
    signed = sign(LONG_TERM_KEY, region="eu-west-1")

    assert decode(signed)["url"].startswith("https://sts.eu-west-1.amazonaws.com?")
    assert "/eu-west-1/sts/aws4_request" in headers_of(signed)["authorization"]


def test_target_resource_header_is_the_audience() -> None:
    assert headers_of(sign(LONG_TERM_KEY))["x-goog-cloud-target-resource"] == AUDIENCE


def test_target_resource_header_is_signed() -> None:
    assert "x-goog-cloud-target-resource" in signed_headers_of(sign(LONG_TERM_KEY))


def test_https_audience_is_signed_as_given() -> None:
    signed = sign(LONG_TERM_KEY, audience=HTTPS_AUDIENCE)

    assert headers_of(signed)["x-goog-cloud-target-resource"] == HTTPS_AUDIENCE


def test_long_term_keys_send_no_security_token() -> None:
    headers = headers_of(sign(LONG_TERM_KEY))

    assert "x-amz-security-token" not in headers
    assert "x-amz-security-token" not in signed_headers_of(sign(LONG_TERM_KEY))


def test_session_credentials_send_a_signed_security_token() -> None:
    signed = sign(SESSION_KEY)

    assert headers_of(signed)["x-amz-security-token"] == SESSION_KEY.session_token
    assert "x-amz-security-token" in signed_headers_of(signed)


def test_token_carries_the_access_key_id_but_not_the_secret() -> None:
    token = urllib.parse.unquote(sign(SESSION_KEY).token)

    assert f"Credential={SESSION_KEY.access_key_id}/" in token
    assert SESSION_KEY.secret_access_key not in token


def test_signed_at_is_the_x_amz_date() -> None:
    signed = sign(LONG_TERM_KEY)

    assert signed.signed_at.strftime("%Y%m%dT%H%M%SZ") == headers_of(signed)["x-amz-date"]
    now = datetime.datetime.now(datetime.timezone.utc)
    assert abs((now - signed.signed_at).total_seconds()) < 5


def test_token_verifies_with_the_independent_sigv4_check() -> None:
    for key in (LONG_TERM_KEY, SESSION_KEY):
        for region in (None, "us-east-1", "ap-southeast-2"):
            verified = verify_get_caller_identity(
                parse_subject_token(sign(key, region).token),
                audience=AUDIENCE,
                secret_for={key.access_key_id: key.secret_access_key}.get,
            )
            assert verified.access_key_id == key.access_key_id
            assert verified.session_token == key.session_token
