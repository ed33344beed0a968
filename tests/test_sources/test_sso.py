"""IAM Identity Center (SSO) profiles, sso-session style and legacy, from the cached login."""

from __future__ import annotations

import datetime

import pytest

from tests.standins.aws_keys import ACCOUNT_ID
from tests.standins.aws_sts import AwsStsStandIn
from tests.standins.sso import SSO_REGION, START_URL, SsoStandIn
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

SESSION_STYLE = f"""\
[profile dev]
sso_session = corp
sso_account_id = {ACCOUNT_ID}
sso_role_name = WorkloadAccess

[sso-session corp]
sso_start_url = {START_URL}
sso_region = {SSO_REGION}
sso_registration_scopes = sso:account:access
"""
LEGACY_STYLE = f"""\
[profile legacy]
sso_start_url = {START_URL}
sso_region = {SSO_REGION}
sso_account_id = {ACCOUNT_ID}
sso_role_name = WorkloadAccess
"""
APP_ROLE = f"arn:aws:iam::{ACCOUNT_ID}:role/app"


@pytest.fixture
def developer(workload: Workload, sso: SsoStandIn) -> Workload:
    """A workload run under a developer's sso-session profile `dev`."""
    workload.point_at(sso=sso)
    workload.write_config(SESSION_STYLE)
    workload.set(AWS_PROFILE="dev")
    return workload


def test_sso_session_profile_signs_with_the_portals_role_key(
    developer: Workload, sso: SsoStandIn
) -> None:
    sso.log_in(developer.home, session_name="corp")

    result = developer.run(*GENEROUS_TIMEOUT)

    [issued] = sso.issued
    assert_signed_with(result, issued)


def test_legacy_sso_profile_signs_with_the_portals_role_key(
    workload: Workload, sso: SsoStandIn
) -> None:
    workload.point_at(sso=sso)
    workload.write_config(LEGACY_STYLE)
    sso.log_in(workload.home)

    result = workload.run("--profile", "legacy", *GENEROUS_TIMEOUT)

    [issued] = sso.issued
    assert_signed_with(result, issued)


def test_missing_login_names_the_sso_login_command(developer: Workload) -> None:
    result = developer.run(*GENEROUS_TIMEOUT)

    assert_fails(result, "AWS_SSO_LOGIN_REQUIRED", "`aws sso login --profile dev`")


def test_expired_sso_session_login_names_the_sso_login_command(
    developer: Workload, sso: SsoStandIn
) -> None:
    sso.log_in(developer.home, session_name="corp", expires_in=-datetime.timedelta(hours=1))

    result = developer.run(*GENEROUS_TIMEOUT)

    assert_fails(result, "AWS_SSO_LOGIN_REQUIRED", "`aws sso login --profile dev`")


def test_expired_legacy_login_names_the_sso_login_command(
    workload: Workload, sso: SsoStandIn
) -> None:
    workload.point_at(sso=sso)
    workload.write_config(LEGACY_STYLE)
    sso.log_in(workload.home, expires_in=-datetime.timedelta(minutes=1))

    result = workload.run("--profile", "legacy", *GENEROUS_TIMEOUT)

    assert_fails(result, "AWS_SSO_LOGIN_REQUIRED", "`aws sso login --profile legacy`")
    assert sso.requests == []


def test_login_the_portal_no_longer_accepts_names_the_sso_login_command(
    developer: Workload, sso: SsoStandIn
) -> None:
    sso.log_in(developer.home, session_name="corp")
    sso.forget_logins()

    result = developer.run(*GENEROUS_TIMEOUT)

    assert_fails(result, "AWS_SSO_LOGIN_REQUIRED", "`aws sso login --profile dev`")


def test_login_close_to_expiry_is_refreshed_through_sso_oidc(
    developer: Workload, sso: SsoStandIn
) -> None:
    sso.log_in(
        developer.home,
        session_name="corp",
        expires_in=datetime.timedelta(minutes=5),
        refreshable=True,
    )

    result = developer.run(*GENEROUS_TIMEOUT)

    [issued] = sso.issued
    assert_signed_with(result, issued)
    assert sso.refreshes == 1


def test_login_of_an_sso_source_profile_names_that_profile(
    workload: Workload, sso: SsoStandIn, sts: AwsStsStandIn
) -> None:
    workload.point_at(sso=sso, sts=sts)
    workload.write_config(
        SESSION_STYLE + f"\n[profile app]\nrole_arn = {APP_ROLE}\nsource_profile = dev\n"
    )

    result = workload.run("--profile", "app", *GENEROUS_TIMEOUT)

    assert_fails(result, "AWS_SSO_LOGIN_REQUIRED", "`aws sso login --profile dev`")


def test_sso_source_profile_signs_with_the_assumed_roles_key(
    workload: Workload, sso: SsoStandIn, sts: AwsStsStandIn
) -> None:
    workload.point_at(sso=sso, sts=sts)
    workload.write_config(
        SESSION_STYLE + f"\n[profile app]\nrole_arn = {APP_ROLE}\nsource_profile = dev\n"
    )
    sso.log_in(workload.home, session_name="corp")
    sts.know_keys_issued_by(sso)

    result = workload.run("--profile", "app", *GENEROUS_TIMEOUT)

    [sso_key], [app_key] = sso.issued, sts.issued_for(APP_ROLE)
    assert_signed_with(result, app_key)
    assert [call.caller for call in sts.calls] == [sso_key.access_key_id]


@pytest.mark.parametrize("trouble", TROUBLES)
def test_portal_trouble_names_the_call(developer: Workload, sso: SsoStandIn, trouble: str) -> None:
    sso.log_in(developer.home, session_name="corp")
    options = make_trouble(trouble, sso, developer, "AWS_ENDPOINT_URL_SSO")

    result = developer.run(*options)

    assert_fails(
        result,
        SERVICE_TROUBLE_CODES[trouble],
        "calling the IAM Identity Center portal GetRoleCredentials at http://127.0.0.1:",
    )
    assert_answered_before_deadline(result, options)
