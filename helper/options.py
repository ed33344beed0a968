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
    "options_from_namespace",
    "parse_helper_options",
]

# The clients' smallest allowed timeout_millis is 5 000: the default leaves more
# than a second of it for process start-up and for the client's own work.
DEFAULT_TIMEOUT_SECONDS = 3.0
MAX_TIMEOUT_SECONDS = 120.0

StsEndpointChoice = str  # "auto", "regional" or "global"
_STS_ENDPOINT_CHOICES = ("auto", "regional", "global")
_REGION = re.compile(r"[a-z]{2}(?:-[a-z]+)+-[0-9]{1,2}")

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
    # OIDC mode only; no audiences means the provider's default (`https:` + audience).
    jwt_audiences: tuple[str, ...] = ()
    signing_algorithm: str = DEFAULT_SIGNING_ALGORITHM
    token_lifetime_seconds: int = DEFAULT_TOKEN_LIFETIME_SECONDS


class _RaisingParser(argparse.ArgumentParser):
    """An argument parser that raises instead of printing and exiting."""

    def error(self, message: str) -> NoReturn:
        raise HelperError(
            ErrorCode.INVALID_REQUEST,
            f"Bad helper option in the credential config's command: {message}; "
            "see `aws-wif-helper --help`.",
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
    # Read before parsing by `helper.log.requested_path`, so bad options are logged too.
    parser.add_argument(
        "--log-file",
        metavar="PATH",
        help="append one line per step of each run to PATH (or set AWS_WIF_HELPER_LOG_FILE)",
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
    """A parser whose errors become `HelperError` instead of exiting."""
    return _RaisingParser(prog=prog, description=description, add_help=False)


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
    if region is not None and not _REGION.fullmatch(region):
        raise HelperError(
            ErrorCode.INVALID_REQUEST,
            "--region is not an AWS region name; use a name like us-east-1.",
        )

    profile = namespace.profile
    if profile is not None and (not profile.strip() or not profile.isprintable()):
        raise HelperError(
            ErrorCode.INVALID_REQUEST, "--profile must name a profile from the AWS config."
        )

    return HelperOptions(
        profile=profile,
        region=region,
        sts_endpoint=sts_endpoint,
        timeout_seconds=_parse_timeout(namespace.timeout),
        jwt_audiences=_check_jwt_audiences(namespace.jwt_audience),
        signing_algorithm=_check_signing_algorithm(namespace.signing_algorithm),
        token_lifetime_seconds=_parse_token_lifetime(namespace.token_lifetime),
    )


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
