"""doctor and the step log against the AWS stand-ins: named sources, --online, --role-arn."""

from __future__ import annotations

import json
import re
import urllib.parse
from typing import Any

import pytest

from tests.harness import HelperCommand
from tests.standins.aws_keys import ACCOUNT_ID, LONG_TERM_KEY
from tests.standins.aws_sts import AwsStsStandIn
from tests.standins.container import ContainerCredentialsStandIn
from tests.standins.imds import InstanceMetadataStandIn
from tests.test_sources.workload import GENEROUS_TIMEOUT, Workload

GOOGLE_ROLE = f"arn:aws:iam::{ACCOUNT_ID}:role/google-federation"

# doctor runs in-process logic behind one CLI; the module build is enough here,
# the frozen build runs doctor in tests/test_create_config.py.
module_only = pytest.mark.parametrize("helper_command", ["module"], indirect=True)


def _doctor(workload: Workload, *arguments: str) -> dict[str, Any]:
    """Run `doctor --json` without a config; the report keyed by check name."""
    run = workload.helper.run(
        workload.environ(),
        ["doctor", "--json", "--timeout", "20", *arguments],
        cwd=workload.work_dir,
    )
    document = json.loads(run.stdout)
    return {check["name"]: check for check in document["checks"]}


@pytest.fixture
def keyed_workload(workload: Workload, sts: AwsStsStandIn) -> Workload:
    """Long-term keys in the environment, STS on loopback and known to it."""
    sts.know(LONG_TERM_KEY)
    workload.point_at(sts=sts)
    workload.use_key(LONG_TERM_KEY)
    return workload


@module_only
def test_online_shows_the_caller_arn_sts_returns(keyed_workload: Workload) -> None:
    checks = _doctor(keyed_workload, "--online")

    assert checks["aws.caller"]["status"] == "ok"
    assert LONG_TERM_KEY.arn in checks["aws.caller"]["detail"]


@module_only
def test_online_fails_with_sts_refusal_for_unknown_keys(
    workload: Workload, sts: AwsStsStandIn
) -> None:
    workload.point_at(sts=sts)
    workload.use_key(LONG_TERM_KEY)

    checks = _doctor(workload, "--online")

    assert checks["aws.caller"]["status"] == "fail"
    assert "InvalidClientTokenId" in checks["aws.caller"]["fix"]


@module_only
def test_role_arn_is_named_after_the_base_source(
    keyed_workload: Workload, sts: AwsStsStandIn
) -> None:
    checks = _doctor(keyed_workload, "--role-arn", GOOGLE_ROLE)

    detail = checks["aws.source"]["detail"]
    assert detail.startswith("env: AWS_ACCESS_KEY_ID")
    assert f"then assume-role {GOOGLE_ROLE} (--role-arn" in detail
    [issued] = sts.issued_for(GOOGLE_ROLE)
    assert issued.secret_access_key not in json.dumps(checks)


@module_only
def test_denied_role_arn_fails_the_source_check(
    keyed_workload: Workload, sts: AwsStsStandIn
) -> None:
    sts.deny(GOOGLE_ROLE)

    checks = _doctor(keyed_workload, "--role-arn", GOOGLE_ROLE)

    assert checks["aws.source"]["status"] == "fail"
    assert GOOGLE_ROLE in checks["aws.source"]["fix"]


@module_only
def test_assume_role_profile_is_named_with_its_role_and_origin(
    keyed_workload: Workload,
) -> None:
    keyed_workload.write_config(
        f"[profile app]\nrole_arn = {GOOGLE_ROLE}\ncredential_source = Environment\n"
    )

    checks = _doctor(keyed_workload, "--profile", "app")

    assert checks["aws.source"]["detail"].startswith(
        f"assume-role {GOOGLE_ROLE} (profile app, from Environment"
    )
    assert checks["aws.expiry"]["status"] == "ok"


@module_only
def test_instance_metadata_is_named(workload: Workload, imds: InstanceMetadataStandIn) -> None:
    workload.point_at(imds=imds)

    checks = _doctor(workload)

    assert checks["aws.source"]["detail"].startswith("instance metadata:")


@module_only
def test_container_endpoint_is_named_with_its_url(
    workload: Workload, container_agent: ContainerCredentialsStandIn
) -> None:
    workload.point_at(container_agent=container_agent)

    checks = _doctor(workload)

    assert checks["aws.source"]["detail"].startswith(
        f"container: the credentials endpoint {container_agent.full_uri}"
    )


def test_log_of_a_role_arn_run_holds_no_key_secret_token_or_signature(
    keyed_workload: Workload, sts: AwsStsStandIn, helper_command: HelperCommand
) -> None:
    log = keyed_workload.root / "steps.log"

    result = keyed_workload.run(
        "--role-arn", GOOGLE_ROLE, "--log-file", str(log), *GENEROUS_TIMEOUT
    )

    text = log.read_text()
    [issued] = sts.issued_for(GOOGLE_ROLE)
    token = urllib.parse.unquote(result.response["id_token"])
    signature = re.search(r"Signature=([0-9a-f]{64})", token)
    assert signature is not None
    for secret in (
        LONG_TERM_KEY.secret_access_key,
        LONG_TERM_KEY.access_key_id,
        issued.secret_access_key,
        issued.session_token,
        issued.access_key_id,
        signature[1],
    ):
        assert secret and secret not in text
    assert text.count(" source ") == 2  # the base keys, then the role's
