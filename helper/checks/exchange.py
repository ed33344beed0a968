"""`doctor --exchange`: one real round trip, as a client makes it.

1. exchange.helper: run the command with the variables a client sets, under
   timeout_millis, stdin closed, and read its stdout as a client does
   (stderr output is a failure: Python and Node mix it into the response).
2. exchange.sts: send the subject token to the config's token_url.
3. exchange.impersonation: with a service account, call its
   generateAccessToken URL with the federated token.

The services' answers are shown as they came (an attribute condition's refusal,
for example), with tokens shortened; no access token is printed.
"""

from __future__ import annotations

import datetime
import json
import subprocess
import time
from collections.abc import Mapping
from typing import Any

from helper.checks.command_side import client_environment_without_protocol
from helper.checks.config_side import LoadedConfig
from helper.checks.report import Report
from helper.credential_config import DEFAULT_TIMEOUT_MILLIS, GOOGLE_SCOPE
from helper.google_sts import exchange_token, generate_access_token
from helper.redact import scrub
from helper.request import (
    AUDIENCE_VARIABLE,
    IMPERSONATED_EMAIL_VARIABLE,
    INTERACTIVE_VARIABLE,
    OUTPUT_FILE_VARIABLE,
    TOKEN_TYPE_VARIABLE,
)

__all__ = ["check_exchange"]

_HTTP_TIMEOUT_SECONDS = 30.0
_SHOWN_OUTPUT_CHARACTERS = 500
_CLIENT_TOKEN_TYPES = (
    "urn:ietf:params:oauth:token-type:jwt",
    "urn:ietf:params:oauth:token-type:id_token",
    "urn:ietf:params:oauth:token-type:saml2",
)
# What to do about Google STS's OAuth error codes.
_STS_FIXES = {
    "unauthorized_client": (
        "The provider's attribute condition refused this identity: compare the condition "
        "with the caller's ARN (doctor --online) and the provider's attribute mapping."
    ),
    "invalid_grant": (
        "Google refused the subject token: check that the audience names this provider, "
        "that the provider trusts this AWS account (or OIDC issuer), and the host's clock."
    ),
    "invalid_request": "Check the config's audience and subject_token_type.",
    "invalid_target": "Check that the pool and provider exist and are enabled.",
}
_DEFAULT_STS_FIX = "Read Google's answer above; the provider's settings decide it."
_IMPERSONATION_FIX = (
    "Grant the federated identity roles/iam.workloadIdentityUser on the service account "
    "(principal://... or principalSet://... of this pool), and check the account exists."
)


def check_exchange(
    report: Report, config: LoadedConfig, argv: list[str], environ: Mapping[str, str]
) -> None:
    """Add the exchange.* checks: run the helper, then call Google as the client would."""
    subject_token = _run_helper(report, config, argv, environ)
    if subject_token is None:
        report.skip("exchange.sts", "Not tried: the helper gave no subject token.")
        return

    access_token = _exchange(report, config, subject_token)
    if config.impersonation_url is None:
        return
    if access_token is None:
        report.skip("exchange.impersonation", "Not tried: there is no federated token.")
        return
    _impersonate(report, config, access_token)


def _run_helper(
    report: Report, config: LoadedConfig, argv: list[str], environ: Mapping[str, str]
) -> str | None:
    timeout_millis = config.timeout_millis or DEFAULT_TIMEOUT_MILLIS
    child_environment = client_environment_without_protocol(environ)
    child_environment.update(
        {
            AUDIENCE_VARIABLE: config.audience,
            TOKEN_TYPE_VARIABLE: config.subject_token_type,
            INTERACTIVE_VARIABLE: "0",
        }
    )
    if config.output_file:
        child_environment[OUTPUT_FILE_VARIABLE] = config.output_file
    if config.impersonated_email:
        child_environment[IMPERSONATED_EMAIL_VARIABLE] = config.impersonated_email

    started = time.monotonic()
    try:
        finished = subprocess.run(
            argv,
            env=child_environment,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=timeout_millis / 1000,
            check=False,
        )
    except subprocess.TimeoutExpired:
        report.fail(
            "exchange.helper",
            f"The helper did not answer within timeout_millis ({timeout_millis} ms); the "
            "client would kill it.",
            "Lower the helper's --timeout below timeout_millis so it answers with the slow "
            "step's name, and look at that step (--log-file shows each one).",
        )
        return None
    except OSError as error:
        report.fail(
            "exchange.helper",
            f"The command cannot be started ({error.strerror}).",
            "See the command.* checks.",
        )
        return None

    took = time.monotonic() - started
    stdout = finished.stdout.decode("utf-8", "replace")
    stderr = finished.stderr.decode("utf-8", "replace")
    shown = scrub(stdout.strip())[:_SHOWN_OUTPUT_CHARACTERS] or "(nothing)"
    if stderr.strip():
        report.fail(
            "exchange.helper",
            f"The helper wrote to stderr, which Python and Node clients mix into the "
            f"response: {scrub(stderr.strip())[:_SHOWN_OUTPUT_CHARACTERS]}",
            "Make sure the command runs aws-wif-helper itself, not a wrapper that prints.",
        )
        return None
    if finished.returncode != 0:
        report.fail(
            "exchange.helper",
            f"The helper exited {finished.returncode}; clients then show only that, not its "
            f"answer: {shown}",
            "Make sure the command runs aws-wif-helper itself.",
        )
        return None

    return _read_response(report, stdout, shown, took, config)


def _read_response(
    report: Report, stdout: str, shown: str, took: float, config: LoadedConfig
) -> str | None:
    try:
        response: Any = json.loads(stdout)
    except ValueError:
        report.fail(
            "exchange.helper",
            f"The helper's stdout is not one JSON document: {shown}",
            "Make sure the command runs aws-wif-helper itself.",
        )
        return None

    if not isinstance(response, dict) or response.get("version") != 1:
        report.fail(
            "exchange.helper",
            f"The helper's answer is not a version 1 response: {shown}",
            "Make sure the command runs aws-wif-helper itself.",
        )
        return None

    if response.get("success") is not True:
        report.fail(
            "exchange.helper",
            f"The helper answered {response.get('code')}: {response.get('message')}",
            "Follow the helper's message; --log-file PATH in the command records each step.",
        )
        return None

    token_type = response.get("token_type")
    token = response.get("saml_response" if token_type == _CLIENT_TOKEN_TYPES[2] else "id_token")
    expires = response.get("expiration_time")
    if token_type not in _CLIENT_TOKEN_TYPES or not isinstance(token, str) or not token:
        report.fail(
            "exchange.helper",
            f"The helper's answer has token_type {token_type!r} and no token clients accept.",
            "Use a helper release that matches this config.",
        )
        return None
    if config.output_file and not isinstance(expires, int):
        report.fail(
            "exchange.helper",
            "The helper's answer has no expiration_time, which clients require with an "
            "output_file.",
            "Use a helper release that matches this config.",
        )
        return None

    expiry = ""
    if isinstance(expires, int):
        moment = datetime.datetime.fromtimestamp(expires, datetime.timezone.utc)
        expiry = (
            f", valid until {moment.isoformat(timespec='seconds')} ({expires - time.time():.0f} s)"
        )
    report.ok(
        "exchange.helper", f"The helper answered in {took:.2f} s with a subject token{expiry}."
    )
    return token


def _exchange(report: Report, config: LoadedConfig, subject_token: str) -> str | None:
    token_url = config.token_url
    if token_url is None:
        report.skip("exchange.sts", "Not tried: the config has no token_url.")
        return None

    try:
        answer = exchange_token(
            token_url,
            audience=config.audience,
            subject_token=subject_token,
            subject_token_type=config.subject_token_type,
            scope=GOOGLE_SCOPE,
            timeout_seconds=_HTTP_TIMEOUT_SECONDS,
        )
    except OSError as error:
        report.fail(
            "exchange.sts",
            f"{token_url} cannot be reached ({_reason(error)}).",
            "Check the host's network path and proxy settings to Google's STS.",
        )
        return None

    if not answer.succeeded:
        report.fail(
            "exchange.sts",
            f"Google STS answered HTTP {answer.status}: {answer.shown_body}",
            _STS_FIXES.get(str(answer.fields.get("error")), _DEFAULT_STS_FIX),
        )
        return None

    report.ok(
        "exchange.sts",
        f"Google STS issued a federated access token ({answer.fields.get('token_type', '?')}, "
        f"expires in {answer.fields.get('expires_in', '?')} s).",
    )
    return answer.access_token


def _impersonate(report: Report, config: LoadedConfig, access_token: str) -> None:
    url = config.impersonation_url or ""
    try:
        answer = generate_access_token(
            url,
            access_token=access_token,
            scope=GOOGLE_SCOPE,
            lifetime_seconds=config.token_lifetime_seconds,
            timeout_seconds=_HTTP_TIMEOUT_SECONDS,
        )
    except OSError as error:
        report.fail(
            "exchange.impersonation",
            f"{url} cannot be reached ({_reason(error)}).",
            "Check the host's network path and proxy settings to IAM credentials.",
        )
        return

    if not answer.succeeded:
        report.fail(
            "exchange.impersonation",
            f"generateAccessToken answered HTTP {answer.status}: {answer.shown_body}",
            _IMPERSONATION_FIX,
        )
        return
    report.ok(
        "exchange.impersonation",
        f"{config.impersonated_email} granted a token until "
        f"{answer.fields.get('expireTime', '?')}.",
    )


def _reason(error: OSError) -> str:
    reason = getattr(error, "reason", None)
    return str(reason or error.strerror or error)
