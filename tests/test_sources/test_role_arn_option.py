"""--role-arn: one AssumeRole on top of whatever the chain found."""

from __future__ import annotations

import pytest

from tests.standins.aws_keys import ACCOUNT_ID, LONG_TERM_KEY
from tests.standins.aws_sts import AwsStsStandIn
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

GOOGLE_ROLE = f"arn:aws:iam::{ACCOUNT_ID}:role/google-federation"
APP_ROLE = f"arn:aws:iam::{ACCOUNT_ID}:role/app"


@pytest.fixture
def keyed_workload(workload: Workload, sts: AwsStsStandIn) -> Workload:
    """A workload with long-term keys in its environment, and STS on loopback."""
    sts.know(LONG_TERM_KEY)
    workload.point_at(sts=sts)
    workload.use_key(LONG_TERM_KEY)
    return workload


def test_role_arn_signs_with_the_roles_key_not_the_base_key(
    keyed_workload: Workload, sts: AwsStsStandIn
) -> None:
    result = keyed_workload.run("--role-arn", GOOGLE_ROLE, *GENEROUS_TIMEOUT)

    [issued] = sts.issued_for(GOOGLE_ROLE)
    assert_signed_with(result, issued)
    [call] = sts.calls
    assert call.caller == LONG_TERM_KEY.access_key_id
    assert call.parameters["DurationSeconds"] == "900"
    assert call.parameters["RoleSessionName"].startswith("aws-wif-helper-")
    assert "ExternalId" not in call.parameters


def test_role_session_name_and_external_id_reach_sts(
    keyed_workload: Workload, sts: AwsStsStandIn
) -> None:
    sts.require_external_id(GOOGLE_ROLE, "google-wif-4711")

    result = keyed_workload.run(
        "--role-arn",
        GOOGLE_ROLE,
        "--role-session-name",
        "payments-batch",
        "--external-id",
        "google-wif-4711",
        *GENEROUS_TIMEOUT,
    )

    [issued] = sts.issued_for(GOOGLE_ROLE)
    assert_signed_with(result, issued)
    [call] = sts.calls
    assert call.parameters["RoleSessionName"] == "payments-batch"
    assert call.parameters["ExternalId"] == "google-wif-4711"


def test_role_arn_on_top_of_an_assume_role_profile_makes_two_hops(
    keyed_workload: Workload, sts: AwsStsStandIn
) -> None:
    keyed_workload.write_config(
        f"[profile app]\nrole_arn = {APP_ROLE}\ncredential_source = Environment\n"
    )

    result = keyed_workload.run("--profile", "app", "--role-arn", GOOGLE_ROLE, *GENEROUS_TIMEOUT)

    [app_key], [google_key] = sts.issued_for(APP_ROLE), sts.issued_for(GOOGLE_ROLE)
    assert_signed_with(result, google_key)
    assert [call.caller for call in sts.calls] == [
        LONG_TERM_KEY.access_key_id,
        app_key.access_key_id,
    ]


def test_role_arn_on_top_of_instance_metadata_uses_the_instance_role(
    workload: Workload, sts: AwsStsStandIn, imds: InstanceMetadataStandIn
) -> None:
    sts.know(imds.key)
    workload.point_at(sts=sts, imds=imds)

    result = workload.run("--role-arn", GOOGLE_ROLE, *GENEROUS_TIMEOUT)

    [issued] = sts.issued_for(GOOGLE_ROLE)
    assert_signed_with(result, issued)
    assert [call.caller for call in sts.calls] == [imds.key.access_key_id]


def test_denied_role_arn_names_the_role_and_the_caller_but_no_secret(
    keyed_workload: Workload, sts: AwsStsStandIn
) -> None:
    sts.deny(GOOGLE_ROLE)

    result = keyed_workload.run("--role-arn", GOOGLE_ROLE, *GENEROUS_TIMEOUT)

    shortened = f"{LONG_TERM_KEY.access_key_id[:4]}…{LONG_TERM_KEY.access_key_id[-4:]}"
    assert_fails(result, "AWS_ACCESS_DENIED", GOOGLE_ROLE, shortened, "environment variables")
    assert LONG_TERM_KEY.access_key_id not in result.message
    assert LONG_TERM_KEY.secret_access_key not in result.message


def test_role_arn_without_any_base_credentials_lists_the_places_looked_in(
    workload: Workload, sts: AwsStsStandIn
) -> None:
    workload.point_at(sts=sts)

    result = workload.run("--role-arn", GOOGLE_ROLE, *GENEROUS_TIMEOUT)

    assert_fails(result, "AWS_CREDENTIALS_NOT_FOUND", "environment variables")
    assert sts.calls == []


@pytest.mark.parametrize("trouble", TROUBLES)
def test_sts_trouble_during_role_arn_names_the_call(
    keyed_workload: Workload, sts: AwsStsStandIn, trouble: str
) -> None:
    options = make_trouble(trouble, sts, keyed_workload, "AWS_ENDPOINT_URL_STS")

    result = keyed_workload.run("--role-arn", GOOGLE_ROLE, *options)

    assert_fails(
        result, SERVICE_TROUBLE_CODES[trouble], f"calling STS AssumeRole for {GOOGLE_ROLE}"
    )
    assert_answered_before_deadline(result, options)


@pytest.mark.parametrize(
    ("options", "named"),
    [
        (("--role-session-name", "batch"), "--role-arn"),
        (("--external-id", "x1234"), "--role-arn"),
        (("--role-arn", "arn:aws:iam::123:user/someone"), "arn:aws:iam::ACCOUNT_ID:role/ROLE_NAME"),
        (("--role-arn", GOOGLE_ROLE, "--role-session-name", "has space"), "--role-session-name"),
    ],
)
def test_bad_role_options_are_invalid_requests(
    workload: Workload, options: tuple[str, ...], named: str
) -> None:
    result = workload.run(*options, *GENEROUS_TIMEOUT)

    assert_fails(result, "INVALID_REQUEST", named)
