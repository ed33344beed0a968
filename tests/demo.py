"""`make demo`: the built helper, run by the real Python Google client, end to end on loopback.

    .venv/bin/python -m tests.demo

It starts a stand-in for Google's STS on 127.0.0.1 (it checks the AWS
signature as AWS STS would, with the demo keys it knows), writes a credential
config naming dist/aws-wif-helper, gives the helper demo AWS session keys, and
lets google-auth's `pluggable.Credentials` run the binary and exchange its
token. It prints the AWS identity the stand-in accepted and when the token
expires. Nothing leaves the machine. Exits 1 if any step fails.
"""

from __future__ import annotations

import datetime
import json
import sys
import tempfile
from pathlib import Path

from tests.harness import (
    AUDIENCE,
    FROZEN_HELPER,
    AwsEnvironment,
    HelperCommand,
    run_client,
    write_credential_config,
)
from tests.standins.aws_keys import AwsKey
from tests.standins.google_sts import GoogleStsStandIn

DEMO_ROLE_ARN = "arn:aws:sts::111122223333:assumed-role/demo-workload/demo-session"


def main() -> int:
    if not FROZEN_HELPER.exists():
        print(f"demo: {FROZEN_HELPER} is missing; run `make demo` (it builds it first).")
        return 1

    key = AwsKey.session("demo-workload", arn=DEMO_ROLE_ARN)
    google_sts = GoogleStsStandIn()
    try:
        google_sts.register(key)
        with tempfile.TemporaryDirectory(prefix="aws-wif-helper-demo-") as folder:
            return run_demo(Path(folder), key, google_sts)
    finally:
        google_sts.close()


def run_demo(folder: Path, key: AwsKey, google_sts: GoogleStsStandIn) -> int:
    """Run the client once and report what each side saw."""
    environment = AwsEnvironment.create(folder / "environment")
    environment.use_key(key)
    helper = HelperCommand("frozen", (str(FROZEN_HELPER),))
    output_file = folder / "cache" / "response.json"
    config = write_credential_config(
        folder / "credential-config.json",
        command=helper.command_line,
        token_url=google_sts.token_url,
        output_file=output_file,
    )

    print(f"Google STS stand-in:  {google_sts.url}")
    print(f"credential config:    {config}")
    print(f"helper:               {helper.command_line}")
    print(f"AWS keys given:       {key.access_key_id[:4]}…{key.access_key_id[-4:]} (session)")
    print("running google-auth's pluggable.Credentials.refresh() ...")

    result = run_client("python", config, environment.environ(), environment.work_dir)
    if not result.ok:
        print(f"\nFAILED: the client got no access token:\n  {result.error}")
        for exchange in google_sts.exchanges:
            print(f"  the STS stand-in refused a token: {exchange.rejection}")
        return 1

    accepted = google_sts.exchanges[-1].identity
    if accepted is None or accepted.subject != key.arn:
        print("\nFAILED: the STS stand-in did not record the demo identity.")
        return 1

    response = json.loads(output_file.read_text())
    expires = datetime.datetime.fromtimestamp(response["expiration_time"], datetime.timezone.utc)
    left = expires - datetime.datetime.now(datetime.timezone.utc)

    print()
    print(f"AWS identity accepted: {accepted.subject}")
    print(f"  signed for:          {accepted.details['host']} ({accepted.details['region']})")
    print(f"  signed headers:      {';'.join(accepted.details['signed_headers'])}")
    print(f"  audience:            {AUDIENCE}")
    print(f"subject token expires: {expires:%Y-%m-%d %H:%M:%S} UTC (in {_minutes(left)})")
    print(f"access token:          {(result.token or '')[:22]}… from the STS stand-in")
    print("OK")
    return 0


def _minutes(delta: datetime.timedelta) -> str:
    seconds = int(delta.total_seconds())
    return f"{seconds // 60} min {seconds % 60:02d} s"


if __name__ == "__main__":
    sys.exit(main())
