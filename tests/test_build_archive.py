"""What the one-file archive carries: the data the credential chain loads, and no more.

The spec keeps botocore's models for a fixed list of services. If a new
botocore creates a client for another service somewhere in its credential
chain, the frozen binary would fail there only; the first test reads
botocore's own source to catch that at build time.
"""

from __future__ import annotations

import pathlib
import re

import botocore
import pytest
from PyInstaller.archive.readers import CArchiveReader  # type: ignore[import-untyped]

from tests.standins.frozen_binary import REPO

UNWRAPPED = REPO / "build" / "work" / "onefile" / "aws-wif-helper"
BOTOCORE = pathlib.Path(botocore.__file__).parent
# `client_creator('sts', ...)`, `create_nested_client(session, "sso-oidc", ...)`
_CLIENT_CREATION = re.compile(
    r"""(?:_client_creator|create_nested_client\(\s*[\w.]+\s*,)\(?\s*['"]([a-z0-9-]+)['"]"""
)


@pytest.fixture(scope="module")
def entries() -> set[str]:
    """Names in the PyInstaller archive and in its PYZ of Python modules."""
    if not UNWRAPPED.is_file():
        pytest.skip(f"{UNWRAPPED} is not built; run `bash build/build.sh` first.")
    archive = CArchiveReader(str(UNWRAPPED))
    names = set(archive.toc)
    modules = archive.open_embedded_archive("PYZ.pyz")
    return names | {f"module:{name}" for name in modules.toc}


def test_the_unpack_marker_is_unpacked_before_any_other_file() -> None:
    # So that a run killed while unpacking leaves a folder the next run knows
    # as ours (build/frozen_runtime.py). Scripts and modules are not unpacked.
    if not UNWRAPPED.is_file():
        pytest.skip(f"{UNWRAPPED} is not built; run `bash build/build.sh` first.")
    archive = CArchiveReader(str(UNWRAPPED))
    unpacked = [name for name, entry in archive.toc.items() if entry[-1] in "bx"]

    assert unpacked[0] == "aws-wif-helper.unpacked"


def _chain_services() -> set[str]:
    services = set()
    for source in ("credentials.py", "tokens.py"):
        services |= set(_CLIENT_CREATION.findall((BOTOCORE / source).read_text()))
    return services


def _carried_services(entries: set[str]) -> set[str]:
    pattern = re.compile(r"botocore/data/([a-z0-9-]+)/[0-9-]+/service-2\.json(?:\.gz)?$")
    return {match.group(1) for name in entries if (match := pattern.match(name))}


def test_reading_botocore_finds_the_chains_clients() -> None:
    assert {"sts", "sso", "sso-oidc"} <= _chain_services()


def test_every_service_the_credential_chain_creates_a_client_for_is_carried(
    entries: set[str],
) -> None:
    assert _chain_services() <= _carried_services(entries)


def test_each_carried_service_has_its_endpoint_rules(entries: set[str]) -> None:
    for service in _carried_services(entries):
        assert any(
            name.startswith(f"botocore/data/{service}/") and "endpoint-rule-set-1" in name
            for name in entries
        ), service


def test_no_other_service_models_are_carried(entries: set[str]) -> None:
    assert _carried_services(entries) == _chain_services()


def test_botocore_root_data_and_ca_bundle_are_carried(entries: set[str]) -> None:
    assert {
        "botocore/data/endpoints.json.gz",
        "botocore/data/partitions.json",
        "botocore/data/sdk-default-configuration.json",
        "botocore/data/_retry.json",
        "botocore/cacert.pem",
        "aws-wif-helper.unpacked",
    } <= entries


@pytest.mark.parametrize(
    "module", ["boto3", "s3transfer", "cryptography", "certifi", "unittest", "tkinter"]
)
def test_unused_packages_are_left_out(entries: set[str], module: str) -> None:
    assert f"module:{module}" not in entries
    assert not any(name.startswith(f"module:{module}.") for name in entries)


def test_no_build_tooling_is_carried(entries: set[str]) -> None:
    tooling = ("setuptools", "pkg_resources", "_distutils_hack", "distutils", "packaging", "pip")
    carried = {
        name
        for name in entries
        if name.startswith("module:") and name[len("module:") :].split(".")[0] in tooling
    }

    assert carried == set()
