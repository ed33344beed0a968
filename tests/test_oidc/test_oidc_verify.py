"""The Google side: a pool's OIDC provider accepts AWS-issued tokens and nothing else.

These pin down `tests/standins/oidc_verify.py`, which the Google STS stand-in
uses for the jwt and id_token subject token types, against tokens made by the
AWS stand-in with the same keys it publishes: first the function itself, then
the stand-in's token endpoint answering a client's exchange.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

import pytest

from tests.standins.aws_keys import AwsKey
from tests.standins.aws_oidc import AwsOidcStandIn, b64url, b64url_decode
from tests.standins.google_sts import GoogleStsStandIn
from tests.standins.oidc_verify import OidcProvider, OidcTokenRejected, verify_oidc_token
from tests.test_oidc.conftest import AUDIENCE, JWT_TOKEN_TYPE, REGION


def _claims(aws_oidc: AwsOidcStandIn, workload: AwsKey, **changes: Any) -> dict[str, Any]:
    claims = aws_oidc.claims_for(workload, ["https:" + AUDIENCE], 300, REGION)
    claims.update(changes)
    return claims


def test_token_for_the_default_audience_is_accepted(
    aws_oidc: AwsOidcStandIn, workload: AwsKey, provider: OidcProvider
) -> None:
    token = aws_oidc.sign(_claims(aws_oidc, workload))

    assert verify_oidc_token(token, provider)["sub"] == workload.arn


def test_provider_name_without_https_is_accepted_as_an_audience(
    aws_oidc: AwsOidcStandIn, workload: AwsKey, provider: OidcProvider
) -> None:
    token = aws_oidc.sign(_claims(aws_oidc, workload, aud=AUDIENCE))

    verify_oidc_token(token, provider)


def test_es384_token_is_accepted(
    aws_oidc: AwsOidcStandIn, workload: AwsKey, provider: OidcProvider
) -> None:
    token = aws_oidc.sign(_claims(aws_oidc, workload), algorithm="ES384")

    verify_oidc_token(token, provider)


def test_audience_list_with_one_accepted_audience_is_accepted(
    aws_oidc: AwsOidcStandIn, workload: AwsKey, provider: OidcProvider
) -> None:
    token = aws_oidc.sign(_claims(aws_oidc, workload, aud=["https://other", "https:" + AUDIENCE]))

    verify_oidc_token(token, provider)


def test_tampered_claims_are_rejected(
    aws_oidc: AwsOidcStandIn, workload: AwsKey, provider: OidcProvider
) -> None:
    header, payload, signature = aws_oidc.sign(_claims(aws_oidc, workload)).split(".")
    claims = json.loads(b64url_decode(payload))
    claims["sub"] = "arn:aws:iam::111122223333:role/admin"
    tampered = f"{header}.{b64url(json.dumps(claims).encode())}.{signature}"

    with pytest.raises(OidcTokenRejected, match="signature does not verify"):
        verify_oidc_token(tampered, provider)


def test_token_signed_by_another_key_is_rejected(
    workload: AwsKey, provider: OidcProvider, aws_oidc: AwsOidcStandIn
) -> None:
    stranger = AwsOidcStandIn()
    try:
        claims = _claims(aws_oidc, workload)
        forged = stranger.sign(claims, kid=aws_oidc.jwks()["keys"][0]["kid"])
    finally:
        stranger.close()

    with pytest.raises(OidcTokenRejected, match="signature does not verify"):
        verify_oidc_token(forged, provider)


def test_wrong_audience_is_rejected(
    aws_oidc: AwsOidcStandIn, workload: AwsKey, provider: OidcProvider
) -> None:
    other_provider = AUDIENCE.rsplit("/", 1)[0] + "/another-provider"
    token = aws_oidc.sign(_claims(aws_oidc, workload, aud="https:" + other_provider))

    with pytest.raises(OidcTokenRejected, match="audience"):
        verify_oidc_token(token, provider)


def test_default_audience_is_rejected_when_the_provider_lists_allowed_audiences(
    aws_oidc: AwsOidcStandIn, workload: AwsKey
) -> None:
    provider = OidcProvider(AUDIENCE, aws_oidc.issuer_url, allowed_audiences=("https://gcp",))
    token = aws_oidc.sign(_claims(aws_oidc, workload))

    with pytest.raises(OidcTokenRejected, match="audience"):
        verify_oidc_token(token, provider)


def test_expired_token_is_rejected(
    aws_oidc: AwsOidcStandIn, workload: AwsKey, provider: OidcProvider
) -> None:
    now = int(time.time())
    token = aws_oidc.sign(_claims(aws_oidc, workload, iat=now - 400, exp=now - 100))

    with pytest.raises(OidcTokenRejected, match="expired"):
        verify_oidc_token(token, provider)


def test_token_issued_in_the_future_is_rejected(
    aws_oidc: AwsOidcStandIn, workload: AwsKey, provider: OidcProvider
) -> None:
    now = int(time.time())
    token = aws_oidc.sign(_claims(aws_oidc, workload, iat=now + 600, exp=now + 900))

    with pytest.raises(OidcTokenRejected, match="iat"):
        verify_oidc_token(token, provider)


def test_token_from_another_issuer_is_rejected(
    aws_oidc: AwsOidcStandIn, workload: AwsKey, provider: OidcProvider
) -> None:
    token = aws_oidc.sign(_claims(aws_oidc, workload, iss="https://elsewhere.example"))

    with pytest.raises(OidcTokenRejected, match="issuer"):
        verify_oidc_token(token, provider)


def test_unsigned_token_is_rejected(
    aws_oidc: AwsOidcStandIn, workload: AwsKey, provider: OidcProvider
) -> None:
    header = b64url(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    payload = b64url(json.dumps(_claims(aws_oidc, workload)).encode())

    with pytest.raises(OidcTokenRejected, match="algorithm"):
        verify_oidc_token(f"{header}.{payload}.", provider)


def test_keys_are_found_through_the_issuers_discovery_document(
    aws_oidc: AwsOidcStandIn, workload: AwsKey, provider: OidcProvider
) -> None:
    token = aws_oidc.sign(_claims(aws_oidc, workload))
    fetched: list[str] = []

    def fetch(url: str) -> Any:
        fetched.append(url)
        if url.endswith("/openid-configuration"):
            return {"issuer": aws_oidc.issuer_url, "jwks_uri": aws_oidc.issuer_url + "/keys"}
        return aws_oidc.jwks()

    verify_oidc_token(token, provider, fetch_json=fetch)

    assert fetched == [
        aws_oidc.issuer_url + "/.well-known/openid-configuration",
        aws_oidc.issuer_url + "/keys",
    ]


# The same judgements through the Google STS stand-in's token endpoint.


def _exchange(google_sts: GoogleStsStandIn, token: str) -> tuple[int, dict[str, Any]]:
    """POST a token exchange for `token` as a client would; the status and the JSON answer."""
    body = urllib.parse.urlencode(
        {
            "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
            "audience": AUDIENCE,
            "scope": "https://www.googleapis.com/auth/cloud-platform",
            "requested_token_type": "urn:ietf:params:oauth:token-type:access_token",
            "subject_token": token,
            "subject_token_type": JWT_TOKEN_TYPE,
        }
    ).encode()
    try:
        with urllib.request.urlopen(google_sts.token_url, data=body, timeout=10) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_google_sts_exchanges_a_good_token_for_an_access_token(
    google_sts_oidc: GoogleStsStandIn, aws_oidc: AwsOidcStandIn, workload: AwsKey
) -> None:
    status, answer = _exchange(google_sts_oidc, aws_oidc.sign(_claims(aws_oidc, workload)))

    assert status == 200
    assert google_sts_oidc.subject_of(answer["access_token"]) == workload.arn


def test_google_sts_refuses_a_tampered_token(
    google_sts_oidc: GoogleStsStandIn, aws_oidc: AwsOidcStandIn, workload: AwsKey
) -> None:
    header, payload, signature = aws_oidc.sign(_claims(aws_oidc, workload)).split(".")
    claims = json.loads(b64url_decode(payload))
    claims["sub"] = "arn:aws:iam::111122223333:role/admin"
    tampered = f"{header}.{b64url(json.dumps(claims).encode())}.{signature}"

    status, answer = _exchange(google_sts_oidc, tampered)

    assert (status, answer["error"]) == (400, "invalid_grant")
    assert "signature" in answer["error_description"]


def test_google_sts_refuses_a_token_for_another_audience(
    google_sts_oidc: GoogleStsStandIn, aws_oidc: AwsOidcStandIn, workload: AwsKey
) -> None:
    token = aws_oidc.sign(_claims(aws_oidc, workload, aud="https://not-this-provider"))

    status, answer = _exchange(google_sts_oidc, token)

    assert (status, answer["error"]) == (400, "invalid_grant")
    assert "audience" in answer["error_description"]


def test_google_sts_refuses_an_expired_token(
    google_sts_oidc: GoogleStsStandIn, aws_oidc: AwsOidcStandIn, workload: AwsKey
) -> None:
    now = int(time.time())
    token = aws_oidc.sign(_claims(aws_oidc, workload, iat=now - 400, exp=now - 100))

    status, answer = _exchange(google_sts_oidc, token)

    assert (status, answer["error"]) == (400, "invalid_grant")
    assert "expired" in answer["error_description"]
