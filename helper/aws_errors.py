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

# STS GetWebIdentityToken (OIDC mode) has failures of its own, each with its own fix.
_WEB_IDENTITY_OPERATION = "GetWebIdentityToken"
_FEDERATION_DISABLED_CODES = {"OutboundWebIdentityFederationDisabledException"}
_SESSION_TOO_SHORT_CODES = {"SessionDurationEscalationException"}
_PAYLOAD_TOO_LARGE_CODES = {"JWTPayloadSizeExceededException"}
_INVALID_PARAMETER_CODES = {"ValidationError", "InvalidParameterValue"}


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

    if operation == _WEB_IDENTITY_OPERATION:
        specific = _translate_web_identity_error(code, str(details.get("Message", "")), step)
        if specific is not None:
            return specific

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


def _translate_web_identity_error(code: str, aws_message: str, step: str) -> HelperError | None:
    """The OIDC-mode failures of GetWebIdentityToken; None for the ones all calls share."""
    if code in _FEDERATION_DISABLED_CODES:
        return HelperError(
            ErrorCode.AWS_OIDC_FEDERATION_DISABLED,
            "Outbound identity federation is not enabled on this AWS account, so STS "
            "issues no OIDC tokens; an account administrator enables it once (IAM console, "
            "Account settings, or `aws iam enable-outbound-web-identity-federation`) and "
            "gives the issuer URL it shows to the Google pool's OIDC provider.",
        )
    if code in _ACCESS_DENIED_CODES:
        return HelperError(
            ErrorCode.AWS_OIDC_ACCESS_DENIED,
            f"AWS denied sts:GetWebIdentityToken while {step}; allow that action for this "
            "identity, and make the policy's sts:IdentityTokenAudience condition "
            "(ForAllValues:StringEquals) list exactly these audiences, or change "
            "--jwt-audience to match it; any sts:SigningAlgorithm or sts:DurationSeconds "
            "condition must allow --signing-algorithm and --token-lifetime too.",
        )
    if code in _SESSION_TOO_SHORT_CODES:
        return HelperError(
            ErrorCode.INVALID_TOKEN_LIFETIME,
            f"AWS will not issue a token that outlives the credentials' session while "
            f"{step}; lower --token-lifetime, or give the credential source a longer "
            "session duration.",
        )
    if code in _PAYLOAD_TOO_LARGE_CODES:
        return HelperError(
            ErrorCode.INVALID_REQUEST,
            f"AWS says the token's claims would be too large while {step}; use fewer "
            "--jwt-audience values, or fewer principal or session tags on this identity.",
        )
    if code in _INVALID_PARAMETER_CODES:
        shown = aws_message if aws_message.isascii() and aws_message.isprintable() else ""
        return HelperError(
            ErrorCode.INVALID_REQUEST,
            f"AWS refused the GetWebIdentityToken parameters ({shown[:200] or code}) while "
            f"{step}; check --jwt-audience, --signing-algorithm and --token-lifetime.",
        )
    return None
