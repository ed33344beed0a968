"""What the AWS config says about a profile's chain of roles, read before botocore acts on it.

An assume-role profile names where its source credentials come from with
`source_profile`, which may itself assume a role, and so on:

    [profile app]        role_arn = ...:role/app     source_profile = hop
    [profile hop]        role_arn = ...:role/hop     source_profile = base
    [profile base]       sso_session = corp  (or keys, credential_process, ...)

`assumed_profiles("app")` is `["app", "hop"]`; `profile_asking_for_mfa` finds a
profile among them with `mfa_serial` before botocore would prompt for a code,
and `sso_login_profile` names the profile whose `aws sso login` fixes an
expired IAM Identity Center login (`base` here).

`config` is botocore's parsed configuration (`session.full_config`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["assumed_profiles", "profile_asking_for_mfa", "sso_login_profile"]

_SSO_SETTINGS = ("sso_session", "sso_start_url", "sso_account_id", "sso_role_name")


def assumed_profiles(config: Mapping[str, Any], profile: str) -> list[str]:
    """The profiles whose `role_arn` botocore assumes for `profile`, outermost first."""
    profiles = config.get("profiles", {})
    chain: list[str] = []
    name: str | None = profile

    while name is not None and name in profiles and name not in chain:
        settings = profiles[name]
        # A profile with web_identity_token_file is web identity, not AssumeRole.
        if "role_arn" not in settings or "web_identity_token_file" in settings:
            break
        chain.append(name)
        name = settings.get("source_profile")

    return chain


def profile_asking_for_mfa(config: Mapping[str, Any], profile: str) -> str | None:
    """The first assumed profile with `mfa_serial`, for which botocore would prompt."""
    profiles = config.get("profiles", {})
    for name in assumed_profiles(config, profile):
        if profiles[name].get("mfa_serial"):
            return name
    return None


def sso_login_profile(config: Mapping[str, Any], profile: str) -> str:
    """The profile that holds the IAM Identity Center settings `profile` relies on."""
    profiles = config.get("profiles", {})
    visited: list[str] = []
    name: str | None = profile

    while name is not None and name in profiles and name not in visited:
        settings = profiles[name]
        if any(setting in settings for setting in _SSO_SETTINGS):
            return name
        visited.append(name)
        name = settings.get("source_profile")

    return profile
