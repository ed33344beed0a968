"""The AWS side: what botocore's chain resolves to, the region, the STS endpoint, the expiry.

The checks run the helper's own code (`helper.credentials`, `helper.endpoint`)
with the options of the config's command, under the same deadline, so a source
that is too slow for the helper fails here too. They see the environment of
the shell doctor runs in, which may differ from the workload's.

With `online`, the credentials call STS GetCallerIdentity for real, through
botocore, at the endpoint the token names (or AWS_ENDPOINT_URL_STS).
"""

from __future__ import annotations

import datetime
import os
import shlex
import time
from collections.abc import Mapping
from typing import Any

import botocore.session

from helper.assume_role import assume_role
from helper.aws_errors import translate
from helper.aws_session import open_session
from helper.checks.report import Report
from helper.credentials import AwsCredentials, resolve_credentials, resolve_region
from helper.deadline import Deadline, run_before_deadline
from helper.endpoint import StsEndpoint, choose_sts_endpoint
from helper.errors import HelperError
from helper.expiry import MIN_TOKEN_LIFETIME_SECONDS, SAFETY_MARGIN_SECONDS
from helper.oidc_token import oidc_region
from helper.options import HelperOptions
from helper.redact import shorten

__all__ = ["check_aws", "describe_source"]

# GetCallerIdentity is one request; this bounds it when the helper's deadline is short.
_ONLINE_DEADLINE_SECONDS = 15.0
_ENDPOINT_OVERRIDES = ("AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL")


def check_aws(
    report: Report,
    options: HelperOptions,
    environ: Mapping[str, str],
    online: bool,
    mode: str = "aws",
) -> AwsCredentials | None:
    """Add the aws.* checks for `mode` (aws or oidc); return the credentials found, if any."""
    deadline = Deadline(options.timeout_seconds)
    try:
        session = open_session(options, deadline)
        region = resolve_region(session, options, environ)
    except Exception as error:
        failure = translate(error, "reading the AWS configuration")
        report.fail("aws.source", "The AWS configuration cannot be read.", failure.message)
        return None

    endpoint = _check_endpoint(report, region, options, environ, mode)
    credentials = _check_source(report, session, options, region, deadline, environ)
    if credentials is None:
        return None

    _check_expiry(report, credentials)
    if online:
        _check_caller(report, options, credentials, region, endpoint, environ)
    else:
        report.skip("aws.caller", "Not asked; add --online to call STS GetCallerIdentity.")
    return credentials


def describe_source(
    credentials: AwsCredentials, session: botocore.session.Session, environ: Mapping[str, str]
) -> str:
    """Where the chain found `credentials`, as a person would name it."""
    profile_name = session.profile or environ.get("AWS_PROFILE") or "default"
    profile = _profile(session, profile_name)
    key = shorten(credentials.access_key)
    method = credentials.source

    if method == "env":
        return f"env: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (key {key})"
    if method == "shared-credentials-file":
        path = environ.get("AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials")
        return f"profile {profile_name}: keys in {path} (key {key})"
    if method == "config-file":
        path = environ.get("AWS_CONFIG_FILE", "~/.aws/config")
        return f"profile {profile_name}: keys in {path} (key {key})"
    if method == "assume-role":
        origin = profile.get("source_profile") or profile.get("credential_source") or "?"
        return (
            f"assume-role {profile.get('role_arn', '?')} (profile {profile_name}, from "
            f"{origin}; session key {key})"
        )
    if method == "assume-role-with-web-identity":
        role = environ.get("AWS_ROLE_ARN") or profile.get("role_arn", "?")
        token_file = environ.get("AWS_WEB_IDENTITY_TOKEN_FILE") or profile.get(
            "web_identity_token_file", "?"
        )
        return f"web identity: {role} with the token in {token_file} (session key {key})"
    if method == "sso":
        return (
            f"SSO: profile {profile_name}, account {profile.get('sso_account_id', '?')}, "
            f"role {profile.get('sso_role_name', '?')} (session key {key})"
        )
    if method == "custom-process":
        program = _program_of(str(profile.get("credential_process", "")))
        return f"process: credential_process {program} of profile {profile_name} (key {key})"
    if method == "container-role":
        where = environ.get("AWS_CONTAINER_CREDENTIALS_FULL_URI") or (
            "http://169.254.170.2" + environ.get("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "")
        )
        return f"container: the credentials endpoint {where} (session key {key})"
    if method == "iam-role":
        return f"instance metadata: the instance profile's role (session key {key})"
    return f"{credentials.source_name} (key {key})"


def _check_endpoint(
    report: Report,
    region: str | None,
    options: HelperOptions,
    environ: Mapping[str, str],
    mode: str,
) -> StsEndpoint | None:
    try:
        endpoint = choose_sts_endpoint(region, options.sts_endpoint)
    except HelperError as error:
        report.fail("aws.endpoint", "No STS endpoint can be chosen.", error.message)
        return None

    if mode == "oidc":
        try:
            oidc_region(region, options.sts_endpoint)
        except HelperError as error:
            report.fail("aws.endpoint", "No STS endpoint can issue the OIDC token.", error.message)
            return endpoint

    origin = _region_origin(options, environ, region)
    override = next((name for name in _ENDPOINT_OVERRIDES if environ.get(name)), None)
    note = f"; doctor --online sends to {environ[override]} ({override})" if override else ""
    report.ok(
        "aws.endpoint",
        f"Region {region or '(none)'}{origin}; the token names {endpoint.url}, signed for "
        f"{endpoint.signing_region}{note}.",
    )
    return endpoint


def _region_origin(options: HelperOptions, environ: Mapping[str, str], region: str | None) -> str:
    if region is None:
        return ", so the global endpoint"
    if options.region:
        return " from --region"
    if environ.get("AWS_REGION"):
        return " from AWS_REGION"
    if environ.get("AWS_DEFAULT_REGION"):
        return " from AWS_DEFAULT_REGION"
    return " from the profile"


def _check_source(
    report: Report,
    session: botocore.session.Session,
    options: HelperOptions,
    region: str | None,
    deadline: Deadline,
    environ: Mapping[str, str],
) -> AwsCredentials | None:
    """Resolve credentials as the helper does: the chain, then the --role-arn hop if asked."""
    found: list[AwsCredentials] = []

    def resolve() -> AwsCredentials:
        found.append(resolve_credentials(session, deadline))
        if options.role_arn:
            found.append(assume_role(session, found[0], options, region, deadline))
        return found[-1]

    started = time.monotonic()
    try:
        credentials = run_before_deadline(resolve, deadline)
    except Exception as error:
        failure = translate(error, deadline.step)
        origin = f" ({describe_source(found[0], session, environ)})" if found else ""
        report.fail(
            "aws.source",
            f"No usable AWS credentials ({failure.code.value}){origin}.",
            failure.message,
        )
        return None

    took = time.monotonic() - started
    description = describe_source(found[0], session, environ)
    if options.role_arn:
        description += (
            f", then assume-role {options.role_arn} (--role-arn; session key "
            f"{shorten(credentials.access_key)})"
        )
    report.ok(
        "aws.source",
        f"{description}; found in {took:.2f} s of the helper's {deadline.total_seconds:g} s.",
    )
    return credentials


def _check_expiry(report: Report, credentials: AwsCredentials) -> None:
    if credentials.expiry is None:
        report.ok(
            "aws.expiry",
            "Long-term keys: no expiry; each token lives 15 minutes from its signature.",
        )
        return

    now = datetime.datetime.now(datetime.timezone.utc)
    left = (credentials.expiry - now).total_seconds()
    moment = credentials.expiry.astimezone(datetime.timezone.utc).isoformat(timespec="seconds")
    if left <= 0:
        report.fail(
            "aws.expiry",
            f"The credentials expired at {moment}.",
            "Renew them at their source (aws sso login, a fresh role session, ...).",
        )
    elif left < SAFETY_MARGIN_SECONDS + MIN_TOKEN_LIFETIME_SECONDS:
        report.warn(
            "aws.expiry",
            f"The credentials expire at {moment}, in {left:.0f} s: too soon for a token.",
            "The helper asks the source again; if this persists, lengthen the session.",
        )
    else:
        report.ok("aws.expiry", f"The credentials expire at {moment} (in {left / 60:.0f} min).")


def _check_caller(
    report: Report,
    options: HelperOptions,
    credentials: AwsCredentials,
    region: str | None,
    endpoint: StsEndpoint | None,
    environ: Mapping[str, str],
) -> None:
    deadline = Deadline(max(options.timeout_seconds, _ONLINE_DEADLINE_SECONDS))
    overridden = any(environ.get(name) for name in _ENDPOINT_OVERRIDES)
    endpoint_url = None if overridden or endpoint is None else endpoint.url
    signing_region = endpoint.signing_region if endpoint else (region or "us-east-1")

    def call() -> dict[str, Any]:
        deadline.begin("calling STS GetCallerIdentity")
        client = open_session(options, deadline).create_client(
            "sts",
            region_name=signing_region,
            endpoint_url=endpoint_url,
            aws_access_key_id=credentials.access_key,
            aws_secret_access_key=credentials.secret_key,
            aws_session_token=credentials.token,
        )
        answer: dict[str, Any] = client.get_caller_identity()
        return answer

    try:
        identity = run_before_deadline(call, deadline)
    except Exception as error:
        failure = translate(error, deadline.step)
        report.fail(
            "aws.caller", f"GetCallerIdentity failed ({failure.code.value}).", failure.message
        )
        return

    report.ok(
        "aws.caller",
        f"STS says the caller is {identity.get('Arn')} (account {identity.get('Account')}).",
    )


def _profile(session: botocore.session.Session, name: str) -> dict[str, Any]:
    try:
        profiles = session.full_config.get("profiles", {})
    except Exception:
        return {}
    found = profiles.get(name, {})
    return found if isinstance(found, dict) else {}


def _program_of(command: str) -> str:
    try:
        words = shlex.split(command)
    except ValueError:
        words = command.split()
    return os.path.basename(words[0]) if words else "?"
