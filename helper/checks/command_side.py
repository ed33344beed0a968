"""The config's command: how each client splits it, what it runs, and the helper options in it.

Python splits the command with shlex, Node on spaces with "double quotes"
grouping, Go on white space only (`helper.command_line`). A command they do not
all split the same way works for some clients and not for others, so it fails
here. The program is then looked at as the client would find it, started once
with `--version` to see that it runs on this host (a binary built for a newer
glibc fails here, for example), and its helper options are parsed by the same
code protocol mode uses.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import stat
import subprocess
import time
from collections.abc import Mapping

from helper.checks.config_side import LoadedConfig
from helper.checks.report import Report
from helper.command_line import CLIENTS, split_all
from helper.credential_config import DEFAULT_TIMEOUT_MILLIS, HELPER_START_ALLOWANCE_MILLIS
from helper.errors import HelperError
from helper.log import LOG_FILE_VARIABLE, requested_path
from helper.options import HelperOptions, parse_helper_options
from helper.request import PROTOCOL_VARIABLES

__all__ = ["CommandFacts", "check_command", "client_environment_without_protocol"]

_VERSION_PREFIX = "aws-wif-helper "
_SHOWN_OUTPUT_CHARACTERS = 300


@dataclasses.dataclass(frozen=True)
class CommandFacts:
    """What doctor learnt about the command, for the checks that follow."""

    argv: list[str]
    options: HelperOptions | None
    runnable: bool


def check_command(report: Report, config: LoadedConfig, environ: Mapping[str, str]) -> CommandFacts:
    """Add the command.* checks."""
    command = config.command or ""
    argv = _check_split(report, command)
    if not argv:
        return CommandFacts([], None, False)

    runnable = _check_program(report, argv[0], environ)
    helper_arguments = argv[3:] if argv[1:3] == ["-m", "helper"] else argv[1:]
    options = _check_options(report, helper_arguments)
    if options is not None:
        _check_helper_timeout(report, options, config)
        _check_log_file(report, helper_arguments, environ)
    if runnable:
        _check_starts(report, argv, config, environ)
    else:
        report.skip("command.starts", "Not started: the program is not runnable.")
    return CommandFacts(argv, options, runnable)


def client_environment_without_protocol(environ: Mapping[str, str]) -> dict[str, str]:
    """`environ` without the GOOGLE_EXTERNAL_ACCOUNT_* variables a client sets."""
    return {name: value for name, value in environ.items() if name not in PROTOCOL_VARIABLES}


def _check_split(report: Report, command: str) -> list[str]:
    splits = split_all(command)
    if splits.agree:
        report.ok("command.split", f"Python, Node and Go all run: {' | '.join(splits.best_guess)}")
        return splits.best_guess

    errors = {"Python": splits.python_error, "Node": splits.node_error}
    shown = "; ".join(
        f"{client}: {errors.get(client) or ' | '.join(split or [])}"
        for client, split in zip(CLIENTS, splits.by_client().values())
    )
    report.fail(
        "command.split",
        f"The clients split the command differently ({shown}).",
        "Use a command without spaces inside paths or arguments, quotes or backslashes: "
        "install the helper at a path like /usr/local/bin/aws-wif-helper and run "
        "`aws-wif-helper create-config --helper-path PATH` again.",
    )
    return splits.best_guess


def _check_program(report: Report, program: str, environ: Mapping[str, str]) -> bool:
    if os.sep not in program:
        found = shutil.which(program, path=environ.get("PATH", os.defpath))
        if found is None:
            report.fail(
                "command.program",
                f"{program} is not on this shell's PATH, and the command does not say where it is.",
                "Put the helper's absolute path in the command (create-config --helper-path).",
            )
            return False
        report.warn(
            "command.program",
            f"{program} is found on this shell's PATH at {found}, but each client looks it up "
            "on its own PATH.",
            "Put the absolute path in the command (create-config --helper-path).",
        )
        return True

    if not os.path.isabs(program):
        report.warn(
            "command.program",
            f"{program} is relative: clients resolve it from their working directory.",
            "Put the absolute path in the command (create-config --helper-path).",
        )

    try:
        found_stat = os.stat(program)
    except FileNotFoundError:
        report.fail(
            "command.program",
            f"{program} does not exist.",
            "Install the helper there, or create the config again with --helper-path "
            "naming where it is.",
        )
        return False
    except OSError as error:
        report.fail(
            "command.program",
            f"{program} cannot be examined ({error.strerror}).",
            "Make it and its folders readable by the workload's user.",
        )
        return False

    if not stat.S_ISREG(found_stat.st_mode):
        report.fail(
            "command.program", f"{program} is not a file.", "Point the command at the helper."
        )
        return False
    if not os.access(program, os.X_OK):
        report.fail(
            "command.program",
            f"{program} is not executable by this user.",
            f"chmod 755 {program} (and check the file system is not mounted noexec).",
        )
        return False
    if found_stat.st_mode & stat.S_IWOTH:
        report.fail(
            "command.program",
            f"{program} is writable by every user, who could replace what the client runs.",
            f"chmod o-w {program}.",
        )
        return False

    if os.path.isabs(program):
        report.ok("command.program", f"{program} exists and is executable.")
    return True


def _check_options(report: Report, helper_arguments: list[str]) -> HelperOptions | None:
    try:
        options = parse_helper_options(helper_arguments)
    except HelperError as error:
        report.fail(
            "command.options",
            f"The helper would refuse its options {' '.join(helper_arguments)!r}.",
            error.message,
        )
        return None

    shown = " ".join(helper_arguments) or "(none: the defaults)"
    report.ok("command.options", f"Helper options {shown} are valid.")
    return options


def _check_helper_timeout(report: Report, options: HelperOptions, config: LoadedConfig) -> None:
    timeout_millis = config.timeout_millis or DEFAULT_TIMEOUT_MILLIS
    needed = options.timeout_seconds * 1000 + HELPER_START_ALLOWANCE_MILLIS
    if needed > timeout_millis:
        report.fail(
            "command.timeout",
            f"The helper may work {options.timeout_seconds:g} s (--timeout), but the client "
            f"kills it after {timeout_millis} ms, less {HELPER_START_ALLOWANCE_MILLIS} ms "
            "for start-up: the client would see a timeout instead of the helper's message.",
            f"Raise timeout_millis to at least {int(needed)} or lower --timeout.",
        )
        return
    report.ok(
        "command.timeout",
        f"The helper's deadline ({options.timeout_seconds:g} s) fits in timeout_millis "
        f"({timeout_millis} ms) with time to start.",
    )


def _check_log_file(
    report: Report, helper_arguments: list[str], environ: Mapping[str, str]
) -> None:
    path = requested_path(helper_arguments, environ)
    if path is None:
        report.ok(
            "command.log_file",
            f"No step log (add --log-file PATH to the command, or set {LOG_FILE_VARIABLE}, to "
            "record each run).",
        )
        return

    path = os.path.expanduser(path)
    folder = os.path.dirname(os.path.abspath(path))
    writable = os.access(path, os.W_OK) if os.path.exists(path) else os.access(folder, os.W_OK)
    if not writable:
        report.warn(
            "command.log_file",
            f"The step log {path} cannot be written by this user; runs will not be logged.",
            "Create the folder and make it writable by the workload's user.",
        )
        return
    report.ok("command.log_file", f"Each run appends its steps to {path}.")


def _check_starts(
    report: Report, argv: list[str], config: LoadedConfig, environ: Mapping[str, str]
) -> None:
    timeout_seconds = (config.timeout_millis or DEFAULT_TIMEOUT_MILLIS) / 1000
    started = time.monotonic()
    try:
        finished = subprocess.run(
            [*argv, "--version"],
            env=client_environment_without_protocol(environ),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=timeout_seconds,
            check=False,
        )
    except subprocess.TimeoutExpired:
        report.fail(
            "command.starts",
            f"`{argv[0]} --version` did not finish within timeout_millis ({timeout_seconds:g} s).",
            "Check the host's load and that TMPDIR is writable and not mounted noexec.",
        )
        return
    except OSError as error:
        report.fail(
            "command.starts",
            f"{argv[0]} cannot be started ({error.strerror}).",
            "Check that it is a binary for this machine (architecture, glibc) or a script "
            "with a working #! line.",
        )
        return

    took = time.monotonic() - started
    output = finished.stdout.decode("utf-8", "replace").strip()
    if finished.returncode != 0 or not output.startswith(_VERSION_PREFIX):
        errors = finished.stderr.decode("utf-8", "replace").strip()
        shown = (output or errors or "(no output)")[:_SHOWN_OUTPUT_CHARACTERS]
        report.fail(
            "command.starts",
            f"`{argv[0]} --version` exited {finished.returncode} without naming aws-wif-helper: "
            f"{shown}",
            "Point the command at the aws-wif-helper binary; if it is, run it by hand to "
            "see why it does not start (a glibc or architecture mismatch, for example).",
        )
        return

    if took * 1000 > HELPER_START_ALLOWANCE_MILLIS:
        report.warn(
            "command.starts",
            f"{output} takes {took:.2f} s just to start.",
            "Keep timeout_millis well above the helper's --timeout plus this start-up time.",
        )
        return
    report.ok("command.starts", f"{output} starts in {took:.2f} s.")
