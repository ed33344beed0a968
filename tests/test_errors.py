"""The error table: every failure has a documented code, and botocore's errors map onto them."""

from __future__ import annotations

import re

import botocore.exceptions as aws
import pytest

from helper.aws_errors import translate
from helper.errors import ErrorCode, HelperError
from helper.protocol import answer
from helper.response import failure
from tests.harness import REPO, client_variables
from tests.standins.aws_keys import LONG_TERM_KEY

STEP = "fetching AWS credentials from an assume-role profile"


def readme_error_codes() -> list[str]:
    """The codes in the first column of the README's "Error codes" table."""
    readme = (REPO / "README.md").read_text()
    section = readme.split("\n## Error codes\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| `([A-Z_]+)` \|", section, flags=re.MULTILINE)


def client_error(code: str, operation: str = "AssumeRole") -> aws.ClientError:
    return aws.ClientError({"Error": {"Code": code, "Message": "details"}}, operation)


def test_every_error_code_is_documented_in_the_readme() -> None:
    assert sorted(readme_error_codes()) == sorted(code.value for code in ErrorCode)


def test_error_codes_are_spelled_as_their_names() -> None:
    assert all(code.value == code.name for code in ErrorCode)


def test_failure_response_carries_the_code_and_the_message() -> None:
    error = HelperError(ErrorCode.AWS_MFA_REQUIRED, "Use a profile without mfa_serial.")

    assert failure(error) == {
        "version": 1,
        "success": False,
        "code": "AWS_MFA_REQUIRED",
        "message": "Use a profile without mfa_serial.",
    }


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (aws.ProfileNotFound(profile="missing"), ErrorCode.AWS_PROFILE_NOT_FOUND),
        (aws.NoCredentialsError(), ErrorCode.AWS_CREDENTIALS_NOT_FOUND),
        (
            aws.PartialCredentialsError(provider="env", cred_var="AWS_SECRET_ACCESS_KEY"),
            ErrorCode.AWS_CREDENTIALS_NOT_FOUND,
        ),
        (aws.ConnectTimeoutError(endpoint_url="http://127.0.0.1:9"), ErrorCode.AWS_UNREACHABLE),
        (aws.ReadTimeoutError(endpoint_url="http://127.0.0.1:9"), ErrorCode.AWS_UNREACHABLE),
        (
            aws.EndpointConnectionError(endpoint_url="http://127.0.0.1:9"),
            ErrorCode.AWS_UNREACHABLE,
        ),
        (client_error("AccessDenied"), ErrorCode.AWS_ACCESS_DENIED),
        (client_error("InvalidClientTokenId"), ErrorCode.AWS_ACCESS_DENIED),
        (client_error("SignatureDoesNotMatch"), ErrorCode.AWS_ACCESS_DENIED),
        (client_error("ExpiredToken"), ErrorCode.AWS_CREDENTIALS_EXPIRED),
        (client_error("Throttling"), ErrorCode.AWS_THROTTLED),
        (client_error("InternalFailure"), ErrorCode.AWS_UNREACHABLE),
        (
            aws.UnknownServiceError(service_name="x", known_service_names="y"),
            ErrorCode.AWS_CONFIG_INVALID,
        ),
        (RuntimeError("boom"), ErrorCode.INTERNAL),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, Exception) else value.value,
)
def test_botocore_errors_translate_to_documented_codes(error: Exception, code: ErrorCode) -> None:
    assert translate(error, STEP).code is code


def test_translated_messages_name_the_step_they_failed_in() -> None:
    assert STEP in translate(client_error("AccessDenied"), STEP).message


def test_helper_errors_pass_through_translation_unchanged() -> None:
    error = HelperError(ErrorCode.AWS_MFA_REQUIRED, "Use a profile without mfa_serial.")

    assert translate(error, STEP) is error


def test_unexpected_exception_becomes_an_internal_failure_response(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def explode(*args: object) -> None:
        raise RuntimeError("secret-looking detail")

    monkeypatch.setattr("helper.protocol._make_aws_token_response", explode)
    response = answer([], {**LONG_TERM_KEY.environment(), **client_variables()})

    assert response["success"] is False
    assert response["code"] == "INTERNAL"
    assert "secret-looking detail" not in response["message"]
