"""Credentials from the EC2 instance metadata service, bounded by the deadline and explained.

botocore's flow is kept (an IMDSv2 token from `PUT /latest/api/token`, then the
role name and its credentials with `X-aws-ec2-metadata-token`), with three
changes:

* each request gets a fifth of what is left of the deadline, at most 1 s, and
  two attempts: the flow makes at most five requests (the token, then two
  attempts each for the role name and its credentials);
* a service that answers but fails (HTTP 5xx) or throttles (429) is reported
  as such; botocore would say "no credentials". A service that does not answer
  at all is the usual case off EC2, so the chain goes on and the final "no
  credentials" message says what happened (`why_no_credentials`);
* botocore stretches credentials close to or past their expiry by a few
  minutes, to ride out a metadata outage. A subject token must not outlive the
  keys that signed it, so the expiry the service gave is kept, and expired
  credentials fail with `AWS_CREDENTIALS_EXPIRED`.

AWS_METADATA_SERVICE_TIMEOUT and AWS_METADATA_SERVICE_NUM_ATTEMPTS are not
used: the run's deadline decides.
"""

from __future__ import annotations

import datetime
import json
import os
from typing import Any

import botocore.utils
from botocore.credentials import InstanceMetadataProvider

from helper.deadline import Deadline
from helper.errors import ErrorCode, HelperError
from helper.metadata_http import RecordingHttpSession

__all__ = ["InstanceMetadataFetcher", "bound_instance_metadata"]

ENDPOINT_NAME = "the EC2 instance metadata service"
_SENTENCE_START = "The EC2 instance metadata service"
_REQUESTS_PER_FETCH = 5
_ATTEMPTS = 2
_TIMEOUT_CAP_SECONDS = 1.0


class InstanceMetadataFetcher(botocore.utils.InstanceMetadataFetcher):  # type: ignore[misc]
    """botocore's instance metadata fetcher, sending through a `RecordingHttpSession`."""

    def __init__(self, base_url: str, v1_disabled: bool, deadline: Deadline) -> None:
        def request_timeout() -> float:
            return deadline.timeout_seconds(1 / _REQUESTS_PER_FETCH, _TIMEOUT_CAP_SECONDS)

        super().__init__(
            num_attempts=_ATTEMPTS,
            base_url=base_url,
            config={"ec2_metadata_v1_disabled": v1_disabled},
        )
        self.http = RecordingHttpSession(
            ENDPOINT_NAME,
            deadline,
            connect_timeout_seconds=request_timeout(),
            read_timeout_seconds=request_timeout,
            proxies=botocore.utils.get_environ_proxies(base_url),
        )
        # botocore sends through this attribute; the recording session replaces its own.
        self._session = self.http

    def retrieve_iam_role_credentials(self) -> dict[str, Any]:
        credentials: dict[str, Any] = super().retrieve_iam_role_credentials()
        last = self.http.last

        if credentials and last is not None:
            credentials["expiry_time"] = self._given_expiry(last.body, credentials)
            return credentials

        if last is not None and last.failed_on_server:
            code = ErrorCode.AWS_THROTTLED if last.status == 429 else ErrorCode.AWS_UNREACHABLE
            raise HelperError(
                code,
                f"{_SENTENCE_START} at {last.url} {last.describe()}; "
                "retry later, and check the instance's health if it persists.",
            )
        return {}

    def why_no_credentials(self) -> str | None:
        """What the service did, for the "no credentials" message; None if it was not asked."""
        if os.environ.get("AWS_EC2_METADATA_DISABLED", "").lower() == "true":
            return "disabled by AWS_EC2_METADATA_DISABLED"

        last = self.http.last
        if last is None:
            return None
        if last.status == 404:
            return f"{last.url} answered HTTP 404: no IAM role is attached to this instance"
        if last.status in (401, 403):
            return (
                f"{last.url} {last.describe()} without an IMDSv2 token; in a container on EC2, "
                "raise the instance's metadata hop limit to 2"
            )
        return f"{last.url} {last.describe()}"

    def _given_expiry(self, body: bytes, credentials: dict[str, Any]) -> Any:
        """The expiry the service gave, instead of botocore's stretched one; fails if it is past."""
        try:
            given = json.loads(body)["Expiration"]
            expiry = datetime.datetime.strptime(given, "%Y-%m-%dT%H:%M:%SZ").replace(
                tzinfo=datetime.timezone.utc
            )
        except (ValueError, KeyError, TypeError):
            return credentials["expiry_time"]

        if expiry <= datetime.datetime.now(datetime.timezone.utc):
            raise HelperError(
                ErrorCode.AWS_CREDENTIALS_EXPIRED,
                f"{_SENTENCE_START} gave credentials that expired at "
                f"{given}; the instance's role credentials are not being renewed, check "
                "the instance profile and the instance's clock.",
            )
        return given


def bound_instance_metadata(
    provider: InstanceMetadataProvider, v1_disabled: bool, deadline: Deadline
) -> InstanceMetadataFetcher:
    """Give botocore's instance metadata provider a fetcher bound to `deadline`; return it."""
    # botocore keeps the fetcher here; its base URL already honours
    # AWS_EC2_METADATA_SERVICE_ENDPOINT and the IPv6 endpoint mode.
    fetcher = InstanceMetadataFetcher(provider._role_fetcher.get_base_url(), v1_disabled, deadline)
    provider._role_fetcher = fetcher
    return fetcher
