"""What the client asks for: the GOOGLE_EXTERNAL_ACCOUNT_* variables, checked first."""

from __future__ import annotations

import pytest

from helper.audience import check_audience
from helper.errors import ErrorCode, HelperError
from helper.request import read_request
from tests.harness import AUDIENCE, AWS_TOKEN_TYPE, client_variables

WORKFORCE_AUDIENCE = (
    "//iam.googleapis.com/locations/global/workforcePools/people/providers/aws-provider"
)


def refusal(environ: dict[str, str]) -> HelperError:
    with pytest.raises(HelperError) as raised:
        read_request(environ)
    return raised.value


def audience_refusal(audience: str) -> HelperError:
    with pytest.raises(HelperError) as raised:
        check_audience(audience)
    return raised.value


def test_a_complete_request_is_read() -> None:
    request = read_request(client_variables(output_file="/tmp/out.json"))

    assert request.audience == AUDIENCE
    assert request.token_type == AWS_TOKEN_TYPE
    assert request.output_file == "/tmp/out.json"
    assert not request.interactive
    assert not request.revoke


@pytest.mark.parametrize(
    "name", ["GOOGLE_EXTERNAL_ACCOUNT_AUDIENCE", "GOOGLE_EXTERNAL_ACCOUNT_TOKEN_TYPE"]
)
def test_a_missing_required_variable_is_named_in_the_refusal(name: str) -> None:
    environ = client_variables()
    del environ[name]

    error = refusal(environ)

    assert error.code is ErrorCode.INVALID_REQUEST
    assert name in error.message
    assert "not set" in error.message


@pytest.mark.parametrize(
    "name", ["GOOGLE_EXTERNAL_ACCOUNT_AUDIENCE", "GOOGLE_EXTERNAL_ACCOUNT_TOKEN_TYPE"]
)
@pytest.mark.parametrize("value", ["", "   "])
def test_an_empty_required_variable_is_named_in_the_refusal(name: str, value: str) -> None:
    error = refusal({**client_variables(), name: value})

    assert error.code is ErrorCode.INVALID_REQUEST
    assert name in error.message


def test_an_unknown_token_type_is_unsupported() -> None:
    error = refusal(client_variables(token_type="urn:ietf:params:oauth:token-type:saml2"))

    assert error.code is ErrorCode.UNSUPPORTED_TOKEN_TYPE
    assert AWS_TOKEN_TYPE in error.message


def test_an_unprintable_token_type_is_not_echoed() -> None:
    error = refusal(client_variables(token_type="urn:\x1b[31mred"))

    assert error.code is ErrorCode.UNSUPPORTED_TOKEN_TYPE
    assert "\x1b" not in error.message


def test_an_empty_output_file_means_none() -> None:
    assert read_request(client_variables(OUTPUT_FILE="")).output_file is None


def test_the_impersonated_email_is_read() -> None:
    email = "workload@project.iam.gserviceaccount.com"

    assert read_request(client_variables(IMPERSONATED_EMAIL=email)).impersonated_email == email


@pytest.mark.parametrize("name", ["INTERACTIVE", "REVOKE"])
@pytest.mark.parametrize("value", ["true", "yes", "2", " 1", "0 ", "-1"])
def test_flags_other_than_0_or_1_are_refused(name: str, value: str) -> None:
    error = refusal(client_variables(**{name: value}))

    assert error.code is ErrorCode.INVALID_REQUEST
    assert f"GOOGLE_EXTERNAL_ACCOUNT_{name}" in error.message


@pytest.mark.parametrize("value", ["", "0"])
def test_an_empty_or_zero_flag_is_off(value: str) -> None:
    request = read_request(client_variables(INTERACTIVE=value, REVOKE=value))

    assert not request.interactive
    assert not request.revoke


def test_revocation_needs_no_audience() -> None:
    request = read_request({"GOOGLE_EXTERNAL_ACCOUNT_REVOKE": "1"})

    assert request.revoke


def test_a_workload_identity_pool_provider_is_accepted() -> None:
    assert check_audience(AUDIENCE) == AUDIENCE


def test_an_https_prefixed_audience_is_accepted_unchanged() -> None:
    assert check_audience("https:" + AUDIENCE) == "https:" + AUDIENCE


def test_another_universe_domain_is_accepted() -> None:
    audience = AUDIENCE.replace("iam.googleapis.com", "iam.example-universe.com")

    assert check_audience(audience) == audience


def test_a_workforce_pool_is_refused_with_a_reason() -> None:
    error = audience_refusal(WORKFORCE_AUDIENCE)

    assert error.code is ErrorCode.INVALID_REQUEST
    assert "workforce pool" in error.message


@pytest.mark.parametrize(
    "audience",
    [
        AUDIENCE + "/",
        AUDIENCE + " ",
        " " + AUDIENCE,
        AUDIENCE + "\n",
        AUDIENCE.replace("aws-pool", "aws\tpool"),
        AUDIENCE.replace("aws-pool", "aws\x07pool"),
        AUDIENCE.replace("aws-pool", "aws-p\u00f6ol"),
        AUDIENCE.replace("aws-pool", "AWS-POOL"),
        AUDIENCE.replace("//iam.", "http://iam."),
        AUDIENCE.replace("projects/123456789012", "projects/my-project"),
        "//iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/aws-pool",
        "aws-provider",
    ],
    ids=[
        "trailing-slash",
        "trailing-space",
        "leading-space",
        "newline",
        "tab",
        "bell",
        "non-ascii",
        "uppercase",
        "http-scheme",
        "project-id-not-number",
        "pool-without-provider",
        "bare-provider-id",
    ],
)
def test_a_malformed_audience_is_an_invalid_request(audience: str) -> None:
    assert audience_refusal(audience).code is ErrorCode.INVALID_REQUEST
