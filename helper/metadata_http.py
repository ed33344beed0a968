"""HTTP to the metadata endpoints (EC2 instance metadata, the container agent), on the record.

botocore's metadata fetchers retry, fall back and finally report little more
than "no credentials" or "error retrieving metadata". The helper needs to say
which endpoint failed and how, so its fetchers send through a
`RecordingHttpSession`: botocore's own HTTP session with timeouts from the
deadline, that names each request within the deadline's step and keeps the
outcome of the last one. Each request's read timeout is worked out when it is
sent, from what is left of the deadline then.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import botocore.exceptions
import botocore.httpsession
import botocore.utils

from helper.deadline import Deadline
from helper.redact import shown_url

__all__ = ["Outcome", "RecordingHttpSession"]


@dataclasses.dataclass(frozen=True)
class Outcome:
    """How one request to a metadata endpoint went: an HTTP status, or why there was none."""

    url: str
    status: int | None = None
    no_answer: str | None = None  # what happened instead, like "refused the connection"
    body: bytes = dataclasses.field(default=b"", repr=False)

    @property
    def failed_on_server(self) -> bool:
        """The endpoint is there but failing or throttling: worth reporting as such."""
        return self.status is not None and (self.status == 429 or self.status >= 500)

    def describe(self) -> str:
        """What the endpoint did, to follow its name: `answered HTTP 500`, `gave no answer`."""
        if self.status is not None:
            return f"answered HTTP {self.status}"
        return self.no_answer or "gave no answer"


class RecordingHttpSession:
    """Sends requests like botocore's `URLLib3Session`, and remembers how the last one went."""

    def __init__(
        self,
        endpoint_name: str,
        deadline: Deadline,
        connect_timeout_seconds: float,
        read_timeout_seconds: Callable[[], float],
        proxies: dict[str, str] | None = None,
    ) -> None:
        self.endpoint_name = endpoint_name
        self.last: Outcome | None = None
        self._deadline = deadline
        self._read_timeout_seconds = read_timeout_seconds
        self._inner = botocore.httpsession.URLLib3Session(
            timeout=connect_timeout_seconds, proxies=proxies
        )

    def send(self, request: Any) -> Any:
        url = shown_url(request.url)
        self._deadline.calling(f"asking {self.endpoint_name} at {url}")
        read_timeout = self._read_timeout_seconds()
        request.context["read_timeout"] = read_timeout
        try:
            response = self._inner.send(request)
        except botocore.utils.RETRYABLE_HTTP_ERRORS as error:
            self.last = Outcome(url, no_answer=_why_no_answer(error, read_timeout))
            raise
        self.last = Outcome(url, status=response.status_code, body=response.content)
        return response


def _why_no_answer(error: Exception, read_timeout: float) -> str:
    if isinstance(error, botocore.exceptions.ReadTimeoutError):
        return f"gave no answer within {read_timeout:.2g} s"
    if isinstance(error, botocore.exceptions.ConnectTimeoutError):
        return "did not accept a connection in time"
    if isinstance(error, botocore.exceptions.ConnectionClosedError):
        return "closed the connection without an answer"
    return "refused the connection or is unreachable"
