"""Credentials from the container credentials endpoint, bounded by the deadline and explained.

ECS and Fargate set `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` (a path on the
ECS agent, 169.254.170.2); EKS Pod Identity sets
`AWS_CONTAINER_CREDENTIALS_FULL_URI` with `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE`
(or `AWS_CONTAINER_AUTHORIZATION_TOKEN`). botocore's provider reads those and
checks the address; this fetcher replaces its default one, which waits 2 s per
attempt and 1 s between three attempts (up to 9 s, more than the clients allow
the whole run). Here each attempt gets at most 1 s to connect and half of what
is left to answer, with two attempts a tenth of a second apart, and a failure
says what the endpoint did.
"""

from __future__ import annotations

import time
from typing import Any

import botocore.exceptions
import botocore.utils
from botocore.credentials import ContainerProvider

from helper.aws_session import connect_timeout_seconds
from helper.deadline import Deadline
from helper.errors import ErrorCode, HelperError
from helper.metadata_http import RecordingHttpSession

__all__ = ["ContainerCredentialsFetcher", "bound_container_credentials"]

ENDPOINT_NAME = "the container credentials endpoint"
_SENTENCE_START = "The container credentials endpoint"
_ATTEMPTS = 2
_PAUSE_BETWEEN_ATTEMPTS_SECONDS = 0.1
_REQUIRED_FIELDS = ("AccessKeyId", "SecretAccessKey", "Token", "Expiration")


class ContainerCredentialsFetcher(botocore.utils.ContainerMetadataFetcher):  # type: ignore[misc]
    """botocore's container metadata fetcher, bounded, failing with what the endpoint did."""

    def __init__(self, deadline: Deadline) -> None:
        def read_timeout() -> float:
            return deadline.timeout_seconds(1 / _ATTEMPTS)

        self.http = RecordingHttpSession(
            ENDPOINT_NAME, deadline, connect_timeout_seconds(deadline), read_timeout
        )
        super().__init__(session=self.http, sleep=time.sleep)
        # botocore reads its limits from these class attributes.
        self.RETRY_ATTEMPTS = _ATTEMPTS
        self.SLEEP_TIME = _PAUSE_BETWEEN_ATTEMPTS_SECONDS

    def retrieve_full_uri(
        self, full_url: str, headers: dict[str, str] | None = None
    ) -> dict[str, Any]:
        try:
            response: Any = super().retrieve_full_uri(full_url, headers=headers)
        except botocore.exceptions.MetadataRetrievalError:
            raise self._failure() from None

        missing = [field for field in _REQUIRED_FIELDS if field not in response]
        if not isinstance(response, dict) or missing:
            raise HelperError(
                ErrorCode.AWS_UNREACHABLE,
                f"{_SENTENCE_START} answered without "
                f"{', '.join(missing) or 'credentials'}; check that "
                "AWS_CONTAINER_CREDENTIALS_FULL_URI or _RELATIVE_URI points at the "
                "credentials agent.",
            )
        return response

    def _failure(self) -> HelperError:
        last = self.http.last
        if last is None:
            return HelperError(ErrorCode.AWS_UNREACHABLE, f"{_SENTENCE_START} failed.")

        if last.status in (401, 403):
            return HelperError(
                ErrorCode.AWS_ACCESS_DENIED,
                f"{_SENTENCE_START} at {last.url} refused the request "
                f"(HTTP {last.status}); check AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE (or "
                "AWS_CONTAINER_AUTHORIZATION_TOKEN): the token is missing, stale or for "
                "another pod.",
            )
        if last.status == 429:
            return HelperError(
                ErrorCode.AWS_THROTTLED,
                f"{_SENTENCE_START} at {last.url} throttled the request "
                "(HTTP 429); retry later, and set output_file in the credential config so "
                "responses are reused.",
            )
        if last.status == 200:
            return HelperError(
                ErrorCode.AWS_UNREACHABLE,
                f"{_SENTENCE_START} at {last.url} answered with something "
                "that is not JSON; check that the variable points at the credentials agent.",
            )
        return HelperError(
            ErrorCode.AWS_UNREACHABLE,
            f"{_SENTENCE_START} at {last.url} {last.describe()}; check that the "
            "credentials agent is running (the ECS agent, or the EKS Pod Identity Agent "
            "add-on) and reachable from this container.",
        )


def bound_container_credentials(
    provider: ContainerProvider, deadline: Deadline
) -> ContainerCredentialsFetcher:
    """Give botocore's container provider a fetcher bound to `deadline`; return it."""
    fetcher = ContainerCredentialsFetcher(deadline)
    # botocore's provider keeps its fetcher here and has no public way to swap it.
    provider._fetcher = fetcher
    return fetcher
