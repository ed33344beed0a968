"""The credential config, field by field, as Google's clients read it.

The facts behind the checks (see PROTOCOL.md): every client runs an executable
source whatever its subject_token_type, except Python's default loader (and so
gcloud), which takes the AWS type for its built-in AWS source; Go accepts
token and impersonation URLs only over https on googleapis.com, Python and Node
any URL; timeout_millis must lie in 5 000 to 120 000.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import json
import re
import urllib.parse
from typing import Any

from helper.audience import check_audience
from helper.checks.report import Report
from helper.credential_config import (
    CONFIG_TYPE,
    DEFAULT_SA_TOKEN_LIFETIME_SECONDS,
    DEFAULT_TIMEOUT_MILLIS,
    DEFAULT_UNIVERSE_DOMAIN,
    MAX_SA_TOKEN_LIFETIME_SECONDS,
    MAX_TIMEOUT_MILLIS,
    MIN_SA_TOKEN_LIFETIME_SECONDS,
    MIN_TIMEOUT_MILLIS,
    MODES,
    OIDC_TOKEN_TYPES,
    mode_of_token_type,
    universe_of_audience,
)
from helper.errors import HelperError
from helper.request import AUDIENCE_VARIABLE, AWS_TOKEN_TYPE, TOKEN_TYPE_VARIABLE, read_request

__all__ = ["LoadedConfig", "check_config", "load_config"]

_IMPERSONATION_PATH = re.compile(
    r"/v1/projects/-/serviceAccounts/(?P<email>[^/:]+@[^/:]+):generateAccessToken"
)
_OTHER_SOURCES = ("environment_id", "file", "url", "certificate")
_LOOPBACK_NAMES = ("localhost",)


@dataclasses.dataclass(frozen=True)
class LoadedConfig:
    """A parsed credential config and the fields doctor reads from it."""

    path: str
    document: dict[str, Any]

    def _executable(self) -> dict[str, Any]:
        source = self.document.get("credential_source")
        executable = source.get("executable") if isinstance(source, dict) else None
        return executable if isinstance(executable, dict) else {}

    @property
    def audience(self) -> str:
        return str(self.document.get("audience", ""))

    @property
    def subject_token_type(self) -> str:
        return str(self.document.get("subject_token_type", ""))

    @property
    def command(self) -> str | None:
        command = self._executable().get("command")
        return command if isinstance(command, str) and command.strip() else None

    @property
    def timeout_millis(self) -> int:
        value = self._executable().get("timeout_millis", DEFAULT_TIMEOUT_MILLIS)
        return value if isinstance(value, int) and not isinstance(value, bool) else 0

    @property
    def output_file(self) -> str | None:
        value = self._executable().get("output_file")
        return value if isinstance(value, str) and value else None

    @property
    def token_url(self) -> str | None:
        value = self.document.get("token_url")
        return value if isinstance(value, str) and value else None

    @property
    def impersonation_url(self) -> str | None:
        value = self.document.get("service_account_impersonation_url")
        return value if isinstance(value, str) and value else None

    @property
    def impersonated_email(self) -> str | None:
        url = self.impersonation_url
        if url is None:
            return None
        match = _IMPERSONATION_PATH.search(urllib.parse.urlsplit(url).path)
        return urllib.parse.unquote(match["email"]) if match else None

    @property
    def token_lifetime_seconds(self) -> int:
        settings = self.document.get("service_account_impersonation")
        value = settings.get("token_lifetime_seconds") if isinstance(settings, dict) else None
        return value if isinstance(value, int) else DEFAULT_SA_TOKEN_LIFETIME_SECONDS


def load_config(report: Report, path: str) -> LoadedConfig | None:
    """Read and parse the config file (config.file)."""
    try:
        with open(path, encoding="utf-8") as stream:
            document = json.load(stream)
    except FileNotFoundError:
        report.fail(
            "config.file",
            f"{path} does not exist.",
            "Create it with `aws-wif-helper create-config -o FILE` or fix the path.",
        )
        return None
    except OSError as error:
        report.fail(
            "config.file",
            f"{path} cannot be read ({error.strerror}).",
            "Make it readable by the user the workload runs as.",
        )
        return None
    except ValueError as error:
        report.fail(
            "config.file",
            f"{path} is not valid JSON ({error}).",
            "Write it again with `aws-wif-helper create-config`.",
        )
        return None

    if not isinstance(document, dict):
        report.fail(
            "config.file",
            f"{path} holds JSON but not an object.",
            "Write it again with `aws-wif-helper create-config`.",
        )
        return None

    report.ok("config.file", f"{path} is a JSON object.")
    return LoadedConfig(path, document)


def check_config(report: Report, config: LoadedConfig, command_mode: str | None) -> None:
    """Add the config.* checks, `command_mode` being the mode the command asks for, if any."""
    _check_type(report, config)
    _check_audience(report, config)
    _check_token_type(report, config, command_mode)
    _check_credential_source(report, config)
    _check_token_url(report, config)
    _check_impersonation(report, config)
    _check_timeout(report, config)


def _check_type(report: Report, config: LoadedConfig) -> None:
    kind = config.document.get("type")
    if kind == CONFIG_TYPE:
        report.ok("config.type", f"type is {CONFIG_TYPE}.")
    else:
        report.fail(
            "config.type",
            f"type is {kind!r}, so clients do not treat this as a federated credential.",
            f'Set "type": "{CONFIG_TYPE}".',
        )


def _check_audience(report: Report, config: LoadedConfig) -> None:
    try:
        check_audience(config.audience)
    except HelperError as error:
        report.fail("config.audience", f"audience {config.audience!r} is wrong.", error.message)
        return
    report.ok("config.audience", f"audience names the provider {config.audience}.")


def _check_token_type(report: Report, config: LoadedConfig, command_mode: str | None) -> None:
    token_type = config.subject_token_type
    mode = mode_of_token_type(token_type)
    if mode is None:
        report.fail(
            "config.token_type",
            f"subject_token_type {token_type!r} is not one this helper answers.",
            f"Use {MODES['aws']} (--mode aws) or {MODES['oidc']} (--mode oidc).",
        )
        return

    if command_mode is not None and command_mode != mode:
        report.fail(
            "config.token_type",
            f"subject_token_type is the {mode} type, but the command asks for --mode "
            f"{command_mode}.",
            "Make them agree: create the config again with the --mode you want.",
        )
        return

    built_in = _built_in_refusal(config, token_type)
    if built_in:
        report.fail(
            "config.token_type",
            f"subject_token_type is the {mode} type, which this helper build cannot make.",
            built_in,
        )
        return

    if token_type == AWS_TOKEN_TYPE:
        report.warn(
            "config.token_type",
            "subject_token_type is the AWS type: Node, Go and Java clients run the helper, "
            "but gcloud, bq and Python's google.auth.default() refuse the config (they use "
            "their built-in AWS source for this type).",
            "For Python clients and gcloud, create the config with --mode oidc; Python code "
            "can also use google.auth.pluggable.Credentials.from_file.",
        )
    elif token_type in OIDC_TOKEN_TYPES:
        report.ok(
            "config.token_type",
            f"subject_token_type is {token_type}: every client loads it, gcloud and Python's "
            "google.auth.default() included.",
        )


def _built_in_refusal(config: LoadedConfig, token_type: str) -> str | None:
    """The helper's own message if it would refuse this token type, else None."""
    audience = config.audience
    try:
        check_audience(audience)
    except HelperError:
        audience = (
            "//iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/p/providers/p"
        )
    try:
        read_request({AUDIENCE_VARIABLE: audience, TOKEN_TYPE_VARIABLE: token_type})
    except HelperError as error:
        return error.message
    return None


def _check_credential_source(report: Report, config: LoadedConfig) -> None:
    source = config.document.get("credential_source")
    if not isinstance(source, dict):
        report.fail(
            "config.credential_source",
            "credential_source is missing.",
            "Write the config with `aws-wif-helper create-config`.",
        )
        return

    others = [name for name in _OTHER_SOURCES if name in source]
    if others:
        builtin = "environment_id" in others and str(source["environment_id"]).startswith("aws")
        detail = (
            "credential_source has environment_id "
            f"{source['environment_id']!r}: clients use their built-in AWS source and never "
            "run the helper."
            if builtin
            else f"credential_source also has {', '.join(others)}, which the clients may "
            "prefer to the executable."
        )
        report.fail(
            "config.credential_source",
            detail,
            f"Keep only credential_source.executable; remove {', '.join(others)}.",
        )
        return

    if not isinstance(source.get("executable"), dict) or config.command is None:
        report.fail(
            "config.credential_source",
            "credential_source.executable.command is missing or empty.",
            "Write the config with `aws-wif-helper create-config`.",
        )
        return
    report.ok("config.credential_source", "credential_source is an executable with a command.")


def _check_token_url(report: Report, config: LoadedConfig) -> None:
    universe = universe_of_audience(config.audience) or DEFAULT_UNIVERSE_DOMAIN
    expected = f"https://sts.{universe}/v1/token"
    url = config.token_url
    if url is None:
        report.fail("config.token_url", "token_url is missing.", f'Set "token_url": "{expected}".')
        return
    _check_google_url(report, "config.token_url", url, expected)


def _check_impersonation(report: Report, config: LoadedConfig) -> None:
    url = config.impersonation_url
    settings = config.document.get("service_account_impersonation")
    if url is None:
        if settings is not None:
            report.warn(
                "config.impersonation",
                "service_account_impersonation is set without service_account_impersonation_url, "
                "so it does nothing.",
                "Add the URL (create-config --service-account EMAIL) or remove the setting.",
            )
        else:
            report.ok(
                "config.impersonation",
                "No impersonation: the federated token is used as it is.",
            )
        return

    if config.impersonated_email is None:
        report.fail(
            "config.impersonation",
            f"service_account_impersonation_url {url!r} does not name a service account.",
            "It must end in /v1/projects/-/serviceAccounts/EMAIL:generateAccessToken; "
            "create the config again with --service-account EMAIL.",
        )
        return

    universe = universe_of_audience(config.audience) or DEFAULT_UNIVERSE_DOMAIN
    expected = (
        f"https://iamcredentials.{universe}/v1/projects/-/serviceAccounts/"
        f"{config.impersonated_email}:generateAccessToken"
    )
    if not _check_google_url(report, "config.impersonation", url, expected):
        return
    _check_lifetime(report, settings)


def _check_lifetime(report: Report, settings: object) -> None:
    if settings is None:
        return
    lifetime = settings.get("token_lifetime_seconds") if isinstance(settings, dict) else None
    if (
        not isinstance(lifetime, int)
        or isinstance(lifetime, bool)
        or not MIN_SA_TOKEN_LIFETIME_SECONDS <= lifetime <= MAX_SA_TOKEN_LIFETIME_SECONDS
    ):
        report.fail(
            "config.impersonation_lifetime",
            f"service_account_impersonation.token_lifetime_seconds is {lifetime!r}.",
            f"Use a whole number of seconds from {MIN_SA_TOKEN_LIFETIME_SECONDS} to "
            f"{MAX_SA_TOKEN_LIFETIME_SECONDS} (default {DEFAULT_SA_TOKEN_LIFETIME_SECONDS}).",
        )
    elif lifetime > DEFAULT_SA_TOKEN_LIFETIME_SECONDS:
        report.warn(
            "config.impersonation_lifetime",
            f"Impersonated tokens are asked for {lifetime} s.",
            "Above 3600 s Google grants them only if the organization policy "
            "constraints/iam.allowServiceAccountCredentialLifetimeExtension lists the account.",
        )
    else:
        report.ok("config.impersonation_lifetime", f"Impersonated tokens live {lifetime} s.")


def _check_timeout(report: Report, config: LoadedConfig) -> None:
    source = config.document.get("credential_source")
    executable = source.get("executable") if isinstance(source, dict) else None
    if not isinstance(executable, dict) or "timeout_millis" not in executable:
        report.ok(
            "config.timeout",
            f"timeout_millis is not set: clients wait {DEFAULT_TIMEOUT_MILLIS} ms.",
        )
        return

    value = executable["timeout_millis"]
    if (
        not isinstance(value, int)
        or isinstance(value, bool)
        or not MIN_TIMEOUT_MILLIS <= value <= MAX_TIMEOUT_MILLIS
    ):
        report.fail(
            "config.timeout",
            f"timeout_millis is {value!r}; clients refuse a value outside "
            f"{MIN_TIMEOUT_MILLIS} to {MAX_TIMEOUT_MILLIS}.",
            f"Set timeout_millis to a whole number in that range ({DEFAULT_TIMEOUT_MILLIS} is "
            "the default).",
        )
        return
    report.ok("config.timeout", f"timeout_millis is {value}.")


def _check_google_url(report: Report, name: str, url: str, expected: str) -> bool:
    """Check a Google endpoint URL against the usual one; False if it cannot work."""
    field = "token_url" if name == "config.token_url" else "service_account_impersonation_url"
    parts = urllib.parse.urlsplit(url)
    wanted = urllib.parse.urlsplit(expected)

    if parts.scheme not in ("http", "https") or not parts.hostname:
        report.fail(name, f"{field} {url!r} is not an http(s) URL.", f"Set it to {expected}.")
        return False

    if parts.path != wanted.path:
        report.fail(
            name,
            f"{field} has the path {parts.path!r}, where Google serves {wanted.path!r}.",
            f"Set it to {expected}.",
        )
        return False

    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        report.fail(
            name,
            f"{field} {url} is plain http: tokens would cross the network unencrypted.",
            f"Set it to {expected}.",
        )
        return False

    if url == expected:
        report.ok(name, f"{field} is {url}.")
    elif _is_loopback(parts.hostname):
        report.warn(
            name,
            f"{field} {url} is a loopback service: Python and Node clients use it, Go's "
            "refuses anything but https on googleapis.com.",
            f"Fine for tests; in production set it to {expected}.",
        )
    else:
        report.warn(
            name,
            f"{field} {url} is not {expected}: Go clients refuse hosts outside "
            "googleapis.com, Python and Node use it.",
            f"Unless this is a private endpoint you mean to use, set it to {expected}.",
        )
    return True


def _is_loopback(host: str) -> bool:
    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
