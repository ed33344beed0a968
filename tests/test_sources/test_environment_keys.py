"""Environment variables: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN."""

from __future__ import annotations

import datetime

import pytest

from tests.standins.aws_keys import LONG_TERM_KEY, SESSION_KEY
from tests.test_sources.workload import (
    GENEROUS_TIMEOUT,
    Workload,
    assert_fails,
    assert_signed_with,
)


def test_long_term_keys_from_the_environment_sign_the_token(workload: Workload) -> None:
    workload.use_key(LONG_TERM_KEY)

    result = workload.run(*GENEROUS_TIMEOUT)

    assert_signed_with(result, LONG_TERM_KEY)


def test_session_token_from_the_environment_is_sent_and_signed(workload: Workload) -> None:
    workload.use_key(SESSION_KEY)

    result = workload.run(*GENEROUS_TIMEOUT)

    assert_signed_with(result, SESSION_KEY)
    signed = result.token_headers()["authorization"].split("SignedHeaders=")[1].split(",")[0]
    assert "x-amz-security-token" in signed.split(";")


@pytest.mark.parametrize("region", [None, "eu-west-1"])
def test_access_key_without_secret_names_the_missing_variable(
    workload: Workload, region: str | None
) -> None:
    workload.set(AWS_ACCESS_KEY_ID=LONG_TERM_KEY.access_key_id)
    if region:
        workload.set(AWS_DEFAULT_REGION=region)

    result = workload.run(*GENEROUS_TIMEOUT)

    assert_fails(result, "AWS_CREDENTIALS_NOT_FOUND", "AWS_SECRET_ACCESS_KEY")


@pytest.mark.parametrize("region", [None, "eu-west-1"])
def test_expired_environment_credentials_fail_as_expired(
    workload: Workload, region: str | None
) -> None:
    workload.use_key(SESSION_KEY)
    past = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=5)
    workload.set(AWS_CREDENTIAL_EXPIRATION=past.strftime("%Y-%m-%dT%H:%M:%SZ"))
    if region:
        workload.set(AWS_DEFAULT_REGION=region)

    result = workload.run(*GENEROUS_TIMEOUT)

    assert_fails(result, "AWS_CREDENTIALS_EXPIRED", "environment variables", "expired at")


def test_no_credentials_anywhere_lists_every_place_looked_in(workload: Workload) -> None:
    result = workload.run(*GENEROUS_TIMEOUT)

    assert_fails(
        result,
        "AWS_CREDENTIALS_NOT_FOUND",
        "environment variables (AWS_ACCESS_KEY_ID)",
        "web identity (AWS_WEB_IDENTITY_TOKEN_FILE)",
        "IAM Identity Center",
        "the shared credentials file",
        "credential_process",
        "the container credentials endpoint",
        "the EC2 instance metadata service (disabled by AWS_EC2_METADATA_DISABLED)",
    )
