"""The credential config file: its fields, their limits, and how to build one.

This is the document Google's auth libraries load (`GOOGLE_APPLICATION_CREDENTIALS`)
to run the helper. For this helper it reads

    {"type": "external_account",
     "audience": "//iam.googleapis.com/projects/NUMBER/locations/global/workloadIdentityPools/POOL/providers/PROVIDER",
     "subject_token_type": "urn:ietf:params:aws:token-type:aws4_request",
     "token_url": "https://sts.googleapis.com/v1/token",
     "credential_source": {"executable": {"command": "/usr/local/bin/aws-wif-helper",
                                          "timeout_millis": 30000,
                                          "output_file": "/home/app/.cache/aws-wif-helper/....json"}},
     "service_account_impersonation_url": "https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/EMAIL:generateAccessToken",
     "service_account_impersonation": {"token_lifetime_seconds": 3600}}

`create-config` writes it and `doctor` checks it; both take the limits from here.
"""  # noqa: E501

from __future__ import annotations

import dataclasses
import hashlib
import os
import re
from collections.abc import Mapping
from typing import Any

from helper.request import AWS_TOKEN_TYPE, ID_TOKEN_TYPE, JWT_TOKEN_TYPE

__all__ = [
    "CONFIG_TYPE",
    "DEFAULT_SA_TOKEN_LIFETIME_SECONDS",
    "DEFAULT_TIMEOUT_MILLIS",
    "DEFAULT_UNIVERSE_DOMAIN",
    "GOOGLE_SCOPE",
    "HELPER_START_ALLOWANCE_MILLIS",
    "MAX_SA_TOKEN_LIFETIME_SECONDS",
    "MAX_TIMEOUT_MILLIS",
    "MIN_SA_TOKEN_LIFETIME_SECONDS",
    "MIN_TIMEOUT_MILLIS",
    "MODES",
    "OIDC_TOKEN_TYPES",
    "ConfigSettings",
    "build_config",
    "default_output_file",
    "impersonation_url",
    "mode_of_token_type",
    "provider_audience",
    "token_url",
    "universe_of_audience",
]

CONFIG_TYPE = "external_account"
DEFAULT_UNIVERSE_DOMAIN = "googleapis.com"

# The clients refuse a timeout_millis outside this range and use the default without one.
MIN_TIMEOUT_MILLIS = 5 * 1000
MAX_TIMEOUT_MILLIS = 120 * 1000
DEFAULT_TIMEOUT_MILLIS = 30 * 1000
# What the helper's own --timeout must leave of timeout_millis: the one-file
# binary takes one to three seconds to start on a loaded host.
HELPER_START_ALLOWANCE_MILLIS = 2 * 1000

# What generateAccessToken grants; above an hour needs the organization policy
# constraints/iam.allowServiceAccountCredentialLifetimeExtension.
MIN_SA_TOKEN_LIFETIME_SECONDS = 600
MAX_SA_TOKEN_LIFETIME_SECONDS = 12 * 3600
DEFAULT_SA_TOKEN_LIFETIME_SECONDS = 3600

# Which subject_token_type each helper mode puts in the config.
MODES: Mapping[str, str] = {"aws": AWS_TOKEN_TYPE, "oidc": JWT_TOKEN_TYPE}
OIDC_TOKEN_TYPES = (JWT_TOKEN_TYPE, ID_TOKEN_TYPE)

GOOGLE_SCOPE = "https://www.googleapis.com/auth/cloud-platform"

_AUDIENCE_PARTS = re.compile(
    r"(?:https:)?//iam\.(?P<universe>[^/]+)/projects/(?P<project>[^/]+)/locations/"
    r"(?P<location>[^/]+)/workloadIdentityPools/(?P<pool>[^/]+)/providers/(?P<provider>[^/]+)"
)
_CACHE_FOLDER_NAME = "aws-wif-helper"


@dataclasses.dataclass(frozen=True)
class ConfigSettings:
    """Everything a credential config for this helper is made of."""

    audience: str
    mode: str
    command: str
    timeout_millis: int = DEFAULT_TIMEOUT_MILLIS
    output_file: str | None = None
    service_account: str | None = None
    service_account_token_lifetime_seconds: int | None = None
    universe_domain: str = DEFAULT_UNIVERSE_DOMAIN


def provider_audience(
    project_number: str,
    pool: str,
    provider: str,
    location: str = "global",
    universe_domain: str = DEFAULT_UNIVERSE_DOMAIN,
) -> str:
    """The audience that names a workload identity pool provider."""
    return (
        f"//iam.{universe_domain}/projects/{project_number}/locations/{location}"
        f"/workloadIdentityPools/{pool}/providers/{provider}"
    )


def universe_of_audience(audience: str) -> str | None:
    """The universe domain an audience is in (`googleapis.com` for most)."""
    match = _AUDIENCE_PARTS.fullmatch(audience)
    return match["universe"] if match else None


def token_url(universe_domain: str = DEFAULT_UNIVERSE_DOMAIN) -> str:
    return f"https://sts.{universe_domain}/v1/token"


def impersonation_url(email: str, universe_domain: str = DEFAULT_UNIVERSE_DOMAIN) -> str:
    return (
        f"https://iamcredentials.{universe_domain}/v1/projects/-/serviceAccounts/"
        f"{email}:generateAccessToken"
    )


def mode_of_token_type(subject_token_type: str) -> str | None:
    """`aws` or `oidc` for a subject_token_type the helper can answer, else None."""
    if subject_token_type == AWS_TOKEN_TYPE:
        return "aws"
    if subject_token_type in OIDC_TOKEN_TYPES:
        return "oidc"
    return None


def default_output_file(audience: str, mode: str, environ: Mapping[str, str]) -> str:
    """A per-user cache file for one audience and mode, under XDG_CACHE_HOME.

    The mode is part of the name: a client reads whatever the file holds, so an
    AWS config and an OIDC config for the same provider must not share one.
    """
    cache_home = environ.get("XDG_CACHE_HOME") or ""
    if not os.path.isabs(cache_home):
        # The XDG rule: a relative XDG_CACHE_HOME is ignored.
        cache_home = os.path.join(os.path.expanduser("~"), ".cache")

    match = _AUDIENCE_PARTS.fullmatch(audience)
    if match:
        parts = [match["project"], match["location"], match["pool"], match["provider"]]
        if match["universe"] != DEFAULT_UNIVERSE_DOMAIN:
            parts.insert(0, match["universe"])
        name = "-".join([mode, *parts])
    else:
        name = f"{mode}-{hashlib.sha256(audience.encode()).hexdigest()[:16]}"
    return os.path.join(cache_home, _CACHE_FOLDER_NAME, name + ".json")


def build_config(settings: ConfigSettings) -> dict[str, Any]:
    """The credential config document, keys in the order gcloud writes them."""
    executable: dict[str, Any] = {
        "command": settings.command,
        "timeout_millis": settings.timeout_millis,
    }
    if settings.output_file:
        executable["output_file"] = settings.output_file

    config: dict[str, Any] = {
        "type": CONFIG_TYPE,
        "audience": settings.audience,
        "subject_token_type": MODES[settings.mode],
        "token_url": token_url(settings.universe_domain),
        "credential_source": {"executable": executable},
    }
    if settings.service_account:
        config["service_account_impersonation_url"] = impersonation_url(
            settings.service_account, settings.universe_domain
        )
        if settings.service_account_token_lifetime_seconds is not None:
            config["service_account_impersonation"] = {
                "token_lifetime_seconds": settings.service_account_token_lifetime_seconds
            }
    if settings.universe_domain != DEFAULT_UNIVERSE_DOMAIN:
        config["universe_domain"] = settings.universe_domain
    return config
