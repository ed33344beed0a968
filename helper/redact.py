"""What a message may show of an identifier or a URL.

    shorten("AKIAIOSFODNN7EXAMPLE")                  ->  "AKIA…MPLE"
    shown_url("https://portal.sso.../credentials?role_name=r&account_id=1")
                                                      ->  "https://portal.sso.../credentials"

Only identifiers (access key IDs) go through `shorten`; secret keys, session
tokens and bearer tokens never reach a message at all.
"""

from __future__ import annotations

import urllib.parse

__all__ = ["shorten", "shown_url"]

_SHOWN_CHARACTERS = 4


def shorten(identifier: str) -> str:
    """The first and last four characters of `identifier`, or "…" if it is too short to cut."""
    if len(identifier) <= 3 * _SHOWN_CHARACTERS:
        return "…"
    return f"{identifier[:_SHOWN_CHARACTERS]}…{identifier[-_SHOWN_CHARACTERS:]}"


def shown_url(url: str) -> str:
    """`url` without its query string and user info, which may carry request parameters."""
    parts = urllib.parse.urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    return urllib.parse.urlunsplit((parts.scheme, host, parts.path, "", ""))
