"""Which providers this helper may sign for: the guard against borrowed identities.

Whoever can write a credential config that names this helper can make it sign
a token bound to any provider, in any project: the host's AWS identity would
then be lent to a pool its owners never chose. The allowed audiences close
that door. They come from two places:

* `--allowed-audience PATTERN` in the config's command (repeatable), which
  `create-config` writes by default with the audience it was given;
* `AWS_WIF_HELPER_ALLOWED_AUDIENCES` in the environment, patterns separated by
  commas or white space, which whoever runs the workload sets (a config cannot).

When both are given, the audience must match a pattern of each: neither can
widen what the other allows. A pattern is a provider's full name in which `*`
stands for any run of characters within one segment (never a `/`):

    //iam.googleapis.com/projects/123/locations/global/workloadIdentityPools/aws-pool/providers/*

An `https:` prefix on either side is ignored, since `https://iam...` and
`//iam...` name the same provider. Without any pattern, only providers of
Google's public universe (`iam.googleapis.com`) are signed for: another
universe domain must be allowed by name.

In OIDC mode the patterns also bind the JWT's audiences (`--jwt-audience`),
which need not be provider names. The checks run on the request alone, before
any credential is looked up.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence

from helper.errors import ErrorCode, HelperError

__all__ = [
    "ALLOWED_AUDIENCES_VARIABLE",
    "PUBLIC_AUDIENCE_PREFIX",
    "AudiencePolicy",
    "audience_policy",
    "check_patterns",
]

ALLOWED_AUDIENCES_VARIABLE = "AWS_WIF_HELPER_ALLOWED_AUDIENCES"
PUBLIC_AUDIENCE_PREFIX = "//iam.googleapis.com/"

_HTTPS = "https:"
_SEPARATORS = re.compile(r"[\s,]+")
_PATTERN_CHARACTERS = re.compile(r"[!-~]+")  # printable ASCII, no space


@dataclasses.dataclass(frozen=True)
class AudiencePolicy:
    """The patterns from the command line and from the environment; empty means not given."""

    from_options: tuple[str, ...] = ()
    from_environment: tuple[str, ...] = ()

    @property
    def restricted(self) -> bool:
        """Whether any pattern was given at all."""
        return bool(self.from_options or self.from_environment)

    def allows(self, audience: str) -> bool:
        """Whether the helper may sign a token for `audience` (a checked provider name)."""
        if not self.restricted:
            return _without_https(audience).startswith(PUBLIC_AUDIENCE_PREFIX)
        return all(
            _matches_any(patterns, audience)
            for patterns in (self.from_options, self.from_environment)
            if patterns
        )

    def check(self, audience: str) -> None:
        """Raise `AUDIENCE_NOT_ALLOWED` unless the policy allows `audience`."""
        if self.allows(audience):
            return

        if not self.restricted:
            raise HelperError(
                ErrorCode.AUDIENCE_NOT_ALLOWED,
                f"The audience {audience!r} is outside Google's public universe "
                f"({PUBLIC_AUDIENCE_PREFIX}...), and no allowed audience names it; if this "
                "workload really federates with that universe, add --allowed-audience "
                "AUDIENCE to the config's command.",
            )
        raise HelperError(
            ErrorCode.AUDIENCE_NOT_ALLOWED,
            f"The audience {audience!r} matches none of the audiences this helper may sign "
            f"for ({self.describe()}); if this workload should use that provider, add it "
            f"with --allowed-audience or to {ALLOWED_AUDIENCES_VARIABLE}.",
        )

    def check_token_audiences(self, token_audiences: Sequence[str]) -> None:
        """OIDC mode: with patterns given, each `aud` the JWT will carry must match too.

        Otherwise `--jwt-audience` in a config's command would mint tokens for
        any relying party while the provider's name passed the check.
        """
        if not self.restricted:
            return
        for token_audience in token_audiences:
            if not self.allows(token_audience):
                raise HelperError(
                    ErrorCode.AUDIENCE_NOT_ALLOWED,
                    f"The token audience {token_audience!r} (--jwt-audience) matches none "
                    f"of the audiences this helper may sign for ({self.describe()}); add it "
                    f"with --allowed-audience or to {ALLOWED_AUDIENCES_VARIABLE}, or drop "
                    "--jwt-audience to use the provider's default audience.",
                )

    def describe(self) -> str:
        """Where the patterns come from, for messages and `doctor`."""
        if not self.restricted:
            return f"any provider under {PUBLIC_AUDIENCE_PREFIX} (no allowed audiences set)"
        parts = []
        if self.from_options:
            parts.append("--allowed-audience " + " ".join(self.from_options))
        if self.from_environment:
            parts.append(f"{ALLOWED_AUDIENCES_VARIABLE}=" + ",".join(self.from_environment))
        return " and ".join(parts)


def audience_policy(option_patterns: Sequence[str], environ: Mapping[str, str]) -> AudiencePolicy:
    """The policy from `--allowed-audience` values and the environment variable.

    An empty or blank variable counts as not set, like the other variables.
    """
    variable = environ.get(ALLOWED_AUDIENCES_VARIABLE, "")
    from_environment = tuple(item for item in _SEPARATORS.split(variable) if item)
    return AudiencePolicy(
        from_options=check_patterns(option_patterns, "--allowed-audience"),
        from_environment=check_patterns(from_environment, ALLOWED_AUDIENCES_VARIABLE),
    )


def check_patterns(patterns: Sequence[str], where: str) -> tuple[str, ...]:
    """The patterns unchanged, if each is printable ASCII without separators; else fail."""
    for pattern in patterns:
        if not _PATTERN_CHARACTERS.fullmatch(pattern) or "," in pattern:
            raise HelperError(
                ErrorCode.INVALID_REQUEST,
                f"An allowed audience in {where} holds white space, a comma, control or "
                "non-ASCII characters; give the provider's full name, with * for any run "
                "of characters within one segment.",
            )
    return tuple(patterns)


def _matches_any(patterns: Sequence[str], audience: str) -> bool:
    name = _without_https(audience)
    return any(_pattern_regex(pattern).fullmatch(name) for pattern in patterns)


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    pieces = _without_https(pattern).split("*")
    return re.compile("[^/]*".join(re.escape(piece) for piece in pieces))


def _without_https(name: str) -> str:
    return name[len(_HTTPS) :] if name.startswith(_HTTPS) else name
