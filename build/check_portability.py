"""Runs dist/aws-wif-helper inside an older distribution's root file system.

    python3 build/check_portability.py ROOTFS

build/check-portability.sh makes ROOTFS (Debian 11: glibc 2.31) and calls
this. Each check copies the binary in, runs it with chroot(8) against loopback
stand-ins served from this host (the chroot shares the network), and asserts a
successful token signed by the expected source. A control check runs the
unwrapped PyInstaller build too and expects it to fail there on glibc: that
shows ROOTFS really is older than the build host, so the passing checks mean
something.

The same checks then run in a bare root made on the spot, holding nothing but
the binary and empty /tmp, /proc and /dev: no C library, no shell. Passing
there shows the binary needs nothing from the host's C library, so hosts with
another glibc or with musl (Alpine) are covered as well.

Each run happens in a private mount namespace (unshare(1)) where /proc and
/dev are mounted into ROOTFS, so nothing stays mounted if a run is killed.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import urllib.parse
from collections.abc import Mapping
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.standins import frozen_sources as aws  # noqa: E402
from tests.standins.server import StandInServer  # noqa: E402

BINARY = REPO / "dist" / "aws-wif-helper"
UNWRAPPED = REPO / "build" / "work" / "onefile" / "aws-wif-helper"
INSIDE = "/opt/aws-wif-helper"
RUN_TIMEOUT_SECONDS = 60
ENV_ACCESS_KEY = "AKIAPORTABILITYCHECK"
PROCESS_ACCESS_KEY = "ASIAPORTABILITYPROCS"
SECRET = "portability-secret-key-not-a-real-one-00"
AUDIENCE = (
    "//iam.googleapis.com/projects/123456/locations/global/workloadIdentityPools/pool"
    "/providers/portability"
)

_RUN_IN_ROOT = """
set -e
"$MOUNT" -t proc proc "$ROOT/proc"
"$MOUNT" --rbind /dev "$ROOT/dev"
exec "$CHROOT" "$ROOT" "$@"
"""
# Host tools, found on the host's PATH (the runs get the chroot's PATH).
_TOOLS = {
    "MOUNT": shutil.which("mount") or "/bin/mount",
    "CHROOT": shutil.which("chroot") or "/usr/sbin/chroot",
}


def chroot_run(
    root: Path, argv: list[str], env: Mapping[str, str]
) -> subprocess.CompletedProcess[str]:
    """Run `argv` (paths inside `root`) under chroot, in a private mount namespace."""
    return subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "sh", "-c", _RUN_IN_ROOT, "sh", *argv],
        env={**env, **_TOOLS, "ROOT": str(root)},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_SECONDS,
        check=False,
    )


def signing_key(stdout: str) -> str:
    response = json.loads(stdout)
    if response.get("success") is not True:
        raise AssertionError(f"failure response: {response}")
    token = json.loads(urllib.parse.unquote(response["id_token"]))
    authorization = next(h["value"] for h in token["headers"] if h["key"] == "Authorization")
    return str(authorization).split("Credential=", 1)[1].split("/", 1)[0]


class Checker:
    """Lays out the binary and its AWS files inside ROOTFS and runs checks."""

    def __init__(self, root: Path, sources: StandInServer) -> None:
        self.root = root
        self.sources = sources
        self.home = root / INSIDE.lstrip("/") / "home"
        self.failures = 0

    def prepare(self) -> None:
        target = self.root / INSIDE.lstrip("/")
        if target.exists():
            shutil.rmtree(target)
        (self.home / ".aws").mkdir(parents=True)
        shutil.copy2(BINARY, target / "aws-wif-helper")
        if UNWRAPPED.is_file():
            shutil.copy2(UNWRAPPED, target / "aws-wif-helper-unwrapped")

        document = {"Version": 1, "AccessKeyId": PROCESS_ACCESS_KEY, "SecretAccessKey": SECRET}
        script = target / "credential-process"
        script.write_text(f"#!/bin/sh\ncat <<'EOF'\n{json.dumps(document)}\nEOF\n")
        script.chmod(0o755)
        (self.home / ".aws" / "credentials").write_text(
            f"[base]\naws_access_key_id = {ENV_ACCESS_KEY}\naws_secret_access_key = {SECRET}\n"
        )
        (self.home / ".aws" / "config").write_text(
            "[profile assume]\nrole_arn = arn:aws:iam::123456789012:role/standin\n"
            "source_profile = base\nregion = eu-west-1\n\n"
            f"[profile process]\ncredential_process = {INSIDE}/credential-process\n"
        )

    def env(self, **extra: str) -> dict[str, str]:
        return {
            "PATH": "/usr/bin:/bin",
            "HOME": f"{INSIDE}/home",
            "TMPDIR": "/tmp",
            "AWS_CONFIG_FILE": f"{INSIDE}/home/.aws/config",
            "AWS_SHARED_CREDENTIALS_FILE": f"{INSIDE}/home/.aws/credentials",
            "AWS_EC2_METADATA_DISABLED": "true",
            "GOOGLE_CLOUD_PROJECT": "portability-check",
            "GOOGLE_EXTERNAL_ACCOUNT_AUDIENCE": AUDIENCE,
            "GOOGLE_EXTERNAL_ACCOUNT_TOKEN_TYPE": "urn:ietf:params:aws:token-type:aws4_request",
            **extra,
        }

    def expect_token(self, name: str, expected_key: str, argv: list[str], **env: str) -> None:
        completed = chroot_run(self.root, [f"{INSIDE}/aws-wif-helper", *argv], self.env(**env))
        try:
            if completed.returncode != 0 or completed.stderr:
                raise AssertionError(f"exit {completed.returncode}, stderr {completed.stderr!r}")
            key = signing_key(completed.stdout)
            if key != expected_key:
                raise AssertionError(f"signed by {key}, expected {expected_key}")
        except (AssertionError, ValueError, KeyError, StopIteration) as error:
            self.failures += 1
            print(f"FAIL  {name}: {error}")
            return
        print(f"ok    {name}")

    def expect_unwrapped_build_to_fail(self) -> None:
        if not UNWRAPPED.is_file():
            print("skip  control: no unwrapped build at build/work/onefile")
            return
        completed = chroot_run(
            self.root, [f"{INSIDE}/aws-wif-helper-unwrapped", "--version"], self.env()
        )
        reason = (completed.stderr.strip().splitlines() or ["no message"])[-1]
        if completed.returncode == 0 or "GLIBC_" not in completed.stderr:
            self.failures += 1
            print(f"FAIL  control: the unwrapped build did not fail on glibc here ({reason})")
            return
        print(f"ok    control: the unwrapped build fails here ({reason[:110]})")


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    root = Path(argv[1]).resolve()
    if not BINARY.is_file():
        print(f"{BINARY} is missing; run `bash build/build.sh` first.", file=sys.stderr)
        return 2

    sources = StandInServer(aws.aws_credential_sources)
    try:
        checker = Checker(root, sources)
        checker.prepare()
        glibc = chroot_run(root, ["/usr/bin/ldd", "--version"], checker.env())
        print(f"root: {root} ({glibc.stdout.splitlines()[0] if glibc.stdout else 'ldd missing'})")

        checker.expect_token(
            "environment keys",
            ENV_ACCESS_KEY,
            [],
            AWS_ACCESS_KEY_ID=ENV_ACCESS_KEY,
            AWS_SECRET_ACCESS_KEY=SECRET,
            AWS_DEFAULT_REGION="us-east-1",
        )
        checker.expect_token(
            "assume-role profile (STS client over loopback)",
            aws.STS_ACCESS_KEY,
            ["--profile", "assume"],
            AWS_ENDPOINT_URL_STS=sources.url,
        )
        checker.expect_token(
            "credential_process (a program of the older host)",
            PROCESS_ACCESS_KEY,
            ["--profile", "process", "--region", "us-west-2"],
        )
        checker.expect_unwrapped_build_to_fail()
        failures = checker.failures

        bare_root = root.parent / f"{root.name}-bare"
        make_bare_root(bare_root)
        bare = Checker(bare_root, sources)
        bare.prepare()
        print(f"root: {bare_root} (no C library, no shell)")
        bare.expect_token(
            "environment keys",
            ENV_ACCESS_KEY,
            [],
            AWS_ACCESS_KEY_ID=ENV_ACCESS_KEY,
            AWS_SECRET_ACCESS_KEY=SECRET,
            AWS_DEFAULT_REGION="us-east-1",
        )
        bare.expect_token(
            "assume-role profile (STS client over loopback)",
            aws.STS_ACCESS_KEY,
            ["--profile", "assume"],
            AWS_ENDPOINT_URL_STS=sources.url,
        )
        failures += bare.failures
    finally:
        sources.close()

    print("portability: " + ("passed" if failures == 0 else f"{failures} failed"))
    return 0 if failures == 0 else 1


def make_bare_root(root: Path) -> None:
    """An empty root: only the mount points and a sticky, world-writable /tmp."""
    if root.exists():
        shutil.rmtree(root)
    for folder in ("proc", "dev", "tmp"):
        (root / folder).mkdir(parents=True)
    (root / "tmp").chmod(0o1777)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
