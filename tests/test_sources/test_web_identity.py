"""Web identity: AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN (EKS IRSA), or the same in a profile."""

from __future__ import annotations

import pytest

from tests.standins.aws_keys import ACCOUNT_ID
from tests.standins.aws_sts import AwsStsStandIn
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

IRSA_ROLE = f"arn:aws:iam::{ACCOUNT_ID}:role/irsa-app"
# Opaque to the helper; the STS stand-in accepts exactly this string.
PROJECTED_TOKEN = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6YXBwIn0.c2ln"


@pytest.fixture
def irsa(workload: Workload, sts: AwsStsStandIn) -> Workload:
    """A pod with IRSA: the projected token file and the role, in the environment."""
    sts.accept_web_identity(PROJECTED_TOKEN)
    workload.point_at(sts=sts)
    token_file = workload.write_file("eks-token", PROJECTED_TOKEN)
    workload.set(AWS_WEB_IDENTITY_TOKEN_FILE=str(token_file), AWS_ROLE_ARN=IRSA_ROLE)
    return workload


def test_irsa_environment_signs_with_the_roles_key(irsa: Workload, sts: AwsStsStandIn) -> None:
    irsa.set(AWS_ROLE_SESSION_NAME="payments-pod")

    result = irsa.run(*GENEROUS_TIMEOUT)

    [issued] = sts.issued_for(IRSA_ROLE)
    assert_signed_with(result, issued)
    [call] = sts.calls
    assert call.action == "AssumeRoleWithWebIdentity"
    assert call.parameters["WebIdentityToken"] == PROJECTED_TOKEN
    assert call.parameters["RoleSessionName"] == "payments-pod"
    assert call.caller is None  # the call is not signed


def test_web_identity_profile_signs_with_the_roles_key(
    workload: Workload, sts: AwsStsStandIn
) -> None:
    sts.accept_web_identity(PROJECTED_TOKEN)
    workload.point_at(sts=sts)
    token_file = workload.write_file("oidc-token", PROJECTED_TOKEN)
    workload.write_config(
        f"[profile ci]\nrole_arn = {IRSA_ROLE}\nweb_identity_token_file = {token_file}\n"
    )

    result = workload.run("--profile", "ci", *GENEROUS_TIMEOUT)

    [issued] = sts.issued_for(IRSA_ROLE)
    assert_signed_with(result, issued)


def test_missing_token_file_names_the_file(irsa: Workload) -> None:
    irsa.set(AWS_WEB_IDENTITY_TOKEN_FILE=str(irsa.root / "not-mounted"))

    result = irsa.run(*GENEROUS_TIMEOUT)

    assert_fails(result, "AWS_CONFIG_INVALID", "not-mounted")


def test_token_sts_does_not_trust_is_access_denied(irsa: Workload) -> None:
    irsa.write_file("eks-token", "eyJ.not-trusted.token")

    result = irsa.run(*GENEROUS_TIMEOUT)

    assert_fails(result, "AWS_ACCESS_DENIED", "AssumeRoleWithWebIdentity", IRSA_ROLE)
    assert "eyJ" not in result.message


def test_expired_web_identity_token_fails_as_expired(irsa: Workload, sts: AwsStsStandIn) -> None:
    sts.reject_web_identity_as_expired(PROJECTED_TOKEN)

    result = irsa.run(*GENEROUS_TIMEOUT)

    assert_fails(result, "AWS_CREDENTIALS_EXPIRED", "AssumeRoleWithWebIdentity")


@pytest.mark.parametrize("trouble", TROUBLES)
def test_sts_trouble_during_web_identity_names_the_call(
    irsa: Workload, sts: AwsStsStandIn, trouble: str
) -> None:
    options = make_trouble(trouble, sts, irsa, "AWS_ENDPOINT_URL_STS")

    result = irsa.run(*options)

    assert_fails(
        result,
        SERVICE_TROUBLE_CODES[trouble],
        f"calling STS AssumeRoleWithWebIdentity for {IRSA_ROLE}",
    )
    assert_answered_before_deadline(result, options)
