"""What the Google client asks for, read from the variables it sets.

The clients pass everything through `GOOGLE_EXTERNAL_ACCOUNT_*` environment
variables. `read_request` turns them into a checked `TokenRequest`, or raises a
`HelperError` that says which variable is wrong and how to fix the config.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from helper.audience import check_audience
from helper.errors import ErrorCode, HelperError

__all__ = [
    "AWS_TOKEN_TYPE",
    "ID_TOKEN_TYPE",
    "JWT_TOKEN_TYPE",
    "OIDC_TOKEN_TYPES",
    "PROTOCOL_VARIABLES",
    "TokenRequest",
    "read_request",
]

AWS_TOKEN_TYPE = "urn:ietf:params:aws:token-type:aws4_request"
JWT_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:jwt"
ID_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:id_token"

AUDIENCE_VARIABLE = "GOOGLE_EXTERNAL_ACCOUNT_AUDIENCE"
TOKEN_TYPE_VARIABLE = "GOOGLE_EXTERNAL_ACCOUNT_TOKEN_TYPE"
OUTPUT_FILE_VARIABLE = "GOOGLE_EXTERNAL_ACCOUNT_OUTPUT_FILE"
INTERACTIVE_VARIABLE = "GOOGLE_EXTERNAL_ACCOUNT_INTERACTIVE"
IMPERSONATED_EMAIL_VARIABLE = "GOOGLE_EXTERNAL_ACCOUNT_IMPERSONATED_EMAIL"
REVOKE_VARIABLE = "GOOGLE_EXTERNAL_ACCOUNT_REVOKE"

# Any of these in the environment means a Google client is running us.
PROTOCOL_VARIABLES = (
    AUDIENCE_VARIABLE,
    TOKEN_TYPE_VARIABLE,
    OUTPUT_FILE_VARIABLE,
    INTERACTIVE_VARIABLE,
    IMPERSONATED_EMAIL_VARIABLE,
    REVOKE_VARIABLE,
)

# AWS mode signs GetCallerIdentity; OIDC mode asks AWS STS for a JWT (oidc_token).
OIDC_TOKEN_TYPES = (JWT_TOKEN_TYPE, ID_TOKEN_TYPE)
_SUPPORTED_TOKEN_TYPES = (AWS_TOKEN_TYPE, *OIDC_TOKEN_TYPES)


@dataclasses.dataclass(frozen=True)
class TokenRequest:
    """One checked request from a Google client."""

    audience: str
    token_type: str
    output_file: str | None
    interactive: bool
    impersonated_email: str | None
    revoke: bool


def read_request(environ: Mapping[str, str]) -> TokenRequest:
    """Read and check the protocol variables; raise `HelperError` on bad input."""
    revoke = _read_flag(environ, REVOKE_VARIABLE)
    interactive = _read_flag(environ, INTERACTIVE_VARIABLE)
    output_file = _read_optional(environ, OUTPUT_FILE_VARIABLE)
    impersonated_email = _read_optional(environ, IMPERSONATED_EMAIL_VARIABLE)

    if revoke:
        # Revocation only forgets the cached response; it needs no audience.
        return TokenRequest("", "", output_file, interactive, impersonated_email, True)

    audience = check_audience(_read_required(environ, AUDIENCE_VARIABLE))
    token_type = _check_token_type(_read_required(environ, TOKEN_TYPE_VARIABLE))
    return TokenRequest(audience, token_type, output_file, interactive, impersonated_email, False)


def _read_required(environ: Mapping[str, str], name: str) -> str:
    value = environ.get(name)
    if value is None:
        raise HelperError(
            ErrorCode.INVALID_REQUEST,
            f"{name} is not set; run the helper through a Google client with a "
            "credential config, or use `aws-wif-helper token` by hand.",
        )
    if not value.strip():
        raise HelperError(
            ErrorCode.INVALID_REQUEST,
            f"{name} is empty; check the credential config that runs this helper.",
        )
    return value


def _read_optional(environ: Mapping[str, str], name: str) -> str | None:
    value = environ.get(name)
    return value if value else None


def _read_flag(environ: Mapping[str, str], name: str) -> bool:
    value = environ.get(name, "")
    if value in ("", "0"):
        return False
    if value == "1":
        return True
    raise HelperError(
        ErrorCode.INVALID_REQUEST,
        f"{name} must be 0 or 1; it is set to something else by the environment, "
        "not by a Google client: unset it.",
    )


def _check_token_type(token_type: str) -> str:
    if token_type in _SUPPORTED_TOKEN_TYPES:
        return token_type

    shown = token_type if token_type.isascii() and token_type.isprintable() else "?"
    raise HelperError(
        ErrorCode.UNSUPPORTED_TOKEN_TYPE,
        f"The subject token type {shown[:100]!r} is not one this helper makes; set the "
        f"config's subject_token_type to {AWS_TOKEN_TYPE} (AWS mode) or to {JWT_TOKEN_TYPE} "
        "(OIDC mode, which every client, gcloud included, can load).",
    )
