"""Fixtures for the credential-source tests.

* `sts`, `imds`, `container_agent`, `sso`: the AWS stand-ins on loopback.
* `workload`: a private AWS set-up whose `run(*options)` starts the helper,
  once per build: the frozen binary (dist/aws-wif-helper, skipped when not
  built) and `python -m helper`.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.standins.aws_sts import AwsStsStandIn
from tests.standins.container import ContainerCredentialsStandIn
from tests.standins.imds import InstanceMetadataStandIn
from tests.standins.sso import SsoStandIn
from tests.test_sources.workload import Workload

REPO = Path(__file__).resolve().parents[2]
FROZEN_HELPER = REPO / "dist" / "aws-wif-helper"


@pytest.fixture(params=["frozen", "module"])
def helper_argv(request: pytest.FixtureRequest) -> tuple[str, ...]:
    """The helper as users get it (frozen) and as developers run it (module)."""
    if request.param == "frozen":
        if not FROZEN_HELPER.exists():
            pytest.skip("dist/aws-wif-helper is not built; run `bash build/build.sh`")
        return (str(FROZEN_HELPER),)
    return (sys.executable, "-m", "helper")


@pytest.fixture
def workload(tmp_path: Path, helper_argv: tuple[str, ...]) -> Workload:
    home, aws = tmp_path / "home", tmp_path / "aws"
    home.mkdir()
    aws.mkdir()
    (aws / "config").write_text("")
    (aws / "credentials").write_text("")

    variables = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "HOME": str(home),
        "AWS_CONFIG_FILE": str(aws / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(aws / "credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    return Workload(tmp_path, helper_argv, variables)


@pytest.fixture
def sts() -> Iterator[AwsStsStandIn]:
    standin = AwsStsStandIn()
    yield standin
    standin.close()


@pytest.fixture
def imds() -> Iterator[InstanceMetadataStandIn]:
    standin = InstanceMetadataStandIn()
    yield standin
    standin.close()


@pytest.fixture
def container_agent() -> Iterator[ContainerCredentialsStandIn]:
    standin = ContainerCredentialsStandIn()
    yield standin
    standin.close()


@pytest.fixture
def sso() -> Iterator[SsoStandIn]:
    standin = SsoStandIn()
    yield standin
    standin.close()
