"""botocore's exceptions, translated into the helper's codes and fixes.

This is the one place that knows botocore's exception types and the error
codes AWS services answer with. `translate` handles anything raised while a
step ran; `translate_source_failure` first handles what only makes sense for a
credential source (an SSO login to renew, a `credential_process` that failed,
credentials that were already expired). Messages name the step, the source
and the fix, and never quote a credential: botocore's own text is passed on
only for configuration errors, which carry profile and setting names.
"""

from __future__ import annotations

import dataclasses
import datetime

import botocore.exceptions as aws
from botocore.parsers import ResponseParserError

from helper.errors import ErrorCode, HelperError

__all__ = ["SourceFailure", "translate", "translate_source_failure"]

_ACCESS_DENIED_CODES = {
    "AccessDenied",
    "AccessDeniedException",
    "ForbiddenException",
    "UnauthorizedOperation",
}
_EXPIRED_CODES = {"ExpiredToken", "ExpiredTokenException"}
# A request dated too far from AWS's clock: the host's clock is off, not the keys.
_CLOCK_SKEW_CODES = {"RequestTimeTooSkewed", "RequestExpired", "RequestInTheFuture"}
_CLOCK_SKEW_SIGNATURE_CODES = {"SignatureDoesNotMatch", "InvalidSignatureException"}
_CLOCK_SKEW_MESSAGES = ("Signature expired", "Signature not yet current")
_INVALID_KEY_CODES = {
    "InvalidClientTokenId",
    "SignatureDoesNotMatch",
    "UnrecognizedClientException",
    "InvalidIdentityToken",
}
_THROTTLING_CODES = {
    "Throttling",
    "ThrottlingException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "SlowDown",
}
# botocore's errors for a missing, expired or refused IAM Identity Center login.
_SSO_LOGIN_ERRORS = (aws.SSOError, aws.TokenRetrievalError)
# How much of botocore's text about a bad configuration a message repeats.
_CONFIG_DETAIL_CHARACTERS = 300
# How much of a name (a profile) a message repeats: a variable may hold 128 KiB.
_SHOWN_NAME_CHARACTERS = 100

# STS GetWebIdentityToken (OIDC mode) has failures of its own, each with its own fix.
_WEB_IDENTITY_OPERATION = "GetWebIdentityToken"
_FEDERATION_DISABLED_CODES = {"OutboundWebIdentityFederationDisabledException"}
_SESSION_TOO_SHORT_CODES = {"SessionDurationEscalationException"}
_PAYLOAD_TOO_LARGE_CODES = {"JWTPayloadSizeExceededException"}
_INVALID_PARAMETER_CODES = {"ValidationError", "InvalidParameterValue"}


@dataclasses.dataclass(frozen=True)
class SourceFailure:
    """What a message may say about the credential source that failed."""

    method: str  # botocore's provider METHOD, like "custom-process"
    name: str  # what a person calls the source
    profile: str  # the profile the chain was walked for
    sso_profile: str  # the profile whose `aws sso login` renews the SSO login
    expiry: datetime.datetime | None = None  # when its credentials expire, if known


def translate(error: Exception, step: str, caller: str | None = None) -> HelperError:
    """Turn an exception raised while `step` ran into a `HelperError`.

    `caller` names the credentials that made a failing AWS call, for example
    "AKIA…WXYZ from environment variables"; it is shown shortened, never whole.
    """
    if isinstance(error, HelperError):
        return error

    if isinstance(error, aws.ProfileNotFound):
        return HelperError(
            ErrorCode.AWS_PROFILE_NOT_FOUND,
            f"The AWS profile {_shown_name(error.kwargs.get('profile'))} is in neither the "
            "AWS config "
            "file (AWS_CONFIG_FILE, default ~/.aws/config) nor the shared credentials file "
            "(AWS_SHARED_CREDENTIALS_FILE, default ~/.aws/credentials); fix --profile or "
            "AWS_PROFILE, or the file's path.",
        )

    if isinstance(error, (aws.ConfigParseError, aws.InvalidConfigError)):
        return HelperError(
            ErrorCode.AWS_CONFIG_INVALID,
            f"The AWS configuration is not valid while {step}: {_config_detail(error)}; "
            "fix the profile in the AWS config file.",
        )

    if isinstance(error, aws.NoRegionError):
        return HelperError(
            ErrorCode.AWS_CONFIG_INVALID,
            f"No AWS region is set while {step}, and a custom endpoint needs one; add "
            "--region REGION to the config's command or set AWS_DEFAULT_REGION.",
        )

    if isinstance(error, aws.PartialCredentialsError):
        return HelperError(
            ErrorCode.AWS_CREDENTIALS_NOT_FOUND,
            f"Incomplete AWS credentials while {step}: {error.kwargs.get('cred_var')} is "
            "missing; set the access key ID and the secret access key together.",
        )

    if isinstance(error, aws.NoCredentialsError):
        return HelperError(
            ErrorCode.AWS_CREDENTIALS_NOT_FOUND,
            f"No AWS credentials while {step}; give the workload credentials through one "
            "of the sources in the README.",
        )

    if isinstance(error, aws.RefreshWithMFAUnsupportedError):
        return HelperError(
            ErrorCode.AWS_MFA_REQUIRED,
            f"An MFA code is needed while {step}; use a profile without mfa_serial.",
        )

    if isinstance(error, (aws.ConnectTimeoutError, aws.ReadTimeoutError)):
        return HelperError(
            ErrorCode.AWS_UNREACHABLE,
            f"No answer in time while {step}; check the host's network path to it, or "
            "raise --timeout.",
        )

    if isinstance(error, (aws.EndpointConnectionError, aws.ConnectionError)):
        return HelperError(
            ErrorCode.AWS_UNREACHABLE,
            f"Could not connect while {step}; check the host's network, proxy and "
            "endpoint settings (AWS_ENDPOINT_URL_*).",
        )

    if isinstance(error, (aws.HTTPClientError, ResponseParserError)):
        # A connection cut mid-answer, or an answer that is not an AWS response.
        return HelperError(
            ErrorCode.AWS_UNREACHABLE,
            f"The endpoint broke off or answered something that is not an AWS response "
            f"while {step}; check the endpoint settings (AWS_ENDPOINT_URL_*) and any proxy "
            "in the way, and retry.",
        )

    if isinstance(error, aws.ClientError):
        return _translate_service_error(error, step, caller)

    if isinstance(error, OSError) and error.filename is not None:
        return HelperError(
            ErrorCode.AWS_CONFIG_INVALID,
            f"Cannot read {error.filename!r} ({error.strerror}) while {step}; check the "
            "setting that names this file and its permissions.",
        )

    if isinstance(error, aws.BotoCoreError):
        return HelperError(
            ErrorCode.AWS_CONFIG_INVALID,
            f"botocore failed while {step}: {type(error).__name__}; check the AWS "
            "configuration of this profile.",
        )

    return HelperError(
        ErrorCode.INTERNAL,
        f"Unexpected {type(error).__name__} while {step}; please report it with the "
        "helper's --version.",
    )


def translate_source_failure(error: Exception, source: SourceFailure, step: str) -> HelperError:
    """Like `translate`, for an exception raised while a credential source was read."""
    if isinstance(error, _SSO_LOGIN_ERRORS):
        return HelperError(
            ErrorCode.AWS_SSO_LOGIN_REQUIRED,
            f"The IAM Identity Center (SSO) login of AWS profile {source.sso_profile!r} is "
            f"missing or has expired; run `aws sso login --profile {source.sso_profile}` as "
            "the user that runs this workload, then retry.",
        )

    if source.method == "custom-process" and not isinstance(error, HelperError):
        return _credential_process_failure(error, source)

    expiry = source.expiry
    if isinstance(error, RuntimeError) and expiry is not None and expiry <= _now():
        # botocore raises a bare RuntimeError when a refresh brings back expired keys.
        return HelperError(
            ErrorCode.AWS_CREDENTIALS_EXPIRED,
            f"The credentials from {source.name} expired at {expiry:%Y-%m-%dT%H:%M:%SZ}; "
            "renew them at their source, and check this host's clock.",
        )

    if isinstance(error, ValueError):
        # botocore raises ValueError for settings it cannot use, like a container
        # address it does not allow or an authorization token with a line break.
        return HelperError(
            ErrorCode.AWS_CONFIG_INVALID,
            f"A setting of {source.name} is not usable: {_config_detail(error)}; fix it.",
        )

    return translate(error, step)


def _credential_process_failure(error: Exception, source: SourceFailure) -> HelperError:
    # The process's stderr and stdout may hold secrets, so neither is repeated.
    if isinstance(error, OSError):
        what = f"could not be started ({error.strerror})"
    elif isinstance(error, ValueError):
        what = "printed something that is not JSON"
    elif isinstance(error, aws.CredentialRetrievalError):
        what = (
            "exited with an error or printed an unusable answer (it must exit 0 and print "
            'JSON with "Version": 1, AccessKeyId and SecretAccessKey)'
        )
    elif isinstance(error, RuntimeError):
        what = "returned credentials that have already expired"
    else:
        what = f"failed ({type(error).__name__})"

    return HelperError(
        ErrorCode.AWS_CREDENTIAL_PROCESS_FAILED,
        f"The credential_process of AWS profile {source.profile!r} {what}; run that "
        "command by hand as this user to see why.",
    )


def _translate_service_error(error: aws.ClientError, step: str, caller: str | None) -> HelperError:
    details = error.response.get("Error", {})
    code = str(details.get("Code", ""))
    operation = error.operation_name
    as_caller = f" to {caller}" if caller else ""
    of_caller = f" ({caller})" if caller else ""

    if operation == _WEB_IDENTITY_OPERATION:
        specific = _translate_web_identity_error(code, str(details.get("Message", "")), step)
        if specific is not None:
            return specific

    if code in _CLOCK_SKEW_CODES or (
        code in _CLOCK_SKEW_SIGNATURE_CODES
        and str(details.get("Message", "")).startswith(_CLOCK_SKEW_MESSAGES)
    ):
        return HelperError(
            ErrorCode.AWS_CLOCK_SKEW,
            f"AWS refused {operation} while {step} because the request's time is too far "
            "from AWS's clock: this host's clock is off. Synchronize it (NTP, chrony); the "
            "tokens signed here carry the same wrong time.",
        )
    if code in _ACCESS_DENIED_CODES:
        return HelperError(
            ErrorCode.AWS_ACCESS_DENIED,
            f"AWS denied {operation}{as_caller} while {step}; the role's trust policy must "
            "allow this caller, and the caller needs the permission for it.",
        )
    if code in _EXPIRED_CODES:
        return HelperError(
            ErrorCode.AWS_CREDENTIALS_EXPIRED,
            f"AWS says the credentials{of_caller} used for {operation} have expired, while "
            f"{step}; renew them at their source.",
        )
    if code in _INVALID_KEY_CODES:
        return HelperError(
            ErrorCode.AWS_ACCESS_DENIED,
            f"AWS did not accept the credentials{of_caller} used for {operation} ({code}) "
            f"while {step}; check that they are current and complete.",
        )
    if (
        code in _THROTTLING_CODES
        or error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 429
    ):
        return HelperError(
            ErrorCode.AWS_THROTTLED,
            f"AWS throttled {operation} while {step}; retry later, and set output_file in "
            "the credential config so responses are reused.",
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


def _shown_name(name: object) -> str:
    """A name for a message, quoted and cut short."""
    text = str(name)
    if len(text) > _SHOWN_NAME_CHARACTERS:
        text = text[:_SHOWN_NAME_CHARACTERS] + "..."
    return repr(text)


def _config_detail(error: Exception) -> str:
    text = " ".join(str(error).split())
    return text[:_CONFIG_DETAIL_CHARACTERS].rstrip(".")


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)
