"""The failure codes of the helper, and the one exception type that carries them.

Every failure the helper reports, in protocol mode or to a person, is a
`HelperError` with a code from `ErrorCode`. The code is the stable part that
scripts and the README table rely on; the message is one sentence for a person
that says what to do next. Messages never contain secrets: code that builds
them shows identifiers through `helper.redact.shorten`.
"""

from __future__ import annotations

import enum

__all__ = ["ErrorCode", "HelperError"]


class ErrorCode(str, enum.Enum):
    """Codes written to the `code` field of a failure response."""

    INVALID_REQUEST = "INVALID_REQUEST"
    AUDIENCE_NOT_ALLOWED = "AUDIENCE_NOT_ALLOWED"
    UNSUPPORTED_TOKEN_TYPE = "UNSUPPORTED_TOKEN_TYPE"
    AWS_CREDENTIALS_NOT_FOUND = "AWS_CREDENTIALS_NOT_FOUND"
    AWS_PROFILE_NOT_FOUND = "AWS_PROFILE_NOT_FOUND"
    AWS_CONFIG_INVALID = "AWS_CONFIG_INVALID"
    AWS_CREDENTIALS_EXPIRED = "AWS_CREDENTIALS_EXPIRED"
    AWS_CLOCK_SKEW = "AWS_CLOCK_SKEW"
    AWS_MFA_REQUIRED = "AWS_MFA_REQUIRED"
    AWS_SSO_LOGIN_REQUIRED = "AWS_SSO_LOGIN_REQUIRED"
    AWS_CREDENTIAL_PROCESS_FAILED = "AWS_CREDENTIAL_PROCESS_FAILED"
    AWS_ACCESS_DENIED = "AWS_ACCESS_DENIED"
    AWS_THROTTLED = "AWS_THROTTLED"
    AWS_UNREACHABLE = "AWS_UNREACHABLE"
    AWS_REGION_REQUIRED = "AWS_REGION_REQUIRED"
    AWS_OIDC_FEDERATION_DISABLED = "AWS_OIDC_FEDERATION_DISABLED"
    AWS_OIDC_ACCESS_DENIED = "AWS_OIDC_ACCESS_DENIED"
    INVALID_SIGNING_ALGORITHM = "INVALID_SIGNING_ALGORITHM"
    INVALID_TOKEN_LIFETIME = "INVALID_TOKEN_LIFETIME"
    DEADLINE_EXCEEDED = "DEADLINE_EXCEEDED"
    OUTPUT_FILE_ERROR = "OUTPUT_FILE_ERROR"
    # Answered by the binary's launcher (build/launcher/launcher.c) before the
    # helper's own code runs; listed here so the codes have one home.
    UNPACK_FOLDER_UNAVAILABLE = "UNPACK_FOLDER_UNAVAILABLE"
    LAUNCH_FAILED = "LAUNCH_FAILED"
    INTERNAL = "INTERNAL"


class HelperError(Exception):
    """A failure with a documented code and a message that tells the user the fix."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return f"{self.code.value}: {self.message}"
