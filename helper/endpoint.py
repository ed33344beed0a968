"""Which AWS STS endpoint the subject token names, and the region it is signed for.

The rule, in order:

1. `--sts-endpoint global`: `https://sts.amazonaws.com`, signed for us-east-1.
2. A known region (`--region`, then `AWS_REGION`, then `AWS_DEFAULT_REGION`,
   then the profile's `region`): `https://sts.REGION.amazonaws.com`, signed for
   that region. `--sts-endpoint regional` insists on this and fails without a
   region.
3. No region at all: the global endpoint.

Nothing is sent to the endpoint in AWS mode: Google's STS replays the signed
request to it.
"""

from __future__ import annotations

import dataclasses

from helper.errors import ErrorCode, HelperError
from helper.options import StsEndpointChoice

__all__ = ["GLOBAL_SIGNING_REGION", "StsEndpoint", "choose_sts_endpoint"]

GLOBAL_SIGNING_REGION = "us-east-1"


@dataclasses.dataclass(frozen=True)
class StsEndpoint:
    """An STS endpoint and the region SigV4 signs requests to it for."""

    host: str
    signing_region: str

    @property
    def url(self) -> str:
        return f"https://{self.host}"


def choose_sts_endpoint(region: str | None, choice: StsEndpointChoice) -> StsEndpoint:
    """Apply the endpoint rule to the resolved region and `--sts-endpoint`."""
    if choice == "global":
        return StsEndpoint("sts.amazonaws.com", GLOBAL_SIGNING_REGION)

    if region:
        return StsEndpoint(f"sts.{region}.{_dns_suffix(region)}", region)

    if choice == "regional":
        raise HelperError(
            ErrorCode.INVALID_REQUEST,
            "--sts-endpoint regional needs a region; add --region REGION to the "
            "config's command or set AWS_REGION.",
        )
    return StsEndpoint("sts.amazonaws.com", GLOBAL_SIGNING_REGION)


def _dns_suffix(region: str) -> str:
    return "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
