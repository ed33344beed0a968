"""Assume-role profiles: role_arn with source_profile (chained too) or credential_source."""

from __future__ import annotations

import datetime

import pytest

from tests.standins.aws_keys import ACCOUNT_ID, LONG_TERM_KEY, AwsKey
from tests.standins.aws_sts import AwsStsStandIn
from tests.standins.container import ContainerCredentialsStandIn
from tests.standins.imds import InstanceMetadataStandIn
from tests.test_sources.workload import (
    GENEROUS_TIMEOUT,
    SERVICE_TROUBLE_CODES,
    TROUBLES,
    Workload,
    assert_answered_before_deadline,
    assert_fails,
    assert_signed_with,
    make_trouble,
)

APP_ROLE = f"arn:aws:iam::{ACCOUNT_ID}:role/app"
HOP_ROLE = f"arn:aws:iam::{ACCOUNT_ID}:role/hop"
LONG_AGO = datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone.utc)


def _base_profile(key: AwsKey = LONG_TERM_KEY) -> str:
    return (
        "[profile base]\n"
        f"aws_access_key_id = {key.access_key_id}\n"
        f"aws_secret_access_key = {key.secret_access_key}\n"
    )


@pytest.fixture
def app_profile(workload: Workload, sts: AwsStsStandIn) -> Workload:
    """Profile `app` assumes APP_ROLE with the keys of profile `base`."""
    sts.know(LONG_TERM_KEY)
    workload.point_at(sts=sts)
    workload.write_config(
        _base_profile() + f"[profile app]\nrole_arn = {APP_ROLE}\nsource_profile = base\n"
    )
    workload.set(AWS_PROFILE="app")
    return workload


def test_source_profile_role_signs_with_the_roles_temporary_key(
    app_profile: Workload, sts: AwsStsStandIn
) -> None:
    result = app_profile.run(*GENEROUS_TIMEOUT)

    [issued] = sts.issued_for(APP_ROLE)
    assert_signed_with(result, issued)
    assert [(call.action, call.caller) for call in sts.calls] == [
        ("AssumeRole", LONG_TERM_KEY.access_key_id)
    ]


def test_role_chained_two_deep_assumes_each_role_with_the_previous_key(
    workload: Workload, sts: AwsStsStandIn
) -> None:
    sts.know(LONG_TERM_KEY)
    workload.point_at(sts=sts)
    workload.write_config(
        _base_profile()
        + f"[profile hop]\nrole_arn = {HOP_ROLE}\nsource_profile = base\n"
        + f"[profile app]\nrole_arn = {APP_ROLE}\nsource_profile = hop\n"
    )

    result = workload.run("--profile", "app", *GENEROUS_TIMEOUT)

    [hop_key], [app_key] = sts.issued_for(HOP_ROLE), sts.issued_for(APP_ROLE)
    assert_signed_with(result, app_key)
    assert [(call.role_arn, call.caller) for call in sts.calls] == [
        (HOP_ROLE, LONG_TERM_KEY.access_key_id),
        (APP_ROLE, hop_key.access_key_id),
    ]


def test_external_id_session_name_and_duration_reach_sts(
    app_profile: Workload, sts: AwsStsStandIn
) -> None:
    sts.require_external_id(APP_ROLE, "partner-4711")
    app_profile.write_config(
        _base_profile() + f"[profile app]\nrole_arn = {APP_ROLE}\nsource_profile = base\n"
        "external_id = partner-4711\nrole_session_name = wif-app\nduration_seconds = 1800\n"
    )

    result = app_profile.run(*GENEROUS_TIMEOUT)

    [issued] = sts.issued_for(APP_ROLE)
    assert_signed_with(result, issued)
    [call] = sts.calls
    assert call.parameters["ExternalId"] == "partner-4711"
    assert call.parameters["RoleSessionName"] == "wif-app"
    assert call.parameters["DurationSeconds"] == "1800"


def test_credential_source_environment_assumes_with_environment_keys(
    workload: Workload, sts: AwsStsStandIn
) -> None:
    sts.know(LONG_TERM_KEY)
    workload.point_at(sts=sts)
    workload.use_key(LONG_TERM_KEY)
    workload.write_config(
        f"[profile app]\nrole_arn = {APP_ROLE}\ncredential_source = Environment\n"
    )

    result = workload.run("--profile", "app", *GENEROUS_TIMEOUT)

    [issued] = sts.issued_for(APP_ROLE)
    assert_signed_with(result, issued)
    assert [call.caller for call in sts.calls] == [LONG_TERM_KEY.access_key_id]


def test_credential_source_ec2_instance_metadata_assumes_with_the_instance_role(
    workload: Workload, sts: AwsStsStandIn, imds: InstanceMetadataStandIn
) -> None:
    sts.know(imds.key)
    workload.point_at(sts=sts, imds=imds)
    workload.write_config(
        f"[profile app]\nrole_arn = {APP_ROLE}\ncredential_source = Ec2InstanceMetadata\n"
    )

    result = workload.run("--profile", "app", *GENEROUS_TIMEOUT)

    [issued] = sts.issued_for(APP_ROLE)
    assert_signed_with(result, issued)
    assert [call.caller for call in sts.calls] == [imds.key.access_key_id]


def test_credential_source_ecs_container_assumes_with_the_container_role(
    workload: Workload, sts: AwsStsStandIn, container_agent: ContainerCredentialsStandIn
) -> None:
    sts.know(container_agent.key)
    workload.point_at(sts=sts, container_agent=container_agent)
    workload.write_config(
        f"[profile app]\nrole_arn = {APP_ROLE}\ncredential_source = EcsContainer\n"
    )

    result = workload.run("--profile", "app", *GENEROUS_TIMEOUT)

    [issued] = sts.issued_for(APP_ROLE)
    assert_signed_with(result, issued)
    assert [call.caller for call in sts.calls] == [container_agent.key.access_key_id]


def test_denied_assume_role_names_the_role(app_profile: Workload, sts: AwsStsStandIn) -> None:
    sts.deny(APP_ROLE)

    result = app_profile.run(*GENEROUS_TIMEOUT)

    assert_fails(result, "AWS_ACCESS_DENIED", "AssumeRole", APP_ROLE, "trust policy")


def test_wrong_external_id_is_denied(app_profile: Workload, sts: AwsStsStandIn) -> None:
    sts.require_external_id(APP_ROLE, "partner-4711")

    result = app_profile.run(*GENEROUS_TIMEOUT)

    assert_fails(result, "AWS_ACCESS_DENIED", APP_ROLE)


def test_expired_source_keys_fail_as_expired(workload: Workload, sts: AwsStsStandIn) -> None:
    expired = AwsKey.session("old-session", expiration=AwsKey.long_term("x").expiration)
    expired = AwsKey(
        expired.access_key_id,
        expired.secret_access_key,
        expired.arn,
        expired.session_token,
        expiration=__import__("datetime").datetime(
            2020, 1, 1, tzinfo=__import__("datetime").timezone.utc
        ),
    )
    sts.know(expired)
    workload.point_at(sts=sts)
    workload.use_key(expired)
    workload.write_config(
        f"[profile app]\nrole_arn = {APP_ROLE}\ncredential_source = Environment\n"
    )

    result = workload.run("--profile", "app", *GENEROUS_TIMEOUT)

    assert_fails(result, "AWS_CREDENTIALS_EXPIRED", "AssumeRole", APP_ROLE)


def test_missing_source_profile_fails_as_config_invalid(workload: Workload) -> None:
    workload.write_config(f"[profile app]\nrole_arn = {APP_ROLE}\nsource_profile = nowhere\n")

    result = workload.run("--profile", "app", *GENEROUS_TIMEOUT)

    assert_fails(result, "AWS_CONFIG_INVALID", "nowhere")


def test_custom_sts_endpoint_without_a_region_asks_for_one(
    app_profile: Workload,
) -> None:
    del app_profile.variables["AWS_DEFAULT_REGION"]

    result = app_profile.run(*GENEROUS_TIMEOUT)

    assert_fails(result, "AWS_CONFIG_INVALID", "AWS_DEFAULT_REGION")


@pytest.mark.parametrize("trouble", TROUBLES)
def test_sts_trouble_during_assume_role_names_the_call(
    app_profile: Workload, sts: AwsStsStandIn, trouble: str
) -> None:
    options = make_trouble(trouble, sts, app_profile, "AWS_ENDPOINT_URL_STS")

    result = app_profile.run(*options)

    assert_fails(
        result,
        SERVICE_TROUBLE_CODES[trouble],
        f"calling STS AssumeRole for {APP_ROLE} at http://127.0.0.1:",
    )
    assert_answered_before_deadline(result, options)
