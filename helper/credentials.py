"""AWS credentials from botocore's full chain, bounded by the run's deadline.

botocore's own resolver is used as it is (environment, assume-role profiles,
web identity, SSO, `credential_process`, shared files, container and instance
metadata), with three changes that a credential helper needs:

* each provider runs as a named step of the `Deadline`, so a slow source is
  named when time runs out, and every network call's timeouts come from what
  is left of the deadline;
* a profile that wants an MFA code fails at once instead of prompting;
* the credentials' expiry is kept, so the token never outlives them.
"""

from __future__ import annotations

import dataclasses
import datetime
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import botocore.credentials

from helper.deadline import Deadline
from helper.errors import ErrorCode, HelperError
from helper.options import HelperOptions

if TYPE_CHECKING:
    import botocore.session

__all__ = [
    "AwsCredentials",
    "credentials_without_session",
    "open_session",
    "resolve_credentials",
    "resolve_region",
]

# What a person calls each of botocore's providers (keyed by its METHOD).
SOURCE_NAMES: Mapping[str, str] = {
    "env": "environment variables (AWS_ACCESS_KEY_ID)",
    "assume-role": "an assume-role profile",
    "assume-role-with-web-identity": "web identity (AWS_WEB_IDENTITY_TOKEN_FILE)",
    "sso": "IAM Identity Center (SSO)",
    "custom-process": "credential_process",
    "shared-credentials-file": "the shared credentials file",
    "config-file": "the AWS config file",
    "ec2-credentials-file": "the legacy EC2 credentials file",
    "boto-config": "the boto2 config file",
    "container-role": "the container credentials endpoint",
    "iam-role": "the EC2 instance metadata service",
    "login": "an AWS sign-in session",
}

_CONNECT_TIMEOUT_CAP_SECONDS = 1.0
_MAX_ATTEMPTS = 2


@dataclasses.dataclass(frozen=True)
class AwsCredentials:
    """Resolved credentials, where they came from, and when they stop working."""

    access_key: str
    secret_key: str = dataclasses.field(repr=False)
    token: str | None = dataclasses.field(repr=False)
    expiry: datetime.datetime | None
    source: str

    @property
    def source_name(self) -> str:
        return SOURCE_NAMES.get(self.source, self.source)


def credentials_without_session(
    options: HelperOptions, environ: Mapping[str, str]
) -> AwsCredentials | None:
    """Keys from the environment, when botocore's chain would take them without reading config.

    A botocore session imports botocore.client and its docs, a large share of
    the frozen binary's start-up. When no profile is named (an explicit
    profile makes botocore skip the environment; a named one must exist) and
    the region comes from --region, AWS_REGION or AWS_DEFAULT_REGION, the
    chain's first provider, the environment, decides alone: it is asked here
    directly. Otherwise None, and the caller opens a session.
    """
    if options.profile is not None or "AWS_PROFILE" in environ or "AWS_DEFAULT_PROFILE" in environ:
        return None
    if resolve_region(None, options, environ) is None:
        return None

    found = botocore.credentials.EnvProvider(environ=dict(environ)).load()
    if found is None:
        return None
    frozen = found.get_frozen_credentials()
    return AwsCredentials(
        access_key=frozen.access_key,
        secret_key=frozen.secret_key,
        token=frozen.token or None,
        expiry=_expiry_of(found),
        source=found.method,
    )


def open_session(options: HelperOptions, deadline: Deadline) -> botocore.session.Session:
    """A botocore session for the chosen profile, with timeouts from the deadline."""
    # Imported here: only the paths that need a session pay for botocore.client.
    import botocore.config
    import botocore.session

    session = botocore.session.Session(profile=options.profile)
    remaining = deadline.remaining_seconds()
    connect_timeout = min(_CONNECT_TIMEOUT_CAP_SECONDS, remaining)

    session.set_config_variable("metadata_service_timeout", connect_timeout)
    session.set_config_variable("metadata_service_num_attempts", _MAX_ATTEMPTS)
    session.set_default_client_config(
        botocore.config.Config(
            connect_timeout=connect_timeout,
            read_timeout=remaining,
            retries={"total_max_attempts": _MAX_ATTEMPTS, "mode": "standard"},
        )
    )
    return session


def resolve_region(
    session: botocore.session.Session | None, options: HelperOptions, environ: Mapping[str, str]
) -> str | None:
    """`--region`, then AWS_REGION, then AWS_DEFAULT_REGION and the profile's region.

    Without a session only the first three are looked at.
    """
    if options.region:
        return options.region

    from_environment = environ.get("AWS_REGION")
    if from_environment:
        return from_environment

    if session is None:
        return environ.get("AWS_DEFAULT_REGION") or None
    region = session.get_config_variable("region")
    return str(region) if region else None


def resolve_credentials(session: botocore.session.Session, deadline: Deadline) -> AwsCredentials:
    """Walk botocore's provider chain and return the first credentials found."""
    resolver = session.get_component("credential_provider")
    _refuse_mfa_prompts(resolver)

    looked_in: list[str] = []
    for provider in resolver.providers:
        method = provider.METHOD
        deadline.begin(f"looking for AWS credentials in {SOURCE_NAMES.get(method, method)}")
        found = provider.load()
        if found is None:
            looked_in.append(SOURCE_NAMES.get(method, method))
            continue

        deadline.begin(f"fetching AWS credentials from {SOURCE_NAMES.get(method, method)}")
        frozen = found.get_frozen_credentials()
        return AwsCredentials(
            access_key=frozen.access_key,
            secret_key=frozen.secret_key,
            token=frozen.token or None,
            expiry=_expiry_of(found),
            source=method,
        )

    raise HelperError(
        ErrorCode.AWS_CREDENTIALS_NOT_FOUND,
        "No AWS credentials found; looked in " + ", ".join(looked_in) + ". Give the "
        "workload credentials through one of these, or name a profile with --profile.",
    )


def _expiry_of(credentials: botocore.credentials.Credentials) -> datetime.datetime | None:
    # botocore keeps the expiry of refreshable credentials privately; long-term
    # keys have none.
    expiry: Any = getattr(credentials, "_expiry_time", None)
    return expiry if isinstance(expiry, datetime.datetime) else None


def _refuse_mfa_prompts(resolver: Any) -> None:
    """Make an assume-role profile with `mfa_serial` fail instead of prompting."""
    provider = resolver.get_provider("assume-role")
    if provider is None:
        return
    profile_name = getattr(provider, "_profile_name", None) or os.environ.get(
        "AWS_PROFILE", "default"
    )

    def refuse(prompt: str) -> str:
        raise HelperError(
            ErrorCode.AWS_MFA_REQUIRED,
            f"AWS profile {profile_name!r} asks for an MFA code (mfa_serial), which an "
            "unattended helper cannot type; use a profile without mfa_serial for this "
            "workload.",
        )

    # botocore has no public hook for the prompt; its provider keeps it here.
    provider._prompter = refuse
