"""Concurrent runs that share one output file make one credential fetch between them."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

AUDIENCE = (
    "//iam.googleapis.com/projects/123456/locations/global/"
    "workloadIdentityPools/shared-pool/providers/aws-provider"
)
OTHER_AUDIENCE = AUDIENCE.replace("aws-provider", "other-provider")
AWS_TOKEN_TYPE = "urn:ietf:params:aws:token-type:aws4_request"
REPO = Path(__file__).resolve().parent.parent


def _counting_credential_process(tmp_path: Path) -> tuple[dict[str, str], Path]:
    """An AWS profile whose credential_process counts how often it is run."""
    counter = tmp_path / "fetches"
    script = tmp_path / "credential-process.py"
    script.write_text(
        textwrap.dedent(
            f"""\
            import datetime, json
            with open({str(counter)!r}, "a") as stream:
                stream.write("fetch\\n")
            expiry = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)
            print(json.dumps({{"Version": 1, "AccessKeyId": "ASIACONCURRENTTEST",
                "SecretAccessKey": "concurrent-test-secret", "SessionToken": "session",
                "Expiration": expiry.isoformat()}}))
            """
        )
    )
    config = tmp_path / "config"
    config.write_text(f"[profile shared]\ncredential_process = {sys.executable} {script}\n")
    environment = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "AWS_CONFIG_FILE": str(config),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_PROFILE": "shared",
        "GOOGLE_EXTERNAL_ACCOUNT_TOKEN_TYPE": AWS_TOKEN_TYPE,
        "GOOGLE_EXTERNAL_ACCOUNT_INTERACTIVE": "0",
    }
    return environment, counter


def _start_helper(environment: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "helper", "--timeout", "20"],
        env=environment,
        cwd=REPO,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def test_32_concurrent_runs_fetch_credentials_once_and_readers_see_whole_files(
    tmp_path: Path,
) -> None:
    environment, counter = _counting_credential_process(tmp_path)
    output_file = tmp_path / "cache" / "response.json"
    environment["GOOGLE_EXTERNAL_ACCOUNT_AUDIENCE"] = AUDIENCE
    environment["GOOGLE_EXTERNAL_ACCOUNT_OUTPUT_FILE"] = str(output_file)

    partial_reads: list[str] = []
    reads = 0
    stop = threading.Event()

    def poll() -> None:
        nonlocal reads
        while not stop.is_set():
            try:
                text = output_file.read_text()
            except FileNotFoundError:
                continue
            reads += 1
            try:
                json.loads(text)
            except ValueError:
                partial_reads.append(text)

    reader = threading.Thread(target=poll)
    reader.start()
    try:
        runs = [_start_helper(environment) for _ in range(32)]
        outputs = [run.communicate(timeout=120) for run in runs]
    finally:
        stop.set()
        reader.join()

    responses = [json.loads(stdout) for stdout, _ in outputs]
    assert all(response["success"] for response in responses), responses
    assert all(stderr == b"" for _, stderr in outputs)
    assert counter.read_text().count("fetch") == 1
    assert reads > 0 and partial_reads == []
    assert stat.S_IMODE(output_file.stat().st_mode) == 0o600


def test_cached_response_for_another_audience_is_not_reused(tmp_path: Path) -> None:
    environment, counter = _counting_credential_process(tmp_path)
    output_file = tmp_path / "response.json"
    environment["GOOGLE_EXTERNAL_ACCOUNT_OUTPUT_FILE"] = str(output_file)

    environment["GOOGLE_EXTERNAL_ACCOUNT_AUDIENCE"] = OTHER_AUDIENCE
    first = _start_helper(environment).communicate(timeout=60)[0]
    environment["GOOGLE_EXTERNAL_ACCOUNT_AUDIENCE"] = AUDIENCE
    second = _start_helper(environment).communicate(timeout=60)[0]

    assert json.loads(first)["success"] and json.loads(second)["success"]
    assert counter.read_text().count("fetch") == 2
    assert AUDIENCE.replace("/", "%2F") in json.loads(output_file.read_text())["id_token"]


def test_fresh_cached_response_for_the_same_audience_is_reused(tmp_path: Path) -> None:
    environment, counter = _counting_credential_process(tmp_path)
    output_file = tmp_path / "response.json"
    environment["GOOGLE_EXTERNAL_ACCOUNT_OUTPUT_FILE"] = str(output_file)
    environment["GOOGLE_EXTERNAL_ACCOUNT_AUDIENCE"] = AUDIENCE

    first = json.loads(_start_helper(environment).communicate(timeout=60)[0])
    time.sleep(1.1)  # a new run would sign with a later x-amz-date
    second = json.loads(_start_helper(environment).communicate(timeout=60)[0])

    assert counter.read_text().count("fetch") == 1
    assert second == first
