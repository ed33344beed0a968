"""What the tests use to run the helper and the real Google clients as a user would.

`tests/conftest.py` turns these into fixtures; `tests/demo.py` uses them too.
Everything here runs processes with an environment built from scratch (PATH,
a temporary HOME, AWS files made for the test), so nothing from the machine's
own AWS or Google set-up leaks in, and nothing is aimed anywhere but loopback.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import shlex
import signal
import stat
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, NoReturn

import pytest

from helper.protocol import answer
from helper.response import render
from tests.captured import CANARY_VALUE, CANARY_VARIABLE, capture
from tests.standins.aws_keys import AwsKey

__all__ = [
    "AUDIENCE",
    "AWS_TOKEN_TYPE",
    "FROZEN_HELPER",
    "REPO",
    "AwsEnvironment",
    "Client",
    "ClientResult",
    "CountingCredentialProcess",
    "HelperCommand",
    "HelperProcess",
    "HelperRun",
    "MakeConfig",
    "RunCounter",
    "RunHelper",
    "answer_in_process",
    "capture_helper_run",
    "client_variables",
    "frozen_helper",
    "memory_backed_temp_root",
    "missing",
    "module_helper",
    "node_client_installed",
    "run_client",
    "write_credential_config",
]

REPO = Path(__file__).resolve().parent.parent
FROZEN_HELPER = REPO / "dist" / "aws-wif-helper"
NODE_CLIENT_DIR = REPO / "tests" / "clients" / "node"
PYTHON_CLIENT = REPO / "tests" / "clients" / "python_client.py"
PYTHON_DEFAULT_CLIENT = REPO / "tests" / "clients" / "python_default_client.py"

AUDIENCE = (
    "//iam.googleapis.com/projects/123456789012/locations/global"
    "/workloadIdentityPools/aws-pool/providers/aws-provider"
)
AWS_TOKEN_TYPE = "urn:ietf:params:aws:token-type:aws4_request"
GOOGLE_PROJECT = "aws-wif-helper-tests"

# The shapes of the `run_helper` and `make_config` fixtures (see tests/conftest.py).
RunHelper = Callable[..., "HelperRun"]
MakeConfig = Callable[..., Path]

# Generous bounds: a frozen run takes 1-3 s on a loaded two-core machine.
PROCESS_TIMEOUT_SECONDS = 60
# How much of a file the helper wrote is kept for the secrets check.
_CAPTURED_FILE_BYTES = 1024 * 1024
DEFAULT_TIMEOUT_MILLIS = 30_000


@dataclasses.dataclass(frozen=True)
class HelperCommand:
    """One way to start the helper: the frozen binary or the module in the venv."""

    name: str
    argv: tuple[str, ...]

    @property
    def command_line(self) -> str:
        """The argv as a credential config's `command` (no spaces in our paths)."""
        return shlex.join(self.argv)

    def run(
        self,
        env: Mapping[str, str | bytes],
        args: Sequence[str] = (),
        cwd: Path | None = None,
        before_exec: Callable[[], object] | None = None,
        timeout: float = PROCESS_TIMEOUT_SECONDS,
    ) -> HelperRun:
        """Run the helper once, stdin closed, and capture what it printed.

        `env` values may be bytes (for variables that are not UTF-8);
        `before_exec` runs in the child before the helper starts (to set a
        resource limit or change the user).
        """
        completed = subprocess.run(
            [*self.argv, *args],
            env=dict(env),
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=timeout,
            check=False,
            preexec_fn=before_exec,
        )
        result = HelperRun(completed.returncode, completed.stdout, completed.stderr)
        capture_helper_run(self.name, env, args, result)
        return result

    def start(
        self, env: Mapping[str, str | bytes], args: Sequence[str] = (), cwd: Path | None = None
    ) -> HelperProcess:
        """Start the helper in its own process group, without waiting; see `HelperProcess`."""
        process = subprocess.Popen(
            [*self.argv, *args],
            env=dict(env),
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        return HelperProcess(self.name, env, tuple(args), process)


@dataclasses.dataclass(frozen=True)
class HelperProcess:
    """A helper run in progress; `finish` waits for it and captures what it printed."""

    name: str
    env: Mapping[str, str | bytes]
    args: tuple[str, ...]
    process: subprocess.Popen[bytes]

    def finish(self, timeout: float = PROCESS_TIMEOUT_SECONDS) -> HelperRun:
        try:
            stdout, stderr = self.process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            stdout, stderr = self.process.communicate()
        result = HelperRun(self.process.returncode, stdout, stderr)
        capture_helper_run(self.name, self.env, self.args, result)
        return result

    def kill(self) -> None:
        """SIGKILL the run's whole process group, and reap it.

        The group, not the process: the frozen build runs Python in a child of
        its bootloader, and that child is the one writing files.
        """
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.communicate()


def capture_helper_run(
    name: str, env: Mapping[str, str | bytes], args: Sequence[str], result: HelperRun
) -> None:
    """Hand a run's output, and the files it wrote, to the secrets check."""
    capture(f"stdout of the {name} helper", result.stdout)
    capture(f"stderr of the {name} helper", result.stderr)
    for variable in ("GOOGLE_EXTERNAL_ACCOUNT_OUTPUT_FILE", "AWS_WIF_HELPER_LOG_FILE"):
        value = env.get(variable)
        if value:
            _capture_file(f"{variable} of the {name} helper", value)
    for flag, value in zip(args, args[1:]):
        if flag == "--log-file":
            _capture_file(f"--log-file of the {name} helper", value)


def _capture_file(source: str, path: str | bytes) -> None:
    """Capture a regular file the helper wrote; never follow a link, never read a huge file."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return
    try:
        if stat.S_ISREG(os.fstat(descriptor).st_mode):
            capture(source, os.read(descriptor, _CAPTURED_FILE_BYTES))
    finally:
        os.close(descriptor)


def answer_in_process(argv: Sequence[str], environ: Mapping[str, str]) -> dict[str, Any]:
    """`helper.protocol.answer` in this process, its response handed to the secrets check.

    The helper's own variables come from `environ`; botocore reads the AWS ones
    from this process's environment (the `aws_env` fixture sets them).
    """
    response = answer(argv, environ)
    capture("an in-process answer", render(response))
    return response


def frozen_helper() -> HelperCommand:
    return HelperCommand("frozen", (str(FROZEN_HELPER),))


def module_helper() -> HelperCommand:
    return HelperCommand("module", (sys.executable, "-m", "helper"))


@dataclasses.dataclass(frozen=True)
class HelperRun:
    """Exit status and raw output of one helper run."""

    returncode: int
    stdout: bytes
    stderr: bytes

    @property
    def response(self) -> dict[str, Any]:
        """The single JSON document on stdout; fails the test if there is anything else."""
        text = self.stdout.decode("ascii")
        document, end = json.JSONDecoder().raw_decode(text)
        assert text[end:].strip() == "", f"more than one document on stdout: {text!r}"
        assert isinstance(document, dict), f"stdout is not a JSON object: {text!r}"
        return document


@dataclasses.dataclass
class AwsEnvironment:
    """A private AWS set-up: its own config files, HOME, and AWS_* variables.

    `variables` holds what every process started for the test gets; change it
    with `use_key`, `set` or by hand. Files start empty.
    """

    root: Path
    variables: dict[str, str]

    @classmethod
    def create(cls, root: Path, tmpdir: Path | None = None) -> AwsEnvironment:
        """A set-up under `root`; processes get `tmpdir` as TMPDIR when it is given."""
        home = root / "home"
        aws = root / "aws"
        for folder in (home, aws, root / "work"):
            folder.mkdir(parents=True, exist_ok=True)
        (aws / "config").write_text("")
        (aws / "credentials").write_text("")

        variables = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": "C.UTF-8",
            "HOME": str(home),
            "AWS_CONFIG_FILE": str(aws / "config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(aws / "credentials"),
            # botocore's chain ends at the instance metadata service; never
            # let it reach for the real address.
            "AWS_EC2_METADATA_DISABLED": "true",
            "GOOGLE_CLOUD_PROJECT": GOOGLE_PROJECT,
            # A secret no run needs: the secrets check fails if it is ever echoed.
            CANARY_VARIABLE: CANARY_VALUE,
        }
        if tmpdir is not None:
            variables["TMPDIR"] = str(tmpdir)
        elif "TMPDIR" in os.environ:
            variables["TMPDIR"] = os.environ["TMPDIR"]
        return cls(root, variables)

    @property
    def home(self) -> Path:
        return Path(self.variables["HOME"])

    @property
    def config_file(self) -> Path:
        return Path(self.variables["AWS_CONFIG_FILE"])

    @property
    def credentials_file(self) -> Path:
        return Path(self.variables["AWS_SHARED_CREDENTIALS_FILE"])

    @property
    def work_dir(self) -> Path:
        """Where the clients run: a folder that is not the repository."""
        return self.root / "work"

    def use_key(self, key: AwsKey) -> None:
        """Give the helper `key` through AWS_ACCESS_KEY_ID and friends."""
        for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
            self.variables.pop(name, None)
        self.variables.update(key.environment())

    def set(self, **variables: str) -> None:
        self.variables.update(variables)

    def write_config(self, text: str) -> None:
        self.config_file.write_text(text)

    def write_credentials(self, text: str) -> None:
        self.credentials_file.write_text(text)

    def environ(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        """A fresh environment for one process: `variables` plus `extra`."""
        return {**self.variables, **(extra or {})}


def client_variables(
    audience: str = AUDIENCE,
    token_type: str = AWS_TOKEN_TYPE,
    output_file: str | Path | None = None,
    **more: str,
) -> dict[str, str]:
    """The GOOGLE_EXTERNAL_ACCOUNT_* variables a client sets when it runs the helper.

    `more` adds or overrides variables by their suffix: `REVOKE="1"` sets
    GOOGLE_EXTERNAL_ACCOUNT_REVOKE.
    """
    variables = {
        "GOOGLE_EXTERNAL_ACCOUNT_AUDIENCE": audience,
        "GOOGLE_EXTERNAL_ACCOUNT_TOKEN_TYPE": token_type,
        "GOOGLE_EXTERNAL_ACCOUNT_INTERACTIVE": "0",
    }
    if output_file is not None:
        variables["GOOGLE_EXTERNAL_ACCOUNT_OUTPUT_FILE"] = str(output_file)
    variables.update({f"GOOGLE_EXTERNAL_ACCOUNT_{name}": value for name, value in more.items()})
    return variables


def write_credential_config(
    path: Path,
    *,
    command: str,
    token_url: str,
    audience: str = AUDIENCE,
    subject_token_type: str = AWS_TOKEN_TYPE,
    output_file: Path | None = None,
    timeout_millis: int = DEFAULT_TIMEOUT_MILLIS,
    service_account_impersonation_url: str | None = None,
) -> Path:
    """Write an external_account config whose credential source is `command`."""
    executable: dict[str, Any] = {"command": command, "timeout_millis": timeout_millis}
    if output_file is not None:
        executable["output_file"] = str(output_file)

    config: dict[str, Any] = {
        "type": "external_account",
        "audience": audience,
        "subject_token_type": subject_token_type,
        "token_url": token_url,
        "credential_source": {"executable": executable},
    }
    if service_account_impersonation_url:
        config["service_account_impersonation_url"] = service_account_impersonation_url

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(config, indent=2) + "\n")
    return path


@dataclasses.dataclass(frozen=True)
class RunCounter:
    """A wrapper script that logs each run, then execs the helper.

    Use `command` as the config's command. `runs` says how often a client ran
    it; `environments` holds the GOOGLE_EXTERNAL_ACCOUNT_* variables of each run.
    """

    script: Path
    log: Path

    @classmethod
    def create(cls, folder: Path, helper: HelperCommand) -> RunCounter:
        folder.mkdir(parents=True, exist_ok=True)
        script, log = folder / "counting-helper", folder / "runs.log"
        environments = shlex.quote(str(folder / "environments"))
        script.write_text(
            "#!/bin/sh\n"
            "# Test wrapper: count this run and keep its environment, then become the helper.\n"
            f"echo run >> {shlex.quote(str(log))}\n"
            f"mkdir -p {environments}\n"
            f'env -0 > {environments}/"$$"\n'
            f'exec {helper.command_line} "$@"\n'
        )
        script.chmod(script.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        return cls(script, log)

    @property
    def command(self) -> str:
        return str(self.script)

    @property
    def runs(self) -> int:
        return len(self.log.read_text().splitlines()) if self.log.exists() else 0

    @property
    def environments(self) -> list[dict[str, str]]:
        """The client's protocol variables for each run, oldest first."""
        folder = self.log.parent / "environments"
        files = (
            sorted(folder.iterdir(), key=lambda path: path.stat().st_mtime_ns)
            if folder.exists()
            else []
        )
        result = []
        for path in files:
            pairs = (item.split("=", 1) for item in path.read_text().split("\0") if "=" in item)
            result.append(
                {
                    name: value
                    for name, value in pairs
                    if name.startswith("GOOGLE_EXTERNAL_ACCOUNT_")
                }
            )
        return result


@dataclasses.dataclass(frozen=True)
class CountingCredentialProcess:
    """An AWS profile whose `credential_process` hands out `key` and counts its runs.

    `create` adds the profile to the test's AWS config and selects it with
    AWS_PROFILE; `fetches` is how often any helper ran the process since.
    """

    profile: str
    key: AwsKey
    log: Path

    @classmethod
    def create(
        cls, aws_env: AwsEnvironment, key: AwsKey, profile: str = "counted"
    ) -> CountingCredentialProcess:
        folder = aws_env.root / f"credential-process-{profile}"
        folder.mkdir(parents=True, exist_ok=True)
        script, log = folder / "credential-process.py", folder / "fetches.log"
        answer = {
            "Version": 1,
            "AccessKeyId": key.access_key_id,
            "SecretAccessKey": key.secret_access_key,
        }
        if key.session_token:
            answer["SessionToken"] = key.session_token
        if key.expiration:
            answer["Expiration"] = key.expiration.isoformat()
        script.write_text(
            "# Test credential_process: count this run, then print the stand-in key.\n"
            f"with open({str(log)!r}, 'a') as stream:\n"
            "    stream.write('fetch\\n')\n"
            f"print({json.dumps(answer)!r})\n"
        )
        with aws_env.config_file.open("a") as config:
            config.write(
                f"[profile {profile}]\ncredential_process = {sys.executable} -I -S {script}\n"
            )
        aws_env.set(AWS_PROFILE=profile)
        return cls(profile, key, log)

    @property
    def fetches(self) -> int:
        return len(self.log.read_text().splitlines()) if self.log.exists() else 0


@dataclasses.dataclass(frozen=True)
class ClientResult:
    """What a real client program reported after asking for an access token."""

    client: str
    ok: bool
    token: str | None
    error: str | None
    returncode: int
    stdout: str
    stderr: str


def run_client(client: str, config: Path, env: Mapping[str, str], cwd: Path) -> ClientResult:
    """Run the real `client` once, in a fresh process, on `config`.

    "python" builds pluggable credentials itself, "python-default" goes through
    `google.auth.default()` (the loader gcloud uses), "node" is google-auth-library.
    """
    if client == "python":
        argv = [sys.executable, str(PYTHON_CLIENT), str(config)]
    elif client == "python-default":
        argv = [sys.executable, str(PYTHON_DEFAULT_CLIENT)]
    elif client == "node":
        argv = ["node", str(NODE_CLIENT_DIR / "get_token.js")]
    else:
        raise ValueError(f"unknown client {client!r}")

    environment = {
        **env,
        "GOOGLE_APPLICATION_CREDENTIALS": str(config),
        "GOOGLE_EXTERNAL_ACCOUNT_ALLOW_EXECUTABLES": "1",
    }
    completed = subprocess.run(
        argv,
        env=environment,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=PROCESS_TIMEOUT_SECONDS,
        check=False,
    )

    capture(f"stdout of the {client} client", completed.stdout)
    capture(f"stderr of the {client} client", completed.stderr)
    lines = completed.stdout.strip().splitlines()
    try:
        outcome = json.loads(lines[-1])
    except (IndexError, ValueError):
        outcome = {"ok": False, "error": f"the {client} client printed no result line"}
    return ClientResult(
        client=client,
        ok=bool(outcome.get("ok")),
        token=outcome.get("token"),
        error=outcome.get("error"),
        returncode=completed.returncode,
        stdout=completed.stdout,
        stderr=completed.stderr,
    )


def memory_backed_temp_root() -> Path | None:
    """/dev/shm when it is a writable tmpfs that allows running programs, else None.

    The one-file helper unpacks itself into TMPDIR on every run. On a virtual
    disk that costs seconds per run (measured here: 2.5 s on /tmp, 0.6 s on
    /dev/shm), which would dominate the suite; the protocol is the same.
    """
    root = Path("/dev/shm")
    try:
        flags = os.statvfs(root).f_flag
    except OSError:
        return None
    if flags & (os.ST_NOEXEC | os.ST_RDONLY) or not os.access(root, os.W_OK | os.X_OK):
        return None
    return root


@dataclasses.dataclass(frozen=True)
class Client:
    """A real Google auth client; every `get_token` is a new process with no memory."""

    name: str
    aws_env: AwsEnvironment

    def get_token(self, config: Path) -> ClientResult:
        return run_client(self.name, config, self.aws_env.environ(), self.aws_env.work_dir)


def missing(reason: str) -> NoReturn:
    """Skip a test whose tool is not set up here; on CI, where `make test` sets it up, fail."""
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


def node_client_installed() -> bool:
    return (NODE_CLIENT_DIR / "node_modules" / "google-auth-library").is_dir()
