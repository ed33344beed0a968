"""The command line: protocol mode for Google clients, commands for people.

    aws-wif-helper [OPTIONS]                 run by a Google client (protocol mode)
    aws-wif-helper token --audience A [...]  print a response by hand
    aws-wif-helper create-config [...]       write a credential config that runs this helper
    aws-wif-helper doctor [...]              check a set-up and say what to fix
    aws-wif-helper --help | --version

Protocol mode is chosen when any `GOOGLE_EXTERNAL_ACCOUNT_*` variable is set;
without them a person gets a usage hint instead of a protocol error.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

import helper
from helper.protocol import run_protocol_mode
from helper.request import PROTOCOL_VARIABLES

__all__ = ["COMMAND_NAMES", "main"]

USAGE = """\
usage: aws-wif-helper [--profile NAME] [--region REGION]
                      [--sts-endpoint auto|regional|global] [--timeout SECONDS]
                      [--role-arn ARN [--role-session-name NAME] [--external-id ID]]
                      [--allowed-audience PATTERN ...]
       aws-wif-helper token --audience AUDIENCE [--mode aws|oidc] [--decode]
                            [options above]
       aws-wif-helper create-config (--audience AUDIENCE | --project-number N
                            --pool ID --provider ID) [...] [-o FILE] [-- OPTIONS]
       aws-wif-helper doctor [--config FILE] [--online] [--exchange] [--json]
       aws-wif-helper --help | --version

Google auth libraries run this helper from a credential config
(credential_source.executable.command). It answers with an AWS-signed subject
token for Workload Identity Federation.
"""

HELP = (
    USAGE
    + """
Protocol mode (no command; run by the client, which sets
GOOGLE_EXTERNAL_ACCOUNT_AUDIENCE and GOOGLE_EXTERNAL_ACCOUNT_TOKEN_TYPE):
  --profile NAME        AWS profile (default: AWS_PROFILE, then botocore's chain)
  --region REGION       region of the STS endpoint named in the token
                        (default: AWS_REGION, AWS_DEFAULT_REGION, the profile's)
  --sts-endpoint MODE   auto (regional when a region is known), regional, global
  --timeout SECONDS     deadline for the whole run (default 3)
  --allowed-audience PATTERN
                        sign only for audiences matching PATTERN (repeatable;
                        * matches within one segment); also
                        AWS_WIF_HELPER_ALLOWED_AUDIENCES (comma-separated).
                        Without either, only //iam.googleapis.com/ providers
  --role-arn ARN        assume this role with the credentials the chain found,
                        and sign with the role's keys
  --role-session-name NAME
                        AssumeRole session name (default aws-wif-helper-EPOCH)
  --external-id ID      ExternalId the role's trust policy asks for
  --log-file PATH       append one line per step of each run to PATH (also:
                        AWS_WIF_HELPER_LOG_FILE); never holds a secret

OIDC mode (the config's subject_token_type is urn:ietf:params:oauth:token-type:jwt
or ...:id_token; AWS STS GetWebIdentityToken issues the token; needs a region):
  --jwt-audience AUD    the token's audience, repeatable (default: https: + the
                        config's audience, what a provider without allowed
                        audiences accepts)
  --signing-algorithm A RS256 (default) or ES384
  --token-lifetime SECONDS
                        how long the token lives, 180-3600 (default 300)

Commands (each has --help):
  create-config         write a credential config whose command runs this helper
  doctor                check AWS credentials, a config and its command, and
                        say what to fix; --exchange tries the real token exchange
  token                 print the response for --audience, for manual checks;
                        --decode shows the subject token with secrets shortened

The clients run executables only with GOOGLE_EXTERNAL_ACCOUNT_ALLOW_EXECUTABLES=1.
"""
)


def _create_config(argv: Sequence[str]) -> int:
    # Imported on use: protocol mode should not pay for the commands' imports.
    from helper.commands import create_config

    return create_config.run(argv)


def _doctor(argv: Sequence[str]) -> int:
    from helper.commands import doctor

    return doctor.run(argv)


def _token(argv: Sequence[str]) -> int:
    from helper.commands import token_command

    return token_command.run(argv)


_COMMANDS = {"token": _token, "create-config": _create_config, "doctor": _doctor}
# The commands for people; the binary's launcher knows them too (build/launcher/launcher.c).
COMMAND_NAMES = tuple(_COMMANDS)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `aws-wif-helper` script and `python -m helper`."""
    arguments = list(sys.argv[1:] if argv is None else argv)

    if arguments and arguments[0] in _COMMANDS:
        return _COMMANDS[arguments[0]](arguments[1:])
    # A client parses stdout as JSON: under a client, even --help or --version in
    # the config's command gets a failure response rather than text for people.
    if any(name in os.environ for name in PROTOCOL_VARIABLES):
        run_protocol_mode(arguments)
    if "--version" in arguments:
        print(version_text())
        return 0
    if "--help" in arguments or "-h" in arguments:
        print(HELP, end="")
        return 0

    print(USAGE, file=sys.stderr, end="")
    if arguments and not arguments[0].startswith("-"):
        print(
            f"\nUnknown command {arguments[0]!r}; the commands are {', '.join(_COMMANDS)}.",
            file=sys.stderr,
        )
        return 2
    print(
        "\nNo GOOGLE_EXTERNAL_ACCOUNT_* variables are set, so no Google client is "
        "running this; try `aws-wif-helper token --audience ...`.",
        file=sys.stderr,
    )
    return 2


def version_text() -> str:
    """The helper's version and the botocore it carries."""
    import botocore

    return f"aws-wif-helper {helper.__version__} (botocore {botocore.__version__})"
