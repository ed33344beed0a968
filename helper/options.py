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

__all__ = [
    "DEFAULT_TIMEOUT_SECONDS",
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


@dataclasses.dataclass(frozen=True)
class HelperOptions:
    """Options that shape how credentials are found and the token is made."""

    profile: str | None = None
    region: str | None = None
    sts_endpoint: StsEndpointChoice = "auto"
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS


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
