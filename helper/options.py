"""The helper's own options, given after the command in the credential config.

The same options serve protocol mode and `aws-wif-helper token`. Parsing never
prints or exits: a bad option becomes a `HelperError` with `INVALID_REQUEST`,
which protocol mode reports as a failure response and the commands for people
print on stderr.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import re
from collections.abc import Sequence
from typing import NoReturn

from helper.allowed_audience import check_patterns
from helper.errors import ErrorCode, HelperError
from helper.expiry import MIN_TOKEN_LIFETIME_SECONDS, SAFETY_MARGIN_SECONDS

__all__ = [
    "DEFAULT_SIGNING_ALGORITHM",
    "DEFAULT_TIMEOUT_SECONDS",
    "DEFAULT_TOKEN_LIFETIME_SECONDS",
    "SIGNING_ALGORITHMS",
    "HelperOptions",
    "StsEndpointChoice",
    "add_helper_options",
    "is_region_name",
    "options_from_namespace",
    "parse_helper_options",
]

# The clients' smallest allowed timeout_millis is 5 000. The deadline counts from
# the helper's own start (a frozen build's unpacking included), so the default
# leaves 2 s of those 5 for the client to spawn the helper and read its answer.
DEFAULT_TIMEOUT_SECONDS = 3.0
MAX_TIMEOUT_SECONDS = 120.0

StsEndpointChoice = str  # "auto", "regional" or "global"
_STS_ENDPOINT_CHOICES = ("auto", "regional", "global")
_REGION = re.compile(r"[a-z]{2}(?:-[a-z]+)+-[0-9]{1,2}")
# The shapes AWS STS accepts for AssumeRole's RoleArn, RoleSessionName and ExternalId.
_ROLE_ARN = re.compile(r"arn:aws[a-z-]*:iam::[0-9]{12}:role/[\w+=,.@/-]{1,512}", re.ASCII)
_ROLE_SESSION_NAME = re.compile(r"[\w+=,.@-]{2,64}", re.ASCII)
_EXTERNAL_ID = re.compile(r"[\w+=,.@:/-]{2,1224}", re.ASCII)

# OIDC mode: what AWS STS GetWebIdentityToken accepts.
SIGNING_ALGORITHMS = ("RS256", "ES384")
DEFAULT_SIGNING_ALGORITHM = "RS256"
DEFAULT_TOKEN_LIFETIME_SECONDS = 300
MAX_TOKEN_LIFETIME_SECONDS = 3600
# AWS issues tokens from 60 s, but the response claims SAFETY_MARGIN_SECONDS
# less than the token lives and must still be usable for a minute.
MIN_TOKEN_LIFETIME_OPTION_SECONDS = SAFETY_MARGIN_SECONDS + MIN_TOKEN_LIFETIME_SECONDS
MAX_JWT_AUDIENCES = 10
MAX_JWT_AUDIENCE_CHARACTERS = 1000


@dataclasses.dataclass(frozen=True)
class HelperOptions:
    """Options that shape how credentials are found and the token is made."""

    profile: str | None = None
    region: str | None = None
    sts_endpoint: StsEndpointChoice = "auto"
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS
    # --allowed-audience: the providers this helper may sign for (helper.allowed_audience).
    allowed_audiences: tuple[str, ...] = ()
    # --role-arn: one AssumeRole on top of whatever the chain found.
    role_arn: str | None = None
    role_session_name: str | None = None
    external_id: str | None = dataclasses.field(default=None, repr=False)
    # OIDC mode only; no audiences means the provider's default (`https:` + audience).
    jwt_audiences: tuple[str, ...] = ()
    signing_algorithm: str = DEFAULT_SIGNING_ALGORITHM
    token_lifetime_seconds: int = DEFAULT_TOKEN_LIFETIME_SECONDS


class _RaisingParser(argparse.ArgumentParser):
    """An argument parser that raises instead of printing and exiting."""

    def error(self, message: str) -> NoReturn:
        where = (
            "in the credential config's command"
            if self.prog == "aws-wif-helper"
            else f"for `{self.prog}`"
        )
        raise HelperError(
            ErrorCode.INVALID_REQUEST,
            f"Bad helper option {where}: {message}; see `{self.prog} --help`.",
        )


def add_helper_options(parser: argparse.ArgumentParser) -> None:
    """Add the options shared by protocol mode and the `token` command."""
    parser.add_argument("--profile", help="AWS profile to use (default: AWS_PROFILE or the chain)")
    parser.add_argument(
        "--region",
        help="AWS region of the STS endpoint (default: AWS_REGION, AWS_DEFAULT_REGION, profile)",
    )
    parser.add_argument(
        "--sts-endpoint",
        default="auto",
        help="regional, global or auto (regional when a region is known)",
    )
    parser.add_argument(
        "--timeout",
        default=str(DEFAULT_TIMEOUT_SECONDS),
        metavar="SECONDS",
        help=f"deadline for the whole run (default {DEFAULT_TIMEOUT_SECONDS:g})",
    )
    parser.add_argument("--role-arn", help="assume this role with the credentials the chain found")
    parser.add_argument("--role-session-name", help="session name for --role-arn")
    parser.add_argument("--external-id", help="external ID the role's trust policy asks for")
    # Read before parsing by `helper.log.requested_path`, so bad options are logged too.
    parser.add_argument(
        "--log-file",
        metavar="PATH",
        help="append one line per step of each run to PATH (or set AWS_WIF_HELPER_LOG_FILE)",
    )
    parser.add_argument(
        "--allowed-audience",
        action="append",
        default=[],
        dest="allowed_audiences",
        metavar="PATTERN",
        help="sign only for audiences matching PATTERN (repeatable; * within one segment)",
    )
    parser.add_argument(
        "--jwt-audience",
        action="append",
        default=[],
        metavar="AUDIENCE",
        help="OIDC mode: the token's aud (repeatable; default https: + the provider's name)",
    )
    parser.add_argument(
        "--signing-algorithm",
        default=DEFAULT_SIGNING_ALGORITHM,
        help=f"OIDC mode: {' or '.join(SIGNING_ALGORITHMS)} (default {DEFAULT_SIGNING_ALGORITHM})",
    )
    parser.add_argument(
        "--token-lifetime",
        default=str(DEFAULT_TOKEN_LIFETIME_SECONDS),
        metavar="SECONDS",
        help=f"OIDC mode: how long the token lives (default {DEFAULT_TOKEN_LIFETIME_SECONDS})",
    )


def new_parser(prog: str, description: str) -> argparse.ArgumentParser:
    """A parser whose errors become `HelperError` instead of exiting.

    Abbreviated options are refused: `--prof` must not quietly mean `--profile`
    today and become ambiguous when a later version adds an option.
    """
    return _RaisingParser(prog=prog, description=description, add_help=False, allow_abbrev=False)


def parse_helper_options(argv: Sequence[str]) -> HelperOptions:
    """Parse protocol-mode options; raise `HelperError` on anything unknown or bad."""
    parser = new_parser("aws-wif-helper", "protocol mode")
    add_helper_options(parser)
    return options_from_namespace(parser.parse_args(list(argv)))


def options_from_namespace(namespace: argparse.Namespace) -> HelperOptions:
    """Check parsed values and build `HelperOptions`."""
    sts_endpoint = namespace.sts_endpoint
    if sts_endpoint not in _STS_ENDPOINT_CHOICES:
        raise HelperError(
            ErrorCode.INVALID_REQUEST,
            f"--sts-endpoint must be one of {', '.join(_STS_ENDPOINT_CHOICES)}.",
        )

    region = namespace.region
    if region is not None and not is_region_name(region):
        raise HelperError(
            ErrorCode.INVALID_REQUEST,
            "--region is not an AWS region name; use a name like us-east-1.",
        )

    profile = namespace.profile
    if profile is not None and (not profile.strip() or not profile.isprintable()):
        raise HelperError(
            ErrorCode.INVALID_REQUEST, "--profile must name a profile from the AWS config."
        )

    _check_role_options(namespace.role_arn, namespace.role_session_name, namespace.external_id)

    return HelperOptions(
        profile=profile,
        region=region,
        sts_endpoint=sts_endpoint,
        timeout_seconds=_parse_timeout(namespace.timeout),
        allowed_audiences=check_patterns(namespace.allowed_audiences, "--allowed-audience"),
        role_arn=namespace.role_arn,
        role_session_name=namespace.role_session_name,
        external_id=namespace.external_id,
        jwt_audiences=_check_jwt_audiences(namespace.jwt_audience),
        signing_algorithm=_check_signing_algorithm(namespace.signing_algorithm),
        token_lifetime_seconds=_parse_token_lifetime(namespace.token_lifetime),
    )


def _check_role_options(
    role_arn: str | None, session_name: str | None, external_id: str | None
) -> None:
    if role_arn is None:
        if session_name is not None or external_id is not None:
            raise HelperError(
                ErrorCode.INVALID_REQUEST,
                "--role-session-name and --external-id only apply to --role-arn; add "
                "--role-arn or remove them.",
            )
        return

    if not _ROLE_ARN.fullmatch(role_arn):
        raise HelperError(
            ErrorCode.INVALID_REQUEST,
            "--role-arn is not an IAM role ARN; use the form "
            "arn:aws:iam::ACCOUNT_ID:role/ROLE_NAME.",
        )
    if session_name is not None and not _ROLE_SESSION_NAME.fullmatch(session_name):
        raise HelperError(
            ErrorCode.INVALID_REQUEST,
            "--role-session-name must be 2 to 64 letters, digits or any of + = , . @ _ -.",
        )
    if external_id is not None and not _EXTERNAL_ID.fullmatch(external_id):
        # The value is not repeated: an external ID is often treated as a shared secret.
        raise HelperError(
            ErrorCode.INVALID_REQUEST,
            "--external-id must be 2 to 1224 letters, digits or any of + = , . @ : / _ -.",
        )


def is_region_name(text: str) -> bool:
    """Whether `text` has the shape of an AWS region name (us-east-1, eu-central-2, ...)."""
    return _REGION.fullmatch(text) is not None


def _parse_timeout(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not (0 < seconds <= MAX_TIMEOUT_SECONDS):
        raise HelperError(
            ErrorCode.INVALID_REQUEST,
            f"--timeout must be a number of seconds above 0 and at most "
            f"{MAX_TIMEOUT_SECONDS:g}, below the config's timeout_millis.",
        )
    return seconds


def _check_jwt_audiences(audiences: Sequence[str]) -> tuple[str, ...]:
    if len(audiences) > MAX_JWT_AUDIENCES:
        raise HelperError(
            ErrorCode.INVALID_REQUEST,
            f"--jwt-audience is given {len(audiences)} times; AWS puts at most "
            f"{MAX_JWT_AUDIENCES} audiences in a token, so drop some.",
        )

    for audience in audiences:
        if (
            not audience
            or not audience.isascii()
            or not audience.isprintable()
            or (audience != audience.strip())
        ):
            raise HelperError(
                ErrorCode.INVALID_REQUEST,
                "--jwt-audience must be a non-empty audience without spaces or control "
                "characters, such as the provider's allowed audience https://example.com.",
            )
        if len(audience) > MAX_JWT_AUDIENCE_CHARACTERS:
            raise HelperError(
                ErrorCode.INVALID_REQUEST,
                f"--jwt-audience is longer than the {MAX_JWT_AUDIENCE_CHARACTERS} characters "
                "AWS accepts; use a shorter allowed audience on the Google provider.",
            )

    return tuple(dict.fromkeys(audiences))


def _check_signing_algorithm(text: str) -> str:
    algorithm = text.upper()
    if algorithm not in SIGNING_ALGORITHMS:
        shown = text if text.isascii() and text.isprintable() else "?"
        raise HelperError(
            ErrorCode.INVALID_SIGNING_ALGORITHM,
            f"--signing-algorithm {shown[:20]!r} is not one AWS STS signs tokens with; use "
            f"{' or '.join(SIGNING_ALGORITHMS)} (default {DEFAULT_SIGNING_ALGORITHM}).",
        )
    return algorithm


def _parse_token_lifetime(text: str) -> int:
    try:
        seconds = int(text)
    except ValueError:
        seconds = 0
    if not (MIN_TOKEN_LIFETIME_OPTION_SECONDS <= seconds <= MAX_TOKEN_LIFETIME_SECONDS):
        raise HelperError(
            ErrorCode.INVALID_TOKEN_LIFETIME,
            f"--token-lifetime must be a whole number of seconds from "
            f"{MIN_TOKEN_LIFETIME_OPTION_SECONDS} to {MAX_TOKEN_LIFETIME_SECONDS} (default "
            f"{DEFAULT_TOKEN_LIFETIME_SECONDS}): AWS issues tokens for at most "
            f"{MAX_TOKEN_LIFETIME_SECONDS} s, and the helper reports them expired "
            f"{SAFETY_MARGIN_SECONDS} s early yet usable for at least "
            f"{MIN_TOKEN_LIFETIME_SECONDS} s.",
        )
    return seconds
