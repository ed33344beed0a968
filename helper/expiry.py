"""When a response stops being usable: the `expiration_time` the client caches by.

A token dies at the earlier of two moments: 15 minutes after its signature
date (AWS refuses older signatures) and the end of the credentials that signed
it (session keys stop working at their own expiry). The response claims a
`SAFETY_MARGIN_SECONDS` earlier moment, because the clients use a cached
response right up to `expiration_time` and Google's STS still has to replay it
to AWS after that, on clocks that may differ from this host's.
"""

from __future__ import annotations

import datetime

from helper.errors import ErrorCode, HelperError

__all__ = [
    "MIN_TOKEN_LIFETIME_SECONDS",
    "SAFETY_MARGIN_SECONDS",
    "expiration_time",
    "usable_seconds",
]

SAFETY_MARGIN_SECONDS = 120
# Credentials that leave less than this are refreshed, not handed out.
MIN_TOKEN_LIFETIME_SECONDS = 60


def usable_seconds(limit: datetime.datetime | None, now: datetime.datetime) -> float | None:
    """Seconds from `now` to `limit` minus the safety margin, or None without a limit."""
    if limit is None:
        return None
    return (limit - now).total_seconds() - SAFETY_MARGIN_SECONDS


def expiration_time(
    signature_expiry: datetime.datetime,
    credentials_expiry: datetime.datetime | None,
    now: datetime.datetime,
) -> int:
    """Epoch seconds for `expiration_time`; fails if less than a minute would be left."""
    end = signature_expiry
    if credentials_expiry is not None and credentials_expiry < end:
        end = credentials_expiry

    claimed = end - datetime.timedelta(seconds=SAFETY_MARGIN_SECONDS)
    if (claimed - now).total_seconds() < MIN_TOKEN_LIFETIME_SECONDS:
        raise HelperError(
            ErrorCode.AWS_CREDENTIALS_EXPIRED,
            "The AWS credentials expire too soon to sign a usable token, even after "
            "a refresh; check the clock of this host and the session duration of the "
            "credential source.",
        )
    return int(claimed.timestamp())
