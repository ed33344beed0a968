"""Fixtures for the credential-source tests, on top of the shared ones in tests/conftest.py.

* `sts`, `imds`, `container_agent`, `sso`: the AWS stand-ins on loopback
  (tests/standins/aws_sts.py, imds.py, container.py, sso.py).
* `workload`: the shared `aws_env` with the helper build under test
  (`helper_command`: the frozen binary and `python -m helper`); its
  `run(*options)` runs the helper in protocol mode.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.harness import AwsEnvironment, HelperCommand
from tests.standins.aws_sts import AwsStsStandIn
from tests.standins.container import ContainerCredentialsStandIn
from tests.standins.imds import InstanceMetadataStandIn
from tests.standins.sso import SsoStandIn
from tests.test_sources.workload import Workload


@pytest.fixture
def workload(aws_env: AwsEnvironment, helper_command: HelperCommand) -> Workload:
    # Shares aws_env's variables, so changes show in the real clients' runs too.
    return Workload(aws_env.root, aws_env.variables, helper_command)


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
