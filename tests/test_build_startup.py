"""The start-up shortcut for environment keys gives what botocore's full chain gives.

With keys in the environment, no profile named and the region known from the
environment, the helper reads the keys through botocore's environment
provider without building a session (whose import of botocore.client is a
large share of a cold start). These checks run `python -m helper` in a fresh
interpreter, as a client would, and compare with the cases that keep the full
chain.
"""

from __future__ import annotations

import datetime
import json
import pathlib
import subprocess
import sys
import urllib.parse
from typing import Any

import pytest

from tests.standins.frozen_binary import AUDIENCE, REPO

ACCESS_KEY = "AKIASTARTUPSHORTCUT0"
SECRET = "startup-secret-key-not-a-real-one-000000"

# Runs the helper's protocol answer, then reports which botocore modules it used.
_PROBE = """
import json, os, sys
from helper.protocol import answer
response = answer(sys.argv[1:], os.environ)
print(json.dumps({"response": response, "session": "botocore.session" in sys.modules,
                  "client": "botocore.client" in sys.modules}))
"""


@pytest.fixture
def env(tmp_path: pathlib.Path) -> dict[str, str]:
    config = tmp_path / "config"
    credentials = tmp_path / "credentials"
    config.write_text("[profile other]\nregion = eu-west-1\n[default]\nregion = ap-south-1\n")
    credentials.write_text("")
    return {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "AWS_CONFIG_FILE": str(config),
        "AWS_SHARED_CREDENTIALS_FILE": str(credentials),
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_ACCESS_KEY_ID": ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET,
        "AWS_DEFAULT_REGION": "us-west-2",
        "GOOGLE_CLOUD_PROJECT": "startup-tests",
        "GOOGLE_EXTERNAL_ACCOUNT_AUDIENCE": AUDIENCE,
        "GOOGLE_EXTERNAL_ACCOUNT_TOKEN_TYPE": "urn:ietf:params:aws:token-type:aws4_request",
    }


def _probe(env: dict[str, str], *arguments: str) -> dict[str, Any]:
    completed = subprocess.run(
        [sys.executable, "-c", _PROBE, *arguments],
        env={**env, "PYTHONPATH": str(REPO)},
        cwd=env["HOME"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    result: dict[str, Any] = json.loads(completed.stdout)
    return result


def _token(result: dict[str, Any]) -> dict[str, Any]:
    response = result["response"]
    assert response["success"] is True, response
    token: dict[str, Any] = json.loads(urllib.parse.unquote(response["id_token"]))
    return token


def _header(token: dict[str, Any], key: str) -> str | None:
    return next((h["value"] for h in token["headers"] if h["key"] == key), None)


def test_environment_keys_are_read_without_a_botocore_session(env: dict[str, str]) -> None:
    result = _probe(env)

    token = _token(result)
    assert f"Credential={ACCESS_KEY}/" in str(_header(token, "Authorization"))
    assert token["url"].startswith("https://sts.us-west-2.amazonaws.com")
    assert result["session"] is False
    assert result["client"] is False


def test_session_token_from_the_environment_is_signed_and_sent(env: dict[str, str]) -> None:
    env["AWS_SESSION_TOKEN"] = "startup-session-token"

    token = _token(_probe(env))

    assert _header(token, "x-amz-security-token") == "startup-session-token"


def test_credential_expiration_from_the_environment_bounds_the_response(
    env: dict[str, str],
) -> None:
    expiry = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=8)
    env["AWS_CREDENTIAL_EXPIRATION"] = expiry.strftime("%Y-%m-%dT%H:%M:%SZ")

    response = _probe(env)["response"]

    assert response["success"] is True
    assert response["expiration_time"] <= int(expiry.timestamp())


def test_without_a_region_in_the_environment_the_profile_region_is_used(
    env: dict[str, str],
) -> None:
    del env["AWS_DEFAULT_REGION"]

    result = _probe(env)

    assert _token(result)["url"].startswith("https://sts.ap-south-1.amazonaws.com")
    assert result["session"] is True


def test_a_named_profile_takes_the_full_chain(env: dict[str, str]) -> None:
    env["AWS_PROFILE"] = "other"

    result = _probe(env)

    assert f"Credential={ACCESS_KEY}/" in str(_header(_token(result), "Authorization"))
    assert result["session"] is True


def test_a_named_profile_that_does_not_exist_still_fails(env: dict[str, str]) -> None:
    env["AWS_PROFILE"] = "missing"

    response = _probe(env)["response"]

    assert response["success"] is False
    assert response["code"] == "AWS_PROFILE_NOT_FOUND"


def test_an_explicit_profile_skips_the_environment_keys(env: dict[str, str]) -> None:
    response = _probe(env, "--profile", "other")["response"]

    assert response["success"] is False
    assert response["code"] == "AWS_CREDENTIALS_NOT_FOUND"
