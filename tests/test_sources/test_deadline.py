"""The run's deadline: counted from the helper's start, and it always leaves time to answer."""

from __future__ import annotations

import time

import pytest

from helper.deadline import seconds_since_process_start
from helper.options import DEFAULT_TIMEOUT_SECONDS
from tests.standins.aws_keys import ACCOUNT_ID, LONG_TERM_KEY
from tests.standins.aws_sts import AwsStsStandIn
from tests.test_sources.workload import Workload, assert_fails

# The smallest timeout_millis the Google clients accept.
CLIENTS_SMALLEST_TIMEOUT_SECONDS = 5.0
GOOGLE_ROLE = f"arn:aws:iam::{ACCOUNT_ID}:role/google-federation"


def test_default_deadline_answers_a_hang_before_the_clients_smallest_timeout(
    workload: Workload, sts: AwsStsStandIn
) -> None:
    start_up = workload.start_up_seconds()
    if start_up > CLIENTS_SMALLEST_TIMEOUT_SECONDS - DEFAULT_TIMEOUT_SECONDS:
        pytest.skip(f"this build took {start_up:.1f} s to start here; the default cannot fit")
    sts.know(LONG_TERM_KEY)
    sts.hang()
    workload.point_at(sts=sts)
    workload.use_key(LONG_TERM_KEY)

    result = workload.run("--role-arn", GOOGLE_ROLE)

    assert_fails(result, "DEADLINE_EXCEEDED", f"within the {DEFAULT_TIMEOUT_SECONDS:g} s deadline")
    assert result.answered_seconds < DEFAULT_TIMEOUT_SECONDS + 0.5
    assert result.seconds < CLIENTS_SMALLEST_TIMEOUT_SECONDS


def test_deadline_counts_the_helpers_own_start_up(workload: Workload) -> None:
    # Signing alone takes milliseconds; only the start-up can use up this deadline.
    workload.use_key(LONG_TERM_KEY)

    result = workload.run("--timeout", "0.05")

    assert_fails(result, "DEADLINE_EXCEEDED", "0.05 s deadline")


def test_age_of_this_process_is_read_from_the_system() -> None:
    age = seconds_since_process_start()

    assert 0.0 < age < time.monotonic()
