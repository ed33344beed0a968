"""The guard against borrowed identities: the helper signs only for allowed audiences.

Whoever can point a credential config at the helper chooses the audience. With
`--allowed-audience` (in the command) or AWS_WIF_HELPER_ALLOWED_AUDIENCES (in
the workload's environment), any other audience fails with
AUDIENCE_NOT_ALLOWED before a credential is looked up. Without either, only
providers under //iam.googleapis.com/ are signed for. create-config binds the
command it writes to its audience; doctor says what the command allows.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from helper.allowed_audience import ALLOWED_AUDIENCES_VARIABLE
from helper.checks.report import Check, Status
from helper.commands import create_config
from helper.commands.doctor import diagnose
from helper.options import HelperOptions
from tests.captured import capture
from tests.harness import (
    AUDIENCE,
    AWS_TOKEN_TYPE,
    AwsEnvironment,
    CountingCredentialProcess,
    RunHelper,
    answer_in_process,
    client_variables,
)
from tests.standins.aws_keys import LONG_TERM_KEY

PROVIDER_PREFIX = AUDIENCE.rsplit("/", 1)[0] + "/"  # .../providers/
POOL_PATTERN = PROVIDER_PREFIX + "*"
OTHER_PROVIDER = PROVIDER_PREFIX + "other-provider"
OTHER_PROJECT = AUDIENCE.replace("123456789012", "999999999999")
OTHER_UNIVERSE = AUDIENCE.replace("googleapis.com", "example-universe.com")
JWT_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:jwt"


@pytest.fixture(autouse=True)
def long_term_key(aws_env: AwsEnvironment, monkeypatch: pytest.MonkeyPatch) -> None:
    """Credentials that would work, so that only the guard can refuse."""
    aws_env.use_key(LONG_TERM_KEY)
    for name, value in LONG_TERM_KEY.environment().items():
        monkeypatch.setenv(name, value)


def code_of(argv: list[str], audience: str = AUDIENCE, **environment: str) -> str:
    response = answer_in_process(argv, {**client_variables(audience), **environment})
    return "SUCCESS" if response["success"] else str(response["code"])


def test_without_patterns_a_provider_of_the_public_universe_is_signed_for() -> None:
    assert code_of([]) == "SUCCESS"


def test_without_patterns_another_universe_is_not_allowed() -> None:
    response = answer_in_process([], client_variables(OTHER_UNIVERSE))

    assert response["code"] == "AUDIENCE_NOT_ALLOWED"
    assert "--allowed-audience" in response["message"]


def test_an_exact_pattern_allows_that_provider() -> None:
    assert code_of(["--allowed-audience", AUDIENCE]) == "SUCCESS"


def test_an_exact_pattern_refuses_another_provider_of_the_same_pool() -> None:
    response = answer_in_process(["--allowed-audience", AUDIENCE], client_variables(OTHER_PROVIDER))

    assert response["code"] == "AUDIENCE_NOT_ALLOWED"
    assert OTHER_PROVIDER in response["message"]
    assert "--allowed-audience" in response["message"]


def test_a_star_allows_every_provider_of_a_pool() -> None:
    assert code_of(["--allowed-audience", POOL_PATTERN], OTHER_PROVIDER) == "SUCCESS"


def test_a_star_never_crosses_a_slash() -> None:
    pattern = "//iam.googleapis.com/projects/*"

    assert code_of(["--allowed-audience", pattern]) == "AUDIENCE_NOT_ALLOWED"


def test_a_star_in_the_project_segment_does_not_allow_another_pool() -> None:
    pattern = AUDIENCE.replace("123456789012", "*").replace("aws-pool", "other-pool")

    assert code_of(["--allowed-audience", pattern], OTHER_PROJECT) == "AUDIENCE_NOT_ALLOWED"


def test_the_option_is_repeatable_and_any_pattern_may_match() -> None:
    argv = ["--allowed-audience", OTHER_PROJECT, "--allowed-audience", AUDIENCE]

    assert code_of(argv) == "SUCCESS"


@pytest.mark.parametrize(
    ("pattern", "audience"),
    [("https:" + AUDIENCE, AUDIENCE), (AUDIENCE, "https:" + AUDIENCE)],
    ids=["https-pattern", "https-audience"],
)
def test_an_https_prefix_on_either_side_names_the_same_provider(
    pattern: str, audience: str
) -> None:
    assert code_of(["--allowed-audience", pattern], audience) == "SUCCESS"


def test_another_universe_is_signed_for_when_a_pattern_names_it() -> None:
    assert code_of(["--allowed-audience", OTHER_UNIVERSE], OTHER_UNIVERSE) == "SUCCESS"


@pytest.mark.parametrize("separator", [",", " ", "\n", " , "])
def test_the_environment_variable_holds_patterns_separated_by_commas_or_white_space(
    separator: str,
) -> None:
    variable = {ALLOWED_AUDIENCES_VARIABLE: OTHER_PROJECT + separator + AUDIENCE}

    assert code_of([], **variable) == "SUCCESS"
    assert code_of([], OTHER_PROVIDER, **variable) == "AUDIENCE_NOT_ALLOWED"


def test_the_environment_cannot_be_widened_by_the_command() -> None:
    variable = {ALLOWED_AUDIENCES_VARIABLE: AUDIENCE}

    code = code_of(["--allowed-audience", POOL_PATTERN], OTHER_PROVIDER, **variable)

    assert code == "AUDIENCE_NOT_ALLOWED"


def test_the_command_cannot_be_widened_by_the_environment() -> None:
    variable = {ALLOWED_AUDIENCES_VARIABLE: POOL_PATTERN}

    code = code_of(["--allowed-audience", AUDIENCE], OTHER_PROVIDER, **variable)

    assert code == "AUDIENCE_NOT_ALLOWED"


def test_an_audience_allowed_by_both_is_signed_for() -> None:
    variable = {ALLOWED_AUDIENCES_VARIABLE: POOL_PATTERN}

    assert code_of(["--allowed-audience", AUDIENCE], **variable) == "SUCCESS"


@pytest.mark.parametrize("value", ["", "   ", " , "])
def test_an_empty_environment_variable_counts_as_not_set(value: str) -> None:
    assert code_of([], **{ALLOWED_AUDIENCES_VARIABLE: value}) == "SUCCESS"
    assert code_of([], OTHER_UNIVERSE, **{ALLOWED_AUDIENCES_VARIABLE: value}) == (
        "AUDIENCE_NOT_ALLOWED"
    )


@pytest.mark.parametrize("pattern", ["", "two words", "tab\there", "caf\u00e9", "a,b", "\x1b[1m"])
def test_a_malformed_pattern_in_the_command_is_an_invalid_request(pattern: str) -> None:
    response = answer_in_process(["--allowed-audience", pattern], client_variables())

    assert response["code"] == "INVALID_REQUEST"
    assert "--allowed-audience" in response["message"]


def test_a_malformed_pattern_in_the_environment_names_the_variable() -> None:
    environ = {**client_variables(), ALLOWED_AUDIENCES_VARIABLE: "caf\u00e9"}

    response = answer_in_process([], environ)

    assert response["code"] == "INVALID_REQUEST"
    assert ALLOWED_AUDIENCES_VARIABLE in response["message"]


def test_a_refused_audience_touches_no_credential_and_no_file(
    aws_env: AwsEnvironment, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    counted = CountingCredentialProcess.create(aws_env, LONG_TERM_KEY, profile="guarded")
    for name in LONG_TERM_KEY.environment():
        monkeypatch.delenv(name)
    output_file = tmp_path / "cache" / "response.json"
    argv = ["--profile", "guarded", "--allowed-audience", AUDIENCE]

    refused = answer_in_process(argv, client_variables(OTHER_PROVIDER, output_file=output_file))
    assert counted.fetches == 0
    assert not output_file.parent.exists()
    allowed = answer_in_process(argv, client_variables(AUDIENCE, output_file=output_file))

    assert refused["code"] == "AUDIENCE_NOT_ALLOWED"
    assert allowed["success"] and counted.fetches == 1


def test_a_cached_response_for_a_refused_audience_is_not_served(tmp_path: Path) -> None:
    output_file = tmp_path / "response.json"
    environ = client_variables(OTHER_PROVIDER, output_file=output_file)
    assert answer_in_process([], environ)["success"]
    cached = output_file.read_text()

    response = answer_in_process(["--allowed-audience", AUDIENCE], environ)

    assert response["code"] == "AUDIENCE_NOT_ALLOWED"
    assert output_file.read_text() == cached


def test_in_oidc_mode_a_jwt_audience_outside_the_patterns_is_refused() -> None:
    argv = ["--allowed-audience", AUDIENCE, "--jwt-audience", "https://relying-party.example"]

    response = answer_in_process(argv, client_variables(token_type=JWT_TOKEN_TYPE))

    assert response["code"] == "AUDIENCE_NOT_ALLOWED"
    assert "--jwt-audience" in response["message"]


def test_in_oidc_mode_an_allowed_jwt_audience_passes_the_guard() -> None:
    argv = [
        "--allowed-audience",
        AUDIENCE,
        "--allowed-audience",
        "https://relying-party.example",
        "--jwt-audience",
        "https://relying-party.example",
    ]

    response = answer_in_process(argv, client_variables(token_type=JWT_TOKEN_TYPE))

    assert response.get("code") != "AUDIENCE_NOT_ALLOWED"


def test_the_built_helper_refuses_an_audience_outside_the_environment_variable(
    run_helper: RunHelper, aws_env: AwsEnvironment
) -> None:
    environ = aws_env.environ(
        {**client_variables(OTHER_PROVIDER), ALLOWED_AUDIENCES_VARIABLE: AUDIENCE}
    )

    result = run_helper(environ)

    assert result.returncode == 0
    assert result.response["code"] == "AUDIENCE_NOT_ALLOWED"
    assert json.dumps(result.response).isascii()


def created_command(capsys: pytest.CaptureFixture[str], *arguments: str) -> tuple[str, str]:
    """The command create-config writes for AUDIENCE, and its warnings."""
    assert create_config.run(["--audience", AUDIENCE, "--no-output-file", *arguments]) == 0
    captured = capsys.readouterr()
    return json.loads(captured.out)["credential_source"]["executable"]["command"], captured.err


def test_create_config_binds_the_command_to_its_audience(
    capsys: pytest.CaptureFixture[str],
) -> None:
    command, _ = created_command(capsys)

    assert command.split()[-2:] == ["--allowed-audience", AUDIENCE]


def test_create_config_allows_the_jwt_audiences_it_is_given_too(
    capsys: pytest.CaptureFixture[str],
) -> None:
    command, _ = created_command(
        capsys, "--mode", "oidc", "--", "--region", "eu-west-1", "--jwt-audience", "https://rp"
    )

    words = command.split()
    allowed = [words[at + 1] for at, word in enumerate(words) if word == "--allowed-audience"]
    assert allowed == [AUDIENCE, "https://rp"]


def test_create_config_keeps_allowed_audiences_given_after_the_double_dash(
    capsys: pytest.CaptureFixture[str],
) -> None:
    command, _ = created_command(capsys, "--", "--allowed-audience", POOL_PATTERN)

    assert command.split().count("--allowed-audience") == 1
    assert command.endswith(f"--allowed-audience {POOL_PATTERN}")


def test_create_config_can_leave_the_guard_out_and_warns(
    capsys: pytest.CaptureFixture[str],
) -> None:
    command, warnings = created_command(capsys, "--no-allowed-audience")

    assert "--allowed-audience" not in command
    assert "--no-allowed-audience" in warnings


def doctor_check(tmp_path: Path, command_options: list[str], **environ: str) -> Check:
    """doctor's command.allowed_audience line for a config whose command has these options."""
    config = {
        "type": "external_account",
        "audience": AUDIENCE,
        "subject_token_type": AWS_TOKEN_TYPE,
        "token_url": "https://sts.googleapis.com/v1/token",
        "credential_source": {"executable": {"command": " ".join(["/bin/true", *command_options])}},
    }
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    report = diagnose(str(path), HelperOptions(), {**os.environ, **environ})
    capture("doctor's report", report.as_text("doctor"))
    return next(check for check in report.checks if check.name == "command.allowed_audience")


def test_doctor_reports_the_allowed_audiences_of_the_command(tmp_path: Path) -> None:
    check = doctor_check(tmp_path, ["--allowed-audience", POOL_PATTERN])

    assert check.status is Status.OK
    assert POOL_PATTERN in check.detail


def test_doctor_warns_when_the_command_allows_any_audience(tmp_path: Path) -> None:
    check = doctor_check(tmp_path, [])

    assert check.status is Status.WARN
    assert "--allowed-audience" in check.fix


def test_doctor_fails_when_the_helper_would_refuse_the_configs_audience(tmp_path: Path) -> None:
    check = doctor_check(tmp_path, [], **{ALLOWED_AUDIENCES_VARIABLE: OTHER_PROVIDER})

    assert check.status is Status.FAIL
    assert "AUDIENCE_NOT_ALLOWED" in check.detail
