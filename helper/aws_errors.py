"""botocore's exceptions, translated into the helper's codes and fixes.

`translate` is the one place that knows botocore's exception types and the
error codes AWS services answer with. Messages name the step and the fix and
never quote a credential.
"""

from __future__ import annotations

import botocore.exceptions as aws

from helper.errors import ErrorCode, HelperError

__all__ = ["translate"]

_ACCESS_DENIED_CODES = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation"}
_EXPIRED_CODES = {"ExpiredToken", "ExpiredTokenException", "RequestExpired"}
_INVALID_KEY_CODES = {
    "InvalidClientTokenId",
    "SignatureDoesNotMatch",
    "UnrecognizedClientException",
}
_THROTTLING_CODES = {
    "Throttling",
    "ThrottlingException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "SlowDown",
}


def translate(error: Exception, step: str) -> HelperError:
    """Turn an exception raised while `step` ran into a `HelperError`."""
    if isinstance(error, HelperError):
        return error

    if isinstance(error, aws.ProfileNotFound):
        return HelperError(
            ErrorCode.AWS_CREDENTIALS_NOT_FOUND,
            f"The AWS profile {error.kwargs.get('profile')!r} is not in the AWS config or "
            "credentials file; fix --profile or AWS_PROFILE, or check AWS_CONFIG_FILE.",
        )

    if isinstance(error, (aws.NoCredentialsError, aws.PartialCredentialsError)):
        return HelperError(
            ErrorCode.AWS_CREDENTIALS_NOT_FOUND,
            f"Incomplete AWS credentials while {step} ({error}); set both the access key "
            "ID and the secret access key.",
        )

    if isinstance(error, (aws.ConnectTimeoutError, aws.ReadTimeoutError)):
        return HelperError(
            ErrorCode.AWS_UNREACHABLE,
            f"An AWS endpoint timed out while {step}; check the host's network path "
            "to it, or raise --timeout.",
        )

    if isinstance(error, (aws.EndpointConnectionError, aws.ConnectionError)):
        return HelperError(
            ErrorCode.AWS_UNREACHABLE,
            f"Could not connect to an AWS endpoint while {step}; check the host's "
            "network, proxy and endpoint settings.",
        )

    if isinstance(error, aws.ClientError):
        return _translate_service_error(error, step)

    if isinstance(error, aws.BotoCoreError):
        return HelperError(
            ErrorCode.AWS_CREDENTIALS_NOT_FOUND,
            f"botocore failed while {step}: {type(error).__name__}; check the AWS "
            "configuration of this profile.",
        )

    return HelperError(
        ErrorCode.INTERNAL,
        f"Unexpected {type(error).__name__} while {step}; please report it with the "
        "helper's --version.",
    )


def _translate_service_error(error: aws.ClientError, step: str) -> HelperError:
    details = error.response.get("Error", {})
    code = str(details.get("Code", ""))
    operation = error.operation_name

    if code in _ACCESS_DENIED_CODES:
        return HelperError(
            ErrorCode.AWS_ACCESS_DENIED,
            f"AWS denied {operation} while {step}; grant the caller that permission or "
            "fix the role's trust policy.",
        )
    if code in _EXPIRED_CODES:
        return HelperError(
            ErrorCode.AWS_CREDENTIALS_EXPIRED,
            f"AWS says the credentials used for {operation} have expired while {step}; "
            "renew them at their source.",
        )
    if code in _INVALID_KEY_CODES:
        return HelperError(
            ErrorCode.AWS_ACCESS_DENIED,
            f"AWS did not accept the credentials used for {operation} ({code}) while "
            f"{step}; check that the keys are current and complete.",
        )
    if code in _THROTTLING_CODES:
        return HelperError(
            ErrorCode.AWS_UNREACHABLE,
            f"AWS throttled {operation} while {step}; retry later or reduce how often "
            "tokens are refreshed (set output_file so responses are reused).",
        )
    return HelperError(
        ErrorCode.AWS_UNREACHABLE,
        f"AWS answered {operation} with {code or 'an error'} while {step}; retry, and "
        "check the service's status if it persists.",
    )
