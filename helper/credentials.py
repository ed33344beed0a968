"""AWS credentials from botocore's full chain, bounded by the run's deadline.

botocore's own resolver is used as it is, in its own order: environment
variables, assume-role profiles, web identity, IAM Identity Center (SSO), the
shared credentials file, `credential_process`, the config file, the container
credentials endpoint and the EC2 instance metadata service. The walk adds what
a credential helper needs:

* each source runs as a named step of the `Deadline`; service calls inherit
  their limits from `helper.aws_session`, and the two metadata endpoints get
  fetchers bound to the deadline (`helper.instance_metadata`,
  `helper.container_credentials`);
* a profile that wants an MFA code fails at once, naming the profile, instead
  of prompting on the terminal;
* a failure is translated with what the source was (`helper.aws_errors`), and
  "no credentials" lists every place looked in, with what the metadata
  service did;
* the credentials' expiry is kept, so the token never outlives them.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import botocore.credentials

from helper.aws_errors import SourceFailure, translate_source_failure
from helper.container_credentials import bound_container_credentials
from helper.deadline import Deadline
from helper.errors import ErrorCode, HelperError
from helper.instance_metadata import InstanceMetadataFetcher, bound_instance_metadata
from helper.options import HelperOptions
from helper.profiles import profile_asking_for_mfa, sso_login_profile

if TYPE_CHECKING:
    import botocore.session

__all__ = [
    "AwsCredentials",
    "credentials_without_session",
    "resolve_credentials",
    "resolve_region",
]

# What a person calls each of botocore's providers (keyed by its METHOD), with
# the settings it reads.
SOURCE_NAMES: Mapping[str, str] = {
    "env": "environment variables (AWS_ACCESS_KEY_ID)",
    "assume-role": "an assume-role profile (role_arn)",
    "assume-role-with-web-identity": "web identity (AWS_WEB_IDENTITY_TOKEN_FILE)",
    "sso": "IAM Identity Center (sso_session, sso_start_url)",
    "custom-process": "credential_process",
    "shared-credentials-file": "the shared credentials file",
    "config-file": "the AWS config file",
    "ec2-credentials-file": "the legacy EC2 credentials file",
    "boto-config": "the boto2 config file",
    "container-role": "the container credentials endpoint (AWS_CONTAINER_CREDENTIALS_*_URI)",
    "iam-role": "the EC2 instance metadata service",
    "login": "an AWS sign-in session (login_session)",
    "role-arn": "the role of --role-arn",
}


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

    found: Any = None
    try:
        found = botocore.credentials.EnvProvider(environ=dict(environ)).load()
        if found is None:
            return None
        frozen = found.get_frozen_credentials()
    except Exception as error:
        # The same translation as in the chain: expired or incomplete keys, not INTERNAL.
        source = SourceFailure("env", SOURCE_NAMES["env"], "default", "default", _expiry_of(found))
        raise translate_source_failure(error, source, "reading AWS_* variables") from None
    return AwsCredentials(
        access_key=frozen.access_key,
        secret_key=frozen.secret_key,
        token=frozen.token or None,
        expiry=_expiry_of(found),
        source=found.method,
    )


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
    profile = str(session.get_config_variable("profile") or "default")
    config: Mapping[str, Any] = session.full_config
    resolver = session.get_component("credential_provider")
    instance_metadata = _bind_to_deadline(session, resolver, deadline)

    looked_in: list[str] = []
    for provider in resolver.providers:
        method = provider.METHOD
        name = SOURCE_NAMES.get(method, method)
        deadline.begin(f"looking for AWS credentials in {name}")
        if method == "assume-role":
            _refuse_mfa_profiles(config, profile)

        found: Any = None
        try:
            found = provider.load()
            if found is None:
                looked_in.append(_why_not(provider, name, instance_metadata))
                continue

            deadline.begin(f"fetching AWS credentials from {name}")
            frozen = found.get_frozen_credentials()
        except Exception as error:
            source = SourceFailure(
                method, name, profile, sso_login_profile(config, profile), _expiry_of(found)
            )
            raise translate_source_failure(error, source, deadline.step) from None

        return AwsCredentials(
            access_key=frozen.access_key,
            secret_key=frozen.secret_key,
            token=frozen.token or None,
            expiry=_expiry_of(found),
            source=method,
        )

    raise HelperError(
        ErrorCode.AWS_CREDENTIALS_NOT_FOUND,
        f"No AWS credentials found for profile {profile!r}; looked in "
        + "; ".join(looked_in)
        + ". Give the workload credentials through one of these, or name a profile with "
        "--profile.",
    )


def _bind_to_deadline(
    session: botocore.session.Session, resolver: Any, deadline: Deadline
) -> InstanceMetadataFetcher:
    """Bound the metadata fetchers and refuse MFA prompts; return the metadata fetcher."""
    bound_container_credentials(resolver.get_provider("container-role"), deadline)
    instance_metadata = bound_instance_metadata(
        resolver.get_provider("iam-role"),
        bool(session.get_config_variable("ec2_metadata_v1_disabled")),
        deadline,
    )

    def refuse(prompt: str) -> str:
        # Not reached: _refuse_mfa_profiles fails first. Kept so that no path
        # through botocore can read a code from the terminal.
        raise HelperError(
            ErrorCode.AWS_MFA_REQUIRED,
            "An AWS profile asks for an MFA code, which an unattended helper cannot type; "
            "use a profile without mfa_serial for this workload.",
        )

    # botocore has no public hook for the prompt; its provider keeps it here.
    resolver.get_provider("assume-role")._prompter = refuse
    return instance_metadata


def _refuse_mfa_profiles(config: Mapping[str, Any], profile: str) -> None:
    """Fail before botocore would prompt for the MFA code of an assumed profile."""
    asking = profile_asking_for_mfa(config, profile)
    if asking is None:
        return

    raise HelperError(
        ErrorCode.AWS_MFA_REQUIRED,
        f"AWS profile {asking!r} asks for an MFA code (mfa_serial) to assume its role, "
        "which an unattended helper cannot type; give this workload a profile without "
        "mfa_serial (for example a role whose trust policy does not require MFA).",
    )


def _why_not(provider: Any, name: str, instance_metadata: InstanceMetadataFetcher) -> str:
    """A source that had nothing, as listed in the "no credentials" message."""
    if provider.METHOD == "iam-role":
        reason = instance_metadata.why_no_credentials()
        if reason:
            return f"{name} ({reason})"
    return name


def _expiry_of(credentials: Any) -> datetime.datetime | None:
    # botocore keeps the expiry of refreshable credentials privately; long-term
    # keys have none.
    expiry: Any = getattr(credentials, "_expiry_time", None)
    return expiry if isinstance(expiry, datetime.datetime) else None
