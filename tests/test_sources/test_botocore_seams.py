"""The places where the helper reaches into botocore's credential chain, checked in-process.

botocore offers no public way to swap the metadata fetchers or the MFA
prompter of its default chain, so the helper sets private attributes. These
tests fail, instead of the helper silently losing its bounds, if a botocore
upgrade renames them.
"""

from __future__ import annotations

import botocore.utils
import pytest

from helper.aws_session import open_session
from helper.container_credentials import ContainerCredentialsFetcher
from helper.credentials import resolve_credentials
from helper.deadline import Deadline
from helper.instance_metadata import InstanceMetadataFetcher
from helper.options import HelperOptions
from tests.standins.aws_keys import LONG_TERM_KEY


def test_the_chain_runs_with_the_helpers_fetchers_and_no_prompter(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in LONG_TERM_KEY.environment().items():
        monkeypatch.setenv(name, value)
    session = open_session(HelperOptions(), Deadline(5.0))

    credentials = resolve_credentials(session, Deadline(5.0))

    assert credentials.access_key == LONG_TERM_KEY.access_key_id
    resolver = session.get_component("credential_provider")
    assert isinstance(resolver.get_provider("container-role")._fetcher, ContainerCredentialsFetcher)
    assert isinstance(resolver.get_provider("iam-role")._role_fetcher, InstanceMetadataFetcher)
    assert resolver.get_provider("assume-role")._prompter.__name__ == "refuse"


def test_botocores_metadata_fetcher_sends_through_the_attribute_the_helper_replaces() -> None:
    fetcher = botocore.utils.InstanceMetadataFetcher()

    assert hasattr(fetcher, "_session")
    assert hasattr(botocore.utils.ContainerMetadataFetcher, "RETRY_ATTEMPTS")
    assert hasattr(botocore.utils.ContainerMetadataFetcher, "SLEEP_TIME")
