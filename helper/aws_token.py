"""The AWS subject token: a signed STS GetCallerIdentity request, serialized.

Google's STS does not verify the token itself: it replays the request to AWS
STS and trusts the identity AWS returns. The token is the URL-encoded JSON

    {"url": "https://sts.REGION.amazonaws.com?Action=GetCallerIdentity&Version=2011-06-15",
     "method": "POST",
     "headers": [{"key": "Authorization", "value": "AWS4-HMAC-SHA256 ..."},
                 {"key": "host", "value": "sts.REGION.amazonaws.com"},
                 {"key": "x-amz-date", "value": "20261204T152000Z"},
                 {"key": "x-goog-cloud-target-resource", "value": AUDIENCE},
                 {"key": "x-amz-security-token", "value": ...}]}   # session keys only

botocore's SigV4 signer signs every header present, so the target resource is
signed and the token is bound to one provider. The body is empty.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import urllib.parse

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import ReadOnlyCredentials

from helper.credentials import AwsCredentials
from helper.endpoint import StsEndpoint

__all__ = ["SIGNATURE_LIFETIME_SECONDS", "SignedToken", "sign_get_caller_identity"]

GET_CALLER_IDENTITY_QUERY = "Action=GetCallerIdentity&Version=2011-06-15"
TARGET_RESOURCE_HEADER = "x-goog-cloud-target-resource"

# AWS refuses a signature dated more than 15 minutes from its own clock.
SIGNATURE_LIFETIME_SECONDS = 15 * 60

_AMZ_DATE_FORMAT = "%Y%m%dT%H%M%SZ"


@dataclasses.dataclass(frozen=True)
class SignedToken:
    """A serialized subject token and the moment its signature was made."""

    token: str = dataclasses.field(repr=False)
    signed_at: datetime.datetime


def sign_get_caller_identity(
    credentials: AwsCredentials, audience: str, endpoint: StsEndpoint
) -> SignedToken:
    """Sign GetCallerIdentity for `endpoint`, bound to `audience`, and serialize it."""
    request = AWSRequest(
        method="POST",
        url=f"{endpoint.url}?{GET_CALLER_IDENTITY_QUERY}",
        headers={"host": endpoint.host, TARGET_RESOURCE_HEADER: audience},
        data=b"",
    )
    signer = SigV4Auth(
        ReadOnlyCredentials(credentials.access_key, credentials.secret_key, credentials.token),
        "sts",
        endpoint.signing_region,
    )
    signer.add_auth(request)

    amz_date = request.headers["X-Amz-Date"]
    headers = [
        {"key": "Authorization", "value": request.headers["Authorization"]},
        {"key": "host", "value": endpoint.host},
        {"key": "x-amz-date", "value": amz_date},
        {"key": TARGET_RESOURCE_HEADER, "value": audience},
    ]
    if credentials.token:
        headers.append({"key": "x-amz-security-token", "value": credentials.token})

    document = {"url": request.url, "method": "POST", "headers": headers}
    token = urllib.parse.quote(json.dumps(document, separators=(",", ":")), safe="")
    signed_at = datetime.datetime.strptime(amz_date, _AMZ_DATE_FORMAT).replace(
        tzinfo=datetime.timezone.utc
    )
    return SignedToken(token, signed_at)
