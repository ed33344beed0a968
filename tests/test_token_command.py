"""`aws-wif-helper token`: a response by hand, and --decode with every secret shortened."""

from __future__ import annotations

import json
import re
import urllib.parse

import pytest

from tests.harness import AUDIENCE, AwsEnvironment, HelperCommand
from tests.standins.aws_keys import LONG_TERM_KEY, SESSION_KEY

# The frozen build runs only where the output differs in substance: a run takes seconds.
module_only = pytest.mark.parametrize("helper_command", ["module"], indirect=True)


def test_token_prints_one_response_without_the_client_variables(
    helper_command: HelperCommand, aws_env: AwsEnvironment
) -> None:
    aws_env.use_key(LONG_TERM_KEY)

    run = helper_command.run(aws_env.environ(), ["token", "--audience", AUDIENCE])

    assert run.returncode == 0
    assert run.response["success"] is True
    assert run.stderr == b""


@module_only
def test_token_signs_for_the_audience_it_is_given(
    helper_command: HelperCommand, aws_env: AwsEnvironment
) -> None:
    aws_env.use_key(LONG_TERM_KEY)

    run = helper_command.run(aws_env.environ(), ["token", "--audience", AUDIENCE])

    request = json.loads(urllib.parse.unquote(run.response["id_token"]))
    headers = {h["key"]: h["value"] for h in request["headers"]}
    assert headers["x-goog-cloud-target-resource"] == AUDIENCE


def test_decode_shows_the_request_with_key_signature_and_session_token_shortened(
    helper_command: HelperCommand, aws_env: AwsEnvironment
) -> None:
    aws_env.use_key(SESSION_KEY)

    plain = helper_command.run(aws_env.environ(), ["token", "--audience", AUDIENCE])
    decoded = helper_command.run(aws_env.environ(), ["token", "--audience", AUDIENCE, "--decode"])

    shown = decoded.stdout.decode("utf-8")
    document = json.loads(shown)
    headers = {h["key"]: h["value"] for h in document["subject_token"]["request"]["headers"]}
    assert f"Credential={SESSION_KEY.access_key_id[:4]}…" in headers["Authorization"]
    assert re.search(r"Signature=[0-9a-f]{4}…[0-9a-f]{4}$", headers["Authorization"])
    assert headers["x-amz-security-token"].count("…") == 1
    assert SESSION_KEY.session_token and SESSION_KEY.session_token not in shown
    assert SESSION_KEY.secret_access_key not in shown
    assert SESSION_KEY.access_key_id not in shown
    assert plain.response["id_token"] not in shown


@module_only
def test_decode_keeps_the_audience_and_endpoint_readable(
    helper_command: HelperCommand, aws_env: AwsEnvironment
) -> None:
    aws_env.use_key(LONG_TERM_KEY)

    run = helper_command.run(
        aws_env.environ(), ["token", "--audience", AUDIENCE, "--region", "eu-west-1", "--decode"]
    )

    document = json.loads(run.stdout)
    request = document["subject_token"]["request"]
    assert request["url"].startswith("https://sts.eu-west-1.amazonaws.com?")
    assert {"key": "x-goog-cloud-target-resource", "value": AUDIENCE} in request["headers"]


@module_only
def test_unknown_mode_is_refused_with_the_modes_there_are(
    helper_command: HelperCommand, aws_env: AwsEnvironment
) -> None:
    run = helper_command.run(aws_env.environ(), ["token", "--audience", AUDIENCE, "--mode", "saml"])

    assert run.returncode == 1
    assert b"aws or oidc" in run.stderr


@module_only
def test_failure_goes_to_stderr_with_exit_status_1(
    helper_command: HelperCommand, aws_env: AwsEnvironment
) -> None:
    run = helper_command.run(aws_env.environ(), ["token", "--audience", AUDIENCE])

    assert run.returncode == 1
    assert run.stdout == b""
    assert b"AWS_CREDENTIALS_NOT_FOUND" in run.stderr
