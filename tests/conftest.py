"""Shared fixtures: the stand-ins, the two helper builds, the two real clients.

Fixtures, by what a test needs:

* `aws_env` (automatic): an isolated AWS set-up; the test process's own
  environment is stripped of AWS_* and GOOGLE_* variables for every test.
* `no_secret_in_anything_captured` (automatic): the secrets check of
  tests/captured.py over everything the test's runners captured.
* `google_sts`: the Google STS and impersonation stand-in, with
  `LONG_TERM_KEY` and `SESSION_KEY` registered.
* `helper_command`: the helper to run, once as the frozen binary
  (dist/aws-wif-helper) and once as `python -m helper`.
* `run_helper(env, args)`: run it in protocol mode and check stderr is empty.
* `run_counter`: a wrapper command that counts how often a client ran the helper.
* `counting_credential_process`: an AWS profile (selected by AWS_PROFILE) whose
  credential_process counts how often the helper fetched credentials.
* `make_config(command, ...)`: a credential config pointing at `google_sts`.
* `client`: a real client ("python" google-auth, "node" google-auth-library)
  whose `get_token(config)` runs in a fresh process.
"""

from __future__ import annotations

import datetime
import os
import shutil
import tempfile
from collections.abc import Generator, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pluggy
import pytest

from tests.captured import CANARY_VARIABLE, CAPTURED, capture, find_leaks
from tests.harness import (
    FROZEN_HELPER,
    AwsEnvironment,
    Client,
    CountingCredentialProcess,
    HelperCommand,
    HelperRun,
    MakeConfig,
    RunCounter,
    RunHelper,
    frozen_helper,
    memory_backed_temp_root,
    missing,
    module_helper,
    node_client_installed,
    write_credential_config,
)
from tests.standins.aws_keys import LONG_TERM_KEY, SESSION_KEY, AwsKey
from tests.standins.google_sts import GoogleStsStandIn


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    terminalreporter.write_line(
        f"secrets check: {len(CAPTURED)} captured outputs ({CAPTURED.total_characters} "
        "characters) scanned for secret keys, session tokens, the canary and signatures"
    )


class _CapturingCapsys:
    """pytest's `capsys`, handing what the test reads to the secrets check too."""

    def __init__(self, inner: pytest.CaptureFixture[str]) -> None:
        self._inner = inner

    def readouterr(self) -> Any:
        result = self._inner.readouterr()
        capture("stdout read through capsys", result.out)
        capture("stderr read through capsys", result.err)
        return result

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


@pytest.fixture
def capsys(capsys: pytest.CaptureFixture[str]) -> Any:
    """In-process commands (create-config) print through capsys: keep it for the check."""
    return _CapturingCapsys(capsys)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pluggy.Result[pytest.TestReport], None]:
    """Hand what a test printed without capsys to the secrets check, before teardown scans."""
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        capture(f"output of {item.name}", report.capstdout + report.capstderr)


@pytest.fixture(autouse=True)
def no_secret_in_anything_captured() -> Iterator[None]:
    """Fail a test if anything it captured (see tests/captured.py) holds a secret."""
    mark = CAPTURED.mark()
    yield
    leaks = find_leaks(CAPTURED.since(mark))
    if leaks:
        pytest.fail("secrets leaked:\n  " + "\n  ".join(leaks), pytrace=False)


def pytest_report_header() -> list[str]:
    if not FROZEN_HELPER.exists():
        return [f"frozen helper: {FROZEN_HELPER} is missing; its tests are skipped"]
    built = datetime.datetime.fromtimestamp(FROZEN_HELPER.stat().st_mtime)
    return [f"frozen helper: {FROZEN_HELPER} (built {built:%Y-%m-%d %H:%M:%S})"]


@pytest.fixture(scope="session")
def process_tmpdir() -> Iterator[Path | None]:
    """A TMPDIR in memory for the processes the tests start, when the machine has one."""
    root = memory_backed_temp_root()
    if root is None:
        yield None
        return
    folder = Path(tempfile.mkdtemp(prefix="aws-wif-helper-tests-", dir=root))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(autouse=True)
def aws_env(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, process_tmpdir: Path | None
) -> AwsEnvironment:
    """An isolated AWS set-up, also applied to this process for in-process tests."""
    environment = AwsEnvironment.create(tmp_path / "aws-env", tmpdir=process_tmpdir)
    for name in list(os.environ):
        if name.startswith(("AWS_", "GOOGLE_")):
            monkeypatch.delenv(name)
    for name, value in environment.variables.items():
        if name.startswith("AWS_") or name in ("HOME", CANARY_VARIABLE):
            monkeypatch.setenv(name, value)
    return environment


@pytest.fixture
def google_sts() -> Iterator[GoogleStsStandIn]:
    standin = GoogleStsStandIn()
    standin.register(LONG_TERM_KEY, SESSION_KEY)
    yield standin
    standin.close()


@pytest.fixture(params=["frozen", "module"])
def helper_command(request: pytest.FixtureRequest) -> HelperCommand:
    """The helper as users get it (frozen) and as developers run it (module)."""
    if request.param == "frozen":
        if not FROZEN_HELPER.exists():
            missing(
                f"{FROZEN_HELPER.relative_to(FROZEN_HELPER.parents[1])} is not built; "
                "run `bash build/build.sh` (`make test` builds it first)"
            )
        return frozen_helper()
    return module_helper()


@pytest.fixture
def frozen() -> HelperCommand:
    """The frozen binary alone, for tests that sample it where a loop runs the module."""
    if not FROZEN_HELPER.exists():
        missing(f"{FROZEN_HELPER} is not built; run `bash build/build.sh`")
    return frozen_helper()


@pytest.fixture
def run_helper(helper_command: HelperCommand, aws_env: AwsEnvironment) -> RunHelper:
    """Run the helper in protocol mode; fail the test if it writes anything on stderr."""

    def run(env: Mapping[str, str], args: Sequence[str] = ()) -> HelperRun:
        result = helper_command.run(env, args, cwd=aws_env.work_dir)
        assert result.stderr == b"", f"the helper wrote on stderr: {result.stderr!r}"
        return result

    return run


@pytest.fixture
def run_counter(helper_command: HelperCommand, tmp_path: Path) -> RunCounter:
    return RunCounter.create(tmp_path / "counter", helper_command)


@pytest.fixture
def counting_credential_process(aws_env: AwsEnvironment) -> CountingCredentialProcess:
    """A `credential_process` profile, selected by AWS_PROFILE, that counts its fetches."""
    return CountingCredentialProcess.create(aws_env, AwsKey.session("counted-role"))


@pytest.fixture
def make_config(tmp_path: Path, google_sts: GoogleStsStandIn) -> MakeConfig:
    """Write a credential config for `command`, sending clients to the STS stand-in.

    Keyword arguments are those of `tests.harness.write_credential_config`;
    `name` picks the file name when a test needs more than one config.
    """

    def make(command: str, *, name: str = "credential-config.json", **options: Any) -> Path:
        options.setdefault("token_url", google_sts.token_url)
        return write_credential_config(tmp_path / "configs" / name, command=command, **options)

    return make


@pytest.fixture(params=["python", "node"])
def client(request: pytest.FixtureRequest, aws_env: AwsEnvironment) -> Client:
    if request.param == "node" and not node_client_installed():
        missing("the Node client is not installed; run `make node`")
    return Client(request.param, aws_env)
