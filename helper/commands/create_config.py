"""`aws-wif-helper create-config`: write a credential config that runs this helper.

It writes what `gcloud iam workload-identity-pools create-cred-config
--executable-command ...` would, with the command built for this helper:

* the provider, as `--audience` or as `--project-number`, `--pool`, `--provider`
  (`--location`, `--universe-domain`);
* `--mode aws|oidc`, which sets `subject_token_type`;
* `--service-account EMAIL` for impersonation;
* `output_file`, by default one per-user cache file per audience and mode;
* `--allowed-audience AUDIENCE` in the command (unless `--no-allowed-audience`),
  so that the helper signs for this provider only;
* the command: this helper's absolute path (or `python -m helper` outside a
  frozen build) and the helper options given after `--`, refused when Python,
  Node and Go would not all split it the same way.

The config goes to stdout, or atomically to `-o FILE` with mode 0600. Warnings
go to stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Mapping, Sequence

from helper.audience import check_audience
from helper.command_line import UnsplittableArgument, join_for_every_client
from helper.credential_config import (
    DEFAULT_SA_TOKEN_LIFETIME_SECONDS,
    DEFAULT_TIMEOUT_MILLIS,
    DEFAULT_UNIVERSE_DOMAIN,
    HELPER_START_ALLOWANCE_MILLIS,
    MAX_SA_TOKEN_LIFETIME_SECONDS,
    MAX_TIMEOUT_MILLIS,
    MIN_SA_TOKEN_LIFETIME_SECONDS,
    MIN_TIMEOUT_MILLIS,
    MODES,
    ConfigSettings,
    build_config,
    default_output_file,
    provider_audience,
    universe_of_audience,
)
from helper.errors import HelperError
from helper.oidc_token import oidc_region
from helper.options import HelperOptions, parse_helper_options
from helper.output_file import replace_file
from helper.request import AUDIENCE_VARIABLE, TOKEN_TYPE_VARIABLE, read_request

__all__ = ["ConfigError", "helper_invocation", "make_config", "run"]

PROG = "aws-wif-helper create-config"
_PLACEHOLDER = re.compile(r"[A-Z][A-Z0-9_]*")
_PLACEHOLDER_PROJECT = re.compile(r"projects/[A-Z][A-Z0-9_]*(?=/)")
_PLACEHOLDER_SEGMENT = re.compile(r"(?<=/)[A-Z][A-Z0-9_]*(?=/|$)")
_EMAIL_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-_.@")
_PYTHON_LOADER_NOTE = (
    "subject_token_type is the AWS type (--mode aws): Node, Go and Java clients run the "
    "helper with this config, but gcloud, bq and Python's google.auth.default() pick "
    "their built-in AWS source for this type and refuse the config; for them create it "
    "with --mode oidc (Python code can also load it with "
    "google.auth.pluggable.Credentials.from_file)."
)


class ConfigError(Exception):
    """A request for a config that cannot work; the message says what to change."""


def run(argv: Sequence[str]) -> int:
    """Parse the command line, print warnings on stderr, write the config."""
    arguments = list(argv)
    helper_options: list[str] = []
    if "--" in arguments:
        split_at = arguments.index("--")
        arguments, helper_options = arguments[:split_at], arguments[split_at + 1 :]

    namespace = _parser().parse_args(arguments)
    try:
        config, warnings = make_config(namespace, helper_options, os.environ)
    except ConfigError as error:
        print(f"{PROG}: {error}", file=sys.stderr)
        return 2

    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)

    text = json.dumps(config, indent=2) + "\n"
    if not namespace.output:
        sys.stdout.write(text)
        return 0

    try:
        replace_file(namespace.output, text)
    except OSError as error:
        print(
            f"{PROG}: cannot write {namespace.output!r} ({error.strerror or error}); "
            "choose a file in a folder you can write.",
            file=sys.stderr,
        )
        return 1

    print(
        f"Wrote {namespace.output}. Check it with: aws-wif-helper doctor --config "
        f"{namespace.output}",
        file=sys.stderr,
    )
    return 0


def make_config(
    namespace: argparse.Namespace, helper_options: Sequence[str], environ: Mapping[str, str]
) -> tuple[dict[str, object], list[str]]:
    """The config document and the warnings about it; raises ConfigError if it cannot work."""
    warnings: list[str] = []
    audience, universe_domain = _audience(namespace)
    _check_mode_is_built_in(audience, namespace.mode)
    if namespace.mode == "aws":
        warnings.append(_PYTHON_LOADER_NOTE)
    if _with_placeholders_filled(audience) != audience:
        warnings.append(
            "The provider is named with placeholders; replace them with the real project "
            "number, pool and provider IDs before use, in the audience and in the command."
        )

    timeout_millis = _timeout_millis(namespace.timeout_millis)
    if namespace.no_allowed_audience:
        warnings.append(
            "The command names no --allowed-audience: whoever can edit a config that runs "
            "this helper can make it sign for any provider. Leave out --no-allowed-audience "
            "unless AWS_WIF_HELPER_ALLOWED_AUDIENCES is set where the workload runs."
        )
    else:
        helper_options = _with_allowed_audiences(helper_options, audience)
    options = _check_helper_options(helper_options, timeout_millis)
    if namespace.mode == "oidc":
        warnings.extend(_oidc_region_warnings(options))
    program, program_warnings = _program(namespace.helper_path)
    warnings.extend(program_warnings)
    try:
        command = join_for_every_client([*program, *helper_options])
    except UnsplittableArgument as error:
        raise ConfigError(
            f"The command cannot be written so that every Google client runs it the same "
            f"way: {error}. Install the helper at a path without spaces or quotes (for "
            "example /usr/local/bin/aws-wif-helper) and name it with --helper-path, and "
            "give helper options without spaces or quotes."
        ) from None

    service_account, lifetime = _impersonation(namespace, warnings)
    output_file = _output_file(namespace, audience, environ)

    settings = ConfigSettings(
        audience=audience,
        mode=namespace.mode,
        command=command,
        timeout_millis=timeout_millis,
        output_file=output_file,
        service_account=service_account,
        service_account_token_lifetime_seconds=lifetime,
        universe_domain=universe_domain,
    )
    if environ.get("GOOGLE_EXTERNAL_ACCOUNT_ALLOW_EXECUTABLES") != "1":
        warnings.append(
            "Google clients run the command only with GOOGLE_EXTERNAL_ACCOUNT_ALLOW_EXECUTABLES=1 "
            "in their environment; set it where the workload runs."
        )
    return build_config(settings), warnings


def helper_invocation() -> list[str]:
    """How to run this very helper: the frozen binary, the console script, or `python -m`."""
    if getattr(sys, "frozen", False):
        return [_frozen_binary_path()]

    script = sys.argv[0] if sys.argv else ""
    if os.path.basename(script) == "aws-wif-helper" and os.path.isfile(script):
        return [os.path.abspath(script)]
    return [os.path.abspath(sys.executable), "-m", "helper"]


def _frozen_binary_path() -> str:
    """The file the user runs, although the program runs from copies unpacked elsewhere.

    The launcher at the front of the file names it in AWS_WIF_HELPER_PROGRAM
    (build/launcher/launcher.c). A build without the launcher runs from
    staticx's bundle folder (STATICX_BUNDLE_DIR), started as STATICX_PROG_PATH,
    or, without staticx either, as sys.executable itself.
    """
    program = os.environ.get("AWS_WIF_HELPER_PROGRAM")
    if program and os.path.isabs(program):
        return program
    executable = os.path.abspath(sys.executable)
    bundle = os.environ.get("STATICX_BUNDLE_DIR")
    outer = os.environ.get("STATICX_PROG_PATH")
    if bundle and outer and executable.startswith(os.path.abspath(bundle) + os.sep):
        return os.path.abspath(outer)
    return executable


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        usage=f"{PROG} (--audience AUDIENCE | --project-number N --pool ID --provider ID)\n"
        "       [options] [-o FILE] [-- HELPER_OPTIONS ...]",
        description="Write a credential config (external_account) that runs this helper. "
        "Helper options after -- (for example --profile NAME --region REGION) are added "
        "to the command.",
    )
    provider = parser.add_argument_group("the workload identity pool provider")
    provider.add_argument("--audience", help="the provider's full name (//iam.googleapis.com/...)")
    provider.add_argument("--project-number", metavar="N", help="the provider's project number")
    provider.add_argument("--pool", metavar="ID", help="the workload identity pool ID")
    provider.add_argument("--provider", metavar="ID", help="the provider ID")
    provider.add_argument(
        "--location", default="global", metavar="LOCATION", help="the pool's location (global)"
    )
    provider.add_argument(
        "--universe-domain",
        metavar="DOMAIN",
        help=f"the Google universe ({DEFAULT_UNIVERSE_DOMAIN})",
    )

    token = parser.add_argument_group("the token")
    token.add_argument(
        "--mode",
        choices=sorted(MODES),
        default="aws",
        help="aws: AWS-signed GetCallerIdentity (default); oidc: an AWS-issued JWT",
    )
    token.add_argument("--service-account", metavar="EMAIL", help="impersonate this account")
    token.add_argument(
        "--service-account-token-lifetime-seconds",
        type=int,
        metavar="SECONDS",
        help=f"lifetime of the impersonated token ({MIN_SA_TOKEN_LIFETIME_SECONDS} to "
        f"{MAX_SA_TOKEN_LIFETIME_SECONDS}, Google's default {DEFAULT_SA_TOKEN_LIFETIME_SECONDS})",
    )

    run_group = parser.add_argument_group("how the client runs the helper")
    run_group.add_argument(
        "--output-file",
        metavar="PATH",
        help="the response cache (default: one per-user file per audience under "
        "$XDG_CACHE_HOME/aws-wif-helper/)",
    )
    run_group.add_argument(
        "--no-output-file", action="store_true", help="no cache: run the helper for every token"
    )
    run_group.add_argument(
        "--timeout-millis",
        type=int,
        default=DEFAULT_TIMEOUT_MILLIS,
        metavar="MS",
        help=f"how long the client waits for the helper ({MIN_TIMEOUT_MILLIS} to "
        f"{MAX_TIMEOUT_MILLIS}, default {DEFAULT_TIMEOUT_MILLIS})",
    )
    run_group.add_argument(
        "--no-allowed-audience",
        action="store_true",
        help="do not bind the command to this audience with --allowed-audience (by default "
        "it is, so that the helper signs for no other provider)",
    )
    run_group.add_argument(
        "--helper-path",
        metavar="PATH",
        help="the helper as the workload's host has it (default: this helper's own path)",
    )

    parser.add_argument(
        "-o", "--output", metavar="FILE", help="write here (0600) instead of stdout"
    )
    return parser


def _audience(namespace: argparse.Namespace) -> tuple[str, str]:
    parts = (namespace.project_number, namespace.pool, namespace.provider)
    if namespace.audience and any(parts):
        raise ConfigError(
            "Give the provider either as --audience or as --project-number, --pool and "
            "--provider, not both."
        )

    if namespace.audience:
        audience = namespace.audience
        universe = universe_of_audience(audience) or DEFAULT_UNIVERSE_DOMAIN
        if namespace.universe_domain and namespace.universe_domain != universe:
            raise ConfigError(
                f"--universe-domain {namespace.universe_domain} does not match the "
                f"audience, which is in {universe}; drop one of them."
            )
    elif all(parts):
        if not namespace.project_number.isdigit() and not _PLACEHOLDER.fullmatch(
            namespace.project_number
        ):
            raise ConfigError(
                "--project-number takes the project's number (digits, as shown by "
                "`gcloud projects describe PROJECT_ID --format='value(projectNumber)'`), "
                "not its ID."
            )
        universe = namespace.universe_domain or DEFAULT_UNIVERSE_DOMAIN
        audience = provider_audience(
            namespace.project_number,
            namespace.pool,
            namespace.provider,
            namespace.location,
            universe,
        )
    else:
        raise ConfigError(
            "Name the provider: --audience //iam.googleapis.com/projects/NUMBER/locations/"
            "global/workloadIdentityPools/POOL/providers/PROVIDER, or --project-number, "
            "--pool and --provider."
        )

    try:
        check_audience(_with_placeholders_filled(audience))
    except HelperError as error:
        raise ConfigError(error.message) from None
    return audience, universe


def _with_placeholders_filled(audience: str) -> str:
    """The audience with placeholder IDs (PROJECT_NUMBER, POOL_ID, ...) made valid.

    Placeholders are accepted so that documentation examples come from this
    command; `make_config` warns when any is left.
    """
    filled = _PLACEHOLDER_PROJECT.sub("projects/1", audience)
    return _PLACEHOLDER_SEGMENT.sub("placeholder", filled)


def _check_mode_is_built_in(audience: str, mode: str) -> None:
    """Ask the protocol code itself whether this build answers the mode's token type."""
    try:
        read_request(
            {
                AUDIENCE_VARIABLE: _with_placeholders_filled(audience),
                TOKEN_TYPE_VARIABLE: MODES[mode],
            }
        )
    except HelperError as error:
        raise ConfigError(f"--mode {mode} cannot work with this helper: {error.message}") from None


def _with_allowed_audiences(helper_options: Sequence[str], audience: str) -> list[str]:
    """The helper options, bound to this config's audience with --allowed-audience.

    The JWT audiences of OIDC mode (--jwt-audience) are allowed too, or the
    helper would refuse them. Options that already name allowed audiences, or
    that do not parse (reported next), are left as they are.
    """
    options = list(helper_options)
    if "--allowed-audience" in options:
        return options
    try:
        jwt_audiences = parse_helper_options(options).jwt_audiences
    except HelperError:
        return options

    for pattern in dict.fromkeys([audience, *jwt_audiences]):
        options += ["--allowed-audience", pattern]
    return options


def _timeout_millis(value: int) -> int:
    if not MIN_TIMEOUT_MILLIS <= value <= MAX_TIMEOUT_MILLIS:
        raise ConfigError(
            f"--timeout-millis {value} is outside {MIN_TIMEOUT_MILLIS} to {MAX_TIMEOUT_MILLIS}, "
            "the range every client accepts; the default is "
            f"{DEFAULT_TIMEOUT_MILLIS}."
        )
    return value


def _check_helper_options(helper_options: Sequence[str], timeout_millis: int) -> HelperOptions:
    try:
        options = parse_helper_options(helper_options)
    except HelperError as error:
        raise ConfigError(f"The helper options after -- are wrong: {error.message}") from None

    needed = options.timeout_seconds * 1000 + HELPER_START_ALLOWANCE_MILLIS
    if needed > timeout_millis:
        raise ConfigError(
            f"The helper's --timeout {options.timeout_seconds:g} s leaves the client's "
            f"--timeout-millis {timeout_millis} less than {HELPER_START_ALLOWANCE_MILLIS} ms "
            "to start the helper, so the client would kill it before it answers; raise "
            f"--timeout-millis to at least {int(needed)} or lower --timeout."
        )
    return options


def _oidc_region_warnings(options: HelperOptions) -> list[str]:
    """OIDC tokens come from a regional STS endpoint only; say so when none is named."""
    try:
        oidc_region(options.region, options.sts_endpoint)
    except HelperError as error:
        if options.sts_endpoint == "global":
            raise ConfigError(error.message) from None
        return [
            "OIDC mode needs an AWS region and the command names none; add -- --region "
            "REGION unless AWS_REGION, AWS_DEFAULT_REGION or the profile's region is set "
            "where the workload runs."
        ]
    return []


def _program(helper_path: str | None) -> tuple[list[str], list[str]]:
    if helper_path is None:
        program = helper_invocation()
        if len(program) > 1:
            return program, [
                f"The command runs the helper with this Python ({program[0]} -m helper), "
                "which needs this environment on the workload's host; install the "
                "single-file aws-wif-helper binary and give --helper-path for production."
            ]
        return program, []

    warnings = []
    if not os.path.isabs(helper_path):
        warnings.append(
            f"--helper-path {helper_path} is not absolute: each client looks it up on its "
            "own PATH (or from its working directory); an absolute path is safer."
        )
    elif not os.path.isfile(helper_path) or not os.access(helper_path, os.X_OK):
        warnings.append(
            f"--helper-path {helper_path} is not an executable file on this host; install "
            "the helper there before the workload runs."
        )
    return [helper_path], warnings


def _impersonation(
    namespace: argparse.Namespace, warnings: list[str]
) -> tuple[str | None, int | None]:
    email = namespace.service_account
    lifetime = namespace.service_account_token_lifetime_seconds
    if email is None:
        if lifetime is not None:
            raise ConfigError(
                "--service-account-token-lifetime-seconds needs --service-account EMAIL."
            )
        return None, None

    if email.count("@") != 1 or not set(email.lower()) <= _EMAIL_CHARACTERS:
        raise ConfigError(
            f"--service-account {email!r} is not a service account email; it looks like "
            "NAME@PROJECT_ID.iam.gserviceaccount.com."
        )
    if not email.endswith(".gserviceaccount.com"):
        warnings.append(f"{email} does not end in .gserviceaccount.com; is it a service account?")

    if lifetime is not None:
        if not MIN_SA_TOKEN_LIFETIME_SECONDS <= lifetime <= MAX_SA_TOKEN_LIFETIME_SECONDS:
            raise ConfigError(
                f"--service-account-token-lifetime-seconds {lifetime} is outside "
                f"{MIN_SA_TOKEN_LIFETIME_SECONDS} to {MAX_SA_TOKEN_LIFETIME_SECONDS}, what "
                "generateAccessToken grants."
            )
        if lifetime > DEFAULT_SA_TOKEN_LIFETIME_SECONDS:
            warnings.append(
                f"A lifetime above {DEFAULT_SA_TOKEN_LIFETIME_SECONDS} s is granted only when "
                "the organization policy constraints/iam.allowServiceAccountCredential"
                "LifetimeExtension lists the service account."
            )
    return email, lifetime


def _output_file(
    namespace: argparse.Namespace, audience: str, environ: Mapping[str, str]
) -> str | None:
    if namespace.no_output_file:
        if namespace.output_file:
            raise ConfigError("--output-file and --no-output-file contradict each other.")
        return None
    if namespace.output_file:
        return os.path.abspath(os.path.expanduser(str(namespace.output_file)))
    return default_output_file(audience, namespace.mode, environ)
