"""Checks that an audience names a workload identity pool provider.

The audience is signed into the subject token, so a malformed one is refused
before any credential is touched. Accepted forms:

    //iam.googleapis.com/projects/123/locations/global/workloadIdentityPools/POOL/providers/PROVIDER
    https://iam.googleapis.com/projects/123/...   (the same, with the scheme Google also accepts)

Other universe domains (`//iam.example-universe.com/...`) pass this check of
form; whether the helper may sign for them is `helper.allowed_audience`'s call.
"""

from __future__ import annotations

import re

from helper.errors import ErrorCode, HelperError

__all__ = ["check_audience"]

_SEGMENT = r"[a-z0-9][a-z0-9-]{0,62}"
_DOMAIN = r"[a-z0-9][a-z0-9-]*(?:\.[a-z0-9][a-z0-9-]*)+"
_WORKLOAD_PROVIDER = re.compile(
    rf"(?:https:)?//iam\.{_DOMAIN}/projects/[0-9]{{1,20}}/locations/{_SEGMENT}"
    rf"/workloadIdentityPools/{_SEGMENT}/providers/{_SEGMENT}"
)
_WORKFORCE_PROVIDER = re.compile(
    rf"(?:https:)?//iam\.{_DOMAIN}/locations/{_SEGMENT}"
    rf"/workforcePools/{_SEGMENT}/providers/{_SEGMENT}"
)
_EXAMPLE = (
    "//iam.googleapis.com/projects/123456789012/locations/global"
    "/workloadIdentityPools/my-pool/providers/my-provider"
)


def check_audience(audience: str) -> str:
    """Return the audience unchanged if it names a workload identity pool provider."""
    if not audience:
        raise HelperError(
            ErrorCode.INVALID_REQUEST,
            "GOOGLE_EXTERNAL_ACCOUNT_AUDIENCE is empty; set the credential config's "
            f"audience to the provider's full name, like {_EXAMPLE}.",
        )

    if not audience.isascii() or not audience.isprintable() or audience != audience.strip():
        raise HelperError(
            ErrorCode.INVALID_REQUEST,
            "The audience contains spaces, control characters or non-ASCII characters; "
            "copy the provider's full name into the credential config again "
            f"({_EXAMPLE}).",
        )

    if _WORKFORCE_PROVIDER.fullmatch(audience):
        raise HelperError(
            ErrorCode.INVALID_REQUEST,
            "The audience names a workforce pool, which federates people, not workloads; "
            f"use a workload identity pool provider ({_EXAMPLE}).",
        )

    if not _WORKLOAD_PROVIDER.fullmatch(audience):
        raise HelperError(
            ErrorCode.INVALID_REQUEST,
            "The audience is not a workload identity pool provider name; it must look "
            f"like {_EXAMPLE} (lowercase IDs, no trailing slash).",
        )

    return audience
