"""OIDC mode's rules, one function at a time: endpoint, audience, lifetime, cache match."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from helper.aws_session import open_session
from helper.credentials import AwsCredentials
from helper.deadline import Deadline
from helper.errors import ErrorCode, HelperError
from helper.oidc_token import (
    default_jwt_audience,
    jwt_audiences,
    oidc_region,
    sts_client,
    token_answers,
    token_duration_seconds,
    unverified_claims,
)
from helper.options import HelperOptions, parse_helper_options
from tests.standins.aws_keys import LONG_TERM_KEY
from tests.standins.aws_oidc import AwsOidcStandIn
from tests.test_oidc.conftest import AUDIENCE, REGION

NOW = datetime.datetime(2026, 12, 4, 12, 0, tzinfo=datetime.timezone.utc)
CREDENTIALS = AwsCredentials(
    LONG_TERM_KEY.access_key_id, LONG_TERM_KEY.secret_access_key, None, None, "env"
)


def _endpoint_for(region: str) -> str:
    session = open_session(HelperOptions(), Deadline(3))
    return str(sts_client(session, CREDENTIALS, region, Deadline(3)).meta.endpoint_url)


def test_sts_client_uses_the_regional_endpoint_for_us_east_1() -> None:
    assert _endpoint_for("us-east-1") == "https://sts.us-east-1.amazonaws.com"


def test_sts_client_uses_the_regional_endpoint_even_with_a_legacy_profile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "legacy-config"
    config.write_text("[default]\nsts_regional_endpoints = legacy\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))

    assert _endpoint_for("us-east-1") == "https://sts.us-east-1.amazonaws.com"


def test_sts_client_uses_the_china_partition_for_cn_regions() -> None:
    assert _endpoint_for("cn-north-1") == "https://sts.cn-north-1.amazonaws.com.cn"


def test_default_jwt_audience_puts_https_before_the_provider_name() -> None:
    assert default_jwt_audience(AUDIENCE) == "https:" + AUDIENCE


def test_default_jwt_audience_keeps_an_https_audience_as_it_is() -> None:
    assert default_jwt_audience("https:" + AUDIENCE) == "https:" + AUDIENCE


def test_jwt_audience_options_replace_the_default() -> None:
    assert jwt_audiences(AUDIENCE, ["https://a", "https://b"]) == ("https://a", "https://b")


def test_repeated_jwt_audience_options_are_asked_for_once() -> None:
    options = parse_helper_options(["--jwt-audience", "https://a", "--jwt-audience", "https://a"])

    assert options.jwt_audiences == ("https://a",)


def test_region_is_required() -> None:
    with pytest.raises(HelperError) as failure:
        oidc_region(None, "auto")

    assert failure.value.code is ErrorCode.AWS_REGION_REQUIRED


def test_regional_choice_keeps_the_region() -> None:
    assert oidc_region(REGION, "regional") == REGION


def test_lifetime_is_kept_for_credentials_without_expiry() -> None:
    assert token_duration_seconds(3600, None, NOW) == 3600


def test_lifetime_is_kept_when_the_session_outlasts_it() -> None:
    expiry = NOW + datetime.timedelta(hours=2)

    assert token_duration_seconds(3600, expiry, NOW) == 3600


def test_lifetime_ends_30_seconds_before_the_session() -> None:
    expiry = NOW + datetime.timedelta(minutes=20)

    assert token_duration_seconds(3600, expiry, NOW) == 20 * 60 - 30


def test_session_too_short_for_a_usable_token_is_an_expiry_failure() -> None:
    expiry = NOW + datetime.timedelta(seconds=200)

    with pytest.raises(HelperError) as failure:
        token_duration_seconds(300, expiry, NOW)

    assert failure.value.code is ErrorCode.AWS_CREDENTIALS_EXPIRED


def test_cached_token_answers_the_same_audience_and_algorithm(
    aws_oidc: AwsOidcStandIn,
) -> None:
    token = aws_oidc.sign(aws_oidc.claims_for(LONG_TERM_KEY, ["https:" + AUDIENCE], 300, REGION))

    assert token_answers(token, AUDIENCE, HelperOptions())


def test_cached_token_does_not_answer_another_algorithm(aws_oidc: AwsOidcStandIn) -> None:
    token = aws_oidc.sign(aws_oidc.claims_for(LONG_TERM_KEY, ["https:" + AUDIENCE], 300, REGION))

    assert not token_answers(token, AUDIENCE, HelperOptions(signing_algorithm="ES384"))


def test_cached_token_does_not_answer_other_audiences(aws_oidc: AwsOidcStandIn) -> None:
    token = aws_oidc.sign(aws_oidc.claims_for(LONG_TERM_KEY, ["https:" + AUDIENCE], 300, REGION))

    assert not token_answers(token, AUDIENCE, HelperOptions(jwt_audiences=("https://gcp",)))


@pytest.mark.parametrize("token", ["", "a.b.c", "not a jwt", "a.W10.c"])
def test_malformed_tokens_have_no_claims(token: str) -> None:
    assert unverified_claims(token) is None
