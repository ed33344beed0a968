"""`make demo`, the README's first command, works on a fresh build."""

from __future__ import annotations

import subprocess
import sys

from tests.harness import FROZEN_HELPER, PROCESS_TIMEOUT_SECONDS, REPO, AwsEnvironment, missing


def test_the_demo_prints_the_accepted_identity_and_the_expiry(aws_env: AwsEnvironment) -> None:
    if not FROZEN_HELPER.exists():
        missing("dist/aws-wif-helper is not built; run `bash build/build.sh`")

    completed = subprocess.run(
        [sys.executable, "-m", "tests.demo"],
        cwd=REPO,
        env=aws_env.environ(),
        capture_output=True,
        text=True,
        timeout=PROCESS_TIMEOUT_SECONDS,
        check=False,
    )

    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "AWS identity accepted: arn:aws:sts::111122223333:assumed-role/" in completed.stdout
    assert "subject token expires:" in completed.stdout
    assert completed.stdout.rstrip().endswith("OK")
