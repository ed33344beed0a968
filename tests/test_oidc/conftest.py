"""Fixtures for OIDC mode: AWS's side (STS GetWebIdentityToken and the issuer) on loopback.

`aws_oidc` is the stand-in of `tests/standins/aws_oidc.py`, reset for each test;
`workload` is an IAM identity it knows; `oidc_environment` is the environment a
Google client would hand the helper, with AWS pointed at files and servers made
here only (no IMDS, no real endpoint); `oidc_answer` runs protocol mode in this
process under that environment and returns the response.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from helper.protocol import answer
from tests.standins.aws_oidc import AwsOidcStandIn, Identity
from tests.standins.oidc_verify import OidcProvider

AUDIENCE = (
    "//iam.googleapis.com/projects/123456789012/locations/global/"
    "workloadIdentityPools/aws-pool/providers/aws-oidc"
)
JWT_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:jwt"
ID_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:id_token"
REGION = "eu-west-3"

OidcAnswer = Callable[..., dict[str, Any]]


@pytest.fixture(scope="session")
def _aws_oidc_server() -> Iterator[AwsOidcStandIn]:
    standin = AwsOidcStandIn()
    yield standin
    standin.close()


@pytest.fixture
def aws_oidc(_aws_oidc_server: AwsOidcStandIn) -> AwsOidcStandIn:
    """The AWS stand-in: federation enabled, no audience condition, no calls recorded."""
    _aws_oidc_server.reset()
    return _aws_oidc_server


@pytest.fixture
def workload(aws_oidc: AwsOidcStandIn) -> Identity:
    """Long-term keys of an IAM user the AWS stand-in knows."""
    return aws_oidc.add_identity(
        Identity(
            access_key="AKIAOIDCTEST" + secrets.token_hex(4).upper(),
            secret_key=secrets.token_urlsafe(30),
            arn="arn:aws:iam::111122223333:user/oidc-workload",
        )
    )


@pytest.fixture
def provider(aws_oidc: AwsOidcStandIn) -> OidcProvider:
    """The Google pool's OIDC provider trusting the stand-in's issuer, no allowed audiences."""
    return OidcProvider(name=AUDIENCE, issuer_uri=aws_oidc.issuer_url)


@pytest.fixture
def oidc_environment(
    tmp_path: Path, aws_oidc: AwsOidcStandIn, workload: Identity
) -> dict[str, str]:
    """What a Google client hands the helper for a jwt config, AWS kept on loopback."""
    config = tmp_path / "aws-config"
    credentials = tmp_path / "aws-credentials"
    config.write_text("")
    credentials.write_text("")
    return {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "AWS_CONFIG_FILE": str(config),
        "AWS_SHARED_CREDENTIALS_FILE": str(credentials),
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_ENDPOINT_URL_STS": aws_oidc.sts_url,
        "AWS_ACCESS_KEY_ID": workload.access_key,
        "AWS_SECRET_ACCESS_KEY": workload.secret_key,
        "AWS_REGION": REGION,
        "GOOGLE_EXTERNAL_ACCOUNT_AUDIENCE": AUDIENCE,
        "GOOGLE_EXTERNAL_ACCOUNT_TOKEN_TYPE": JWT_TOKEN_TYPE,
        "GOOGLE_EXTERNAL_ACCOUNT_INTERACTIVE": "0",
    }


@pytest.fixture
def oidc_answer(monkeypatch: pytest.MonkeyPatch, oidc_environment: dict[str, str]) -> OidcAnswer:
    """Run protocol mode in-process: `oidc_answer(*argv, **environment changes)`.

    botocore reads `os.environ`, so the process environment is replaced by the
    test's for the call; a change whose value is None removes the variable.
    """

    def run(*argv: str, **changes: str | None) -> dict[str, Any]:
        environment = _changed(oidc_environment, changes)
        for name in list(os.environ):
            monkeypatch.delenv(name)
        for name, value in environment.items():
            monkeypatch.setenv(name, value)
        return answer(list(argv), os.environ)

    return run


def _changed(environment: Mapping[str, str], changes: Mapping[str, str | None]) -> dict[str, str]:
    changed = dict(environment)
    for name, value in changes.items():
        if value is None:
            changed.pop(name, None)
        else:
            changed[name] = value
    return changed
