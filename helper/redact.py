"""Shortened forms of identifiers and secrets, for everything a person reads.

Messages, the step log, `doctor` and `token --decode` never show a secret key,
a session token or a full signature. When a value has to be recognisable, it is
shown by its ends only:

    shorten("AKIAIOSFODNN7EXAMPLE")      -> "AKIA…MPLE"
    shorten("3f2a…64 hex digits…9c1d")   -> "3f2a…9c1d"

`shown_url` drops a URL's query string and user info, which may carry request
parameters. `scrub` is the last line of defence for free text (an exception's message, a
service's answer): it shortens anything that looks like a signature, a session
token or an access token, and any value registered as secret.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Iterable

__all__ = ["ELLIPSIS", "scrub", "shorten", "shown_url"]

ELLIPSIS = "…"

# Values shorter than this are not shown at all: their ends would be most of them.
_MIN_SHOWN_LENGTH = 12
_KEPT_CHARACTERS = 4

# SigV4 signatures (64 hex digits), with or without their label.
_SIGNATURE = re.compile(r"(?<![0-9a-fA-F])[0-9a-f]{64}(?![0-9a-fA-F])")
# Session tokens, AWS secret keys and OAuth/JWT tokens: long runs of token characters
# with a long piece that mixes capitals, small letters and digits (paths do not).
_LONG_TOKEN = re.compile(r"[A-Za-z0-9+/=_\-.%]{32,}")
_TOKEN_PIECE_LENGTH = 32


def shorten(value: str) -> str:
    """The first and last four characters of `value` around an ellipsis."""
    if len(value) < _MIN_SHOWN_LENGTH:
        return ELLIPSIS
    return value[:_KEPT_CHARACTERS] + ELLIPSIS + value[-_KEPT_CHARACTERS:]


def shown_url(url: str) -> str:
    """`url` without its query string and user info."""
    parts = urllib.parse.urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    return urllib.parse.urlunsplit((parts.scheme, host, parts.path, "", ""))


def scrub(text: str, secrets: Iterable[str | None] = ()) -> str:
    """`text` with registered `secrets` and anything token-shaped shortened."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, shorten(secret))

    text = _SIGNATURE.sub(lambda match: shorten(match.group(0)), text)
    return _LONG_TOKEN.sub(lambda match: _shorten_token_like(match.group(0)), text)


def _shorten_token_like(run: str) -> str:
    for piece in run.split("/"):
        if len(piece) >= _TOKEN_PIECE_LENGTH and _mixes_cases_and_digits(piece):
            return shorten(run)
    return run


def _mixes_cases_and_digits(piece: str) -> bool:
    return (
        any(c.isupper() for c in piece)
        and any(c.islower() for c in piece)
        and any(c.isdigit() for c in piece)
    )
