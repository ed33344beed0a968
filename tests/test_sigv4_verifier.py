"""The test SigV4 verifier accepts the helper's tokens and refuses every kind of tampering.

These tests keep the end-to-end proof honest: a verifier that accepted
anything would let a broken signer pass.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Callable

import pytest

from helper.aws_token import sign_get_caller_identity
from helper.credentials import AwsCredentials
from helper.endpoint import choose_sts_endpoint
from tests.harness import AUDIENCE
from tests.standins.aws_keys import LONG_TERM_KEY, SESSION_KEY, AwsKey
from tests.standins.sigv4 import (
    SignatureRejected,
    SubjectToken,
    VerifiedRequest,
    parse_subject_token,
    sign_subject_token,
    verify_get_caller_identity,
)

KEYS = {key.access_key_id: key.secret_access_key for key in (LONG_TERM_KEY, SESSION_KEY)}
OTHER_AUDIENCE = AUDIENCE.replace("aws-provider", "other-provider")
MINUTE = datetime.timedelta(minutes=1)


def helper_token(key: AwsKey = LONG_TERM_KEY, region: str | None = None) -> SubjectToken:
    """A token signed by the helper's own code (botocore's signer)."""
    credentials = AwsCredentials(
        key.access_key_id, key.secret_access_key, key.session_token, None, "env"
    )
    endpoint = choose_sts_endpoint(region, "auto")
    return parse_subject_token(sign_get_caller_identity(credentials, AUDIENCE, endpoint).token)


def hand_token(key: AwsKey = LONG_TERM_KEY, **options: object) -> SubjectToken:
    return sign_subject_token(
        access_key_id=key.access_key_id,
        secret_access_key=key.secret_access_key,
        session_token=key.session_token,
        audience=str(options.pop("audience", AUDIENCE)),
        **options,  # type: ignore[arg-type]
    )


def verify(token: SubjectToken, audience: str = AUDIENCE) -> VerifiedRequest:
    return verify_get_caller_identity(token, audience=audience, secret_for=KEYS.get)


def rejection(token: SubjectToken, audience: str = AUDIENCE) -> str:
    with pytest.raises(SignatureRejected) as raised:
        verify(token, audience)
    return raised.value.reason


def with_authorization(token: SubjectToken, old: str, new: str) -> SubjectToken:
    authorization = token.header("authorization") or ""
    assert old in authorization
    return token.replace_header("authorization", authorization.replace(old, new))


def test_the_helpers_tokens_are_accepted() -> None:
    for key in (LONG_TERM_KEY, SESSION_KEY):
        for region in (None, "eu-central-1"):
            assert verify(helper_token(key, region)).access_key_id == key.access_key_id


def test_hand_signed_tokens_match_the_helpers_signature() -> None:
    helper = helper_token(SESSION_KEY, "eu-central-1")
    signed_at = verify(helper).signed_at

    hand = hand_token(SESSION_KEY, region="eu-central-1", signed_at=signed_at)

    assert hand.header("authorization") == helper.header("authorization")


def test_a_verified_token_names_its_key_region_and_session_token() -> None:
    verified = verify(helper_token(SESSION_KEY, "ap-northeast-1"))

    assert verified.access_key_id == SESSION_KEY.access_key_id
    assert verified.region == "ap-northeast-1"
    assert verified.session_token == SESSION_KEY.session_token


def one_second_later(amz_date: str) -> str:
    moment = datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ") + datetime.timedelta(seconds=1)
    return moment.strftime("%Y%m%dT%H%M%SZ")


@pytest.mark.parametrize(
    ("header", "change"),
    [("x-amz-date", one_second_later), ("x-amz-security-token", lambda value: value + "x")],
)
def test_a_changed_signed_header_breaks_the_signature(
    header: str, change: Callable[[str], str]
) -> None:
    token = helper_token(SESSION_KEY)
    changed = token.replace_header(header, change(token.header(header) or ""))

    assert rejection(changed) == "the signature does not match the request"


def test_a_changed_target_resource_breaks_the_signature() -> None:
    token = helper_token().replace_header("x-goog-cloud-target-resource", OTHER_AUDIENCE)

    assert rejection(token, audience=OTHER_AUDIENCE) == "the signature does not match the request"


def test_a_target_resource_other_than_the_audience_is_refused() -> None:
    assert "not the audience" in rejection(helper_token(), audience=OTHER_AUDIENCE)


def test_an_unsigned_target_resource_is_refused() -> None:
    token = hand_token(sign_target_resource=False)

    assert "x-goog-cloud-target-resource header is not among the signed headers" in rejection(token)


def test_a_missing_target_resource_is_refused() -> None:
    token = helper_token()
    headers = tuple(
        (key, value) for key, value in token.headers if key != "x-goog-cloud-target-resource"
    )

    reason = rejection(dataclasses.replace(token, headers=headers))

    assert "x-goog-cloud-target-resource" in reason


def test_an_unsigned_host_is_refused() -> None:
    token = with_authorization(helper_token(), "SignedHeaders=host;", "SignedHeaders=")

    assert "host header is not among the signed headers" in rejection(token)


def test_a_host_header_other_than_the_urls_host_is_refused() -> None:
    token = helper_token().replace_header("host", "sts.us-east-1.amazonaws.com")

    assert "host header does not match" in rejection(token)


def test_a_changed_url_in_the_same_region_breaks_the_signature() -> None:
    token = helper_token()
    moved = dataclasses.replace(
        token, url=token.url.replace("sts.amazonaws.com", "sts.us-east-1.amazonaws.com")
    ).replace_header("host", "sts.us-east-1.amazonaws.com")

    assert rejection(moved) == "the signature does not match the request"


def test_a_url_of_another_region_than_the_signature_is_refused() -> None:
    token = helper_token(region="eu-west-1")
    moved = dataclasses.replace(
        token, url=token.url.replace("eu-west-1", "eu-west-2")
    ).replace_header("host", "sts.eu-west-2.amazonaws.com")

    assert "signed for 'eu-west-1'" in rejection(moved)


def test_the_global_endpoint_must_be_signed_for_us_east_1() -> None:
    token = with_authorization(helper_token(), "/us-east-1/", "/us-west-2/")

    assert "signed for 'us-west-2'" in rejection(token)


@pytest.mark.parametrize(
    "url",
    [
        "http://sts.amazonaws.com?Action=GetCallerIdentity&Version=2011-06-15",
        "https://sts.amazonaws.com.example.net?Action=GetCallerIdentity&Version=2011-06-15",
        "https://sts.example.com?Action=GetCallerIdentity&Version=2011-06-15",
        "https://iam.amazonaws.com?Action=GetCallerIdentity&Version=2011-06-15",
        "https://sts.amazonaws.com:8443?Action=GetCallerIdentity&Version=2011-06-15",
        "https://sts.amazonaws.com/other?Action=GetCallerIdentity&Version=2011-06-15",
        "https://sts.amazonaws.com?Action=AssumeRole&Version=2011-06-15",
        "https://sts.amazonaws.com?Action=GetCallerIdentity",
        "https://sts.amazonaws.com?Action=GetCallerIdentity&Version=2011-06-15&Extra=1",
    ],
    ids=[
        "plain-http",
        "lookalike-host",
        "other-host",
        "other-service",
        "port",
        "path",
        "other-action",
        "no-version",
        "extra-parameter",
    ],
)
def test_a_url_that_is_not_get_caller_identity_on_aws_sts_is_refused(url: str) -> None:
    token = dataclasses.replace(helper_token(), url=url)

    with pytest.raises(SignatureRejected):
        verify(token)


def test_a_method_other_than_post_is_refused() -> None:
    assert "not POST" in rejection(dataclasses.replace(helper_token(), method="GET"))


def test_a_service_other_than_sts_is_refused() -> None:
    token = with_authorization(helper_token(), "/sts/aws4_request", "/iam/aws4_request")

    assert "service is 'iam'" in rejection(token)


def test_a_wrong_secret_key_breaks_the_signature() -> None:
    forged = sign_subject_token(
        access_key_id=LONG_TERM_KEY.access_key_id,
        secret_access_key=LONG_TERM_KEY.secret_access_key[::-1],
        audience=AUDIENCE,
    )

    assert rejection(forged) == "the signature does not match the request"


def test_an_unknown_access_key_is_refused() -> None:
    stranger = AwsKey.long_term("stranger")

    assert "is not known" in rejection(hand_token(stranger))


def test_a_signature_older_than_15_minutes_is_refused() -> None:
    signed_at = datetime.datetime.now(datetime.timezone.utc) - 15 * MINUTE - MINUTE

    assert "more than 15 minutes" in rejection(hand_token(signed_at=signed_at))


def test_a_signature_dated_more_than_15_minutes_ahead_is_refused() -> None:
    signed_at = datetime.datetime.now(datetime.timezone.utc) + 15 * MINUTE + MINUTE

    assert "more than 15 minutes" in rejection(hand_token(signed_at=signed_at))


def test_a_signature_14_minutes_old_is_accepted() -> None:
    signed_at = datetime.datetime.now(datetime.timezone.utc) - 14 * MINUTE

    assert verify(hand_token(signed_at=signed_at)).signed_at <= signed_at


def test_a_session_token_that_is_sent_but_not_signed_is_refused() -> None:
    token = helper_token()
    token = dataclasses.replace(token, headers=(*token.headers, ("x-amz-security-token", "x")))

    assert "session token header is sent but not signed" in rejection(token)


def test_a_repeated_header_is_refused() -> None:
    token = helper_token()
    token = dataclasses.replace(token, headers=(*token.headers, ("X-Amz-Date", "20200101T000000Z")))

    assert "appears 2 times" in rejection(token)


@pytest.mark.parametrize(
    "text",
    ["not json", "%5B%5D", "%7B%22url%22%3A1%7D", '{"url":"u","method":"POST","headers":[1]}'],
)
def test_a_token_that_is_not_the_serialized_request_is_refused(text: str) -> None:
    with pytest.raises(SignatureRejected):
        parse_subject_token(text)


def test_rejection_reasons_reveal_no_secret_or_signature() -> None:
    token = helper_token(SESSION_KEY)
    signature = (token.header("authorization") or "").rsplit("Signature=", 1)[1]
    tampered = token.replace_header("x-amz-date", "20200101T000000Z")

    reasons = [
        rejection(tampered),
        rejection(token, audience=OTHER_AUDIENCE),
        rejection(with_authorization(token, signature, "0" * 64)),
    ]

    for reason in reasons:
        assert SESSION_KEY.secret_access_key not in reason
        assert signature not in reason
        assert str(SESSION_KEY.session_token) not in reason
