"""OIDC mode run as a process: protocol hygiene, the output file, the `token` command."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from pathlib import Path

from tests.standins.aws_oidc import AwsOidcStandIn
from tests.standins.oidc_verify import OidcProvider, verify_oidc_token
from tests.test_oidc.conftest import AUDIENCE, JWT_TOKEN_TYPE

REPO = Path(__file__).resolve().parents[2]
HELPER = [sys.executable, "-m", "helper"]


def _run(
    command: list[str], environment: dict[str, str], timeout: float = 30
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        command,
        env=environment,
        cwd=REPO,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=timeout,
        check=False,
    )


def test_protocol_run_prints_one_json_line_and_nothing_on_stderr(
    oidc_environment: dict[str, str], provider: OidcProvider
) -> None:
    run = _run(HELPER, oidc_environment)

    assert run.returncode == 0
    assert run.stderr == b""
    assert run.stdout.count(b"\n") == 1
    response = json.loads(run.stdout)
    assert response["success"] is True, response
    verify_oidc_token(response["id_token"], provider)


def test_failure_is_a_json_response_with_exit_status_0(
    oidc_environment: dict[str, str], aws_oidc: AwsOidcStandIn
) -> None:
    aws_oidc.federation_enabled = False

    run = _run(HELPER, oidc_environment)

    assert (run.returncode, run.stderr) == (0, b"")
    assert json.loads(run.stdout)["code"] == "AWS_OIDC_FEDERATION_DISABLED"


def test_output_file_holds_the_same_response_mode_0600(
    oidc_environment: dict[str, str], tmp_path: Path
) -> None:
    output_file = tmp_path / "cache" / "oidc.json"
    environment = {**oidc_environment, "GOOGLE_EXTERNAL_ACCOUNT_OUTPUT_FILE": str(output_file)}

    run = _run(HELPER, environment)

    assert json.loads(output_file.read_text()) == json.loads(run.stdout)
    assert stat.S_IMODE(output_file.stat().st_mode) == 0o600


def test_runs_sharing_an_output_file_share_one_token(
    oidc_environment: dict[str, str], aws_oidc: AwsOidcStandIn, tmp_path: Path
) -> None:
    output_file = tmp_path / "oidc.json"
    environment = {**oidc_environment, "GOOGLE_EXTERNAL_ACCOUNT_OUTPUT_FILE": str(output_file)}
    command = [*HELPER, "--timeout", "20"]

    runs = [
        subprocess.Popen(
            command, env=environment, cwd=REPO, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE
        )
        for _ in range(8)
    ]
    outputs = [run.communicate(timeout=60)[0] for run in runs]

    assert len({json.loads(output)["id_token"] for output in outputs}) == 1
    assert len(aws_oidc.token_requests) == 1


def test_cached_token_for_other_audiences_is_not_reused(
    oidc_environment: dict[str, str], aws_oidc: AwsOidcStandIn, tmp_path: Path
) -> None:
    output_file = tmp_path / "oidc.json"
    environment = {**oidc_environment, "GOOGLE_EXTERNAL_ACCOUNT_OUTPUT_FILE": str(output_file)}

    first = json.loads(_run(HELPER, environment).stdout)
    second = json.loads(_run([*HELPER, "--jwt-audience", "https://gcp"], environment).stdout)

    assert first["id_token"] != second["id_token"]
    assert [call.audiences for call in aws_oidc.token_requests] == [
        ["https:" + AUDIENCE],
        ["https://gcp"],
    ]


def test_token_command_prints_the_oidc_response_for_token_type_jwt(
    oidc_environment: dict[str, str], provider: OidcProvider
) -> None:
    environment = {
        name: value
        for name, value in oidc_environment.items()
        if not name.startswith("GOOGLE_EXTERNAL_ACCOUNT_")
    }

    run = _run([*HELPER, "token", "--audience", AUDIENCE, "--token-type", "jwt"], environment)

    assert run.returncode == 0, run.stderr
    response = json.loads(run.stdout)
    assert response["token_type"] == JWT_TOKEN_TYPE
    verify_oidc_token(response["id_token"], provider)
