"""Which STS endpoint the token names, and the region it comes from.

The endpoint rule: `--sts-endpoint global` wins; otherwise a known region gives
the regional endpoint; no region gives the global one. The region comes from
`--region`, then AWS_REGION, then AWS_DEFAULT_REGION, then the profile's.
"""

from __future__ import annotations

import pytest

from helper.aws_session import open_session
from helper.credentials import resolve_region
from helper.deadline import Deadline
from helper.endpoint import StsEndpoint, choose_sts_endpoint
from helper.errors import ErrorCode, HelperError
from helper.options import HelperOptions
from tests.harness import AwsEnvironment


def region_for(
    options: HelperOptions, environ: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> str | None:
    """Resolve the region as protocol mode does, with `environ` as the process environment."""
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    return resolve_region(open_session(options, Deadline(5)), options, environ)


@pytest.fixture
def profile_in_ap_south_1(aws_env: AwsEnvironment) -> None:
    aws_env.write_config("[default]\nregion = ap-south-1\n")


def test_global_choice_names_the_global_endpoint_even_with_a_region() -> None:
    assert choose_sts_endpoint("eu-west-1", "global") == StsEndpoint(
        "sts.amazonaws.com", "us-east-1"
    )


def test_known_region_names_the_regional_endpoint() -> None:
    assert choose_sts_endpoint("eu-west-1", "auto") == StsEndpoint(
        "sts.eu-west-1.amazonaws.com", "eu-west-1"
    )


def test_regional_choice_with_a_region_names_the_regional_endpoint() -> None:
    assert choose_sts_endpoint("us-west-2", "regional").host == "sts.us-west-2.amazonaws.com"


def test_china_region_uses_the_china_dns_suffix() -> None:
    assert choose_sts_endpoint("cn-north-1", "auto").host == "sts.cn-north-1.amazonaws.com.cn"


def test_no_region_falls_back_to_the_global_endpoint() -> None:
    assert choose_sts_endpoint(None, "auto") == StsEndpoint("sts.amazonaws.com", "us-east-1")


def test_regional_choice_without_a_region_is_an_invalid_request() -> None:
    with pytest.raises(HelperError) as raised:
        choose_sts_endpoint(None, "regional")

    assert raised.value.code is ErrorCode.INVALID_REQUEST
    assert "--region" in raised.value.message


@pytest.mark.usefixtures("profile_in_ap_south_1")
def test_region_option_comes_before_every_other_source(monkeypatch: pytest.MonkeyPatch) -> None:
    environ = {"AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "eu-west-2"}

    assert region_for(HelperOptions(region="us-west-2"), environ, monkeypatch) == "us-west-2"


@pytest.mark.usefixtures("profile_in_ap_south_1")
def test_aws_region_comes_before_aws_default_region(monkeypatch: pytest.MonkeyPatch) -> None:
    environ = {"AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "eu-west-2"}

    assert region_for(HelperOptions(), environ, monkeypatch) == "eu-west-1"


@pytest.mark.usefixtures("profile_in_ap_south_1")
def test_aws_default_region_comes_before_the_profile_region(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    environ = {"AWS_DEFAULT_REGION": "eu-west-2"}

    assert region_for(HelperOptions(), environ, monkeypatch) == "eu-west-2"


@pytest.mark.usefixtures("profile_in_ap_south_1")
def test_profile_region_is_used_when_nothing_else_names_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert region_for(HelperOptions(), {}, monkeypatch) == "ap-south-1"


def test_named_profile_region_is_used(
    aws_env: AwsEnvironment, monkeypatch: pytest.MonkeyPatch
) -> None:
    aws_env.write_config("[default]\nregion = ap-south-1\n[profile work]\nregion = sa-east-1\n")

    assert region_for(HelperOptions(profile="work"), {}, monkeypatch) == "sa-east-1"


def test_no_region_anywhere_resolves_to_none(monkeypatch: pytest.MonkeyPatch) -> None:
    assert region_for(HelperOptions(), {}, monkeypatch) is None
