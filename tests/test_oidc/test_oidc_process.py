"""OIDC mode run as a process (frozen and module): protocol hygiene and the output file."""

from __future__ import annotations

import json
import stat
import subprocess
from pathlib import Path

from tests.harness import AwsEnvironment, HelperCommand, RunHelper
from tests.standins.aws_oidc import AwsOidcStandIn
from tests.standins.oidc_verify import OidcProvider, verify_oidc_token
from tests.test_oidc.conftest import AUDIENCE


def test_protocol_run_prints_one_json_line_and_nothing_on_stderr(
    run_helper: RunHelper, oidc_environment: dict[str, str], provider: OidcProvider
) -> None:
    run = run_helper(oidc_environment)

    assert run.returncode == 0
    assert run.stdout.count(b"\n") == 1
    assert run.response["success"] is True, run.response
    verify_oidc_token(run.response["id_token"], provider)


def test_failure_is_a_json_response_with_exit_status_0(
    run_helper: RunHelper, oidc_environment: dict[str, str], aws_oidc: AwsOidcStandIn
) -> None:
    aws_oidc.federation_enabled = False

    run = run_helper(oidc_environment)

    assert run.returncode == 0
    assert run.response["code"] == "AWS_OIDC_FEDERATION_DISABLED"


def test_output_file_holds_the_same_response_mode_0600(
    run_helper: RunHelper, oidc_environment: dict[str, str], tmp_path: Path
) -> None:
    output_file = tmp_path / "cache" / "oidc.json"
    environment = {**oidc_environment, "GOOGLE_EXTERNAL_ACCOUNT_OUTPUT_FILE": str(output_file)}

    run = run_helper(environment)

    assert json.loads(output_file.read_text()) == run.response
    assert stat.S_IMODE(output_file.stat().st_mode) == 0o600


def test_runs_sharing_an_output_file_share_one_token(
    helper_command: HelperCommand,
    oidc_environment: dict[str, str],
    oidc_aws_env: AwsEnvironment,
    aws_oidc: AwsOidcStandIn,
    tmp_path: Path,
) -> None:
    output_file = tmp_path / "oidc.json"
    environment = {**oidc_environment, "GOOGLE_EXTERNAL_ACCOUNT_OUTPUT_FILE": str(output_file)}

    runs = [
        subprocess.Popen(
            [*helper_command.argv, "--timeout", "20"],
            env=environment,
            cwd=oidc_aws_env.work_dir,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
        )
        for _ in range(8)
    ]
    outputs = [run.communicate(timeout=60)[0] for run in runs]

    assert len({json.loads(output)["id_token"] for output in outputs}) == 1
    assert len(aws_oidc.token_requests) == 1


def test_cached_token_for_other_audiences_is_not_reused(
    run_helper: RunHelper,
    oidc_environment: dict[str, str],
    aws_oidc: AwsOidcStandIn,
    tmp_path: Path,
) -> None:
    output_file = tmp_path / "oidc.json"
    environment = {**oidc_environment, "GOOGLE_EXTERNAL_ACCOUNT_OUTPUT_FILE": str(output_file)}

    first = run_helper(environment).response
    second = run_helper(environment, ["--jwt-audience", "https://gcp"]).response

    assert first["id_token"] != second["id_token"]
    assert [call.audiences for call in aws_oidc.token_requests] == [
        ["https:" + AUDIENCE],
        ["https://gcp"],
    ]
