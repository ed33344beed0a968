"""`aws-wif-helper create-config`: a credential config every client runs the same way."""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path
from typing import Any

import pytest

from helper.command_line import split_go, split_node, split_python
from helper.commands import create_config
from tests.harness import REPO, AwsEnvironment, Client, HelperCommand
from tests.standins.aws_keys import LONG_TERM_KEY
from tests.standins.google_sts import GoogleStsStandIn

PROVIDER = ["--project-number", "123456789012", "--pool", "aws-pool", "--provider", "aws-provider"]
AUDIENCE = (
    "//iam.googleapis.com/projects/123456789012/locations/global"
    "/workloadIdentityPools/aws-pool/providers/aws-provider"
)
SERVICE_ACCOUNT = "app@my-project.iam.gserviceaccount.com"

# The frozen build runs where it matters most; each of its runs takes seconds.
module_only = pytest.mark.parametrize("helper_command", ["module"], indirect=True)


def _create(capsys: pytest.CaptureFixture[str], *arguments: str) -> tuple[int, str, str]:
    status = create_config.run(list(arguments))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def _config(capsys: pytest.CaptureFixture[str], *arguments: str) -> dict[str, Any]:
    status, out, err = _create(capsys, *arguments)
    assert status == 0, err
    document: dict[str, Any] = json.loads(out)
    return document


def test_provider_parts_make_the_audience(capsys: pytest.CaptureFixture[str]) -> None:
    config = _config(capsys, *PROVIDER)

    assert config["audience"] == AUDIENCE
    assert config["type"] == "external_account"
    assert config["token_url"] == "https://sts.googleapis.com/v1/token"


def test_audience_can_be_given_whole(capsys: pytest.CaptureFixture[str]) -> None:
    assert _config(capsys, "--audience", AUDIENCE)["audience"] == AUDIENCE


def test_location_and_universe_domain_go_into_the_audience_and_urls(
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = _config(
        capsys, *PROVIDER, "--location", "europe-west1", "--universe-domain", "example.com"
    )

    assert config["audience"].startswith("//iam.example.com/projects/123456789012/locations/")
    assert "/locations/europe-west1/" in config["audience"]
    assert config["token_url"] == "https://sts.example.com/v1/token"
    assert config["universe_domain"] == "example.com"


def test_audience_and_its_parts_together_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = _create(capsys, "--audience", AUDIENCE, "--pool", "aws-pool")

    assert status == 2
    assert out == ""
    assert "either as --audience or as --project-number" in err


def test_project_id_instead_of_number_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = _create(
        capsys, "--project-number", "my-project", "--pool", "p1234", "--provider", "p1234"
    )

    assert status == 2
    assert "project's number" in err


def test_workforce_pool_audience_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    workforce = "//iam.googleapis.com/locations/global/workforcePools/staff/providers/okta"

    status, _, err = _create(capsys, "--audience", workforce)

    assert status == 2
    assert "workforce pool" in err


def test_aws_mode_sets_the_aws_token_type_and_warns_about_gcloud_and_python(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, out, err = _create(capsys, *PROVIDER, "--mode", "aws")

    assert status == 0
    assert json.loads(out)["subject_token_type"] == "urn:ietf:params:aws:token-type:aws4_request"
    assert "gcloud" in err and "--mode oidc" in err


def test_oidc_mode_sets_the_jwt_token_type_without_the_gcloud_warning(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, out, err = _create(capsys, *PROVIDER, "--mode", "oidc", "--", "--region", "eu-west-3")

    assert status == 0
    assert json.loads(out)["subject_token_type"] == "urn:ietf:params:oauth:token-type:jwt"
    assert "gcloud" not in err


def test_service_account_adds_the_impersonation_url_and_lifetime(
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = _config(
        capsys,
        *PROVIDER,
        "--service-account",
        SERVICE_ACCOUNT,
        "--service-account-token-lifetime-seconds",
        "1800",
    )

    assert config["service_account_impersonation_url"] == (
        "https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/"
        f"{SERVICE_ACCOUNT}:generateAccessToken"
    )
    assert config["service_account_impersonation"] == {"token_lifetime_seconds": 1800}


@pytest.mark.parametrize("lifetime", ["599", "43201"])
def test_impersonation_lifetime_outside_what_google_grants_is_refused(
    capsys: pytest.CaptureFixture[str], lifetime: str
) -> None:
    status, _, err = _create(
        capsys,
        *PROVIDER,
        "--service-account",
        SERVICE_ACCOUNT,
        "--service-account-token-lifetime-seconds",
        lifetime,
    )

    assert status == 2
    assert "600 to 43200" in err


def test_lifetime_without_service_account_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = _create(capsys, *PROVIDER, "--service-account-token-lifetime-seconds", "900")

    assert status == 2
    assert "needs --service-account" in err


@pytest.mark.parametrize("millis", ["4999", "120001"])
def test_timeout_millis_outside_the_clients_range_is_refused(
    capsys: pytest.CaptureFixture[str], millis: str
) -> None:
    status, _, err = _create(capsys, *PROVIDER, "--timeout-millis", millis)

    assert status == 2
    assert "5000 to 120000" in err


def test_helper_timeout_that_leaves_no_time_to_start_is_refused(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, _, err = _create(capsys, *PROVIDER, "--timeout-millis", "10000", "--", "--timeout", "9")

    assert status == 2
    assert "kill it before it answers" in err


def test_helper_options_after_double_dash_end_the_command(
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = _config(
        capsys, *PROVIDER, "--helper-path", "/usr/local/bin/aws-wif-helper", "--",
        "--profile", "workload", "--region", "eu-west-1",
    )  # fmt: skip

    command = config["credential_source"]["executable"]["command"]
    assert command == "/usr/local/bin/aws-wif-helper --profile workload --region eu-west-1"


def test_bad_helper_option_is_refused_with_the_helpers_message(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, _, err = _create(capsys, *PROVIDER, "--", "--region", "Mars")

    assert status == 2
    assert "--region is not an AWS region name" in err


def test_default_command_runs_this_helper(capsys: pytest.CaptureFixture[str]) -> None:
    config = _config(capsys, *PROVIDER)

    command = config["credential_source"]["executable"]["command"]
    assert command == f"{sys.executable} -m helper"


def test_helper_names_its_own_absolute_path_in_the_command(
    helper_command: HelperCommand, aws_env: AwsEnvironment
) -> None:
    run = helper_command.run(aws_env.environ(), ["create-config", *PROVIDER])

    command = json.loads(run.stdout)["credential_source"]["executable"]["command"]
    assert command == " ".join(helper_command.argv)
    assert os.path.isabs(command.split()[0])


def test_command_is_split_the_same_by_python_node_and_go(
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = _config(capsys, *PROVIDER, "--", "--profile", "dev", "--log-file", "/var/log/x.log")

    command = config["credential_source"]["executable"]["command"]
    assert split_python(command) == split_node(command) == split_go(command)


def test_path_with_a_space_is_refused_and_go_is_named_as_the_reason(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, out, err = _create(capsys, *PROVIDER, "--helper-path", "/opt/my tools/aws-wif-helper")

    assert status == 2
    assert out == ""
    assert "Go's client splits the command at every space" in err


@pytest.mark.parametrize("argument", ["it's", 'a"b', "a\\b"])
def test_helper_option_with_quotes_or_backslashes_is_refused(
    capsys: pytest.CaptureFixture[str], argument: str
) -> None:
    status, _, err = _create(capsys, *PROVIDER, "--", "--profile", argument)

    assert status == 2
    assert "quote or a backslash" in err


def test_default_output_file_is_per_user_per_audience_under_xdg_cache_home(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))

    first = _config(capsys, *PROVIDER)
    second = _config(capsys, "--audience", AUDIENCE.replace("aws-provider", "other"))

    first_file = first["credential_source"]["executable"]["output_file"]
    second_file = second["credential_source"]["executable"]["output_file"]
    assert first_file.startswith(str(tmp_path / "xdg" / "aws-wif-helper") + "/")
    assert first_file != second_file


def test_default_output_file_falls_back_to_home_cache(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, aws_env: AwsEnvironment
) -> None:
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)

    config = _config(capsys, *PROVIDER)

    output_file = config["credential_source"]["executable"]["output_file"]
    assert output_file.startswith(str(aws_env.home / ".cache" / "aws-wif-helper") + "/")


def test_no_output_file_leaves_it_out(capsys: pytest.CaptureFixture[str]) -> None:
    config = _config(capsys, *PROVIDER, "--no-output-file")

    assert "output_file" not in config["credential_source"]["executable"]


def test_output_option_writes_the_file_with_mode_0600_and_nothing_on_stdout(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    target = tmp_path / "configs" / "wif.json"

    status, out, err = _create(capsys, *PROVIDER, "-o", str(target))

    assert status == 0
    assert out == ""
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert json.loads(target.read_text())["audience"] == AUDIENCE
    assert f"doctor --config {target}" in err


def test_output_option_replaces_an_old_file_whole(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    target = tmp_path / "configs" / "wif.json"
    target.parent.mkdir()
    target.write_text("x" * 10_000)

    _create(capsys, *PROVIDER, "-o", str(target))

    json.loads(target.read_text())
    assert [p.name for p in target.parent.iterdir()] == ["wif.json"]


def test_example_file_is_what_create_config_writes_for_placeholders(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", "/home/USER")
    monkeypatch.setenv("XDG_CACHE_HOME", "/home/USER/.cache")

    config = _config(
        capsys,
        "--project-number", "PROJECT_NUMBER", "--pool", "POOL_ID", "--provider", "PROVIDER_ID",
        "--helper-path", "/usr/local/bin/aws-wif-helper",
    )  # fmt: skip

    example = json.loads((REPO / "credential-config.json.example").read_text())
    assert config == example


def _pointed_at(config_path: Path, google_sts: GoogleStsStandIn) -> None:
    """Send the config's Google calls to the stand-in; everything else stays as written."""
    config = json.loads(config_path.read_text())
    config["token_url"] = google_sts.token_url
    if "service_account_impersonation_url" in config:
        config["service_account_impersonation_url"] = google_sts.impersonation_url(SERVICE_ACCOUNT)
    config_path.write_text(json.dumps(config))


def _create_with(
    helper_command: HelperCommand, aws_env: AwsEnvironment, path: Path, *extra: str
) -> None:
    created = helper_command.run(
        aws_env.environ(), ["create-config", *PROVIDER, *extra, "-o", str(path)]
    )
    assert created.returncode == 0, created.stderr


def test_created_config_gets_an_access_token_in_each_real_client(
    helper_command: HelperCommand,
    client: Client,
    aws_env: AwsEnvironment,
    google_sts: GoogleStsStandIn,
    tmp_path: Path,
) -> None:
    aws_env.use_key(LONG_TERM_KEY)
    config_path = tmp_path / "wif.json"
    _create_with(helper_command, aws_env, config_path)
    _pointed_at(config_path, google_sts)

    result = client.get_token(config_path)

    assert result.ok, result.error
    assert google_sts.accepted_subjects == [LONG_TERM_KEY.arn]


@module_only
def test_created_config_with_a_service_account_impersonates_it_in_each_real_client(
    helper_command: HelperCommand,
    client: Client,
    aws_env: AwsEnvironment,
    google_sts: GoogleStsStandIn,
    tmp_path: Path,
) -> None:
    aws_env.use_key(LONG_TERM_KEY)
    config_path = tmp_path / "wif.json"
    _create_with(helper_command, aws_env, config_path, "--service-account", SERVICE_ACCOUNT)
    _pointed_at(config_path, google_sts)

    result = client.get_token(config_path)

    assert result.ok, result.error
    assert [i.service_account for i in google_sts.impersonations] == [SERVICE_ACCOUNT]


@module_only
def test_created_config_caches_the_response_in_the_default_output_file(
    helper_command: HelperCommand,
    client: Client,
    aws_env: AwsEnvironment,
    google_sts: GoogleStsStandIn,
    tmp_path: Path,
) -> None:
    aws_env.use_key(LONG_TERM_KEY)
    config_path = tmp_path / "wif.json"
    _create_with(helper_command, aws_env, config_path)
    _pointed_at(config_path, google_sts)

    assert client.get_token(config_path).ok

    executable = json.loads(config_path.read_text())["credential_source"]["executable"]
    assert executable["output_file"].startswith(str(aws_env.home / ".cache" / "aws-wif-helper"))
    assert json.loads(Path(executable["output_file"]).read_text())["success"] is True


def test_created_config_passes_doctor_run_by_the_same_build(
    helper_command: HelperCommand, aws_env: AwsEnvironment, tmp_path: Path
) -> None:
    aws_env.use_key(LONG_TERM_KEY)
    aws_env.set(GOOGLE_EXTERNAL_ACCOUNT_ALLOW_EXECUTABLES="1")
    config_path = tmp_path / "wif.json"
    _create_with(helper_command, aws_env, config_path)

    doctor = helper_command.run(aws_env.environ(), ["doctor", "--config", str(config_path)])

    assert doctor.returncode == 0, doctor.stdout.decode()
    assert b"command.starts" in doctor.stdout


def test_oidc_mode_without_a_region_warns_that_one_is_needed(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, _, err = _create(capsys, *PROVIDER, "--mode", "oidc")

    assert status == 0
    assert "OIDC mode needs an AWS region" in err


def test_oidc_mode_with_the_global_sts_endpoint_is_refused(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, _, err = _create(capsys, *PROVIDER, "--mode", "oidc", "--", "--sts-endpoint", "global")

    assert status == 2
    assert "global STS endpoint does not issue OIDC tokens" in err
