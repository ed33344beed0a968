"""OIDC mode: a JWT that AWS STS signs about the caller, for a Google OIDC provider.

Python's default credential loader (and with it gcloud, bq and every Python
client library) cannot load an executable config whose `subject_token_type` is
the AWS one, but every client runs the helper when the type is
`...:token-type:jwt` or `...:token-type:id_token`. For those types the helper
asks AWS STS `GetWebIdentityToken` ("outbound identity federation") for a token
about the identity botocore's chain resolved. AWS signs it with the account's
key, published under the account's issuer URL, so a workload identity pool
OIDC provider with that issuer verifies it like any other OIDC token:

    header  {"alg": "RS256", "kid": "...", "typ": "JWT"}
    claims  {"iss": "https://ISSUER-ID.tokens.sts.global.api.aws",
             "aud": "https://iam.googleapis.com/projects/123/.../providers/PROVIDER",
             "sub": "arn:aws:iam::111122223333:role/workload",
             "iat": 1767225300, "exp": 1767225600, "jti": "...",
             "https://sts.amazonaws.com/": {"aws_account": "111122223333", ...}}

Only regional STS endpoints serve the call, so a region must be known. A
provider with no allowed audiences of its own accepts `https:` followed by its
full name, which is the default audience here; `--jwt-audience` replaces it.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import datetime
import json
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from helper.aws_session import connect_timeout_seconds
from helper.credentials import AwsCredentials
from helper.deadline import Deadline
from helper.errors import ErrorCode, HelperError
from helper.options import MIN_TOKEN_LIFETIME_OPTION_SECONDS, HelperOptions, StsEndpointChoice

if TYPE_CHECKING:
    import botocore.session

__all__ = [
    "WebIdentityToken",
    "default_jwt_audience",
    "get_web_identity_token",
    "jwt_audiences",
    "oidc_region",
    "sts_client",
    "token_answers",
    "token_duration_seconds",
    "unverified_claims",
]

# AWS refuses a token that would outlive the session of the credentials asking
# for it; this much is kept back for a host clock that runs behind AWS's.
SESSION_CLOCK_SLACK_SECONDS = 30
# Credentials that leave less than this are asked for again before the call.
MIN_SESSION_SECONDS = MIN_TOKEN_LIFETIME_OPTION_SECONDS + SESSION_CLOCK_SLACK_SECONDS


@dataclasses.dataclass(frozen=True)
class WebIdentityToken:
    """A JWT from GetWebIdentityToken and the moment it stops being valid."""

    token: str = dataclasses.field(repr=False)
    expires_at: datetime.datetime


def default_jwt_audience(audience: str) -> str:
    """`https:` + the provider's name: what a provider without allowed audiences accepts."""
    return audience if audience.startswith("https:") else "https:" + audience


def jwt_audiences(audience: str, chosen: Sequence[str]) -> tuple[str, ...]:
    """The `aud` values to ask for: `--jwt-audience` values, else the provider's default."""
    return tuple(chosen) if chosen else (default_jwt_audience(audience),)


def oidc_region(region: str | None, choice: StsEndpointChoice) -> str:
    """The region whose STS endpoint issues the token; fails without one."""
    if choice == "global":
        raise HelperError(
            ErrorCode.INVALID_REQUEST,
            "The global STS endpoint does not issue OIDC tokens (GetWebIdentityToken); "
            "remove --sts-endpoint global from the config's command and name a region "
            "with --region REGION.",
        )

    if not region:
        raise HelperError(
            ErrorCode.AWS_REGION_REQUIRED,
            "OIDC tokens come only from a regional STS endpoint and no AWS region is "
            "known; add --region REGION (for example --region us-east-1) to the config's "
            "command, or set AWS_REGION or AWS_DEFAULT_REGION, or `region` in the profile.",
        )
    return region


def token_duration_seconds(
    lifetime_seconds: int, credentials_expiry: datetime.datetime | None, now: datetime.datetime
) -> int:
    """`--token-lifetime`, shortened so the token does not outlive the credentials' session."""
    if credentials_expiry is None:
        return lifetime_seconds

    session_left = (credentials_expiry - now).total_seconds() - SESSION_CLOCK_SLACK_SECONDS
    duration = min(lifetime_seconds, math.floor(session_left))
    if duration < MIN_TOKEN_LIFETIME_OPTION_SECONDS:
        raise HelperError(
            ErrorCode.AWS_CREDENTIALS_EXPIRED,
            f"The AWS credentials expire in {max(0, math.floor(session_left))} s, too soon "
            "for a usable OIDC token even after a refresh (AWS will not issue a token "
            "that outlives them); check the clock of this host and the session duration "
            "of the credential source.",
        )
    return duration


def get_web_identity_token(
    session: botocore.session.Session,
    credentials: AwsCredentials,
    region: str,
    audiences: Sequence[str],
    signing_algorithm: str,
    duration_seconds: int,
    deadline: Deadline,
) -> WebIdentityToken:
    """Call STS GetWebIdentityToken in `region` with `credentials`; return the JWT."""
    client = sts_client(session, credentials, region, deadline)

    answer = client.get_web_identity_token(
        Audience=list(audiences),
        SigningAlgorithm=signing_algorithm,
        DurationSeconds=duration_seconds,
    )

    token = answer.get("WebIdentityToken")
    if not isinstance(token, str) or token.count(".") != 2:
        raise HelperError(
            ErrorCode.AWS_UNREACHABLE,
            "AWS STS answered GetWebIdentityToken without a token; retry, and check the "
            "endpoint settings (AWS_ENDPOINT_URL_STS, endpoint_url) if it persists.",
        )
    return WebIdentityToken(token, _expiry_of(answer.get("Expiration"), token))


def token_answers(token: str, audience: str, options: HelperOptions) -> bool:
    """Whether a token issued earlier has the audiences and algorithm this run would ask for.

    The output-file cache uses it to share one token among runs that start at once.
    """
    header = _unverified_part(token, 0) or {}
    claims = unverified_claims(token) or {}
    aud = claims.get("aud")
    issued_for = [aud] if isinstance(aud, str) else aud
    if not isinstance(issued_for, list):
        return False
    return header.get("alg") == options.signing_algorithm and set(issued_for) == set(
        jwt_audiences(audience, options.jwt_audiences)
    )


def sts_client(
    session: botocore.session.Session,
    credentials: AwsCredentials,
    region: str,
    deadline: Deadline,
) -> Any:
    """A botocore STS client for the regional endpoint, with timeouts from the deadline.

    AWS_ENDPOINT_URL_STS and a profile's endpoint_url still apply (tests use them).
    """
    import botocore.config

    # A profile may still ask for the legacy global endpoint for us-east-1.
    session.set_config_variable("sts_regional_endpoints", "regional")
    return session.create_client(
        "sts",
        region_name=region,
        aws_access_key_id=credentials.access_key,
        aws_secret_access_key=credentials.secret_key,
        aws_session_token=credentials.token,
        config=botocore.config.Config(
            connect_timeout=connect_timeout_seconds(deadline),
            read_timeout=deadline.timeout_seconds(),
        ),
    )


def unverified_claims(token: str) -> dict[str, Any] | None:
    """The claims of a JWT, read without checking its signature; None if malformed.

    Good for what the helper itself issued (its expiry, its audiences), never
    for trusting a token from elsewhere.
    """
    return _unverified_part(token, 1)


def _unverified_part(token: str, index: int) -> dict[str, Any] | None:
    try:
        part = token.split(".")[index]
        decoded = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    except (IndexError, ValueError, binascii.Error):
        return None
    return decoded if isinstance(decoded, dict) else None


def _expiry_of(expiration: object, token: str) -> datetime.datetime:
    """The `Expiration` STS returned, else the token's own `exp` claim."""
    if isinstance(expiration, datetime.datetime):
        if expiration.tzinfo is None:
            return expiration.replace(tzinfo=datetime.timezone.utc)
        return expiration.astimezone(datetime.timezone.utc)

    claims = unverified_claims(token) or {}
    exp = claims.get("exp")
    if isinstance(exp, (int, float)) and not isinstance(exp, bool):
        return datetime.datetime.fromtimestamp(exp, tz=datetime.timezone.utc)

    raise HelperError(
        ErrorCode.AWS_UNREACHABLE,
        "AWS STS answered GetWebIdentityToken without saying when the token expires; "
        "retry, and check the endpoint settings (AWS_ENDPOINT_URL_STS) if it persists.",
    )
