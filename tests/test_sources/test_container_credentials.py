"""Container credentials: AWS_CONTAINER_CREDENTIALS_FULL_URI with an authorization token
(EKS Pod Identity), and AWS_CONTAINER_CREDENTIALS_RELATIVE_URI (ECS, Fargate).

RELATIVE_URI always goes to the ECS agent's link-local address, which a test
must never reach, so it is checked in-process with the helper's fetcher sent
to loopback (`test_relative_uri_...`); everything else runs the helper.
"""

from __future__ import annotations

import pytest
from botocore.credentials import ContainerProvider

from helper.container_credentials import ContainerCredentialsFetcher
from helper.deadline import Deadline
from tests.standins.container import ContainerCredentialsStandIn
from tests.test_sources.workload import (
    GENEROUS_TIMEOUT,
    TROUBLES,
    Workload,
    assert_answered_before_deadline,
    assert_fails,
    assert_signed_with,
    make_trouble,
)

# The ways the agent can let the helper down, and what each gives: the agent
# is not an AWS service, so a hang is its own timeout, not the deadline.
AGENT_TROUBLE_CODES = {
    "refused": "AWS_UNREACHABLE",
    "server error": "AWS_UNREACHABLE",
    "throttled": "AWS_THROTTLED",
    "hanging": "AWS_UNREACHABLE",
}


@pytest.fixture
def pod(workload: Workload, container_agent: ContainerCredentialsStandIn) -> Workload:
    """A pod with EKS Pod Identity: the agent's full URI and its token file."""
    workload.point_at(container_agent=container_agent)
    return workload


def test_pod_identity_token_file_signs_with_the_pods_key(
    pod: Workload, container_agent: ContainerCredentialsStandIn
) -> None:
    result = pod.run(*GENEROUS_TIMEOUT)

    assert_signed_with(result, container_agent.key)
    [request] = container_agent.requests
    assert request.headers["authorization"] == container_agent.authorization_token


def test_authorization_token_from_the_environment_is_sent(
    pod: Workload, container_agent: ContainerCredentialsStandIn
) -> None:
    del pod.variables["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"]
    assert container_agent.authorization_token is not None
    pod.set(AWS_CONTAINER_AUTHORIZATION_TOKEN=container_agent.authorization_token)

    result = pod.run(*GENEROUS_TIMEOUT)

    assert_signed_with(result, container_agent.key)


def test_wrong_authorization_token_is_access_denied(pod: Workload) -> None:
    pod.write_file("pod-identity-token", "stale-token")

    result = pod.run(*GENEROUS_TIMEOUT)

    assert_fails(result, "AWS_ACCESS_DENIED", "HTTP 401", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")
    assert "stale-token" not in result.message


def test_missing_token_file_names_the_file(pod: Workload) -> None:
    pod.set(AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=str(pod.root / "not-mounted"))

    result = pod.run(*GENEROUS_TIMEOUT)

    assert_fails(result, "AWS_CONFIG_INVALID", "not-mounted")


def test_plain_http_to_a_non_loopback_host_is_refused_before_any_request(pod: Workload) -> None:
    # botocore allows plain HTTP only to loopback and the agents' own addresses;
    # .invalid never resolves, and the check comes before any connection.
    pod.set(AWS_CONTAINER_CREDENTIALS_FULL_URI="http://agent.example.invalid/v1/credentials")

    result = pod.run(*GENEROUS_TIMEOUT)

    assert_fails(result, "AWS_CONFIG_INVALID", "agent.example.invalid")


def test_expired_credentials_from_the_agent_fail_as_expired(
    pod: Workload, container_agent: ContainerCredentialsStandIn
) -> None:
    container_agent.hand_out_expired_credentials()

    result = pod.run(*GENEROUS_TIMEOUT)

    assert_fails(result, "AWS_CREDENTIALS_EXPIRED", "container credentials endpoint")


@pytest.mark.parametrize("trouble", TROUBLES)
def test_agent_trouble_is_reported_with_what_the_agent_did(
    pod: Workload, container_agent: ContainerCredentialsStandIn, trouble: str
) -> None:
    options = make_trouble(
        trouble, container_agent, pod, "AWS_CONTAINER_CREDENTIALS_FULL_URI", "/v1/credentials"
    )

    result = pod.run(*options)

    what = {
        "refused": "refused the connection",
        "server error": "HTTP 500",
        "throttled": "HTTP 429",
        "hanging": "gave no answer within",
    }[trouble]
    assert_fails(result, AGENT_TROUBLE_CODES[trouble], "container credentials endpoint", what)
    assert_answered_before_deadline(result, options)


def test_relative_uri_is_fetched_from_the_agent_with_the_bounded_fetcher(
    container_agent: ContainerCredentialsStandIn,
) -> None:
    class LoopbackAgentFetcher(ContainerCredentialsFetcher):
        """The helper's fetcher, with the ECS agent's address replaced by the stand-in's."""

        def full_url(self, relative_uri: str) -> str:
            return container_agent.url + relative_uri

    container_agent.authorization_token = None  # the ECS agent asks for none
    provider = ContainerProvider(
        environ={"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/v1/credentials?id=task"},
        fetcher=LoopbackAgentFetcher(Deadline(5.0)),
    )

    frozen = provider.load().get_frozen_credentials()

    assert frozen.access_key == container_agent.key.access_key_id
    assert frozen.token == container_agent.key.session_token
    [request] = container_agent.requests
    assert request.path == "/v1/credentials?id=task"
    assert "authorization" not in request.headers
