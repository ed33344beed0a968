"""`aws-wif-helper doctor`: check a set-up end to end and say what to fix.

    aws-wif-helper doctor [--config FILE] [--online] [--exchange] [--json]

Without --config it reads the file GOOGLE_APPLICATION_CREDENTIALS names, and
without either it checks the AWS side alone (helper options such as --profile
may then be given). The report has one line per check, ok / warn / fail with
the fix, and the exit status is 1 when any check fails. Finding credentials
makes the calls the helper itself would make (an SSO portal, STS for an
assume-role profile or --role-arn, the metadata services); nothing else is sent
unless --online (AWS STS GetCallerIdentity) or --exchange (the helper's token to
the config's token_url and impersonation URL) is given.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping, Sequence

from helper import log
from helper.checks.aws_side import check_aws
from helper.checks.command_side import CommandFacts, check_command
from helper.checks.config_side import LoadedConfig, check_config, load_config
from helper.checks.exchange import check_exchange
from helper.checks.output_file_side import check_output_file
from helper.checks.report import Report
from helper.credential_config import mode_of_token_type
from helper.errors import HelperError
from helper.options import HelperOptions, add_helper_options, options_from_namespace

__all__ = ["diagnose", "run"]

PROG = "aws-wif-helper doctor"
ALLOW_EXECUTABLES_VARIABLE = "GOOGLE_EXTERNAL_ACCOUNT_ALLOW_EXECUTABLES"
APPLICATION_CREDENTIALS_VARIABLE = "GOOGLE_APPLICATION_CREDENTIALS"


def run(argv: Sequence[str]) -> int:
    namespace = _parser().parse_args(list(argv))
    given_helper_options = [
        name for name in ("profile", "region", "log_file") if getattr(namespace, name)
    ]
    config_path = namespace.config or os.environ.get(APPLICATION_CREDENTIALS_VARIABLE)
    if config_path and given_helper_options:
        print(
            f"{PROG}: with a config, the helper options are the ones in its command; "
            "drop them here or drop --config.",
            file=sys.stderr,
        )
        return 2

    try:
        own_options = options_from_namespace(namespace)
    except HelperError as error:
        print(f"{PROG}: {error.message}", file=sys.stderr)
        return 2

    # Without a config, --log-file records the steps of doctor's own AWS look-up.
    log.start(namespace.log_file, f"aws-wif-helper doctor; options: {' '.join(argv)}")

    report = diagnose(
        config_path,
        own_options,
        os.environ,
        online=namespace.online,
        exchange=namespace.exchange,
    )
    title = f"{PROG}: {config_path or 'no config (AWS side only)'}"
    sys.stdout.write(report.as_json(title) if namespace.json else report.as_text(title))
    return report.exit_status()


def diagnose(
    config_path: str | None,
    own_options: HelperOptions,
    environ: Mapping[str, str],
    *,
    online: bool = False,
    exchange: bool = False,
) -> Report:
    """Run every check that applies and return the report."""
    report = Report()
    _check_environment(report, config_path, environ)

    config = load_config(report, config_path) if config_path else None
    facts = CommandFacts([], None, False)
    if config is not None:
        facts = check_command(report, config, environ)
        check_config(report, config, getattr(facts.options, "mode", None))

    mode = mode_of_token_type(config.subject_token_type) if config else None
    options = facts.options or own_options
    check_aws(report, options, environ, online, mode or "aws")
    if config is None:
        return report

    check_output_file(report, config, options)
    if exchange:
        _exchange(report, config, facts, environ)
    return report


def _exchange(
    report: Report, config: LoadedConfig, facts: CommandFacts, environ: Mapping[str, str]
) -> None:
    if not facts.runnable:
        report.skip("exchange.helper", "Not run: the command's program is not runnable.")
        return
    check_exchange(report, config, facts.argv, environ)


def _check_environment(report: Report, config_path: str | None, environ: Mapping[str, str]) -> None:
    if environ.get(ALLOW_EXECUTABLES_VARIABLE) == "1":
        report.ok("env.allow_executables", f"{ALLOW_EXECUTABLES_VARIABLE}=1 is set.")
    else:
        report.fail(
            "env.allow_executables",
            f"{ALLOW_EXECUTABLES_VARIABLE} is not 1 here, and Google clients run the "
            "command only when it is.",
            f"export {ALLOW_EXECUTABLES_VARIABLE}=1 in the workload's environment.",
        )

    credentials_file = environ.get(APPLICATION_CREDENTIALS_VARIABLE)
    if credentials_file is None:
        report.ok(
            "env.application_credentials",
            f"{APPLICATION_CREDENTIALS_VARIABLE} is not set here; clients that use "
            "Application Default Credentials need it to name the config.",
        )
    elif config_path and os.path.abspath(credentials_file) != os.path.abspath(config_path):
        report.warn(
            "env.application_credentials",
            f"{APPLICATION_CREDENTIALS_VARIABLE} names {credentials_file}, not this config: "
            "Application Default Credentials load that one.",
            f"export {APPLICATION_CREDENTIALS_VARIABLE}={config_path} if this is the one to use.",
        )
    else:
        report.ok(
            "env.application_credentials",
            f"{APPLICATION_CREDENTIALS_VARIABLE} names {credentials_file}.",
        )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Check the AWS credentials, a credential config and its command, "
        "and say what to fix. Exit status 1 when a check fails.",
    )
    parser.add_argument(
        "--config",
        metavar="FILE",
        help=f"the credential config (default: ${APPLICATION_CREDENTIALS_VARIABLE})",
    )
    parser.add_argument(
        "--online", action="store_true", help="call AWS STS GetCallerIdentity for the caller ARN"
    )
    parser.add_argument(
        "--exchange",
        action="store_true",
        help="run the helper as a client would and exchange its token at the config's token_url",
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    add_helper_options(parser)
    return parser
