"""Secrets stay secret: nothing the helper prints or writes holds a key, a token or a signature.

The session-wide check (tests/captured.py, run after every test by
tests/conftest.py) scans everything every runner captured. The tests here
check that the check itself works, put the helper through failures with
secrets in every variable it might be tempted to quote, and check the modes
of the files it creates.
"""

from __future__ import annotations

import json
import os
import socket
import stat
import urllib.parse
from pathlib import Path

import pytest

from tests.captured import CANARY_VALUE, CANARY_VARIABLE, CAPTURED, Capture, find_leaks
from tests.harness import AUDIENCE, AwsEnvironment, client_variables, module_helper
from tests.standins.aws_keys import LONG_TERM_KEY, SESSION_KEY, remember_secret
from tests.standins.sigv4 import sign_subject_token

FAKE_SIGNATURE = "ab" * 32


def leaks_in(text: str) -> list[str]:
    return find_leaks([Capture("a test", text)])


def refused_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


@pytest.mark.parametrize(
    "secret",
    [LONG_TERM_KEY.secret_access_key, SESSION_KEY.session_token, CANARY_VALUE],
    ids=["secret-key", "session-token", "canary"],
)
def test_the_check_finds_a_known_secret_anywhere(secret: str) -> None:
    assert leaks_in(f'{{"message": "failed with {secret}"}}') != []


def test_the_check_finds_a_url_encoded_secret() -> None:
    secret = remember_secret("wJalrXUtnFEMI/K7MDENG/bPxRfiCYstandinsecret", "a secret access key")

    assert leaks_in("key=" + urllib.parse.quote(secret, safe="")) != []


def test_the_check_finds_a_full_signature_outside_a_token() -> None:
    assert leaks_in(f"Signature={FAKE_SIGNATURE}") != []
    assert leaks_in(f"Signature={FAKE_SIGNATURE[:8]}…") == []


def test_the_check_leaves_the_subject_token_of_a_success_response_alone() -> None:
    token = sign_subject_token(
        access_key_id=SESSION_KEY.access_key_id,
        secret_access_key=SESSION_KEY.secret_access_key,
        session_token=SESSION_KEY.session_token,
        audience=AUDIENCE,
    ).serialize()
    response = json.dumps({"version": 1, "success": True, "id_token": token})
    quoted_in_a_client_error = "Error: b'" + json.dumps(response)[1:-1] + "'"

    assert leaks_in(response) == []
    assert leaks_in(quoted_in_a_client_error) == []
    assert leaks_in(token) != [], "a bare token outside a response is still a leak"


@pytest.mark.parametrize(
    ("case", "args", "variables"),
    [
        ("profile-missing", ["--profile", "nope"], {}),
        ("region-bad", ["--region", "x"], {}),
        ("timeout-bad", ["--timeout", LONG_TERM_KEY.secret_access_key], {}),
        (
            "proxy-with-password",
            ["--profile", "nope"],
            {"HTTPS_PROXY": f"http://user:{CANARY_VALUE}@127.0.0.1:1"},
        ),
        (
            "container-token",
            [],
            {
                "AWS_CONTAINER_CREDENTIALS_FULL_URI": refused_url() + "/v1/credentials",
                "AWS_CONTAINER_AUTHORIZATION_TOKEN": CANARY_VALUE,
            },
        ),
        ("audience-holds-a-secret", [], {"GOOGLE_EXTERNAL_ACCOUNT_AUDIENCE": CANARY_VALUE}),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_a_failure_quotes_no_secret_from_the_environment(
    aws_env: AwsEnvironment,
    tmp_path: Path,
    case: str,
    args: list[str],
    variables: dict[str, str],
) -> None:
    aws_env.use_key(SESSION_KEY)
    if case == "container-token":
        for name in SESSION_KEY.environment():
            aws_env.variables.pop(name)
    mark = CAPTURED.mark()

    result = module_helper().run(
        aws_env.environ({**client_variables(output_file=tmp_path / "r.json"), **variables}),
        args,
        cwd=aws_env.work_dir,
    )

    assert result.response["success"] is False
    assert find_leaks(CAPTURED.since(mark)) == []
    assert CANARY_VALUE not in result.stdout.decode()
    assert CANARY_VARIABLE not in result.stdout.decode()


def test_the_token_command_shows_no_secret_on_failure(aws_env: AwsEnvironment) -> None:
    aws_env.use_key(SESSION_KEY)
    mark = CAPTURED.mark()

    result = module_helper().run(
        aws_env.environ(), ["token", "--audience", AUDIENCE, "--profile", "nope"]
    )

    assert result.returncode == 1
    assert result.stderr
    assert find_leaks(CAPTURED.since(mark)) == []


def test_files_the_helper_creates_are_private_whatever_the_umask(
    aws_env: AwsEnvironment, tmp_path: Path
) -> None:
    aws_env.use_key(LONG_TERM_KEY)
    output_file = tmp_path / "new" / "nested" / "response.json"

    result = module_helper().run(
        aws_env.environ(client_variables(output_file=output_file)),
        before_exec=lambda: os.umask(0),
    )

    assert result.response["success"] is True
    created = [
        tmp_path / "new",
        tmp_path / "new" / "nested",
        *sorted((tmp_path / "new" / "nested").iterdir()),
    ]
    modes = {path.name: stat.S_IMODE(path.stat().st_mode) for path in created}
    assert modes == {
        "new": 0o700,
        "nested": 0o700,
        "response.json": 0o600,
        "response.json.lock": 0o600,
    }


def test_the_step_log_is_private_whatever_the_umask(
    aws_env: AwsEnvironment, tmp_path: Path
) -> None:
    aws_env.use_key(LONG_TERM_KEY)
    log = tmp_path / "helper.log"

    result = module_helper().run(
        aws_env.environ(client_variables()),
        ["--log-file", str(log)],
        before_exec=lambda: os.umask(0),
    )

    assert result.response["success"] is True
    assert stat.S_IMODE(log.stat().st_mode) == 0o600


def test_the_step_log_never_writes_through_a_symbolic_link(
    aws_env: AwsEnvironment, tmp_path: Path
) -> None:
    aws_env.use_key(LONG_TERM_KEY)
    target = tmp_path / "precious.txt"
    target.write_text("kept\n")
    log = tmp_path / "helper.log"
    log.symlink_to(target)

    result = module_helper().run(aws_env.environ(client_variables()), ["--log-file", str(log)])

    assert result.response["success"] is True
    assert target.read_text() == "kept\n"


def test_the_step_log_holds_no_external_id(aws_env: AwsEnvironment, tmp_path: Path) -> None:
    aws_env.use_key(LONG_TERM_KEY)
    aws_env.set(AWS_ENDPOINT_URL_STS=refused_url())
    external_id = remember_secret("external-" + "7f3a9c" * 4, "an external ID")
    log = tmp_path / "helper.log"
    role = ["--role-arn", "arn:aws:iam::111122223333:role/app", "--external-id", external_id]
    mark = CAPTURED.mark()

    result = module_helper().run(
        aws_env.environ(client_variables()), ["--log-file", str(log), *role]
    )

    assert result.response["code"] == "AWS_UNREACHABLE"
    assert log.read_text()
    assert find_leaks(CAPTURED.since(mark)) == []
