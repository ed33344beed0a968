"""EC2 instance metadata (IMDSv2), pointed at loopback with AWS_EC2_METADATA_SERVICE_ENDPOINT."""

from __future__ import annotations

import datetime

import pytest

from tests.standins.imds import InstanceMetadataStandIn
from tests.test_sources.workload import (
    GENEROUS_TIMEOUT,
    TROUBLES,
    Workload,
    assert_answered_before_deadline,
    assert_fails,
    assert_signed_with,
    make_trouble,
)

# The ways the metadata service can let the helper down, and what each gives.
# Off EC2 nothing answers at that address, so "no answer" is not an error of
# its own: the chain goes on, and "no credentials" says what happened.
METADATA_TROUBLES = {
    "refused": ("AWS_CREDENTIALS_NOT_FOUND", "refused the connection"),
    "server error": ("AWS_UNREACHABLE", "answered HTTP 500"),
    "throttled": ("AWS_THROTTLED", "answered HTTP 429"),
    "hanging": ("AWS_CREDENTIALS_NOT_FOUND", "gave no answer within"),
}


@pytest.fixture
def instance(workload: Workload, imds: InstanceMetadataStandIn) -> Workload:
    workload.point_at(imds=imds)
    return workload


def test_instance_role_credentials_come_through_imdsv2(
    instance: Workload, imds: InstanceMetadataStandIn
) -> None:
    result = instance.run(*GENEROUS_TIMEOUT)

    assert_signed_with(result, imds.key)
    assert imds.tokens_issued >= 1
    assert imds.unauthenticated_reads == 0


def test_token_expiry_is_the_one_the_service_gave(
    instance: Workload, imds: InstanceMetadataStandIn
) -> None:
    # botocore would stretch credentials this close to their end by minutes.
    imds.hand_out_credentials_expiring_in(datetime.timedelta(minutes=8))

    result = instance.run(*GENEROUS_TIMEOUT)

    assert_signed_with(result, imds.key)
    assert imds.key.expiration is not None
    assert result.response["expiration_time"] <= imds.key.expiration.timestamp() - 120


def test_expired_instance_credentials_fail_as_expired(
    instance: Workload, imds: InstanceMetadataStandIn
) -> None:
    imds.hand_out_expired_credentials()

    result = instance.run(*GENEROUS_TIMEOUT)

    assert_fails(result, "AWS_CREDENTIALS_EXPIRED", "instance metadata service", "expired at")


def test_instance_without_a_role_says_so(instance: Workload, imds: InstanceMetadataStandIn) -> None:
    imds.detach_role()

    result = instance.run(*GENEROUS_TIMEOUT)

    assert_fails(result, "AWS_CREDENTIALS_NOT_FOUND", "no IAM role is attached to this instance")


@pytest.mark.parametrize("trouble", TROUBLES)
def test_metadata_trouble_is_reported_with_what_the_service_did(
    instance: Workload, imds: InstanceMetadataStandIn, trouble: str
) -> None:
    options = make_trouble(trouble, imds, instance, "AWS_EC2_METADATA_SERVICE_ENDPOINT")

    result = instance.run(*options)

    code, what = METADATA_TROUBLES[trouble]
    assert_fails(result, code, "instance metadata service", what)
    assert_answered_before_deadline(result, options)
