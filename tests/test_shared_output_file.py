"""Runs that share one output file reuse a fresh response only when it answers the same request.

The many-runs-at-once case (64 concurrent runs, one fetch, whole files for a
reader) is in tests/test_hardening/test_concurrency.py.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from tests.harness import (
    AUDIENCE,
    AwsEnvironment,
    CountingCredentialProcess,
    client_variables,
    module_helper,
)

OTHER_AUDIENCE = AUDIENCE.replace("aws-provider", "other-provider")


def test_cached_response_for_another_audience_is_not_reused(
    aws_env: AwsEnvironment, counting_credential_process: CountingCredentialProcess, tmp_path: Path
) -> None:
    output_file = tmp_path / "response.json"
    helper = module_helper()

    first = helper.run(aws_env.environ(client_variables(OTHER_AUDIENCE, output_file=output_file)))
    second = helper.run(aws_env.environ(client_variables(AUDIENCE, output_file=output_file)))

    assert first.response["success"] and second.response["success"]
    assert counting_credential_process.fetches == 2
    assert AUDIENCE.replace("/", "%2F") in json.loads(output_file.read_text())["id_token"]


def test_fresh_cached_response_for_the_same_audience_is_reused(
    aws_env: AwsEnvironment, counting_credential_process: CountingCredentialProcess, tmp_path: Path
) -> None:
    environ = aws_env.environ(client_variables(output_file=tmp_path / "response.json"))
    helper = module_helper()

    first = helper.run(environ).response
    time.sleep(1.1)  # a new run would sign with a later x-amz-date
    second = helper.run(environ).response

    assert counting_credential_process.fetches == 1
    assert second == first
