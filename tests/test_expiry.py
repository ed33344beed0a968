"""The expiry rule: the earlier of signature + 15 min and the credentials' end, less a margin."""

from __future__ import annotations

import datetime

import pytest

from helper.errors import ErrorCode, HelperError
from helper.expiry import (
    MIN_TOKEN_LIFETIME_SECONDS,
    SAFETY_MARGIN_SECONDS,
    expiration_time,
    usable_seconds,
)

NOW = datetime.datetime(2026, 12, 4, 15, 20, 0, tzinfo=datetime.timezone.utc)
SIGNATURE_EXPIRY = NOW + datetime.timedelta(minutes=15)


def epoch(moment: datetime.datetime) -> int:
    return int(moment.timestamp())


def test_long_term_keys_expire_with_the_signature_less_the_margin() -> None:
    expected = SIGNATURE_EXPIRY - datetime.timedelta(seconds=SAFETY_MARGIN_SECONDS)

    assert expiration_time(SIGNATURE_EXPIRY, None, NOW) == epoch(expected)


def test_credentials_ending_before_the_signature_set_the_expiry() -> None:
    credentials_expiry = NOW + datetime.timedelta(minutes=10)
    expected = credentials_expiry - datetime.timedelta(seconds=SAFETY_MARGIN_SECONDS)

    assert expiration_time(SIGNATURE_EXPIRY, credentials_expiry, NOW) == epoch(expected)


def test_credentials_ending_after_the_signature_leave_the_signature_expiry() -> None:
    credentials_expiry = NOW + datetime.timedelta(hours=1)
    expected = SIGNATURE_EXPIRY - datetime.timedelta(seconds=SAFETY_MARGIN_SECONDS)

    assert expiration_time(SIGNATURE_EXPIRY, credentials_expiry, NOW) == epoch(expected)


def test_the_margin_is_two_minutes_and_the_minimum_life_one_minute() -> None:
    assert SAFETY_MARGIN_SECONDS == 120
    assert MIN_TOKEN_LIFETIME_SECONDS == 60


def test_less_than_a_minute_left_after_the_margin_is_refused() -> None:
    credentials_expiry = NOW + datetime.timedelta(seconds=SAFETY_MARGIN_SECONDS + 59)

    with pytest.raises(HelperError) as raised:
        expiration_time(SIGNATURE_EXPIRY, credentials_expiry, NOW)

    assert raised.value.code is ErrorCode.AWS_CREDENTIALS_EXPIRED


def test_exactly_a_minute_left_after_the_margin_is_accepted() -> None:
    credentials_expiry = NOW + datetime.timedelta(seconds=SAFETY_MARGIN_SECONDS + 60)

    assert expiration_time(SIGNATURE_EXPIRY, credentials_expiry, NOW) == epoch(
        NOW + datetime.timedelta(seconds=60)
    )


def test_credentials_already_expired_are_refused() -> None:
    with pytest.raises(HelperError) as raised:
        expiration_time(SIGNATURE_EXPIRY, NOW - datetime.timedelta(seconds=1), NOW)

    assert raised.value.code is ErrorCode.AWS_CREDENTIALS_EXPIRED


def test_usable_seconds_subtract_the_margin() -> None:
    limit = NOW + datetime.timedelta(minutes=5)

    assert usable_seconds(limit, NOW) == 300 - SAFETY_MARGIN_SECONDS


def test_usable_seconds_without_a_limit_is_none() -> None:
    assert usable_seconds(None, NOW) is None
