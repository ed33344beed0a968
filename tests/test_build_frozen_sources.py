"""The trimmed one-file binary still reaches every AWS credential source.

The build leaves out most of botocore's data and parts of the standard
library. A missing module or model shows only in the frozen binary, as an
INTERNAL failure, so each source is driven once through dist/aws-wif-helper
against loopback stand-ins; the access key that signed the token names the
source that answered.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import pathlib
from collections.abc import Iterator

import pytest

from tests.standins import frozen_sources as aws
from tests.standins.frozen_binary import Sandbox, require_binary, signing_access_key
from tests.standins.server import StandInServer

ENV_ACCESS_KEY = "AKIAFROZENENVIRONMEN"
FILE_ACCESS_KEY = "AKIAFROZENSHAREDFILE"
PROCESS_ACCESS_KEY = "ASIAFROZENCREDPROCES"
SECRET = "frozen-test-secret-key-not-a-real-one-00"
SSO_START_URL = "https://standin.awsapps.example/start"


@pytest.fixture(scope="module")
def sources() -> Iterator[StandInServer]:
    require_binary()
    server = StandInServer(aws.aws_credential_sources)
    yield server
    server.close()


@pytest.fixture
def sandbox(tmp_path: pathlib.Path) -> Sandbox:
    return Sandbox(tmp_path)


def _in_an_hour() -> str:
    later = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)
    return later.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_version_names_the_helper_and_botocore(sandbox: Sandbox) -> None:
    completed = sandbox.run("--version")

    assert completed.returncode == 0
    assert completed.stdout.startswith("aws-wif-helper ")
    assert "(botocore 1." in completed.stdout


def test_environment_keys_sign_the_token(sandbox: Sandbox) -> None:
    sandbox.env.update(AWS_ACCESS_KEY_ID=ENV_ACCESS_KEY, AWS_SECRET_ACCESS_KEY=SECRET)

    assert signing_access_key(sandbox.response()) == ENV_ACCESS_KEY


def test_shared_credentials_file_signs_the_token(sandbox: Sandbox) -> None:
    sandbox.credentials.write_text(
        f"[default]\naws_access_key_id = {FILE_ACCESS_KEY}\naws_secret_access_key = {SECRET}\n"
    )

    assert signing_access_key(sandbox.response()) == FILE_ACCESS_KEY


def test_assume_role_profile_creates_an_sts_client(
    sandbox: Sandbox, sources: StandInServer
) -> None:
    sandbox.credentials.write_text(
        f"[base]\naws_access_key_id = {FILE_ACCESS_KEY}\naws_secret_access_key = {SECRET}\n"
    )
    sandbox.config.write_text(
        "[profile target]\nrole_arn = arn:aws:iam::123456789012:role/standin\n"
        "source_profile = base\nregion = eu-west-1\n"
    )
    sandbox.env.update(AWS_PROFILE="target", AWS_ENDPOINT_URL_STS=sources.url)

    assert signing_access_key(sandbox.response()) == aws.STS_ACCESS_KEY


def test_web_identity_creates_an_sts_client(sandbox: Sandbox, sources: StandInServer) -> None:
    token_file = sandbox.root / "web-identity-token"
    token_file.write_text("standin.web.identity")
    sandbox.env.update(
        AWS_WEB_IDENTITY_TOKEN_FILE=str(token_file),
        AWS_ROLE_ARN="arn:aws:iam::123456789012:role/standin",
        AWS_DEFAULT_REGION="us-west-2",
        AWS_ENDPOINT_URL_STS=sources.url,
    )

    assert signing_access_key(sandbox.response()) == aws.WEB_IDENTITY_ACCESS_KEY


def test_legacy_sso_profile_creates_an_sso_client(sandbox: Sandbox, sources: StandInServer) -> None:
    sandbox.config.write_text(
        f"[profile sso]\nsso_start_url = {SSO_START_URL}\nsso_region = us-east-1\n"
        "sso_account_id = 123456789012\nsso_role_name = standin\n"
    )
    _write_sso_cache(sandbox, SSO_START_URL, {"accessToken": "cached", "expiresAt": _in_an_hour()})
    sandbox.env.update(AWS_PROFILE="sso", AWS_ENDPOINT_URL_SSO=sources.url)

    assert signing_access_key(sandbox.response()) == aws.SSO_ACCESS_KEY


def test_sso_session_refresh_creates_an_sso_oidc_client(
    sandbox: Sandbox, sources: StandInServer
) -> None:
    sandbox.config.write_text(
        "[profile sso]\nsso_session = corp\nsso_account_id = 123456789012\n"
        "sso_role_name = standin\n\n"
        f"[sso-session corp]\nsso_start_url = {SSO_START_URL}\nsso_region = us-east-1\n"
    )
    soon = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=5)
    _write_sso_cache(
        sandbox,
        "corp",
        {
            "startUrl": SSO_START_URL,
            "region": "us-east-1",
            "accessToken": "about-to-expire",
            "expiresAt": soon.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "refreshToken": "standin-refresh",
            "clientId": "standin-client",
            "clientSecret": "standin-client-secret",
            "registrationExpiresAt": _in_an_hour(),
        },
    )
    sandbox.env.update(
        AWS_PROFILE="sso",
        AWS_ENDPOINT_URL_SSO=sources.url,
        AWS_ENDPOINT_URL_SSO_OIDC=sources.url,
    )

    assert signing_access_key(sandbox.response()) == aws.SSO_ACCESS_KEY
    assert any(request.path == "/token" for request in sources.requests)


def test_credential_process_signs_the_token(sandbox: Sandbox) -> None:
    document = {
        "Version": 1,
        "AccessKeyId": PROCESS_ACCESS_KEY,
        "SecretAccessKey": SECRET,
        "SessionToken": "process-session-token",
        "Expiration": _in_an_hour(),
    }
    script = sandbox.root / "credential-process"
    script.write_text(f"#!/bin/sh\ncat <<'EOF'\n{json.dumps(document)}\nEOF\n")
    script.chmod(0o755)
    sandbox.config.write_text(f"[default]\ncredential_process = {script}\n")

    assert signing_access_key(sandbox.response()) == PROCESS_ACCESS_KEY


def test_container_endpoint_signs_the_token(sandbox: Sandbox, sources: StandInServer) -> None:
    sandbox.env["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = f"{sources.url}/container-credentials"

    assert signing_access_key(sandbox.response()) == aws.CONTAINER_ACCESS_KEY


def test_instance_metadata_signs_the_token(sandbox: Sandbox, sources: StandInServer) -> None:
    sandbox.env.update(
        AWS_EC2_METADATA_DISABLED="false",
        AWS_EC2_METADATA_SERVICE_ENDPOINT=f"{sources.url}/",
    )

    assert signing_access_key(sandbox.response()) == aws.IMDS_ACCESS_KEY


def _write_sso_cache(sandbox: Sandbox, key: str, token: dict[str, str]) -> None:
    cache = sandbox.home / ".aws" / "sso" / "cache"
    cache.mkdir(parents=True, exist_ok=True)
    name = hashlib.sha1(key.encode()).hexdigest()
    (cache / f"{name}.json").write_text(json.dumps(token))
