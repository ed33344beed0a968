"""The helper process, frozen and as a module, keeps the protocol: one JSON document, no noise.

Every test here runs the real process the way a client does (stdin closed,
stdout and stderr captured) and, through `run_helper`, fails on any byte
written to stderr.
"""

from __future__ import annotations

import json
import os
import subprocess
import urllib.parse
from pathlib import Path

import pytest

import helper
from tests.harness import (
    AUDIENCE,
    PROCESS_TIMEOUT_SECONDS,
    AwsEnvironment,
    HelperCommand,
    HelperRun,
    RunHelper,
    capture_helper_run,
    client_variables,
)
from tests.standins.aws_keys import LONG_TERM_KEY
from tests.standins.sigv4 import parse_subject_token, verify_get_caller_identity

JWT_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:jwt"


def test_success_is_one_json_document_on_stdout_with_exit_0(
    run_helper: RunHelper, aws_env: AwsEnvironment
) -> None:
    aws_env.use_key(LONG_TERM_KEY)

    result = run_helper(aws_env.environ(client_variables()))

    assert result.returncode == 0
    assert set(result.response) == {
        "version",
        "success",
        "token_type",
        "id_token",
        "expiration_time",
    }
    assert result.response["version"] == 1
    assert result.response["success"] is True
    assert result.response["token_type"] == JWT_TOKEN_TYPE
    assert isinstance(result.response["expiration_time"], int)


def test_the_printed_token_passes_the_aws_signature_check(
    run_helper: RunHelper, aws_env: AwsEnvironment
) -> None:
    aws_env.use_key(LONG_TERM_KEY)
    aws_env.set(AWS_REGION="eu-west-1")

    token = run_helper(aws_env.environ(client_variables())).response["id_token"]
    verified = verify_get_caller_identity(
        parse_subject_token(token),
        audience=AUDIENCE,
        secret_for={LONG_TERM_KEY.access_key_id: LONG_TERM_KEY.secret_access_key}.get,
    )

    assert verified.host == "sts.eu-west-1.amazonaws.com"


def test_failure_is_one_json_document_with_code_and_message_and_exit_0(
    run_helper: RunHelper, aws_env: AwsEnvironment
) -> None:
    result = run_helper(aws_env.environ(client_variables()))

    assert result.returncode == 0
    assert result.response["version"] == 1
    assert result.response["success"] is False
    assert result.response["code"] == "AWS_CREDENTIALS_NOT_FOUND"
    assert result.response["message"]
    assert b"Traceback" not in result.stdout


def test_an_invalid_request_is_refused_before_credentials_are_looked_up(
    run_helper: RunHelper, aws_env: AwsEnvironment
) -> None:
    result = run_helper(aws_env.environ(client_variables(audience=AUDIENCE + "/")))

    assert result.returncode == 0
    assert result.response["code"] == "INVALID_REQUEST"


def test_a_bad_option_in_the_command_is_a_failure_response(
    run_helper: RunHelper, aws_env: AwsEnvironment
) -> None:
    aws_env.use_key(LONG_TERM_KEY)

    result = run_helper(aws_env.environ(client_variables()), ["--timeout", "soon"])

    assert result.returncode == 0
    assert result.response["code"] == "INVALID_REQUEST"
    assert "--timeout" in result.response["message"]


def test_the_helper_neither_reads_stdin_nor_waits_for_it(
    helper_command: HelperCommand, aws_env: AwsEnvironment
) -> None:
    aws_env.use_key(LONG_TERM_KEY)
    process = subprocess.Popen(
        helper_command.argv,
        env=aws_env.environ(client_variables()),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        # stdin stays open and empty, as the Python client leaves it.
        returncode = process.wait(timeout=PROCESS_TIMEOUT_SECONDS)
        assert process.stdout is not None and process.stderr is not None
        stdout, stderr = process.stdout.read(), process.stderr.read()
    finally:
        process.kill()
        assert process.stdin is not None
        process.stdin.close()

    capture_helper_run(helper_command.name, {}, (), HelperRun(returncode, stdout, stderr))
    assert returncode == 0
    assert stderr == b""
    assert json.loads(stdout)["success"] is True


def test_the_output_file_holds_the_response_printed_on_stdout(
    run_helper: RunHelper, aws_env: AwsEnvironment, tmp_path: Path
) -> None:
    aws_env.use_key(LONG_TERM_KEY)
    output_file = tmp_path / "cache" / "response.json"

    result = run_helper(aws_env.environ(client_variables(output_file=output_file)))

    assert json.loads(output_file.read_text()) == result.response


def test_revocation_removes_the_output_file_and_answers_success(
    run_helper: RunHelper, aws_env: AwsEnvironment, tmp_path: Path
) -> None:
    output_file = tmp_path / "response.json"
    output_file.write_text("{}")

    result = run_helper(aws_env.environ(client_variables(output_file=output_file, REVOKE="1")))

    assert result.response == {"version": 1, "success": True}
    assert not output_file.exists()


def test_without_protocol_variables_a_person_gets_usage_and_exit_2(
    helper_command: HelperCommand, aws_env: AwsEnvironment
) -> None:
    result = helper_command.run(aws_env.environ())

    assert result.returncode == 2
    assert result.stdout == b""
    assert result.stderr.startswith(b"usage: aws-wif-helper")
    assert b"GOOGLE_EXTERNAL_ACCOUNT_" in result.stderr


def test_help_prints_usage_on_stdout_and_exits_0(
    helper_command: HelperCommand, aws_env: AwsEnvironment
) -> None:
    result = helper_command.run(aws_env.environ(), ["--help"])

    assert result.returncode == 0
    assert result.stderr == b""
    assert result.stdout.startswith(b"usage: aws-wif-helper")
    assert b"--sts-endpoint" in result.stdout


def test_version_names_the_helper_and_its_botocore(
    helper_command: HelperCommand, aws_env: AwsEnvironment
) -> None:
    import botocore

    result = helper_command.run(aws_env.environ(), ["--version"])

    assert result.returncode == 0
    assert result.stderr == b""
    assert result.stdout.decode() == (
        f"aws-wif-helper {helper.__version__} (botocore {botocore.__version__})\n"
    )


@pytest.mark.parametrize("variable", ["GOOGLE_EXTERNAL_ACCOUNT_OUTPUT_FILE"])
def test_any_protocol_variable_selects_protocol_mode(
    run_helper: RunHelper, aws_env: AwsEnvironment, tmp_path: Path, variable: str
) -> None:
    result = run_helper(aws_env.environ({variable: str(tmp_path / "response.json")}))

    assert result.returncode == 0
    assert result.response["code"] == "INVALID_REQUEST"
    assert "GOOGLE_EXTERNAL_ACCOUNT_AUDIENCE" in result.response["message"]


def test_the_token_is_url_encoded(run_helper: RunHelper, aws_env: AwsEnvironment) -> None:
    aws_env.use_key(LONG_TERM_KEY)

    token = run_helper(aws_env.environ(client_variables())).response["id_token"]

    assert urllib.parse.quote(urllib.parse.unquote(token), safe="") == token


def test_the_helper_leaves_nothing_behind_in_tmpdir(
    run_helper: RunHelper, aws_env: AwsEnvironment, tmp_path: Path
) -> None:
    aws_env.use_key(LONG_TERM_KEY)
    parent = Path(aws_env.variables.get("TMPDIR") or tmp_path)
    own_tmpdir = parent / f"run-{tmp_path.name}"
    own_tmpdir.mkdir()

    run_helper(aws_env.environ({**client_variables(), "TMPDIR": str(own_tmpdir)}))

    # The binary's launcher keeps one copy of its bundle there on purpose, for
    # the next run (tests/test_build_kept_copy.py); nothing else may stay.
    left = sorted(path.name for path in own_tmpdir.iterdir())
    kept = [name for name in left if name.startswith(f".aws-wif-helper-kept-{os.geteuid()}-")]
    assert len(kept) <= 1
    assert [name for name in left if name not in kept] == []
