"""The step log: --log-file / AWS_WIF_HELPER_LOG_FILE, one line per step, never a secret."""

from __future__ import annotations

import json
import re
import urllib.parse
from pathlib import Path

import pytest

from tests.harness import AUDIENCE, AwsEnvironment, HelperCommand, RunHelper, client_variables
from tests.standins.aws_keys import SESSION_KEY, AwsKey

LOG_VARIABLE = "AWS_WIF_HELPER_LOG_FILE"

# The frozen build runs the tests that scan for secrets and the main record; a run takes seconds.
module_only = pytest.mark.parametrize("helper_command", ["module"], indirect=True)


def _signature_of(response: dict[str, object]) -> str:
    document = json.loads(urllib.parse.unquote(str(response["id_token"])))
    authorization = next(h["value"] for h in document["headers"] if h["key"] == "Authorization")
    return str(re.search(r"Signature=([0-9a-f]+)", authorization)[1])  # type: ignore[index]


def _assert_holds_no_secret(log_text: str, key: AwsKey, signature: str | None = None) -> None:
    assert key.secret_access_key not in log_text
    if key.session_token:
        assert key.session_token not in log_text
    if signature:
        assert signature not in log_text
    assert key.access_key_id not in log_text


@module_only
def test_protocol_mode_without_a_log_file_writes_nothing_but_the_response(
    run_helper: RunHelper, aws_env: AwsEnvironment, tmp_path: Path
) -> None:
    aws_env.use_key(SESSION_KEY)
    before = sorted(tmp_path.rglob("*"))

    run = run_helper(aws_env.environ(client_variables()))

    assert run.response["success"] is True
    assert sorted(tmp_path.rglob("*")) == before


def test_log_file_records_start_steps_source_endpoint_and_outcome(
    run_helper: RunHelper, aws_env: AwsEnvironment, tmp_path: Path
) -> None:
    aws_env.use_key(SESSION_KEY)
    log = tmp_path / "helper.log"

    run_helper(
        aws_env.environ(client_variables()), ["--region", "eu-west-1", "--log-file", str(log)]
    )

    kinds = [line.split()[3] for line in log.read_text().splitlines()]
    assert kinds[0] == "start"
    assert {"step", "source", "endpoint"} <= set(kinds)
    assert kinds[-1] == "outcome"
    text = log.read_text()
    assert "https://sts.eu-west-1.amazonaws.com" in text
    assert "environment variables" in text
    assert "success" in text


@module_only
def test_every_log_line_carries_time_since_start(
    run_helper: RunHelper, aws_env: AwsEnvironment, tmp_path: Path
) -> None:
    aws_env.use_key(SESSION_KEY)
    log = tmp_path / "helper.log"

    run_helper(aws_env.environ(client_variables()), [f"--log-file={log}"])

    for line in log.read_text().splitlines():
        assert re.match(r"\S+Z pid=\d+ \+\d+\.\d{3}s \w+", line), line


@module_only
def test_log_variable_is_used_when_the_command_has_no_option(
    run_helper: RunHelper, aws_env: AwsEnvironment, tmp_path: Path
) -> None:
    aws_env.use_key(SESSION_KEY)
    log = tmp_path / "from-variable.log"

    run_helper(aws_env.environ({**client_variables(), LOG_VARIABLE: str(log)}))

    assert "outcome" in log.read_text()


@module_only
def test_runs_append_to_the_same_log(
    run_helper: RunHelper, aws_env: AwsEnvironment, tmp_path: Path
) -> None:
    aws_env.use_key(SESSION_KEY)
    log = tmp_path / "helper.log"

    for _ in range(2):
        run_helper(aws_env.environ(client_variables()), ["--log-file", str(log)])

    assert log.read_text().count(" start ") == 2


@module_only
def test_bad_option_is_logged_with_the_helpers_message(
    run_helper: RunHelper, aws_env: AwsEnvironment, tmp_path: Path
) -> None:
    log = tmp_path / "helper.log"

    run = run_helper(
        aws_env.environ(client_variables()), ["--log-file", str(log), "--region", "Mars"]
    )

    assert run.response["code"] == "INVALID_REQUEST"
    assert "failure INVALID_REQUEST: --region is not an AWS region name" in log.read_text()


@module_only
def test_missing_credentials_are_logged_with_every_place_looked_in(
    run_helper: RunHelper, aws_env: AwsEnvironment, tmp_path: Path
) -> None:
    log = tmp_path / "helper.log"

    run_helper(aws_env.environ(client_variables()), ["--log-file", str(log)])

    text = log.read_text()
    assert "looking for AWS credentials in the shared credentials file" in text
    assert "failure AWS_CREDENTIALS_NOT_FOUND" in text


@module_only
def test_unwritable_log_file_does_not_change_the_response(
    run_helper: RunHelper, aws_env: AwsEnvironment, tmp_path: Path
) -> None:
    aws_env.use_key(SESSION_KEY)

    run = run_helper(
        aws_env.environ(client_variables()), ["--log-file", str(tmp_path / "no" / "such" / "log")]
    )

    assert run.response["success"] is True


def test_log_never_holds_the_secret_key_session_token_key_id_or_signature(
    run_helper: RunHelper, aws_env: AwsEnvironment, tmp_path: Path
) -> None:
    aws_env.use_key(SESSION_KEY)
    log = tmp_path / "helper.log"
    output_file = tmp_path / "cache" / "response.json"

    first = run_helper(
        aws_env.environ(client_variables(output_file=output_file)), ["--log-file", str(log)]
    )
    # A second run reuses the cached response: its token passes through the log's code too.
    run_helper(aws_env.environ(client_variables(output_file=output_file)), ["--log-file", str(log)])

    _assert_holds_no_secret(log.read_text(), SESSION_KEY, _signature_of(first.response))
    assert "AKIA" in log.read_text() or "ASIA" in log.read_text()


def test_token_command_logs_without_secrets(
    helper_command: HelperCommand, aws_env: AwsEnvironment, tmp_path: Path
) -> None:
    aws_env.use_key(SESSION_KEY)
    log = tmp_path / "token.log"

    run = helper_command.run(
        aws_env.environ(), ["token", "--audience", AUDIENCE, "--log-file", str(log)]
    )

    response = json.loads(run.stdout)
    assert "outcome" in log.read_text()
    _assert_holds_no_secret(log.read_text(), SESSION_KEY, _signature_of(response))
