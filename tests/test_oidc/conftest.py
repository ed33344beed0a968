"""Fixtures for OIDC mode, on top of the shared ones in tests/conftest.py.

* `aws_oidc`: AWS's side (`tests/standins/aws_oidc.py`: STS GetWebIdentityToken
  and the account's issuer), shared by the session and reset for each test,
  with `workload`'s key registered.
* `provider`: the Google pool's OIDC provider trusting that issuer, with no
  allowed audiences of its own; `google_sts_oidc` is the shared Google STS
  stand-in with that provider's verifier for the jwt and id_token types.
* `oidc_environment`: what a Google client hands the helper for a jwt config,
  built on `aws_env` (AWS files made for the test, IMDS off) with the key in
  AWS_ACCESS_KEY_ID, STS at the stand-in and a region.
* `oidc_answer(*argv, **changes)`: protocol mode run in this process.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from helper.protocol import answer
from tests.harness import AUDIENCE, AwsEnvironment, client_variables
from tests.standins.aws_keys import AwsKey
from tests.standins.aws_oidc import AwsOidcStandIn
from tests.standins.google_sts import GoogleStsStandIn
from tests.standins.oidc_verify import OidcProvider, oidc_verifier

__all__ = ["AUDIENCE", "ID_TOKEN_TYPE", "JWT_TOKEN_TYPE", "REGION", "OidcAnswer"]

JWT_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:jwt"
ID_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:id_token"
REGION = "eu-west-3"

OidcAnswer = Callable[..., dict[str, Any]]

WORKLOAD_KEY = AwsKey.long_term("oidc-workload")


@pytest.fixture(scope="session")
def _aws_oidc_server() -> Iterator[AwsOidcStandIn]:
    standin = AwsOidcStandIn()
    yield standin
    standin.close()


@pytest.fixture
def aws_oidc(_aws_oidc_server: AwsOidcStandIn) -> AwsOidcStandIn:
    """The AWS stand-in: federation enabled, no audience condition, only `workload` known."""
    _aws_oidc_server.reset()
    _aws_oidc_server.register(WORKLOAD_KEY)
    return _aws_oidc_server


@pytest.fixture
def workload(aws_oidc: AwsOidcStandIn) -> AwsKey:
    """Long-term keys of an IAM user the AWS stand-in knows."""
    return WORKLOAD_KEY


@pytest.fixture
def provider(aws_oidc: AwsOidcStandIn) -> OidcProvider:
    """The Google pool's OIDC provider trusting the stand-in's issuer, no allowed audiences."""
    return OidcProvider(name=AUDIENCE, issuer_uri=aws_oidc.issuer_url)


@pytest.fixture
def google_sts_oidc(google_sts: GoogleStsStandIn, provider: OidcProvider) -> GoogleStsStandIn:
    """The Google STS stand-in, judging jwt and id_token subject tokens as `provider`."""
    google_sts.verifiers[JWT_TOKEN_TYPE] = oidc_verifier(provider)
    google_sts.verifiers[ID_TOKEN_TYPE] = oidc_verifier(provider)
    return google_sts


@pytest.fixture
def oidc_aws_env(
    aws_env: AwsEnvironment, aws_oidc: AwsOidcStandIn, workload: AwsKey
) -> AwsEnvironment:
    """`aws_env` with `workload`'s key, STS at the stand-in, and a region."""
    aws_env.use_key(workload)
    aws_env.set(AWS_ENDPOINT_URL_STS=aws_oidc.sts_url, AWS_REGION=REGION)
    return aws_env


@pytest.fixture
def oidc_environment(oidc_aws_env: AwsEnvironment) -> dict[str, str]:
    """What a Google client hands the helper for a jwt config."""
    return oidc_aws_env.environ(client_variables(token_type=JWT_TOKEN_TYPE))


@pytest.fixture
def oidc_answer(monkeypatch: pytest.MonkeyPatch, oidc_environment: dict[str, str]) -> OidcAnswer:
    """Run protocol mode in-process: `oidc_answer(*argv, **environment changes)`.

    botocore reads `os.environ`, so the process environment is replaced by the
    test's for the call; a change whose value is None removes the variable.
    """

    def run(*argv: str, **changes: str | None) -> dict[str, Any]:
        environment = dict(oidc_environment)
        for name, value in changes.items():
            if value is None:
                environment.pop(name, None)
            else:
                environment[name] = value

        for name in list(os.environ):
            monkeypatch.delenv(name)
        for name, value in environment.items():
            monkeypatch.setenv(name, value)
        return answer(list(argv), os.environ)

    return run
